//! Tests of the iCalendar documents: structure, Oslo time across daylight saving, escaping and
//! folding, and a real parser (Python's icalendar) reading them back.

use super::*;
use serde_json::Value;

const NB: Language = Language::Bokmal;
const NN: Language = Language::Nynorsk;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn session(
    id: u128,
    number: i32,
    starts_at: DateTime<Utc>,
    sequence: i32,
) -> CalendarSession<'static> {
    CalendarSession {
        session_id: Uuid::from_u128(id),
        series_title: "Høst Viken",
        number,
        starts_at,
        duration_minutes: 120,
        join_url: "https://meet.example.no/abc?x=1,2;y=3",
        sequence,
        cancelled: false,
    }
}

/// Before, across and after the change to winter time on 2026-10-25.
fn dst_sessions() -> [CalendarSession<'static>; 3] {
    [
        session(1, 1, utc(2026, 10, 24, 16, 0), 0),
        // 00:30 UTC = 02:30 CEST; two hours later 02:30 UTC = 03:30 CET.
        session(2, 2, utc(2026, 10, 25, 0, 30), 3),
        session(3, 3, utc(2026, 10, 26, 17, 0), 1),
    ]
}

fn organizer() -> Organizer<'static> {
    Organizer {
        name: "Mentoropplæringen, Viken",
        email: "noreply@example.no",
    }
}

const ATTENDEE: Option<(&str, &str)> = Some(("Kari Nordmann", "kari@example.no"));

fn now() -> DateTime<Utc> {
    utc(2026, 9, 1, 8, 0)
}

/// The lines of unfolded `ics` after the VTIMEZONE (in the VEVENTs) that start with `prefix`.
fn lines_starting<'a>(unfolded: &'a str, prefix: &str) -> Vec<&'a str> {
    unfolded
        .split("\r\n")
        .skip_while(|l| *l != "END:VTIMEZONE")
        .filter(|l| l.starts_with(prefix))
        .collect()
}

/// Parses `ics` with the Python `icalendar` package; panics if Python or the package is
/// missing, or if the parser reports any broken property.
fn parse_with_python(ics: &str) -> Value {
    const SCRIPT: &str = r#"
import json, sys
from datetime import datetime, timezone
import icalendar

with open(sys.argv[1], "rb") as f:
    cal = icalendar.Calendar.from_ical(f.read())
for component in cal.walk():
    if component.errors:
        raise SystemExit("parse errors in %s: %r" % (component.name, component.errors))

def utc(prop):
    value = prop.dt
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise SystemExit("not an aware date-time: %r" % (value,))
    return value.astimezone(timezone.utc).isoformat()

def person(prop):
    return {"value": str(prop), "cn": prop.params.get("CN")}

events = []
for ev in cal.walk("VEVENT"):
    attendees = ev.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    events.append({
        "uid": str(ev["UID"]),
        "dtstart": utc(ev["DTSTART"]),
        "dtend": utc(ev["DTEND"]),
        "dtstamp": utc(ev["DTSTAMP"]),
        "sequence": int(ev["SEQUENCE"]),
        "status": str(ev["STATUS"]),
        "summary": str(ev["SUMMARY"]),
        "description": str(ev["DESCRIPTION"]),
        "location": str(ev["LOCATION"]),
        "url": str(ev["URL"]),
        "organizer": person(ev["ORGANIZER"]),
        "attendees": [person(a) for a in attendees],
    })
print(json.dumps({
    "method": str(cal["METHOD"]),
    "prodid": str(cal["PRODID"]),
    "timezones": [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")],
    "events": events,
}))
"#;
    let path = std::env::temp_dir().join(format!("mentorsti-calendar-{}.ics", Uuid::new_v4()));
    std::fs::write(&path, ics).expect("write the temporary .ics file");
    let output = crate::testing::python_with_icalendar()
        .arg("-c")
        .arg(SCRIPT)
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    let output = output.expect("python3 must be installed to check the calendar");
    assert!(
        output.status.success(),
        "the Python icalendar parser failed (is `icalendar` installed?):\n{}\n{ics}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script prints JSON")
}

fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a string"))
        .expect("an ISO date-time")
        .with_timezone(&Utc)
}

