//! Progress queries. A mentor's whole progress and the published revision's id come back in one
//! round trip, whatever the size of the course.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::rules::Progress;
use crate::db::schema::{
    content_current, module_skips, page_completions, path_completions, reflection_answers, users,
};
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
