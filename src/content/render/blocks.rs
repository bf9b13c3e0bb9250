//! The special fenced blocks of a page read into structured blocks: a film, a reflection
//! question, the minutes of an exercise. Each problem is reported at the block's line.

use serde::Deserialize;

use crate::content::{Block, ContentProblem, DEFAULT_EXERCISE_MINUTES};
use crate::media::{self, MediaKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilmSpec {
    id: String,
    title: String,
    src: String,
    subtitles: String,
    duration_seconds: u32,
    #[serde(default)]
    transcript: Option<String>,
    #[serde(default)]
    poster: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReflectionSpec {
    id: String,
    question: String,
}

/// The minutes an exercise declares in its info string (```` ```exercise estimated_minutes=20 ````),
/// or the default.
pub(super) fn exercise_minutes(
    file: &str,
    line: usize,
    info: &str,
    problems: &mut Vec<ContentProblem>,
) -> Option<u32> {
    let mut minutes = DEFAULT_EXERCISE_MINUTES;
    let mut ok = true;
    for attribute in info.split_whitespace().skip(1) {
        let problem = match attribute.split_once('=') {
            Some(("estimated_minutes", value)) => match value.parse::<u32>() {
                Ok(n) if (1..=600).contains(&n) => {
                    minutes = n;
                    None
                }
                _ => Some(format!(
                    "exercise block: estimated_minutes must be a whole number of minutes from 1 to 600, not {value:?}"
                )),
            },
            _ => Some(format!(
                "exercise block: unknown attribute {attribute:?} (only estimated_minutes=<minutes>)"
            )),
        };
        if let Some(message) = problem {
            problems.push(ContentProblem::new(file, Some(line), message));
            ok = false;
        }
    }
    ok.then_some(minutes)
}

pub(super) fn parse_film(
    file: &str,
    line: usize,
    inner: &str,
    problems: &mut Vec<ContentProblem>,
) -> Option<Block> {
    let spec: FilmSpec = match toml::from_str(inner) {
        Ok(spec) => spec,
        Err(e) => {
            problems.push(ContentProblem::new(
                file,
                Some(line),
                format!("film block: {}", toml_message(&e)),
            ));
            return None;
        }
    };
    let mut ok = check_id(file, line, "film", &spec.id, problems);
    let bundled = media::kind_of_path(&spec.src).is_some_and(MediaKind::is_film);
    let url = spec.src.starts_with("https://") && url::Url::parse(&spec.src).is_ok();
    if !bundled && !url {
        problems.push(ContentProblem::new(
            file,
            Some(line),
            "film block: src must be an https URL or a film of the content tree \
             (films/<name>.webm or films/<name>.mp4)",
        ));
        ok = false;
    }
    if let Some(poster) = &spec.poster {
        if media::kind_of_path(poster).is_none_or(MediaKind::is_film) {
            problems.push(ContentProblem::new(
                file,
                Some(line),
                "film block: poster must name an image of the content tree \
                 (films/<name>.jpg, .png or .webp)",
            ));
            ok = false;
        }
    }
    if spec
        .transcript
        .as_deref()
        .is_none_or(|t| t.trim().is_empty())
    {
        problems.push(ContentProblem::new(
            file,
            Some(line),
            "film block: transcript is required: every word spoken in the film, with who speaks",
        ));
        ok = false;
    }
    if !spec.subtitles.ends_with(".vtt")
        || spec.subtitles.contains('/')
        || spec.subtitles.contains("..")
    {
        problems.push(ContentProblem::new(
            file,
            Some(line),
            "film block: subtitles must name a .vtt file in content/subtitles/",
        ));
        ok = false;
    }
    if spec.duration_seconds == 0 || spec.duration_seconds > 4 * 3600 {
        problems.push(ContentProblem::new(
            file,
            Some(line),
            "film block: duration_seconds must be 1 to 14400",
        ));
        ok = false;
    }
    if spec.title.trim().is_empty() {
        problems.push(ContentProblem::new(
            file,
            Some(line),
            "film block: title must not be empty",
        ));
        ok = false;
    }
    ok.then(|| Block::Film {
        subtitles_url: format!("/api/v1/subtitles/{}", spec.subtitles),
        id: spec.id,
        title: spec.title,
        src: spec.src,
        subtitles: spec.subtitles,
        duration_seconds: spec.duration_seconds,
        transcript: spec.transcript.map(|t| t.trim().to_owned()),
        content_type: None,
        size_bytes: None,
        // The file's path until the parser resolves it to its URL.
        poster_url: spec.poster,
    })
}

pub(super) fn parse_reflection(
    file: &str,
    line: usize,
    inner: &str,
    problems: &mut Vec<ContentProblem>,
) -> Option<Block> {
    let spec: ReflectionSpec = match toml::from_str(inner) {
        Ok(spec) => spec,
        Err(e) => {
            problems.push(ContentProblem::new(
                file,
                Some(line),
                format!("reflection block: {}", toml_message(&e)),
            ));
            return None;
        }
    };
    let mut ok = check_id(file, line, "reflection", &spec.id, problems);
    if spec.question.trim().is_empty() {
        problems.push(ContentProblem::new(
            file,
            Some(line),
            "reflection block: question must not be empty",
        ));
        ok = false;
    }
    ok.then_some(Block::Reflection {
        id: spec.id,
        question: spec.question.trim().to_owned(),
    })
}

pub fn toml_message(error: &toml::de::Error) -> String {
    error.message().to_owned()
}

/// Ids are stable keys (answers refer to them): lowercase letters, digits and hyphens.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

fn check_id(
    file: &str,
    line: usize,
    kind: &str,
    id: &str,
    problems: &mut Vec<ContentProblem>,
) -> bool {
    let ok = is_valid_id(id);
    if !ok {
        problems.push(ContentProblem::new(
            file,
            Some(line),
            format!("{kind} block: id {id:?} must be 1–64 lowercase letters, digits and hyphens"),
        ));
    }
    ok
}
