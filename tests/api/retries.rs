//! Retries and edits from two devices: `Idempotency-Key` on POST and PUT (one action however
//! often a phone sends it), and `If-Match` on answers and the note draft (a newer text written
//! elsewhere is never overwritten unseen).

use futures_util::future::join_all;
use mentorsti::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, coordinator_of, page_slugs, reflection_question, spawn_app, TestApp,
};
use crate::orgs::{enroll, new_usht};
use crate::webinars::{new_series, ready_mentor};

/// Sends `body` to `path` with `method`, a bearer token and extra headers.
async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.api(path))
        .bearer_auth(token)
        .json(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// The path's first page of module 2 with its question, after module 1 is skipped.
async fn open_page(app: &TestApp, token: &str) -> (String, String) {
    let skipped = app.post("/modules/1/skip", token, &json!({})).await;
    assert_eq!(skipped.status(), 200);
    let path: Value = app.get("/path", token).await.json().await.unwrap();
    let slug = path["modules"][1]["pages"][0]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let page: Value = app
        .get(&format!("/modules/2/pages/{slug}"), token)
        .await
        .json()
        .await
        .unwrap();
    (slug, reflection_question(&page))
}

#[tokio::test]
async fn a_retried_registration_acts_once_and_gets_the_first_answer() {
    let app = spawn_app().await;
    let (_, _, _, series) = new_series(&app, 5).await;
    let url = format!(
        "/webinar-series/{}/registrations",
        series["id"].as_str().unwrap()
    );
    let (mentor, token) = ready_mentor(&app).await;
    let key = [("idempotency-key", "reg-7f3a")];

    let first = send(&app, reqwest::Method::POST, &url, &token, &key, &json!({})).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = send(&app, reqwest::Method::POST, &url, &token, &key, &json!({})).await;
    assert_eq!(
        again.status(),
        201,
        "the first answer, not already_registered"
    );
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert!(again.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM webinar_registrations WHERE user_id = $1",
            &[&mentor.id]
        )
        .await,
        1
    );
    // One confirmation mail, not two.
    let mails = app.mail.wait_for(&mentor.email, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.mail.to(&mentor.email).len(), mails.len());

    // The stored answer is sealed: nothing of it is readable in the database.
    let stored = app
        .sql()
        .await
        .query_one(
            "SELECT status_code, body_ciphertext, key_id FROM idempotency_keys WHERE user_id = $1",
            &[&mentor.id],
        )
        .await
        .unwrap();
    assert_eq!(stored.get::<_, Option<i32>>(0), Some(201));
    let sealed: Vec<u8> = stored.get(1);
    assert!(!String::from_utf8_lossy(&sealed).contains("confirmed"));

    // Without a key, the same request is a new one and the rules answer.
    assert_problem(
        app.post(&url, &token, &json!({})).await,
        409,
        "already_registered",
    )
    .await;
}

#[tokio::test]
async fn concurrent_repeats_of_one_key_act_once() {
    let app = spawn_app().await;
    let (_, _, _, series) = new_series(&app, 5).await;
    let url = format!(
        "/webinar-series/{}/registrations",
        series["id"].as_str().unwrap()
    );
    let (mentor, token) = ready_mentor(&app).await;
    let empty = json!({});
    let answers = join_all((0..12).map(|_| {
        send(
            &app,
            reqwest::Method::POST,
            &url,
            &token,
            &[("idempotency-key", "same-tap")],
            &empty,
        )
    }))
    .await;
    let mut created = Vec::new();
    let mut running = 0;
    for answer in answers {
        match answer.status().as_u16() {
            201 => created.push(answer.json::<Value>().await.unwrap()),
            409 => {
                assert_eq!(answer.headers()["retry-after"], "1");
                let problem: Value = answer.json().await.unwrap();
                assert_eq!(problem["code"], "conflict", "{problem}");
                running += 1;
            }
            other => panic!("unexpected {other}: {}", answer.text().await.unwrap()),
        }
    }
    assert!(!created.is_empty());
    assert!(created.iter().all(|c| *c == created[0]), "{created:?}");
    assert_eq!(created.len() + running, 12);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM webinar_registrations WHERE user_id = $1",
            &[&mentor.id]
        )
        .await,
        1
    );
    // Once the first has answered, every repeat gets its answer.
    let later = send(
        &app,
        reqwest::Method::POST,
        &url,
        &token,
        &[("idempotency-key", "same-tap")],
        &json!({}),
    )
    .await;
    assert_eq!(later.status(), 201);
    assert_eq!(later.json::<Value>().await.unwrap(), created[0]);
}

