//! The attacks of the security audit, each shown failing: what an old access token may still do
//! once its account changed, one-time tokens left in stored mail, pre-hijacking of an invited
//! address, mail bombing, and the smaller findings.

use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, TestApp, PASSWORD};
use mentorsti::auth::Role;

/// Requests an old access token must no longer get through, with what it gets instead.
async fn refused_everywhere(app: &TestApp, token: &str, what: &str) {
    for path in ["/me", "/admin/ushts", "/path", "/me/export"] {
        let status = app.get(path, token).await.status();
        assert_eq!(status, 401, "{what}: GET {path} answered {status}");
    }
}

#[tokio::test]
async fn a_demoted_admin_can_do_nothing_more_with_the_old_token() {
    let app = spawn_app().await;
    let (_, root) = app.user_with_token(Role::Admin).await;
    let (demoted, old_token) = app.user_with_token(Role::Admin).await;
    let (victim, _) = app.user_with_token(Role::Mentor).await;
    assert_eq!(app.get("/admin/ushts", &old_token).await.status(), 200);
    let response = app
        .post(
            &format!("/admin/users/{}/role", demoted.id),
            &root,
            &json!({"role": "mentor"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    // At once, with no wait for the token's fifteen minutes.
    refused_everywhere(&app, &old_token, "demoted admin").await;
    assert_problem(
        app.post(
            &format!("/admin/users/{}/role", victim.id),
            &old_token,
            &json!({"role": "admin"}),
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get(&format!("/admin/users/{}/export", victim.id), &old_token)
            .await,
        401,
        "unauthorized",
    )
    .await;
    // Signing in again gives a token of the new role.
    let token = app.access_token(&demoted).await;
    assert_problem(app.get("/admin/ushts", &token).await, 403, "forbidden").await;
}

#[tokio::test]
async fn erasure_sign_out_reset_and_a_replayed_refresh_token_end_access_tokens_at_once() {
    let app = spawn_app().await;

    // Sign-out ends the access tokens too (another device renews its own with its refresh token).
    let account = app.create_user(Role::Mentor, "ut@example.no").await;
    let (access, refresh) = app.tokens(&account).await;
    let (other_device, other_refresh) = app.tokens(&account).await;
    let logout = app
        .client
        .post(app.api("/auth/logout"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    refused_everywhere(&app, &access, "signed out").await;
    refused_everywhere(&app, &other_device, "other device before renewing").await;
    let renewed = app
        .client
        .post(app.api("/auth/refresh"))
        .json(&json!({"refresh_token": other_refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(renewed.status(), 200);
    let renewed: serde_json::Value = renewed.json().await.unwrap();
    let renewed_access = renewed["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/me", &renewed_access).await.status(), 200);

    // A refresh token used twice: the thief's access token ends with the family.
    let (stolen_access, stolen_refresh) = app.tokens(&account).await;
    let first = app
        .client
        .post(app.api("/auth/refresh"))
        .json(&json!({"refresh_token": stolen_refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let replay = app
        .client
        .post(app.api("/auth/refresh"))
        .json(&json!({"refresh_token": stolen_refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
    refused_everywhere(&app, &stolen_access, "replayed family").await;

    // A password reset.
    let (before_reset, _) = app.tokens(&account).await;
    app.client
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": account.email}))
        .send()
        .await
        .unwrap();
    let token = app
        .mail
        .wait_for(&account.email, 1)
        .await
        .last()
        .unwrap()
        .token();
    let confirmed = app
        .client
        .post(app.api("/auth/password-reset/confirm"))
        .json(&json!({"token": token, "password": "Et helt nytt og langt passord"}))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 204);
    refused_everywhere(&app, &before_reset, "password reset").await;

    // Erasure.
    let (erased, erased_token) = app.user_with_token(Role::Mentor).await;
    let (still_open, _) = app.tokens(&erased).await;
    let gone = app
        .client
        .delete(app.api("/me"))
        .bearer_auth(&erased_token)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    refused_everywhere(&app, &still_open, "erased").await;
}

#[tokio::test]
async fn a_demoted_facilitator_reads_no_more_notes() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (facilitator, token) = app.user_with_token(Role::Facilitator).await;
    assert_eq!(app.get("/facilitator/series", &token).await.status(), 200);
    let demoted = app
        .post(
            &format!("/admin/users/{}/role", facilitator.id),
            &admin,
            &json!({"role": "mentor"}),
        )
        .await;
    assert_eq!(demoted.status(), 200);
    assert_problem(
        app.get("/facilitator/series", &token).await,
        401,
        "unauthorized",
    )
    .await;
}
