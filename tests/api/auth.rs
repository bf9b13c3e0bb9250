use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mentorsti::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, JWT_SECRET, PASSWORD};

#[tokio::test]
async fn sign_in_read_and_update_the_profile() {
    let app = spawn_app().await;
    let account = app
        .create_user(Role::Mentor, "Kari.Nordmann@Asker.kommune.no")
        .await;
    // Emails are case-insensitive.
    let response = app.login("kari.nordmann@asker.kommune.no", PASSWORD).await;
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert_eq!(
        pair["refresh_expires_in"],
        app.state.tokens.refresh_ttl.as_secs()
    );
    let token = pair["access_token"].as_str().unwrap();

    let me: Value = app.get("/me", token).await.json().await.unwrap();
    assert_eq!(me["id"], account.id.to_string());
    assert_eq!(me["role"], "mentor");
    assert!(me["municipality"].is_null());
    assert!(me["created_at"].as_str().unwrap().ends_with('Z'));

    let response = app
        .patch("/me", token, &json!({"name": "  Kari N.  ", "workplace": "Solheim sykehjem", "leader_email": "leder@asker.kommune.no"}))
        .await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["name"], "Kari N.");
    assert_eq!(me["workplace"], "Solheim sykehjem");
    // null clears, absent keeps.
    let me: Value = app
        .patch("/me", token, &json!({"workplace": null}))
        .await
        .json()
        .await
        .unwrap();
    assert!(me["workplace"].is_null());
    assert_eq!(me["leader_email"], "leder@asker.kommune.no");

    for bad in [
        json!({"name": ""}),
        json!({"name": "x".repeat(201)}),
        json!({"leader_email": "not an email"}),
        json!({"role": "admin"}),
        json!({"email": "other@example.no"}),
    ] {
        assert_problem(
            app.patch("/me", token, &bad).await,
            422,
            "validation_failed",
        )
        .await;
    }
    let me: Value = app.get("/me", token).await.json().await.unwrap();
    assert_eq!(me["role"], "mentor", "role cannot be changed through /me");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_user(Role::Mentor, "known@example.no").await;
    let wrong = app
        .login("known@example.no", "not the right password")
        .await;
    let wrong_status = wrong.status();
    let wrong_body: Value = wrong.json().await.unwrap();
    let unknown = app
        .login("unknown@example.no", "not the right password")
        .await;
    assert_eq!(wrong_status, unknown.status());
    assert_eq!(wrong_status, 401);
    let unknown_body: Value = unknown.json().await.unwrap();
    assert_eq!(wrong_body, unknown_body);
}

