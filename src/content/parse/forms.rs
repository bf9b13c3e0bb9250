//! A content tree's written forms. Files in the course's first form (bokmål) have plain names;
//! the variant of a file in another form sits beside it with the form before the extension
//! (`04-motivasjon.md` → `04-motivasjon.nn.md`, `module.toml` → `module.nn.toml`,
//! `gode-sporsmal.vtt` → `gode-sporsmal.nn.vtt`). Each form is read as a tree of its own, then
//! held to the first form's structure: the same pages, blocks, questions and films, so progress,
//! answers and the note are one whichever form a mentor reads.

use std::collections::BTreeMap;

use crate::content::source::SourceTree;
use crate::content::{vtt, Block, ContentProblem, Course};
use crate::language::Language;

/// The tree split by form: the first form's files, and each other form's under plain names.
pub(super) struct Forms {
    pub base: SourceTree,
    pub variants: Vec<(Language, SourceTree)>,
}

/// Word lists for the spelling check (`words.txt`, `words.nn.txt`): not course text.
pub(super) fn is_word_list(name: &str) -> bool {
    name == "words.txt"
        || split_name(name).is_some_and(|(stem, _, ext)| stem == "words" && ext == "txt")
}

/// `04-motivasjon.nn.md` → ("04-motivasjon", "nn", "md").
fn split_name(name: &str) -> Option<(&str, &str, &str)> {
    let (rest, ext) = name.rsplit_once('.')?;
    let (stem, tag) = rest.rsplit_once('.')?;
    let is_tag = tag.len() == 2 && tag.bytes().all(|b| b.is_ascii_lowercase());
    (is_tag && !stem.is_empty()).then_some((stem, tag, ext))
}

/// A path's variant in `language`: `modules/2-x/04-a.md` → `modules/2-x/04-a.nn.md`. The first
/// form's paths, and paths that already name a form, stay as they are.
pub fn variant_path(path: &str, language: Language) -> String {
    if language == Language::Bokmal {
        return path.to_owned();
    }
    let (dir, name) = match path.rsplit_once('/') {
        Some((dir, name)) => (Some(dir), name),
        None => (None, path),
    };
    if split_name(name).is_some() {
        return path.to_owned();
    }
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return path.to_owned();
    };
    let name = format!("{stem}.{language}.{ext}");
    match dir {
        Some(dir) => format!("{dir}/{name}"),
        None => name,
    }
}

/// The forms `course.toml` lists (bokmål alone when it lists none or cannot be read; its own
/// check reports why).
fn listed_languages(tree: &SourceTree) -> Vec<Language> {
    let listed = tree
        .files
        .get("course.toml")
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|table| table.get("languages").cloned())
        .and_then(|value| value.as_array().cloned())
        .unwrap_or_default();
    let mut languages = vec![Language::Bokmal];
    for language in listed
        .iter()
        .filter_map(|v| v.as_str())
        .filter_map(Language::parse)
    {
        if !languages.contains(&language) {
            languages.push(language);
        }
    }
    languages
}

pub(super) fn split(tree: &SourceTree, problems: &mut Vec<ContentProblem>) -> Forms {
    let languages = listed_languages(tree);
    let empty = || SourceTree {
        files: BTreeMap::new(),
        media: tree.media.clone(),
        spool: tree.spool.clone(),
    };
    let mut base = empty();
    let mut variants: Vec<(Language, SourceTree)> = languages[1..]
        .iter()
        .map(|language| (*language, empty()))
        .collect();
    for (path, bytes) in &tree.files {
        let name = path.rsplit('/').next().unwrap_or(path);
        if is_word_list(path) {
            continue;
        }
        let Some((stem, tag, ext)) = split_name(name) else {
            base.files.insert(path.clone(), bytes.clone());
            continue;
        };
        let variant = variants
            .iter_mut()
            .find(|(language, _)| language.as_str() == tag);
        match variant {
            Some((_, variant)) => {
                let plain = match path.rsplit_once('/') {
                    Some((dir, _)) => format!("{dir}/{stem}.{ext}"),
                    None => format!("{stem}.{ext}"),
                };
                variant.files.insert(plain, bytes.clone());
            }
            None => problems.push(ContentProblem::new(
                path.clone(),
                None,
                format!(
                    "names the written form {tag:?}, which course.toml does not list in \
                     languages (the first form's files have no suffix; nynorsk files end in \
                     .nn.{ext})"
                ),
            )),
        }
    }
    Forms { base, variants }
}

