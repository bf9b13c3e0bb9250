//! Reads a content tree into a `Course`, listing every problem (file, line, reason) rather than
//! stopping at the first. A tree with any problem is not publishable.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::render::{is_valid_id, render_page};
use super::source::SourceTree;
use super::{vtt, Block, ContentProblem, Course, Literature, Module, Page, Reference};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseToml {
    title: String,
    description: String,
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    estimated_minutes: i32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiteratureToml {
    title: String,
    intro: String,
    references: Vec<Reference>,
}

pub fn parse(tree: &SourceTree) -> Result<Course, Vec<ContentProblem>> {
    let mut problems = Vec::new();
    let course: Option<CourseToml> = read_toml(tree, "course.toml", &mut problems);

    // modules/<n>-<slug>/...
    let mut module_dirs: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for path in tree.keys() {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["course.toml"] => {}
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
            &mut problems,
        ) {
            modules.push(module);
        }
    }
    modules.sort_by_key(|m| m.number);
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
        match tree.get(&path) {
            None => problems.push(ContentProblem::new(
                page_file.clone(),
                Some(*line),
                format!("the film's subtitle file {path} does not exist"),
            )),
            Some(bytes) => match std::str::from_utf8(bytes) {
                Err(_) => problems.push(ContentProblem::new(path.clone(), None, "is not UTF-8")),
                Ok(text) => {
                    let found = vtt::check(text);
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

    let literature = parse_literature(tree, &mut problems);
    match (course, literature) {
        (Some(course), Some(literature)) if problems.is_empty() => Ok(Course {
            title: course.title,
            description: course.description,
            modules,
            literature,
            subtitles,
        }),
        _ => {
            problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            Err(problems)
        }
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
        pages,
    })
}

fn parse_page(
    tree: &SourceTree,
    path: &str,
    slug: String,
    film_ids: &mut HashMap<String, String>,
    used_subtitles: &mut BTreeMap<String, (String, usize)>,
    problems: &mut Vec<ContentProblem>,
) -> Option<Page> {
    let Ok(text) = std::str::from_utf8(&tree[path]) else {
        problems.push(ContentProblem::new(path, None, "is not UTF-8"));
        return None;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("+++") {
        problems.push(ContentProblem::new(
            path,
            Some(1),
            "a page starts with front matter between +++ lines",
        ));
        return None;
    }
    let mut front = String::new();
    let mut consumed = 1;
    let mut closed = false;
    for line in lines.by_ref() {
        consumed += 1;
        if line.trim_end() == "+++" {
            closed = true;
            break;
        }
        front.push_str(line);
    }
    if !closed {
        problems.push(ContentProblem::new(
            path,
            Some(1),
            "the front matter is not closed with +++",
        ));
        return None;
    }
    let body: String = lines.collect();
    let front: FrontMatter = match toml::from_str(&front) {
        Ok(front) => front,
        Err(e) => {
            let line = e
                .span()
                .map(|span| 2 + front[..span.start].matches('\n').count());
            problems.push(ContentProblem::new(
                path,
                line,
                format!("front matter: {}", e.message()),
            ));
            return None;
        }
    };
    if front.title.trim().is_empty() {
        problems.push(ContentProblem::new(
            path,
            Some(2),
            "front matter: title must not be empty",
        ));
    }
    if !(1..=600).contains(&front.estimated_minutes) {
        problems.push(ContentProblem::new(
            path,
            Some(2),
            "front matter: estimated_minutes must be 1 to 600",
        ));
    }
    let before = problems.len();
    let (html, blocks) = render_page(path, &body, consumed + 1, problems);
    let mut question_ids = HashSet::new();
    let mut reflections = 0;
    for located in &blocks {
        match &located.block {
            Block::Reflection { id, .. } => {
                reflections += 1;
                if !question_ids.insert(id.clone()) {
                    problems.push(ContentProblem::new(
                        path,
                        Some(located.line),
                        format!("reflection id {id:?} repeats in the page"),
                    ));
                }
            }
            Block::Film { id, subtitles, .. } => {
                if let Some(other) = film_ids.insert(id.clone(), path.to_owned()) {
                    problems.push(ContentProblem::new(
                        path,
                        Some(located.line),
                        format!("film id {id:?} repeats (also in {other})"),
                    ));
                }
                used_subtitles
                    .entry(subtitles.clone())
                    .or_insert_with(|| (path.to_owned(), located.line));
            }
            Block::Exercise { .. } => {}
        }
    }
    if reflections == 0 && problems.len() == before {
        problems.push(ContentProblem::new(
            path,
            None,
            "the page has no reflection question (a ```reflection block)",
        ));
    }
    Some(Page {
        slug,
        title: front.title.trim().to_owned(),
        estimated_minutes: front.estimated_minutes,
        html,
        blocks: blocks.into_iter().map(|b| b.block).collect(),
    })
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
    let Some(bytes) = tree.get(path) else {
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
pub(crate) mod tests {
    use super::*;

    pub fn minimal_tree() -> SourceTree {
        let mut tree = SourceTree::new();
        let mut put = |path: &str, text: &str| {
            tree.insert(path.to_owned(), text.as_bytes().to_vec());
        };
        put(
            "course.toml",
            "title = \"Kurs\"\ndescription = \"Et kurs\"\n",
        );
        put("modules/1-om-pakken/module.toml", "number = 1\ntitle = \"Om pakken\"\nsummary = \"s\"\nskippable = true\nestimated_minutes = 30\n");
        put(
            "modules/1-om-pakken/01-intro.md",
            "+++\ntitle = \"Intro\"\nestimated_minutes = 30\n+++\n\nTekst\n\n```film\nid = \"f1\"\ntitle = \"F\"\nsrc = \"https://v.example/f.mp4\"\nsubtitles = \"f1.vtt\"\nduration_seconds = 10\n```\n\n```reflection\nid = \"q1\"\nquestion = \"Hva?\"\n```\n",
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
        tree.remove("subtitles/f1.vtt");
        tree.insert(
            "modules/1-om-pakken/02-intro.md".into(),
            b"+++\ntitle = \"Igjen\"\nestimated_minutes = 5\n+++\nIngen sporsmal\n".to_vec(),
        );
        tree.insert(
            "modules/1-om-pakken/03-tredje.md".into(),
            b"+++\ntitle = 5\n+++\n".to_vec(),
        );
        let problems = parse(&tree).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
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
        tree.insert(
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
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/content"));
        let tree = crate::content::source::from_dir(dir).unwrap();
        let course = match parse(&tree) {
            Ok(course) => course,
            Err(problems) => panic!(
                "{}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
        assert_eq!(course.modules.len(), 4);
        assert!(course.modules[0].skippable && !course.modules[1].skippable);
        for module in &course.modules {
            assert!(
                module.pages.len() >= 4,
                "module {} has {} pages",
                module.number,
                module.pages.len()
            );
        }
        let minutes: i32 = course.modules.iter().map(|m| m.estimated_minutes).sum();
        assert!(
            (840..=960).contains(&minutes),
            "about 15 hours, not {minutes} minutes"
        );
        assert!(course.literature.references.len() >= 10);
    }
}
