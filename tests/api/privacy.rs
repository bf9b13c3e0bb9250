//! Export, erasure, the access log, and the registry of personal data.

use std::collections::BTreeSet;

use mentorsti::auth::Role;
use mentorsti::privacy::registry::REGISTRY;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{assert_problem, reflection_question, spawn_app, TestApp, PASSWORD};

#[tokio::test]
async fn the_registry_covers_every_reference_to_a_user() {
    let app = spawn_app().await;
    let rows = app
        .sql()
        .await
        .query(
            "SELECT c.conrelid::regclass::text, a.attname
             FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
             WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass",
            &[],
        )
        .await
        .unwrap();
    let in_database: BTreeSet<(String, String)> =
        rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let registered: BTreeSet<(String, String)> = REGISTRY
        .iter()
        .filter(|e| e.table != "users")
        .map(|e| (e.table.to_owned(), e.column.to_owned()))
        .collect();
    let missing: Vec<_> = in_database.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "columns referencing users that src/privacy/registry.rs does not cover: {missing:?}"
    );
    let stale: Vec<_> = registered.difference(&in_database).collect();
    assert!(
        stale.is_empty(),
        "registry entries with no such reference: {stale:?}"
    );
}

async fn mentor_with_data(app: &TestApp) -> (mentorsti::auth::Role, Uuid, String, String) {
    let email = format!("mentor-{}@asker.kommune.no", Uuid::new_v4().simple());
    let account = app.create_user(Role::Mentor, &email).await;
    let token = app.access_token(&account).await;
    let path: Value = app.get("/path", &token).await.json().await.unwrap();
    let module = path["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["number"] == 1)
        .unwrap();
    let slug = module["pages"][0]["slug"].as_str().unwrap().to_owned();
    let page: Value = app
        .get(&format!("/modules/1/pages/{slug}"), &token)
        .await
        .json()
        .await
        .unwrap();
    let question = reflection_question(&page);
    assert_eq!(
        app.put(
            &format!("/modules/1/pages/{slug}/answers/{question}"),
            &token,
            &json!({"text": "MITT PRIVATE SVAR om en vanskelig kveldsvakt"}),
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.put(
            &format!("/modules/1/pages/{slug}/completion"),
            &token,
            &json!({})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.put(
            "/me/reflection-note",
            &token,
            &json!({"body": "MITT PRIVATE NOTAT"})
        )
        .await
        .status(),
        200
    );
    // A mail to them: a password reset link.
    app.client
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    app.mail.wait_for(&email, 1).await;
    (Role::Mentor, account.id, email, token)
}

#[tokio::test]
async fn export_holds_everything_about_the_caller() {
    let app = spawn_app().await;
    let (_, id, email, token) = mentor_with_data(&app).await;
    let response = app.get("/me/export", &token).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["profile"]["id"], id.to_string());
    assert_eq!(document["profile"]["email"], email);
    assert_eq!(
        document["answers"][0]["text"],
        "MITT PRIVATE SVAR om en vanskelig kveldsvakt"
    );
    assert_eq!(
        document["reflection_note_versions"][0]["text"],
        "MITT PRIVATE NOTAT"
    );
    assert_eq!(
        document["progress"]["page_completions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        document["emails"][0]["subject"],
        "Tilbakestill passordet ditt"
    );
    for key in [
        "webinars",
        "access_log",
        "invitations",
        "nudges",
        "emails",
        "answers",
    ] {
        assert!(document[key].is_array(), "{key}");
    }
    assert!(document["progress"]["module_skips"].is_array());
    assert!(document["progress"]["path_completed_at"].is_null());
    assert!(document["certificate"].is_null());
    assert_eq!(document["profile"]["role"], "mentor");
    assert!(!document["emails"][0]["text"]
        .as_str()
        .unwrap()
        .contains(mentorsti::mail::SECRET_PLACEHOLDER));

    // An administrator may export on the person's request; the person can see that it happened.
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, other_mentor) = app.user_with_token(Role::Mentor).await;
    assert_problem(
        app.get(&format!("/admin/users/{id}/export"), &other_mentor)
            .await,
        403,
        "forbidden",
    )
    .await;
    let by_admin: Value = app
        .get(&format!("/admin/users/{id}/export"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_admin["profile"]["email"], email);
    assert_problem(
        app.get(&format!("/admin/users/{}/export", Uuid::new_v4()), &admin)
            .await,
        404,
        "not_found",
    )
    .await;
    let log: Value = app
        .get("/me/access-log", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["action"], "export_user");
    assert_eq!(log[0]["actor_role"], "admin");
    assert_eq!(log[0]["actor_name"], "Test Testesen");
}

#[tokio::test]
async fn erasure_removes_what_they_wrote_and_keeps_anonymous_counts() {
    let app = spawn_app().await;
    let (_, id, email, token) = mentor_with_data(&app).await;
    let own_name = format!(
        "Ragnhild Særnavn {}",
        &Uuid::new_v4().simple().to_string()[..8]
    );
    let renamed = app.patch("/me", &token, &json!({"name": own_name})).await;
    assert_eq!(renamed.status(), 200);
    let erase = |password: &str| {
        app.client
            .delete(app.api("/me"))
            .bearer_auth(&token)
            .json(&json!({"password": password}))
            .send()
    };
    assert_problem(
        erase("not my password at all").await.unwrap(),
        403,
        "wrong_password",
    )
    .await;
    assert_eq!(erase(PASSWORD).await.unwrap().status(), 204);

    assert_problem(app.get("/me", &token).await, 401, "unauthorized").await;
    assert_problem(app.login(&email, PASSWORD).await, 401, "unauthorized").await;
    let sql = app.sql().await;
    let count = |query: &'static str| {
        let sql = &sql;
        async move { sql.query_one(query, &[&id]).await.unwrap().get::<_, i64>(0) }
    };
    assert_eq!(
        count("SELECT count(*) FROM reflection_answers WHERE user_id = $1").await,
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM reflection_notes WHERE user_id = $1").await,
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM refresh_tokens WHERE user_id = $1").await,
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM mail_outbox WHERE user_id = $1").await,
        0
    );
    // Progress stays for the statistics, tied to an id that leads to no one.
    assert_eq!(
        count("SELECT count(*) FROM page_completions WHERE user_id = $1").await,
        1
    );
    let row = sql
        .query_one(
            "SELECT email, name, password_hash IS NULL, erased_at IS NOT NULL FROM users WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    let (anonymous_email, name, no_password, erased): (String, String, bool, bool) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert!(anonymous_email.ends_with("@erased.invalid"));
    assert_eq!(name, "Slettet bruker");
    assert!(no_password && erased);
    let anywhere: i64 = app
        .count(
            "SELECT count(*) FROM mail_outbox WHERE lower(recipient) = lower($1)",
            &[&email],
        )
        .await;
    assert_eq!(anywhere, 0);

    // Someone types the erased address again (a failed sign-in, a reset request): the database,
    // dumped whole, holds neither the address nor the name.
    assert_problem(
        app.login(&email, "a guess that is wrong").await,
        401,
        "unauthorized",
    )
    .await;
    let reset = app
        .client
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 202);
    let dump = app.dump().to_lowercase();
    assert!(
        dump.contains("slettet bruker"),
        "the dump holds the users table"
    );
    for secret in [email.to_lowercase(), own_name.to_lowercase()] {
        assert!(!dump.contains(&secret), "the dump still holds {secret:?}");
    }

    // Administrators erase on request, not themselves.
    let (admin_account, admin) = app.user_with_token(Role::Admin).await;
    let (other, _) = app.user_with_token(Role::Mentor).await;
    assert_eq!(
        app.delete(&format!("/admin/users/{}", other.id), &admin)
            .await
            .status(),
        204
    );
    assert_problem(
        app.delete(&format!("/admin/users/{}", other.id), &admin)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(&format!("/admin/users/{}", admin_account.id), &admin)
            .await,
        409,
        "own_account",
    )
    .await;
}

#[tokio::test]
async fn the_access_log_is_append_only() {
    let app = spawn_app().await;
    let (_, id, _, _) = mentor_with_data(&app).await;
    let sql = app.sql().await;
    sql.execute(
        "INSERT INTO access_log (subject_id, actor_role, action, object_type) VALUES ($1, 'admin', 'export_user', 'user')",
        &[&id],
    )
    .await
    .unwrap();
    for statement in [
        "UPDATE access_log SET action = 'nothing'",
        "DELETE FROM access_log",
        "TRUNCATE access_log",
    ] {
        let refused = sql.execute(statement, &[]).await.unwrap_err();
        assert!(
            refused.to_string().contains("append-only")
                || format!("{refused:?}").contains("append-only"),
            "{statement}: {refused:?}"
        );
    }
}

#[tokio::test]
async fn writes_are_limited_per_account_and_per_address() {
    let app = crate::helpers::spawn_app_with(|vars| {
        vars.insert("ACCOUNT_WRITE_RATE_LIMIT_PER_MINUTE".into(), "5".into());
        vars.insert("WRITE_RATE_LIMIT_PER_MINUTE".into(), "8".into());
    })
    .await;
    let (_, first) = app.user_with_token(Role::Mentor).await;
    let (_, second) = app.user_with_token(Role::Mentor).await;
    let save = |token: String| {
        let app = &app;
        async move {
            app.put("/me/reflection-note", &token, &json!({"body": "utkast"}))
                .await
        }
    };
    for _ in 0..5 {
        assert_eq!(save(first.clone()).await.status(), 200);
    }
    let limited = save(first.clone()).await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, 429, "rate_limited").await;
    // Reads are not limited, and another account has its own budget...
    assert_eq!(app.get("/me", &first).await.status(), 200);
    for _ in 0..2 {
        assert_eq!(save(second.clone()).await.status(), 200);
    }
    // ...until the address's budget (8 a minute, shared) runs out.
    assert_problem(save(second.clone()).await, 429, "rate_limited").await;
}
