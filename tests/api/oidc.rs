//! Signing in through OpenID Connect providers (ID-porten, Feide, …), against a real provider
//! behind a relay that can forge its id_tokens (`oidc_rig`).

use std::collections::HashMap;

use chrono::Duration;
use mentorsti::auth::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{assert_problem, coordinator_of, spawn_app_with, TestApp, PASSWORD};
use crate::oidc_rig::{OidcRig, Signer};
use crate::orgs::{enroll, new_usht};

const COOKIE: &str = "mentorsti_oidc";

/// A flow begun at `start`: where the browser goes, and the cookie it was given.
struct Flow {
    authorize_url: String,
    cookie: String,
}

impl Flow {
    fn param(&self, name: &str) -> String {
        param(&url::Url::parse(&self.authorize_url).unwrap(), name)
            .unwrap_or_else(|| panic!("{} has no {name}", self.authorize_url))
    }
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The `mentorsti_oidc` cookie an answer sets, as a Cookie header sends it back.
fn cookie_of(response: &reqwest::Response) -> String {
    let set_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with(&format!("{COOKIE}=")))
        .unwrap_or_else(|| panic!("no {COOKIE} cookie in {:?}", response.headers()));
    set_cookie.split(';').next().unwrap().trim().to_owned()
}

/// Where a 302 answer sends the browser.
fn location(response: &reqwest::Response) -> url::Url {
    assert_eq!(response.status(), 302, "{:?}", response.headers());
    url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

/// The same path and query on the app under test (the provider sends the browser to
/// PUBLIC_BASE_URL, which is not where the test app listens).
fn on_app(app: &TestApp, url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    assert_eq!(url.origin().ascii_serialization(), "http://mentorsti.test");
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    app.url(&format!("{}{query}", url.path()))
}

async fn start(app: &TestApp, provider: &str, query: &str) -> reqwest::Response {
    app.client
        .get(app.api(&format!("/auth/oidc/{provider}/start?{query}")))
        .send()
        .await
        .unwrap()
}

async fn begin(app: &TestApp, provider: &str, query: &str) -> Flow {
    let response = start(app, provider, query).await;
    Flow {
        authorize_url: location(&response).to_string(),
        cookie: cookie_of(&response),
    }
}

/// The browser coming back from the provider, with the headers given (a Cookie, an Accept).
async fn callback(app: &TestApp, redirect: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(on_app(app, redirect));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn exchange(app: &TestApp, code: &str, cookie: &str) -> reqwest::Response {
    app.client
        .post(app.api("/auth/oidc/exchange"))
        .header("cookie", cookie)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
}

/// Through the provider as `sub` and back: the callback's answer, and the flow.
async fn through_provider(
    app: &TestApp,
    rig: &OidcRig,
    provider: &str,
    sub: &str,
    query: &str,
) -> (reqwest::Response, Flow) {
    let flow = begin(app, provider, query).await;
    let redirect = rig.authorize(&app.client, &flow.authorize_url, sub).await;
    let answer = callback(app, &redirect, &[("cookie", &flow.cookie)]).await;
    (answer, flow)
}

/// The one-time code a successful callback hands the client, after checking where it goes.
fn handoff_code(response: &reqwest::Response, next: &str) -> String {
    let target = location(response);
    assert_eq!(
        target.as_str().split('?').next().unwrap(),
        "http://mentorsti.test/sign-in/complete"
    );
    assert_eq!(param(&target, "next").as_deref(), Some(next), "{target}");
    assert_eq!(param(&target, "error"), None, "{target}");
    param(&target, "code").unwrap_or_else(|| panic!("no code in {target}"))
}

/// A whole sign-in through the provider as `sub`: the token pair.
async fn sign_in(app: &TestApp, rig: &OidcRig, provider: &str, sub: &str, query: &str) -> Value {
    let (answer, flow) = through_provider(app, rig, provider, sub, query).await;
    let code = handoff_code(&answer, "/kurs");
    let response = exchange(app, &code, &flow.cookie).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn access(pair: &Value) -> &str {
    pair["access_token"].as_str().unwrap()
}

async fn users(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM users", &[]).await
}

async fn identities(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM oidc_identities", &[]).await
}

/// An account with a password whose `subject` at `provider` is already linked to it.
async fn linked_account(app: &TestApp, provider: &str, subject: &str) -> Uuid {
    let email = format!("{subject}@example.no");
    let account = app.create_user(Role::Mentor, &email).await;
    app.sql()
        .await
        .execute(
            "INSERT INTO oidc_identities (user_id, provider, subject) VALUES ($1, $2, $3)",
            &[&account.id, &provider, &subject],
        )
        .await
        .unwrap();
    account.id
}

async fn me_id(app: &TestApp, pair: &Value) -> String {
    app.get_json("/me", access(pair)).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Spawns the app with the rig as `idporten` (ID-porten), `adjust` changing the rest.
async fn spawn_with(rig: &OidcRig, adjust: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    spawn_app_with(|vars| {
        rig.configure(vars, "idporten", "ID-porten");
        adjust(vars);
    })
    .await
}

#[tokio::test]
async fn an_invited_mentor_joins_through_the_provider_and_comes_back_without_a_password() {
    let rig = OidcRig::start().await;
    let app = spawn_with(&rig, |_| {}).await;
    let providers: Value = app
        .client
        .get(app.api("/auth/oidc/providers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        providers,
        json!([{"name": "idporten", "label": "ID-porten"}])
    );

    let (_, usht) = new_usht(&app, "USHT Asker").await;
    let (coordinator_account, coordinator) = coordinator_of(&app, &usht).await;
    let asker = enroll(&app, &coordinator, "3203", "Asker").await;
    let email = "ola.mentor@asker.kommune.no";
    let invited = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({"municipality_id": asker, "invitees": [{"email": email, "name": "Ola Nordmann"}]}),
        )
        .await;
    assert_eq!(invited.status(), 201);
    let invitation = app.mail.wait_for(email, 1).await[0].token();
    rig.set_user(
        "ola-pid",
        json!({"email": "ola@privat.example.no", "email_verified": true, "name": "Ola Nordmann"}),
    )
    .await;

    // The start sends the browser to the provider with everything a code flow needs.
    let response = start(
        &app,
        "idporten",
        &format!("next=/kurs&invitation={invitation}"),
    )
    .await;
    let authorize = location(&response);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["Path=/api/v1;", "HttpOnly", "SameSite=Lax"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "no Secure over http: {set_cookie}"
    );
    let flow = Flow {
        authorize_url: authorize.to_string(),
        cookie: cookie_of(&response),
    };
    assert!(flow
        .authorize_url
        .starts_with(&format!("{}/oauth2/authorize?", rig.issuer())));
    assert_eq!(flow.param("response_type"), "code");
    assert_eq!(flow.param("client_id"), "mentorsti-idporten");
    assert_eq!(
        flow.param("redirect_uri"),
        "http://mentorsti.test/api/v1/auth/oidc/idporten/callback"
    );
    let scope = flow.param("scope");
    assert!(scope.split(' ').any(|s| s == "openid"), "{scope}");
    assert_eq!(flow.param("code_challenge_method"), "S256");
    assert!(flow.param("code_challenge").len() >= 43);
    assert!(flow.param("state").len() >= 16 && flow.param("nonce").len() >= 16);
    assert!(!flow.authorize_url.contains("acr_values"));
    rig.set_user(
        "noen-andre",
        json!({"email": "noen@example.no", "email_verified": true}),
    )
    .await;
    let second = begin(
        &app,
        "idporten",
        &format!("next=/kurs&invitation={invitation}"),
    )
    .await;

    let redirect = rig
        .authorize(&app.client, &flow.authorize_url, "ola-pid")
        .await;
    let answer = callback(&app, &redirect, &[("cookie", &flow.cookie)]).await;
    let code = handoff_code(&answer, "/kurs");
    // The provider was asked with the flow's nonce, for our client.
    let claims = rig.last_claims();
    assert_eq!(claims["nonce"], flow.param("nonce"));
    assert_eq!(claims["aud"], json!(["mentorsti-idporten"]));
    let response = exchange(&app, &code, &flow.cookie).await;
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    // The same token pair as a sign-in with a password gives.
    let password_pair: Value = app
        .login(&coordinator_account.email, PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let keys = |pair: &Value| {
        pair.as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&pair), keys(&password_pair));
    assert_eq!(pair["token_type"], "Bearer");

    // The account is the invitation's: its address, role and municipality; no password.
    let me = app.get_json("/me", access(&pair)).await;
    assert_eq!(me["email"], email);
    assert_eq!(me["role"], "mentor");
    assert_eq!(me["municipality"]["number"], "3203");
    assert_eq!(me["name"], "Ola Nordmann");
    let id = me["id"].as_str().unwrap().to_owned();
    assert_problem(app.login(email, PASSWORD).await, 401, "unauthorized").await;
    let refreshed = app
        .client
        .post(app.api("/auth/refresh"))
        .json(&json!({"refresh_token": pair["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);
    // The invitation is spent: another person at the provider, who began with the same link,
    // cannot use it, and nobody can begin with it now.
    let redirect = rig
        .authorize(&app.client, &second.authorize_url, "noen-andre")
        .await;
    let answer = callback(&app, &redirect, &[("cookie", &second.cookie)]).await;
    assert_problem(answer, 410, "invitation_used").await;
    let query = format!("next=/kurs&invitation={invitation}");
    assert_problem(
        start(&app, "idporten", &query).await,
        410,
        "invitation_used",
    )
    .await;

    // Back another day: the same subject signs into the same account.
    let pair = sign_in(&app, &rig, "idporten", "ola-pid", "next=/kurs").await;
    assert_eq!(me_id(&app, &pair).await, id);
    let token = access(&pair).to_owned();
    let listed = app.get_json("/me/identities", &token).await;
    assert_eq!(listed["has_password"], false);
    let linked = listed["identities"].as_array().unwrap();
    assert_eq!(linked.len(), 1, "{listed}");
    assert_eq!(linked[0]["provider"], "idporten");
    assert_eq!(linked[0]["label"], "ID-porten");
    assert!(linked[0]["linked_at"].is_string());
    assert!(linked[0]["last_used_at"].is_string());
    let export = app.get_json("/me/export", &token).await;
    let exported = export["sign_in_identities"].as_array().unwrap();
    assert_eq!(exported.len(), 1, "{export}");
    assert_eq!(exported[0]["provider"], "idporten");
    assert!(exported[0]["linked_at"].is_string());
    // Without a password the provider is the only way in, so it stays.
    assert_problem(
        app.delete("/me/identities/idporten", &token).await,
        409,
        "last_sign_in_method",
    )
    .await;

    // Erasing the account confirms by a recent sign-in through the provider, and ends the link.
    let erase = |token: String| {
        let app = &app;
        async move {
            app.client
                .delete(app.api("/me"))
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
        }
    };
    app.clock.advance(Duration::minutes(11));
    assert_problem(erase(token.clone()).await, 403, "reauthentication_required").await;
    let pair = sign_in(&app, &rig, "idporten", "ola-pid", "next=/kurs").await;
    assert_eq!(erase(access(&pair).to_owned()).await.status(), 204);
    assert_eq!(identities(&app).await, 0);
    let (answer, _) = through_provider(&app, &rig, "idporten", "ola-pid", "next=/kurs").await;
    assert_problem(answer, 403, "identity_not_linked").await;
    assert_eq!(users(&app).await, 3);
}

#[tokio::test]
async fn a_verified_address_signs_into_an_existing_account_only_from_a_trusted_provider() {
    let rig = OidcRig::start().await;
    let app = spawn_with(&rig, |vars| {
        vars.insert("OIDC_IDPORTEN_TRUST_EMAIL".into(), "true".into());
        rig.configure(vars, "feide", "Feide");
    })
    .await;
    let kari = app.create_user(Role::Mentor, "kari@asker.kommune.no").await;
    let per = app.create_user(Role::Mentor, "per@asker.kommune.no").await;
    rig.set_user(
        "kari-pid",
        json!({"email": "Kari@Asker.kommune.no", "email_verified": true, "name": "Kari"}),
    )
    .await;
    rig.set_user(
        "per-pid",
        json!({"email": "per@asker.kommune.no", "email_verified": false, "name": "Per"}),
    )
    .await;

    // Feide is not trusted with addresses (the default).
    let (answer, _) = through_provider(&app, &rig, "feide", "kari-pid", "next=/kurs").await;
    assert_problem(answer, 403, "identity_not_linked").await;
    // ID-porten is, but only with addresses it says it has verified.
    let (answer, _) = through_provider(&app, &rig, "idporten", "per-pid", "next=/kurs").await;
    assert_problem(answer, 403, "identity_not_linked").await;
    assert_eq!(identities(&app).await, 0);

    let pair = sign_in(&app, &rig, "idporten", "kari-pid", "next=/kurs").await;
    assert_eq!(me_id(&app, &pair).await, kari.id.to_string());
    let listed = app.get_json("/me/identities", access(&pair)).await;
    assert_eq!(listed["has_password"], true);
    assert_eq!(listed["identities"][0]["provider"], "idporten");
    assert_eq!(listed["identities"].as_array().unwrap().len(), 1);
    // Linked now: the next sign-in needs no address at all.
    rig.set_user("kari-pid", json!({})).await;
    let pair = sign_in(&app, &rig, "idporten", "kari-pid", "next=/kurs").await;
    assert_eq!(me_id(&app, &pair).await, kari.id.to_string());
    assert_eq!(
        app.count(
            "SELECT count(*) FROM oidc_identities WHERE user_id = $1",
            &[&per.id]
        )
        .await,
        0
    );
    assert_eq!(users(&app).await, 2);
}

/// Starts linking `provider` from the profile of the person signed in with `token`.
async fn link_from_profile(app: &TestApp, token: &str, provider: &str) -> Flow {
    let response = app
        .post(
            &format!("/me/identities/{provider}/start"),
            token,
            &json!({"next": "/profile"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let cookie = cookie_of(&response);
    let body: Value = response.json().await.unwrap();
    Flow {
        authorize_url: body["authorize_url"].as_str().unwrap().to_owned(),
        cookie,
    }
}

#[tokio::test]
async fn people_link_the_provider_from_their_profile_and_unlink_it_again() {
    let rig = OidcRig::start().await;
    let app = spawn_with(&rig, |_| {}).await;
    let (anne, anne_token) = app.user_with_token(Role::Mentor).await;
    let (_, bjorn_token) = app.user_with_token(Role::Mentor).await;
    rig.set_user("anne-pid", json!({"name": "Anne"})).await;

    // Not linked yet: the provider signs nobody in.
    let (answer, _) = through_provider(&app, &rig, "idporten", "anne-pid", "next=/kurs").await;
    assert_problem(answer, 403, "identity_not_linked").await;

    let flow = link_from_profile(&app, &anne_token, "idporten").await;
    assert_eq!(flow.param("client_id"), "mentorsti-idporten");
    let redirect = rig
        .authorize(&app.client, &flow.authorize_url, "anne-pid")
        .await;
    let answer = callback(&app, &redirect, &[("cookie", &flow.cookie)]).await;
    let target = location(&answer);
    assert_eq!(
        target.as_str().split('?').next().unwrap(),
        "http://mentorsti.test/sign-in/complete"
    );
    assert_eq!(param(&target, "linked").as_deref(), Some("idporten"));
    assert_eq!(param(&target, "next").as_deref(), Some("/profile"));
    assert_eq!(param(&target, "code"), None);
    let listed = app.get_json("/me/identities", &anne_token).await;
    assert_eq!(listed["identities"][0]["provider"], "idporten");

    // Now the provider signs Anne in.
    let pair = sign_in(&app, &rig, "idporten", "anne-pid", "next=/kurs").await;
    assert_eq!(me_id(&app, &pair).await, anne.id.to_string());

    // The same person at the provider cannot be linked to a second account.
    let flow = link_from_profile(&app, &bjorn_token, "idporten").await;
    let redirect = rig
        .authorize(&app.client, &flow.authorize_url, "anne-pid")
        .await;
    let answer = callback(&app, &redirect, &[("cookie", &flow.cookie)]).await;
    assert_problem(answer, 409, "identity_taken").await;
    let listed = app.get_json("/me/identities", &bjorn_token).await;
    assert_eq!(listed["identities"], json!([]));

    // Anne has a password, so she may unlink; then the provider signs nobody in again.
    let unlinked = app.delete("/me/identities/idporten", &anne_token).await;
    assert_eq!(unlinked.status(), 204);
    assert_problem(
        app.delete("/me/identities/idporten", &anne_token).await,
        404,
        "identity_not_found",
    )
    .await;
    let (answer, _) = through_provider(&app, &rig, "idporten", "anne-pid", "next=/kurs").await;
    assert_problem(answer, 403, "identity_not_linked").await;
    assert_eq!(identities(&app).await, 0);
}

#[tokio::test]
async fn mentors_enrol_themselves_through_a_provider_trusted_with_their_address() {
    let rig = OidcRig::start().await;
    let app = spawn_with(&rig, |vars| {
        vars.insert("OIDC_IDPORTEN_TRUST_EMAIL".into(), "true".into());
        rig.configure(vars, "feide", "Feide");
    })
    .await;
    let (_, usht) = new_usht(&app, "USHT Asker").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    enroll(&app, &coordinator, "3203", "Asker").await;
    let before = users(&app).await;
    rig.set_user(
        "liv-pid",
        json!({"email": "liv@asker.kommune.no", "email_verified": true, "given_name": "Liv", "family_name": "Selv"}),
    )
    .await;
    rig.set_user(
        "uverifisert",
        json!({"email": "uten@asker.kommune.no", "email_verified": false, "name": "Uten"}),
    )
    .await;

    // A municipality that has not enrolled: refused at the start or at the callback.
    let response = start(&app, "idporten", "next=/kurs&municipality=3312").await;
    let refused = if response.status() == 302 {
        let flow = Flow {
            authorize_url: location(&response).to_string(),
            cookie: cookie_of(&response),
        };
        let redirect = rig
            .authorize(&app.client, &flow.authorize_url, "liv-pid")
            .await;
        callback(&app, &redirect, &[("cookie", &flow.cookie)]).await
    } else {
        response
    };
    let problem = assert_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "municipality", "{problem}");
    // No address the provider vouches for: from an untrusted provider, or unverified.
    let (answer, _) = through_provider(
        &app,
        &rig,
        "feide",
        "liv-pid",
        "next=/kurs&municipality=3203",
    )
    .await;
    assert_problem(answer, 403, "email_not_provided").await;
    let (answer, _) = through_provider(
        &app,
        &rig,
        "idporten",
        "uverifisert",
        "next=/kurs&municipality=3203",
    )
    .await;
    assert_problem(answer, 403, "email_not_provided").await;
    assert_eq!(users(&app).await, before);

    let pair = sign_in(
        &app,
        &rig,
        "idporten",
        "liv-pid",
        "next=/kurs&municipality=3203",
    )
    .await;
    let me = app.get_json("/me", access(&pair)).await;
    assert_eq!(me["email"], "liv@asker.kommune.no");
    assert_eq!(me["name"], "Liv Selv");
    assert_eq!(me["role"], "mentor");
    assert_eq!(me["municipality"]["number"], "3203");
    let self_enrolled: bool = app
        .sql()
        .await
        .query_one(
            "SELECT self_enrolled FROM users WHERE email = 'liv@asker.kommune.no'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(self_enrolled);
    assert_eq!(users(&app).await, before + 1);
    assert_eq!(identities(&app).await, 1);
}

#[tokio::test]
async fn callbacks_and_codes_work_once_for_the_browser_that_began_them() {
    let rig = OidcRig::start().await;
    let app = spawn_with(&rig, |_| {}).await;
    let id = linked_account(&app, "idporten", "kjent").await;
    rig.set_user(
        "fremmed",
        json!({"email": "fremmed@example.no", "email_verified": true}),
    )
    .await;
    let before = users(&app).await;

    // Where the start may send the browser afterwards, and which providers there are.
    for next in [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "kurs",
    ] {
        let query = format!("next={}", urlencode(next));
        assert_problem(
            start(&app, "idporten", &query).await,
            422,
            "validation_failed",
        )
        .await;
    }
    assert_problem(
        start(&app, "nope", "next=/kurs").await,
        404,
        "provider_not_found",
    )
    .await;

    // A callback is taken once, and only with the cookie of the browser that began it.
    let flow = begin(&app, "idporten", "next=/kurs").await;
    let redirect = rig
        .authorize(&app.client, &flow.authorize_url, "kjent")
        .await;
    assert_problem(
        callback(&app, &redirect, &[]).await,
        400,
        "oidc_state_invalid",
    )
    .await;
    let other = format!("{COOKIE}=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_problem(
        callback(&app, &redirect, &[("cookie", &other)]).await,
        400,
        "oidc_state_invalid",
    )
    .await;
    let flow = begin(&app, "idporten", "next=/kurs").await;
    let redirect = rig
        .authorize(&app.client, &flow.authorize_url, "kjent")
        .await;
    let answer = callback(&app, &redirect, &[("cookie", &flow.cookie)]).await;
    let code = handoff_code(&answer, "/kurs");
    assert_problem(
        callback(&app, &redirect, &[("cookie", &flow.cookie)]).await,
        400,
        "oidc_state_invalid",
    )
    .await;
    // A browser is told on the sign-in page instead.
    let answer = callback(
        &app,
        &redirect,
        &[
            ("cookie", &flow.cookie),
            ("accept", "text/html,application/xhtml+xml"),
        ],
    )
    .await;
    let target = location(&answer);
    assert_eq!(
        target.as_str().split('?').next().unwrap(),
        "http://mentorsti.test/sign-in/complete"
    );
    assert_eq!(
        param(&target, "error").as_deref(),
        Some("oidc_state_invalid")
    );
    assert_eq!(param(&target, "code"), None);
    // A state nobody issued.
    let forged = redirect.replace(
        &format!("state={}", flow.param("state")),
        "state=ukjent-tilstand-0123456789",
    );
    assert_ne!(forged, redirect);
    assert_problem(
        callback(&app, &forged, &[("cookie", &flow.cookie)]).await,
        400,
        "oidc_state_invalid",
    )
    .await;

    // The code is exchanged once, by the same browser.
    assert_problem(
        exchange(&app, &code, &other).await,
        401,
        "oidc_code_invalid",
    )
    .await;
    let response = exchange(&app, &code, &flow.cookie).await;
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    assert_eq!(me_id(&app, &pair).await, id.to_string());
    assert_problem(
        exchange(&app, &code, &flow.cookie).await,
        401,
        "oidc_code_invalid",
    )
    .await;
    assert_problem(
        exchange(&app, &"A".repeat(code.len()), &flow.cookie).await,
        401,
        "oidc_code_invalid",
    )
    .await;

    // The person refuses at the provider.
    let flow = begin(&app, "idporten", "next=/kurs").await;
    let redirect = rig.deny(&app.client, &flow.authorize_url).await;
    assert!(redirect.contains("error=access_denied"), "{redirect}");
    assert_problem(
        callback(&app, &redirect, &[("cookie", &flow.cookie)]).await,
        400,
        "oidc_cancelled",
    )
    .await;

    // Someone the service does not know, told in the browser.
    let flow = begin(&app, "idporten", "next=/kurs").await;
    let redirect = rig
        .authorize(&app.client, &flow.authorize_url, "fremmed")
        .await;
    let answer = callback(
        &app,
        &redirect,
        &[("cookie", &flow.cookie), ("accept", "text/html")],
    )
    .await;
    let target = location(&answer);
    assert_eq!(
        param(&target, "error").as_deref(),
        Some("identity_not_linked")
    );

    // A code lives 60 seconds.
    let (answer, flow) = through_provider(&app, &rig, "idporten", "kjent", "next=/kurs").await;
    let code = handoff_code(&answer, "/kurs");
    app.clock.advance(Duration::seconds(61));
    assert_problem(
        exchange(&app, &code, &flow.cookie).await,
        401,
        "oidc_code_invalid",
    )
    .await;

    // A flow left too long at the provider has run out.
    let flow = begin(&app, "idporten", "next=/kurs").await;
    let redirect = rig
        .authorize(&app.client, &flow.authorize_url, "kjent")
        .await;
    app.clock.advance(Duration::hours(2));
    assert_problem(
        callback(&app, &redirect, &[("cookie", &flow.cookie)]).await,
        400,
        "oidc_state_invalid",
    )
    .await;

    assert_eq!(users(&app).await, before);
    assert_eq!(identities(&app).await, 1);
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test]
async fn forged_id_tokens_sign_nobody_in() {
    let rig = OidcRig::start().await;
    rig.start_forging();
    let app = spawn_with(&rig, |_| {}).await;
    let id = linked_account(&app, "idporten", "kjent").await;
    linked_account(&app, "idporten", "sjefen").await;
    let before = users(&app).await;

    // The relay's own signature is the provider's now: an honest token passes.
    let pair = sign_in(&app, &rig, "idporten", "kjent", "next=/kurs").await;
    assert_eq!(me_id(&app, &pair).await, id.to_string());

    type Edit = fn(&mut crate::oidc_rig::Claims);
    let forgeries: [(&str, Signer, Edit); 9] = [
        ("another audience", Signer::Relay, |c| {
            c.insert("aud".into(), json!(["en-annen-klient"]));
        }),
        ("another issuer", Signer::Relay, |c| {
            c.insert("iss".into(), json!("https://evil.example"));
        }),
        ("another nonce", Signer::Relay, |c| {
            c.insert("nonce".into(), json!("en-annen-nonce-0123456789"));
        }),
        ("expired", Signer::Relay, |c| {
            let now = chrono::Utc::now().timestamp();
            c.insert("iat".into(), json!(now - 7200));
            c.insert("exp".into(), json!(now - 3600));
        }),
        ("a key nobody published", Signer::Stranger, |_| {}),
        ("a subject longer than a column holds", Signer::Relay, |c| {
            c.insert("sub".into(), json!("x".repeat(300)));
        }),
        ("no signature", Signer::Unsigned, |_| {}),
        (
            "another subject under the old signature",
            Signer::Original,
            |c| {
                c.insert("sub".into(), json!("sjefen"));
            },
        ),
        (
            "an added claim under the old signature",
            Signer::Original,
            |c| {
                c.insert("acr".into(), json!("idporten-loa-high"));
            },
        ),
    ];
    for (what, signer, edit) in forgeries {
        let flow = begin(&app, "idporten", "next=/kurs").await;
        let redirect = rig
            .authorize(&app.client, &flow.authorize_url, "kjent")
            .await;
        rig.forge(signer, edit);
        let answer = callback(&app, &redirect, &[("cookie", &flow.cookie)]).await;
        assert_eq!(answer.status(), 401, "{what}");
        assert_problem(answer, 401, "oidc_token_invalid").await;
    }

    // The forgeries were one each: the next honest token passes again.
    let pair = sign_in(&app, &rig, "idporten", "kjent", "next=/kurs").await;
    assert_eq!(me_id(&app, &pair).await, id.to_string());
    assert_eq!(users(&app).await, before);
    assert_eq!(identities(&app).await, 2);
}

#[tokio::test]
async fn the_provider_must_vouch_for_a_level_asked_for() {
    let rig = OidcRig::start().await;
    let app = spawn_with(&rig, |vars| {
        vars.insert(
            "OIDC_IDPORTEN_ACR_VALUES".into(),
            "idporten-loa-substantial".into(),
        );
    })
    .await;
    let id = linked_account(&app, "idporten", "kjent").await;

    let flow = begin(&app, "idporten", "next=/kurs").await;
    assert_eq!(flow.param("acr_values"), "idporten-loa-substantial");
    rig.set_user("kjent", json!({"name": "Kjent"})).await;
    let redirect = rig
        .authorize(&app.client, &flow.authorize_url, "kjent")
        .await;
    let answer = callback(&app, &redirect, &[("cookie", &flow.cookie)]).await;
    assert_problem(answer, 403, "oidc_level_too_low").await;

    rig.set_user("kjent", json!({"acr": "idporten-loa-low"}))
        .await;
    let (answer, _) = through_provider(&app, &rig, "idporten", "kjent", "next=/kurs").await;
    assert_problem(answer, 403, "oidc_level_too_low").await;

    rig.set_user("kjent", json!({"acr": "idporten-loa-substantial"}))
        .await;
    let pair = sign_in(&app, &rig, "idporten", "kjent", "next=/kurs").await;
    assert_eq!(me_id(&app, &pair).await, id.to_string());
}

#[tokio::test]
async fn a_provider_that_is_down_signs_nobody_in_and_makes_nothing() {
    let rig = OidcRig::start().await;
    // A second provider whose address answers nothing.
    let gone = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = spawn_with(&rig, |vars| {
        vars.insert("OIDC_IDPORTEN_TRUST_EMAIL".into(), "true".into());
        rig.configure(vars, "borte", "Borte");
        vars.insert("OIDC_BORTE_ISSUER".into(), format!("http://{gone}"));
    })
    .await;
    assert_problem(
        start(&app, "borte", "next=/kurs").await,
        503,
        "provider_unavailable",
    )
    .await;

    let (_, usht) = new_usht(&app, "USHT Asker").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    enroll(&app, &coordinator, "3203", "Asker").await;
    rig.set_user(
        "ny",
        json!({"email": "ny@asker.kommune.no", "email_verified": true, "name": "Ny Mentor"}),
    )
    .await;
    let before = users(&app).await;
    let flow = begin(&app, "idporten", "next=/kurs&municipality=3203").await;
    let redirect = rig.authorize(&app.client, &flow.authorize_url, "ny").await;
    rig.stop_provider();
    let answer = callback(&app, &redirect, &[("cookie", &flow.cookie)]).await;
    assert_problem(answer, 503, "provider_unavailable").await;
    assert_eq!(users(&app).await, before);
    assert_eq!(identities(&app).await, 0);
}

#[tokio::test]
async fn what_makes_or_links_an_account_is_guarded_against_other_sites_and_lookalikes() {
    let rig = OidcRig::start().await;
    let app = spawn_with(&rig, |vars| {
        vars.insert("OIDC_IDPORTEN_TRUST_EMAIL".into(), "true".into());
    })
    .await;
    let (_, usht) = new_usht(&app, "USHT Asker").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    let municipality = enroll(&app, &coordinator, "3203", "Asker").await;
    let invited = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({"municipality_id": municipality, "invitees": [{"email": "siri@example.no"}]}),
        )
        .await;
    assert_eq!(invited.status(), 201);
    let invitation = app.mail.wait_for("siri@example.no", 1).await[0].token();
    let query = format!("next=/kurs&invitation={invitation}");

    // Another site's page cannot start making an account in the visitor's name.
    let from_elsewhere = |accept: &'static str| {
        app.client
            .get(app.api(&format!("/auth/oidc/idporten/start?{query}")))
            .header("sec-fetch-site", "cross-site")
            .header("accept", accept)
    };
    let answer = from_elsewhere("application/json").send().await.unwrap();
    assert_problem(answer, 403, "cross_site_start").await;
    // A browser is shown the client's screen for it rather than the problem.
    let answer = from_elsewhere("text/html").send().await.unwrap();
    let target = location(&answer);
    assert_eq!(target.path(), "/sign-in/complete");
    assert_eq!(param(&target, "error").as_deref(), Some("cross_site_start"));
    // From our own page (or typed in) it starts.
    let answer = app
        .client
        .get(app.api(&format!("/auth/oidc/idporten/start?{query}")))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    let answer = app
        .client
        .get(app.api("/auth/oidc/nobody/start"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        param(&location(&answer), "error").as_deref(),
        Some("provider_not_found")
    );

    // An administrator's account is never linked by its address, even a verified one.
    app.create_user(Role::Admin, "sjef@example.no").await;
    rig.set_user(
        "sjef-pid",
        json!({"email": "sjef@example.no", "email_verified": true}),
    )
    .await;
    let (answer, _) = through_provider(&app, &rig, "idporten", "sjef-pid", "next=/kurs").await;
    assert_problem(answer, 403, "identity_not_linked").await;

    // An account linked to one subject is not quietly moved to another with the same address.
    let kari = linked_account(&app, "idporten", "kari-pid").await;
    rig.set_user(
        "kari-pid-2",
        json!({"email": "kari-pid@example.no", "email_verified": true}),
    )
    .await;
    let (answer, _) = through_provider(&app, &rig, "idporten", "kari-pid-2", "next=/kurs").await;
    assert_problem(answer, 409, "identity_taken").await;
    assert_eq!(
        app.count(
            "SELECT count(*) FROM oidc_identities WHERE user_id = $1 AND subject = 'kari-pid'",
            &[&kari]
        )
        .await,
        1
    );
    assert_eq!(identities(&app).await, 1);

    // Linking from the profile asks the provider for a fresh sign-in, and is not itself a use.
    let per = app.create_user(Role::Mentor, "per@example.no").await;
    let token = app.access_token(&per).await;
    let flow = link_from_profile(&app, &token, "idporten").await;
    assert_eq!(flow.param("prompt"), "login");
    let redirect = rig
        .authorize(&app.client, &flow.authorize_url, "per-pid")
        .await;
    let answer = callback(&app, &redirect, &[("cookie", &flow.cookie)]).await;
    assert_eq!(
        param(&location(&answer), "linked").as_deref(),
        Some("idporten")
    );
    let listed = app.get_json("/me/identities", &token).await;
    assert_eq!(listed["identities"][0]["last_used_at"], Value::Null);
    // The owner is told by mail of the new way into the account.
    let told = app.mail.wait_for("per@example.no", 1).await;
    assert_eq!(told[0].subject(), "ID-porten er koblet til kontoen din");
    assert!(told[0].text().contains("http://mentorsti.test/profile"));
}
