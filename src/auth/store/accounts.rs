//! Accounts: who a person is, their role and place, and the state their sessions must match.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::Role;
use crate::db::schema::{municipalities, users, ushts};
use crate::error::AppError;
use crate::language::Language;

#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub workplace: Option<String>,
    pub leader_name: Option<String>,
    pub leader_email: Option<String>,
    pub last_active_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub municipality_id: Option<Uuid>,
    pub self_enrolled: bool,
    /// Access tokens name it; raising it ends them all (`end_access_tokens`).
    pub session_version: i32,
    /// The written form the person reads in.
    pub language: Language,
    /// Set when the account was erased: nothing may start a session for it.
    pub erased_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    role: Role,
    password_hash: Option<String>,
    email_verified_at: Option<DateTime<Utc>>,
    workplace: Option<String>,
    leader_name: Option<String>,
    leader_email: Option<String>,
    last_active_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    municipality_id: Option<Uuid>,
    self_enrolled: bool,
    session_version: i32,
    language: Language,
    erased_at: Option<DateTime<Utc>>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: row.id,
            email: row.email,
            name: row.name,
            role: row.role,
            password_hash: row.password_hash,
            email_verified_at: row.email_verified_at,
            workplace: row.workplace,
            leader_name: row.leader_name,
            leader_email: row.leader_email,
            last_active_at: row.last_active_at,
            created_at: row.created_at,
            municipality_id: row.municipality_id,
            self_enrolled: row.self_enrolled,
            session_version: row.session_version,
            language: row.language,
            erased_at: row.erased_at,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: Option<&'a str>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub municipality_id: Option<Uuid>,
    pub usht_id: Option<Uuid>,
    pub self_enrolled: bool,
    pub language: Language,
}

/// Profile changes; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub language: Option<Language>,
    pub workplace: Option<Option<String>>,
    pub leader_name: Option<Option<String>>,
    pub leader_email: Option<Option<String>>,
}

pub async fn find_user(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Option<User>, AppError> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()?
        .map(User::from))
}

/// The user, with the row locked for the rest of the transaction (a role change, reset or
/// erasure waits, or is seen).
pub async fn lock_user(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Option<User>, AppError> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .map(User::from))
}

/// A municipality as (id, number, name).
pub type MunicipalityRef = (Uuid, String, String);

/// A user with where they belong: a mentor's municipality, a coordinator's USHT.
pub struct Profile {
    pub user: User,
    pub municipality: Option<MunicipalityRef>,
    /// (id, name).
    pub usht: Option<(Uuid, String)>,
}

/// A user with the municipality or USHT they belong to, in one query.
pub async fn find_profile(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<Profile>, AppError> {
    #[allow(clippy::type_complexity)]
    let found: Option<(UserRow, Option<MunicipalityRef>, Option<(Uuid, String)>)> = users::table
        .left_join(municipalities::table)
        .left_join(ushts::table.on(users::usht_id.eq(ushts::id.nullable())))
        .filter(users::id.eq(id))
        .filter(users::erased_at.is_null())
        .select((
            UserRow::as_select(),
            (
                municipalities::id,
                municipalities::number,
                municipalities::name,
            )
                .nullable(),
            (ushts::id, ushts::name).nullable(),
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(found.map(|(row, municipality, usht)| Profile {
        user: User::from(row),
        municipality,
        usht,
    }))
}

pub async fn find_user_by_email(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> Result<Option<User>, AppError> {
    Ok(users::table
        .filter(lower(users::email).eq(email.to_lowercase()))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()?
        .map(User::from))
}

pub async fn insert_user(
    conn: &mut AsyncPgConnection,
    user: NewUser<'_>,
) -> Result<User, AppError> {
    diesel::insert_into(users::table)
        .values(&user)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .map(User::from)
        .map_err(|e| {
            if crate::db::is_unique_violation(&e) {
                AppError::Conflict("A user with this email already exists.".into())
            } else {
                e.into()
            }
        })
}

pub async fn update_profile(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: &ProfileChanges,
) -> Result<User, AppError> {
    diesel::update(users::table.find(id))
        .set((changes, users::updated_at.eq(diesel::dsl::now)))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .map(User::from)
        .map_err(AppError::from)
}

pub async fn set_password_hash(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    hash: &str,
) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn mark_email_verified(conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), AppError> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified_at.is_null()),
    )
    .set(users::email_verified_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_role(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    role: Role,
) -> Result<User, AppError> {
    diesel::update(users::table.find(id))
        .set((users::role.eq(role), users::updated_at.eq(diesel::dsl::now)))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .map(User::from)
        .map_err(AppError::from)
}

/// Stamps the account active at `now` (the service's time: inactivity is counted in it).
pub async fn touch_last_active(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set(users::last_active_at.eq(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// What an access token must still match to be honoured: the account's session version and
/// role, and that it is not erased; and the written form the account reads in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionState {
    pub version: i32,
    pub role: Role,
    pub erased: bool,
    pub language: Language,
}

pub async fn session_state(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<SessionState>, AppError> {
    let found: Option<(i32, Role, Option<DateTime<Utc>>, Language)> = users::table
        .find(id)
        .select((
            users::session_version,
            users::role,
            users::erased_at,
            users::language,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(
        found.map(|(version, role, erased_at, language)| SessionState {
            version,
            role,
            erased: erased_at.is_some(),
            language,
        }),
    )
}

/// Ends every access token issued to the account so far (they name an older version). Refresh
/// tokens are revoked separately, where a whole session ends.
pub async fn end_access_tokens(conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set(users::session_version.eq(users::session_version + 1))
        .execute(conn)
        .await?;
    Ok(())
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
