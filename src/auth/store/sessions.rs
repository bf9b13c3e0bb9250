//! Refresh tokens: each sign-in is a family of tokens, each used once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::refresh_tokens;
use crate::error::AppError;

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
