//! Queries for accounts and their tokens. Single use is decided by one conditional UPDATE, so
//! concurrent requests with the same token cannot both succeed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::Role;
use crate::db::schema::{
    auth_tokens, login_failures, municipalities, refresh_tokens, signups, users, ushts,
};
use crate::error::AppError;

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
}

/// Profile changes; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct ProfileChanges {
    pub name: Option<String>,
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

pub async fn touch_last_active(conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set(users::last_active_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    Ok(())
}

/// What an access token must still match to be honoured: the account's session version and
/// role, and that it is not erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionState {
    pub version: i32,
    pub role: Role,
    pub erased: bool,
}

pub async fn session_state(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<SessionState>, AppError> {
    let found: Option<(i32, Role, Option<DateTime<Utc>>)> = users::table
        .find(id)
        .select((users::session_version, users::role, users::erased_at))
        .first(conn)
        .await
        .optional()?;
    Ok(found.map(|(version, role, erased_at)| SessionState {
        version,
        role,
        erased: erased_at.is_some(),
    }))
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

// ---- refresh tokens -------------------------------------------------------------------------

pub async fn insert_refresh_token(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    family_id: Uuid,
    hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::token_hash.eq(hash),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks a live refresh token used and returns its owner and family; `None` when the token is
/// unknown, expired, revoked or already used (exactly one concurrent caller gets `Some`).
pub async fn consume_refresh_token(
    conn: &mut AsyncPgConnection,
    hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, Uuid)>, AppError> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(hash))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(now)),
    )
    .set(refresh_tokens::used_at.eq(now))
    .returning((refresh_tokens::user_id, refresh_tokens::family_id))
    .get_result(conn)
    .await
    .optional()?)
}

/// The family of a token that was already used (a replay), if it is one.
pub async fn used_token_family(
    conn: &mut AsyncPgConnection,
    hash: &[u8],
) -> Result<Option<(Uuid, Uuid)>, AppError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .filter(refresh_tokens::used_at.is_not_null())
        .select((refresh_tokens::user_id, refresh_tokens::family_id))
        .first(conn)
        .await
        .optional()?)
}

/// The owner and family of a refresh token.
pub async fn family_of(
    conn: &mut AsyncPgConnection,
    hash: &[u8],
) -> Result<Option<(Uuid, Uuid)>, AppError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select((refresh_tokens::user_id, refresh_tokens::family_id))
        .first(conn)
        .await
        .optional()?)
}

pub async fn revoke_family(
    conn: &mut AsyncPgConnection,
    family_id: Uuid,
) -> Result<usize, AppError> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?)
}

pub async fn revoke_all_refresh_tokens(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<usize, AppError> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?)
}

// ---- single-use email tokens ----------------------------------------------------------------

crate::text_enum! {
    /// What a single-use token sent by mail is for.
    pub enum TokenPurpose {
        PasswordReset = "password_reset",
        EmailVerification = "email_verification",
        SignInLink = "sign_in_link",
    }
}

