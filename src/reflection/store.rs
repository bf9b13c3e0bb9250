//! Note versions in PostgreSQL. The database keeps the rules that must hold: one draft per
//! mentor, submitted versions unchangeable, at least 300 characters when submitted.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::reflection_notes;
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reflection_notes)]
pub struct NoteVersion {
    pub id: Uuid,
    pub version: i32,
    pub body: String,
    pub status: String,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

impl NoteVersion {
    pub fn is_submitted(&self) -> bool {
        self.status == "submitted"
    }
}

/// Every version of a mentor's note, newest first.
pub async fn versions(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Vec<NoteVersion>, AppError> {
    Ok(reflection_notes::table
        .filter(reflection_notes::user_id.eq(user_id))
        .order(reflection_notes::version.desc())
        .select(NoteVersion::as_select())
        .load(conn)
        .await?)
}

/// Saves the draft: updates the open draft, or starts a new version after the last one.
pub async fn save_draft(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    body: &str,
) -> Result<NoteVersion, AppError> {
    let updated: Option<NoteVersion> = diesel::update(
        reflection_notes::table
            .filter(reflection_notes::user_id.eq(user_id))
            .filter(reflection_notes::status.eq("draft")),
    )
    .set((
        reflection_notes::body.eq(body),
        reflection_notes::updated_at.eq(diesel::dsl::now),
    ))
    .returning(NoteVersion::as_returning())
    .get_result(conn)
    .await
    .optional()?;
    if let Some(draft) = updated {
        return Ok(draft);
    }
    let next: i32 = reflection_notes::table
        .filter(reflection_notes::user_id.eq(user_id))
        .select(diesel::dsl::max(reflection_notes::version))
        .first::<Option<i32>>(conn)
        .await?
        .unwrap_or(0)
        + 1;
    Ok(diesel::insert_into(reflection_notes::table)
        .values((
            reflection_notes::user_id.eq(user_id),
            reflection_notes::version.eq(next),
            reflection_notes::body.eq(body),
            reflection_notes::status.eq("draft"),
        ))
        .returning(NoteVersion::as_returning())
        .get_result(conn)
        .await?)
}

/// Turns the open draft into the submitted version.
pub async fn submit_draft(
    conn: &mut AsyncPgConnection,
    draft_id: Uuid,
) -> Result<NoteVersion, AppError> {
    Ok(diesel::update(reflection_notes::table.find(draft_id))
        .set((
            reflection_notes::status.eq("submitted"),
            reflection_notes::submitted_at.eq(diesel::dsl::now),
            reflection_notes::updated_at.eq(diesel::dsl::now),
        ))
        .returning(NoteVersion::as_returning())
        .get_result(conn)
        .await?)
}

/// The newest submitted version: the ticket.
pub async fn latest_submitted(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Option<NoteVersion>, AppError> {
    Ok(reflection_notes::table
        .filter(reflection_notes::user_id.eq(user_id))
        .filter(reflection_notes::status.eq("submitted"))
        .order(reflection_notes::version.desc())
        .select(NoteVersion::as_select())
        .first(conn)
        .await
        .optional()?)
}
