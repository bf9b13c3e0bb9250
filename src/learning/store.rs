//! Progress queries. A mentor's whole progress and the published revision's id come back in one
//! round trip, whatever the size of the course.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::rules::Progress;
use crate::db::schema::{
    content_current, module_skips, page_completions, path_completions, reflection_answers, users,
};
use crate::encryption::{row_aad, Keyring, Reseal, StoredText};
use crate::error::AppError;

/// The published revision and the user's progress, read together.
pub struct Snapshot {
    pub revision_id: Option<Uuid>,
    pub progress: Progress,
}

pub async fn snapshot(conn: &mut AsyncPgConnection, user_id: Uuid) -> Result<Snapshot, AppError> {
    // One UNION ALL of four selects built with the DSL, so diesel keeps it prepared: rows of
    // (kind, page slug, module number, revision id), the unused columns NULL.
    let none_text = || None::<String>.into_sql::<Nullable<Text>>();
    let none_int = || None::<i32>.into_sql::<Nullable<Integer>>();
    let none_uuid = || None::<Uuid>.into_sql::<Nullable<SqlUuid>>();
    let rows: Vec<SnapshotRow> = content_current::table
        .select((
            KIND_REVISION.into_sql::<Integer>(),
            none_text(),
            none_int(),
            content_current::revision_id.nullable(),
        ))
        .union_all(
            page_completions::table
                .filter(page_completions::user_id.eq(user_id))
                .select((
                    KIND_COMPLETION.into_sql::<Integer>(),
                    page_completions::page_slug.nullable(),
                    none_int(),
                    none_uuid(),
                )),
        )
        .union_all(
            module_skips::table
                .filter(module_skips::user_id.eq(user_id))
                .select((
                    KIND_SKIP.into_sql::<Integer>(),
                    none_text(),
                    module_skips::module_number.nullable(),
                    none_uuid(),
                )),
        )
        .union_all(
            path_completions::table
                .filter(path_completions::user_id.eq(user_id))
                .select((
                    KIND_PATH_DONE.into_sql::<Integer>(),
                    none_text(),
                    none_int(),
                    none_uuid(),
                )),
        )
        .load(conn)
        .await?;
    let mut snapshot = Snapshot {
        revision_id: None,
        progress: Progress::default(),
    };
    for (kind, slug, module, revision) in rows {
        match kind {
            KIND_REVISION => snapshot.revision_id = revision,
            KIND_COMPLETION => {
                snapshot.progress.completed_pages.extend(slug);
            }
            KIND_SKIP => {
                snapshot.progress.skipped_modules.extend(module);
            }
            _ => snapshot.progress.path_completed = true,
        }
    }
    Ok(snapshot)
}

/// (kind, page slug, module number, revision id).
type SnapshotRow = (i32, Option<String>, Option<i32>, Option<Uuid>);

const KIND_REVISION: i32 = 0;
const KIND_COMPLETION: i32 = 1;
const KIND_SKIP: i32 = 2;
const KIND_PATH_DONE: i32 = 3;

/// Serialises one user's progress writes (within the caller's transaction).
pub async fn lock_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> Result<(), AppError> {
    users::table
        .find(user_id)
        .select(users::id)
        .for_no_key_update()
        .first::<Uuid>(conn)
        .await
        .optional()?
        .ok_or(AppError::Unauthorized)?;
    Ok(())
}

