//! The course: markdown under `content/` parsed, checked and rendered into immutable revisions,
//! of which one is published at a time.

pub mod parse;
pub mod render;
pub mod routes;
pub mod service;
pub mod source;
pub mod store;
pub mod vtt;

#[cfg(test)]
mod fuzz;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One problem found in a content tree: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ContentProblem {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl ContentProblem {
    pub fn new(file: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ContentProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// A whole course, parsed and rendered, ready to be stored as a revision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Course {
    pub title: String,
    pub description: String,
    pub modules: Vec<Module>,
    pub literature: Literature,
    /// Subtitle files by name (`<film>.vtt`), as text.
    pub subtitles: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Module {
    pub number: i32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub skippable: bool,
    pub estimated_minutes: i32,
    pub pages: Vec<Page>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page {
    pub slug: String,
    pub title: String,
    pub estimated_minutes: i32,
    /// Sanitised HTML; each structured block stands in it as
    /// `<div class="block" data-block-type="…" data-block-id="…"></div>`.
    pub html: String,
    pub blocks: Vec<Block>,
}

/// A structured block of a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Film {
        id: String,
        title: String,
        src: String,
        /// The subtitle file's name; fetch it from `/api/v1/subtitles/{name}`.
        subtitles: String,
        /// Norwegian (bokmål) WebVTT subtitles.
        subtitles_url: String,
        duration_seconds: u32,
        transcript: Option<String>,
    },
    Reflection {
        id: String,
        question: String,
    },
    Exercise {
        id: String,
        /// Sanitised HTML of the exercise text.
        html: String,
    },
}

impl Block {
    pub fn id(&self) -> &str {
        match self {
            Block::Film { id, .. } | Block::Reflection { id, .. } | Block::Exercise { id, .. } => {
                id
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Literature {
    pub title: String,
    pub intro: String,
    pub references: Vec<Reference>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub authors: String,
    pub year: i32,
    pub title: String,
    #[serde(default)]
    pub publisher: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// Why it is worth reading, in a line.
    pub why: String,
}
