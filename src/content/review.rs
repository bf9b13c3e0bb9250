//! Checks of a parsed course that look across files: subtitles against their film (cues inside
//! the film, readable cues), transcripts against subtitles (every spoken word there), and the
//! declared minutes against the estimate. Problems block publishing; warnings are for the author.

use super::{estimate, vtt, Block, ContentProblem, Course};

/// What a check found.
#[derive(Debug, Default)]
pub struct Findings {
    pub problems: Vec<ContentProblem>,
    pub warnings: Vec<ContentProblem>,
}

impl Findings {
    pub fn extend(&mut self, other: Findings) {
        self.problems.extend(other.problems);
        self.warnings.extend(other.warnings);
    }
}

/// Declared durations are whole seconds: a cue may end within this much after them.
const DURATION_SLACK_MS: u64 = 1000;

pub fn review(course: &Course) -> Findings {
    let mut findings = Findings::default();
    let subtitles = |name: &str| {
        course
            .subtitles
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, text)| text.as_str())
    };
    for (name, text) in &course.subtitles {
        for (line, message) in vtt::readability(text) {
            findings.warnings.push(ContentProblem::new(
                format!("subtitles/{name}"),
                Some(line),
                message,
            ));
        }
    }
    for page in course.modules.iter().flat_map(|m| &m.pages) {
        for (block, line) in page.blocks.iter().zip(&page.block_lines) {
            let Block::Film {
                subtitles: name,
                duration_seconds,
                transcript,
                ..
            } = block
            else {
                continue;
            };
            let Some(text) = subtitles(name) else {
                continue;
            };
            let cues = vtt::cues(text);
            let limit = u64::from(*duration_seconds) * 1000 + DURATION_SLACK_MS;
            if let Some(cue) = cues.iter().find(|c| c.end_ms > limit) {
                findings.problems.push(ContentProblem::new(
                    format!("subtitles/{name}"),
                    Some(cue.line),
                    format!(
                        "the cue ends at {}, after the film's duration_seconds = {duration_seconds} ({}:{line})",
                        clock(cue.end_ms),
                        page.file
                    ),
                ));
            }
            if let Some(missing) =
                missing_from_transcript(&cues, transcript.as_deref().unwrap_or(""))
            {
                findings.warnings.push(ContentProblem::new(
                    &page.file,
                    Some(*line),
                    format!(
                        "film block: the transcript lacks words spoken in the film (from {missing:?} in subtitles/{name}); it should hold every word"
                    ),
                ));
            }
        }
    }
    findings.warnings.extend(estimate::warnings(course));
    findings
}

fn clock(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The first subtitle word (with a little context) that the transcript does not have in the
/// same order; `None` when the transcript holds every word of the subtitles.
fn missing_from_transcript(cues: &[vtt::Cue], transcript: &str) -> Option<String> {
    let spoken: Vec<String> = cues
        .iter()
        .flat_map(|c| c.text.iter())
        .flat_map(|line| words(&vtt::strip_tags(line)))
        .collect();
    let written = words(transcript);
    let mut at = 0;
    for (index, word) in spoken.iter().enumerate() {
        match written[at..].iter().position(|w| w == word) {
            Some(found) => at += found + 1,
            None => {
                let end = (index + 4).min(spoken.len());
                return Some(spoken[index..end].join(" "));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::parse::{self, tests::minimal_tree};

    const PAGE: &str = "modules/1-om-pakken/01-intro.md";

    fn review_tree(tree: &crate::content::source::SourceTree) -> Findings {
        review(&parse::parse(tree).unwrap())
    }

    #[test]
    fn the_minimal_course_has_only_minute_warnings() {
        let findings = review_tree(&minimal_tree());
        assert!(findings.problems.is_empty(), "{:?}", findings.problems);
        assert!(
            findings
                .warnings
                .iter()
                .all(|w| w.message.starts_with("declared")),
            "{:?}",
            findings.warnings
        );
    }

    #[test]
    fn cues_after_the_film_are_problems_and_hard_reading_is_warned() {
        let mut tree = minimal_tree();
        tree.files.insert(
            "subtitles/f1.vtt".into(),
            b"WEBVTT\nLanguage: nb\n\n00:00.000 --> 00:02.000\n<v Anne>Hei</v>\n\n00:02.000 --> 00:03.000\n<v Anne>Dette er altfor mye tekst for ett eneste sekund</v>\n\n00:09.000 --> 00:11.500\n<v Anne>Hei</v>\n"
                .to_vec(),
        );
        let findings = review_tree(&tree);
        let problems: Vec<String> = findings.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("subtitles/f1.vtt:10: the cue ends at 00:00:11.500, after the film's duration_seconds = 10"),
            "{problems:?}"
        );
        let warnings: Vec<String> = findings.warnings.iter().map(ToString::to_string).collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("subtitles/f1.vtt:7: a subtitle line has 47 characters")),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("subtitles/f1.vtt:7: the cue must be read at 47.0")),
            "{warnings:?}"
        );
    }

    #[test]
    fn a_transcript_must_hold_every_spoken_word() {
        let mut tree = minimal_tree();
        tree.files.insert(
            "subtitles/f1.vtt".into(),
            b"WEBVTT\nLanguage: nb\n\n00:00.000 --> 00:02.000\n<v Anne>Hei, Per.</v>\n\n00:02.000 --> 00:05.000\n<v Per>Hei, Anne. Hvordan har du det?</v>\n".to_vec(),
        );
        let page = String::from_utf8(tree.files[PAGE].clone()).unwrap();
        let with = |transcript: &str| {
            let mut tree = tree.clone();
            let text = page.replace(
                "transcript = \"Anne: Hei\"\n",
                &format!("transcript = {transcript:?}\n"),
            );
            tree.files.insert(PAGE.into(), text.into_bytes());
            review_tree(&tree)
                .warnings
                .into_iter()
                .filter(|w| w.message.contains("transcript"))
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
        };
        assert!(with("Anne: Hei, Per.\nPer: Hei, Anne. Hvordan har du det?").is_empty());
        let summary = with("Anne og Per hilser på hverandre.");
        assert_eq!(summary.len(), 1, "{summary:?}");
        assert!(
            summary[0].contains("from \"hei per hei anne\""),
            "{summary:?}"
        );
    }
}
