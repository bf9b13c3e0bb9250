//! Property tests that throw hostile text at the content parser, the Markdown renderer, the
//! WebVTT check and the archive reader: whatever comes in, they answer with problems, never a
//! panic. Bounded (`PROPTEST_CASES`, default 128 per property) so `cargo test` stays quick.

use proptest::prelude::*;

use super::parse::tests::minimal_tree;
use super::{parse, render, source, vtt};

const PAGE: &str = "modules/1-om-pakken/01-intro.md";

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text made of the pieces the parser looks for, in any order, with noise between.
fn content_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("+++\n".to_owned()),
        Just("```film\n".to_owned()),
        Just("```reflection\n".to_owned()),
        Just("```exercise\n".to_owned()),
        Just("```\n".to_owned()),
        Just("~~~\n".to_owned()),
        Just("id = \"q1\"\n".to_owned()),
        Just("question = \"Hva?\"\n".to_owned()),
        Just("title = \"T\"\n".to_owned()),
        Just("estimated_minutes = 99999999999\n".to_owned()),
        Just("estimated_minutes = -1\n".to_owned()),
        Just("subtitles = \"../../etc/passwd\"\n".to_owned()),
        Just("src = \"javascript:alert(1)\"\n".to_owned()),
        Just("src = \"films/f1.webm\"\n".to_owned()),
        Just("poster = \"films/../f1.jpg\"\n".to_owned()),
        Just("```exercise estimated_minutes=0\n".to_owned()),
        Just("```exercise estimated_minutes=99999999999 colour=red\n".to_owned()),
        Just("duration_seconds = 1e308\n".to_owned()),
        Just("<script>alert(1)</script>\n".to_owned()),
        Just("[lenke](javascript:x)\n".to_owned()),
        Just("# Overskrift\n".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("\r\n".to_owned()),
        Just("\0".to_owned()),
        "[ -~]{0,20}\n?",
        "\\PC{0,12}",
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn timestamp() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{2,20}:[0-5][0-9]:[0-5][0-9]\\.[0-9]{3}",
        "[0-9]{1,20}:[0-9]{1,3}:[0-9]{1,3}\\.[0-9]{1,4}",
        "[0-9]{2}:[0-9]{2}\\.[0-9]{3}",
        "[0-9:.]{0,12}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_page_text_gives_a_course_or_problems(page in content_like()) {
        let mut tree = minimal_tree();
        tree.files.insert(PAGE.to_owned(), page.into_bytes());
        let _ = parse::parse(&tree);
    }

    #[test]
    fn any_bytes_in_any_file_give_a_course_or_problems(
        file in prop_oneof![
            Just("course.toml"),
            Just("modules/1-om-pakken/module.toml"),
            Just(PAGE),
            Just("subtitles/f1.vtt"),
            Just("literature/literature.toml"),
            Just("modules/2-x/01-y.md"),
            Just("modules/1-om-pakken/999999999999-z.md"),
        ],
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut tree = minimal_tree();
        tree.files.insert(file.to_owned(), bytes);
        let _ = parse::parse(&tree);
    }

    #[test]
    fn any_markdown_renders_to_sanitised_html(markdown in content_like()) {
        let html = render::render_fragment(&markdown);
        prop_assert!(!html.to_ascii_lowercase().contains("<script"));
        let mut problems = Vec::new();
        let _ = render::render_page(PAGE, &markdown, 1, &mut problems);
    }

    #[test]
    fn any_subtitle_text_is_checked_without_panicking(
        text in "\\PC{0,200}",
        start in timestamp(),
        end in timestamp(),
        cue in "[ -~]{0,30}",
    ) {
        let _ = vtt::check(&text);
        let file = format!("WEBVTT\nLanguage: nb\n\n{start} --> {end}\n{cue}\n");
        let _ = vtt::check(&file);
    }

    #[test]
    fn any_archive_bytes_are_refused_or_read(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
        gzip_header in any::<bool>(),
    ) {
        let mut archive = bytes;
        if gzip_header {
            // A valid gzip magic so the tar reader sees the inflated garbage.
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut encoder, &archive).unwrap();
            archive = encoder.finish().unwrap();
        }
        let _ = source::from_tar_gz(&archive[..]);
    }
}
