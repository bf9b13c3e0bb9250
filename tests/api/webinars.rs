use chrono::{Duration, Utc};
use mentorsti::auth::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{assert_problem, spawn_app, Account, TestApp};

/// Parses iCalendar text with Python's `icalendar` package: {method, events: [{uid, start, end, sequence, status}]}.
pub fn parse_ics(ics: &str) -> Value {
    let script = r#"
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.read())
events = []
for e in cal.walk("VEVENT"):
    events.append({
        "uid": str(e["UID"]),
        "start": e.decoded("DTSTART").astimezone(__import__("datetime").timezone.utc).isoformat(),
        "end": e.decoded("DTEND").astimezone(__import__("datetime").timezone.utc).isoformat(),
        "tzid": e["DTSTART"].params.get("TZID"),
        "sequence": int(e.get("SEQUENCE", 0)),
        "status": str(e.get("STATUS", "")),
    })
print(json.dumps({"method": str(cal.get("METHOD", "")), "events": events, "timezones": len(cal.walk("VTIMEZONE"))}))
"#;
    let mut child = mentorsti::testing::python_with_icalendar()
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the ICS did not parse: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A mentor whose path is done and note submitted, set up directly in the database.
pub(crate) async fn ready_mentor(app: &TestApp) -> (Account, String) {
    let email = format!("mentor-{}@example.no", Uuid::new_v4().simple());
    let account = app.create_user(Role::Mentor, &email).await;
    make_ready(app, &account).await;
    let token = app
        .state
        .tokens
        .issue_access(account.id, Role::Mentor, 1, app.state.clock.now());
    (account, token)
}

/// Marks the mentor's path done and a note submitted, directly in the database.
pub(crate) async fn make_ready(app: &TestApp, account: &Account) {
    let sql = app.sql().await;
    sql.execute(
        "INSERT INTO path_completions (user_id) VALUES ($1)",
        &[&account.id],
    )
    .await
    .unwrap();
    sql.execute(
        "INSERT INTO reflection_notes (user_id, version, body, status, submitted_at) VALUES ($1, 1, $2, 'submitted', now())",
        &[&account.id, &"Refleksjon. ".repeat(40)],
    )
    .await
    .unwrap();
}

pub(crate) async fn new_series(app: &TestApp, capacity: i32) -> (String, Uuid, String, Value) {
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (facilitator, facilitator_token) = app.user_with_token(Role::Facilitator).await;
    let start = Utc::now() + Duration::days(10);
    let body = json!({
        "title": "Høstens refleksjonsgruppe, Viken",
        "capacity": capacity,
        "facilitator_id": facilitator.id,
        "sessions": [
            {"starts_at": start, "join_url": "https://meet.example.no/a"},
            {"starts_at": start + Duration::days(21), "duration_minutes": 120, "join_url": "https://meet.example.no/b"},
            {"starts_at": start + Duration::days(42), "join_url": "https://meet.example.no/c"},
        ],
    });
    let response = app.post("/admin/webinar-series", &admin, &body).await;
    assert_eq!(response.status(), 201);
    let series: Value = response.json().await.unwrap();
    (admin, facilitator.id, facilitator_token, series)
}

