//! iCalendar (RFC 5545) documents for webinar sessions: invitations (REQUEST), cancellations
//! (CANCEL) and the subscription feed (PUBLISH), in Europe/Oslo time with its VTIMEZONE.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::Oslo;
use icalendar::{
    Calendar, CalendarComponent, CalendarDateTime, Component, Event, EventLike, EventStatus,
    Property,
};
use uuid::Uuid;

/// One webinar session as it goes into a calendar.
pub struct CalendarSession<'a> {
    pub session_id: Uuid,
    pub series_title: &'a str,
    pub number: i32,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub join_url: &'a str,
    /// Raised whenever the session changes.
    pub sequence: i32,
    pub cancelled: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
    Publish,
}

pub struct Organizer<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

const TZID: &str = "Europe/Oslo";

/// Europe/Oslo since 1996: CET in winter, CEST from the last Sunday of March to the last Sunday
/// of October.
const OSLO_VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Oslo\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// The stable UID of a session's event.
pub fn event_uid(session_id: Uuid) -> String {
    format!("webinar-session-{session_id}@mentorsti")
}

fn oslo(at: DateTime<Utc>) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: at.with_timezone(&Oslo).naive_local(),
        tzid: TZID.to_owned(),
    }
}

/// A calendar with one VEVENT per session.
pub fn calendar(
    method: Method,
    sessions: &[CalendarSession<'_>],
    organizer: &Organizer<'_>,
    attendee: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("PRODID", "-//mentorsti//webinarer//NB"))
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new(
            "METHOD",
            match method {
                Method::Request => "REQUEST",
                Method::Cancel => "CANCEL",
                Method::Publish => "PUBLISH",
            },
        ));
    if let Ok(timezone) = OSLO_VTIMEZONE.parse::<CalendarComponent>() {
        calendar.push(timezone);
    }
    for session in sessions {
        let cancelled = session.cancelled || method == Method::Cancel;
        let mut event = Event::new();
        event
            .uid(&event_uid(session.session_id))
            .timestamp(now)
            .starts(oslo(session.starts_at))
            .ends(oslo(
                session.starts_at + Duration::minutes(i64::from(session.duration_minutes)),
            ))
            .sequence(session.sequence.max(0) as u32)
            .summary(&format!(
                "Refleksjonswebinar {} av 3: {}",
                session.number, session.series_title
            ))
            .description(&format!(
                "Samling {} i webinarrekken «{}» i mentoropplæringen.\nBli med her: {}",
                session.number, session.series_title, session.join_url
            ))
            .location(session.join_url)
            .url(session.join_url)
            .status(if cancelled {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            });
        event.append_property(
            Property::new("ORGANIZER", format!("mailto:{}", organizer.email))
                .add_parameter("CN", organizer.name)
                .done(),
        );
        if let (Some((name, email)), true) = (attendee, method != Method::Publish) {
            event.append_multi_property(
                Property::new("ATTENDEE", format!("mailto:{email}"))
                    .add_parameter("CN", name)
                    .add_parameter("ROLE", "REQ-PARTICIPANT")
                    .add_parameter("PARTSTAT", "NEEDS-ACTION")
                    .add_parameter("RSVP", "FALSE")
                    .done(),
            );
        }
        calendar.push(event.done());
    }
    calendar.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn session(id: u128, start: DateTime<Utc>, minutes: i32) -> CalendarSession<'static> {
        CalendarSession {
            session_id: Uuid::from_u128(id),
            series_title: "Høst; Viken, gruppe 1",
            number: 1,
            starts_at: start,
            duration_minutes: minutes,
            join_url: "https://meet.example.no/abc?x=1",
            sequence: 2,
            cancelled: false,
        }
    }

    fn organizer() -> Organizer<'static> {
        Organizer {
            name: "Mentoropplæringen",
            email: "noreply@example.no",
        }
    }

    #[test]
    fn one_timezone_and_one_event_per_session_with_stable_uids() {
        let now = Utc::now();
        let sessions = [
            session(
                1,
                Utc.with_ymd_and_hms(2026, 10, 24, 16, 0, 0).unwrap(),
                120,
            ),
            session(
                2,
                Utc.with_ymd_and_hms(2026, 10, 26, 17, 0, 0).unwrap(),
                120,
            ),
        ];
        let ics = calendar(
            Method::Request,
            &sessions,
            &organizer(),
            Some(("Kari", "kari@example.no")),
            now,
        );
        assert_eq!(ics.matches("BEGIN:VTIMEZONE").count(), 1, "{ics}");
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
        assert!(ics.contains("METHOD:REQUEST"));
        assert!(ics.contains("SEQUENCE:2"));
        assert!(ics.contains(&event_uid(Uuid::from_u128(1))));
        // Both at 18:00 local time: CEST before the change, CET after.
        assert!(
            ics.contains("DTSTART;TZID=Europe/Oslo:20261024T180000"),
            "{ics}"
        );
        assert!(
            ics.contains("DTSTART;TZID=Europe/Oslo:20261026T180000"),
            "{ics}"
        );
        assert!(ics.contains("ATTENDEE"));
        let again = calendar(
            Method::Publish,
            &sessions,
            &organizer(),
            Some(("Kari", "kari@example.no")),
            now,
        );
        assert!(again.contains(&event_uid(Uuid::from_u128(1))));
        assert!(!again.contains("ATTENDEE"), "feeds carry no attendee");
        assert!(ics.lines().all(|l| l.len() <= 75), "lines are folded");
    }

    #[test]
    fn a_session_across_the_change_to_winter_time() {
        // 00:30 UTC = 02:30 CEST; two hours later 02:30 UTC = 03:30 CET.
        let start = Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap();
        let ics = calendar(
            Method::Cancel,
            &[session(3, start, 120)],
            &organizer(),
            None,
            Utc::now(),
        );
        assert!(
            ics.contains("DTSTART;TZID=Europe/Oslo:20261025T023000"),
            "{ics}"
        );
        assert!(
            ics.contains("DTEND;TZID=Europe/Oslo:20261025T033000"),
            "{ics}"
        );
        assert!(ics.contains("STATUS:CANCELLED"));
    }
}
