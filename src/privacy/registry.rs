//! Every column that ties a row to a person, and what export and erasure do with it. A test
//! (`tests/api/privacy.rs`) compares this list with the database's foreign keys to `users`, so
//! a migration that adds a table holding a user reference fails until it is listed here.

/// What erasure does with the rows a column ties to the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erasure {
    /// The personal fields are replaced; the row stays so that counts stay.
    Anonymise,
    /// The rows are deleted.
    Delete,
    /// The rows stay: they hold no personal data beyond the (now anonymous) id and are needed
    /// for statistics, or they record what staff did.
    Keep,
}

#[derive(Debug, Clone, Copy)]
pub struct PersonalData {
    pub table: &'static str,
    pub column: &'static str,
    /// Where the export puts it (`-` when it is not the person's own data, such as a staff
    /// member's action on someone else).
    pub export: &'static str,
    pub erasure: Erasure,
}

const fn entry(
    table: &'static str,
    column: &'static str,
    export: &'static str,
    erasure: Erasure,
) -> PersonalData {
    PersonalData {
        table,
        column,
        export,
        erasure,
    }
}

use Erasure::{Anonymise, Delete, Keep};

pub const REGISTRY: &[PersonalData] = &[
    entry("users", "id", "profile", Anonymise),
    entry("refresh_tokens", "user_id", "-", Delete),
    entry("auth_tokens", "user_id", "-", Delete),
    entry("mail_outbox", "user_id", "emails", Delete),
    entry("content_revisions", "created_by", "-", Keep),
    entry(
        "page_completions",
        "user_id",
        "progress.page_completions",
        Keep,
    ),
    entry("module_skips", "user_id", "progress.module_skips", Keep),
    entry(
        "path_completions",
        "user_id",
        "progress.path_completed_at",
        Keep,
    ),
    entry("reflection_answers", "user_id", "answers", Delete),
    entry(
        "reflection_notes",
        "user_id",
        "reflection_note_versions",
        Delete,
    ),
    entry("webinar_series", "facilitator_id", "-", Keep),
    entry("webinar_series", "created_by", "-", Keep),
    entry("webinar_registrations", "user_id", "webinars", Keep),
    entry(
        "webinar_attendance",
        "user_id",
        "webinars[].sessions[].attended",
        Keep,
    ),
    entry("webinar_attendance", "recorded_by", "-", Keep),
    entry("idempotency_keys", "user_id", "-", Delete),
    // Revoked and stripped of the name and salt: the code and status bit must keep saying
    // "revoked" to whoever holds the credential.
    entry("certificates", "user_id", "certificate", Anonymise),
    entry("certificates", "revoked_by", "-", Keep),
    entry("access_log", "subject_id", "access_log", Keep),
    entry("access_log", "actor_id", "-", Keep),
    entry("municipalities", "enrolled_by", "-", Keep),
    entry("invitations", "invited_by", "-", Keep),
    entry("invitations", "accepted_user_id", "invitations", Delete),
    entry("nudges", "user_id", "nudges", Keep),
    entry("nudges", "sent_by", "-", Keep),
    entry("oidc_identities", "user_id", "sign_in_identities", Delete),
    entry("oidc_flows", "link_user_id", "-", Delete),
    entry("oidc_handoffs", "user_id", "-", Delete),
];

/// Tables keyed by an email address rather than a user id; erasure deletes their rows too.
/// (Failed sign-ins are keyed by an HMAC of the address, `auth::limits::account_key`, and are
/// deleted by that key.)
pub const BY_EMAIL: &[(&str, &str)] = &[
    ("invitations", "email"),
    ("mail_outbox", "recipient"),
    ("signups", "email"),
];
