//! USHTs, the municipalities they enroll, invitations into them, and the coordinators'
//! follow-up of their mentors (statuses only, never what mentors wrote).

pub mod demo;
pub mod report;
pub mod roster;
pub mod routes;
pub mod scope;
pub mod service;
pub mod store;

crate::text_enum! {
    /// A mentor's stage in the whole programme, for counts and filters.
    pub enum Stage {
        NotStarted = "not_started",
        InProgress = "in_progress",
        /// The path is done; the note is not yet submitted.
        PathCompleted = "path_completed",
        /// The note is submitted; the programme is not yet completed.
        NoteSubmitted = "note_submitted",
        /// The certificate is issued.
        Completed = "completed",
    }
}

crate::text_enum! {
    /// An invitation as the one who sent it sees it.
    pub enum InvitationStatus {
        Pending = "pending",
        Accepted = "accepted",
        Expired = "expired",
    }
}

crate::text_enum! {
    /// The field separator of a CSV report: `semicolon` for spreadsheets set up for Norwegian.
    pub enum CsvDelimiter {
        Comma = "comma",
        Semicolon = "semicolon",
    }
}
