use mentorsti::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

fn text(length: usize) -> String {
    "Refleksjon om veiledning <b>og</b> læring. "
        .chars()
        .cycle()
        .take(length)
        .collect()
}

#[tokio::test]
async fn the_note_is_drafted_submitted_when_the_path_is_done_and_versioned() {
    let app = spawn_app().await;
    let (account, token) = app.user_with_token(Role::Mentor).await;
    let empty: Value = app
        .get("/me/reflection-note", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["status"], "none");
    assert_eq!(empty["body"], "");

    // Drafts can be written at any time; submitting waits for the path.
    let draft: Value = app
        .put("/me/reflection-note", &token, &json!({"body": text(400)}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["version"], 1);
    let response = app
        .post("/me/reflection-note/submit", &token, &json!({}))
        .await;
    assert_problem(response, 409, "path_not_completed").await;

    app.complete_path(&token).await;
    app.put("/me/reflection-note", &token, &json!({"body": text(299)}))
        .await;
    let problem = assert_problem(
        app.post("/me/reflection-note/submit", &token, &json!({}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "body");
    // Whitespace at the ends does not count.
    app.put(
        "/me/reflection-note",
        &token,
        &json!({"body": format!("   {}   ", text(299))}),
    )
    .await;
    assert_problem(
        app.post("/me/reflection-note/submit", &token, &json!({}))
            .await,
        422,
        "validation_failed",
    )
    .await;

    let body = text(320);
    app.put("/me/reflection-note", &token, &json!({"body": body}))
        .await;
    let submitted: Value = app
        .post("/me/reflection-note/submit", &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["submitted_version"], 1);
    assert!(submitted["submitted_at"].is_string());
    // Plain text, as written: never turned into HTML.
    assert_eq!(submitted["body"], body.as_str());
    // Submitting again without a new draft changes nothing.
    let again: Value = app
        .post("/me/reflection-note/submit", &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["submitted_version"], 1);

    // A new draft after submission is version 2; the submitted version stays the ticket.
    let next: Value = app
        .put(
            "/me/reflection-note",
            &token,
            &json!({"body": "Nye tanker"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["status"], "submitted");
    assert_eq!(next["version"], 2);
    assert_eq!(next["submitted_version"], 1);
    assert_eq!(next["has_unsubmitted_draft"], true);
    assert_eq!(next["body"], "Nye tanker");
    let versions: Value = app
        .get("/me/reflection-note/versions", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[1]["status"], "submitted");
    assert_eq!(versions[1]["body"], body.as_str());

    // The database itself refuses to change a submitted version.
    let sql = app.sql().await;
    let changed = sql
        .execute(
            "UPDATE reflection_notes SET body = 'endret' WHERE user_id = $1 AND status = 'submitted'",
            &[&account.id],
        )
        .await;
    assert!(changed.is_err());
    // And a second draft cannot exist beside the first.
    let second = sql
        .execute(
            "INSERT INTO reflection_notes (user_id, version, body, status) VALUES ($1, 9, 'x', 'draft')",
            &[&account.id],
        )
        .await;
    assert!(second.is_err());
}

#[tokio::test]
async fn note_bodies_are_limited_and_private() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let (_, other) = app.user_with_token(Role::Mentor).await;
    assert_problem(
        app.put(
            "/me/reflection-note",
            &token,
            &json!({"body": "a".repeat(20_001)}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.put("/me/reflection-note", &token, &json!({"text": "x"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    app.put("/me/reflection-note", &token, &json!({"body": "Mitt eget"}))
        .await;
    let theirs: Value = app
        .get("/me/reflection-note", &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["status"], "none");
    assert_problem(
        app.client
            .get(app.api("/me/reflection-note"))
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
}