#[tokio::test]
async fn a_key_belongs_to_its_account_and_its_request() {
    let app = spawn_app().await;
    let (me, token) = app.user_with_token(Role::Mentor).await;
    let (slug, question) = open_page(&app, &token).await;
    let url = format!("/modules/2/pages/{slug}/answers/{question}");
    let key = [("idempotency-key", "answer-1")];
    let private = json!({"text": "Det jeg skrev om beboeren i går."});
    let first = send(&app, reqwest::Method::PUT, &url, &token, &key, &private).await;
    assert_eq!(first.status(), 200);

    // The same key with another body, or on another path, is refused and acts not.
    let other = json!({"text": "Noe annet."});
    let refused = send(&app, reqwest::Method::PUT, &url, &token, &key, &other).await;
    let problem = assert_problem(refused, 422, "validation_failed").await;
    assert_eq!(
        problem["errors"][0]["field"], "Idempotency-Key",
        "{problem}"
    );
    let elsewhere = send(
        &app,
        reqwest::Method::POST,
        "/modules/1/skip",
        &token,
        &key,
        &json!({}),
    )
    .await;
    assert_problem(elsewhere, 422, "validation_failed").await;
    let answers: Value = app.get_json("/me/answers", &token).await;
    assert_eq!(answers[0]["text"], private["text"]);

    // Another account sending the same key runs its own request and never sees the first's answer.
    let (_, stranger) = app.user_with_token(Role::Mentor).await;
    let (slug2, question2) = open_page(&app, &stranger).await;
    let theirs = send(
        &app,
        reqwest::Method::PUT,
        &format!("/modules/2/pages/{slug2}/answers/{question2}"),
        &stranger,
        &key,
        &json!({"text": "Mitt eget svar."}),
    )
    .await;
    assert_eq!(theirs.status(), 200);
    assert!(theirs.headers().get("idempotent-replayed").is_none());
    let body = theirs.text().await.unwrap();
    assert!(
        body.contains("Mitt eget svar.") && !body.contains("beboeren"),
        "{body}"
    );
    // Even the first account's exact request, sent with the stranger's token, is the stranger's.
    let copied = send(&app, reqwest::Method::PUT, &url, &stranger, &key, &private).await;
    assert_problem(copied, 422, "validation_failed").await;

    // Malformed keys are refused before anything runs.
    for bad in ["", "   ", &"k".repeat(201)] {
        let response = send(
            &app,
            reqwest::Method::PUT,
            &url,
            &token,
            &[("idempotency-key", bad)],
            &other,
        )
        .await;
        assert_problem(response, 422, "validation_failed").await;
    }
    let answers: Value = app.get_json("/me/answers", &token).await;
    assert_eq!(answers[0]["text"], private["text"]);

    // A day later the key is free again.
    app.clock.advance(chrono::Duration::hours(25));
    let token = app
        .state
        .tokens
        .issue_access(me.id, Role::Mentor, 1, app.state.clock.now());
    let fresh = send(&app, reqwest::Method::PUT, &url, &token, &key, &other).await;
    assert_eq!(fresh.status(), 200);
    assert!(fresh.headers().get("idempotent-replayed").is_none());
}

