//! Reminders: 7 days before a series' first session and 24 hours before each session. The
//! scheduler enqueues every reminder due within the next day into the outbox with a dedupe key
//! (registration, session, kind, start time), so each is enqueued once whatever the number of
//! workers or restarts; a moved session gets a new key, a cancelled registration none.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::RegistrationStatus;
use crate::db::schema::{
    mail_outbox, users, webinar_registrations, webinar_series, webinar_sessions,
};
use crate::error::AppError;
use crate::mail::templates::{oslo_time, Letter};

/// How far ahead reminders are put in the outbox.
pub const LOOKAHEAD: Duration = Duration::hours(24);
/// A reminder whose moment passed longer ago than this (the service was down) is not sent.
pub const GRACE: Duration = Duration::hours(12);

type DueRow = (
    Uuid,
    Uuid,
    String,
    String,
    Uuid,
    i32,
    DateTime<Utc>,
    String,
    String,
);

/// Enqueues the reminders due before `now + LOOKAHEAD`; returns how many were new. Two queries:
/// one to find them, one to insert them.
pub async fn enqueue_due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let horizon = now + LOOKAHEAD;
    let rows: Vec<DueRow> = webinar_registrations::table
        .inner_join(
            webinar_series::table.on(webinar_series::id.eq(webinar_registrations::series_id)),
        )
        .inner_join(webinar_sessions::table.on(webinar_sessions::series_id.eq(webinar_series::id)))
        .inner_join(users::table.on(users::id.eq(webinar_registrations::user_id)))
        .filter(webinar_registrations::status.eq(RegistrationStatus::Confirmed))
        .filter(webinar_series::cancelled_at.is_null())
        .filter(webinar_sessions::cancelled_at.is_null())
        .filter(webinar_sessions::starts_at.gt(now))
        .filter(webinar_sessions::starts_at.le(horizon + Duration::days(7)))
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
        ))
        .load(conn)
        .await?;
    let mut mails = Vec::new();
    for (registration, user_id, name, email, session_id, number, starts_at, join_url, title) in rows
    {
        let mut due = vec![("day", starts_at - Duration::hours(24))];
        if number == 1 {
            due.push(("week", starts_at - Duration::days(7)));
        }
        for (kind, at) in due {
            // Not yet due, or so late it would only confuse (a week's notice a day before).
            if at > horizon || at < now - GRACE {
                continue;
            }
            let letter = Letter {
                template: if kind == "week" {
                    "webinar_reminder_week"
                } else {
                    "webinar_reminder_day"
                },
                subject: if kind == "week" {
                    format!("Om en uke: {title}")
                } else {
                    format!("I morgen: samling {number} i {title}")
                },
                greeting_name: &name,
                paragraphs: vec![
                    if kind == "week" {
                        format!(
                            "Om en uke starter webinarrekken «{title}». Første samling er {}.",
                            oslo_time(starts_at)
                        )
                    } else {
                        format!("Samling {number} i «{title}» er {}.", oslo_time(starts_at))
                    },
                    "Ta gjerne med deg refleksjonsnotatet ditt og erfaringer fra gruppen din."
                        .into(),
                ],
                action: Some(("Bli med i webinaret", &join_url)),
                closing: vec![],
            }
            .render();
            mails.push((
                mail_outbox::recipient.eq(email.clone()),
                mail_outbox::user_id.eq(Some(user_id)),
                mail_outbox::template.eq(letter.template),
                mail_outbox::subject.eq(letter.subject),
                mail_outbox::body_text.eq(letter.text),
                mail_outbox::body_html.eq(letter.html),
                mail_outbox::dedupe_key.eq(format!(
                    "reminder:{registration}:{session_id}:{kind}:{}",
                    starts_at.timestamp()
                )),
                mail_outbox::send_after.eq(at.max(now)),
            ));
        }
    }
    let mut inserted = 0;
    for chunk in mails.chunks(2000) {
        inserted += diesel::insert_into(mail_outbox::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(inserted)
}
