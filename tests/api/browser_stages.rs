//! A mentor's journey in a real browser, part: stages (see browser.rs for how walks run).
//! The start page at every stage of the programme, each stage a mentor of its own set up
//! through the API (and SQL only to move a series in time), and skipping module 1.

use chrono::{Duration, Utc};
use mentorsti::auth::Role;
use serde_json::json;
use uuid::Uuid;

use crate::browser::{create_series, ok, run_walk};
use crate::helpers::{spawn_app, TestApp, PASSWORD};

/// A mentor with a name (the start page greets them by it) and an access token.
async fn mentor(app: &TestApp, name: &str) -> (String, Uuid, String) {
    let (account, token) = app.user_with_token(Role::Mentor).await;
    app.sql()
        .await
        .execute(
            "UPDATE users SET name = $2 WHERE id = $1",
            &[&account.id, &name],
        )
        .await
        .unwrap();
    (account.email, account.id, token)
}

/// Completes the first `count` pages of the path, in order.
async fn read_pages(app: &TestApp, token: &str, count: usize) {
    let pages = crate::learning::pages_in_order(app, token).await;
    for (module, slug) in pages.iter().take(count) {
        let url = format!("{}/completion", crate::learning::page_path(*module, slug));
        ok(app.put(&url, token, &json!({})).await, &url).await;
    }
}

async fn submit_note(app: &TestApp, token: &str) {
    app.complete_path(token).await;
    let body =
        "Som mentor vil jeg la kollegene finne sine egne svar, og lytte mer enn jeg snakker. "
            .repeat(5);
    ok(
        app.put("/me/reflection-note", token, &json!({ "body": body }))
            .await,
        "note draft",
    )
    .await;
    ok(
        app.post("/me/reflection-note/submit", token, &json!({}))
            .await,
        "note submit",
    )
    .await;
}

/// A series of three sessions, the first `days` from now at 09:00 UTC; returns its id.
async fn series(app: &TestApp, admin: &str, facilitator: Uuid, title: &str, days: i64) -> Uuid {
    let start = (Utc::now() + Duration::days(days))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    create_series(app, admin, facilitator, start, title, "samling").await
}

async fn register(app: &TestApp, token: &str, series: Uuid) {
    let registered = ok(
        app.post(
            &format!("/webinar-series/{series}/registrations"),
            token,
            &json!({}),
        )
        .await,
        "registration",
    )
    .await;
    assert_eq!(registered["status"], "confirmed");
}

#[tokio::test]
async fn the_start_page_follows_the_mentor_through_every_stage_in_a_real_browser() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (facilitator, facilitator_token) = app.user_with_token(Role::Facilitator).await;

    let (new, _, _) = mentor(&app, "Siri Lunde").await;
    let (mid, _, mid_token) = mentor(&app, "Per Holm").await;
    read_pages(&app, &mid_token, 6).await;
    let (done, _, done_token) = mentor(&app, "Eva Strand").await;
    app.complete_path(&done_token).await;
    let (submitted, _, submitted_token) = mentor(&app, "Tor Aas").await;
    submit_note(&app, &submitted_token).await;

    // In a series whose first session is ten days away.
    let later = series(&app, &admin, facilitator.id, "Vårens refleksjonsgruppe", 10).await;
    let (in_series, _, in_series_token) = mentor(&app, "Mona Berg").await;
    submit_note(&app, &in_series_token).await;
    register(&app, &in_series_token, later).await;

    // In a series whose first session starts in half an hour (registered while it was open,
    // then the session was moved: registration closes 48 hours before the start).
    let soon = series(
        &app,
        &admin,
        facilitator.id,
        "Høstens refleksjonsgruppe",
        10,
    )
    .await;
    let (near, _, near_token) = mentor(&app, "Ali Haug").await;
    submit_note(&app, &near_token).await;
    register(&app, &near_token, soon).await;
    app.sql()
        .await
        .execute(
            "UPDATE webinar_sessions SET starts_at = now() + interval '20 minutes' \
             WHERE series_id = $1 AND number = 1",
            &[&soon],
        )
        .await
        .unwrap();

    // All three sessions attended: the certificate. The series is then moved into the past.
    let held = series(
        &app,
        &admin,
        facilitator.id,
        "Vinterens refleksjonsgruppe",
        10,
    )
    .await;
    let (certified, certified_id, certified_token) = mentor(&app, "Randi Vik").await;
    submit_note(&app, &certified_token).await;
    register(&app, &certified_token, held).await;
    for n in 1..=3 {
        ok(
            app.put(
                &format!("/facilitator/series/{held}/sessions/{n}/attendance"),
                &facilitator_token,
                &json!([{"user_id": certified_id, "attended": true}]),
            )
            .await,
            "attendance",
        )
        .await;
    }
    ok(
        app.get("/me/certificate", &certified_token).await,
        "certificate",
    )
    .await;
    app.sql()
        .await
        .execute(
            "UPDATE webinar_sessions SET starts_at = starts_at - interval '90 days' \
             WHERE series_id = $1",
            &[&held],
        )
        .await
        .unwrap();

    // Skips module 1 in the walk, after reading its first page there.
    let (skipper, _, _) = mentor(&app, "Jonas Moe").await;

    run_walk(
        "stages",
        &app.address,
        &[PASSWORD],
        &[
            ("STAGE_NEW", &new),
            ("STAGE_MID", &mid),
            ("STAGE_PATH_DONE", &done),
            ("STAGE_NOTE_SUBMITTED", &submitted),
            ("STAGE_IN_SERIES", &in_series),
            ("STAGE_SESSION_NEAR", &near),
            ("STAGE_CERTIFICATE", &certified),
            ("STAGE_SKIPPER", &skipper),
        ],
    )
    .await;

    // What the walk did is what the server has: module 1 skipped after its first page.
    let (skipped, read): (i64, i64) = {
        let row = app
            .sql()
            .await
            .query_one(
                "SELECT (SELECT count(*) FROM module_skips s WHERE s.user_id = u.id), \
                        (SELECT count(*) FROM page_completions c WHERE c.user_id = u.id) \
                 FROM users u WHERE u.email = $1",
                &[&skipper],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((skipped, read), (1, 1));
}
