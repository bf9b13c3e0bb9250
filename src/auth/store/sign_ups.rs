//! Self-sign-ups waiting for their address to be confirmed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::signups;
use crate::error::AppError;
use crate::language::Language;

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
    /// The form the sign-up asked in (its `Accept-Language`): the account starts in it.
    pub language: Language,
}

pub struct NewSignup<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub municipality_id: Uuid,
    pub token_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
    pub language: Language,
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
            signups::language.eq(new.language),
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
