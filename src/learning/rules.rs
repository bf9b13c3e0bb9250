//! The learning path's rules as a pure function of the course structure and a mentor's progress.
//!
//! - Modules are taken in order; module N+1 opens when module N is completed or skipped.
//! - Within an open module, a page opens when the page before it is completed.
//! - A skippable module that is skipped counts as done; all its pages open at once (whatever
//!   was read before the skip), and completing them all later makes it `completed` instead of
//!   `skipped`. While skipped it is left out of the page count and of the time left.
//! - Once the whole path has been done, it stays done (a later revision adding pages does not
//!   undo it) and navigation is free: every page is open.
//! - Progress on pages that a revision removed is kept but not counted.

use std::collections::HashSet;

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PageStatus {
    Locked,
    Available,
    Completed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModuleStatus {
    Locked,
    Available,
    InProgress,
    Completed,
    Skipped,
}

/// The shape of the path the rules need: modules in order, each with its pages in order.
pub struct PathShape<'a> {
    pub modules: Vec<ModuleShape<'a>>,
}

pub struct ModuleShape<'a> {
    pub number: i32,
    pub skippable: bool,
    pub pages: Vec<PageShape<'a>>,
}

pub struct PageShape<'a> {
    pub slug: &'a str,
    pub estimated_minutes: i32,
}

/// What a mentor has done.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub completed_pages: HashSet<String>,
    pub skipped_modules: HashSet<i32>,
    /// The path was done once (recorded when it happened).
    pub path_completed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub completed: bool,
    pub modules: Vec<ModuleState>,
    /// The next page to do: (module number, page index), if any.
    pub resume: Option<(i32, usize)>,
    pub minutes_left: i32,
    /// The pages that count towards the path: those of every module that is not skipped.
    pub pages_counted: usize,
    /// Of those, the completed ones.
    pub pages_completed: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleState {
    pub number: i32,
    pub status: ModuleStatus,
    pub pages: Vec<PageStatus>,
}

impl Evaluation {
    pub fn page(&self, module: i32, index: usize) -> Option<PageStatus> {
        self.modules
            .iter()
            .find(|m| m.number == module)
            .and_then(|m| m.pages.get(index).copied())
    }

    pub fn module(&self, module: i32) -> Option<ModuleStatus> {
        self.modules
            .iter()
            .find(|m| m.number == module)
            .map(|m| m.status)
    }
}

pub fn evaluate(shape: &PathShape<'_>, progress: &Progress) -> Evaluation {
    let done_now = shape
        .modules
        .iter()
        .all(|module| module_done(module, progress));
    let free = progress.path_completed || done_now;
    let mut previous_done = true;
    let mut modules = Vec::with_capacity(shape.modules.len());
    let mut resume = None;
    let mut minutes_left = 0;
    let (mut pages_counted, mut pages_completed) = (0, 0);
    for module in &shape.modules {
        let open = free || previous_done;
        let completed_count = module
            .pages
            .iter()
            .filter(|p| progress.completed_pages.contains(p.slug))
            .count();
        let all_completed = completed_count == module.pages.len();
        let skipped = module.skippable && progress.skipped_modules.contains(&module.number);
        let mut pages = Vec::with_capacity(module.pages.len());
        let mut previous_page_completed = true;
        for (index, page) in module.pages.iter().enumerate() {
            let completed = progress.completed_pages.contains(page.slug);
            let status = if completed {
                PageStatus::Completed
            } else if free || skipped || (open && previous_page_completed) {
                PageStatus::Available
            } else {
                PageStatus::Locked
            };
            if !completed && !skipped {
                minutes_left += page.estimated_minutes;
                if resume.is_none() && status == PageStatus::Available {
                    resume = Some((module.number, index));
                }
            }
            previous_page_completed = completed;
            pages.push(status);
        }
        let status = if all_completed {
            ModuleStatus::Completed
        } else if skipped {
            ModuleStatus::Skipped
        } else if !open {
            ModuleStatus::Locked
        } else if completed_count > 0 {
            ModuleStatus::InProgress
        } else {
            ModuleStatus::Available
        };
        previous_done = all_completed || skipped;
        if status != ModuleStatus::Skipped {
            pages_counted += module.pages.len();
            pages_completed += completed_count;
        }
        modules.push(ModuleState {
            number: module.number,
            status,
            pages,
        });
    }
    Evaluation {
        completed: free,
        modules,
        resume,
        minutes_left,
        pages_counted,
        pages_completed,
    }
}

