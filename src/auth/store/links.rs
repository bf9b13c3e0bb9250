//! Single-use tokens sent by mail (password reset, sign-in link); single use is decided by one
//! conditional UPDATE, so concurrent requests with the same token cannot both succeed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::auth_tokens;
use crate::error::AppError;

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
