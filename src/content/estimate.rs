//! Honest minutes: what a page takes to study, estimated from its content (prose at a careful
//! study pace, the films' length, the exercises' minutes, five minutes per reflection question),
//! compared with what the content declares; and the course's inventory, module by module.

use std::fmt::Write;

use super::{Block, ContentProblem, Course, Page};

/// A careful study pace: slower than reading for pleasure, with time to think.
pub const WORDS_PER_MINUTE: f64 = 120.0;
pub const MINUTES_PER_REFLECTION: f64 = 5.0;
/// Declared minutes may differ this much (a share of the estimate) before they are questioned.
pub const TOLERANCE: f64 = 0.30;

/// What a page holds and what it should take.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageEstimate {
    pub words: usize,
    /// (film id, length in seconds)
    pub films: Vec<(String, u32)>,
    pub exercises: usize,
    pub exercise_minutes: u32,
    pub reflections: usize,
    pub minutes: f64,
}

pub fn page(page: &Page) -> PageEstimate {
    let mut estimate = PageEstimate {
        words: page.words,
        ..PageEstimate::default()
    };
    for block in &page.blocks {
        match block {
            Block::Film {
                id,
                duration_seconds,
                ..
            } => estimate.films.push((id.clone(), *duration_seconds)),
            Block::Exercise {
                estimated_minutes, ..
            } => {
                estimate.exercises += 1;
                estimate.exercise_minutes += estimated_minutes;
            }
            Block::Reflection { .. } => estimate.reflections += 1,
        }
    }
    let film_seconds: u32 = estimate.films.iter().map(|(_, s)| s).sum();
    estimate.minutes = estimate.words as f64 / WORDS_PER_MINUTE
        + f64::from(film_seconds) / 60.0
        + f64::from(estimate.exercise_minutes)
        + estimate.reflections as f64 * MINUTES_PER_REFLECTION;
    estimate
}

/// Whether declared minutes are further from the estimate than [`TOLERANCE`] allows.
pub fn differs(declared: i32, estimated: f64) -> bool {
    (f64::from(declared) - estimated).abs() > TOLERANCE * estimated
}

/// Pages, and modules, whose declared minutes differ from the estimate by more than 30%.
pub fn warnings(course: &Course) -> Vec<ContentProblem> {
    let mut warnings = Vec::new();
    for module in &course.modules {
        let mut sum = 0.0;
        for page in &module.pages {
            let estimated = self::page(page).minutes;
            sum += estimated;
            if differs(page.estimated_minutes, estimated) {
                warnings.push(ContentProblem::new(
                    &page.file,
                    None,
                    format!(
                        "declared {} min, estimated {} min",
                        page.estimated_minutes,
                        estimated.round()
                    ),
                ));
            }
        }
        if differs(module.estimated_minutes, sum) {
            warnings.push(ContentProblem::new(
                &module.file,
                None,
                format!(
                    "declared {} min, estimated {} min (the sum of its pages' estimates)",
                    module.estimated_minutes,
                    sum.round()
                ),
            ));
        }
    }
    warnings
}

/// A module's inventory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleInventory {
    pub number: i32,
    pub title: String,
    pub pages: usize,
    pub words: usize,
    pub films: Vec<(String, u32)>,
    pub exercises: usize,
    pub exercise_minutes: u32,
    pub reflections: usize,
    pub declared_minutes: i32,
    pub estimated_minutes: f64,
}

pub fn inventory(course: &Course) -> Vec<ModuleInventory> {
    course
        .modules
        .iter()
        .map(|module| {
            let mut row = ModuleInventory {
                number: module.number,
                title: module.title.clone(),
                pages: module.pages.len(),
                declared_minutes: module.estimated_minutes,
                ..ModuleInventory::default()
            };
            for estimate in module.pages.iter().map(page) {
                row.words += estimate.words;
                row.films.extend(estimate.films);
                row.exercises += estimate.exercises;
                row.exercise_minutes += estimate.exercise_minutes;
                row.reflections += estimate.reflections;
                row.estimated_minutes += estimate.minutes;
            }
            row
        })
        .collect()
}