/// The first form names itself first in `languages`; a variant does not repeat the list.
pub(super) fn check_languages(
    language: Language,
    listed: Option<&[String]>,
    problems: &mut Vec<ContentProblem>,
) {
    let Some(listed) = listed else {
        return;
    };
    let file = variant_path("course.toml", language);
    if language != Language::Bokmal {
        problems.push(ContentProblem::new(
            file,
            None,
            "languages belongs in course.toml only",
        ));
        return;
    }
    if listed.first().map(String::as_str) != Some("nb") {
        problems.push(ContentProblem::new(
            &file,
            None,
            "languages must start with \"nb\": the files without a form in their name are bokmål",
        ));
    }
    for (index, tag) in listed.iter().enumerate() {
        if Language::parse(tag).is_none() {
            problems.push(ContentProblem::new(
                &file,
                None,
                format!("languages: {tag:?} is not a written form we serve (\"nb\" or \"nn\")"),
            ));
        } else if listed[..index].contains(tag) {
            problems.push(ContentProblem::new(
                &file,
                None,
                format!("languages: {tag:?} is listed twice"),
            ));
        }
    }
}

/// Every file of the first form has its variant and no variant lacks its original; lists each
/// that does. Returns the variant with each missing file stood in for by the original, so the
/// rest of the form can still be read and held to the structure.
pub(super) fn complete(
    base: &SourceTree,
    variant: &SourceTree,
    language: Language,
    problems: &mut Vec<ContentProblem>,
) -> SourceTree {
    let mut filled = variant.clone();
    for (path, bytes) in &base.files {
        if !variant.files.contains_key(path) {
            problems.push(ContentProblem::new(
                path.clone(),
                None,
                format!(
                    "has no {} variant: {} is missing",
                    language.name(),
                    variant_path(path, language)
                ),
            ));
            filled.files.insert(path.clone(), bytes.clone());
        }
    }
    for path in variant.files.keys() {
        if !base.files.contains_key(path) {
            problems.push(ContentProblem::new(
                variant_path(path, language),
                None,
                format!("has no bokmål original: {path} is missing"),
            ));
        }
    }
    filled
}

/// A problem found in a variant's tree, named by the variant's own file.
pub(super) fn relabel(
    mut problem: ContentProblem,
    variant: &SourceTree,
    language: Language,
) -> ContentProblem {
    if variant.files.contains_key(&problem.file) {
        problem.file = variant_path(&problem.file, language);
    }
    problem
}

/// A translation's pages and modules named by their variants' files, and its films pointed at
/// their subtitles in its form.
pub(super) fn relabel_files(course: &mut Course, language: Language) {
    for module in &mut course.modules {
        module.file = variant_path(&module.file, language);
        for page in &mut module.pages {
            page.file = variant_path(&page.file, language);
            for block in &mut page.blocks {
                if let Block::Film {
                    subtitles,
                    subtitles_url,
                    ..
                } = block
                {
                    *subtitles_url = format!("/api/v1/subtitles/{subtitles}?language={language}");
                }
            }
        }
    }
}

/// The subtitles of a form say they are in it (`Language: nn` for nynorsk).
pub(super) fn check_subtitle_language(text: &str, language: Language) -> Vec<(usize, String)> {
    let declared = text
        .lines()
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case("language"))
        .map(|(_, value)| value.trim().to_ascii_lowercase());
    let primary = declared
        .as_deref()
        .and_then(|tag| tag.split('-').next())
        .unwrap_or("");
    let fits = match language {
        Language::Bokmal => primary == "nb" || primary == "no",
        Language::Nynorsk => primary == "nn",
    };
    if fits {
        Vec::new()
    } else {
        vec![(
            1,
            format!(
                "the header must say the subtitles are in {} (Language: {language})",
                language.name()
            ),
        )]
    }
}

