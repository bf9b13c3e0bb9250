//! iCalendar (RFC 5545) documents for the module 5 reflection webinars: invitations (REQUEST),
//! cancellations (CANCEL) and the subscription feed (PUBLISH), in Europe/Oslo time. The text a
//! person reads (summary, description) is in the recipient's written form; UIDs, times and
//! sequences do not depend on it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus, Property};
use uuid::Uuid;

use crate::language::Language;

/// One webinar session as it goes into a calendar.
pub struct CalendarSession<'a> {
    /// Stable: the VEVENT UID is derived from it only.
    pub session_id: Uuid,
    pub series_title: &'a str,
    /// 1..=3
    pub number: i32,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub join_url: &'a str,
    /// iCalendar SEQUENCE, raised when the session changes.
    pub sequence: i32,
    /// STATUS:CANCELLED
    pub cancelled: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
    Publish,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
            Method::Publish => "PUBLISH",
        }
    }
}

pub struct Organizer<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

const PRODID: &str = "-//mentorsti//webinarer//NB";
const TZID: &str = "Europe/Oslo";
/// The reflection webinars of module 5 always come as a series of three.
const SESSIONS_IN_SERIES: i32 = 3;
/// RFC 5545 §3.1: content lines are at most 75 octets, excluding the line break.
const MAX_LINE_OCTETS: usize = 75;

/// Europe/Oslo since 1996: CEST (+0200) from the last Sunday of March 02:00 and CET (+0100)
/// from the last Sunday of October 03:00.
///
/// Inserted as text: the crate's generic component writer (`Other`) adds a DTSTAMP and a random
/// UID to every component and sub-component, which VTIMEZONE, STANDARD and DAYLIGHT must not
/// have.
const OSLO_VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\n\
TZID:Europe/Oslo\r\n\
BEGIN:STANDARD\r\n\
DTSTART:19701025T030000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n\
TZOFFSETFROM:+0200\r\n\
TZOFFSETTO:+0100\r\n\
TZNAME:CET\r\n\
END:STANDARD\r\n\
BEGIN:DAYLIGHT\r\n\
DTSTART:19700329T020000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
TZOFFSETFROM:+0100\r\n\
TZOFFSETTO:+0200\r\n\
TZNAME:CEST\r\n\
END:DAYLIGHT\r\n\
END:VTIMEZONE\r\n";

/// The stable UID of a session's event.
pub fn event_uid(session_id: Uuid) -> String {
    format!("webinar-session-{session_id}@mentorsti")
}

