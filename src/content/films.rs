//! The bundled films checked with a real media parser: each decodes, lasts what its block says
//! (within a second), and has no subtitle cue after its end.

use super::review::Findings;
use super::{vtt, ContentProblem, Course};
use crate::media::{probe, ProbeError};

/// What to do when ffprobe is not installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaCheck {
    /// Each bundled film is a problem: nothing unchecked is published (admin uploads, the CLI).
    Required,
    /// The films are taken unchecked, with a warning: the course that ships with the binary was
    /// checked in CI, and the quick start must work with Rust and PostgreSQL alone.
    SkipWithoutTool,
}

/// A film's real length may differ from its whole-second `duration_seconds` by this much.
const DURATION_TOLERANCE_SECONDS: f64 = 1.0;
/// A cue may end this much after the last frame (timestamps are rounded to milliseconds).
const CUE_SLACK_SECONDS: f64 = 0.05;

/// Probes every bundled film of the course (blocking: it runs ffprobe and ffmpeg).
pub fn verify(course: &Course, check: MediaCheck) -> Findings {
    let mut findings = Findings::default();
    for media in course.media.iter().filter(|m| m.kind.is_film()) {
        let probed = match probe::probe(&media.file, media.kind) {
            Ok(probed) => probed,
            Err(ProbeError::ToolMissing) if check == MediaCheck::SkipWithoutTool => {
                findings.warnings.push(ContentProblem::new(
                    &media.path,
                    None,
                    ProbeError::ToolMissing.to_string(),
                ));
                continue;
            }
            Err(error) => {
                findings
                    .problems
                    .push(ContentProblem::new(&media.path, None, error.to_string()));
                continue;
            }
        };
        let real = probed.duration_seconds;
        for used in &media.uses {
            if (f64::from(used.duration_seconds) - real).abs() > DURATION_TOLERANCE_SECONDS {
                findings.problems.push(ContentProblem::new(
                    &used.page,
                    Some(used.line),
                    format!(
                        "film block: duration_seconds is {} but {} lasts {real:.1} s (write {})",
                        used.duration_seconds,
                        media.path,
                        real.round()
                    ),
                ));
            }
            let Some((_, text)) = course.subtitles.iter().find(|(n, _)| *n == used.subtitles)
            else {
                continue;
            };
            let limit = real + CUE_SLACK_SECONDS;
            if let Some(cue) = vtt::cues(text)
                .into_iter()
                .find(|c| c.end_ms as f64 / 1000.0 > limit)
            {
                findings.problems.push(ContentProblem::new(
                    format!("subtitles/{}", used.subtitles),
                    Some(cue.line),
                    format!(
                        "the cue ends at {:.3} s, after the end of {} ({real:.3} s)",
                        cue.end_ms as f64 / 1000.0,
                        media.path
                    ),
                ));
            }
        }
    }
    findings
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use super::*;
    use crate::content::parse::tests::minimal_tree;
    use crate::content::service::check;
    use crate::content::source::{SourceTree, Spool};
    use crate::media::MediaFile;

    const PAGE: &str = "modules/1-om-pakken/01-intro.md";

    /// Runs ffmpeg to make test media; fails (never skips) when it is not installed.
    pub fn ffmpeg(args: &[&str], out: &Path) {
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y"])
            .args(args)
            .arg(out)
            .status()
            .unwrap_or_else(|e| {
                panic!("these tests make films with ffmpeg, which could not run ({e}): apt-get install ffmpeg")
            });
        assert!(status.success(), "ffmpeg {args:?} failed");
    }

    /// A real film of `seconds`, tiny: VP9 and Opus in WebM, or H.264 and AAC in MP4.
    pub fn film(dir: &Path, name: &str, seconds: u32) -> PathBuf {
        let out = dir.join(name);
        let time = seconds.to_string();
        let mut args = vec![
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x90:rate=5",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            &time,
        ];
        if name.ends_with(".webm") {
            args.extend([
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-c:a",
                "libopus",
            ]);
        } else {
            args.extend(["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]);
        }
        ffmpeg(&args, &out);
        out
    }

    /// The minimal course with its film played from `films/f1.<ext>`, declared `declared` s long.
    fn tree_with(file: &Path, extension: &str, declared: u32, vtt_end: &str) -> SourceTree {
        let mut tree = minimal_tree();
        let page = String::from_utf8(tree.files[PAGE].clone()).unwrap();
        let page = page
            .replace(
                "src = \"https://v.example/f.mp4\"",
                &format!("src = \"films/f1.{extension}\""),
            )
            .replace(
                "duration_seconds = 10",
                &format!("duration_seconds = {declared}"),
            );
        tree.files.insert(PAGE.into(), page.into_bytes());
        tree.files.insert(
            "subtitles/f1.vtt".into(),
            format!("WEBVTT\nLanguage: nb\n\n00:00.000 --> {vtt_end}\n<v Anne>Hei</v>\n")
                .into_bytes(),
        );
        tree.media.insert(
            format!("films/f1.{extension}"),
            MediaFile::hash(file).unwrap(),
        );
        tree
    }

    fn problems(tree: &SourceTree) -> Vec<String> {
        match check(tree, MediaCheck::Required).course {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn real_films_pass_when_duration_and_cues_fit() {
        let spool = Spool::new().unwrap();
        for name in ["a.webm", "a.mp4"] {
            let path = film(&spool.dir, name, 3);
            let extension = name.rsplit_once('.').unwrap().1;
            let tree = tree_with(&path, extension, 3, "00:02.900");
            assert_eq!(problems(&tree), Vec::<String>::new(), "{name}");
            let probed = probe::probe(
                &tree.media[&format!("films/f1.{extension}")],
                crate::media::kind_of_path(&format!("films/f1.{extension}")).unwrap(),
            )
            .unwrap();
            assert!((probed.duration_seconds - 3.0).abs() < 0.2, "{probed:?}");
            assert!(
                probed.streams.iter().any(|(t, _)| t == "video"),
                "{probed:?}"
            );
        }
    }

    #[test]
    fn a_wrong_duration_and_a_cue_after_the_end_are_problems() {
        let spool = Spool::new().unwrap();
        let path = film(&spool.dir, "b.webm", 3);
        let found = problems(&tree_with(&path, "webm", 5, "00:03.500"));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with(&format!("{PAGE}:8: film block: duration_seconds is 5 but films/f1.webm lasts 3.0 s (write 3)")),
            "{found:?}"
        );
        assert!(
            found[1].starts_with(
                "subtitles/f1.vtt:4: the cue ends at 3.500 s, after the end of films/f1.webm"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn files_that_are_not_playable_films_are_problems() {
        let spool = Spool::new().unwrap();
        // Random bytes named .webm; the first half of a real film; MPEG-4 video in a .webm.
        let garbage = spool.dir.join("garbage.webm");
        std::fs::write(
            &garbage,
            (0..50_000u32)
                .map(|i| (i * 7 % 251) as u8)
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let real = film(&spool.dir, "c.webm", 3);
        let bytes = std::fs::read(&real).unwrap();
        let cut = spool.dir.join("cut.webm");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let wrong_codec = spool.dir.join("mpeg4.webm");
        ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=160x90:rate=5",
                "-t",
                "2",
                "-c:v",
                "mpeg4",
                "-f",
                "matroska",
            ],
            &wrong_codec,
        );
        for (path, expected) in [
            (&garbage, "films/f1.webm: is not a film ffprobe can read"),
            (&cut, "films/f1.webm: does not decode to the end"),
            (
                &wrong_codec,
                "films/f1.webm: has a video stream in mpeg4, which browsers do not play",
            ),
        ] {
            let found = problems(&tree_with(path, "webm", 3, "00:01.000"));
            assert!(
                found.iter().any(|p| p.starts_with(expected)),
                "{}: {found:?}",
                path.display()
            );
        }
    }
}
