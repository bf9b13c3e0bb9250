//! Reads a content tree into a `Course`, listing every problem (file, line, reason) rather than
//! stopping at the first. A tree with any problem is not publishable.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::render::is_valid_id;
use super::source::SourceTree;
use super::{vtt, ContentProblem, Course, Literature, Module, Outcomes, Page, Reference};
use crate::language::Language;
use crate::media;

pub use forms::variant_path;

mod bundled;
mod forms;
mod page;

use bundled::resolve_media;
pub use bundled::MAX_POSTER_BYTES;
use page::parse_page;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseToml {
    title: String,
    description: String,
    /// The written forms the course comes in, its own first (`["nb", "nn"]`); only in
    /// `course.toml`, never in a variant.
    #[serde(default)]
    languages: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleToml {
    number: i32,
    title: String,
    summary: String,
    #[serde(default)]
    skippable: bool,
    estimated_minutes: i32,
    #[serde(default)]
    outcomes: Option<Outcomes>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiteratureToml {
    title: String,
    intro: String,
    references: Vec<Reference>,
}

/// Reads a tree with every written form it holds: the course in its first form (bokmål), with
/// each other form's text as a translation of the same structure.
pub fn parse(tree: &SourceTree) -> Result<Course, Vec<ContentProblem>> {
    let mut problems = Vec::new();
    let forms = forms::split(tree, &mut problems);
    let before = problems.len();
    let base = parse_form(&forms.base, Language::Bokmal, &mut problems);
    let base_valid = problems.len() == before;
    let mut translations = Vec::new();
    for (language, variant) in &forms.variants {
        // A missing variant is said once; the rest of the form is still read and compared.
        let variant = forms::complete(&forms.base, variant, *language, &mut problems);
        let mut found = Vec::new();
        let translation = parse_form(&variant, *language, &mut found);
        problems.extend(
            found
                .into_iter()
                .map(|p| forms::relabel(p, &variant, *language)),
        );
        // Held to the structure even with problems of its own, so all are listed at once.
        if let (Some(base), Some(mut translation)) = (&base, translation) {
            forms::relabel_files(&mut translation, *language);
            if base_valid {
                forms::compare(base, &translation, &mut problems);
            }
            translations.push(translation);
        }
    }
    match base {
        Some(mut course) if problems.is_empty() => {
            course.translations = translations;
            Ok(course)
        }
        _ => {
            problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            problems.dedup();
            Err(problems)
        }
    }
}

/// Reads one written form's tree (paths without the form's suffix) into a course, as far as it
/// can be read; every problem goes to `problems`, and the course is usable only without any.
fn parse_form(
    tree: &SourceTree,
    language: Language,
    problems: &mut Vec<ContentProblem>,
) -> Option<Course> {
    let course: Option<CourseToml> = read_toml(tree, "course.toml", problems);
    if let Some(course) = &course {
        forms::check_languages(language, course.languages.as_deref(), problems);
    }

    // modules/<n>-<slug>/...
    let mut module_dirs: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for path in tree.media.keys() {
        if media::kind_of_path(path).is_none() {
            problems.push(ContentProblem::new(
                path.clone(),
                None,
                "unexpected file in films/: films are <name>.webm or .mp4, posters <name>.jpg, \
                 .png or .webp, names in lowercase letters, digits and hyphens",
            ));
        }
    }
    for path in tree.files.keys() {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["course.toml"] => {}
            [name] if forms::is_word_list(name) => {}
            ["modules", dir, file] => module_dirs.entry((*dir).to_owned()).or_default().push(file),
            ["literature", "literature.toml"] => {}
            ["subtitles", name] if name.ends_with(".vtt") => {}
            _ => problems.push(ContentProblem::new(
                path.clone(),
                None,
                "unexpected file in the content tree",
            )),
        }
    }

    let mut modules = Vec::new();
    let mut page_slugs: HashMap<String, String> = HashMap::new();
    let mut film_ids: HashMap<String, String> = HashMap::new();
    let mut used_subtitles: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for (dir, files) in &module_dirs {
        if let Some(module) = parse_module(
            tree,
            dir,
            files,
            &mut page_slugs,
            &mut film_ids,
            &mut used_subtitles,
            problems,
        ) {
            modules.push(module);
        }
    }
    modules.sort_by_key(|m| m.number);
    let media = resolve_media(tree, &mut modules, problems);
    if modules.is_empty() {
        problems.push(ContentProblem::new(
            "modules",
            None,
            "the course has no modules",
        ));
    }
    // Numbering is only judged when every module could be read.
    let all_read = modules.len() == module_dirs.len();
    for (index, module) in modules.iter().enumerate().filter(|_| all_read) {
        if module.number != index as i32 + 1 {
            problems.push(ContentProblem::new(
                format!("modules/{}-{}", module.number, module.slug),
                None,
                "modules must be numbered 1, 2, 3, … without gaps",
            ));
            break;
        }
    }
    let mut module_slugs = HashSet::new();
    for module in &modules {
        if !module_slugs.insert(&module.slug) {
            problems.push(ContentProblem::new(
                format!("modules/{}-{}", module.number, module.slug),
                None,
                "module slug repeats",
            ));
        }
    }

    let mut subtitles = Vec::new();
    for (name, (page_file, line)) in &used_subtitles {
        let path = format!("subtitles/{name}");
        match tree.files.get(&path) {
            None => problems.push(ContentProblem::new(
                page_file.clone(),
                Some(*line),
                format!("the film's subtitle file {path} does not exist"),
            )),
            Some(bytes) => match std::str::from_utf8(bytes) {
                Err(_) => problems.push(ContentProblem::new(path.clone(), None, "is not UTF-8")),
                Ok(text) => {
                    let mut found = vtt::check(text);
                    if found.is_empty() {
                        found.extend(forms::check_subtitle_language(text, language));
                    }
                    if found.is_empty() {
                        subtitles.push((name.clone(), text.to_owned()));
                    }
                    for (line, message) in found {
                        problems.push(ContentProblem::new(path.clone(), Some(line), message));
                    }
                }
            },
        }
    }

    let literature = parse_literature(tree, problems);
    match (course, literature) {
        (Some(course), Some(literature)) => Some(Course {
            language,
            title: course.title,
            description: course.description,
            modules,
            literature,
            subtitles,
            media,
            translations: Vec::new(),
        }),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn parse_module(
    tree: &SourceTree,
    dir: &str,
    files: &[&str],
    page_slugs: &mut HashMap<String, String>,
    film_ids: &mut HashMap<String, String>,
    used_subtitles: &mut BTreeMap<String, (String, usize)>,
    problems: &mut Vec<ContentProblem>,
) -> Option<Module> {
    let dir_path = format!("modules/{dir}");
    let Some((number, slug)) = split_numbered(dir) else {
        problems.push(ContentProblem::new(
            dir_path,
            None,
            "module folders are named <number>-<slug>, e.g. 2-veiledning",
        ));
        return None;
    };
    let manifest: Option<ModuleToml> =
        read_toml(tree, &format!("{dir_path}/module.toml"), problems);
    let mut pages: Vec<(u32, Page)> = Vec::new();
    let mut positions = HashSet::new();
    for file in files {
        if *file == "module.toml" {
            continue;
        }
        let path = format!("{dir_path}/{file}");
        let Some((position, page_slug)) = file.strip_suffix(".md").and_then(split_numbered) else {
            problems.push(ContentProblem::new(
                path,
                None,
                "pages are named <NN>-<slug>.md, e.g. 01-hva-er-veiledning.md",
            ));
            continue;
        };
        if !positions.insert(position) {
            problems.push(ContentProblem::new(
                path.clone(),
                None,
                format!("another page of the module has number {position:02}"),
            ));
        }
        if let Some(other) = page_slugs.insert(page_slug.clone(), path.clone()) {
            problems.push(ContentProblem::new(
                path.clone(),
                None,
                format!("page slug {page_slug:?} repeats (also {other})"),
            ));
        }
        if let Some(page) = parse_page(tree, &path, page_slug, film_ids, used_subtitles, problems) {
            pages.push((position, page));
        }
    }
    pages.sort_by_key(|(position, _)| *position);
    let pages: Vec<Page> = pages.into_iter().map(|(_, page)| page).collect();
    let manifest = manifest?;
    let manifest_path = format!("{dir_path}/module.toml");
    if manifest.number != number as i32 {
        problems.push(ContentProblem::new(
            &manifest_path,
            None,
            format!(
                "number {} does not match the folder ({number})",
                manifest.number
            ),
        ));
    }
    if manifest.title.trim().is_empty() {
        problems.push(ContentProblem::new(
            &manifest_path,
            None,
            "title must not be empty",
        ));
    }
    if pages.is_empty() {
        problems.push(ContentProblem::new(
            &dir_path,
            None,
            "the module has no pages",
        ));
    }
    let outcomes = check_outcomes(&manifest_path, manifest.outcomes, problems);
    let sum: i32 = pages.iter().map(|p| p.estimated_minutes).sum();
    if manifest.estimated_minutes != sum {
        problems.push(ContentProblem::new(
            &manifest_path,
            None,
            format!(
                "estimated_minutes is {} but the pages add up to {sum}",
                manifest.estimated_minutes
            ),
        ));
    }
    Some(Module {
        number: manifest.number,
        slug,
        title: manifest.title,
        summary: manifest.summary,
        skippable: manifest.skippable,
        estimated_minutes: manifest.estimated_minutes,
        outcomes,
        pages,
        file: manifest_path,
    })
}

/// Every module states what it teaches: at least one outcome of each kind, none blank.
fn check_outcomes(
    manifest_path: &str,
    outcomes: Option<Outcomes>,
    problems: &mut Vec<ContentProblem>,
) -> Outcomes {
    let Some(outcomes) = outcomes else {
        problems.push(ContentProblem::new(
            manifest_path,
            None,
            "[outcomes] is missing: list what the module teaches as knowledge, skills and \
             general_competence",
        ));
        return Outcomes::default();
    };
    for (name, list) in [
        ("knowledge", &outcomes.knowledge),
        ("skills", &outcomes.skills),
        ("general_competence", &outcomes.general_competence),
    ] {
        if list.is_empty() {
            problems.push(ContentProblem::new(
                manifest_path,
                None,
                format!("outcomes.{name} must list at least one learning outcome"),
            ));
        }
        if list.iter().any(|o| o.trim().is_empty()) {
            problems.push(ContentProblem::new(
                manifest_path,
                None,
                format!("outcomes.{name} has an empty entry"),
            ));
        }
    }
    Outcomes {
        knowledge: trimmed(outcomes.knowledge),
        skills: trimmed(outcomes.skills),
        general_competence: trimmed(outcomes.general_competence),
    }
}

fn trimmed(list: Vec<String>) -> Vec<String> {
    list.into_iter().map(|o| o.trim().to_owned()).collect()
}

fn parse_literature(tree: &SourceTree, problems: &mut Vec<ContentProblem>) -> Option<Literature> {
    let path = "literature/literature.toml";
    let literature: LiteratureToml = read_toml(tree, path, problems)?;
    if literature.references.is_empty() {
        problems.push(ContentProblem::new(
            path,
            None,
            "the literature list has no references",
        ));
    }
    for (index, reference) in literature.references.iter().enumerate() {
        let label = format!("reference {} ({})", index + 1, reference.title);
        if let Some(url) = &reference.url {
            let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                problems.push(ContentProblem::new(
                    path,
                    None,
                    format!("{label}: url must be an http(s) URL"),
                ));
            }
        }
        if reference.why.trim().is_empty()
            || reference.authors.trim().is_empty()
            || reference.title.trim().is_empty()
        {
            problems.push(ContentProblem::new(
                path,
                None,
                format!("{label}: authors, title and why are required"),
            ));
        }
    }
    Some(Literature {
        title: literature.title,
        intro: literature.intro,
        references: literature.references,
    })
}

fn read_toml<T: DeserializeOwned>(
    tree: &SourceTree,
    path: &str,
    problems: &mut Vec<ContentProblem>,
) -> Option<T> {
    let Some(bytes) = tree.files.get(path) else {
        problems.push(ContentProblem::new(path, None, "is missing"));
        return None;
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        problems.push(ContentProblem::new(path, None, "is not UTF-8"));
        return None;
    };
    match toml::from_str(text) {
        Ok(value) => Some(value),
        Err(e) => {
            let line = e
                .span()
                .map(|span| 1 + text[..span.start.min(text.len())].matches('\n').count());
            problems.push(ContentProblem::new(path, line, e.message().to_owned()));
            None
        }
    }
}

/// `12-some-slug` → (12, "some-slug").
fn split_numbered(name: &str) -> Option<(u32, String)> {
    let (number, slug) = name.split_once('-')?;
    if number.is_empty()
        || number.len() > 3
        || !number.bytes().all(|b| b.is_ascii_digit())
        || !is_valid_id(slug)
    {
        return None;
    }
    Some((number.parse().ok()?, slug.to_owned()))
}

#[cfg(test)]
#[path = "parse_tests.rs"]
pub(crate) mod tests;
