//! Reminders in the outbox: which sessions are soon, putting reminders in once each, and
//! dropping those not yet sent when a registration ends or a session moves or is cancelled.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{
    mail_outbox, users, webinar_registrations, webinar_series, webinar_sessions,
};
use crate::error::AppError;
use crate::language::Language;
use crate::webinars::reminders::ReminderKind;
use crate::webinars::RegistrationStatus;

/// A confirmed participant's coming session.
#[derive(Debug, Clone, Queryable)]
pub struct ComingSession {
    pub registration_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub session_id: Uuid,
    pub number: i32,
    pub starts_at: DateTime<Utc>,
    pub join_url: String,
    pub title: String,
    /// The participant's written form, for the reminder's text.
    pub language: Language,
}

/// Sessions that are not cancelled, start after `now` and no later than `until`, once for each
/// confirmed participant of a series that is not cancelled.
pub async fn coming_sessions(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<ComingSession>, AppError> {
    Ok(webinar_registrations::table
        .inner_join(
            webinar_series::table.on(webinar_series::id.eq(webinar_registrations::series_id)),
        )
        .inner_join(webinar_sessions::table.on(webinar_sessions::series_id.eq(webinar_series::id)))
        .inner_join(users::table.on(users::id.eq(webinar_registrations::user_id)))
        .filter(webinar_registrations::status.eq(RegistrationStatus::Confirmed))
        .filter(webinar_series::cancelled_at.is_null())
        .filter(webinar_sessions::cancelled_at.is_null())
        .filter(webinar_sessions::starts_at.gt(now))
        .filter(webinar_sessions::starts_at.le(until))
        .select((
            webinar_registrations::id,
            users::id,
            users::name,
            users::email,
            webinar_sessions::id,
            webinar_sessions::number,
            webinar_sessions::starts_at,
            webinar_sessions::join_url,
            webinar_series::title,
            users::language,
        ))
        .load(conn)
        .await?)
}

/// A reminder as it goes into the outbox.
#[derive(Insertable)]
#[diesel(table_name = mail_outbox)]
pub struct NewReminder {
    pub recipient: String,
    pub user_id: Option<Uuid>,
    pub template: &'static str,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// Registration, session, kind and start time: each reminder is enqueued once.
    pub dedupe_key: String,
    pub send_after: DateTime<Utc>,
    pub webinar_registration_id: Option<Uuid>,
    pub webinar_session_id: Option<Uuid>,
    pub reminder: Option<ReminderKind>,
}

/// Puts the reminders in the outbox, skipping those already there; returns how many were new.
pub async fn insert_reminders(
    conn: &mut AsyncPgConnection,
    reminders: &[NewReminder],
) -> Result<usize, AppError> {
    let mut inserted = 0;
    for chunk in reminders.chunks(2000) {
        inserted += diesel::insert_into(mail_outbox::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(inserted)
}

/// Drops the reminders not yet sent for a registration that ended.
pub async fn drop_pending_reminders_of_registration(
    conn: &mut AsyncPgConnection,
    registration_id: Uuid,
) -> Result<usize, AppError> {
    Ok(diesel::delete(
        mail_outbox::table
            .filter(mail_outbox::sent_at.is_null())
            .filter(mail_outbox::webinar_registration_id.eq(registration_id)),
    )
    .execute(conn)
    .await?)
}

/// Drops the reminders not yet sent for a session that moved or was cancelled.
pub async fn drop_pending_reminders_of_session(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
) -> Result<usize, AppError> {
    Ok(diesel::delete(
        mail_outbox::table
            .filter(mail_outbox::sent_at.is_null())
            .filter(mail_outbox::webinar_session_id.eq(session_id)),
    )
    .execute(conn)
    .await?)
}
