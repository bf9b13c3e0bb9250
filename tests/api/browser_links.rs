//! A mentor's journey in a real browser, part: links (see browser.rs for how walks run).
//! Links from real emails (an invitation, password resets) and a real certificate, opened in
//! Chromium by `web/e2e/links.mjs`.

use serde_json::{json, Value};

use crate::browser::{demo_app, demo_coordinator, run_walk};
use mentorsti::auth::Role;

#[tokio::test]
async fn links_from_emails_and_certificates_never_dead_end_in_a_real_browser() {
    let (app, demo) = demo_app().await;
    let (coordinator, municipalities) = demo_coordinator(&app, &demo).await;

    // The coordinator invites two mentors, one with a name; the second invitation runs out.
    let (invitee, invitee_name) = ("randi.solheim@example.no", "Randi");
    let late = "per.lie@example.no";
    let invited = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({
                "municipality_id": municipalities["items"][0]["id"],
                "invitees": [{"email": invitee, "name": invitee_name}, {"email": late}],
            }),
        )
        .await;
    assert_eq!(invited.status(), 201);
    let invitation_token = app.mail.wait_for(invitee, 1).await[0].token();
    let expired_token = app.mail.wait_for(late, 1).await[0].token();
    app.sql()
        .await
        .execute(
            "UPDATE invitations SET expires_at = now() - interval '1 day' WHERE email = $1",
            &[&late],
        )
        .await
        .unwrap();

    // A mentor asks twice for a new password: the first link is replaced by the second.
    let mentor = app.create_user(Role::Mentor, "siv.berg@example.no").await;
    let mut reset_tokens = Vec::new();
    for n in 1..=2 {
        let reset = app
            .client
            .post(app.api("/auth/password-reset"))
            .json(&json!({"email": mentor.email}))
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status(), 202);
        reset_tokens.push(app.mail.wait_for(&mentor.email, n).await[n - 1].token());
    }

    // An administrator revokes the certificate during the walk, to show its page then.
    let (_, admin) = app.user_with_token(Role::Admin).await;

    // A mentor of the demo data who has the certificate.
    let (completed, _) = demo
        .mentors
        .iter()
        .find(|(_, stage)| stage.contains("kursbevis"))
        .expect("a demo mentor with a certificate");
    let signed_in: Value = app
        .login(completed, &demo.password)
        .await
        .json()
        .await
        .unwrap();
    let certificate: Value = app
        .get(
            "/me/certificate",
            signed_in["access_token"].as_str().unwrap(),
        )
        .await
        .json()
        .await
        .unwrap();

    run_walk(
        "links",
        &app.address,
        &[],
        &[
            ("INVITATION_TOKEN", &invitation_token),
            ("INVITEE_EMAIL", invitee),
            ("INVITEE_NAME", invitee_name),
            ("EXPIRED_INVITATION_TOKEN", &expired_token),
            ("REPLACED_RESET_TOKEN", &reset_tokens[0]),
            ("RESET_TOKEN", &reset_tokens[1]),
            ("RESET_EMAIL", &mentor.email),
            ("VERIFY_URL", certificate["verify_url"].as_str().unwrap()),
            ("CERTIFICATE_NAME", certificate["name"].as_str().unwrap()),
            ("ADMIN_TOKEN", &admin),
        ],
    )
    .await;

    // The walk accepted the invitation with the name as the invitee wrote it.
    let name: String = app
        .sql()
        .await
        .query_one("SELECT name FROM users WHERE email = $1", &[&invitee])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "Randi Haugen");
}