#[tokio::test]
async fn refusals_after_which_a_retry_may_act_are_not_replayed() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let (slug, question) = open_page(&app, &token).await;
    let url = format!("/modules/2/pages/{slug}/answers/{question}");
    let saved = app
        .put(&url, &token, &json!({"text": "Første utkast."}))
        .await;
    let etag = saved.headers()["etag"].to_str().unwrap().to_owned();
    app.put(&url, &token, &json!({"text": "Skrevet på nettbrettet."}))
        .await;

    // A stale If-Match is refused (412); the retry with the current tag and the same key runs.
    let body = json!({"text": "Skrevet på telefonen."});
    let key = ("idempotency-key", "phone-42");
    let stale = send(
        &app,
        reqwest::Method::PUT,
        &url,
        &token,
        &[key, ("if-match", &etag)],
        &body,
    )
    .await;
    assert_problem(stale, 412, "precondition_failed").await;
    let current: Value = app.get_json("/me/answers", &token).await;
    let current_tag = current[0]["etag"].as_str().unwrap().to_owned();
    let retried = send(
        &app,
        reqwest::Method::PUT,
        &url,
        &token,
        &[key, ("if-match", &current_tag)],
        &body,
    )
    .await;
    assert_eq!(retried.status(), 200);
    assert!(retried.headers().get("idempotent-replayed").is_none());
    let answers: Value = app.get_json("/me/answers", &token).await;
    assert_eq!(answers[0]["text"], "Skrevet på telefonen.");
}

#[tokio::test]
async fn answers_carry_a_version_and_a_stale_one_is_refused_with_the_current_text() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let (slug, question) = open_page(&app, &token).await;
    let url = format!("/modules/2/pages/{slug}/answers/{question}");

    // A first answer written on this device: only if none is there yet.
    let first = send(
        &app,
        reqwest::Method::PUT,
        &url,
        &token,
        &[("if-none-match", "*")],
        &json!({"text": "Telefon, morgen."}),
    )
    .await;
    assert_eq!(first.status(), 200);
    let phone_tag = first.headers()["etag"].to_str().unwrap().to_owned();
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["etag"], phone_tag.as_str());
    let listed: Value = app.get_json("/me/answers", &token).await;
    assert_eq!(listed[0]["etag"], phone_tag.as_str());

    // The tablet saves on top of the version it read.
    let tablet = send(
        &app,
        reqwest::Method::PUT,
        &url,
        &token,
        &[("if-match", &phone_tag)],
        &json!({"text": "Nettbrett, kveld."}),
    )
    .await;
    assert_eq!(tablet.status(), 200);
    let tablet_tag = tablet.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(tablet_tag, phone_tag);

    // The phone, still on the morning's version, is refused and shown the evening's.
    let stale = send(
        &app,
        reqwest::Method::PUT,
        &url,
        &token,
        &[("if-match", &phone_tag)],
        &json!({"text": "Telefon, senere."}),
    )
    .await;
    let problem = assert_problem(stale, 412, "precondition_failed").await;
    assert_eq!(problem["current"]["text"], "Nettbrett, kveld.");
    assert_eq!(problem["current"]["etag"], tablet_tag.as_str());
    assert!(problem["current"]["updated_at"].is_string());
    let again = send(
        &app,
        reqwest::Method::PUT,
        &url,
        &token,
        &[("if-none-match", "*")],
        &json!({"text": "Ny start."}),
    )
    .await;
    let problem = assert_problem(again, 412, "precondition_failed").await;
    assert_eq!(problem["current"]["text"], "Nettbrett, kveld.");
    // A question with no answer yet: If-Match names nothing there.
    let missing = send(
        &app,
        reqwest::Method::PUT,
        &url.replace(&question, "no-such-question"),
        &token,
        &[("if-match", "\"r1\"")],
        &json!({"text": "x"}),
    )
    .await;
    assert_eq!(missing.status(), 404);
    let listed: Value = app.get_json("/me/answers", &token).await;
    assert_eq!(
        listed[0]["text"], "Nettbrett, kveld.",
        "nothing was overwritten"
    );

    // A malformed condition is refused; no condition writes as before.
    for bad in ["r2", "\"r2", ","] {
        let response = send(
            &app,
            reqwest::Method::PUT,
            &url,
            &token,
            &[("if-match", bad)],
            &json!({"text": "x"}),
        )
        .await;
        assert_problem(response, 422, "validation_failed").await;
    }
    let plain = app
        .put(&url, &token, &json!({"text": "Uten vilkår."}))
        .await;
    assert_eq!(plain.status(), 200);
    let any = send(
        &app,
        reqwest::Method::PUT,
        &url,
        &token,
        &[("if-match", "*")],
        &json!({"text": "Finnes."}),
    )
    .await;
    assert_eq!(any.status(), 200);
    assert_eq!(any.json::<Value>().await.unwrap()["etag"], "\"r4\"");
}