#[tokio::test]
async fn ten_failures_lock_the_account_in_the_database() {
    let app = spawn_app().await;
    let account = app.create_user(Role::Mentor, "locked@example.no").await;
    for _ in 0..10 {
        assert_eq!(
            app.login(&account.email, "wrong password!!").await.status(),
            401
        );
    }
    // Even the right password is refused now, with a Retry-After.
    let response = app.login(&account.email, PASSWORD).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60, "{retry_after}");
    assert_problem(response, 429, "rate_limited").await;
    // Unknown emails lock the same way, so the lock reveals nothing.
    for _ in 0..10 {
        app.login("ghost@example.no", "wrong password!!").await;
    }
    assert_problem(
        app.login("ghost@example.no", "wrong password!!").await,
        429,
        "rate_limited",
    )
    .await;
    // The lock is in the database and ends with the window.
    app.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(app.login(&account.email, PASSWORD).await.status(), 200);
    // Failures are stamped on the same clock the window is counted on, so it locks again.
    for _ in 0..10 {
        app.login(&account.email, "wrong password!!").await;
    }
    assert_problem(
        app.login(&account.email, PASSWORD).await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn sign_in_replaces_outdated_hashes_and_keeps_current_ones() {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};

    let app = spawn_app().await;
    let account = app.create_user(Role::Mentor, "rehash@example.no").await;
    let sql = app.sql().await;
    let key = mentorsti::auth::limits::account_key(&app.state.config.jwt.secret, &account.email);
    let stored = || async {
        let row = sql
            .query_one(
                "SELECT password_hash, updated_at::text, \
                        (SELECT count(*) FROM login_failures WHERE account_key = $2) \
                 FROM users WHERE id = $1",
                &[&account.id, &key],
            )
            .await
            .unwrap();
        (
            row.get::<_, String>(0),
            row.get::<_, String>(1),
            row.get::<_, i64>(2),
        )
    };

    // A hash with the current parameters stays as it is, and the row is not rewritten.
    let (current, updated_at, _) = stored().await;
    assert!(
        current.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{current}"
    );
    assert_eq!(app.login(&account.email, PASSWORD).await.status(), 200);
    let (after, updated_after, failures) = stored().await;
    assert_eq!(after, current);
    assert_eq!(updated_after, updated_at);
    assert_eq!(
        failures, 0,
        "a sign-in that succeeds leaves no failure behind"
    );
    let stamped: bool = sql
        .query_one(
            "SELECT last_active_at > now() - interval '1 minute' FROM users WHERE id = $1",
            &[&account.id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(stamped, "a sign-in stamps the activity");

    // A hash from weaker parameters is replaced on the next sign-in that gets the password right.
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
    .unwrap()
    .to_string();
    sql.execute(
        "UPDATE users SET password_hash = $1 WHERE id = $2",
        &[&weak, &account.id],
    )
    .await
    .unwrap();
    assert_eq!(
        app.login(&account.email, "wrong password!!").await.status(),
        401
    );
    assert_eq!(stored().await.0, weak, "a wrong password changes nothing");
    assert_eq!(app.login(&account.email, PASSWORD).await.status(), 200);
    let (rehashed, _, failures) = stored().await;
    assert!(
        rehashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{rehashed}"
    );
    assert_eq!(failures, 0);
    assert_eq!(app.login(&account.email, PASSWORD).await.status(), 200);
    assert_eq!(stored().await.0, rehashed);
}

/// Ends a sign-in for `user` as read before hashing; whether it went through.
async fn finish(
    conn: &mut diesel_async::AsyncPgConnection,
    user: &mentorsti::auth::store::User,
) -> bool {
    mentorsti::auth::store::finish_sign_in(
        conn,
        &[0u8; 32],
        user,
        None,
        mentorsti::auth::store::NewSession {
            family_id: uuid::Uuid::new_v4(),
            token_hash: &[7u8; 32],
            expires_at: chrono::Utc::now() + chrono::Duration::days(1),
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn an_account_change_during_hashing_wins_over_the_sign_in() {
    use mentorsti::auth::store;

    let app = spawn_app().await;
    let account = app.create_user(Role::Mentor, "overtaken@example.no").await;
    let sql = app.sql().await;
    let tokens = || async {
        app.count(
            "SELECT count(*) FROM refresh_tokens WHERE user_id = $1",
            &[&account.id],
        )
        .await
    };
    let mut conn = app.state.pool.get().await.unwrap();
    // What the sign-in read before hashing.
    let user = store::find_user_by_email(&mut conn, &account.email)
        .await
        .unwrap()
        .unwrap();
    // Meanwhile: a password reset, then a role change, then an erasure; each refuses the sign-in
    // and stores no session.
    for change in [
        "UPDATE users SET password_hash = 'changed' WHERE id = $1",
        "UPDATE users SET password_hash = $2, role = 'admin' WHERE id = $1",
        "UPDATE users SET password_hash = $2, role = 'mentor', erased_at = now() WHERE id = $1",
    ] {
        let original = user.password_hash.clone().unwrap();
        if change.contains("$2") {
            sql.execute(change, &[&account.id, &original])
                .await
                .unwrap();
        } else {
            sql.execute(change, &[&account.id]).await.unwrap();
        }
        assert!(!finish(&mut conn, &user).await, "{change}");
        assert_eq!(tokens().await, 0, "{change}");
    }
    // Unchanged, it goes through.
    sql.execute(
        "UPDATE users SET password_hash = $2, erased_at = NULL WHERE id = $1",
        &[&account.id, &user.password_hash.clone().unwrap()],
    )
    .await
    .unwrap();
    assert!(finish(&mut conn, &user).await);
    assert_eq!(tokens().await, 1);
}

#[tokio::test]
async fn concurrent_failures_cannot_exceed_the_limit() {
    let app = spawn_app().await;
    app.create_user(Role::Mentor, "storm@example.no").await;
    let attempts = (0..30).map(|_| app.login("storm@example.no", "wrong password!!"));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 20);
}

#[tokio::test]
async fn per_ip_limit_on_auth_endpoints() {
    let app = spawn_app_with(|vars| {
        vars.insert("AUTH_RATE_LIMIT_PER_MINUTE".into(), "5".into());
    })
    .await;
    for _ in 0..5 {
        let response = app
            .client
            .post(app.api("/auth/password-reset"))
            .json(&json!({"email": "x@example.no"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
    }
    let response = app
        .client
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": "x@example.no"}))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 429, "rate_limited").await;
}

fn craft(claims: &Value, secret: &str, algorithm: Algorithm) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_401() {
    let app = spawn_app().await;
    let (account, token) = app.user_with_token(Role::Admin).await;
    assert_eq!(app.get("/me", &token).await.status(), 200);
    let now = chrono::Utc::now().timestamp();
    let good = json!({"iss": "mentorsti", "aud": "mentorsti-api", "sub": account.id, "role": "admin", "ver": 1, "iat": now, "exp": now + 900});
    assert_eq!(
        app.get("/me", &craft(&good, JWT_SECRET, Algorithm::HS256))
            .await
            .status(),
        200
    );

    let mut bad_tokens = Vec::new();
    let mut expired = good.clone();
    expired["iat"] = json!(now - 2000);
    expired["exp"] = json!(now - 60);
    bad_tokens.push(craft(&expired, JWT_SECRET, Algorithm::HS256));
    let mut audience = good.clone();
    audience["aud"] = json!("someone-else");
    bad_tokens.push(craft(&audience, JWT_SECRET, Algorithm::HS256));
    let mut issuer = good.clone();
    issuer["iss"] = json!("evil");
    bad_tokens.push(craft(&issuer, JWT_SECRET, Algorithm::HS256));
    bad_tokens.push(craft(
        &good,
        "another-secret-another-secret-another-secret",
        Algorithm::HS256,
    ));
    bad_tokens.push(craft(&good, JWT_SECRET, Algorithm::HS512));
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    bad_tokens.push(craft(&no_exp, JWT_SECRET, Algorithm::HS256));
    let mut future = good.clone();
    future["iat"] = json!(now + 3600);
    future["exp"] = json!(now + 4500);
    bad_tokens.push(craft(&future, JWT_SECRET, Algorithm::HS256));
    // Signed with our key but naming no session version, or an older one, or another role.
    let mut no_version = good.clone();
    no_version.as_object_mut().unwrap().remove("ver");
    bad_tokens.push(craft(&no_version, JWT_SECRET, Algorithm::HS256));
    let mut old_version = good.clone();
    old_version["ver"] = json!(0);
    bad_tokens.push(craft(&old_version, JWT_SECRET, Algorithm::HS256));
    let mut other_role = good.clone();
    other_role["role"] = json!("mentor");
    bad_tokens.push(craft(&other_role, JWT_SECRET, Algorithm::HS256));
    // alg: none, unsigned.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(good.to_string());
    bad_tokens.push(format!("{header}.{payload}."));
    // A mentor's token with the role claim edited to admin (signature no longer matches).
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["role"] = json!("mentor");
    bad_tokens.push(format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    ));

    for bad in bad_tokens {
        assert_problem(app.get("/me", &bad).await, 401, "unauthorized").await;
    }
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let account = app.create_user(Role::Mentor, "rotate@example.no").await;
    let (_, first) = app.tokens(&account).await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            app.client
                .post(app.api("/auth/refresh"))
                .json(&json!({"refresh_token": token}))
                .send()
                .await
                .unwrap()
        }
    };
    let response = refresh(first.clone()).await;
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.unwrap();
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first);
    assert_eq!(
        app.get("/me", second["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    // The first token again: a replay. The whole family dies, including the newest token.
    assert_problem(refresh(first.clone()).await, 401, "unauthorized").await;
    assert_problem(refresh(second_refresh).await, 401, "unauthorized").await;

    // A separate login is a separate family and keeps working.
    let (_, other) = app.tokens(&account).await;
    assert_eq!(refresh(other).await.status(), 200);

    // Refresh tokens are stored only as hashes.
    let sql = app.sql().await;
    let rows = sql
        .query("SELECT token_hash FROM refresh_tokens", &[])
        .await
        .unwrap();
    for row in rows {
        let hash: Vec<u8> = row.get(0);
        assert_eq!(hash.len(), 32);
        assert_ne!(hash, first.as_bytes());
    }
}

#[tokio::test]
async fn fifty_concurrent_refreshes_yield_exactly_one_pair() {
    let app = spawn_app().await;
    let account = app.create_user(Role::Mentor, "race@example.no").await;
    let (_, token) = app.tokens(&account).await;
    let requests = (0..50).map(|_| {
        app.client
            .post(app.api("/auth/refresh"))
            .json(&json!({"refresh_token": token}))
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 49);
    let issued: i64 = app.count("SELECT count(*) FROM refresh_tokens", &[]).await;
    assert_eq!(issued, 2, "the login's token and exactly one rotation");
}

#[tokio::test]
async fn logout_revokes_the_family() {
    let app = spawn_app().await;
    let account = app.create_user(Role::Mentor, "bye@example.no").await;
    let (_, refresh) = app.tokens(&account).await;
    let response = app
        .client
        .post(app.api("/auth/logout"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = app
        .client
        .post(app.api("/auth/refresh"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 401, "unauthorized").await;
}

#[tokio::test]
async fn password_reset_by_email_is_single_use_and_ends_sessions() {
    let app = spawn_app().await;
    let account = app.create_user(Role::Mentor, "glemsk@example.no").await;
    let (_, old_refresh) = app.tokens(&account).await;

    let reset = |email: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.api("/auth/password-reset"))
                .json(&json!({"email": email}))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(reset("GLEMSK@example.no").await.status(), 202);
    assert_eq!(reset("nobody@example.no").await.status(), 202);

    let mails = app.mail.wait_for("glemsk@example.no", 1).await;
    let mail = &mails[0];
    assert_eq!(mail.subject(), "Tilbakestill passordet ditt");
    assert!(mail
        .text()
        .contains("http://mentorsti.test/reset-password?token="));
    assert!(mail.html().contains("Velg nytt passord"));
    let token = mail.token();

    let confirm = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.api("/auth/password-reset/confirm"))
                .json(&json!({"token": token, "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    // A weak password is refused and does not spend the token.
    let problem = assert_problem(
        confirm(token.clone(), "password1234").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "password");
    assert_problem(
        confirm(token.clone(), "kort").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        confirm(token.clone(), "Et helt nytt og langt passord")
            .await
            .status(),
        204
    );
    // Single use: a spent link says so, whatever the password.
    assert_problem(
        confirm(token.clone(), "Et annet helt nytt passord").await,
        410,
        "link_used",
    )
    .await;
    assert_problem(confirm(token, "password1234").await, 410, "link_used").await;
    // A token we never issued.
    assert_problem(
        confirm("A".repeat(43), "Et annet helt nytt passord").await,
        404,
        "link_not_found",
    )
    .await;

    assert_eq!(app.login(&account.email, PASSWORD).await.status(), 401);
    assert_eq!(
        app.login(&account.email, "Et helt nytt og langt passord")
            .await
            .status(),
        200
    );
    let response = app
        .client
        .post(app.api("/auth/refresh"))
        .json(&json!({"refresh_token": old_refresh}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 401, "unauthorized").await;
    // Nothing was sent for the unknown address.
    assert!(app.mail.to("nobody@example.no").is_empty());
}

#[tokio::test]
async fn expired_reset_tokens_are_refused() {
    let app = spawn_app().await;
    app.create_user(Role::Mentor, "sen@example.no").await;
    app.client
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": "sen@example.no"}))
        .send()
        .await
        .unwrap();
    let token = app.mail.wait_for("sen@example.no", 1).await[0].token();
    // An hour and a second later.
    app.clock
        .advance(chrono::Duration::hours(1) + chrono::Duration::seconds(1));
    let response = app
        .client
        .post(app.api("/auth/password-reset/confirm"))
        .json(&json!({"token": token, "password": "Et helt nytt og langt passord"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 410, "link_expired").await;
}

#[tokio::test]
async fn email_verification_tokens_work_once_and_only_with_the_sign_up_password() {
    let app = spawn_app().await;
    app.sql()
        .await
        .batch_execute(
            "WITH u AS (INSERT INTO ushts (name, county) VALUES ('USHT Test', 'Akershus') RETURNING id) \
             INSERT INTO municipalities (number, name, usht_id) SELECT '3203', 'Asker', id FROM u",
        )
        .await
        .unwrap();
    let response = app
        .client
        .post(app.api("/auth/register"))
        .json(&json!({"email": "ny@example.no", "name": "Ny Mentor", "password": PASSWORD, "municipality_number": "3203"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let mail = &app.mail.wait_for("ny@example.no", 1).await[0];
    assert_eq!(mail.subject(), "Bekreft e-postadressen din");
    assert!(mail
        .text()
        .contains("http://mentorsti.test/verify-email?token="));
    let verify = |password: &str| {
        app.client
            .post(app.api("/auth/verify-email"))
            .json(&json!({"token": mail.token(), "password": password}))
            .send()
    };
    let problem = assert_problem(
        verify("ikke det samme passordet").await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "password");
    // A wrong password does not spend the link.
    assert_eq!(verify(PASSWORD).await.unwrap().status(), 204);
    assert_problem(verify(PASSWORD).await.unwrap(), 410, "link_used").await;
    let response = app.login("ny@example.no", PASSWORD).await;
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    let me: Value = app
        .get("/me", pair["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], true);
}

#[tokio::test]
async fn login_storm_does_not_block_other_requests() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let storm = (0..40).map(|_| app.login("storm@example.no", "wrong password!!"));
    let me = async {
        // While hashes run on blocking threads, /me keeps answering.
        let started = std::time::Instant::now();
        let response = app.get("/me", &token).await;
        (response.status(), started.elapsed())
    };
    let (_, (status, elapsed)) = tokio::join!(futures_util::future::join_all(storm), me);
    assert_eq!(status, 200);
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

/// `POST <path> {token}` without an account, as a link's screen asks when it opens.
async fn check_link(app: &crate::helpers::TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .post(app.api(path))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn reset_links_are_checked_without_being_spent() {
    let app = spawn_app().await;
    let account = app.create_user(Role::Mentor, "sjekk@example.no").await;
    let mut tokens = Vec::new();
    for n in 1..=2 {
        app.client
            .post(app.api("/auth/password-reset"))
            .json(&json!({"email": account.email}))
            .send()
            .await
            .unwrap();
        tokens.push(app.mail.wait_for(&account.email, n).await[n - 1].token());
    }
    let check = |token: String| {
        let app = &app;
        async move { check_link(app, "/auth/password-reset/check", &token).await }
    };
    // The newer link replaced the first one.
    assert_problem(check(tokens[0].clone()).await, 410, "link_used").await;
    // A live link tells only the address the mail went to, and stays live.
    for _ in 0..2 {
        let response = check(tokens[1].clone()).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"email": "sjekk@example.no"})
        );
    }
    let confirmed = app
        .client
        .post(app.api("/auth/password-reset/confirm"))
        .json(&json!({"token": tokens[1], "password": "Et helt nytt og langt passord"}))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 204);
    assert_problem(check(tokens[1].clone()).await, 410, "link_used").await;
    assert_problem(check("A".repeat(43)).await, 404, "link_not_found").await;
    assert_problem(check("nope".into()).await, 422, "validation_failed").await;
    let extra = app
        .client
        .post(app.api("/auth/password-reset/check"))
        .json(&json!({"token": "A".repeat(43), "email": "x@example.no"}))
        .send()
        .await
        .unwrap();
    assert_problem(extra, 422, "validation_failed").await;

    // An hour and a second after a new request, its link has expired.
    app.client
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": account.email}))
        .send()
        .await
        .unwrap();
    let late = app.mail.wait_for(&account.email, 3).await[2].token();
    app.clock
        .advance(chrono::Duration::hours(1) + chrono::Duration::seconds(1));
    assert_problem(check(late).await, 410, "link_expired").await;
}

#[tokio::test]
async fn invitation_links_are_checked_without_being_spent() {
    let app = spawn_app().await;
    let usht: String = app
        .sql()
        .await
        .query_one(
            "WITH u AS (INSERT INTO ushts (name, county) VALUES ('USHT Test', 'Akershus') RETURNING id) \
             INSERT INTO municipalities (number, name, usht_id) SELECT '3203', 'Asker', id FROM u \
             RETURNING usht_id::text",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let (_, coordinator) = crate::helpers::coordinator_of(&app, &usht).await;
    let municipality: String = app
        .sql()
        .await
        .query_one(
            "SELECT id::text FROM municipalities WHERE number = '3203'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let invited = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({
                "municipality_id": municipality,
                "invitees": [{"email": "siri@asker.kommune.no", "name": "Siri Dahl"}, {"email": "sen@asker.kommune.no"}],
            }),
        )
        .await;
    assert_eq!(invited.status(), 201);
    let token = app.mail.wait_for("siri@asker.kommune.no", 1).await[0].token();
    let late = app.mail.wait_for("sen@asker.kommune.no", 1).await[0].token();
    let check = |token: String| {
        let app = &app;
        async move { check_link(app, "/auth/invitations/check", &token).await }
    };

    // What the invitation mail told: the address, the name typed, the role and the place; no ids.
    for _ in 0..2 {
        let response = check(token.clone()).await;
        assert_eq!(response.status(), 200);
        let mut body: Value = response.json().await.unwrap();
        assert!(body["expires_at"].is_string());
        body.as_object_mut().unwrap().remove("expires_at");
        assert_eq!(
            body,
            json!({
                "email": "siri@asker.kommune.no",
                "name": "Siri Dahl",
                "role": "mentor",
                "municipality": {"number": "3203", "name": "Asker"},
                "usht": null,
            })
        );
    }
    let accepted = app
        .client
        .post(app.api("/auth/invitations/accept"))
        .json(&json!({"token": token, "name": "Siri Dahl", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 201);
    assert_problem(check(token).await, 410, "invitation_used").await;
    assert_problem(check("A".repeat(43)).await, 404, "invitation_not_found").await;
    assert_problem(check("nope".into()).await, 422, "validation_failed").await;

    // Fifteen days later the other invitation has run out.
    app.clock.advance(chrono::Duration::days(15));
    assert_problem(check(late).await, 410, "invitation_expired").await;
}