#[test]
fn one_timezone_one_event_per_session_method_uids_and_sequences() {
    let sessions = dst_sessions();
    let ics = calendar(
        NB,
        Method::Request,
        &sessions,
        &organizer(),
        ATTENDEE,
        now(),
    );
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.ends_with("END:VCALENDAR\r\n"), "{ics}");
    assert_eq!(ics.matches("BEGIN:VTIMEZONE").count(), 1, "{ics}");
    assert_eq!(ics.matches("END:VTIMEZONE").count(), 1, "{ics}");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
    assert_eq!(ics.matches("END:VEVENT").count(), 3, "{ics}");
    assert!(ics.contains("\r\nPRODID:-//mentorsti//webinarer//NB\r\n"));
    assert!(ics.contains("\r\nVERSION:2.0\r\n"));
    assert!(ics.contains("\r\nCALSCALE:GREGORIAN\r\n"));
    assert_eq!(ics.matches("METHOD:").count(), 1);
    assert!(ics.contains("\r\nMETHOD:REQUEST\r\n"));
    // The time zone comes before the events and has no DTSTAMP/UID of its own.
    let timezone = &ics[ics.find("BEGIN:VTIMEZONE").unwrap()..ics.find("END:VTIMEZONE").unwrap()];
    assert!(ics.find("END:VTIMEZONE") < ics.find("BEGIN:VEVENT"));
    assert!(
        !timezone.contains("DTSTAMP") && !timezone.contains("UID"),
        "{timezone}"
    );
    assert!(timezone.contains("TZNAME:CET\r\n") && timezone.contains("TZNAME:CEST\r\n"));
    // Every line ends with CRLF.
    assert_eq!(ics.matches('\n').count(), ics.matches("\r\n").count());

    let unfolded = unfold(&ics);
    let uids: Vec<String> = sessions
        .iter()
        .map(|s| format!("UID:{}", event_uid(s.session_id)))
        .collect();
    assert_eq!(lines_starting(&unfolded, "UID:"), uids);
    assert_eq!(
        lines_starting(&unfolded, "SEQUENCE:"),
        ["SEQUENCE:0", "SEQUENCE:3", "SEQUENCE:1"]
    );
    assert_eq!(
        lines_starting(&unfolded, "DTSTAMP:"),
        ["DTSTAMP:20260901T080000Z"; 3]
    );
    assert_eq!(
        lines_starting(&unfolded, "STATUS:"),
        ["STATUS:CONFIRMED"; 3]
    );
    assert_eq!(
        lines_starting(&unfolded, "ORGANIZER")[0],
        "ORGANIZER;CN=\"Mentoropplæringen, Viken\":mailto:noreply@example.no"
    );
    assert_eq!(
        lines_starting(&unfolded, "ATTENDEE")[0],
        "ATTENDEE;CN=Kari Nordmann;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;\
         RSVP=FALSE:mailto:kari@example.no"
    );
    assert_eq!(
        lines_starting(&unfolded, "SUMMARY:")[1],
        "SUMMARY:Refleksjonswebinar 2 av 3: Høst Viken"
    );
    assert_eq!(
        lines_starting(&unfolded, "URL:")[0],
        "URL:https://meet.example.no/abc?x=1,2;y=3"
    );
    assert_eq!(
        lines_starting(&unfolded, "LOCATION:")[0],
        "LOCATION:https://meet.example.no/abc?x=1\\,2\\;y=3"
    );

    // Same session ids, other time, other method: same UIDs.
    let later = calendar(
        NB,
        Method::Cancel,
        &sessions,
        &organizer(),
        ATTENDEE,
        Utc::now(),
    );
    assert_eq!(lines_starting(&unfold(&later), "UID:"), uids);
    assert!(later.contains("\r\nMETHOD:CANCEL\r\n"));
    assert_eq!(
        lines_starting(&unfold(&later), "STATUS:"),
        ["STATUS:CANCELLED"; 3]
    );
    assert!(later.contains("ATTENDEE;"));

    let feed = calendar(
        NB,
        Method::Publish,
        &sessions,
        &organizer(),
        ATTENDEE,
        now(),
    );
    assert_eq!(lines_starting(&unfold(&feed), "UID:"), uids);
    assert!(feed.contains("\r\nMETHOD:PUBLISH\r\n"));
    assert_eq!(feed.matches("METHOD:").count(), 1);
    assert!(!feed.contains("ATTENDEE"), "feeds carry no attendee");

    let empty = calendar(NB, Method::Publish, &[], &organizer(), None, now());
    assert_eq!(empty.matches("BEGIN:VTIMEZONE").count(), 1);
    assert!(
        empty.ends_with("END:VTIMEZONE\r\nEND:VCALENDAR\r\n"),
        "{empty}"
    );
}