#[tokio::test]
async fn concurrent_first_answers_with_if_none_match_let_one_win() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let (slug, question) = open_page(&app, &token).await;
    let url = format!("/modules/2/pages/{slug}/answers/{question}");
    let answers = join_all((0..8).map(|i| {
        let body = json!({"text": format!("Enhet {i}")});
        let url = url.clone();
        let token = token.clone();
        let app = &app;
        async move {
            send(
                app,
                reqwest::Method::PUT,
                &url,
                &token,
                &[("if-none-match", "*")],
                &body,
            )
            .await
            .status()
            .as_u16()
        }
    }))
    .await;
    assert_eq!(
        answers.iter().filter(|s| **s == 200).count(),
        1,
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|s| [200, 409, 412].contains(s)),
        "{answers:?}"
    );
}

#[tokio::test]
async fn the_note_draft_carries_a_version_too() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let none: Value = app.get_json("/me/reflection-note", &token).await;
    assert!(none["etag"].is_null());

    let first = send(
        &app,
        reqwest::Method::PUT,
        "/me/reflection-note",
        &token,
        &[("if-none-match", "*")],
        &json!({"body": "Utkast fra telefonen."}),
    )
    .await;
    assert_eq!(first.status(), 200);
    let phone_tag = first.headers()["etag"].to_str().unwrap().to_owned();
    let got = app.get("/me/reflection-note", &token).await;
    assert_eq!(got.headers()["etag"].to_str().unwrap(), phone_tag);

    let pc = send(
        &app,
        reqwest::Method::PUT,
        "/me/reflection-note",
        &token,
        &[("if-match", &phone_tag)],
        &json!({"body": "Utkast fra PC-en på vaktrommet."}),
    )
    .await;
    assert_eq!(pc.status(), 200);
    let stale = send(
        &app,
        reqwest::Method::PUT,
        "/me/reflection-note",
        &token,
        &[("if-match", &phone_tag)],
        &json!({"body": "Telefonen igjen."}),
    )
    .await;
    let problem = assert_problem(stale, 412, "precondition_failed").await;
    assert_eq!(
        problem["current"]["body"],
        "Utkast fra PC-en på vaktrommet."
    );
    assert_eq!(problem["current"]["status"], "draft");
    assert!(problem["current"]["updated_at"].is_string());
    let note: Value = app.get_json("/me/reflection-note", &token).await;
    assert_eq!(note["body"], "Utkast fra PC-en på vaktrommet.");
    let versions: Value = app.get_json("/me/reflection-note/versions", &token).await;
    assert_eq!(
        versions.as_array().unwrap().len(),
        1,
        "a refused save leaves no version"
    );
}

