//! Progress queries. A mentor's whole progress and the published revision's id come back in one
//! round trip, whatever the size of the course.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::rules::Progress;
use crate::db::schema::{
    module_skips, page_completions, path_completions, reflection_answers, users,
};
use crate::error::AppError;

#[derive(QueryableByName)]
struct SnapshotRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    key: String,
}

/// The published revision and the user's progress, read together.
pub struct Snapshot {
    pub revision_id: Option<Uuid>,
    pub progress: Progress,
}

pub async fn snapshot(conn: &mut AsyncPgConnection, user_id: Uuid) -> Result<Snapshot, AppError> {
    let rows: Vec<SnapshotRow> = diesel::sql_query(
        "SELECT 'r' AS kind, revision_id::text AS key FROM content_current \
         UNION ALL SELECT 'c', page_slug FROM page_completions WHERE user_id = $1 \
         UNION ALL SELECT 's', module_number::text FROM module_skips WHERE user_id = $1 \
         UNION ALL SELECT 'p', '' FROM path_completions WHERE user_id = $1",
    )
    .bind::<SqlUuid, _>(user_id)
    .load(conn)
    .await?;
    let mut snapshot = Snapshot {
        revision_id: None,
        progress: Progress::default(),
    };
    for row in rows {
        match row.kind.as_str() {
            "r" => snapshot.revision_id = row.key.parse().ok(),
            "c" => {
                snapshot.progress.completed_pages.insert(row.key);
            }
            "s" => {
                if let Ok(number) = row.key.parse() {
                    snapshot.progress.skipped_modules.insert(number);
                }
            }
            _ => snapshot.progress.path_completed = true,
        }
    }
    Ok(snapshot)
}

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

#[derive(Debug, Clone, Queryable)]
pub struct Answer {
    pub page_slug: String,
    pub question_id: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn save_answer(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    page_slug: &str,
    question_id: &str,
    body: &str,
) -> Result<Answer, AppError> {
    Ok(diesel::insert_into(reflection_answers::table)
        .values((
            reflection_answers::user_id.eq(user_id),
            reflection_answers::page_slug.eq(page_slug),
            reflection_answers::question_id.eq(question_id),
            reflection_answers::body.eq(body),
        ))
        .on_conflict((
            reflection_answers::user_id,
            reflection_answers::page_slug,
            reflection_answers::question_id,
        ))
        .do_update()
        .set((
            reflection_answers::body.eq(body),
            reflection_answers::updated_at.eq(diesel::dsl::now),
        ))
        .returning((
            reflection_answers::page_slug,
            reflection_answers::question_id,
            reflection_answers::body,
            reflection_answers::updated_at,
        ))
        .get_result(conn)
        .await?)
}

pub async fn answers(conn: &mut AsyncPgConnection, user_id: Uuid) -> Result<Vec<Answer>, AppError> {
    Ok(reflection_answers::table
        .filter(reflection_answers::user_id.eq(user_id))
        .order((
            reflection_answers::page_slug,
            reflection_answers::question_id,
        ))
        .select((
            reflection_answers::page_slug,
            reflection_answers::question_id,
            reflection_answers::body,
            reflection_answers::updated_at,
        ))
        .load(conn)
        .await?)
}
