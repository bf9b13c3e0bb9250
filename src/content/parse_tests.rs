//! Tests of the content parser, with a minimal course to build on.

use super::*;
use crate::content::films::MediaCheck;
use crate::content::Block;

/// Every problem `parse` finds in `tree`, one a line as `content check` prints them.
fn problems_of(tree: &SourceTree) -> String {
    let problems = parse(tree).expect_err("the tree has problems");
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn minimal_tree() -> SourceTree {
    let mut tree = SourceTree::new();
    let mut put = |path: &str, text: &str| {
        tree.files.insert(path.to_owned(), text.as_bytes().to_vec());
    };
    put(
        "course.toml",
        "title = \"Kurs\"\ndescription = \"Et kurs\"\n",
    );
    put("modules/1-om-pakken/module.toml", "number = 1\ntitle = \"Om pakken\"\nsummary = \"s\"\nskippable = true\nestimated_minutes = 30\n\n[outcomes]\nknowledge = [\"k\"]\nskills = [\"s\"]\ngeneral_competence = [\"g\"]\n");
    put(
        "modules/1-om-pakken/01-intro.md",
        "+++\ntitle = \"Intro\"\nestimated_minutes = 30\n+++\n\nTekst\n\n```film\nid = \"f1\"\ntitle = \"F\"\nsrc = \"https://v.example/f.mp4\"\nsubtitles = \"f1.vtt\"\nduration_seconds = 10\ntranscript = \"Anne: Hei\"\n```\n\n```reflection\nid = \"q1\"\nquestion = \"Hva?\"\n```\n",
    );
    put(
        "subtitles/f1.vtt",
        "WEBVTT\nLanguage: nb\n\n00:00.000 --> 00:02.000\nHei\n",
    );
    put(
        "literature/literature.toml",
        "title = \"Litteratur\"\nintro = \"Les\"\n[[references]]\nauthors = \"A\"\nyear = 2020\ntitle = \"T\"\nwhy = \"Fordi\"\n",
    );
    tree
}

#[test]
fn a_minimal_course_parses() {
    let course = parse(&minimal_tree()).unwrap();
    assert_eq!(course.modules.len(), 1);
    assert_eq!(course.modules[0].pages[0].blocks.len(), 2);
    assert_eq!(course.subtitles.len(), 1);
}

#[test]
fn every_problem_is_listed_with_file_and_line() {
    let mut tree = minimal_tree();
    // A film without its subtitle file, a page without a reflection question, a repeated slug,
    // bad front matter and a wrong minute sum.
    tree.files.remove("subtitles/f1.vtt");
    tree.files.insert(
        "modules/1-om-pakken/02-intro.md".into(),
        b"+++\ntitle = \"Igjen\"\nestimated_minutes = 5\n+++\nIngen sporsmal\n".to_vec(),
    );
    tree.files.insert(
        "modules/1-om-pakken/03-tredje.md".into(),
        b"+++\ntitle = 5\n+++\n".to_vec(),
    );
    let all = problems_of(&tree);
    assert!(all.contains("modules/1-om-pakken/01-intro.md:8: the film's subtitle file subtitles/f1.vtt does not exist"), "{all}");
    assert!(
        all.contains("02-intro.md: the page has no reflection question"),
        "{all}"
    );
    assert!(all.contains("page slug \"intro\" repeats"), "{all}");
    assert!(all.contains("03-tredje.md:2: front matter"), "{all}");
    assert!(
        all.contains("estimated_minutes is 30 but the pages add up to 35"),
        "{all}"
    );
}

#[test]
fn subtitles_must_be_norwegian_webvtt() {
    let mut tree = minimal_tree();
    tree.files.insert(
        "subtitles/f1.vtt".into(),
        b"WEBVTT\nLanguage: en\n\n00:00.000 --> 00:02.000\nHi\n".to_vec(),
    );
    let problems = parse(&tree).unwrap_err();
    assert!(problems
        .iter()
        .any(|p| p.file == "subtitles/f1.vtt" && p.message.contains("Norwegian")));
}

#[test]
fn the_bundled_course_is_valid() {
    assert!(
        crate::media::probe::available(),
        "the bundled films are checked with ffprobe: apt-get install ffmpeg"
    );
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/content"));
    let tree = crate::content::source::from_dir(dir).unwrap();
    let checked = crate::content::service::check(&tree, MediaCheck::Required);
    let list = |found: &[ContentProblem]| {
        found
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let course = match checked.course {
        Ok(course) => course,
        Err(problems) => panic!("{}", list(&problems)),
    };
    // Subtitles readable, transcripts complete and every page's minutes honest: no warning.
    assert!(checked.warnings.is_empty(), "{}", list(&checked.warnings));
    assert_eq!(course.modules.len(), 4);
    assert!(course.modules[0].skippable && !course.modules[1].skippable);
    for module in &course.modules {
        assert!(
            module.pages.len() >= 4,
            "module {} has {} pages",
            module.number,
            module.pages.len()
        );
        assert!(
            !module.outcomes.knowledge.is_empty(),
            "module {}",
            module.number
        );
    }
    let minutes: i32 = course.modules.iter().map(|m| m.estimated_minutes).sum();
    assert!(
        (840..=960).contains(&minutes),
        "about 15 hours, not {minutes} minutes"
    );
    assert!(course.literature.references.len() >= 10);
    // Every film is carried by the course, with a poster.
    let films: Vec<&Block> = course
        .modules
        .iter()
        .flat_map(|m| &m.pages)
        .flat_map(|p| &p.blocks)
        .filter(|b| matches!(b, Block::Film { .. }))
        .collect();
    assert_eq!(films.len(), 6);
    for film in films {
        let Block::Film {
            id,
            src,
            poster_url,
            ..
        } = film
        else {
            unreachable!()
        };
        assert!(src.starts_with("/api/v1/media/"), "{id}: {src}");
        assert!(poster_url.is_some(), "{id} has a poster");
    }
}

/// All bundled films and posters together stay within the budget, so the repository, the
/// image and a first visit stay small.
#[test]
fn the_bundled_media_stay_within_15_mb() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/content/films"));
    let total: u64 = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(
        total <= 15_000_000,
        "content/films holds {total} bytes; the budget is 15 MB"
    );
}

fn with_page(tree: &mut SourceTree, replace: &str, by: &str) {
    let page = "modules/1-om-pakken/01-intro.md";
    let text = String::from_utf8(tree.files[page].clone()).unwrap();
    assert!(text.contains(replace), "{replace}");
    tree.files
        .insert(page.into(), text.replace(replace, by).into_bytes());
}

fn problem_texts(tree: &SourceTree) -> Vec<String> {
    parse(tree)
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn exercises_declare_their_minutes_in_the_info_string() {
    let mut tree = minimal_tree();
    with_page(
        &mut tree,
        "```reflection",
        "```exercise estimated_minutes=20\nGjør det\n```\n\n```exercise\nOgså dette\n```\n\n```reflection",
    );
    let course = parse(&tree).unwrap();
    let minutes: Vec<u32> = course.modules[0].pages[0]
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Exercise {
                estimated_minutes, ..
            } => Some(*estimated_minutes),
            _ => None,
        })
        .collect();
    assert_eq!(minutes, vec![20, 10]);
    for (info, reason) in [
        ("estimated_minutes=0", "from 1 to 600, not \"0\""),
        ("estimated_minutes=601", "from 1 to 600, not \"601\""),
        ("estimated_minutes=1.5", "from 1 to 600, not \"1.5\""),
        ("estimated_minutes=", "from 1 to 600, not \"\""),
        ("minutes=5", "unknown attribute \"minutes=5\""),
        (
            "estimated_minutes=5 colour=red",
            "unknown attribute \"colour=red\"",
        ),
    ] {
        let mut tree = minimal_tree();
        with_page(
            &mut tree,
            "```reflection",
            &format!("```exercise {info}\nGjør det\n```\n\n```reflection"),
        );
        let found = problem_texts(&tree);
        assert!(
            found.iter().any(|p| p
                .starts_with("modules/1-om-pakken/01-intro.md:17: exercise block:")
                && p.contains(reason)),
            "{info}: {found:?}"
        );
    }
}