#[tokio::test]
async fn completions_sent_late_are_judged_in_the_order_they_arrive() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let path: Value = app.get_json("/path", &token).await;
    let pages: Vec<String> = page_slugs(&path, 0);
    let complete = |slug: &str, key: &str| {
        let url = format!("/modules/1/pages/{slug}/completion");
        let key = key.to_owned();
        let token = token.clone();
        let app = &app;
        async move {
            send(
                app,
                reqwest::Method::PUT,
                &url,
                &token,
                &[("idempotency-key", &key)],
                &json!({}),
            )
            .await
        }
    };
    // The second page before the first (an outbox out of order) is refused as today.
    assert_problem(complete(&pages[1], "c-2").await, 403, "page_locked").await;
    // In order, and each sent twice (the network dropped the first answer), they count once.
    for (slug, key) in [
        (&pages[0], "c-1"),
        (&pages[0], "c-1"),
        (&pages[1], "c-2b"),
        (&pages[1], "c-2b"),
    ] {
        assert_eq!(complete(slug, key).await.status(), 200);
    }
    let path: Value = app.get_json("/path", &token).await;
    assert_eq!(path["modules"][0]["pages"][0]["status"], "completed");
    assert_eq!(path["modules"][0]["pages"][1]["status"], "completed");
    assert_eq!(
        app.count("SELECT count(*) FROM page_completions", &[])
            .await,
        2
    );
}

#[tokio::test]
async fn a_retried_invitation_sends_one_mail() {
    let app = spawn_app().await;
    let (_, usht) = new_usht(&app, "USHT Vestfold").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    let asker = enroll(&app, &coordinator, "3203", "Asker").await;
    let body =
        json!({"municipality_id": asker, "invitees": [{"email": "ny.mentor@asker.kommune.no"}]});
    let key = [("idempotency-key", "invite-batch-1")];
    let first = send(
        &app,
        reqwest::Method::POST,
        "/admin/invitations",
        &coordinator,
        &key,
        &body,
    )
    .await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(
        &app,
        reqwest::Method::POST,
        "/admin/invitations",
        &coordinator,
        &key,
        &body,
    )
    .await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    app.mail.wait_for("ny.mentor@asker.kommune.no", 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.mail.to("ny.mentor@asker.kommune.no").len(), 1);
    assert_eq!(app.count("SELECT count(*) FROM invitations", &[]).await, 1);
}

#[tokio::test]
async fn a_claim_left_by_a_request_that_never_answered_lapses() {
    let app = spawn_app().await;
    let (me, token) = app.user_with_token(Role::Mentor).await;
    let (slug, question) = open_page(&app, &token).await;
    let url = format!("/modules/2/pages/{slug}/answers/{question}");
    let key = [("idempotency-key", "crash-1")];
    let body = json!({"text": "Skrevet før strømmen gikk."});
    assert_eq!(
        send(&app, reqwest::Method::PUT, &url, &token, &key, &body)
            .await
            .status(),
        200
    );

    // As if the process stopped after the write and before keeping its answer: the claim is
    // still there, unanswered. While it holds, a repeat is told the first is still running.
    let sql = app.sql().await;
    sql.execute(
        "UPDATE idempotency_keys SET status_code = NULL, body_ciphertext = NULL, key_id = NULL, \
         headers = '{}', locked_until = $2 WHERE user_id = $1",
        &[
            &me.id,
            &(app.state.clock.now() + chrono::Duration::seconds(30)),
        ],
    )
    .await
    .unwrap();
    let running = send(&app, reqwest::Method::PUT, &url, &token, &key, &body).await;
    assert_eq!(running.headers()["retry-after"], "1");
    assert_problem(running, 409, "conflict").await;

    // Once it has lapsed, the same request runs again (another one under the key still may not).
    app.clock.advance(chrono::Duration::seconds(61));
    let token = app
        .state
        .tokens
        .issue_access(me.id, Role::Mentor, 1, app.state.clock.now());
    let other = send(
        &app,
        reqwest::Method::PUT,
        &url,
        &token,
        &key,
        &json!({"text": "Noe annet."}),
    )
    .await;
    assert_problem(other, 422, "validation_failed").await;
    let again = send(&app, reqwest::Method::PUT, &url, &token, &key, &body).await;
    assert_eq!(again.status(), 200);
    assert!(again.headers().get("idempotent-replayed").is_none());
    let replayed = send(&app, reqwest::Method::PUT, &url, &token, &key, &body).await;
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
}
