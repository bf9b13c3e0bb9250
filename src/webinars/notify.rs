//! Mails about webinars, in the recipient's written form (bokmål or nynorsk), with calendar
//! invitations attached in the same form. All go through the outbox, within the caller's
//! transaction.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use super::calendar::{self, CalendarSession, Method, Organizer};
use super::store::{Contact, Series, Session};
use crate::config::Config;
use crate::error::AppError;
use crate::language::Language;
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

/// An iCalendar document of `sessions` from the programme's sender, stamped `now`, its text in
/// `language`.
pub fn calendar_document(
    config: &Config,
    language: Language,
    method: Method,
    sessions: &[CalendarSession<'_>],
    attendee: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> String {
    let organizer_name = config.mail.from.name.clone().unwrap_or_else(|| {
        language
            .pick("Mentoropplæringen", "Mentoropplæringa")
            .into()
    });
    let organizer_email = config.mail.from.email.to_string();
    calendar::calendar(
        language,
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

fn schedule(sessions: &[Session], language: Language) -> Vec<String> {
    sessions
        .iter()
        .map(|s| {
            format!(
                "Samling {}: {} ({} {})",
                s.number,
                oslo_time(s.starts_at, language),
                s.duration_minutes,
                language.pick("minutter", "minutt")
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
            to.language,
            method,
            &calendar_sessions(series, sessions),
            Some((&to.name, &to.email)),
            self.now,
        );
        Attachment {
            filename: if method == Method::Cancel {
                to.language.pick("avlysning.ics", "avlysing.ics")
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
        let l = to.language;
        let title = &series.row.title;
        let mut paragraphs = vec![match (promoted, l) {
            (true, Language::Bokmal) => {
                format!("Det ble ledig plass, og du har nå fått plass i webinarserien «{title}».")
            }
            (true, Language::Nynorsk) => {
                format!("Det blei ledig plass, og du har no fått plass i webinarserien «{title}».")
            }
            (false, _) => format!("Du har fått plass i webinarserien «{title}»."),
        }];
        paragraphs.push(l.pick(
            "Serien består av tre refleksjonswebinarer. Deltakerne utgjør en refleksjonsgruppe, så sett av tid til alle tre:",
            "Serien består av tre refleksjonswebinar. Deltakarane utgjer ei refleksjonsgruppe, så set av tid til alle tre:",
        ).into());
        paragraphs.extend(schedule(&series.sessions, l));
        paragraphs.push(
            l.pick(
                "Kalenderinvitasjonen er vedlagt. Lenken til hvert webinar står i invitasjonen.",
                "Kalenderinvitasjonen ligg ved. Lenkja til kvart webinar står i invitasjonen.",
            )
            .into(),
        );
        let letter = Letter {
            template: if promoted {
                "webinar_promoted"
            } else {
                "webinar_confirmed"
            },
            language: l,
            subject: if promoted {
                format!("Du har fått plass: {title}")
            } else {
                format!(
                    "{}: {title}",
                    l.pick("Påmelding bekreftet", "Påmelding stadfesta")
                )
            },
            greeting_name: &to.name,
            paragraphs,
            action: None,
            closing: vec![l
                .pick(
                    "Får du ikke delta likevel, meld deg av så plassen går til neste på ventelisten.",
                    "Får du ikkje delta likevel, meld deg av, så plassen går til neste på ventelista.",
                )
                .into()],
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
        let l = to.language;
        let title = &series.row.title;
        let letter = Letter {
            template: "webinar_waitlisted",
            language: l,
            subject: format!("Du står på venteliste: {title}"),
            greeting_name: &to.name,
            paragraphs: vec![
                match l {
                    Language::Bokmal => format!(
                        "Webinarserien «{title}» er full, og du står som nummer {position} på ventelisten."
                    ),
                    Language::Nynorsk => format!(
                        "Webinarserien «{title}» er full, og du står som nummer {position} på ventelista."
                    ),
                },
                l.pick(
                    "Blir det ledig plass, får du plassen automatisk og en e-post med kalenderinvitasjon.",
                    "Blir det ledig plass, får du plassen automatisk og ein e-post med kalenderinvitasjon.",
                )
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
        let l = to.language;
        let letter = Letter {
            template: "webinar_registration_cancelled",
            language: l,
            subject: format!("Avmeldt: {}", series.row.title),
            greeting_name: &to.name,
            paragraphs: vec![
                format!("Du er meldt av webinarserien «{}».", series.row.title),
                l.pick(
                    "Vedlegget fjerner samlingene fra kalenderen din.",
                    "Vedlegget fjernar samlingane frå kalenderen din.",
                )
                .into(),
            ],
            action: None,
            closing: vec![l
                .pick(
                    "Du kan melde deg på en senere serie når du vil.",
                    "Du kan melde deg på ein seinare serie når du vil.",
                )
                .into()],
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
        let l = to.language;
        let title = &series.row.title;
        let mut paragraphs = vec![match l {
            Language::Bokmal => {
                format!("Det er gjort endringer i webinarserien «{title}». Slik ser planen ut nå:")
            }
            Language::Nynorsk => {
                format!("Det er gjort endringar i webinarserien «{title}». Slik ser planen ut no:")
            }
        }];
        paragraphs.extend(schedule(
            &series
                .sessions
                .iter()
                .filter(|s| s.cancelled_at.is_none())
                .cloned()
                .collect::<Vec<_>>(),
            l,
        ));
        paragraphs.push(
            l.pick(
                "Den oppdaterte kalenderinvitasjonen er vedlagt.",
                "Den oppdaterte kalenderinvitasjonen ligg ved.",
            )
            .into(),
        );
        let letter = Letter {
            template: "webinar_changed",
            language: l,
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
        let l = to.language;
        let letter = Letter {
            template: "webinar_session_cancelled",
            language: l,
            subject: format!("Avlyst: samling {} i {}", session.number, series.row.title),
            greeting_name: &to.name,
            paragraphs: vec![format!(
                "Samling {} i webinarserien «{}» ({}) er avlyst.",
                session.number,
                series.row.title,
                oslo_time(session.starts_at, l)
            )],
            action: None,
            closing: vec![l
                .pick(
                    "Vedlegget fjerner samlingen fra kalenderen din.",
                    "Vedlegget fjernar samlinga frå kalenderen din.",
                )
                .into()],
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
        let l = to.language;
        let letter = Letter {
            template: "webinar_series_cancelled",
            language: l,
            subject: format!("Avlyst: {}", series.row.title),
            greeting_name: &to.name,
            paragraphs: vec![
                format!("Webinarserien «{}» er dessverre avlyst.", series.row.title),
                l.pick(
                    "Du kan melde deg på en annen serie.",
                    "Du kan melde deg på ein annan serie.",
                )
                .into(),
            ],
            action: None,
            closing: vec![],
        };
        let invitation = was_confirmed.then_some((Method::Cancel, series, &series.sessions[..]));
        self.send(conn, to, letter, invitation).await
    }
}