#[test]
fn modules_must_state_their_outcomes() {
    let manifest = "modules/1-om-pakken/module.toml";
    let original = String::from_utf8(minimal_tree().files[manifest].clone()).unwrap();
    let course = parse(&minimal_tree()).unwrap();
    assert_eq!(
        course.modules[0].outcomes,
        Outcomes {
            knowledge: vec!["k".into()],
            skills: vec!["s".into()],
            general_competence: vec!["g".into()]
        }
    );
    let without = original[..original.find("[outcomes]").unwrap()].to_owned();
    for (text, expected) in [
        (without.clone(), "[outcomes] is missing"),
        (
            original.replace("skills = [\"s\"]", "skills = []"),
            "outcomes.skills must list at least one",
        ),
        (
            original.replace("knowledge = [\"k\"]", "knowledge = [\" \"]"),
            "outcomes.knowledge has an empty entry",
        ),
        (
            format!("{original}attitudes = [\"a\"]\n"),
            "unknown field `attitudes`",
        ),
    ] {
        let mut tree = minimal_tree();
        tree.files.insert(manifest.into(), text.into_bytes());
        let found = problem_texts(&tree);
        assert!(
            found
                .iter()
                .any(|p| p.starts_with(manifest) && p.contains(expected)),
            "{expected}: {found:?}"
        );
    }
}

