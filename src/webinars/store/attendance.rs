//! Attendance as facilitators record it, and the certificates it leads to.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{certificates, webinar_attendance};
use crate::error::AppError;

/// One person's attendance at one session.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webinar_attendance)]
pub struct Attendance {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub attended: bool,
}

/// Records (or corrects) whether someone attended.
pub async fn record_attendance(
    conn: &mut AsyncPgConnection,
    mark: &Attendance,
    recorded_by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::insert_into(webinar_attendance::table)
        .values((
            webinar_attendance::session_id.eq(mark.session_id),
            webinar_attendance::user_id.eq(mark.user_id),
            webinar_attendance::attended.eq(mark.attended),
            webinar_attendance::recorded_by.eq(recorded_by),
            webinar_attendance::recorded_at.eq(now),
        ))
        .on_conflict((webinar_attendance::session_id, webinar_attendance::user_id))
        .do_update()
        .set((
            webinar_attendance::attended.eq(mark.attended),
            webinar_attendance::recorded_by.eq(recorded_by),
            webinar_attendance::recorded_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// What is recorded for these people at these sessions, in one query.
pub async fn attendance(
    conn: &mut AsyncPgConnection,
    sessions: &[Uuid],
    users: &[Uuid],
) -> Result<Vec<Attendance>, AppError> {
    Ok(webinar_attendance::table
        .filter(webinar_attendance::session_id.eq_any(sessions))
        .filter(webinar_attendance::user_id.eq_any(users))
        .select(Attendance::as_select())
        .load(conn)
        .await?)
}

/// What was recorded for this person at this session, if anything.
pub fn attended(records: &[Attendance], user_id: Uuid, session_id: Uuid) -> Option<bool> {
    records
        .iter()
        .find(|a| a.user_id == user_id && a.session_id == session_id)
        .map(|a| a.attended)
}

#[derive(Insertable)]
#[diesel(table_name = certificates)]
pub struct NewCertificate<'a> {
    pub user_id: Uuid,
    pub verification_code: &'a str,
    pub name: &'a str,
    pub programme: &'a str,
    pub completed_on: NaiveDate,
    pub series_id: Option<Uuid>,
}

pub async fn has_certificate(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<bool, AppError> {
    Ok(
        diesel::select(diesel::dsl::exists(certificates::table.find(user_id)))
            .get_result(conn)
            .await?,
    )
}

/// Issues a certificate; a person has at most one, so a second is ignored.
pub async fn insert_certificate(
    conn: &mut AsyncPgConnection,
    certificate: &NewCertificate<'_>,
) -> Result<(), AppError> {
    diesel::insert_into(certificates::table)
        .values(certificate)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// The series whose sessions earned the person's certificate, if it is known and still there.
pub async fn certificate_series_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Option<Uuid>, AppError> {
    Ok(certificates::table
        .find(user_id)
        .select(certificates::series_id)
        .first::<Option<Uuid>>(conn)
        .await
        .optional()?
        .flatten())
}

/// The person's certificate as their export shows it.
#[derive(Debug, Queryable, serde::Serialize)]
pub struct CertificateRecord {
    pub name: String,
    pub programme: String,
    pub completed_on: NaiveDate,
    pub verification_code: String,
    pub issued_at: DateTime<Utc>,
    /// When, and why, it was revoked (the reason is about its holder, so it is theirs to see).
    pub revoked_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<String>,
}

pub async fn certificate_record_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Option<CertificateRecord>, AppError> {
    Ok(certificates::table
        .find(user_id)
        .select((
            certificates::name,
            certificates::programme,
            certificates::completed_on,
            certificates::verification_code,
            certificates::issued_at,
            certificates::revoked_at,
            certificates::revocation_reason,
        ))
        .first(conn)
        .await
        .optional()?)
}