pub async fn complete_page(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    slug: &str,
    module: i32,
) -> Result<(), AppError> {
    diesel::insert_into(page_completions::table)
        .values((
            page_completions::user_id.eq(user_id),
            page_completions::page_slug.eq(slug),
            page_completions::module_number.eq(module),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// A completion decided on a snapshot of progress, in one statement outside a transaction (see
/// `service::complete`): the page, the path when this page completes it, and the activity stamp
/// when it is due. Completions and skips are only ever added, so a page open in an older
/// snapshot is open now too.
pub async fn complete_page_at_once(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    slug: &str,
    module: i32,
    completes_path: bool,
    stamp: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::sql_query(
        "WITH page AS ( \
             INSERT INTO page_completions (user_id, page_slug, module_number) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING), \
         path AS ( \
             INSERT INTO path_completions (user_id) SELECT $1 WHERE $4 ON CONFLICT DO NOTHING) \
         UPDATE users SET last_active_at = $6 WHERE id = $1 AND $5",
    )
    .bind::<SqlUuid, _>(user_id)
    .bind::<Text, _>(slug)
    .bind::<Integer, _>(module)
    .bind::<Bool, _>(completes_path)
    .bind::<Bool, _>(stamp)
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn skip_module(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    module: i32,
) -> Result<(), AppError> {
    diesel::insert_into(module_skips::table)
        .values((
            module_skips::user_id.eq(user_id),
            module_skips::module_number.eq(module),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn record_path_completed(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<(), AppError> {
    diesel::insert_into(path_completions::table)
        .values(path_completions::user_id.eq(user_id))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn path_completed_at(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(path_completions::table
        .find(user_id)
        .select(path_completions::completed_at)
        .first(conn)
        .await
        .optional()?)
}

/// The modules the person skipped (as done before, where the module allows it), by number.
pub async fn skipped_modules(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Vec<i32>, AppError> {
    Ok(module_skips::table
        .filter(module_skips::user_id.eq(user_id))
        .order(module_skips::module_number)
        .select(module_skips::module_number)
        .load(conn)
        .await?)
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub page_slug: String,
    pub question_id: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
    /// Raised by each save.
    pub revision: i32,
}

impl Answer {
    /// The entity tag of this answer's text, for `If-Match`.
    pub fn etag(&self) -> String {
        format!("\"r{}\"", self.revision)
    }
}

/// Ties an answer's ciphertext to its row: it opens for no other user, page or question.
fn answer_aad(user_id: Uuid, page_slug: &str, question_id: &str) -> Vec<u8> {
    row_aad(
        "reflection_answers",
        &[
            user_id.as_bytes(),
            page_slug.as_bytes(),
            question_id.as_bytes(),
        ],
    )
}

/// An answer as stored: the text still sealed.
#[derive(Queryable, Selectable)]
#[diesel(table_name = reflection_answers)]
struct AnswerRow {
    page_slug: String,
    question_id: String,
    body: Option<String>,
    body_ciphertext: Option<Vec<u8>>,
    key_id: Option<String>,
    updated_at: DateTime<Utc>,
    revision: i32,
}

fn open_answer(keys: &Keyring, user_id: Uuid, row: AnswerRow) -> Result<Answer, AppError> {
    let body = StoredText {
        plaintext: row.body,
        ciphertext: row.body_ciphertext,
        key_id: row.key_id,
    }
    .open(keys, &answer_aad(user_id, &row.page_slug, &row.question_id))?;
    Ok(Answer {
        page_slug: row.page_slug,
        question_id: row.question_id,
        body,
        updated_at: row.updated_at,
        revision: row.revision,
    })
}

/// What a conditional save came to.
pub enum SavedAnswer {
    Saved(Answer),
    /// The condition failed against this answer (none: there is none yet).
    Refused(Option<Answer>),
}

/// Saves an answer, sealed; the plaintext never reaches the database. `allows` decides, from the
/// current answer's ETag (none when there is none), whether the save goes ahead; the current row
/// is locked while it decides, and a first answer is inserted only if none appeared meanwhile.
/// Runs in a transaction of its own.
pub async fn save_answer(
    conn: &mut AsyncPgConnection,
    keys: &Keyring,
    user_id: Uuid,
    page_slug: &str,
    question_id: &str,
    body: &str,
    allows: &(dyn Fn(Option<&str>) -> bool + Sync),
) -> Result<SavedAnswer, AppError> {
    use diesel_async::scoped_futures::ScopedFutureExt;
    use diesel_async::AsyncConnection;
    conn.transaction::<SavedAnswer, AppError, _>(|conn| {
        async move {
            let row = reflection_answers::table
                .find((user_id, page_slug, question_id))
                .select(AnswerRow::as_select())
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let current = row.map(|row| open_answer(keys, user_id, row)).transpose()?;
            if !allows(current.as_ref().map(Answer::etag).as_deref()) {
                return Ok(SavedAnswer::Refused(current));
            }
            let sealed = keys.seal(body, &answer_aad(user_id, page_slug, question_id));
            let saved: Option<(DateTime<Utc>, i32)> = if current.is_some() {
                Some(
                    diesel::update(reflection_answers::table.find((
                        user_id,
                        page_slug,
                        question_id,
                    )))
                    .set((
                        reflection_answers::body.eq(None::<String>),
                        reflection_answers::body_ciphertext.eq(Some(&sealed.ciphertext)),
                        reflection_answers::key_id.eq(Some(&sealed.key_id)),
                        reflection_answers::updated_at.eq(diesel::dsl::now),
                        reflection_answers::revision.eq(reflection_answers::revision + 1),
                    ))
                    .returning((reflection_answers::updated_at, reflection_answers::revision))
                    .get_result(conn)
                    .await?,
                )
            } else {
                diesel::insert_into(reflection_answers::table)
                    .values((
                        reflection_answers::user_id.eq(user_id),
                        reflection_answers::page_slug.eq(page_slug),
                        reflection_answers::question_id.eq(question_id),
                        reflection_answers::body_ciphertext.eq(Some(&sealed.ciphertext)),
                        reflection_answers::key_id.eq(Some(&sealed.key_id)),
                    ))
                    .on_conflict_do_nothing()
                    .returning((reflection_answers::updated_at, reflection_answers::revision))
                    .get_result(conn)
                    .await
                    .optional()?
            };
            // A first answer saved meanwhile by another request: that request came first.
            let Some((updated_at, revision)) = saved else {
                return Err(AppError::Conflict(
                    "This answer was saved by another request at the same moment; try again."
                        .into(),
                ));
            };
            Ok(SavedAnswer::Saved(Answer {
                page_slug: page_slug.to_owned(),
                question_id: question_id.to_owned(),
                body: body.to_owned(),
                updated_at,
                revision,
            }))
        }
        .scope_boxed()
    })
    .await
}

/// A mentor's answers, opened.
pub async fn answers(
    conn: &mut AsyncPgConnection,
    keys: &Keyring,
    user_id: Uuid,
) -> Result<Vec<Answer>, AppError> {
    let rows: Vec<AnswerRow> = reflection_answers::table
        .filter(reflection_answers::user_id.eq(user_id))
        .order((
            reflection_answers::page_slug,
            reflection_answers::question_id,
        ))
        .select(AnswerRow::as_select())
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|row| open_answer(keys, user_id, row))
        .collect()
}

/// One batch of a pass over all answers (see `encryption::reseal`); the caller's transaction
/// holds the selected rows locked. Returns how many rows changed.
pub async fn reseal_answers(
    conn: &mut AsyncPgConnection,
    keys: &Keyring,
    mode: Reseal,
    batch: i64,
) -> Result<usize, AppError> {
    use reflection_answers::dsl as a;
    let pending: Box<dyn BoxableExpression<a::reflection_answers, Pg, SqlType = Nullable<Bool>>> =
        match mode {
            Reseal::SealPlaintext => Box::new(a::body.is_not_null().nullable()),
            Reseal::Rotate => Box::new(
                a::body
                    .is_not_null()
                    .nullable()
                    .or(a::key_id.ne(keys.current_id().to_owned())),
            ),
            Reseal::Decrypt => Box::new(a::body_ciphertext.is_not_null().nullable()),
        };
    let query = a::reflection_answers
        .filter(pending)
        .select((
            a::user_id,
            a::page_slug,
            a::question_id,
            a::body,
            a::body_ciphertext,
            a::key_id,
        ))
        .limit(batch)
        .for_update();
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        Uuid,
        String,
        String,
        Option<String>,
        Option<Vec<u8>>,
        Option<String>,
    )> = query.load(conn).await?;
    for (user_id, page_slug, question_id, plaintext, ciphertext, key_id) in &rows {
        let aad = answer_aad(*user_id, page_slug, question_id);
        let text = StoredText {
            plaintext: plaintext.clone(),
            ciphertext: ciphertext.clone(),
            key_id: key_id.clone(),
        }
        .open(keys, &aad)?;
        let row = a::reflection_answers.find((user_id, page_slug, question_id));
        if mode == Reseal::Decrypt {
            diesel::update(row)
                .set((
                    a::body.eq(Some(text)),
                    a::body_ciphertext.eq(None::<Vec<u8>>),
                    a::key_id.eq(None::<String>),
                ))
                .execute(conn)
                .await?;
        } else {
            let sealed = keys.seal(&text, &aad);
            diesel::update(row)
                .set((
                    a::body.eq(None::<String>),
                    a::body_ciphertext.eq(Some(sealed.ciphertext)),
                    a::key_id.eq(Some(sealed.key_id)),
                ))
                .execute(conn)
                .await?;
        }
    }
    Ok(rows.len())
}

// ---- the person's export ---------------------------------------------------------------------

/// What the path holds of a person, for their export.
#[derive(Debug, serde::Serialize)]
pub struct LearnerRecord {
    pub progress: ProgressRecord,
    pub answers: Vec<AnswerRecord>,
}

#[derive(Debug, serde::Serialize)]
pub struct ProgressRecord {
    pub page_completions: Vec<PageCompletionRecord>,
    pub module_skips: Vec<ModuleSkipRecord>,
    pub path_completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Queryable, serde::Serialize)]
pub struct PageCompletionRecord {
    pub module_number: i32,
    pub page_slug: String,
    pub completed_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, serde::Serialize)]
pub struct ModuleSkipRecord {
    pub module_number: i32,
    pub skipped_at: DateTime<Utc>,
}

#[derive(Debug, serde::Serialize)]
pub struct AnswerRecord {
    pub page_slug: String,
    pub question_id: String,
    pub text: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn record_of(
    conn: &mut AsyncPgConnection,
    keys: &Keyring,
    user_id: Uuid,
) -> Result<LearnerRecord, AppError> {
    let page_completions = page_completions::table
        .filter(page_completions::user_id.eq(user_id))
        .order(page_completions::completed_at)
        .select((
            page_completions::module_number,
            page_completions::page_slug,
            page_completions::completed_at,
        ))
        .load(conn)
        .await?;
    let module_skips = module_skips::table
        .filter(module_skips::user_id.eq(user_id))
        .order(module_skips::module_number)
        .select((module_skips::module_number, module_skips::skipped_at))
        .load(conn)
        .await?;
    let path_completed_at = path_completed_at(conn, user_id).await?;
    let answers = answers(conn, keys, user_id)
        .await?
        .into_iter()
        .map(|a| AnswerRecord {
            page_slug: a.page_slug,
            question_id: a.question_id,
            text: a.body,
            updated_at: a.updated_at,
        })
        .collect();
    Ok(LearnerRecord {
        progress: ProgressRecord {
            page_completions,
            module_skips,
            path_completed_at,
        },
        answers,
    })
}