fn clock(seconds: u32) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// The inventory as a Markdown table with a total row, then the films with their lengths.
pub fn inventory_table(rows: &[ModuleInventory]) -> String {
    let mut out = String::from(
        "| module | pages | words | films (length) | exercises (min) | reflection questions | declared min | estimated min |\n\
         |---|---:|---:|---|---:|---:|---:|---:|\n",
    );
    let mut total = ModuleInventory::default();
    for row in rows {
        let seconds: u32 = row.films.iter().map(|(_, s)| s).sum();
        let _ = writeln!(
            out,
            "| {} {} | {} | {} | {} ({}) | {} ({}) | {} | {} | {} |",
            row.number,
            row.title,
            row.pages,
            row.words,
            row.films.len(),
            clock(seconds),
            row.exercises,
            row.exercise_minutes,
            row.reflections,
            row.declared_minutes,
            row.estimated_minutes.round()
        );
        total.pages += row.pages;
        total.words += row.words;
        total.films.extend(row.films.iter().cloned());
        total.exercises += row.exercises;
        total.exercise_minutes += row.exercise_minutes;
        total.reflections += row.reflections;
        total.declared_minutes += row.declared_minutes;
        total.estimated_minutes += row.estimated_minutes;
    }
    let seconds: u32 = total.films.iter().map(|(_, s)| s).sum();
    let _ = writeln!(
        out,
        "| **total** | {} | {} | {} ({}) | {} ({}) | {} | {} | {} |",
        total.pages,
        total.words,
        total.films.len(),
        clock(seconds),
        total.exercises,
        total.exercise_minutes,
        total.reflections,
        total.declared_minutes,
        total.estimated_minutes.round()
    );
    out.push_str("\n| film | module | length |\n|---|---:|---:|\n");
    for row in rows {
        for (id, seconds) in &row.films {
            let _ = writeln!(out, "| {id} | {} | {} |", row.number, clock(*seconds));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::parse::{self, tests::minimal_tree};

    #[test]
    fn a_page_is_words_films_exercises_and_questions() {
        let mut tree = minimal_tree();
        let prose = "ord ".repeat(240);
        tree.files.insert(
            "modules/1-om-pakken/01-intro.md".into(),
            format!("+++\ntitle = \"Intro\"\nestimated_minutes = 30\n+++\n\n{prose}\n\n| a | b |\n|---|---|\n| tre fire | fem |\n\n```film\nid = \"f1\"\ntitle = \"F\"\nsrc = \"https://v.example/f.mp4\"\nsubtitles = \"f1.vtt\"\nduration_seconds = 90\ntranscript = \"Anne: Hei.\"\n```\n\n```exercise estimated_minutes=15\nGjør noe med mange ord her som ikke telles\n```\n\n```exercise\nOg en til\n```\n\n```reflection\nid = \"q1\"\nquestion = \"Hva?\"\n```\n\n```reflection\nid = \"q2\"\nquestion = \"Hvorfor?\"\n```\n").into_bytes(),
        );
        let course = parse::parse(&tree).unwrap();
        let estimate = page(&course.modules[0].pages[0]);
        // 240 words of prose and 5 in the table (a, b, tre, fire, fem).
        assert_eq!(estimate.words, 245);
        assert_eq!(estimate.films, vec![("f1".to_owned(), 90)]);
        assert_eq!((estimate.exercises, estimate.exercise_minutes), (2, 25));
        assert_eq!(estimate.reflections, 2);
        let expected = 245.0 / 120.0 + 1.5 + 25.0 + 10.0;
        assert!((estimate.minutes - expected).abs() < 1e-9, "{estimate:?}");
    }

    #[test]
    fn minutes_more_than_thirty_percent_off_are_questioned() {
        assert!(!differs(13, 10.0));
        assert!(differs(14, 10.0));
        assert!(!differs(7, 10.0));
        assert!(differs(6, 10.0));
        // The minimal page: 1 word, a 10 s film, one question ≈ 5.2 min, declared 30.
        let course = parse::parse(&minimal_tree()).unwrap();
        let found: Vec<String> = warnings(&course).iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            vec![
                "modules/1-om-pakken/01-intro.md: declared 30 min, estimated 5 min".to_owned(),
                "modules/1-om-pakken/module.toml: declared 30 min, estimated 5 min (the sum of its pages' estimates)".to_owned(),
            ]
        );
    }

    #[test]
    fn the_inventory_adds_up() {
        let course = parse::parse(&minimal_tree()).unwrap();
        let rows = inventory(&course);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].pages, rows[0].reflections), (1, 1));
        let table = inventory_table(&rows);
        assert!(table.contains("| **total** | 1 |"), "{table}");
        assert!(table.contains("| f1 | 1 | 0:10 |"), "{table}");
    }
}
