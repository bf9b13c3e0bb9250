//! The certificate as an Open Badges 3.0 credential, verified by openbadgeslib from PyPI (a
//! verifier no one here wrote) against the issuer profile, keys and status list the app serves:
//! signature, structure and status hold until the certificate is revoked, a changed claim
//! breaks the signature, a rotated key keeps old credentials verifying, and erasure revokes.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use base64::Engine;
use mentorsti::auth::Role;
use mentorsti::clock::OffsetClock;
use mentorsti::config::Config;
use mentorsti::webinars::IssuerKeys;
use mentorsti::Application;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, base_vars, spawn_app_at_public_address, spawn_app_with, Account, MailCatcher,
    TestApp,
};
use crate::webinars::{new_series, ready_mentor};

/// A mentor who has completed the programme: the path, the note and three attended sessions.
async fn certified_mentor(app: &TestApp) -> (Account, String, String) {
    let (_, _, facilitator, series) = new_series(app, 12).await;
    let id = series["id"].as_str().unwrap();
    let (mentor, token) = ready_mentor(app).await;
    let registered = app
        .post(
            &format!("/webinar-series/{id}/registrations"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(registered.status(), 201);
    for n in 1..=3 {
        let response = app
            .put(
                &format!("/facilitator/series/{id}/sessions/{n}/attendance"),
                &facilitator,
                &json!([{"user_id": mentor.id, "attended": true}]),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let certificate = app.get_json("/me/certificate", &token).await;
    assert_eq!(certificate["status"], "valid");
    let code = certificate["verification_code"]
        .as_str()
        .unwrap()
        .to_owned();
    (mentor, token, code)
}

async fn credential(app: &TestApp, token: &str) -> String {
    let response = app.get("/me/certificate/credential", token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/vc+jwt");
    response.text().await.unwrap()
}

/// What openbadgeslib makes of `token` (see tests/credential/verify.py). It fetches from the
/// app, so it runs off the test's runtime, which the app's database connections live on.
async fn verify(token: &str, email: &str) -> Value {
    let request = json!({"token": token, "email": email}).to_string();
    tokio::task::spawn_blocking(move || run_verifier(&request))
        .await
        .unwrap()
}

fn run_verifier(request: &str) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/credential/verify.py");
    let mut child = mentorsti::testing::python_with("openbadgeslib", "openbadgeslib==4.6.3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the verifier failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn assert_all_ok(result: &Value) {
    for check in [
        "profile",
        "key",
        "signature",
        "schema",
        "verified",
        "status",
        "identity",
    ] {
        assert_eq!(result[check], "ok", "{check}: {result}");
    }
}

fn payload_of(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&BASE64URL.decode(part).unwrap()).unwrap()
}

/// `token` with `change` made to its payload, the header and signature kept.
fn tampered(token: &str, change: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload = payload_of(token);
    change(&mut payload);
    format!(
        "{}.{}.{}",
        parts[0],
        BASE64URL.encode(payload.to_string()),
        parts[2]
    )
}

#[tokio::test]
async fn the_credential_verifies_with_open_badges_until_the_certificate_is_revoked() {
    let app = spawn_app_at_public_address(|_| {}).await;
    let (mentor, token, code) = certified_mentor(&app).await;
    let jwt = credential(&app, &token).await;

    let result = verify(&jwt, &mentor.email).await;
    assert_all_ok(&result);
    assert_eq!(result["typ"], "JWT");
    let current = format!(
        "{}#{}",
        app.state.config.issuer_jwks_url(),
        app.state.config.issuer_keys.current_id()
    );
    assert_eq!(result["kid"], current.as_str());
    assert!(result["kids"].as_array().unwrap().contains(&json!(current)));

    // What the credential says: the programme with its hours, the holder only as a hash.
    let payload = payload_of(&jwt);
    let achievement = &payload["credentialSubject"]["achievement"];
    assert_eq!(
        achievement["name"],
        "Mentoropplæring i lindrende behandling"
    );
    assert!(achievement["creditsAvailable"].as_f64().unwrap() >= 15.0);
    assert!(achievement["criteria"]["narrative"]
        .as_str()
        .unwrap()
        .contains("tre"));
    assert_eq!(payload["iss"], app.api("/issuer"));
    let text = payload.to_string();
    assert!(
        !text.contains(&mentor.email) && !text.contains("Test Testesen"),
        "no address, no name: {text}"
    );
    // The same salt each time: the holder is named the same way in every copy.
    let again = payload_of(&credential(&app, &token).await);
    assert_eq!(
        again["credentialSubject"]["identifier"],
        payload["credentialSubject"]["identifier"]
    );
    assert!(verify(&jwt, "someone.else@example.no").await["identity"]
        .as_str()
        .unwrap()
        .contains("not the recipient"));

    // One changed claim, the signature kept: it no longer verifies.
    for change in [
        (|p: &mut Value| p["credentialSubject"]["achievement"]["creditsAvailable"] = json!(200))
            as fn(&mut Value),
        |p: &mut Value| p["validFrom"] = json!("2020-01-01T00:00:00Z"),
        |p: &mut Value| p["credentialStatus"]["statusListIndex"] = json!("99"),
    ] {
        let forged = verify(&tampered(&jwt, change), &mentor.email).await;
        assert_ne!(forged["signature"], "ok", "{forged}");
        assert!(
            forged["verified"]
                .as_str()
                .unwrap()
                .contains("Invalid signature"),
            "{forged}"
        );
    }

    // The issuer's profile and keys are public and cacheable; the status list briefly.
    let profile = app.client.get(app.api("/issuer")).send().await.unwrap();
    assert_eq!(profile.headers()["cache-control"], "public, max-age=300");
    let profile: Value = profile.json().await.unwrap();
    assert_eq!(profile["id"], app.api("/issuer"));
    assert_eq!(profile["type"], json!(["Profile"]));
    assert_eq!(profile["url"], format!("{}/", app.address));
    let jwks = app
        .client
        .get(app.api("/issuer/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.headers()["cache-control"], "public, max-age=300");
    let jwks: Value = jwks.json().await.unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"], &key["use"]),
        (
            &json!("OKP"),
            &json!("Ed25519"),
            &json!("EdDSA"),
            &json!("sig")
        )
    );
    assert!(key.get("d").is_none(), "never the private part: {key}");
    let list_url = payload["credentialStatus"]["statusListCredential"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = app.client.get(&list_url).send().await.unwrap();
    assert_eq!(list.headers()["content-type"], "application/vc+jwt");
    assert_eq!(list.headers()["cache-control"], "public, max-age=60");
    let list = payload_of(&list.text().await.unwrap());
    assert_eq!(list["type"][1], "BitstringStatusListCredential");
    assert!(list["credentialSubject"]["encodedList"]
        .as_str()
        .unwrap()
        .starts_with('u'));
    for missing in ["/issuer/status/0", "/issuer/status/2", "/issuer/status/x"] {
        let response = app.client.get(app.api(missing)).send().await.unwrap();
        assert_problem(response, 404, "not_found").await;
    }

    // Revocation: administrators only, with a reason, once.
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, coordinator) = app.user_with_token(Role::Coordinator).await;
    let path = format!("/admin/certificates/{code}/revoke");
    let reason = json!({"reason": "Deltakelsen på webinarene var registrert feil."});
    assert_problem(app.post(&path, &token, &reason).await, 403, "forbidden").await;
    assert_problem(
        app.post(&path, &coordinator, &reason).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(
            "/admin/certificates/AAAA-BBBB-CCCC-DDDD/revoke",
            &admin,
            &reason,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    for bad in [
        json!({}),
        json!({"reason": "   "}),
        json!({"reason": "x".repeat(501)}),
        json!({"reason": "Feil", "name": "Kari"}),
        json!({"reason": 5}),
    ] {
        assert_problem(
            app.post(&path, &admin, &bad).await,
            422,
            "validation_failed",
        )
        .await;
    }
    let response = app.post(&path, &admin, &reason).await;
    assert_eq!(response.status(), 200);
    let revoked: Value = response.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked.get("name").is_none(), "{revoked}");
    assert_problem(
        app.post(&path, &admin, &reason).await,
        409,
        "already_revoked",
    )
    .await;

    // Now the status list says revoked, and so does the check, with no name and no reason.
    let result = verify(&jwt, &mentor.email).await;
    assert_eq!(
        result["verified"], "ok",
        "the signature still holds: {result}"
    );
    assert!(
        result["status"]
            .as_str()
            .unwrap()
            .contains("'revocation' is set"),
        "{result}"
    );
    let check: Value = app
        .client
        .get(app.api(&format!("/certificates/{code}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["status"], "revoked");
    assert_eq!(
        check.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["completed_on", "programme", "revoked_on", "status"],
        "{check}"
    );
    // The holder still sees it, as revoked; its credential is gone.
    let mine = app.get_json("/me/certificate", &token).await;
    assert_eq!(mine["status"], "revoked");
    assert_eq!(mine["revoked_on"], check["revoked_on"]);
    assert_problem(
        app.get("/me/certificate/credential", &token).await,
        410,
        "certificate_revoked",
    )
    .await;
    let reason_kept: String = app
        .sql()
        .await
        .query_one(
            "SELECT revocation_reason FROM certificates WHERE verification_code = $1",
            &[&code],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        reason_kept,
        "Deltakelsen på webinarene var registrert feil."
    );
}

/// A free port for an instance that is to be started later.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port()
}

/// A second instance on `app`'s database at `port`, configured by `adjust` (a restart after a
/// configuration change).
async fn restart_at(
    app: &TestApp,
    port: u16,
    adjust: impl FnOnce(&mut HashMap<String, String>),
) -> MailCatcher {
    let mail = MailCatcher::start();
    let mut vars = base_vars(&app.db.url, mail.port);
    vars.insert("BIND".into(), format!("127.0.0.1:{port}"));
    vars.insert("PUBLIC_BASE_URL".into(), format!("http://127.0.0.1:{port}"));
    adjust(&mut vars);
    let config = Config::from_vars(&vars).expect("valid configuration");
    let restarted = Application::build_with_clock(config, Arc::new(OffsetClock::default()))
        .await
        .expect("the application starts");
    tokio::spawn(restarted.run_until_stopped());
    mail
}

#[tokio::test]
async fn credentials_signed_before_a_key_rotation_still_verify() {
    let old = IssuerKeys::generate_entry("2026-old");
    let new = IssuerKeys::generate_entry("2027-new");
    // Both instances answer at the address the credentials name: the second one's.
    let port = free_port();
    let before = {
        let old = old.clone();
        spawn_app_with(move |vars| {
            vars.insert("PUBLIC_BASE_URL".into(), format!("http://127.0.0.1:{port}"));
            vars.insert("ISSUER_KEYS".into(), old);
        })
        .await
    };
    let (mentor, token, _) = certified_mentor(&before).await;
    let (_, other_token, _) = certified_mentor(&before).await;
    let signed_before = credential(&before, &token).await;

    // The new key is added and becomes current; the old one stays listed.
    let _mail = restart_at(&before, port, |vars| {
        vars.insert("ISSUER_KEYS".into(), format!("{old},\n{new}"));
    })
    .await;
    let result = verify(&signed_before, &mentor.email).await;
    assert_all_ok(&result);
    let jwks = before.state.config.issuer_jwks_url();
    assert_eq!(result["kid"], format!("{jwks}#2026-old"));
    assert_eq!(
        result["kids"],
        json!([format!("{jwks}#2026-old"), format!("{jwks}#2027-new")])
    );

    // What the restarted instance signs now carries the new key's id, and verifies too.
    let after = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/api/v1/me/certificate/credential"
        ))
        .bearer_auth(&other_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let header: Value =
        serde_json::from_slice(&BASE64URL.decode(after.split('.').next().unwrap()).unwrap())
            .unwrap();
    assert_eq!(header["kid"], format!("{jwks}#2027-new"));
    let other_email: String = before
        .sql()
        .await
        .query_one(
            "SELECT u.email FROM users u JOIN certificates c ON c.user_id = u.id WHERE u.id <> $1",
            &[&mentor.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_all_ok(&verify(&after, &other_email).await);
}

#[tokio::test]
async fn erasure_revokes_the_certificate_and_its_check_names_no_one() {
    let app = spawn_app_at_public_address(|_| {}).await;
    let (mentor, token, code) = certified_mentor(&app).await;
    let jwt = credential(&app, &token).await;
    assert_all_ok(&verify(&jwt, &mentor.email).await);

    let (_, admin) = app.user_with_token(Role::Admin).await;
    let erased = app
        .delete(&format!("/admin/users/{}", mentor.id), &admin)
        .await;
    assert_eq!(erased.status(), 204);

    let result = verify(&jwt, &mentor.email).await;
    assert!(
        result["status"]
            .as_str()
            .unwrap()
            .contains("'revocation' is set"),
        "{result}"
    );
    let check: Value = app
        .client
        .get(app.api(&format!("/certificates/{code}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["status"], "revoked");
    assert!(check.get("name").is_none(), "{check}");
    // Dated revoked from its issue: the check does not tell when the person was erased.
    assert_eq!(check["revoked_on"], check["completed_on"]);
    // Nothing of the person is left with the certificate.
    let row = app
        .sql()
        .await
        .query_one(
            "SELECT name, identity_salt IS NULL, revocation_reason IS NULL, revoked_at IS NOT NULL
             FROM certificates WHERE verification_code = $1",
            &[&code],
        )
        .await
        .unwrap();
    let (name, no_salt, no_reason, revoked): (String, bool, bool, bool) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(name, "");
    assert!(no_salt && no_reason && revoked);
    // Revoking it again is refused as for any revoked certificate.
    assert_problem(
        app.post(
            &format!("/admin/certificates/{code}/revoke"),
            &admin,
            &json!({"reason": "Dobbelt"}),
        )
        .await,
        409,
        "already_revoked",
    )
    .await;
}