/// A calendar with one VEVENT per session, its text in `language`. `attendee` (name, email) is
/// added as ATTENDEE for REQUEST/CANCEL; PUBLISH (subscriptions, GET /me/calendar.ics) has no
/// attendee and no METHOD other than PUBLISH.
pub fn calendar(
    language: Language,
    method: Method,
    sessions: &[CalendarSession<'_>],
    organizer: &Organizer<'_>,
    attendee: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", method.as_str()));
    let attendee = attendee.filter(|_| method != Method::Publish);
    for session in sessions {
        calendar.push(event(language, method, session, organizer, attendee, now));
    }
    let rendered = calendar.done().to_string();
    // The time zone goes after the calendar properties, before the first event (or the end).
    let at = rendered
        .find("\r\nBEGIN:")
        .map(|i| i + 2)
        .or_else(|| rendered.rfind("END:VCALENDAR"))
        .unwrap_or(rendered.len());
    let mut document = String::with_capacity(rendered.len() + OSLO_VTIMEZONE.len());
    document.push_str(&rendered[..at]);
    document.push_str(OSLO_VTIMEZONE);
    document.push_str(&rendered[at..]);
    // The crate folds, but may leave a last continuation line of 76 octets: fold again.
    fold(&unfold(&document))
}

fn event(
    language: Language,
    method: Method,
    session: &CalendarSession<'_>,
    organizer: &Organizer<'_>,
    attendee: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> Event {
    let cancelled = session.cancelled || method == Method::Cancel;
    let title = text(session.series_title);
    let join_url = uri(session.join_url);
    let ends_at = session.starts_at + Duration::minutes(i64::from(session.duration_minutes));
    let summary = format!(
        "Refleksjonswebinar {} av {SESSIONS_IN_SERIES}: {title}",
        session.number
    );
    let mut description = String::new();
    if cancelled {
        description.push_str("Dette webinaret er avlyst.\n\n");
    }
    let (number, minutes) = (session.number, session.duration_minutes);
    description.push_str(&match language {
        Language::Bokmal => format!(
            "Refleksjonswebinar {number} av {SESSIONS_IN_SERIES} i serien «{title}» (modul 5 i \
             mentoropplæringen), {minutes} minutter.\nBli med på webinaret her: {join_url}"
        ),
        Language::Nynorsk => format!(
            "Refleksjonswebinar {number} av {SESSIONS_IN_SERIES} i serien «{title}» (modul 5 i \
             mentoropplæringa), {minutes} minutt.\nBli med på webinaret her: {join_url}"
        ),
    });

    let mut event = Event::new();
    event
        .uid(&event_uid(session.session_id))
        .timestamp(now)
        .starts(oslo(session.starts_at))
        .ends(oslo(ends_at))
        .sequence(u32::try_from(session.sequence).unwrap_or(0))
        .summary(&summary)
        .description(&description)
        .location(&join_url)
        .url(&join_url)
        .status(if cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    event.append_property(
        Property::new("ORGANIZER", format!("mailto:{}", uri(organizer.email)))
            .add_parameter("CN", &param(organizer.name))
            .done(),
    );
    if let Some((name, email)) = attendee {
        event.append_multi_property(
            Property::new("ATTENDEE", format!("mailto:{}", uri(email)))
                .add_parameter("CN", &param(name))
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .add_parameter("PARTSTAT", "NEEDS-ACTION")
                .add_parameter("RSVP", "FALSE")
                .done(),
        );
    }
    event.done()
}

/// Oslo local time with TZID. RFC 5545 §3.3.5 reads a local time that occurs twice (the hour
/// repeated when summer time ends) as its first occurrence, so the second one is written in UTC.
fn oslo(at: DateTime<Utc>) -> CalendarDateTime {
    let local = at.with_timezone(&Oslo).naive_local();
    match Oslo.from_local_datetime(&local).earliest() {
        Some(first) if first == at => CalendarDateTime::WithTimezone {
            date_time: local,
            tzid: TZID.to_owned(),
        },
        _ => CalendarDateTime::Utc(at),
    }
}

/// A TEXT value before the crate escapes it: line breaks become `\n` (a bare CR would survive
/// the escaping), other control characters are not allowed.
fn text(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// A parameter value (CN) may hold neither control characters nor DQUOTE (RFC 5545 §3.1).
fn param(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// URI values (URL, mailto:) are not escaped, so they must not carry control characters.
fn uri(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).collect()
}

/// Joins folded lines (CRLF followed by one space or tab).
fn unfold(document: &str) -> String {
    document.replace("\r\n ", "").replace("\r\n\t", "")
}

/// Folds every content line to at most 75 octets (continuations start with a space) without
/// splitting a UTF-8 character, and ends every line with CRLF.
fn fold(document: &str) -> String {
    let mut out = String::with_capacity(document.len() + document.len() / 32);
    for line in document.split_terminator("\r\n") {
        let mut rest = line;
        let mut limit = MAX_LINE_OCTETS;
        while rest.len() > limit {
            let mut cut = limit;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push_str(&rest[..cut]);
            out.push_str("\r\n ");
            rest = &rest[cut..];
            limit = MAX_LINE_OCTETS - 1;
        }
        out.push_str(rest);
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
#[path = "calendar_tests.rs"]
mod tests;
