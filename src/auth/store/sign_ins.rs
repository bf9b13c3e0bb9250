//! Failed sign-ins, counted under a per-address lock, and the statement that ends a good one.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::User;
use crate::db::schema::login_failures;
use crate::error::AppError;

/// Starts a sign-in attempt at `now` (`begin_sign_in`, migration 000019): under a per-email lock,
/// counts the failures since `since` and, below `max`, records this attempt as one until it
/// proves right. Returns the count before this attempt and the oldest failure counted.
pub async fn begin_sign_in(
    conn: &mut AsyncPgConnection,
    account_key: &[u8],
    since: DateTime<Utc>,
    max: i64,
    now: DateTime<Utc>,
) -> Result<(i64, Option<DateTime<Utc>>), AppError> {
    #[derive(QueryableByName)]
    struct Attempt {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        failures: i64,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
        oldest: Option<DateTime<Utc>>,
    }
    let attempt: Attempt =
        diesel::sql_query("SELECT failures, oldest FROM begin_sign_in($1, $2, $3, $4)")
            .bind::<diesel::sql_types::Bytea, _>(account_key)
            .bind::<diesel::sql_types::Timestamptz, _>(since)
            .bind::<diesel::sql_types::BigInt, _>(max)
            .bind::<diesel::sql_types::Timestamptz, _>(now)
            .get_result(conn)
            .await?;
    Ok((attempt.failures, attempt.oldest))
}

/// The refresh token a sign-in starts: a new family, its hash, when it runs out.
pub struct NewSession<'a> {
    pub family_id: Uuid,
    pub token_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
}

/// Ends a sign-in that proved right at `now`, in one statement: its failures (this attempt's included)
/// are cleared, the activity stamped, a rehash stored and the refresh token kept. Only while the
/// account still has the hash that was checked (`user`'s), the role the token carries and no erasure: a
/// password reset, role change or erasure while the password was being hashed wins, and the
/// answer is `false`.
pub async fn finish_sign_in(
    conn: &mut AsyncPgConnection,
    account_key: &[u8],
    user: &User,
    rehashed: Option<&str>,
    session: NewSession<'_>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    use diesel::sql_types::{Bytea, Nullable, Timestamptz, Uuid as SqlUuid};
    let stored = diesel::sql_query(
        "WITH signed_in AS ( \
             UPDATE users SET last_active_at = $10, \
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
    .bind::<SqlUuid, _>(session.family_id)
    .bind::<Bytea, _>(session.token_hash)
    .bind::<Timestamptz, _>(session.expires_at)
    .bind::<Nullable<Text>, _>(user.password_hash.as_deref())
    .bind::<Nullable<Text>, _>(rehashed)
    .bind::<Text, _>(user.role.as_str())
    .bind::<diesel::sql_types::Integer, _>(user.session_version)
    .bind::<Timestamptz, _>(now)
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
