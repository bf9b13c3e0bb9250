//! A mentor's journey in a real browser, part: signing in with a provider (see browser.rs for
//! how walks run). ID-porten is a real OpenID Connect provider (`oidc_rig`), and the app runs at
//! its public address, so Chromium follows the redirects there and back as a person's would
//! (`web/e2e/oidc.mjs`).

use serde_json::{json, Value};

use crate::browser::{demo_coordinator, run_walk};
use crate::helpers::{spawn_app_at_public_address, PASSWORD};
use crate::oidc_rig::OidcRig;
use mentorsti::auth::Role;

#[tokio::test]
async fn mentors_sign_in_with_id_porten_and_link_it_on_the_profile_in_a_real_browser() {
    let rig = OidcRig::start().await;
    let app =
        spawn_app_at_public_address(|vars| rig.configure(vars, "idporten", "ID-porten")).await;
    let demo = mentorsti::orgs::demo::seed(&app.state)
        .await
        .expect("the demo data");
    let (coordinator, municipalities) = demo_coordinator(&app, &demo).await;

    // A mentor invited by the coordinator, who makes the account with ID-porten.
    let (invitee, invitee_name) = ("randi.solheim@example.no", "Randi Solheim");
    let invited = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({
                "municipality_id": municipalities["items"][0]["id"],
                "invitees": [{"email": invitee, "name": invitee_name}],
            }),
        )
        .await;
    assert_eq!(invited.status(), 201);
    let invitation = app.mail.wait_for(invitee, 1).await[0].token();
    rig.set_user(
        "randi-pid",
        json!({"email": "randi@privat.example.no", "email_verified": true, "name": invitee_name}),
    )
    .await;
    rig.set_user("ukjent-pid", json!({"name": "Ukjent Person"}))
        .await;

    // A mentor with a password, who links ID-porten from the profile.
    let mentor = app.create_user(Role::Mentor, "siv.berg@example.no").await;
    let mentor_name = "Siv Berg";
    app.sql()
        .await
        .execute(
            "UPDATE users SET name = $2 WHERE id = $1",
            &[&mentor.id, &mentor_name],
        )
        .await
        .unwrap();
    rig.set_user("siv-pid", json!({"name": mentor_name})).await;

    run_walk(
        "oidc",
        &app.address,
        &[],
        &[
            ("INVITATION_TOKEN", &invitation),
            ("INVITEE_NAME", invitee_name),
            ("INVITEE_SUBJECT", "randi-pid"),
            ("STRANGER_SUBJECT", "ukjent-pid"),
            ("MENTOR_EMAIL", &mentor.email),
            ("MENTOR_PASSWORD", PASSWORD),
            ("MENTOR_NAME", mentor_name),
            ("MENTOR_SUBJECT", "siv-pid"),
        ],
    )
    .await;

    // The walk made the invitee's account without a password, linked to their subject; the
    // mentor's link was removed again, and the stranger has no account.
    let sql = app.sql().await;
    let linked: Vec<(String, String, bool)> = sql
        .query(
            "SELECT u.email, i.subject, u.password_hash IS NULL \
             FROM oidc_identities i JOIN users u ON u.id = i.user_id ORDER BY u.email",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    assert_eq!(
        linked,
        vec![(invitee.to_owned(), "randi-pid".to_owned(), true)]
    );
    let me: Value = app
        .get_json("/me/identities", &app.access_token(&mentor).await)
        .await;
    assert_eq!(me["identities"], json!([]));
    assert_eq!(me["has_password"], json!(true));
}
