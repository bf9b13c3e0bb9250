//! Note versions in PostgreSQL, their text sealed (see `crate::encryption`). The database keeps
//! the rules that must hold: one draft per mentor, submitted versions unchangeable; that a
//! submitted text has at least 300 characters is checked here before sealing (the database
//! only sees a lower bound on the ciphertext's length).

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::NoteStatus;
use crate::db::schema::reflection_notes;
use crate::encryption::{row_aad, Keyring, Reseal, StoredText};
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct NoteVersion {
    pub id: Uuid,
    pub version: i32,
    pub body: String,
    /// `draft` or `submitted`.
    pub status: NoteStatus,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// Raised by each save of the version's text.
    pub revision: i32,
}

impl NoteVersion {
    pub fn is_submitted(&self) -> bool {
        self.status == NoteStatus::Submitted
    }

    /// The entity tag of this version's text, for `If-Match`.
    pub fn etag(&self) -> String {
        format!("\"v{}.{}\"", self.version, self.revision)
    }
}

/// A row as stored: the text still sealed.
#[derive(Queryable, Selectable)]
#[diesel(table_name = reflection_notes)]
struct NoteRow {
    id: Uuid,
    user_id: Uuid,
    version: i32,
    body: Option<String>,
    body_ciphertext: Option<Vec<u8>>,
    key_id: Option<String>,
    status: NoteStatus,
    updated_at: DateTime<Utc>,
    submitted_at: Option<DateTime<Utc>>,
    revision: i32,
}

/// Ties a note's ciphertext to its row: it opens for no other note, mentor or version.
fn note_aad(id: Uuid, user_id: Uuid, version: i32) -> Vec<u8> {
    row_aad(
        "reflection_notes",
        &[id.as_bytes(), user_id.as_bytes(), &version.to_be_bytes()],
    )
}

impl NoteRow {
    fn open(self, keys: &Keyring) -> Result<NoteVersion, AppError> {
        let aad = note_aad(self.id, self.user_id, self.version);
        let body = StoredText {
            plaintext: self.body,
            ciphertext: self.body_ciphertext,
            key_id: self.key_id,
        }
        .open(keys, &aad)?;
        Ok(NoteVersion {
            id: self.id,
            version: self.version,
            body,
            status: self.status,
            updated_at: self.updated_at,
            submitted_at: self.submitted_at,
            revision: self.revision,
        })
    }
}

/// Every version of a mentor's note, newest first, opened.
pub async fn versions(
    conn: &mut AsyncPgConnection,
    keys: &Keyring,
    user_id: Uuid,
) -> Result<Vec<NoteVersion>, AppError> {
    let rows: Vec<NoteRow> = reflection_notes::table
        .filter(reflection_notes::user_id.eq(user_id))
        .order(reflection_notes::version.desc())
        .select(NoteRow::as_select())
        .load(conn)
        .await?;
    rows.into_iter().map(|row| row.open(keys)).collect()
}

