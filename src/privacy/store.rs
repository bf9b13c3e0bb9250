//! The access log's queries; the rest of a person's export comes from each feature's own store.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::service::AccessEntry;
use crate::db::schema::{access_log, users};
use crate::error::AppError;

#[derive(Queryable)]
struct AccessRow {
    at: DateTime<Utc>,
    actor_name: Option<String>,
    actor_erased_at: Option<DateTime<Utc>>,
    actor_role: crate::auth::Role,
    action: super::service::Access,
    object_type: super::service::AccessedObject,
    object_id: Option<String>,
}

/// Who looked at the person's data, newest first; an erased actor is not named.
pub async fn access_log_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Vec<AccessEntry>, AppError> {
    let rows: Vec<AccessRow> = access_log::table
        .left_join(users::table.on(access_log::actor_id.eq(users::id.nullable())))
        .filter(access_log::subject_id.eq(user_id))
        .order((access_log::at.desc(), access_log::id.desc()))
        .select((
            access_log::at,
            users::name.nullable(),
            users::erased_at.nullable(),
            access_log::actor_role,
            access_log::action,
            access_log::object_type,
            access_log::object_id,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| AccessEntry {
            at: row.at,
            actor_name: row.actor_name.filter(|_| row.actor_erased_at.is_none()),
            actor_role: row.actor_role,
            action: row.action,
            object_type: row.object_type,
            object_id: row.object_id,
        })
        .collect())
}