#[tokio::test]
async fn registration_attendance_and_certificate() {
    let app = spawn_app().await;
    let (_, _, facilitator, series) = new_series(&app, 12).await;
    let id = series["id"].as_str().unwrap();
    assert_eq!(series["seats_left"], 12);
    assert_eq!(series["sessions"].as_array().unwrap().len(), 3);
    let deadline =
        chrono::DateTime::parse_from_rfc3339(series["registration_deadline"].as_str().unwrap())
            .unwrap();
    let first =
        chrono::DateTime::parse_from_rfc3339(series["sessions"][0]["starts_at"].as_str().unwrap())
            .unwrap();
    assert_eq!(first - deadline, Duration::hours(48), "default deadline");

    let (mentor, token) = ready_mentor(&app).await;
    let listed: Value = app
        .get("/webinar-series", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], id);
    assert!(
        listed[0]["sessions"][0]["join_url"].is_null(),
        "links only for participants"
    );

    let response = app
        .post(
            &format!("/webinar-series/{id}/registrations"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let registration: Value = response.json().await.unwrap();
    assert_eq!(registration["status"], "confirmed");

    let mails = app.mail.wait_for(&mentor.email, 1).await;
    assert!(mails[0].subject().starts_with("Påmelding bekreftet"));
    let attachments = mails[0].attachments();
    assert_eq!(attachments[0].1, "text/calendar");
    let invitation = parse_ics(&attachments[0].2);
    assert_eq!(invitation["method"], "REQUEST");
    assert_eq!(invitation["timezones"], 1);
    assert_eq!(invitation["events"].as_array().unwrap().len(), 3);
    assert_eq!(invitation["events"][0]["tzid"], "Europe/Oslo");
    let first_start =
        chrono::DateTime::parse_from_rfc3339(invitation["events"][0]["start"].as_str().unwrap())
            .unwrap();
    assert_eq!(
        first_start.timestamp(),
        first.timestamp(),
        "iCalendar keeps whole seconds"
    );

    // The subscription feed has the same UIDs.
    let feed = app
        .client
        .get(app.api("/me/calendar.ics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(feed.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let feed = parse_ics(&feed.text().await.unwrap());
    let uids = |v: &Value| {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["uid"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(uids(&feed), uids(&invitation));

    assert_problem(app.get("/me/certificate", &token).await, 404, "not_found").await;
    for n in 1..=3 {
        let response = app
            .put(
                &format!("/facilitator/series/{id}/sessions/{n}/attendance"),
                &facilitator,
                &json!([{"user_id": mentor.id, "attended": true}]),
            )
            .await;
        assert_eq!(response.status(), 200, "{}", n);
    }
    let mine: Value = app.get("/me/webinars", &token).await.json().await.unwrap();
    assert_eq!(mine[0]["status"], "confirmed");
    assert!(mine[0]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["attended"] == true));
    let certificate: Value = app
        .get("/me/certificate", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(certificate["name"], "Test Testesen");
    let code = certificate["verification_code"].as_str().unwrap();
    let check: Value = app
        .client
        .get(app.api(&format!("/certificates/{code}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        check.as_object().unwrap().len(),
        4,
        "status, name, programme, date; nothing more: {check}"
    );
    assert_eq!(check["status"], "valid");
    assert_eq!(check["name"], "Test Testesen");
    assert_problem(
        app.client
            .get(app.api("/certificates/XXXX-XXXX"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn two_hundred_concurrent_registrations_for_twelve_seats() {
    let app = spawn_app().await;
    let (_, _, _, series) = new_series(&app, 12).await;
    let id = series["id"].as_str().unwrap().to_owned();
    let mut tokens = Vec::new();
    for _ in 0..200 {
        tokens.push(ready_mentor(&app).await.1);
    }
    let url = format!("/webinar-series/{id}/registrations");
    let empty = json!({});
    let requests = tokens.iter().map(|token| {
        let (app, url, empty) = (&app, &url, &empty);
        async move {
            app.post(url, token, empty)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    let answers: Vec<Value> = futures_util::future::join_all(requests).await;
    let confirmed = answers
        .iter()
        .filter(|a| a["status"] == "confirmed")
        .count();
    let mut positions: Vec<i64> = answers
        .iter()
        .filter(|a| a["status"] == "waitlisted")
        .map(|a| a["position"].as_i64().unwrap())
        .collect();
    positions.sort();
    assert_eq!(confirmed, 12, "{answers:?}");
    assert_eq!(positions, (1..=188).collect::<Vec<_>>());
    let sql = app.sql().await;
    let row = sql
        .query_one("SELECT confirmed_count, (SELECT count(*) FROM webinar_registrations WHERE status = 'confirmed') FROM webinar_series", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 12);
    assert_eq!(row.get::<_, i64>(1), 12);
}

#[tokio::test]
async fn cancelling_promotes_the_first_on_the_waitlist() {
    let app = spawn_app().await;
    let (_, _, _, series) = new_series(&app, 1).await;
    let id = series["id"].as_str().unwrap();
    let (first, first_token) = ready_mentor(&app).await;
    let (second, second_token) = ready_mentor(&app).await;
    let url = format!("/webinar-series/{id}/registrations");
    assert_eq!(
        app.post(&url, &first_token, &json!({}))
            .await
            .json::<Value>()
            .await
            .unwrap()["status"],
        "confirmed"
    );
    let waiting: Value = app
        .post(&url, &second_token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(waiting["status"], "waitlisted");
    assert_eq!(waiting["position"], 1);
    assert!(app.mail.wait_for(&second.email, 1).await[0]
        .subject()
        .starts_with("Du står på venteliste"));

    assert_eq!(
        app.delete(&format!("{url}/me"), &first_token)
            .await
            .status(),
        204
    );
    let promoted = app.mail.wait_for(&second.email, 2).await;
    let promotion = promoted
        .iter()
        .find(|m| m.subject().starts_with("Du har fått plass"))
        .expect("promotion mail");
    assert_eq!(
        parse_ics(&promotion.attachments()[0].2)["method"],
        "REQUEST"
    );
    let cancelled = app.mail.wait_for(&first.email, 2).await;
    let cancellation = cancelled
        .iter()
        .find(|m| m.subject().starts_with("Avmeldt"))
        .expect("cancellation mail");
    let cancel = parse_ics(&cancellation.attachments()[0].2);
    assert_eq!(cancel["method"], "CANCEL");
    assert!(cancel["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["status"] == "CANCELLED"));
    let mine: Value = app
        .get("/me/webinars", &second_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine[0]["status"], "confirmed");
    // Cancelling twice: nothing left to cancel.
    assert_problem(
        app.delete(&format!("{url}/me"), &first_token).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn registration_refusals() {
    let app = spawn_app().await;
    let (admin, facilitator_id, _, series) = new_series(&app, 5).await;
    let id = series["id"].as_str().unwrap();
    let url = format!("/webinar-series/{id}/registrations");

    let (_, no_note) = app.user_with_token(Role::Mentor).await;
    assert_problem(
        app.post(&url, &no_note, &json!({})).await,
        403,
        "reflection_note_required",
    )
    .await;
    for role in [Role::Coordinator, Role::Facilitator, Role::Admin] {
        let (_, token) = app.user_with_token(role).await;
        assert_problem(app.post(&url, &token, &json!({})).await, 403, "forbidden").await;
    }
    let (_, token) = ready_mentor(&app).await;
    // A retried request with the same Idempotency-Key gets the same answer.
    let first = app
        .client
        .post(app.api(&url))
        .bearer_auth(&token)
        .header("idempotency-key", "abc-1")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let retry = app
        .client
        .post(app.api(&url))
        .bearer_auth(&token)
        .header("idempotency-key", "abc-1")
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.json::<Value>().await.unwrap(), first);
    assert_problem(
        app.post(&url, &token, &json!({})).await,
        409,
        "already_registered",
    )
    .await;

    // Another upcoming series: one at a time.
    let start = Utc::now() + Duration::days(60);
    let other: Value = app
        .post(
            "/admin/webinar-series",
            &admin,
            &json!({"title": "Vårens gruppe", "capacity": 5, "facilitator_id": facilitator_id, "sessions": [
                {"starts_at": start, "join_url": "https://meet.example.no/x"},
                {"starts_at": start + Duration::days(14), "join_url": "https://meet.example.no/y"},
                {"starts_at": start + Duration::days(28), "join_url": "https://meet.example.no/z"}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let other_id = other["id"].as_str().unwrap();
    assert_problem(
        app.post(
            &format!("/webinar-series/{other_id}/registrations"),
            &token,
            &json!({}),
        )
        .await,
        409,
        "already_registered",
    )
    .await;

    // Closed after the deadline (48 hours before its first session, 60 days from now).
    app.clock.advance(Duration::days(58) + Duration::minutes(1));
    let (_, late) = ready_mentor(&app).await;
    assert_problem(
        app.post(
            &format!("/webinar-series/{other_id}/registrations"),
            &late,
            &json!({}),
        )
        .await,
        409,
        "registration_closed",
    )
    .await;
    assert_problem(
        app.post(
            &format!("/webinar-series/{}/registrations", Uuid::new_v4()),
            &late,
            &json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn series_are_validated_changed_and_cancelled_with_calendar_updates() {
    let app = spawn_app().await;
    let (admin, facilitator_id, _, series) = new_series(&app, 5).await;
    let id = series["id"].as_str().unwrap();
    let start = Utc::now() + Duration::days(10);
    let session = |offset: i64| json!({"starts_at": start + Duration::hours(offset), "join_url": "https://meet.example.no/a"});
    for (bad, field) in [
        (
            json!({"title": "x", "capacity": 0, "facilitator_id": facilitator_id, "sessions": [session(0), session(24), session(48)]}),
            "capacity",
        ),
        (
            json!({"title": "x", "capacity": 101, "facilitator_id": facilitator_id, "sessions": [session(0), session(24), session(48)]}),
            "capacity",
        ),
        (
            json!({"title": "x", "capacity": 5, "facilitator_id": facilitator_id, "sessions": [session(0), session(24)]}),
            "sessions",
        ),
        (
            json!({"title": "x", "capacity": 5, "facilitator_id": facilitator_id, "sessions": [session(0), session(1), session(48)]}),
            "sessions[1].starts_at",
        ),
        (
            json!({"title": "x", "capacity": 5, "facilitator_id": facilitator_id, "sessions": [session(48), session(24), session(72)]}),
            "sessions[1].starts_at",
        ),
        (
            json!({"title": "x", "capacity": 5, "facilitator_id": Uuid::new_v4(), "sessions": [session(0), session(24), session(48)]}),
            "facilitator_id",
        ),
    ] {
        let problem = assert_problem(
            app.post("/admin/webinar-series", &admin, &bad).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{field}: {problem}"
        );
    }

    let (mentor, token) = ready_mentor(&app).await;
    app.post(
        &format!("/webinar-series/{id}/registrations"),
        &token,
        &json!({}),
    )
    .await;
    app.mail.wait_for(&mentor.email, 1).await;
    let moved = app
        .patch(
            &format!("/admin/webinar-series/{id}"),
            &admin,
            &json!({"sessions": [{"number": 2, "starts_at": start + Duration::days(22)}]}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let mails = app.mail.wait_for(&mentor.email, 2).await;
    let update = mails
        .iter()
        .find(|m| m.subject().starts_with("Endring"))
        .expect("an updated invitation");
    let ics = parse_ics(&update.attachments()[0].2);
    assert_eq!(ics["method"], "REQUEST");
    assert_eq!(ics["events"][1]["sequence"], 1);
    assert_eq!(ics["events"][0]["sequence"], 0);

    assert_eq!(
        app.delete(&format!("/admin/webinar-series/{id}"), &admin)
            .await
            .status(),
        204
    );
    let mails = app.mail.wait_for(&mentor.email, 3).await;
    let cancel = mails
        .iter()
        .find(|m| m.subject().starts_with("Avlyst"))
        .expect("a cancellation");
    assert_eq!(parse_ics(&cancel.attachments()[0].2)["method"], "CANCEL");
    let mine: Value = app.get("/me/webinars", &token).await.json().await.unwrap();
    assert_eq!(mine[0]["status"], "cancelled");
    // Now free to take part in another series.
    let (_, _, _, next) = new_series(&app, 5).await;
    let response = app
        .post(
            &format!(
                "/webinar-series/{}/registrations",
                next["id"].as_str().unwrap()
            ),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 201);
    // Only admins manage series.
    let (_, coordinator) = app.user_with_token(Role::Coordinator).await;
    assert_problem(
        app.delete(&format!("/admin/webinar-series/{id}"), &coordinator)
            .await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn admins_see_every_series_whatever_its_state_and_no_one_else_does() {
    let app = spawn_app().await;
    let (admin, _, facilitator, upcoming) = new_series(&app, 5).await;
    let (_, _, _, finished) = new_series(&app, 5).await;
    let (_, _, _, cancelled) = new_series(&app, 5).await;
    let id = |series: &Value| Uuid::parse_str(series["id"].as_str().unwrap()).unwrap();
    // A series held long ago: the mentors' list no longer shows it, the admins' still does.
    app.sql()
        .await
        .execute(
            "UPDATE webinar_sessions SET starts_at = starts_at - interval '200 days' WHERE series_id = $1",
            &[&id(&finished)],
        )
        .await
        .unwrap();
    let path = format!("/admin/webinar-series/{}", id(&cancelled));
    assert_eq!(app.delete(&path, &admin).await.status(), 204);

    let response = app.get("/admin/webinar-series", &admin).await;
    assert_eq!(response.status(), 200);
    let all: Vec<Value> = response.json().await.unwrap();
    let listed: Vec<&str> = all.iter().map(|s| s["id"].as_str().unwrap()).collect();
    for series in [&upcoming, &finished, &cancelled] {
        assert!(
            listed.contains(&series["id"].as_str().unwrap()),
            "{listed:?}"
        );
    }
    // The one held long ago comes last; links are there for the admin.
    assert_eq!(listed.last(), finished["id"].as_str().as_ref());
    let shown = all.iter().find(|s| s["id"] == cancelled["id"]).unwrap();
    assert_eq!(shown["cancelled"], true);
    assert_eq!(
        shown["sessions"][0]["join_url"],
        "https://meet.example.no/a"
    );

    let one: Value = app.get(&path, &admin).await.json().await.unwrap();
    assert_eq!(one["id"], cancelled["id"]);
    assert_eq!(one["cancelled"], true);
    assert_eq!(one["sessions"].as_array().unwrap().len(), 3);

    for missing in [
        format!("/admin/webinar-series/{}", Uuid::new_v4()),
        "/admin/webinar-series/not-a-series".to_owned(),
    ] {
        assert_problem(app.get(&missing, &admin).await, 404, "not_found").await;
    }
    let (_, mentor) = app.user_with_token(Role::Mentor).await;
    let (_, coordinator) = app.user_with_token(Role::Coordinator).await;
    for token in [&mentor, &coordinator, &facilitator] {
        assert_problem(
            app.get("/admin/webinar-series", token).await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(app.get(&path, token).await, 403, "forbidden").await;
    }
}

#[tokio::test]
async fn facilitators_see_only_their_series_and_note_reads_are_logged() {
    let app = spawn_app().await;
    let (_, _, facilitator, series) = new_series(&app, 5).await;
    let (_, _, other_facilitator, _) = new_series(&app, 5).await;
    let id = series["id"].as_str().unwrap();
    let (mentor, token) = ready_mentor(&app).await;
    app.post(
        &format!("/webinar-series/{id}/registrations"),
        &token,
        &json!({}),
    )
    .await;

    let led: Value = app
        .get("/facilitator/series", &facilitator)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(led.as_array().unwrap().len(), 1);
    let participants: Value = app
        .get(
            &format!("/facilitator/series/{id}/participants"),
            &facilitator,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(participants[0]["user_id"], mentor.id.to_string());
    assert_eq!(participants[0]["note_status"], "submitted");
    let note: Value = app
        .get(
            &format!(
                "/facilitator/series/{id}/participants/{}/reflection-note",
                mentor.id
            ),
            &facilitator,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(note["body"].as_str().unwrap().starts_with("Refleksjon."));
    // The mentor sees who read the note in their access log.
    let log: Value = app
        .get("/me/access-log", &token)
        .await
        .json()
        .await
        .unwrap();
    let reads: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "read_note")
        .collect();
    assert_eq!(reads.len(), 1, "{log}");
    assert_eq!(reads[0]["actor_role"], "facilitator");
    assert_eq!(reads[0]["object_type"], "reflection_note");
    assert!(reads[0]["object_id"].is_string());

    for path in [
        format!("/facilitator/series/{id}/participants"),
        format!(
            "/facilitator/series/{id}/participants/{}/reflection-note",
            mentor.id
        ),
    ] {
        assert_problem(app.get(&path, &other_facilitator).await, 404, "not_found").await;
        assert_problem(app.get(&path, &token).await, 403, "forbidden").await;
    }
    let response = app
        .put(
            &format!("/facilitator/series/{id}/sessions/1/attendance"),
            &other_facilitator,
            &json!([{"user_id": mentor.id, "attended": true}]),
        )
        .await;
    assert_problem(response, 404, "not_found").await;
    let (stranger, _) = ready_mentor(&app).await;
    let response = app
        .put(
            &format!("/facilitator/series/{id}/sessions/1/attendance"),
            &facilitator,
            &json!([{"user_id": stranger.id, "attended": true}]),
        )
        .await;
    assert_problem(response, 422, "validation_failed").await;
    assert_problem(
        app.get(
            &format!(
                "/facilitator/series/{id}/participants/{}/reflection-note",
                stranger.id
            ),
            &facilitator,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.put(
            &format!("/facilitator/series/{id}/sessions/4/attendance"),
            &facilitator,
            &json!([]),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn reminders_are_sent_once_with_two_workers() {
    let app = spawn_app_quiet().await;
    let (_, id, _) = series_starting_tomorrow(&app).await;
    let id = id.as_str();
    let mut mentors = Vec::new();
    for _ in 0..5 {
        let (mentor, token) = ready_mentor(&app).await;
        assert_eq!(
            app.post(
                &format!("/webinar-series/{id}/registrations"),
                &token,
                &json!({})
            )
            .await
            .status(),
            201
        );
        mentors.push(mentor);
    }
    let first = app.state.worker().unwrap();
    let second = app.state.worker().unwrap();
    for _ in 0..2 {
        let (a, b) = tokio::join!(first.schedule_reminders(), second.schedule_reminders());
        a.unwrap();
        b.unwrap();
        let (a, b) = tokio::join!(first.send_due(100), second.send_due(100));
        a.unwrap();
        b.unwrap();
    }
    for mentor in &mentors {
        let reminders: Vec<_> = app
            .mail
            .to(&mentor.email)
            .into_iter()
            .filter(|m| m.subject().starts_with("I morgen"))
            .collect();
        assert_eq!(
            reminders.len(),
            1,
            "{} got {} reminders",
            mentor.email,
            reminders.len()
        );
        assert!(reminders[0].text().contains("kl."), "times in Oslo time");
    }
}

#[tokio::test]
async fn pending_reminders_go_with_a_cancelled_registration_or_a_moved_session() {
    let app = spawn_app_quiet().await;
    let (admin, id, start) = series_starting_tomorrow(&app).await;
    let id = id.as_str();
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let (_, token) = ready_mentor(&app).await;
        let url = format!("/webinar-series/{id}/registrations");
        assert_eq!(app.post(&url, &token, &json!({})).await.status(), 201);
        tokens.push(token);
    }
    let worker = app.state.worker().unwrap();
    assert_eq!(worker.schedule_reminders().await.unwrap(), 2);
    let pending = || async {
        app.count(
            "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND reminder = 'day' \
             AND webinar_registration_id IS NOT NULL AND webinar_session_id IS NOT NULL",
            &[],
        )
        .await
    };
    assert_eq!(pending().await, 2, "one day's reminder for each");

    let cancelled = app
        .delete(
            &format!("/webinar-series/{id}/registrations/me"),
            &tokens[0],
        )
        .await;
    assert_eq!(cancelled.status(), 204);
    assert_eq!(
        pending().await,
        1,
        "the cancelled registration's reminder is gone"
    );

    // Moving the session drops its pending reminder; the next run enqueues one for the new time.
    let moved = app
        .patch(
            &format!("/admin/webinar-series/{id}"),
            &admin,
            &json!({"sessions": [{"number": 1, "starts_at": start + Duration::hours(1)}]}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    assert_eq!(pending().await, 0, "the moved session's reminder is gone");
    assert_eq!(worker.schedule_reminders().await.unwrap(), 1);
    assert_eq!(pending().await, 1);
}

/// A series whose first session is in 23 hours (its day's reminder is due now), the others
/// weeks later: the admin's token, the series' id and the first start.
async fn series_starting_tomorrow(app: &TestApp) -> (String, String, chrono::DateTime<Utc>) {
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (facilitator, _) = app.user_with_token(Role::Facilitator).await;
    let start = Utc::now() + Duration::hours(23);
    let series: Value = app
        .post(
            "/admin/webinar-series",
            &admin,
            &json!({"title": "Snart", "capacity": 10, "facilitator_id": facilitator.id, "registration_deadline": Utc::now() + Duration::hours(1), "sessions": [
                {"starts_at": start, "join_url": "https://meet.example.no/a"},
                {"starts_at": start + Duration::days(20), "join_url": "https://meet.example.no/b"},
                {"starts_at": start + Duration::days(40), "join_url": "https://meet.example.no/c"}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    (admin, series["id"].as_str().unwrap().to_owned(), start)
}

async fn spawn_app_quiet() -> TestApp {
    crate::helpers::spawn_app_with(|vars| {
        vars.insert("WORKER_POLL_INTERVAL_MS".into(), "600000".into());
    })
    .await
}

/// Python's parser reads our times back exactly, on both sides of the change to winter time
/// and for a session that spans it.
#[test]
fn calendars_round_trip_through_a_real_parser_across_daylight_saving() {
    use chrono::TimeZone;
    use mentorsti::webinars::calendar::{calendar, CalendarSession, Method, Organizer};
    let starts = [
        Utc.with_ymd_and_hms(2026, 10, 24, 16, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 10, 26, 17, 0, 0).unwrap(),
    ];
    let sessions: Vec<CalendarSession<'_>> = starts
        .iter()
        .enumerate()
        .map(|(i, start)| CalendarSession {
            session_id: Uuid::from_u128(i as u128 + 1),
            series_title: "Høst, gruppe 1; «Viken»\nny linje",
            number: i as i32 + 1,
            starts_at: *start,
            duration_minutes: 120,
            join_url: "https://meet.example.no/rom?id=1,2",
            sequence: 0,
            cancelled: false,
        })
        .collect();
    let organizer = Organizer {
        name: "Mentoropplæringen",
        email: "noreply@example.no",
    };
    let ics = calendar(
        mentorsti::language::Language::Bokmal,
        Method::Request,
        &sessions,
        &organizer,
        Some(("Kari Nordmann", "kari@example.no")),
        Utc::now(),
    );
    let parsed = parse_ics(&ics);
    assert_eq!(parsed["timezones"], 1);
    for (event, start) in parsed["events"].as_array().unwrap().iter().zip(starts) {
        let got = chrono::DateTime::parse_from_rfc3339(event["start"].as_str().unwrap()).unwrap();
        let end = chrono::DateTime::parse_from_rfc3339(event["end"].as_str().unwrap()).unwrap();
        assert_eq!(got, start, "{event}");
        assert_eq!(end, start + Duration::minutes(120), "{event}");
    }
}

/// The mentor's journey through HTTP: the path, the note, a series, the invitation, three
/// sessions attended and the certificate. (Accounts come in through invitations elsewhere.)
#[tokio::test]
async fn the_mentor_journey_from_path_to_certificate() {
    let app = spawn_app().await;
    let (_, _, facilitator, series) = new_series(&app, 12).await;
    let id = series["id"].as_str().unwrap();
    let (mentor, token) = app.user_with_token(Role::Mentor).await;

    assert_problem(
        app.post(
            &format!("/webinar-series/{id}/registrations"),
            &token,
            &json!({}),
        )
        .await,
        403,
        "reflection_note_required",
    )
    .await;
    app.complete_path(&token).await;
    let note = "I gruppen min snakker vi om hvordan vi møter pårørende når en beboer er døende. "
        .repeat(5);
    assert_eq!(
        app.put("/me/reflection-note", &token, &json!({"body": note}))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post("/me/reflection-note/submit", &token, &json!({}))
            .await
            .status(),
        200
    );

    let registered: Value = app
        .post(
            &format!("/webinar-series/{id}/registrations"),
            &token,
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(registered["status"], "confirmed");
    let invitation = &app.mail.wait_for(&mentor.email, 1).await[0];
    assert_eq!(
        parse_ics(&invitation.attachments()[0].2)["events"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    for n in 1..=3 {
        let marks = json!([{"user_id": mentor.id, "attended": true}]);
        assert_eq!(
            app.put(
                &format!("/facilitator/series/{id}/sessions/{n}/attendance"),
                &facilitator,
                &marks
            )
            .await
            .status(),
            200
        );
    }
    let certificate: Value = app
        .get("/me/certificate", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        certificate["programme"],
        "Mentoropplæring i lindrende behandling"
    );
    let verify_url = certificate["verify_url"].as_str().unwrap();
    assert!(verify_url.ends_with(certificate["verification_code"].as_str().unwrap()));
}

#[tokio::test]
async fn a_facilitator_reads_only_confirmed_participants_notes() {
    let app = spawn_app().await;
    let (_, _, facilitator, series) = new_series(&app, 1).await;
    let id = series["id"].as_str().unwrap();
    let (seated, seated_token) = ready_mentor(&app).await;
    let (waiting, waiting_token) = ready_mentor(&app).await;
    for (token, status) in [(&seated_token, "confirmed"), (&waiting_token, "waitlisted")] {
        let registration: Value = app
            .post(
                &format!("/webinar-series/{id}/registrations"),
                token,
                &json!({}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(registration["status"], status);
    }
    let note = |user: Uuid| format!("/facilitator/series/{id}/participants/{user}/reflection-note");
    assert_eq!(app.get(&note(seated.id), &facilitator).await.status(), 200);
    assert_problem(
        app.get(&note(waiting.id), &facilitator).await,
        404,
        "not_found",
    )
    .await;
}

/// The series list says beforehand what registering would answer, for each kind of caller.
#[tokio::test]
async fn the_series_list_says_why_a_caller_cannot_register() {
    let app = spawn_app().await;
    let (admin, _, _, series) = new_series(&app, 5).await;
    let id = series["id"].as_str().unwrap().to_owned();
    assert_eq!(series["registration_refusal"], "forbidden", "an admin");
    let refusal = |token: String| {
        let app = &app;
        let id = id.clone();
        async move {
            let listed: Value = app
                .get("/webinar-series", &token)
                .await
                .json()
                .await
                .unwrap();
            let listed = listed.as_array().unwrap();
            let one = listed.iter().find(|s| s["id"] == id.as_str()).unwrap();
            one["registration_refusal"].clone()
        }
    };
    assert_eq!(refusal(admin.clone()).await, "forbidden");
    let (_, no_note) = app.user_with_token(Role::Mentor).await;
    assert_eq!(refusal(no_note.clone()).await, "reflection_note_required");
    let (_, ready) = ready_mentor(&app).await;
    assert_eq!(refusal(ready.clone()).await, Value::Null);
    // What the list promised is what registering answers.
    let url = format!("/webinar-series/{id}/registrations");
    assert_problem(
        app.post(&url, &no_note, &json!({})).await,
        403,
        "reflection_note_required",
    )
    .await;
    assert_eq!(app.post(&url, &ready, &json!({})).await.status(), 201);
    assert_eq!(refusal(ready.clone()).await, "already_registered");
    assert_problem(
        app.post(&url, &ready, &json!({})).await,
        409,
        "already_registered",
    )
    .await;
    // After the deadline (48 hours before the first session, ten days from now).
    app.clock.advance(Duration::days(9));
    let (_, late) = ready_mentor(&app).await;
    assert_eq!(refusal(late.clone()).await, "registration_closed");
    assert_problem(
        app.post(&url, &late, &json!({})).await,
        409,
        "registration_closed",
    )
    .await;
}