#[test]
fn cancelled_sessions_are_cancelled_in_any_method() {
    let mut cancelled = session(7, 1, utc(2026, 3, 10, 17, 0), 4);
    cancelled.cancelled = true;
    let sessions = [cancelled, session(8, 2, utc(2026, 3, 17, 17, 0), 0)];
    let ics = unfold(&calendar(
        NB,
        Method::Publish,
        &sessions,
        &organizer(),
        None,
        now(),
    ));
    assert_eq!(
        lines_starting(&ics, "STATUS:"),
        ["STATUS:CANCELLED", "STATUS:CONFIRMED"]
    );
    assert!(lines_starting(&ics, "DESCRIPTION:")[0]
        .starts_with("DESCRIPTION:Dette webinaret er avlyst."));
}

#[test]
fn local_oslo_times_on_both_sides_of_the_change_to_winter_time() {
    let ics = unfold(&calendar(
        NB,
        Method::Request,
        &dst_sessions(),
        &organizer(),
        ATTENDEE,
        now(),
    ));
    // 16:00 UTC = 18:00 CEST, 17:00 UTC = 18:00 CET; across: 02:30 CEST → 03:30 CET.
    assert_eq!(
        lines_starting(&ics, "DTSTART"),
        [
            "DTSTART;TZID=Europe/Oslo:20261024T180000",
            "DTSTART;TZID=Europe/Oslo:20261025T023000",
            "DTSTART;TZID=Europe/Oslo:20261026T180000",
        ]
    );
    assert_eq!(
        lines_starting(&ics, "DTEND"),
        [
            "DTEND;TZID=Europe/Oslo:20261024T200000",
            "DTEND;TZID=Europe/Oslo:20261025T033000",
            "DTEND;TZID=Europe/Oslo:20261026T200000",
        ]
    );
}

#[test]
fn the_repeated_hour_is_written_in_utc() {
    // 01:30 UTC is the second 02:30 in Oslo that night (CET); 02:30 with TZID would mean
    // the first one (CEST).
    let start = utc(2026, 10, 25, 1, 30);
    let ics = calendar(
        NB,
        Method::Request,
        &[session(9, 1, start, 0)],
        &organizer(),
        None,
        now(),
    );
    assert!(ics.contains("\r\nDTSTART:20261025T013000Z\r\n"), "{ics}");
    assert!(
        ics.contains("\r\nDTEND;TZID=Europe/Oslo:20261025T043000\r\n"),
        "{ics}"
    );
    let parsed = parse_with_python(&ics);
    assert_eq!(instant(&parsed["events"][0]["dtstart"]), start);
}

#[test]
fn the_python_parser_reads_back_the_same_instants() {
    let sessions = dst_sessions();
    for method in [Method::Request, Method::Cancel, Method::Publish] {
        let ics = calendar(NB, method, &sessions, &organizer(), ATTENDEE, now());
        let parsed = parse_with_python(&ics);
        assert_eq!(parsed["method"], method.as_str());
        assert_eq!(parsed["prodid"], PRODID);
        assert_eq!(parsed["timezones"], serde_json::json!(["Europe/Oslo"]));
        let events = parsed["events"].as_array().expect("events");
        assert_eq!(events.len(), sessions.len());
        for (event, session) in events.iter().zip(&sessions) {
            assert_eq!(event["uid"], event_uid(session.session_id).as_str());
            assert_eq!(instant(&event["dtstart"]), session.starts_at, "{event}");
            assert_eq!(
                instant(&event["dtend"]),
                session.starts_at + Duration::minutes(120),
                "{event}"
            );
            assert_eq!(instant(&event["dtstamp"]), now());
            assert_eq!(event["sequence"], session.sequence);
            let status = if method == Method::Cancel {
                "CANCELLED"
            } else {
                "CONFIRMED"
            };
            assert_eq!(event["status"], status);
            assert_eq!(event["url"], session.join_url);
            assert_eq!(event["location"], session.join_url);
            assert_eq!(event["organizer"]["value"], "mailto:noreply@example.no");
            assert_eq!(event["organizer"]["cn"], "Mentoropplæringen, Viken");
            let attendees = event["attendees"].as_array().expect("attendees");
            if method == Method::Publish {
                assert!(attendees.is_empty());
            } else {
                assert_eq!(attendees.len(), 1);
                assert_eq!(attendees[0]["value"], "mailto:kari@example.no");
                assert_eq!(attendees[0]["cn"], "Kari Nordmann");
            }
        }
    }
}

