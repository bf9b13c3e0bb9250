//! The course: markdown under `content/` parsed, checked and rendered into immutable revisions,
//! of which one is published at a time.

pub mod estimate;
pub mod films;
pub mod parse;
pub mod render;
pub mod review;
pub mod routes;
pub mod service;
pub mod source;
pub mod spelling;
pub mod store;
pub mod vtt;

// What the learning path uses of the course.
pub use store::{current_revision_id, Revision, RevisionModule, RevisionPage};

#[cfg(test)]
mod fuzz;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::media::{MediaFile, MediaKind};

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
#[derive(Debug, Clone)]
pub struct Course {
    /// The written form of this text: the course's first (bokmål), or a translation's.
    pub language: crate::language::Language,
    pub title: String,
    pub description: String,
    pub modules: Vec<Module>,
    pub literature: Literature,
    /// Subtitle files by name (`<film>.vtt`), as text.
    pub subtitles: Vec<(String, String)>,
    /// The files of `films/` the course uses, each once.
    pub media: Vec<CourseMedia>,
    /// The course in its other written forms (nynorsk): the same modules, pages, blocks and
    /// films, with their own text. Empty in a translation.
    pub translations: Vec<Course>,
}

#[derive(Debug, Clone)]
pub struct Module {
    pub number: i32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub skippable: bool,
    pub estimated_minutes: i32,
    pub outcomes: Outcomes,
    pub pages: Vec<Page>,
    /// `modules/<n>-<slug>/module.toml`, for reports.
    pub file: String,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub slug: String,
    pub title: String,
    pub estimated_minutes: i32,
    /// Sanitised HTML; each structured block stands in it as
    /// `<div class="block" data-block-type="…" data-block-id="…"></div>`.
    pub html: String,
    pub blocks: Vec<Block>,
    /// The page's file in the tree, and the line each block starts on, for reports.
    pub file: String,
    pub block_lines: Vec<usize>,
    /// Words of prose (outside fenced blocks), for the reading-time estimate.
    pub words: usize,
}

/// What a module teaches, in the three kinds of learning outcome of the Norwegian
/// qualifications framework.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcomes {
    /// Kunnskap: what the mentor knows after the module.
    pub knowledge: Vec<String>,
    /// Ferdigheter: what the mentor can do.
    pub skills: Vec<String>,
    /// Generell kompetanse: how the mentor can think and work.
    pub general_competence: Vec<String>,
}

/// A file of the tree's `films/` that the course uses, with the film blocks that play it.
#[derive(Debug, Clone)]
pub struct CourseMedia {
    /// `films/<name>.<ext>`
    pub path: String,
    pub kind: MediaKind,
    pub file: MediaFile,
    pub uses: Vec<FilmUse>,
}

/// A film block that plays a bundled file: where it is and what it declares.
#[derive(Debug, Clone)]
pub struct FilmUse {
    pub page: String,
    pub line: usize,
    pub duration_seconds: u32,
    pub subtitles: String,
}

/// Minutes an exercise takes when it does not say.
pub const DEFAULT_EXERCISE_MINUTES: u32 = 10;

fn default_exercise_minutes() -> u32 {
    DEFAULT_EXERCISE_MINUTES
}

/// A structured block of a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Film {
        id: String,
        title: String,
        /// What to play: an https URL, or, for a film the course carries, its public URL on this
        /// service (`/api/v1/media/{sha256}.webm`, with range requests).
        src: String,
        /// The subtitle file's name; fetch it from `/api/v1/subtitles/{name}`.
        subtitles: String,
        /// Norwegian (bokmål) WebVTT subtitles.
        subtitles_url: String,
        duration_seconds: u32,
        /// Everything said in the film, with who says it, and the text shown in it.
        transcript: Option<String>,
        /// The file's MIME type, for a film the course carries (null for an external URL).
        #[serde(default)]
        content_type: Option<String>,
        /// The file's size in bytes, for a film the course carries: shown before a mentor on
        /// mobile data plays it.
        #[serde(default)]
        size_bytes: Option<u64>,
        /// A still image shown before the film plays (`/api/v1/media/{sha256}.jpg`), if any.
        #[serde(default)]
        poster_url: Option<String>,
    },
    Reflection {
        id: String,
        question: String,
    },
    Exercise {
        id: String,
        /// Sanitised HTML of the exercise text.
        html: String,
        /// About how long the exercise takes (10 unless the content says).
        #[serde(default = "default_exercise_minutes")]
        estimated_minutes: u32,
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