/// The statuses of a mentor's versions (`draft`/`submitted`), without opening any text.
pub async fn statuses(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Vec<NoteStatus>, AppError> {
    Ok(reflection_notes::table
        .filter(reflection_notes::user_id.eq(user_id))
        .select(reflection_notes::status)
        .load(conn)
        .await?)
}

/// Saves the draft, sealed: updates the open draft, or starts a new version after the last one.
/// Called within a transaction that holds the mentor's lock.
pub async fn save_draft(
    conn: &mut AsyncPgConnection,
    keys: &Keyring,
    user_id: Uuid,
    body: &str,
) -> Result<(), AppError> {
    let draft: Option<(Uuid, i32)> = reflection_notes::table
        .filter(reflection_notes::user_id.eq(user_id))
        .filter(reflection_notes::status.eq(NoteStatus::Draft))
        .select((reflection_notes::id, reflection_notes::version))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    if let Some((id, version)) = draft {
        let sealed = keys.seal(body, &note_aad(id, user_id, version));
        diesel::update(reflection_notes::table.find(id))
            .set((
                reflection_notes::body.eq(None::<String>),
                reflection_notes::body_ciphertext.eq(Some(sealed.ciphertext)),
                reflection_notes::key_id.eq(Some(sealed.key_id)),
                reflection_notes::updated_at.eq(diesel::dsl::now),
                reflection_notes::revision.eq(reflection_notes::revision + 1),
            ))
            .execute(conn)
            .await?;
        return Ok(());
    }
    let next: i32 = reflection_notes::table
        .filter(reflection_notes::user_id.eq(user_id))
        .select(diesel::dsl::max(reflection_notes::version))
        .first::<Option<i32>>(conn)
        .await?
        .unwrap_or(0)
        + 1;
    let id = Uuid::new_v4();
    let sealed = keys.seal(body, &note_aad(id, user_id, next));
    diesel::insert_into(reflection_notes::table)
        .values((
            reflection_notes::id.eq(id),
            reflection_notes::user_id.eq(user_id),
            reflection_notes::version.eq(next),
            reflection_notes::body_ciphertext.eq(Some(sealed.ciphertext)),
            reflection_notes::key_id.eq(Some(sealed.key_id)),
            reflection_notes::status.eq(NoteStatus::Draft),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Turns the open draft into the submitted version.
pub async fn submit_draft(conn: &mut AsyncPgConnection, draft_id: Uuid) -> Result<(), AppError> {
    diesel::update(reflection_notes::table.find(draft_id))
        .set((
            reflection_notes::status.eq(NoteStatus::Submitted),
            reflection_notes::submitted_at.eq(diesel::dsl::now),
            reflection_notes::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest submitted version, opened: the ticket.
pub async fn latest_submitted(
    conn: &mut AsyncPgConnection,
    keys: &Keyring,
    user_id: Uuid,
) -> Result<Option<NoteVersion>, AppError> {
    reflection_notes::table
        .filter(reflection_notes::user_id.eq(user_id))
        .filter(reflection_notes::status.eq(NoteStatus::Submitted))
        .order(reflection_notes::version.desc())
        .select(NoteRow::as_select())
        .first(conn)
        .await
        .optional()?
        .map(|row| row.open(keys))
        .transpose()
}

/// Whether any version is submitted (without opening it).
pub async fn has_submitted(conn: &mut AsyncPgConnection, user_id: Uuid) -> Result<bool, AppError> {
    Ok(diesel::select(diesel::dsl::exists(
        reflection_notes::table
            .filter(reflection_notes::user_id.eq(user_id))
            .filter(reflection_notes::status.eq(NoteStatus::Submitted)),
    ))
    .get_result(conn)
    .await?)
}

/// When the person first submitted a note (without opening it).
pub async fn first_submitted_at(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(reflection_notes::table
        .filter(reflection_notes::user_id.eq(user_id))
        .filter(reflection_notes::status.eq(NoteStatus::Submitted))
        .select(diesel::dsl::min(reflection_notes::submitted_at))
        .get_result(conn)
        .await?)
}

/// One batch of a pass over all notes (see `encryption::reseal`); the caller's transaction
/// holds the selected rows locked. Returns how many rows changed.
pub async fn reseal_notes(
    conn: &mut AsyncPgConnection,
    keys: &Keyring,
    mode: Reseal,
    batch: i64,
) -> Result<usize, AppError> {
    use reflection_notes::dsl as n;
    let pending: Box<dyn BoxableExpression<n::reflection_notes, Pg, SqlType = Nullable<Bool>>> =
        match mode {
            Reseal::SealPlaintext => Box::new(n::body.is_not_null().nullable()),
            Reseal::Rotate => Box::new(
                n::body
                    .is_not_null()
                    .nullable()
                    .or(n::key_id.ne(keys.current_id().to_owned())),
            ),
            Reseal::Decrypt => Box::new(n::body_ciphertext.is_not_null().nullable()),
        };
    let query = n::reflection_notes
        .filter(pending)
        .select(NoteRow::as_select())
        .limit(batch)
        .for_update();
    let rows: Vec<NoteRow> = query.load(conn).await?;
    let count = rows.len();
    for row in rows {
        let aad = note_aad(row.id, row.user_id, row.version);
        let id = row.id;
        let note = row.open(keys)?;
        let target = n::reflection_notes.find(id);
        // `updated_at` stays: the mentor's text has not changed.
        if mode == Reseal::Decrypt {
            diesel::update(target)
                .set((
                    n::body.eq(Some(note.body)),
                    n::body_ciphertext.eq(None::<Vec<u8>>),
                    n::key_id.eq(None::<String>),
                ))
                .execute(conn)
                .await?;
        } else {
            let sealed = keys.seal(&note.body, &aad);
            diesel::update(target)
                .set((
                    n::body.eq(None::<String>),
                    n::body_ciphertext.eq(Some(sealed.ciphertext)),
                    n::key_id.eq(Some(sealed.key_id)),
                ))
                .execute(conn)
                .await?;
        }
    }
    Ok(count)
}

/// The statuses of many mentors' versions at once, as (user, status) pairs, without opening any
/// text.
pub async fn statuses_of(
    conn: &mut AsyncPgConnection,
    user_ids: &[Uuid],
) -> Result<Vec<(Uuid, NoteStatus)>, AppError> {
    Ok(reflection_notes::table
        .filter(reflection_notes::user_id.eq_any(user_ids))
        .select((reflection_notes::user_id, reflection_notes::status))
        .load(conn)
        .await?)
}

/// One version of the note, for the person's export.
#[derive(Debug, serde::Serialize)]
pub struct NoteVersionRecord {
    pub version: i32,
    pub status: NoteStatus,
    pub text: String,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// Every version of the person's note, newest first, for their export.
pub async fn record_of(
    conn: &mut AsyncPgConnection,
    keys: &Keyring,
    user_id: Uuid,
) -> Result<Vec<NoteVersionRecord>, AppError> {
    Ok(versions(conn, keys, user_id)
        .await?
        .into_iter()
        .map(|n| NoteVersionRecord {
            version: n.version,
            status: n.status,
            text: n.body,
            updated_at: n.updated_at,
            submitted_at: n.submitted_at,
        })
        .collect())
}
