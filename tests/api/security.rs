//! The attacks of the security audit, each shown failing: what an old access token may still do
//! once its account changed, one-time tokens left in stored mail, pre-hijacking of an invited
//! address, mail bombing, and the smaller findings.

use serde_json::json;

use crate::helpers::{assert_problem, coordinator_of, spawn_app, TestApp, PASSWORD};
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

#[tokio::test]
async fn one_time_links_are_sealed_in_the_outbox_dropped_once_sent_and_never_exported() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let mentor = app.create_user(Role::Mentor, "glemsk@example.no").await;
    let response = app
        .client
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": "glemsk@example.no"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let usht: serde_json::Value = app
        .post(
            "/admin/ushts",
            &admin,
            &json!({"name": "USHT Vestfold", "county": "Vestfold"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .post(
            &format!("/admin/ushts/{}/coordinators", usht["id"].as_str().unwrap()),
            &admin,
            &json!({"email": "ny.koordinator@example.no", "name": "Ny Koordinator"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let reset = app.mail.wait_for("glemsk@example.no", 1).await[0].token();
    let invitation = app.mail.wait_for("ny.koordinator@example.no", 1).await[0].token();
    assert_eq!((reset.len(), invitation.len()), (43, 43));

    // Nothing stored holds either link: the bodies name a placeholder, and the sealed token
    // went when the mail did (the worker marks a mail sent just after the catcher has it).
    app.wait_for_count(
        "SELECT count(*) FROM mail_outbox WHERE template IN ('password_reset', \
         'coordinator_invitation') AND secret_ciphertext IS NULL",
        2,
    )
    .await;
    let dump = app.dump();
    for token in [&reset, &invitation] {
        assert!(
            !dump.contains(token.as_str()),
            "the database holds a live link"
        );
    }
    let sql = app.sql().await;
    let rows = sql
        .query(
            "SELECT body_text, body_html, secret_ciphertext IS NULL FROM mail_outbox \
             WHERE template IN ('password_reset', 'coordinator_invitation')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert!(row.get::<_, String>(0).contains("token=__sealed_token__"));
        assert!(row.get::<_, String>(1).contains("token=__sealed_token__"));
        assert!(row.get::<_, bool>(2), "a sent mail keeps no sealed token");
    }

    // An administrator's export shows the mail, not the link.
    let export = app
        .get(&format!("/admin/users/{}/export", mentor.id), &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(export.contains("[lenke fjernet]"), "{export}");
    assert!(!export.contains(&reset) && !export.contains("__sealed_token__"));

    // The link that went out works.
    let response = app
        .client
        .post(app.api("/auth/password-reset/confirm"))
        .json(&json!({"token": reset, "password": "et helt nytt passord 2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    // After the retention period the bodies are emptied; who got what and when stays.
    let mut conn = app.state.pool.get().await.unwrap();
    let cutoff = chrono::Utc::now() + chrono::Duration::minutes(1);
    let emptied = mentorsti::mail::worker::purge_bodies(&mut conn, cutoff)
        .await
        .unwrap();
    assert_eq!(emptied, 2);
    let left: i64 = app
        .count(
            "SELECT count(*) FROM mail_outbox WHERE body_text <> '' OR body_html <> ''",
            &[],
        )
        .await;
    assert_eq!(left, 0);
    assert_eq!(
        mentorsti::mail::worker::purge_bodies(&mut conn, cutoff)
            .await
            .unwrap(),
        0,
        "an emptied mail is not emptied again"
    );
}

#[tokio::test]
async fn a_mail_waiting_for_smtp_holds_its_token_sealed_for_that_row_only() {
    // Nobody listens on this port, so the mail waits in the outbox.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = crate::helpers::spawn_app_with(|vars| {
        vars.insert("SMTP_URL".into(), format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    app.create_user(Role::Mentor, "venter@example.no").await;
    app.create_user(Role::Mentor, "venter2@example.no").await;
    for email in ["venter@example.no", "venter2@example.no"] {
        app.client
            .post(app.api("/auth/password-reset"))
            .json(&json!({"email": email}))
            .send()
            .await
            .unwrap();
    }
    let sql = app.sql().await;
    // The resets are made after the answer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let rows = loop {
        let rows = sql
            .query(
                "SELECT id, body_text, secret_ciphertext FROM mail_outbox ORDER BY recipient",
                &[],
            )
            .await
            .unwrap();
        if rows.len() == 2 || std::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let body: String = row.get(1);
        let sealed: Vec<u8> = row.get(2);
        assert!(body.contains("token=__sealed_token__"), "{body}");
        assert!(!String::from_utf8_lossy(&sealed).contains("token"));
    }
    // Moving one mail's sealed token to another mail does not send it there: it does not open.
    let (first, second): (uuid::Uuid, uuid::Uuid) = (rows[0].get(0), rows[1].get(0));
    sql.execute(
        "UPDATE mail_outbox SET secret_ciphertext = (SELECT secret_ciphertext FROM mail_outbox WHERE id = $1) WHERE id = $2",
        &[&first, &second],
    )
    .await
    .unwrap();
    let mail: mentorsti::mail::outbox::OutboxMail = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use mentorsti::db::schema::mail_outbox;
        let mut conn = app.state.pool.get().await.unwrap();
        mail_outbox::table
            .find(second)
            .select(mentorsti::mail::outbox::OutboxMail::as_select())
            .first(&mut conn)
            .await
            .unwrap()
    };
    assert!(mail.opened(&app.state.config.encryption).is_err());
}

/// Two USHTs with a municipality each, and a coordinator of the first (through the API, as an
/// administrator would set them up); returns (coordinator token, Asker's id, Lier's id).
async fn two_ushts(app: &TestApp) -> (String, String, String) {
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let mut places = Vec::new();
    for (usht, number, name) in [
        ("USHT Asker", "3203", "Asker"),
        ("USHT Lier", "3312", "Lier"),
    ] {
        let created: serde_json::Value = app
            .post(
                "/admin/ushts",
                &admin,
                &json!({"name": usht, "county": "Akershus"}),
            )
            .await
            .json()
            .await
            .unwrap();
        let usht_id = created["id"].as_str().unwrap().to_owned();
        let municipality: serde_json::Value = app
            .post(
                "/admin/municipalities",
                &admin,
                &json!({"number": number, "name": name, "usht_id": usht_id}),
            )
            .await
            .json()
            .await
            .unwrap();
        places.push((usht_id, municipality["id"].as_str().unwrap().to_owned()));
    }
    let (_, token) = coordinator_of(app, &places[0].0).await;
    (token, places[0].1.clone(), places[1].1.clone())
}

/// The id of the USHT a municipality (by number) is enrolled in.
async fn usht_of(app: &TestApp, number: &str) -> String {
    app.sql()
        .await
        .query_one(
            "SELECT usht_id::text FROM municipalities WHERE number = $1",
            &[&number],
        )
        .await
        .unwrap()
        .get(0)
}

async fn sign_up(app: &TestApp, email: &str, password: &str, number: &str) {
    let response = app
        .client
        .post(app.api("/auth/register"))
        .json(&json!({"email": email, "name": "Mallory", "password": password, "municipality_number": number}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
}

#[tokio::test]
async fn a_sign_up_with_someone_elses_address_takes_nothing_over() {
    let app = spawn_app().await;
    let (coordinator, asker, lier) = two_ushts(&app).await;
    let attacker_password = "angriperens eget passord";

    // Before the invitation: the attacker signs the victim up in another USHT's municipality.
    let victim = "offer@asker.kommune.no";
    sign_up(&app, victim, attacker_password, "3312").await;
    let verification = app.mail.wait_for(victim, 1).await[0].token();
    // The waiting sign-up blocks nothing: the coordinator's invitation goes ahead.
    let invited: serde_json::Value = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({"municipality_id": asker, "invitees": [{"email": victim, "name": "Offer"}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(invited["created"].as_array().unwrap().len(), 1, "{invited}");
    assert_eq!(invited["skipped"].as_array().unwrap().len(), 0, "{invited}");
    // It is not an account: no sign-in, no mentor in Lier's counts (shown apart).
    assert_problem(
        app.login(victim, attacker_password).await,
        403,
        "email_not_verified",
    )
    .await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let lier_view: serde_json::Value = app
        .get(&format!("/admin/municipalities/{lier}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lier_view["mentors"]["total"], 0);
    assert_eq!(lier_view["mentors"]["pending_signups"], 1);
    // Whoever clicks the verification link must know the sign-up's password; even with it, an
    // open invitation wins.
    let verify = |password: &'static str| {
        app.client
            .post(app.api("/auth/verify-email"))
            .json(&json!({"token": verification, "password": password}))
            .send()
    };
    assert_problem(
        verify("offerets gjetning her").await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        verify("angriperens eget passord").await.unwrap(),
        409,
        "invitation_pending",
    )
    .await;

    // The victim accepts the invitation with a password of their own and lands in Asker.
    let invitation = app.mail.wait_for(victim, 2).await[1].token();
    let response = app
        .client
        .post(app.api("/auth/invitations/accept"))
        .json(&json!({"token": invitation, "name": "Offer", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let pair: serde_json::Value = response.json().await.unwrap();
    let me: serde_json::Value = app
        .get("/me", pair["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["municipality"]["number"], "3203");
    assert_problem(
        verify("angriperens eget passord").await.unwrap(),
        404,
        "link_not_found",
    )
    .await;
    assert_problem(
        app.login(victim, attacker_password).await,
        401,
        "unauthorized",
    )
    .await;

    // After the invitation: a sign-up of an invited address makes nothing, and says so by mail
    // to the inbox only (the answer is the same 202).
    let second = "nummer.to@asker.kommune.no";
    let response = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({"municipality_id": asker, "invitees": [{"email": second}]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    app.mail.wait_for(second, 1).await;
    sign_up(&app, second, attacker_password, "3312").await;
    let mails = app.mail.wait_for(second, 2).await;
    assert_eq!(mails[1].subject(), "Du er allerede invitert");
    assert!(!mails[1].text().contains("token="));
    let signups: i64 = app
        .count("SELECT count(*) FROM signups WHERE email = $1", &[&second])
        .await;
    assert_eq!(signups, 0);
    assert_problem(
        app.login(second, attacker_password).await,
        401,
        "unauthorized",
    )
    .await;

    // A later sign-up of the same address replaces a waiting one: the first link stops working.
    let third = "tredje@lier.kommune.no";
    sign_up(&app, third, attacker_password, "3312").await;
    let first_link = app.mail.wait_for(third, 1).await[0].token();
    sign_up(&app, third, PASSWORD, "3312").await;
    let second_link = app.mail.wait_for(third, 2).await[1].token();
    let response = app
        .client
        .post(app.api("/auth/verify-email"))
        .json(&json!({"token": first_link, "password": attacker_password}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "link_not_found").await;
    let response = app
        .client
        .post(app.api("/auth/verify-email"))
        .json(&json!({"token": second_link, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(app.login(third, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn one_address_gets_at_most_three_requested_mails_an_hour_and_every_address_the_same_answer()
{
    let app = spawn_app().await;
    let known = app.create_user(Role::Mentor, "kjent@example.no").await;
    let reset = |email: &'static str| {
        app.client
            .post(app.api("/auth/password-reset"))
            .json(&json!({"email": email}))
            .send()
    };
    // Twenty-five resets at once to one address: three mails.
    let answers = futures_util::future::join_all((0..25).map(|_| reset("kjent@example.no"))).await;
    for answer in answers {
        assert_eq!(answer.unwrap().status(), 202);
    }
    app.mail.wait_for(&known.email, 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.mail.to(&known.email).len(), 3);
    // The limit holds across kinds: a sign-up with the address adds none.
    let response = app
        .client
        .post(app.api("/auth/register"))
        .json(&json!({"email": "kjent@example.no", "name": "Noen", "password": PASSWORD, "municipality_number": "3203"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        422,
        "no such municipality here: checked first"
    );
    let rows: i64 = app
        .count(
            "SELECT count(*) FROM mail_outbox WHERE recipient = 'kjent@example.no'",
            &[],
        )
        .await;
    assert_eq!(rows, 3);

    // A known and an unknown address get the same answer, byte for byte: the work is done
    // after it has gone.
    let answer = |response: reqwest::Response| async move {
        let status = response.status();
        let mut headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(name, _)| !["date", "x-request-id"].contains(&name.as_str()))
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        headers.sort();
        (status, headers, response.bytes().await.unwrap())
    };
    let for_known = answer(reset("kjent@example.no").await.unwrap()).await;
    let for_unknown = answer(reset("ukjent@example.no").await.unwrap()).await;
    assert_eq!(for_known, for_unknown);
}

#[tokio::test]
async fn names_carry_no_links_or_markup_and_one_address_is_one_whatever_its_unicode_form() {
    let app = spawn_app().await;
    let (coordinator, asker, _) = two_ushts(&app).await;
    for name in [
        "Kari https://evil.example/bekreft",
        "Kari <a href=x>her</a>",
        "Kari\r\nKlikk: www.evil.example",
    ] {
        let response = app
            .client
            .post(app.api("/auth/register"))
            .json(&json!({"email": "navn@asker.kommune.no", "name": name, "password": PASSWORD, "municipality_number": "3203"}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "name", "{name:?}");
    }
    // NFC and NFD spellings of one address, and a name with a link, in one list.
    let nfc = "ase@\u{e5}lesund.kommune.no";
    let nfd = "ase@a\u{30a}lesund.kommune.no";
    let result: serde_json::Value = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({"municipality_id": asker, "invitees": [
                {"email": nfc, "name": "Åse"},
                {"email": nfd, "name": "Åse igjen"},
                {"email": "lenke@asker.kommune.no", "name": "Se www.evil.example"},
            ]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let created = result["created"].as_array().unwrap();
    assert_eq!(created.len(), 1, "{result}");
    assert_eq!(created[0]["email"], nfc);
    let reasons: Vec<&str> = result["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["duplicate_in_file", "invalid_name"], "{result}");
}

#[tokio::test]
async fn the_owner_gets_in_with_a_link_while_wrong_passwords_keep_the_password_sign_in_locked() {
    let app = spawn_app().await;
    let owner = app.create_user(Role::Mentor, "eier@example.no").await;
    let unlocked = |token: &str| {
        app.client
            .post(app.api("/auth/sign-in-link/confirm"))
            .json(&json!({ "token": token }))
            .send()
    };
    // Someone else types ten wrong passwords: even the right one is refused now.
    for _ in 0..10 {
        assert_eq!(
            app.login(&owner.email, "feil passord igjen!")
                .await
                .status(),
            401
        );
    }
    assert_problem(app.login(&owner.email, PASSWORD).await, 429, "rate_limited").await;

    // The owner asks for a link: the same 202 as for an address without an account.
    for email in [owner.email.as_str(), "ingen@example.no"] {
        let asked = app
            .client
            .post(app.api("/auth/sign-in-link"))
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap();
        assert_eq!(asked.status(), 202);
    }
    let mail = app.mail.wait_for(&owner.email, 1).await.remove(0);
    assert!(
        mail.text().contains("/sign-in-link?token="),
        "{}",
        mail.text()
    );
    let token = mail.token();

    // The link signs in, once.
    let signed_in = unlocked(&token).await.unwrap();
    assert_eq!(signed_in.status(), 200);
    let pair: serde_json::Value = signed_in.json().await.unwrap();
    let access = pair["access_token"].as_str().unwrap();
    let me: serde_json::Value = app.get("/me", access).await.json().await.unwrap();
    assert_eq!(me["email"], owner.email.as_str());
    assert_problem(unlocked(&token).await.unwrap(), 410, "link_used").await;
    assert_problem(
        unlocked(&"A".repeat(43)).await.unwrap(),
        404,
        "link_not_found",
    )
    .await;

    // Whoever guessed is still locked out, the right password too, until the window passes.
    assert_problem(
        app.login(&owner.email, "feil passord igjen!").await,
        429,
        "rate_limited",
    )
    .await;
    assert_problem(app.login(&owner.email, PASSWORD).await, 429, "rate_limited").await;

    // A newer link voids the older one; an expired one says so.
    let ask = || {
        app.client
            .post(app.api("/auth/sign-in-link"))
            .json(&json!({ "email": owner.email }))
            .send()
    };
    assert_eq!(ask().await.unwrap().status(), 202);
    let first = app.mail.wait_for(&owner.email, 2).await[1].token();
    assert_eq!(ask().await.unwrap().status(), 202);
    let second = app.mail.wait_for(&owner.email, 3).await[2].token();
    assert_problem(unlocked(&first).await.unwrap(), 410, "link_used").await;
    // Sixteen minutes later.
    app.clock.advance(chrono::Duration::minutes(16));
    assert_problem(unlocked(&second).await.unwrap(), 410, "link_expired").await;
}

#[tokio::test]
async fn a_coordinator_is_not_told_of_another_usht_s_open_invitation() {
    let app = spawn_app().await;
    let (asker_coordinator, asker, lier) = two_ushts(&app).await;
    let lier_usht = usht_of(&app, "3312").await;
    let (_, lier_coordinator) = coordinator_of(&app, &lier_usht).await;
    let invite = |token: &str, municipality: &str| {
        let body =
            json!({"municipality_id": municipality, "invitees": [{"email": "delt@example.no"}]});
        let (token, app) = (token.to_owned(), &app);
        async move {
            let answer: serde_json::Value = app
                .post("/admin/invitations", &token, &body)
                .await
                .json()
                .await
                .unwrap();
            let reasons: Vec<String> = answer["skipped"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["reason"].as_str().unwrap().to_owned())
                .collect();
            (answer["created"].as_array().unwrap().len(), reasons)
        }
    };
    assert_eq!(invite(&asker_coordinator, &asker).await, (1, vec![]));
    // Lier invites the same person as if no one had: nothing of Asker's invitation shows.
    assert_eq!(invite(&lier_coordinator, &lier).await, (1, vec![]));
    // Within one USHT a second open invitation is refused, in another municipality too.
    assert_eq!(
        invite(&asker_coordinator, &asker).await,
        (0, vec!["already_invited".to_owned()])
    );
    let baerum: serde_json::Value = app
        .post(
            "/admin/municipalities",
            &asker_coordinator,
            &json!({"number": "3201", "name": "Bærum"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        invite(&asker_coordinator, baerum["id"].as_str().unwrap()).await,
        (0, vec!["already_invited".to_owned()])
    );

    // The person accepts the invitation they choose; the other link says the account exists.
    let mails = app.mail.wait_for("delt@example.no", 2).await;
    let accept = |token: String| {
        app.client
            .post(app.api("/auth/invitations/accept"))
            .json(&json!({"token": token, "name": "Delt Person", "password": PASSWORD}))
            .send()
    };
    let lier_link = mails
        .iter()
        .find(|m| m.text().contains("Lier"))
        .unwrap()
        .token();
    let asker_link = mails
        .iter()
        .find(|m| m.text().contains("Asker"))
        .unwrap()
        .token();
    assert!(accept(lier_link).await.unwrap().status().is_success());
    assert_problem(accept(asker_link).await.unwrap(), 409, "already_a_user").await;
}

#[tokio::test]
async fn asking_for_links_beyond_the_mail_budget_takes_no_link_away() {
    let app = spawn_app().await;
    let owner = app.create_user(Role::Mentor, "budsjett@example.no").await;
    let ask = |path: &'static str| {
        app.client
            .post(app.api(path))
            .json(&json!({ "email": owner.email }))
            .send()
    };
    assert_eq!(ask("/auth/sign-in-link").await.unwrap().status(), 202);
    let link = app.mail.wait_for(&owner.email, 1).await[0].token();
    // Two resets use up the address's three mails this hour; more links are asked for.
    for path in ["/auth/password-reset", "/auth/password-reset"] {
        assert_eq!(ask(path).await.unwrap().status(), 202);
    }
    app.mail.wait_for(&owner.email, 3).await;
    // The work the answer leaves behind, done here to the end: no new mail, no link taken away.
    for _ in 0..5 {
        mentorsti::auth::service::request_sign_in_link(&app.state, &owner.email)
            .await
            .unwrap();
    }
    let mails = app.count(
        "SELECT count(*) FROM mail_outbox WHERE recipient = 'budsjett@example.no'",
        &[],
    );
    assert_eq!(mails.await, 3);
    let signed_in = app
        .client
        .post(app.api("/auth/sign-in-link/confirm"))
        .json(&json!({ "token": link }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200, "the link in the inbox still works");
}

#[tokio::test]
async fn two_municipalities_of_one_usht_invite_one_address_at_once_and_make_one_invitation() {
    let app = spawn_app().await;
    let (coordinator, asker, lier) = two_ushts(&app).await;
    let lier_usht = usht_of(&app, "3312").await;
    let baerum: serde_json::Value = app
        .post(
            "/admin/municipalities",
            &coordinator,
            &json!({"number": "3201", "name": "Bærum"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let baerum = baerum["id"].as_str().unwrap().to_owned();
    let body = |municipality: &str| json!({"municipality_id": municipality, "invitees": [{"email": "samtidig@example.no"}]});
    let (into_asker, into_baerum) = (body(&asker), body(&baerum));
    let (a, b) = tokio::join!(
        app.post("/admin/invitations", &coordinator, &into_asker),
        app.post("/admin/invitations", &coordinator, &into_baerum),
    );
    let mut created = 0;
    for answer in [a, b] {
        assert_eq!(answer.status(), 201);
        let answer: serde_json::Value = answer.json().await.unwrap();
        created += answer["created"].as_array().unwrap().len();
    }
    assert_eq!(created, 1);

    // Another USHT's expired invitation is left as it is when this USHT invites the address.
    let (_, lier_coordinator) = coordinator_of(&app, &lier_usht).await;
    let later = json!({"municipality_id": lier, "invitees": [{"email": "utlopt@example.no"}]});
    assert_eq!(
        app.post("/admin/invitations", &lier_coordinator, &later)
            .await
            .status(),
        201
    );
    app.clock.advance(chrono::Duration::days(15));
    // Fifteen days on, both coordinators sign in afresh.
    let (_, coordinator) = coordinator_of(&app, &usht_of(&app, "3203").await).await;
    let (_, lier_coordinator) = coordinator_of(&app, &usht_of(&app, "3312").await).await;
    let again = json!({"municipality_id": asker, "invitees": [{"email": "utlopt@example.no"}]});
    assert_eq!(
        app.post("/admin/invitations", &coordinator, &again)
            .await
            .status(),
        201
    );
    let listed: serde_json::Value = app
        .get(
            &format!("/admin/invitations?municipality_id={lier}&status=expired"),
            &lier_coordinator,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["email"], "utlopt@example.no", "{listed}");
}