pub async fn insert_auth_token(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    purpose: TokenPurpose,
    hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::insert_into(auth_tokens::table)
        .values((
            auth_tokens::user_id.eq(user_id),
            auth_tokens::purpose.eq(purpose),
            auth_tokens::token_hash.eq(hash),
            auth_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Where a single-use token from a mail stands, read without using it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Never issued for this purpose (or replaced: a new link voids the old one's row).
    Unknown,
    Used,
    Expired,
    Live(Uuid),
}

pub async fn link_state(
    conn: &mut AsyncPgConnection,
    hash: &[u8],
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<LinkState, AppError> {
    let found: Option<(Uuid, Option<DateTime<Utc>>, DateTime<Utc>)> = auth_tokens::table
        .filter(auth_tokens::token_hash.eq(hash))
        .filter(auth_tokens::purpose.eq(purpose))
        .select((
            auth_tokens::user_id,
            auth_tokens::used_at,
            auth_tokens::expires_at,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(match found {
        None => LinkState::Unknown,
        Some((_, Some(_), _)) => LinkState::Used,
        Some((_, None, expires_at)) if expires_at <= now => LinkState::Expired,
        Some((user_id, None, _)) => LinkState::Live(user_id),
    })
}

/// Uses a live token once and returns its user.
pub async fn consume_auth_token(
    conn: &mut AsyncPgConnection,
    hash: &[u8],
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, AppError> {
    Ok(diesel::update(
        auth_tokens::table
            .filter(auth_tokens::token_hash.eq(hash))
            .filter(auth_tokens::purpose.eq(purpose))
            .filter(auth_tokens::used_at.is_null())
            .filter(auth_tokens::expires_at.gt(now)),
    )
    .set(auth_tokens::used_at.eq(now))
    .returning(auth_tokens::user_id)
    .get_result(conn)
    .await
    .optional()?)
}

/// Voids a user's other unused tokens of a purpose, so only the newest link works.
pub async fn void_auth_tokens(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    purpose: TokenPurpose,
) -> Result<(), AppError> {
    diesel::update(
        auth_tokens::table
            .filter(auth_tokens::user_id.eq(user_id))
            .filter(auth_tokens::purpose.eq(purpose))
            .filter(auth_tokens::used_at.is_null()),
    )
    .set(auth_tokens::used_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(())
}

// ---- failed sign-ins ------------------------------------------------------------------------

/// Starts a sign-in attempt (`begin_sign_in`, migration 000009): under a per-email lock, counts
/// the failures since `since` and, below `max`, records this attempt as one until it proves
/// right. Returns the count before this attempt and the oldest failure counted.
pub async fn begin_sign_in(
    conn: &mut AsyncPgConnection,
    account_key: &[u8],
    since: DateTime<Utc>,
    max: i64,
) -> Result<(i64, Option<DateTime<Utc>>), AppError> {
    #[derive(QueryableByName)]
    struct Attempt {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        failures: i64,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
        oldest: Option<DateTime<Utc>>,
    }
    let attempt: Attempt =
        diesel::sql_query("SELECT failures, oldest FROM begin_sign_in($1, $2, $3)")
            .bind::<diesel::sql_types::Bytea, _>(account_key)
            .bind::<diesel::sql_types::Timestamptz, _>(since)
            .bind::<diesel::sql_types::BigInt, _>(max)
            .get_result(conn)
            .await?;
    Ok((attempt.failures, attempt.oldest))
}

/// Ends a sign-in that proved right, in one statement: its failures (this attempt's included)
/// are cleared, the activity stamped, a rehash stored and the refresh token kept. Only while the
/// account still has the hash that was checked (`user`'s), the role the token carries and no erasure: a
/// password reset, role change or erasure while the password was being hashed wins, and the
/// answer is `false`.
pub async fn finish_sign_in(
    conn: &mut AsyncPgConnection,
    account_key: &[u8],
    user: &User,
    rehashed: Option<&str>,
    family_id: Uuid,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<bool, AppError> {
    use diesel::sql_types::{Bytea, Nullable, Timestamptz, Uuid as SqlUuid};
    let stored = diesel::sql_query(
        "WITH signed_in AS ( \
             UPDATE users SET last_active_at = now(), \
                    password_hash = coalesce($7, password_hash) \
              WHERE id = $2 AND password_hash = $6 AND role = $8 AND erased_at IS NULL \
                AND session_version = $9 \
              RETURNING id), \
              cleared AS (DELETE FROM login_failures WHERE account_key = $1) \
         INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) \
         SELECT id, $3, $4, $5 FROM signed_in",
    )
    .bind::<Bytea, _>(account_key)
    .bind::<SqlUuid, _>(user.id)
    .bind::<SqlUuid, _>(family_id)
    .bind::<Bytea, _>(token_hash)
    .bind::<Timestamptz, _>(expires_at)
    .bind::<Nullable<Text>, _>(user.password_hash.as_deref())
    .bind::<Nullable<Text>, _>(rehashed)
    .bind::<Text, _>(user.role.as_str())
    .bind::<diesel::sql_types::Integer, _>(user.session_version)
    .execute(conn)
    .await?;
    Ok(stored == 1)
}

pub async fn clear_failures(
    conn: &mut AsyncPgConnection,
    account_key: &[u8],
) -> Result<(), AppError> {
    diesel::delete(login_failures::table.filter(login_failures::account_key.eq(account_key)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Housekeeping: failures older than a day mean nothing any more.
pub async fn purge_old_failures(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    Ok(diesel::delete(
        login_failures::table
            .filter(login_failures::attempted_at.lt(now - chrono::Duration::days(1))),
    )
    .execute(conn)
    .await?)
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

// ---- self-sign-ups waiting for their address ------------------------------------------------

/// A self-sign-up as stored; `name` and `password_hash` are gone once it is confirmed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = signups)]
pub struct Signup {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub password_hash: Option<String>,
    pub municipality_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

pub struct NewSignup<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub municipality_id: Uuid,
    pub token_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
}

/// Stores a sign-up, replacing a pending one of the same address (its link stops working).
pub async fn replace_signup(
    conn: &mut AsyncPgConnection,
    new: NewSignup<'_>,
) -> Result<(), AppError> {
    diesel::delete(
        signups::table
            .filter(diesel::dsl::sql::<Text>("lower(signups.email)").eq(new.email))
            .filter(signups::confirmed_at.is_null()),
    )
    .execute(conn)
    .await?;
    diesel::insert_into(signups::table)
        .values((
            signups::email.eq(new.email),
            signups::name.eq(new.name),
            signups::password_hash.eq(new.password_hash),
            signups::municipality_id.eq(new.municipality_id),
            signups::token_hash.eq(new.token_hash),
            signups::expires_at.eq(new.expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find_signup_by_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> Result<Option<Signup>, AppError> {
    Ok(signups::table
        .filter(signups::token_hash.eq(token_hash))
        .select(Signup::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn lock_signup_by_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> Result<Option<Signup>, AppError> {
    Ok(signups::table
        .filter(signups::token_hash.eq(token_hash))
        .select(Signup::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// The pending, unexpired sign-up of this (lower-cased) address, if any.
pub async fn pending_signup_for(
    conn: &mut AsyncPgConnection,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Option<Signup>, AppError> {
    Ok(signups::table
        .filter(diesel::dsl::sql::<Text>("lower(signups.email)").eq(email))
        .filter(signups::confirmed_at.is_null())
        .filter(signups::expires_at.gt(now))
        .select(Signup::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Marks a sign-up confirmed and drops what it held of the person.
pub async fn confirm_signup(conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), AppError> {
    diesel::update(signups::table.find(id))
        .set((
            signups::confirmed_at.eq(diesel::dsl::now),
            signups::name.eq(None::<String>),
            signups::password_hash.eq(None::<String>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops pending sign-ups of an address (an accepted invitation wins over them).
pub async fn drop_pending_signups(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> Result<usize, AppError> {
    Ok(diesel::delete(
        signups::table
            .filter(diesel::dsl::sql::<Text>("lower(signups.email)").eq(email))
            .filter(signups::confirmed_at.is_null()),
    )
    .execute(conn)
    .await?)
}

/// Forgets sign-ups whose link ran out a week ago (a click on it says "expired" until then).
pub async fn purge_old_signups(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    Ok(diesel::delete(
        signups::table.filter(signups::expires_at.lt(now - chrono::Duration::days(7))),
    )
    .execute(conn)
    .await?)
}