#[test]
fn special_characters_survive_the_python_parser() {
    let title = "Vår, sommer; og høst\nÆØÅ æøå \\ «sitat» \"x\"";
    let mut tricky = session(10, 2, utc(2026, 5, 5, 15, 0), 1);
    tricky.series_title = title;
    let ics = calendar(
        NB,
        Method::Request,
        &[tricky],
        &Organizer {
            name: "Ås; Øyvind, \"Mentor\"",
            email: "o@example.no",
        },
        Some(("Bjørn, Ærlig", "bjorn@example.no")),
        now(),
    );
    let unfolded = unfold(&ics);
    assert!(
        unfolded.contains(
            "SUMMARY:Refleksjonswebinar 2 av 3: Vår\\, sommer\\; og høst\\nÆØÅ æøå \\\\ «sitat» \"x\"\r\n"
        ),
        "{ics}"
    );
    let parsed = parse_with_python(&ics);
    let event = &parsed["events"][0];
    assert_eq!(
        event["summary"],
        format!("Refleksjonswebinar 2 av 3: {title}")
    );
    let description = event["description"].as_str().unwrap();
    assert!(description.contains(&format!("«{title}»")), "{description}");
    assert!(
        description.ends_with("Bli med på webinaret her: https://meet.example.no/abc?x=1,2;y=3")
    );
    assert_eq!(event["organizer"]["cn"], "Ås; Øyvind, 'Mentor'");
    assert_eq!(event["attendees"][0]["cn"], "Bjørn, Ærlig");

    // A CR LF in the title is a line break in the text, never a raw line break in the file.
    let mut broken = session(12, 2, utc(2026, 5, 5, 15, 0), 1);
    broken.series_title = "Første\r\nandre\rtredje";
    let ics = calendar(NB, Method::Publish, &[broken], &organizer(), None, now());
    assert_eq!(ics.matches('\r').count(), ics.matches("\r\n").count());
    assert_eq!(ics.matches('\n').count(), ics.matches("\r\n").count());
    let parsed = parse_with_python(&ics);
    assert_eq!(
        parsed["events"][0]["summary"],
        "Refleksjonswebinar 2 av 3: Første\nandre\ntredje"
    );
}

#[test]
fn long_lines_are_folded_at_75_octets_and_unfold_unchanged() {
    let title = "Refleksjon over mentorrollen i praksis: æøå ÆØÅ, veiledning; ".repeat(8);
    let mut long = session(11, 3, utc(2026, 11, 3, 17, 0), 2);
    long.series_title = &title;
    let ics = calendar(NB, Method::Request, &[long], &organizer(), ATTENDEE, now());
    assert!(ics.contains("\r\n "), "something was folded");
    for line in ics.split_terminator("\r\n") {
        assert!(
            line.len() <= MAX_LINE_OCTETS,
            "{} octets: {line}",
            line.len()
        );
    }
    let unfolded = unfold(&ics);
    let summary = lines_starting(&unfolded, "SUMMARY:")[0];
    assert!(summary.len() > 3 * MAX_LINE_OCTETS);
    assert!(summary.ends_with("veiledning\\; "), "{summary}");
    let parsed = parse_with_python(&ics);
    assert_eq!(
        parsed["events"][0]["summary"],
        format!("Refleksjonswebinar 3 av 3: {title}")
    );
    let description = parsed["events"][0]["description"].as_str().unwrap();
    assert!(description.contains(&format!("«{title}»")), "{description}");
}

