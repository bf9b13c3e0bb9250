//! The sequential learning path: rules, progress, page reads, completions and reflection answers.

pub mod routes;
pub mod rules;
pub mod service;
pub mod store;

crate::text_enum! {
    /// Where a mentor is on the path as a whole (the follow-up's view of it).
    pub enum PathStatus {
        NotStarted = "not_started",
        InProgress = "in_progress",
        Completed = "completed",
    }
}

// What the other features use of the path; its store and service stay its own.
pub use rules::{ModuleShape, PageShape, PathShape};
pub use service::{current_revision, path};
pub use store::{
    lock_user as lock_learner, path_completed_at, record_of, skipped_modules, LearnerRecord,
};
