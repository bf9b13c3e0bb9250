//! One page file: its front matter between `+++` lines, its body rendered, and the checks on its
//! blocks (a reflection question on every page, film ids unique across the course).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;

use crate::content::render::render_page;
use crate::content::source::SourceTree;
use crate::content::{Block, ContentProblem, Page};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    estimated_minutes: i32,
}

pub(super) fn parse_page(
    tree: &SourceTree,
    path: &str,
    slug: String,
    film_ids: &mut HashMap<String, String>,
    used_subtitles: &mut BTreeMap<String, (String, usize)>,
    problems: &mut Vec<ContentProblem>,
) -> Option<Page> {
    let Ok(text) = std::str::from_utf8(&tree.files[path]) else {
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
    let (html, blocks, words) = render_page(path, &body, consumed + 1, problems);
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
        block_lines: blocks.iter().map(|b| b.line).collect(),
        blocks: blocks.into_iter().map(|b| b.block).collect(),
        file: path.to_owned(),
        words,
    })
}
