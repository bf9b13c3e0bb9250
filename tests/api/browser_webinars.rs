//! A mentor's journey in a real browser, part: webinars (see browser.rs for how walks run).
//! The webinars screen before the note is submitted, with a session about to start, and after
//! a finished series; and the note screen before the path is done.

use chrono::{Duration, Utc};
use mentorsti::auth::Role;
use serde_json::{json, Value};

use crate::browser::{create_series, move_sessions, run_walk};
use crate::helpers::{spawn_app, Account, TestApp, PASSWORD};

/// A mentor named `name` whose path is done and note submitted, set up in the database.
async fn ready_mentor(app: &TestApp, email: &str, name: &str) -> (Account, String) {
    let account = app.create_user(Role::Mentor, email).await;
    let sql = app.sql().await;
    sql.execute(
        "UPDATE users SET name = $2 WHERE id = $1",
        &[&account.id, &name],
    )
    .await
    .unwrap();
    sql.execute(
        "INSERT INTO path_completions (user_id) VALUES ($1)",
        &[&account.id],
    )
    .await
    .unwrap();
    sql.execute(
        "INSERT INTO reflection_notes (user_id, version, body, status, submitted_at) \
         VALUES ($1, 1, $2, 'submitted', now())",
        &[&account.id, &"Refleksjon om veiledning. ".repeat(20)],
    )
    .await
    .unwrap();
    let token = app.access_token(&account).await;
    (account, token)
}

#[tokio::test]
async fn a_mentor_meets_the_webinars_at_each_stage_in_a_real_browser() {
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
    let start = (Utc::now() + Duration::days(10))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    let _open = create_series(
        &app,
        &admin,
        facilitator.id,
        start,
        "Vinterens refleksjonsgruppe, Viken",
        "viken",
    )
    .await;
    let near = create_series(
        &app,
        &admin,
        facilitator.id,
        start,
        "Høstens refleksjonsgruppe, Asker",
        "asker",
    )
    .await;
    let running = create_series(
        &app,
        &admin,
        facilitator.id,
        start,
        "Sommerens refleksjonsgruppe, Lier",
        "lier",
    )
    .await;
    let done = create_series(
        &app,
        &admin,
        facilitator.id,
        start,
        "Vårens refleksjonsgruppe, Buskerud",
        "buskerud",
    )
    .await;

    let no_note = app
        .create_user(Role::Mentor, "sigrid.dahl@example.no")
        .await;
    app.sql()
        .await
        .execute(
            "UPDATE users SET name = 'Sigrid Dahl' WHERE id = $1",
            &[&no_note.id],
        )
        .await
        .unwrap();
    let (registered, registered_token) =
        ready_mentor(&app, "nils.aas@example.no", "Nils Aas").await;
    let (finished, finished_token) = ready_mentor(&app, "randi.vik@example.no", "Randi Vik").await;
    for (series, token) in [(near, &registered_token), (done, &finished_token)] {
        let response = app
            .post(
                &format!("/webinar-series/{series}/registrations"),
                token,
                &json!({}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }

    // The first session starts in ten minutes; the others weeks later.
    move_sessions(&app, near, [10, 14 * 24 * 60, 28 * 24 * 60], -60).await;
    // Begun an hour ago (sessions last two hours), so registration is long closed.
    move_sessions(
        &app,
        running,
        [-60, 14 * 24 * 60, 28 * 24 * 60],
        -2 * 24 * 60,
    )
    .await;
    // Over: the last session was two weeks ago, and all three were attended.
    let day = 24 * 60;
    move_sessions(&app, done, [-56 * day, -35 * day, -14 * day], -58 * day).await;
    for n in 1..=3 {
        let marks = json!([{"user_id": finished.id, "attended": true}]);
        let response = app
            .put(
                &format!("/facilitator/series/{done}/sessions/{n}/attendance"),
                &facilitator_token,
                &marks,
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(
        app.get("/me/certificate", &finished_token).await.status(),
        200,
        "the finished mentor has a certificate"
    );
    let mine: Value = app
        .get("/me/webinars", &registered_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        mine[0]["sessions"][0]["join_url"], "https://meet.example.no/asker-1",
        "the join link comes from the API"
    );

    run_walk(
        "webinars",
        &app.address,
        &[PASSWORD, &no_note.email, &registered.email, &finished.email],
        &[],
    )
    .await;
    // The walk saved a draft of the note, and the path was finished around it.
    let note: Value = app
        .get("/me/reflection-note", &app.access_token(&no_note).await)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(note["status"], "draft");
}
