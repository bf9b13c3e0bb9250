//! Reminders: 7 days before a series' first session and 24 hours before each session. The
//! scheduler enqueues every reminder due within the next day into the outbox with a dedupe key
//! (registration, session, kind, start time), so each is enqueued once whatever the number of
//! workers or restarts; a moved session gets a new key, a cancelled registration none. The
//! outbox row names its registration, session and kind, by which pending reminders are dropped.

use chrono::{DateTime, Duration, Utc};
use diesel_async::AsyncPgConnection;

use super::store::{self, ComingSession, NewReminder};
use crate::error::AppError;
use crate::language::Language;
use crate::mail::templates::{oslo_time, Letter};

/// How far ahead reminders are put in the outbox.
pub const LOOKAHEAD: Duration = Duration::hours(24);
/// A reminder whose moment passed longer ago than this (the service was down) is not sent.
pub const GRACE: Duration = Duration::hours(12);

crate::text_enum! {
    /// Which reminder: a week before the first session, or a day before each session.
    pub enum ReminderKind {
        Week = "week",
        Day = "day",
    }
}

impl ReminderKind {
    /// How long before the session this reminder is due.
    fn ahead(self) -> Duration {
        match self {
            ReminderKind::Week => Duration::days(7),
            ReminderKind::Day => Duration::hours(24),
        }
    }

    /// The reminders a session has: every session a day's, the first also a week's.
    fn of_session(number: i32) -> &'static [ReminderKind] {
        if number == 1 {
            &[ReminderKind::Day, ReminderKind::Week]
        } else {
            &[ReminderKind::Day]
        }
    }
}

/// Enqueues the reminders due before `now + LOOKAHEAD`; returns how many were new. Two queries:
/// one to find them, one to insert them.
pub async fn enqueue_due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let horizon = now + LOOKAHEAD;
    let coming = store::coming_sessions(conn, now, horizon + ReminderKind::Week.ahead()).await?;
    let reminders: Vec<NewReminder> = coming
        .iter()
        .flat_map(|session| due_reminders(session, now, horizon))
        .collect();
    store::insert_reminders(conn, &reminders).await
}

/// The reminders of one participant's session that are due by `horizon` and not too late.
fn due_reminders(
    session: &ComingSession,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
) -> Vec<NewReminder> {
    ReminderKind::of_session(session.number)
        .iter()
        .filter_map(|&kind| {
            let at = session.starts_at - kind.ahead();
            // Not yet due, or so late it would only confuse (a week's notice a day before).
            if at > horizon || at < now - GRACE {
                return None;
            }
            Some(reminder(session, kind, at.max(now)))
        })
        .collect()
}