/// The properties of every VEVENT as the `icalendar` crate's parser reads them: name → value.
fn parse_with_the_crate(ics: &str) -> Vec<std::collections::HashMap<String, String>> {
    use icalendar::{CalendarComponent, Component};
    let parsed: Calendar = ics
        .parse()
        .expect("the icalendar crate parses the document");
    parsed
        .components
        .iter()
        .filter_map(|component| match component {
            CalendarComponent::Event(event) => Some(
                event
                    .properties()
                    .iter()
                    .map(|(name, property)| (name.clone(), property.value().to_owned()))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

#[test]
fn a_nynorsk_calendar_has_nynorsk_text_and_the_same_uids_and_times() {
    let sessions = dst_sessions();
    for method in [Method::Request, Method::Cancel, Method::Publish] {
        let nb = calendar(NB, method, &sessions, &organizer(), ATTENDEE, now());
        let nn = calendar(NN, method, &sessions, &organizer(), ATTENDEE, now());
        assert_ne!(nb, nn, "{method:?}: the text differs");
        // Everything but the text a person reads is the same.
        for prefix in [
            "UID:",
            "DTSTART",
            "DTEND",
            "DTSTAMP:",
            "SEQUENCE:",
            "STATUS:",
            "URL:",
        ] {
            assert_eq!(
                lines_starting(&unfold(&nb), prefix),
                lines_starting(&unfold(&nn), prefix),
                "{method:?} {prefix}"
            );
        }
        for line in nn.split_terminator("\r\n") {
            assert!(line.len() <= MAX_LINE_OCTETS, "{line}");
        }

        // The icalendar crate reads it back.
        let events = parse_with_the_crate(&nn);
        assert_eq!(events.len(), sessions.len(), "{method:?}");
        for (event, session) in events.iter().zip(&sessions) {
            assert_eq!(event["UID"], event_uid(session.session_id));
            assert_eq!(
                event["SUMMARY"],
                format!("Refleksjonswebinar {} av 3: Høst Viken", session.number)
            );
            let description = &event["DESCRIPTION"];
            assert!(
                description.contains("(modul 5 i mentoropplæringa), 120 minutt.\nBli med"),
                "{description}"
            );
            assert!(!description.contains("mentoropplæringen"), "{description}");
        }
        let bokmal = parse_with_the_crate(&nb);
        assert!(bokmal[0]["DESCRIPTION"].contains("(modul 5 i mentoropplæringen), 120 minutter."));

        // And so does Python's, with the same instants.
        let parsed = parse_with_python(&nn);
        for (event, session) in parsed["events"].as_array().unwrap().iter().zip(&sessions) {
            assert_eq!(instant(&event["dtstart"]), session.starts_at);
            let description = event["description"].as_str().unwrap();
            assert!(
                description.starts_with(&format!(
                    "{}Refleksjonswebinar {} av 3 i serien «Høst Viken» (modul 5 i mentoropplæringa), 120 minutt.\nBli med på webinaret her: ",
                    if method == Method::Cancel { "Dette webinaret er avlyst.\n\n" } else { "" },
                    session.number
                )),
                "{description}"
            );
        }
    }
}

#[test]
fn folding_respects_the_limit_and_utf8_boundaries() {
    // The crate's own folding leaves 76 octets when 75 remain after the first fold.
    for len in [74, 75, 76, 149, 150, 151, 223, 224, 225, 300] {
        let line = format!("X:{}", "a".repeat(len - 2));
        let folded = fold(&format!("{line}\r\n"));
        assert!(folded.ends_with("\r\n"));
        assert!(
            folded
                .split_terminator("\r\n")
                .all(|l| l.len() <= MAX_LINE_OCTETS),
            "{len}: {folded:?}"
        );
        assert_eq!(unfold(&folded), format!("{line}\r\n"));
    }
    for pad in 0..4 {
        let line = format!("SUMMARY:{}{}", "x".repeat(pad), "ø€😀".repeat(40));
        let folded = fold(&format!("{line}\r\n"));
        assert!(folded
            .split_terminator("\r\n")
            .all(|l| l.len() <= MAX_LINE_OCTETS));
        assert_eq!(unfold(&folded), format!("{line}\r\n"));
    }
}
