//! The in-process caches of `/me` and of learning progress never outlive a change: at once for
//! changes made through this instance, within moments for changes made elsewhere (another
//! instance, or SQL), and not at all while the change listener is down.

use std::future::Future;
use std::time::{Duration, Instant};

use mentorsti::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

/// How long a change made elsewhere may take to show.
const NOTICE_WITHIN: Duration = Duration::from_secs(5);

/// Polls `check` until it holds; panics with `what` after `NOTICE_WITHIN`.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + NOTICE_WITHIN;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "not within {NOTICE_WITHIN:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn listening(app: &TestApp) {
    eventually("the change listener listens", || async {
        app.state.profiles.is_live() && app.state.progress.is_live()
    })
    .await;
}

async fn me(app: &TestApp, token: &str) -> Value {
    let response = app.get("/me", token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn me_shows_a_patch_at_once() {
    let app = spawn_app().await;
    listening(&app).await;
    let (account, token) = app.user_with_token(Role::Mentor).await;
    me(&app, &token).await;
    assert!(app.state.profiles.get(&account.id).is_some(), "cached");
    for name in ["Ola Nordmann", "Kari Nordmann", "Per Hansen"] {
        let response = app.patch("/me", &token, &json!({ "name": name })).await;
        assert_eq!(response.status(), 200);
        assert_eq!(me(&app, &token).await["name"], name);
    }
}

#[tokio::test]
async fn me_follows_changes_made_elsewhere() {
    let app = spawn_app().await;
    listening(&app).await;
    let (account, token) = app.user_with_token(Role::Mentor).await;
    assert_eq!(me(&app, &token).await["role"], "mentor");
    let sql = app.sql().await;
    sql.execute(
        "UPDATE users SET name = 'Endret Annensteds', email_verified_at = NULL WHERE id = $1",
        &[&account.id],
    )
    .await
    .unwrap();
    eventually("/me shows the name changed in SQL", || async {
        let me = me(&app, &token).await;
        me["name"] == "Endret Annensteds" && me["email_verified"] == false
    })
    .await;

    // A role given elsewhere (another instance, SQL) ends the tokens that carry the old one.
    sql.execute(
        "UPDATE users SET role = 'facilitator' WHERE id = $1",
        &[&account.id],
    )
    .await
    .unwrap();
    eventually("a token with the old role is refused", || async {
        app.get("/path", &token).await.status() == 401
    })
    .await;
    let (account, token) = app.user_with_token(Role::Mentor).await;
    assert_eq!(app.get("/path", &token).await.status(), 200);
    // So does a session version raised elsewhere (sign-out, password reset on another instance).
    sql.execute(
        "UPDATE users SET session_version = session_version + 1 WHERE id = $1",
        &[&account.id],
    )
    .await
    .unwrap();
    eventually("an access token of an ended session is refused", || async {
        app.get("/path", &token).await.status() == 401
    })
    .await;

    // A deleted account is no longer anyone.
    sql.execute("DELETE FROM users WHERE id = $1", &[&account.id])
        .await
        .unwrap();
    eventually("/me refuses a deleted account", || async {
        app.get("/me", &token).await.status() == 401
    })
    .await;
}

#[tokio::test]
async fn caches_are_bypassed_while_the_listener_is_down() {
    let app = spawn_app().await;
    listening(&app).await;
    let (account, token) = app.user_with_token(Role::Mentor).await;
    me(&app, &token).await;
    assert!(app.state.profiles.get(&account.id).is_some(), "cached");

    let sql = app.sql().await;
    sql.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND datname = current_database()",
        &[&mentorsti::db::listen::APPLICATION_NAME],
    )
    .await
    .unwrap();
    eventually("the caches stop being trusted", || async {
        !app.state.profiles.is_live()
    })
    .await;
    // Unheard of, yet seen: nothing is served from the cache meanwhile.
    sql.execute(
        "UPDATE users SET name = 'Uten lytter' WHERE id = $1",
        &[&account.id],
    )
    .await
    .unwrap();
    assert_eq!(me(&app, &token).await["name"], "Uten lytter");

    listening(&app).await;
    assert_eq!(me(&app, &token).await["name"], "Uten lytter");
    sql.execute(
        "UPDATE users SET name = 'Med lytter igjen' WHERE id = $1",
        &[&account.id],
    )
    .await
    .unwrap();
    eventually("the new listener hears changes", || async {
        me(&app, &token).await["name"] == "Med lytter igjen"
    })
    .await;
}

#[tokio::test]
async fn page_reads_follow_progress_made_elsewhere() {
    let app = spawn_app().await;
    listening(&app).await;
    let (account, token) = app.user_with_token(Role::Mentor).await;
    let path: Value = app.get("/path", &token).await.json().await.unwrap();
    let module = &path["modules"][1];
    let number = module["number"].as_i64().unwrap();
    let slugs: Vec<&str> = module["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    let page = |slug: &str| format!("/modules/{number}/pages/{slug}");
    // Module 1 skipped, so module 2 is open up to its first page.
    let response = app
        .post(
            &format!("/modules/{}/skip", path["modules"][0]["number"]),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let first: Value = app.get(&page(slugs[0]), &token).await.json().await.unwrap();
    assert_eq!(first["status"], "available");
    assert_problem(app.get(&page(slugs[1]), &token).await, 403, "page_locked").await;
    // The skip's own notification may still be on its way and clear the entry: read again
    // until the progress is cached.
    let cached_by = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.state.progress.get(&account.id).is_none() {
        assert!(
            std::time::Instant::now() < cached_by,
            "progress never cached"
        );
        app.get(&page(slugs[0]), &token).await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Another instance records the completion: the next page opens at once, because a refusal
    // is always checked against the database.
    app.sql()
        .await
        .execute(
            "INSERT INTO page_completions (user_id, page_slug, module_number) VALUES ($1, $2, $3)",
            &[&account.id, &slugs[0], &(number as i32)],
        )
        .await
        .unwrap();
    assert_eq!(app.get(&page(slugs[1]), &token).await.status(), 200);
    eventually("the first page shows as completed", || async {
        let first: Value = app.get(&page(slugs[0]), &token).await.json().await.unwrap();
        first["status"] == "completed"
    })
    .await;

    // Progress taken back elsewhere locks the page again.
    app.sql()
        .await
        .execute(
            "DELETE FROM page_completions WHERE user_id = $1",
            &[&account.id],
        )
        .await
        .unwrap();
    eventually("the second page locks again", || async {
        app.get(&page(slugs[1]), &token).await.status() == 403
    })
    .await;
    // Completing through the API cannot skip ahead whatever was cached.
    assert_problem(
        app.put(
            &format!("{}/completion", page(slugs[1])),
            &token,
            &json!({}),
        )
        .await,
        403,
        "page_locked",
    )
    .await;
}
