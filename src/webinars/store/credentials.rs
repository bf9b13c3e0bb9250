//! What the certificates' credentials need of a certificate: its salt and status bit, whether
//! and when it was revoked, and revocation itself.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::certificates;
use crate::error::AppError;

/// A certificate as its credential and its public check see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = certificates)]
pub struct CertificateStanding {
    pub user_id: Uuid,
    pub verification_code: String,
    pub name: String,
    pub programme: String,
    pub completed_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
    /// `None` once the holder is erased.
    pub identity_salt: Option<String>,
    pub status_index: i64,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn standing_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Option<CertificateStanding>, AppError> {
    Ok(certificates::table
        .find(user_id)
        .select(CertificateStanding::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn standing_by_code(
    conn: &mut AsyncPgConnection,
    code: &str,
) -> Result<Option<CertificateStanding>, AppError> {
    Ok(certificates::table
        .filter(certificates::verification_code.eq(code))
        .select(CertificateStanding::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Revokes the certificate with `code` unless it already is; `None` when there is nothing to
/// revoke (no such code, or revoked before: the caller tells which).
pub async fn revoke_certificate(
    conn: &mut AsyncPgConnection,
    code: &str,
    by: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<CertificateStanding>, AppError> {
    Ok(diesel::update(
        certificates::table
            .filter(certificates::verification_code.eq(code))
            .filter(certificates::revoked_at.is_null()),
    )
    .set((
        certificates::revoked_at.eq(now),
        certificates::revoked_by.eq(by),
        certificates::revocation_reason.eq(reason),
    ))
    .returning(CertificateStanding::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// Erasure: the certificate stays (its bit must stay set, its code must keep saying "revoked"),
/// revoked if it was not, and without anything about the person: no name, no salt, no reason.
/// One not revoked before is dated revoked from its issue, so that its check does not tell when
/// the person was erased; an administrator who erased someone is kept as the one who revoked,
/// a person who erased themselves is not.
pub async fn revoke_and_strip(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    by: Uuid,
) -> Result<(), AppError> {
    diesel::sql_query(
        "UPDATE certificates SET name = '', identity_salt = NULL, revocation_reason = NULL,
            revoked_by = CASE WHEN revoked_at IS NOT NULL THEN revoked_by
                              WHEN $2 = $1 THEN NULL ELSE $2 END,
            revoked_at = coalesce(revoked_at, issued_at)
         WHERE user_id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(user_id)
    .bind::<diesel::sql_types::Uuid, _>(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The highest status bit given out, if any certificate exists.
pub async fn highest_status_index(conn: &mut AsyncPgConnection) -> Result<Option<i64>, AppError> {
    Ok(certificates::table
        .select(diesel::dsl::max(certificates::status_index))
        .first(conn)
        .await?)
}

/// The status bits in `from..to` of revoked certificates.
pub async fn revoked_status_indices(
    conn: &mut AsyncPgConnection,
    from: i64,
    to: i64,
) -> Result<Vec<i64>, AppError> {
    Ok(certificates::table
        .filter(certificates::revoked_at.is_not_null())
        .filter(certificates::status_index.ge(from))
        .filter(certificates::status_index.lt(to))
        .select(certificates::status_index)
        .load(conn)
        .await?)
}