fn module_done(module: &ModuleShape<'_>, progress: &Progress) -> bool {
    (module.skippable && progress.skipped_modules.contains(&module.number))
        || module
            .pages
            .iter()
            .all(|p| progress.completed_pages.contains(p.slug))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Module 1 (skippable) with pages a1 a2; module 2 with b1 b2 b3; module 3 with c1.
    fn shape() -> PathShape<'static> {
        let page = |slug| PageShape {
            slug,
            estimated_minutes: 10,
        };
        PathShape {
            modules: vec![
                ModuleShape {
                    number: 1,
                    skippable: true,
                    pages: vec![page("a1"), page("a2")],
                },
                ModuleShape {
                    number: 2,
                    skippable: false,
                    pages: vec![page("b1"), page("b2"), page("b3")],
                },
                ModuleShape {
                    number: 3,
                    skippable: false,
                    pages: vec![page("c1")],
                },
            ],
        }
    }

    fn progress(completed: &[&str], skipped: &[i32]) -> Progress {
        Progress {
            completed_pages: completed.iter().map(|s| s.to_string()).collect(),
            skipped_modules: skipped.iter().copied().collect(),
            path_completed: false,
        }
    }

    use ModuleStatus as M;
    use PageStatus::*;

    #[test]
    fn a_new_mentor_can_open_only_the_first_page() {
        let eval = evaluate(&shape(), &Progress::default());
        assert_eq!(eval.modules[0].status, M::Available);
        assert_eq!(eval.modules[0].pages, vec![Available, Locked]);
        assert_eq!(eval.modules[1].status, M::Locked);
        assert_eq!(eval.modules[1].pages, vec![Locked, Locked, Locked]);
        assert_eq!(eval.resume, Some((1, 0)));
        assert_eq!(eval.minutes_left, 60);
        assert!(!eval.completed);
    }

    #[test]
    fn pages_open_one_after_the_other_and_modules_follow() {
        let eval = evaluate(&shape(), &progress(&["a1"], &[]));
        assert_eq!(eval.modules[0].status, M::InProgress);
        assert_eq!(eval.modules[0].pages, vec![Completed, Available]);
        assert_eq!(eval.resume, Some((1, 1)));
        let eval = evaluate(&shape(), &progress(&["a1", "a2"], &[]));
        assert_eq!(eval.modules[0].status, M::Completed);
        assert_eq!(eval.modules[1].status, M::Available);
        assert_eq!(eval.modules[1].pages, vec![Available, Locked, Locked]);
        assert_eq!(eval.modules[2].status, M::Locked);
    }

    #[test]
    fn a_later_page_completed_out_of_order_does_not_open_the_one_after() {
        // Progress that could only come from an older revision: b2 done, b1 not.
        let eval = evaluate(&shape(), &progress(&["a1", "a2", "b2"], &[]));
        assert_eq!(eval.modules[1].pages, vec![Available, Completed, Available]);
        assert_eq!(eval.resume, Some((2, 0)));
    }

    #[test]
    fn skipping_module_one_opens_module_two_and_keeps_module_one_open() {
        let eval = evaluate(&shape(), &progress(&[], &[1]));
        assert_eq!(eval.modules[0].status, M::Skipped);
        assert_eq!(eval.modules[0].pages, vec![Available, Available]);
        assert_eq!(eval.modules[1].status, M::Available);
        assert_eq!(eval.resume, Some((2, 0)), "resume skips the skipped module");
        assert_eq!(
            eval.minutes_left, 40,
            "skipped pages are not counted as left"
        );
        assert_eq!(
            (eval.pages_completed, eval.pages_counted),
            (0, 4),
            "the skipped module is left out of the count"
        );
        // Completing module 1 later turns the skip into a completion.
        let eval = evaluate(&shape(), &progress(&["a1", "a2"], &[1]));
        assert_eq!(eval.modules[0].status, M::Completed);
    }

    #[test]
    fn a_skipped_module_opens_every_page_whatever_was_read_before() {
        let page = |slug| PageShape {
            slug,
            estimated_minutes: 10,
        };
        let shape = PathShape {
            modules: vec![
                ModuleShape {
                    number: 1,
                    skippable: true,
                    pages: vec![page("a1"), page("a2"), page("a3"), page("a4")],
                },
                ModuleShape {
                    number: 2,
                    skippable: false,
                    pages: vec![page("b1")],
                },
            ],
        };
        let read_first = evaluate(&shape, &progress(&["a1"], &[1]));
        let skipped_first = evaluate(&shape, &progress(&[], &[1]));
        assert_eq!(
            read_first.modules[0].pages,
            vec![Completed, Available, Available, Available]
        );
        assert_eq!(skipped_first.modules[0].pages, vec![Available; 4]);
        for eval in [&read_first, &skipped_first] {
            assert_eq!(eval.modules[0].status, M::Skipped);
            assert_eq!(eval.resume, Some((2, 0)));
            assert_eq!((eval.pages_completed, eval.pages_counted), (0, 1));
            assert_eq!(eval.minutes_left, 10);
        }
        // A page read out of order in the skipped module opens nothing beyond it.
        let eval = evaluate(&shape, &progress(&["a3"], &[1]));
        assert_eq!(
            eval.modules[0].pages,
            vec![Available, Available, Completed, Available]
        );
        assert_eq!(eval.modules[1].pages, vec![Available]);
        // Read to the end after all, the module is completed and counts again.
        let eval = evaluate(&shape, &progress(&["a1", "a2", "a3", "a4"], &[1]));
        assert_eq!(eval.modules[0].status, M::Completed);
        assert_eq!((eval.pages_completed, eval.pages_counted), (4, 5));
    }

    #[test]
    fn the_count_follows_completed_pages_of_the_counted_modules() {
        let eval = evaluate(&shape(), &Progress::default());
        assert_eq!((eval.pages_completed, eval.pages_counted), (0, 6));
        let eval = evaluate(&shape(), &progress(&["a1", "a2", "b1"], &[]));
        assert_eq!((eval.pages_completed, eval.pages_counted), (3, 6));
        // Progress on a page a revision removed is not counted.
        let eval = evaluate(&shape(), &progress(&["gone-page", "a1"], &[]));
        assert_eq!((eval.pages_completed, eval.pages_counted), (1, 6));
    }

    #[test]
    fn only_skippable_modules_can_be_skipped() {
        let eval = evaluate(&shape(), &progress(&["a1", "a2"], &[2]));
        assert_eq!(eval.modules[1].status, M::Available);
        assert_eq!(eval.modules[2].status, M::Locked);
    }

    #[test]
    fn a_done_path_is_completed_and_free() {
        let eval = evaluate(&shape(), &progress(&["b1", "b2", "b3", "c1"], &[1]));
        assert!(eval.completed);
        assert_eq!(eval.modules[0].status, M::Skipped);
        assert_eq!(
            eval.modules[0].pages,
            vec![Available, Available],
            "free navigation"
        );
        assert_eq!(eval.resume, None);
        assert_eq!(eval.minutes_left, 0);
        assert_eq!(
            (eval.pages_completed, eval.pages_counted),
            (4, 4),
            "a done path with a skipped module is all done in the count too"
        );
    }

    #[test]
    fn a_completed_path_stays_completed_when_a_revision_adds_a_page() {
        let mut with_new_page = shape();
        with_new_page.modules[1].pages.insert(
            1,
            PageShape {
                slug: "b-new",
                estimated_minutes: 15,
            },
        );
        let mut done = progress(&["a1", "a2", "b1", "b2", "b3", "c1"], &[]);
        done.path_completed = true;
        let eval = evaluate(&with_new_page, &done);
        assert!(eval.completed);
        assert_eq!(eval.modules[1].status, M::InProgress);
        assert_eq!(
            eval.modules[1].pages[1], Available,
            "the new page shows as available"
        );
        assert_eq!(eval.resume, Some((2, 1)));
        assert_eq!(eval.minutes_left, 15);
        // Without the record, the same progress is not a completed path.
        done.path_completed = false;
        assert!(!evaluate(&with_new_page, &done).completed);
    }

    #[test]
    fn progress_on_removed_pages_is_kept_but_not_counted() {
        let eval = evaluate(&shape(), &progress(&["gone-page", "a1"], &[]));
        assert_eq!(eval.modules[0].pages, vec![Completed, Available]);
        assert_eq!(eval.minutes_left, 50);
    }
}