fn reminder(session: &ComingSession, kind: ReminderKind, send_after: DateTime<Utc>) -> NewReminder {
    let ComingSession {
        title,
        number,
        starts_at,
        language,
        ..
    } = session;
    let l = *language;
    let at = oslo_time(*starts_at, l);
    let (template, subject, opening) = match (kind, l) {
        (ReminderKind::Week, Language::Bokmal) => (
            "webinar_reminder_week",
            format!("Om en uke: {title}"),
            format!("Om en uke starter webinarserien «{title}». Første samling er {at}."),
        ),
        (ReminderKind::Week, Language::Nynorsk) => (
            "webinar_reminder_week",
            format!("Om ei veke: {title}"),
            format!("Om ei veke startar webinarserien «{title}». Første samling er {at}."),
        ),
        (ReminderKind::Day, _) => (
            "webinar_reminder_day",
            format!(
                "{}: samling {number} i {title}",
                l.pick("I morgen", "I morgon")
            ),
            format!("Samling {number} i «{title}» er {at}."),
        ),
    };
    let letter = Letter {
        template,
        language: l,
        subject,
        greeting_name: &session.name,
        paragraphs: vec![
            opening,
            l.pick(
                "Ta gjerne med deg refleksjonsnotatet ditt og erfaringer fra gruppen din.",
                "Ta gjerne med deg refleksjonsnotatet ditt og erfaringar frå gruppa di.",
            )
            .into(),
        ],
        action: Some(("Bli med i webinaret", &session.join_url)),
        closing: vec![],
    }
    .render();
    NewReminder {
        recipient: session.email.clone(),
        user_id: Some(session.user_id),
        template: letter.template,
        subject: letter.subject,
        body_text: letter.text,
        body_html: letter.html,
        dedupe_key: format!(
            "reminder:{}:{}:{kind}:{}",
            session.registration_id,
            session.session_id,
            starts_at.timestamp()
        ),
        send_after,
        webinar_registration_id: Some(session.registration_id),
        webinar_session_id: Some(session.session_id),
        reminder: Some(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn session(number: i32, starts_at: DateTime<Utc>) -> ComingSession {
        ComingSession {
            registration_id: Uuid::from_u128(1),
            user_id: Uuid::from_u128(2),
            name: "Kari".into(),
            email: "kari@example.no".into(),
            session_id: Uuid::from_u128(3),
            number,
            starts_at,
            join_url: "https://meet.example.no/a".into(),
            title: "Høstens gruppe".into(),
            language: Language::Bokmal,
        }
    }

    #[test]
    fn a_first_session_a_week_ahead_gets_the_week_reminder_only() {
        let now = Utc::now();
        let due = due_reminders(
            &session(1, now + Duration::days(7) + Duration::hours(1)),
            now,
            now + LOOKAHEAD,
        );
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].reminder, Some(ReminderKind::Week));
        assert_eq!(due[0].template, "webinar_reminder_week");
        assert!(due[0].dedupe_key.ends_with(&format!(
            ":week:{}",
            (now + Duration::days(7) + Duration::hours(1)).timestamp()
        )));
    }

    #[test]
    fn a_later_session_tomorrow_gets_the_day_reminder_and_no_week_reminder() {
        let now = Utc::now();
        let due = due_reminders(&session(2, now + Duration::hours(23)), now, now + LOOKAHEAD);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].reminder, Some(ReminderKind::Day));
        assert_eq!(due[0].send_after, now, "already due: at once");
        assert_eq!(due[0].webinar_session_id, Some(Uuid::from_u128(3)));
    }

    #[test]
    fn reminders_are_written_in_the_participant_s_form() {
        let now = Utc::now();
        let starts_at = now + Duration::days(7) + Duration::hours(1);
        let nb = &due_reminders(&session(1, starts_at), now, now + LOOKAHEAD)[0];
        let nynorsk = ComingSession {
            language: Language::Nynorsk,
            ..session(1, starts_at)
        };
        let nn = &due_reminders(&nynorsk, now, now + LOOKAHEAD)[0];
        assert_eq!(nb.subject, "Om en uke: Høstens gruppe");
        assert_eq!(nn.subject, "Om ei veke: Høstens gruppe");
        assert!(nn
            .body_text
            .contains("Om ei veke startar webinarserien «Høstens gruppe»"));
        assert!(nn.body_text.contains("erfaringar frå gruppa di"));
        assert!(nn.body_html.contains("<html lang=\"nn\">"));
        assert_eq!(
            nb.dedupe_key, nn.dedupe_key,
            "the same reminder whatever the form"
        );

        let tomorrow = ComingSession {
            language: Language::Nynorsk,
            ..session(2, now + Duration::hours(23))
        };
        let day = &due_reminders(&tomorrow, now, now + LOOKAHEAD)[0];
        assert_eq!(day.subject, "I morgon: samling 2 i Høstens gruppe");
        assert!(day.body_text.contains("Med venleg helsing"));
    }

    #[test]
    fn a_first_session_tomorrow_gets_no_late_week_reminder() {
        let now = Utc::now();
        let due = due_reminders(&session(1, now + Duration::hours(23)), now, now + LOOKAHEAD);
        let kinds: Vec<_> = due.iter().map(|r| r.reminder).collect();
        assert_eq!(kinds, vec![Some(ReminderKind::Day)]);
    }
}