fn media_file(bytes: &[u8]) -> crate::media::MediaFile {
    use sha2::Digest;
    crate::media::MediaFile {
        location: "/nonexistent".into(),
        size: bytes.len() as u64,
        sha256: crate::media::hex(&sha2::Sha256::digest(bytes)),
        head: bytes[..bytes.len().min(16)].to_vec(),
    }
}

const JPEG: &[u8] = &[0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F', b'I', b'F'];

#[test]
fn a_bundled_film_gets_its_url_type_size_and_poster() {
    let mut tree = minimal_tree();
    with_page(
        &mut tree,
        "src = \"https://v.example/f.mp4\"",
        "src = \"films/f1.webm\"\nposter = \"films/f1.jpg\"",
    );
    let film = media_file(b"\x1a\x45\xdf\xa3 a webm, for the parser's purposes");
    tree.media.insert("films/f1.webm".into(), film.clone());
    tree.media.insert("films/f1.jpg".into(), media_file(JPEG));
    let course = parse(&tree).unwrap();
    let Block::Film {
        src,
        content_type,
        size_bytes,
        poster_url,
        ..
    } = &course.modules[0].pages[0].blocks[0]
    else {
        panic!("a film first")
    };
    assert_eq!(src, &format!("/api/v1/media/{}.webm", film.sha256));
    assert_eq!(content_type.as_deref(), Some("video/webm"));
    assert_eq!(*size_bytes, Some(film.size));
    assert_eq!(
        poster_url.as_deref(),
        Some(format!("/api/v1/media/{}.jpg", media_file(JPEG).sha256).as_str())
    );
    assert_eq!(course.media.len(), 2);
    let uses = &course
        .media
        .iter()
        .find(|m| m.path == "films/f1.webm")
        .unwrap()
        .uses;
    assert_eq!(uses.len(), 1);
    assert_eq!((uses[0].line, uses[0].duration_seconds), (8, 10));
}

#[test]
fn missing_unused_and_misnamed_media_are_problems() {
    let mut tree = minimal_tree();
    with_page(
        &mut tree,
        "src = \"https://v.example/f.mp4\"",
        "src = \"films/nope.webm\"\nposter = \"films/nope.png\"",
    );
    tree.media
        .insert("films/unused.mp4".into(), media_file(b"x"));
    tree.media
        .insert("films/Stor.webm".into(), media_file(b"x"));
    tree.media
        .insert("films/poster.txt".into(), media_file(b"x"));
    let found = problem_texts(&tree);
    for expected in [
        "modules/1-om-pakken/01-intro.md:8: the film's file films/nope.webm does not exist",
        "modules/1-om-pakken/01-intro.md:8: the film's poster films/nope.png does not exist",
        "films/unused.mp4: no film uses this file",
        "films/Stor.webm: unexpected file in films/",
        "films/poster.txt: unexpected file in films/",
    ] {
        assert!(
            found.iter().any(|p| p.starts_with(expected)),
            "{expected}: {found:?}"
        );
    }
    // A poster that is not the image its name says, and sources that are neither kind.
    let mut tree = minimal_tree();
    with_page(
        &mut tree,
        "src = \"https://v.example/f.mp4\"",
        "src = \"https://v.example/f.mp4\"\nposter = \"films/p.png\"",
    );
    tree.media.insert("films/p.png".into(), media_file(JPEG));
    assert!(problem_texts(&tree)
        .iter()
        .any(|p| p == "films/p.png: is not a png image"));
    for src in [
        "http://v.example/f.mp4",
        "films/f1.jpg",
        "films/../f1.webm",
        "/etc/passwd",
        "films/f1.mkv",
    ] {
        let mut tree = minimal_tree();
        with_page(
            &mut tree,
            "src = \"https://v.example/f.mp4\"",
            &format!("src = {src:?}"),
        );
        assert!(
            problem_texts(&tree)
                .iter()
                .any(|p| p.contains("src must be an https URL or a film of the content tree")),
            "{src}"
        );
    }
}

#[test]
fn films_need_a_transcript() {
    let mut tree = minimal_tree();
    with_page(&mut tree, "transcript = \"Anne: Hei\"\n", "");
    assert!(problem_texts(&tree)
        .iter()
        .any(|p| p.contains("film block: transcript is required")));
}

/// The minimal course in bokmål and nynorsk.
pub fn two_form_tree() -> SourceTree {
    let mut tree = minimal_tree();
    let mut put = |path: &str, text: &str| {
        tree.files.insert(path.to_owned(), text.as_bytes().to_vec());
    };
    put(
        "course.toml",
        "languages = [\"nb\", \"nn\"]\ntitle = \"Kurs\"\ndescription = \"Et kurs\"\n",
    );
    put(
        "course.nn.toml",
        "title = \"Kurs\"\ndescription = \"Eit kurs\"\n",
    );
    put("modules/1-om-pakken/module.nn.toml", "number = 1\ntitle = \"Om pakken\"\nsummary = \"s\"\nskippable = true\nestimated_minutes = 30\n\n[outcomes]\nknowledge = [\"k\"]\nskills = [\"s\"]\ngeneral_competence = [\"g\"]\n");
    put(
        "modules/1-om-pakken/01-intro.nn.md",
        "+++\ntitle = \"Innleiing\"\nestimated_minutes = 30\n+++\n\nTekst\n\n```film\nid = \"f1\"\ntitle = \"F\"\nsrc = \"https://v.example/f.mp4\"\nsubtitles = \"f1.vtt\"\nduration_seconds = 10\ntranscript = \"Anne: Hei\"\n```\n\n```reflection\nid = \"q1\"\nquestion = \"Kva?\"\n```\n",
    );
    put(
        "subtitles/f1.nn.vtt",
        "WEBVTT\nLanguage: nn\n\n00:00.000 --> 00:02.000\nHei\n",
    );
    put(
        "literature/literature.nn.toml",
        "title = \"Litteratur\"\nintro = \"Les\"\n[[references]]\nauthors = \"A\"\nyear = 2020\ntitle = \"T\"\nwhy = \"Difor\"\n",
    );
    put("words.txt", "Anne\n");
    tree
}

#[test]
fn a_course_in_two_forms_parses_with_one_structure() {
    let course = parse(&two_form_tree()).unwrap();
    assert_eq!(course.language, Language::Bokmal);
    let nn = &course.translations[0];
    assert_eq!(nn.language, Language::Nynorsk);
    assert_eq!(nn.description, "Eit kurs");
    let page = &nn.modules[0].pages[0];
    assert_eq!(page.title, "Innleiing");
    assert_eq!(page.file, "modules/1-om-pakken/01-intro.nn.md");
    let Block::Film { subtitles_url, .. } = &page.blocks[0] else {
        panic!("a film first");
    };
    assert_eq!(subtitles_url, "/api/v1/subtitles/f1.vtt?language=nn");
    assert!(nn.subtitles[0].1.contains("Language: nn"));
}

#[test]
fn a_missing_or_stray_variant_is_named() {
    let mut tree = two_form_tree();
    tree.files.remove("modules/1-om-pakken/01-intro.nn.md");
    tree.files.insert(
        "modules/1-om-pakken/02-ekstra.nn.md".into(),
        b"+++\n".to_vec(),
    );
    tree.files
        .insert("subtitles/f1.de.vtt".into(), b"WEBVTT\n".to_vec());
    let all = problems_of(&tree);
    assert!(all.contains("modules/1-om-pakken/01-intro.md: has no nynorsk variant: modules/1-om-pakken/01-intro.nn.md is missing"), "{all}");
    assert!(all.contains("modules/1-om-pakken/02-ekstra.nn.md: has no bokmål original: modules/1-om-pakken/02-ekstra.md is missing"), "{all}");
    assert!(
        all.contains("subtitles/f1.de.vtt: names the written form \"de\""),
        "{all}"
    );
}

#[test]
fn variants_whose_structure_differs_are_refused_with_file_and_line() {
    let mut tree = two_form_tree();
    let page = "modules/1-om-pakken/01-intro.nn.md";
    let text = String::from_utf8(tree.files[page].clone()).unwrap();
    let changed = text
        .replace("id = \"q1\"", "id = \"q2\"")
        .replace("duration_seconds = 10", "duration_seconds = 9");
    tree.files.insert(page.into(), changed.into_bytes());
    tree.files.insert(
        "subtitles/f1.nn.vtt".into(),
        b"WEBVTT\nLanguage: nb\n\n00:00.000 --> 00:02.000\nHei\n".to_vec(),
    );
    tree.files.insert(
        "literature/literature.nn.toml".into(),
        b"title = \"L\"\nintro = \"L\"\n[[references]]\nauthors = \"B\"\nyear = 2020\ntitle = \"T\"\nwhy = \"D\"\n".to_vec(),
    );
    let all = problems_of(&tree);
    assert!(all.contains("01-intro.nn.md:17: this block is reflection \"q2\"; the bokmål has reflection \"q1\" here"), "{all}");
    assert!(
        all.contains("01-intro.nn.md:8: duration_seconds differs from the bokmål (10)"),
        "{all}"
    );
    assert!(all.contains("subtitles/f1.nn.vtt:1: the header must say the subtitles are in nynorsk (Language: nn)"), "{all}");
    assert!(all.contains("literature/literature.nn.toml: reference 1: authors, year and url must be those of the bokmål"), "{all}");
}

#[test]
fn languages_are_checked() {
    let mut tree = two_form_tree();
    tree.files.insert(
        "course.toml".into(),
        b"languages = [\"nn\", \"se\", \"nn\"]\ntitle = \"K\"\ndescription = \"K\"\n".to_vec(),
    );
    tree.files.insert(
        "course.nn.toml".into(),
        b"languages = [\"nb\"]\ntitle = \"K\"\ndescription = \"K\"\n".to_vec(),
    );
    let all = problems_of(&tree);
    assert!(
        all.contains("course.toml: languages must start with \"nb\""),
        "{all}"
    );
    assert!(
        all.contains("course.toml: languages: \"se\" is not a written form"),
        "{all}"
    );
    assert!(
        all.contains("course.toml: languages: \"nn\" is listed twice"),
        "{all}"
    );
    assert!(
        all.contains("course.nn.toml: languages belongs in course.toml only"),
        "{all}"
    );
}
