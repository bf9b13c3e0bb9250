//! Mails about webinars, in bokmål, with calendar invitations attached. All go through the
//! outbox, within the caller's transaction.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use super::calendar::{self, CalendarSession, Method, Organizer};
use super::store::{Contact, Series, Session};
use crate::config::Config;
use crate::error::AppError;
use crate::mail::templates::{oslo_time, Letter};
use crate::mail::{self, Attachment, NewMail};
use crate::AppState;

/// Sends the mails of one change: the configuration's sender is the invitations' organizer, and
/// `now` their DTSTAMP.
pub struct Notifier<'a> {
    pub config: &'a Config,
    pub now: DateTime<Utc>,
}

pub fn calendar_sessions<'a>(
    series: &'a Series,
    sessions: &'a [Session],
) -> Vec<CalendarSession<'a>> {
    sessions
        .iter()
        .map(|s| CalendarSession {
            session_id: s.id,
            series_title: &series.row.title,
            number: s.number,
            starts_at: s.starts_at,
            duration_minutes: s.duration_minutes,
            join_url: &s.join_url,
            sequence: s.sequence,
            cancelled: s.cancelled_at.is_some() || series.row.cancelled_at.is_some(),
        })
        .collect()
}

/// An iCalendar document of `sessions` from the programme's sender, stamped `now`.
pub fn calendar_document(
    config: &Config,
    method: Method,
    sessions: &[CalendarSession<'_>],
    attendee: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> String {
    let organizer_name = config
        .mail
        .from
        .name
        .clone()
        .unwrap_or_else(|| "Mentoropplæringen".into());
    let organizer_email = config.mail.from.email.to_string();
    calendar::calendar(
        method,
        sessions,
        &Organizer {
            name: &organizer_name,
            email: &organizer_email,
        },
        attendee,
        now,
    )
}

fn schedule(sessions: &[Session]) -> Vec<String> {
    sessions
        .iter()
        .map(|s| {
            format!(
                "Samling {}: {} ({} minutter)",
                s.number,
                oslo_time(s.starts_at),
                s.duration_minutes
            )
        })
        .collect()
}

/// The sessions of a series a mail's calendar attachment is about, and what it does to them.
type Invitation<'s> = (Method, &'s Series, &'s [Session]);

impl<'a> Notifier<'a> {
    /// Mails stamped with the time on the application's clock.
    pub fn new(state: &'a AppState) -> Self {
        Self {
            config: &state.config,
            now: state.clock.now(),
        }
    }

    async fn send(
        &self,
        conn: &mut AsyncPgConnection,
        to: &Contact,
        letter: Letter<'_>,
        invitation: Option<Invitation<'_>>,
    ) -> Result<(), AppError> {
        let mut new = NewMail::now(&to.email, Some(to.user_id), letter.render());
        new.attachments = invitation
            .map(|(method, series, sessions)| self.ics(method, series, sessions, to))
            .into_iter()
            .collect();
        mail::enqueue(conn, new).await?;
        Ok(())
    }

    fn ics(
        &self,
        method: Method,
        series: &Series,
        sessions: &[Session],
        to: &Contact,
    ) -> Attachment {
        let content = calendar_document(
            self.config,
            method,
            &calendar_sessions(series, sessions),
            Some((&to.name, &to.email)),
            self.now,
        );
        Attachment {
            filename: if method == Method::Cancel {
                "avlysning.ics"
            } else {
                "invitasjon.ics"
            }
            .into(),
            content_type: format!("text/calendar; method={}; charset=utf-8", method.as_str()),
            content,
        }
    }

    pub async fn confirmed(
        &self,
        conn: &mut AsyncPgConnection,
        series: &Series,
        to: &Contact,
        promoted: bool,
    ) -> Result<(), AppError> {
        let mut paragraphs = vec![if promoted {
            format!(
                "Det ble ledig plass, og du har nå fått plass i webinarserien «{}».",
                series.row.title
            )
        } else {
            format!("Du har fått plass i webinarserien «{}».", series.row.title)
        }];
        paragraphs.push("Serien består av tre refleksjonswebinarer. Deltakerne utgjør en refleksjonsgruppe, så sett av tid til alle tre:".into());
        paragraphs.extend(schedule(&series.sessions));
        paragraphs.push(
            "Kalenderinvitasjonen er vedlagt. Lenken til hvert webinar står i invitasjonen.".into(),
        );
        let letter = Letter {
            template: if promoted {
                "webinar_promoted"
            } else {
                "webinar_confirmed"
            },
            subject: if promoted {
                format!("Du har fått plass: {}", series.row.title)
            } else {
                format!("Påmelding bekreftet: {}", series.row.title)
            },
            greeting_name: &to.name,
            paragraphs,
            action: None,
            closing: vec![
                "Får du ikke delta likevel, meld deg av så plassen går til neste på ventelisten."
                    .into(),
            ],
        };
        self.send(
            conn,
            to,
            letter,
            Some((Method::Request, series, &series.sessions)),
        )
        .await
    }

    pub async fn waitlisted(
        &self,
        conn: &mut AsyncPgConnection,
        series: &Series,
        to: &Contact,
        position: i64,
    ) -> Result<(), AppError> {
        let letter = Letter {
            template: "webinar_waitlisted",
            subject: format!("Du står på venteliste: {}", series.row.title),
            greeting_name: &to.name,
            paragraphs: vec![
                format!(
                    "Webinarserien «{}» er full, og du står som nummer {position} på ventelisten.",
                    series.row.title
                ),
                "Blir det ledig plass, får du plassen automatisk og en e-post med kalenderinvitasjon."
                    .into(),
            ],
            action: None,
            closing: vec![],
        };
        self.send(conn, to, letter, None).await
    }

    pub async fn cancelled_by_mentor(
        &self,
        conn: &mut AsyncPgConnection,
        series: &Series,
        to: &Contact,
    ) -> Result<(), AppError> {
        let letter = Letter {
            template: "webinar_registration_cancelled",
            subject: format!("Avmeldt: {}", series.row.title),
            greeting_name: &to.name,
            paragraphs: vec![
                format!("Du er meldt av webinarserien «{}».", series.row.title),
                "Vedlegget fjerner samlingene fra kalenderen din.".into(),
            ],
            action: None,
            closing: vec!["Du kan melde deg på en senere serie når du vil.".into()],
        };
        self.send(
            conn,
            to,
            letter,
            Some((Method::Cancel, series, &series.sessions)),
        )
        .await
    }

    pub async fn sessions_changed(
        &self,
        conn: &mut AsyncPgConnection,
        series: &Series,
        to: &Contact,
    ) -> Result<(), AppError> {
        let mut paragraphs = vec![format!(
            "Det er gjort endringer i webinarserien «{}». Slik ser planen ut nå:",
            series.row.title
        )];
        paragraphs.extend(schedule(
            &series
                .sessions
                .iter()
                .filter(|s| s.cancelled_at.is_none())
                .cloned()
                .collect::<Vec<_>>(),
        ));
        paragraphs.push("Den oppdaterte kalenderinvitasjonen er vedlagt.".into());
        let letter = Letter {
            template: "webinar_changed",
            subject: format!("Endring: {}", series.row.title),
            greeting_name: &to.name,
            paragraphs,
            action: None,
            closing: vec![],
        };
        self.send(
            conn,
            to,
            letter,
            Some((Method::Request, series, &series.sessions)),
        )
        .await
    }

    pub async fn session_cancelled(
        &self,
        conn: &mut AsyncPgConnection,
        series: &Series,
        session: &Session,
        to: &Contact,
    ) -> Result<(), AppError> {
        let letter = Letter {
            template: "webinar_session_cancelled",
            subject: format!("Avlyst: samling {} i {}", session.number, series.row.title),
            greeting_name: &to.name,
            paragraphs: vec![format!(
                "Samling {} i webinarserien «{}» ({}) er avlyst.",
                session.number,
                series.row.title,
                oslo_time(session.starts_at)
            )],
            action: None,
            closing: vec!["Vedlegget fjerner samlingen fra kalenderen din.".into()],
        };
        self.send(
            conn,
            to,
            letter,
            Some((Method::Cancel, series, std::slice::from_ref(session))),
        )
        .await
    }

    pub async fn series_cancelled(
        &self,
        conn: &mut AsyncPgConnection,
        series: &Series,
        to: &Contact,
        was_confirmed: bool,
    ) -> Result<(), AppError> {
        let letter = Letter {
            template: "webinar_series_cancelled",
            subject: format!("Avlyst: {}", series.row.title),
            greeting_name: &to.name,
            paragraphs: vec![
                format!("Webinarserien «{}» er dessverre avlyst.", series.row.title),
                "Du kan melde deg på en annen serie.".into(),
            ],
            action: None,
            closing: vec![],
        };
        let invitation = was_confirmed.then_some((Method::Cancel, series, &series.sessions[..]));
        self.send(conn, to, letter, invitation).await
    }
}
