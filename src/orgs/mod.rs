//! USHTs, the municipalities they enroll, invitations into them, and the coordinators'
//! follow-up of their mentors (statuses only, never what mentors wrote).

pub mod demo;
pub mod report;
pub mod roster;
pub mod routes;
pub mod scope;
mod service;
mod store;

// What the other features use of organisations (auth, to sign people up and to accept
// invitations); the services and the store stay orgs' own.
pub use store::invitations::{
    find_invitation_by_token, has_live_invitation, live_invitation_language,
    lock_invitation_by_token, mark_accepted as mark_invitation_accepted, Invitation,
};
pub use store::municipalities::{
    find_municipality, find_municipality_by_number as enrolled_municipality, Municipality,
};
// (auth, to show an invitation's place to the holder of its link)
pub use store::ushts::find_usht;
// (privacy, for the person's export)
pub use store::record::{record_of, OrganisationRecord};

crate::text_enum! {
    /// A mentor's stage in the whole programme, for counts and filters.
    pub enum Stage {
        NotStarted = "not_started",
        InProgress = "in_progress",
        /// The path is done; the note is not yet submitted.
        PathCompleted = "path_completed",
        /// The note is submitted; no seat in a webinar series yet.
        NoteSubmitted = "note_submitted",
        /// The note is submitted and the mentor has a seat in a webinar series (or has attended
        /// all three sessions); the certificate is not yet issued.
        InSeries = "in_series",
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
    /// What a CSV report's header and states are written in: `codes` (the API's, for programs)
    /// or `norwegian` (words and Oslo time, for reading in a spreadsheet).
    pub enum CsvLabels {
        Codes = "codes",
        Norwegian = "norwegian",
    }
}

crate::text_enum! {
    /// The field separator of a CSV report: `semicolon` for spreadsheets set up for Norwegian.
    pub enum CsvDelimiter {
        Comma = "comma",
        Semicolon = "semicolon",
    }
}
