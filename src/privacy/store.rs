//! The access log's queries; the rest of a person's export comes from each feature's own store.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{Access, AccessEntry};
use crate::auth::AuthUser;
use crate::db::schema::{access_log, users};
use crate::error::AppError;

#[derive(Queryable)]
struct AccessRow {
    at: DateTime<Utc>,
    actor_name: Option<String>,
    actor_erased_at: Option<DateTime<Utc>>,
    actor_role: crate::auth::Role,
    action: Access,
    object_type: super::AccessedObject,
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

/// Appends to the access log of each of `subjects` that `actor` did `access` (to the record
/// `object_id`, when there is one), in one statement however many subjects there are. The log is
/// append-only (a trigger refuses UPDATE and DELETE); this is its only writer.
pub async fn record_access(
    conn: &mut AsyncPgConnection,
    actor: &AuthUser,
    access: Access,
    subjects: &[Uuid],
    object_id: Option<&str>,
) -> Result<(), AppError> {
    use diesel::sql_types::{Array, Nullable, Text, Uuid as SqlUuid};
    if subjects.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO access_log (subject_id, actor_id, actor_role, action, object_type, object_id) \
         SELECT subject, $2, $3, $4, $5, $6 FROM unnest($1::uuid[]) AS subject",
    )
    .bind::<Array<SqlUuid>, _>(subjects)
    .bind::<SqlUuid, _>(actor.id)
    .bind::<Text, _>(actor.role)
    .bind::<Text, _>(access)
    .bind::<Text, _>(access.object())
    .bind::<Nullable<Text>, _>(object_id)
    .execute(conn)
    .await?;
    Ok(())
}
