//! The reflection note: drafted at any time, submitted once the path is done; the submitted
//! version is the entry ticket to module 5. It is plain text and never rendered as HTML.

pub mod routes;
pub mod service;
pub mod store;

// What the other features use of the note (privacy: the export; webinars: the entry ticket and
// the facilitator's read and the diploma's date).
pub use service::{status_of, statuses_of};
pub use store::{
    first_submitted_at, has_submitted, latest_submitted, record_of, NoteVersionRecord,
};

crate::text_enum! {
    /// A note's state: `none` before the first draft; a version in the database is a `draft`
    /// or `submitted`.
    pub enum NoteStatus {
        None = "none",
        Draft = "draft",
        Submitted = "submitted",
    }
}
