//! Queries for the staff side of accounts: a caller's membership (for the scope) and roles.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::Role;
use crate::db::schema::users;
use crate::error::AppError;

/// A user's current role and the USHT they work at (coordinators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct Membership {
    pub role: Role,
    pub usht_id: Option<Uuid>,
}

/// The user's current role and USHT, read fresh (a role change takes effect at once).
pub async fn staff_membership(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Option<Membership>, AppError> {
    Ok(users::table
        .find(user_id)
        .select((users::role, users::usht_id))
        .first(conn)
        .await
        .optional()?)
}

/// Sets a user's role and place; the place of another role is cleared. False if no such user.
pub async fn set_role(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    role: Role,
    municipality_id: Option<Uuid>,
    usht_id: Option<Uuid>,
) -> Result<bool, AppError> {
    let changed = diesel::update(users::table.find(user_id))
        .set((
            users::role.eq(role),
            users::municipality_id.eq(municipality_id),
            users::usht_id.eq(usht_id),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(changed == 1)
}

/// An account as an administrator's list shows it, with its place: the USHT of a
/// coordinator, the municipality of a mentor.
#[derive(Debug, Clone, Queryable)]
pub struct StaffMember {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub usht_id: Option<Uuid>,
    pub municipality_id: Option<Uuid>,
}

/// The accounts with one staff role, by name (at most `limit`; staff are a few dozen).
pub async fn staff_with_role(
    conn: &mut AsyncPgConnection,
    role: Role,
    limit: i64,
) -> Result<Vec<StaffMember>, AppError> {
    Ok(users::table
        .filter(users::role.eq(role))
        .filter(users::erased_at.is_null())
        .order((
            diesel::dsl::sql::<diesel::sql_types::Text>("lower(users.name)"),
            users::id,
        ))
        .limit(limit)
        .select(STAFF_MEMBER)
        .load(conn)
        .await?)
}

/// The account with this (lower-cased) address, whatever its role, unless erased.
pub async fn account_with_email(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> Result<Option<StaffMember>, AppError> {
    Ok(users::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Text>("lower(users.email)").eq(email))
        .filter(users::erased_at.is_null())
        .select(STAFF_MEMBER)
        .first(conn)
        .await
        .optional()?)
}

const STAFF_MEMBER: (
    users::id,
    users::name,
    users::email,
    users::role,
    users::usht_id,
    users::municipality_id,
) = (
    users::id,
    users::name,
    users::email,
    users::role,
    users::usht_id,
    users::municipality_id,
);
