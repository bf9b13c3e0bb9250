//! The people whose data this holds keep it theirs: export, erasure, and the log of who read it.

pub mod registry;
pub mod routes;
pub mod service;
pub mod store;

// What the other features use: recording who read a person's data.
pub use store::record_access;

use chrono::{DateTime, Utc};

crate::text_enum! {
    /// What someone other than the person did with their data, as the access log names it.
    pub enum Access {
        /// A facilitator read a participant's submitted reflection note.
        ReadNote = "read_note",
        /// A coordinator or administrator saw the person's progress in a list.
        ViewProgress = "view_progress",
        /// The person's progress went into a CSV report.
        ExportProgress = "export_progress",
        /// An administrator exported everything stored about the person.
        ExportUser = "export_user",
    }
}

crate::text_enum! {
    /// What of the person's an access was to.
    pub enum AccessedObject {
        ReflectionNote = "reflection_note",
        Progress = "progress",
        User = "user",
    }
}

impl Access {
    pub fn object(self) -> AccessedObject {
        match self {
            Access::ReadNote => AccessedObject::ReflectionNote,
            Access::ViewProgress | Access::ExportProgress => AccessedObject::Progress,
            Access::ExportUser => AccessedObject::User,
        }
    }
}

/// One line of the access log as the person sees it.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AccessEntry {
    pub at: DateTime<Utc>,
    /// The name of who looked (null if that account has since been erased).
    pub actor_name: Option<String>,
    pub actor_role: crate::auth::Role,
    pub action: Access,
    pub object_type: AccessedObject,
    pub object_id: Option<String>,
}
