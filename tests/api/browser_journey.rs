//! One mentor from the invitation to the certificate in a real browser (see browser.rs for how walks run).
//! The closing walk of issue 17: a coordinator invites Astrid, and `web/e2e/whole-journey.mjs`
//! follows her account through every stage. The walk runs in three parts, since only the server
//! side can move the webinar series in time: before the series, with the first session about
//! to start, and after all three sessions were attended.

use chrono::{Duration, Utc};
use mentorsti::auth::Role;
use serde_json::json;
use uuid::Uuid;

use crate::browser::{create_series, move_sessions, ok, run_walk};
use crate::helpers::{coordinator_of, spawn_app, TestApp};

const INVITEE_EMAIL: &str = "astrid.lie@asker.kommune.no";
const INVITEE_NAME: &str = "Astrid Lie";
/// The password Astrid chooses when she accepts the invitation in the walk.
const CHOSEN_PASSWORD: &str = "Kveldsvakten rydder alltid medisinrommet";
const SERIES_TITLE: &str = "Vinterens refleksjonsgruppe, Asker";
const FIRST_JOIN_URL: &str = "https://meet.example.no/asker-samling-1";

/// One part of the walk (`before`, `near` or `after`), with what every part is told.
async fn walk(app: &TestApp, stage: &str, extra: &[(&str, &str)]) {
    let mut env = vec![
        ("INVITEE_EMAIL", INVITEE_EMAIL),
        ("INVITEE_NAME", INVITEE_NAME),
        ("SERIES_TITLE", SERIES_TITLE),
    ];
    env.extend_from_slice(extra);
    run_walk(
        "whole-journey",
        &app.address,
        &[CHOSEN_PASSWORD, stage],
        &env,
    )
    .await;
}

#[tokio::test]
async fn one_mentor_goes_from_the_invitation_to_the_certificate_in_a_real_browser() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (facilitator, facilitator_token) = app.user_with_token(Role::Facilitator).await;
    app.sql()
        .await
        .execute(
            "UPDATE users SET name = 'Ingrid Berg' WHERE id = $1",
            &[&facilitator.id],
        )
        .await
        .unwrap();

    // A USHT, its coordinator, Asker enrolled, and Astrid invited by name.
    let usht = ok(
        app.post(
            "/admin/ushts",
            &admin,
            &json!({"name": "USHT Akershus", "county": "Akershus"}),
        )
        .await,
        "usht",
    )
    .await;
    let (_, coordinator) = coordinator_of(&app, usht["id"].as_str().unwrap()).await;
    let asker = ok(
        app.post(
            "/admin/municipalities",
            &coordinator,
            &json!({"number": "3203", "name": "Asker"}),
        )
        .await,
        "enrolling Asker",
    )
    .await;
    let invited = ok(
        app.post(
            "/admin/invitations",
            &coordinator,
            &json!({
                "municipality_id": asker["id"],
                "invitees": [{"email": INVITEE_EMAIL, "name": INVITEE_NAME}],
            }),
        )
        .await,
        "invitation",
    )
    .await;
    assert_eq!(invited["created"].as_array().unwrap().len(), 1);
    let invitation_token = app.mail.wait_for(INVITEE_EMAIL, 1).await[0].token();

    // The series Astrid will register for: three sessions three weeks apart, ten days ahead.
    let start = (Utc::now() + Duration::days(10))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    let series = create_series(
        &app,
        &admin,
        facilitator.id,
        start,
        SERIES_TITLE,
        "asker-samling",
    )
    .await;

    // Invitation, path, note and registration.
    walk(&app, "before", &[("INVITATION_TOKEN", &invitation_token)]).await;

    let sql = app.sql().await;
    let (mentor, mentor_name): (Uuid, String) = {
        let row = sql
            .query_one(
                "SELECT id, name FROM users WHERE email = $1 AND role = 'mentor'",
                &[&INVITEE_EMAIL],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(mentor_name, INVITEE_NAME, "the walk kept the name as typed");
    let skipped: i64 = sql
        .query_one(
            "SELECT count(*) FROM module_skips WHERE user_id = $1",
            &[&mentor],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(skipped, 1, "the walk skipped module 1");

    // Registering in the browser brought the calendar invitation by email.
    let mails = app.mail.wait_for(INVITEE_EMAIL, 2).await;
    let confirmation = mails
        .iter()
        .find(|m| m.subject().starts_with("Påmelding bekreftet"))
        .expect("a confirmation of the registration");
    let attachments = confirmation.attachments();
    let ics = attachments
        .iter()
        .find(|(name, content_type, _)| name.ends_with(".ics") && content_type == "text/calendar")
        .unwrap_or_else(|| panic!("an .ics invitation, not {attachments:?}"));
    assert!(ics.2.contains("METHOD:REQUEST"), "{}", ics.2);
    assert_eq!(ics.2.matches("BEGIN:VEVENT").count(), 3, "{}", ics.2);

    // The first session starts in ten minutes; the others weeks later.
    let day = 24 * 60;
    move_sessions(&app, series, [10, 14 * day, 28 * day], -60).await;
    walk(&app, "near", &[("JOIN_URL", FIRST_JOIN_URL)]).await;

    // The series is over, and the facilitator records Astrid at all three sessions.
    move_sessions(&app, series, [-56 * day, -35 * day, -14 * day], -58 * day).await;
    for n in 1..=3 {
        ok(
            app.put(
                &format!("/facilitator/series/{series}/sessions/{n}/attendance"),
                &facilitator_token,
                &json!([{"user_id": mentor, "attended": true}]),
            )
            .await,
            "attendance",
        )
        .await;
    }
    walk(&app, "after", &[]).await;
}