/// Holds a translation to the first form's structure, listing each difference where the
/// translation has it.
pub(super) fn compare(base: &Course, translation: &Course, problems: &mut Vec<ContentProblem>) {
    let name = base.language.name();
    for theirs in &translation.modules {
        let Some(ours) = base.modules.iter().find(|m| m.number == theirs.number) else {
            continue;
        };
        let file = &theirs.file;
        let mut differs = |what: &str, original: String| {
            problems.push(ContentProblem::new(
                file,
                None,
                format!("{what} differs from the {name} ({original})"),
            ));
        };
        if ours.slug != theirs.slug {
            differs("the module", format!("{}-{}", ours.number, ours.slug));
        }
        if ours.skippable != theirs.skippable {
            differs("skippable", ours.skippable.to_string());
        }
        if ours.estimated_minutes != theirs.estimated_minutes {
            differs("estimated_minutes", ours.estimated_minutes.to_string());
        }
        for (kind, a, b) in [
            (
                "outcomes.knowledge",
                &ours.outcomes.knowledge,
                &theirs.outcomes.knowledge,
            ),
            (
                "outcomes.skills",
                &ours.outcomes.skills,
                &theirs.outcomes.skills,
            ),
            (
                "outcomes.general_competence",
                &ours.outcomes.general_competence,
                &theirs.outcomes.general_competence,
            ),
        ] {
            if a.len() != b.len() {
                differs(&format!("the number of {kind}"), a.len().to_string());
            }
        }
        for other in &theirs.pages {
            if let Some(page) = ours.pages.iter().find(|p| p.slug == other.slug) {
                compare_page(name, page, other, problems);
            }
        }
    }
    let (ours, theirs) = (&base.literature, &translation.literature);
    let file = variant_path("literature/literature.toml", translation.language);
    if ours.references.len() != theirs.references.len() {
        problems.push(ContentProblem::new(
            &file,
            None,
            format!(
                "has {} references; the {name} has {}",
                theirs.references.len(),
                ours.references.len()
            ),
        ));
    }
    for (index, (a, b)) in ours.references.iter().zip(&theirs.references).enumerate() {
        if a.authors != b.authors || a.year != b.year || a.url != b.url {
            problems.push(ContentProblem::new(
                &file,
                None,
                format!(
                    "reference {}: authors, year and url must be those of the {name} ({}, {})",
                    index + 1,
                    a.authors,
                    a.year
                ),
            ));
        }
    }
    for (subtitle, text) in &base.subtitles {
        let Some((_, other)) = translation.subtitles.iter().find(|(n, _)| n == subtitle) else {
            continue;
        };
        let file = variant_path(&format!("subtitles/{subtitle}"), translation.language);
        let (ours, theirs) = (vtt::cues(text), vtt::cues(other));
        if ours.len() != theirs.len() {
            problems.push(ContentProblem::new(
                &file,
                None,
                format!("has {} cues; the {name} has {}", theirs.len(), ours.len()),
            ));
        }
        if let Some((a, b)) = ours
            .iter()
            .zip(&theirs)
            .find(|(a, b)| (a.start_ms, a.end_ms) != (b.start_ms, b.end_ms))
        {
            problems.push(ContentProblem::new(
                &file,
                Some(b.line),
                format!(
                    "the cue's timing differs from the {name} (line {} there)",
                    a.line
                ),
            ));
        }
    }
}

fn compare_page(
    name: &str,
    page: &crate::content::Page,
    other: &crate::content::Page,
    problems: &mut Vec<ContentProblem>,
) {
    let file = &other.file;
    if page.estimated_minutes != other.estimated_minutes {
        problems.push(ContentProblem::new(
            file,
            Some(1),
            format!(
                "estimated_minutes differs from the {name} ({})",
                page.estimated_minutes
            ),
        ));
    }
    if page.blocks.len() != other.blocks.len() {
        problems.push(ContentProblem::new(
            file,
            None,
            format!(
                "has {} blocks; the {name} has {} ({})",
                other.blocks.len(),
                page.blocks.len(),
                page.blocks
                    .iter()
                    .map(|b| format!("{} {}", kind(b), b.id()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    for ((a, b), line) in page
        .blocks
        .iter()
        .zip(&other.blocks)
        .zip(&other.block_lines)
    {
        let at = |message: String| ContentProblem::new(file, Some(*line), message);
        if kind(a) != kind(b) || a.id() != b.id() {
            problems.push(at(format!(
                "this block is {} {:?}; the {name} has {} {:?} here",
                kind(b),
                b.id(),
                kind(a),
                a.id()
            )));
            continue;
        }
        match (a, b) {
            (
                Block::Film {
                    src,
                    subtitles,
                    duration_seconds,
                    poster_url,
                    ..
                },
                Block::Film {
                    src: src2,
                    subtitles: subtitles2,
                    duration_seconds: duration2,
                    poster_url: poster2,
                    ..
                },
            ) => {
                if src != src2 || poster_url != poster2 {
                    problems.push(at(format!(
                        "the film plays another file than the {name}'s; both forms play the same film"
                    )));
                }
                if subtitles != subtitles2 {
                    problems.push(at(format!(
                        "subtitles must name the same file as the {name} ({subtitles}); each form's \
                         variant of it is found by its name"
                    )));
                }
                if duration_seconds != duration2 {
                    problems.push(at(format!(
                        "duration_seconds differs from the {name} ({duration_seconds})"
                    )));
                }
            }
            (
                Block::Exercise {
                    estimated_minutes, ..
                },
                Block::Exercise {
                    estimated_minutes: minutes2,
                    ..
                },
            ) if estimated_minutes != minutes2 => {
                problems.push(at(format!(
                    "estimated_minutes differs from the {name} ({estimated_minutes})"
                )));
            }
            _ => {}
        }
    }
}

fn kind(block: &Block) -> &'static str {
    match block {
        Block::Film { .. } => "film",
        Block::Reflection { .. } => "reflection",
        Block::Exercise { .. } => "exercise",
    }
}
