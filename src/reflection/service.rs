//! Drafting and submitting the note.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::AsyncConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::store::{self, NoteVersion};
pub use super::NoteStatus;
use crate::error::{AppError, AppResult};
use crate::http::precondition::Precondition;
use crate::AppState;

/// A submitted note must have at least this many characters (whitespace at the ends not counted).
pub const MIN_SUBMIT_CHARS: usize = 300;

#[derive(Serialize, ToSchema)]
pub struct NoteView {
    /// `submitted` once any version is submitted (the ticket holds while a new draft is written).
    pub status: NoteStatus,
    /// The text being worked on: the open draft, or else the submitted version.
    pub body: String,
    pub updated_at: Option<DateTime<Utc>>,
    /// When the ticket (the newest submitted version) was submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// The version number of `body`.
    pub version: Option<i32>,
    /// The version number of the ticket.
    pub submitted_version: Option<i32>,
    /// There is a draft newer than the submitted version.
    pub has_unsubmitted_draft: bool,
    /// The entity tag of `body` (also the `ETag` header), for `If-Match` on the next save; null
    /// when there is no note.
    pub etag: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NoteVersionView {
    pub version: i32,
    pub status: NoteStatus,
    pub body: String,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

pub fn view(versions: &[NoteVersion]) -> NoteView {
    let draft = versions.iter().find(|v| !v.is_submitted());
    let submitted = versions.iter().find(|v| v.is_submitted());
    let shown = draft.or(submitted);
    NoteView {
        status: match (submitted, draft) {
            (Some(_), _) => NoteStatus::Submitted,
            (None, Some(_)) => NoteStatus::Draft,
            (None, None) => NoteStatus::None,
        },
        body: shown.map(|v| v.body.clone()).unwrap_or_default(),
        updated_at: shown.map(|v| v.updated_at),
        submitted_at: submitted.and_then(|v| v.submitted_at),
        version: shown.map(|v| v.version),
        submitted_version: submitted.map(|v| v.version),
        has_unsubmitted_draft: draft.is_some() && submitted.is_some(),
        etag: shown.map(NoteVersion::etag),
    }
}

/// The note's status, read without opening any text (for facilitators' lists).
pub async fn status_of(
    conn: &mut diesel_async::AsyncPgConnection,
    user_id: Uuid,
) -> AppResult<NoteStatus> {
    Ok(note_status(&store::statuses(conn, user_id).await?))
}

/// The note status of each of many mentors, in one query (`None` for those without a note).
pub async fn statuses_of(
    conn: &mut diesel_async::AsyncPgConnection,
    user_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, NoteStatus>> {
    let mut versions: std::collections::HashMap<Uuid, Vec<NoteStatus>> =
        user_ids.iter().map(|id| (*id, Vec::new())).collect();
    for (user_id, status) in store::statuses_of(conn, user_ids).await? {
        versions.entry(user_id).or_default().push(status);
    }
    Ok(versions
        .into_iter()
        .map(|(id, statuses)| (id, note_status(&statuses)))
        .collect())
}

/// A note is submitted once any version is; a draft while there are only drafts.
fn note_status(versions: &[NoteStatus]) -> NoteStatus {
    if versions.contains(&NoteStatus::Submitted) {
        NoteStatus::Submitted
    } else if versions.is_empty() {
        NoteStatus::None
    } else {
        NoteStatus::Draft
    }
}

pub async fn get(state: &AppState, user_id: Uuid) -> AppResult<NoteView> {
    let mut conn = state.pool.get().await?;
    Ok(view(
        &store::versions(&mut conn, &state.config.encryption, user_id).await?,
    ))
}

pub async fn history(state: &AppState, user_id: Uuid) -> AppResult<Vec<NoteVersionView>> {
    let mut conn = state.pool.get().await?;
    Ok(
        store::versions(&mut conn, &state.config.encryption, user_id)
            .await?
            .into_iter()
            .map(|v| NoteVersionView {
                status: v.status,
                version: v.version,
                body: v.body,
                updated_at: v.updated_at,
                submitted_at: v.submitted_at,
            })
            .collect(),
    )
}

/// Autosaves the draft; after a submission this starts the next version. `condition` is held
/// against the text now shown (`NoteView::etag`).
pub async fn save(
    state: &AppState,
    user_id: Uuid,
    body: &str,
    condition: &Precondition,
) -> AppResult<NoteView> {
    condition.valid()?;
    let mut conn = state.pool.get().await?;
    conn.transaction::<NoteView, AppError, _>(|conn| {
        async move {
            crate::learning::lock_learner(conn, user_id).await?;
            let current = view(&store::versions(conn, &state.config.encryption, user_id).await?);
            condition.check(current.etag.as_deref(), || &current)?;
            store::save_draft(conn, &state.config.encryption, user_id, body).await?;
            crate::auth::touch_last_active(conn, user_id, state.clock.now()).await?;
            Ok(view(
                &store::versions(conn, &state.config.encryption, user_id).await?,
            ))
        }
        .scope_boxed()
    })
    .await
}

/// Submits the open draft. Only when the path is done, and only a text of 300 characters or
/// more. Submitting again with no new draft answers with the note as it is.
pub async fn submit(state: &AppState, user: &crate::auth::AuthUser) -> AppResult<NoteView> {
    let user_id = user.id;
    let path = crate::learning::path(state, user).await?;
    if !path.completed {
        return Err(AppError::rule(
            StatusCode::CONFLICT,
            "path_not_completed",
            "The note can be submitted when modules 1–4 are done.",
        ));
    }
    let mut conn = state.pool.get().await?;
    conn.transaction::<NoteView, AppError, _>(|conn| {
        async move {
            crate::learning::lock_learner(conn, user_id).await?;
            let versions = store::versions(conn, &state.config.encryption, user_id).await?;
            let Some(draft) = versions.iter().find(|v| !v.is_submitted()) else {
                if versions.is_empty() {
                    return Err(AppError::field("body", format!("write at least {MIN_SUBMIT_CHARS} characters before submitting")));
                }
                return Ok(view(&versions));
            };
            let length = draft.body.trim().chars().count();
            if length < MIN_SUBMIT_CHARS {
                return Err(AppError::field(
                    "body",
                    format!("must be at least {MIN_SUBMIT_CHARS} characters to submit (it has {length})"),
                ));
            }
            store::submit_draft(conn, draft.id).await?;
            tracing::info!(%user_id, version = draft.version, "reflection note submitted");
            Ok(view(&store::versions(conn, &state.config.encryption, user_id).await?))
        }
        .scope_boxed()
    })
    .await
}
