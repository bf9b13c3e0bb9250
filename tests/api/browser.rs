//! The web client in a real browser: Debian's Chromium, driven by playwright-core from
//! `web/e2e/*.mjs`, through a mentor's journey and each staff role's work against the real
//! server. Also the client's
//! serving: embedded assets, caching, its CSP, the fallback for client paths and the API's 404s.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use mentorsti::auth::Role;
use serde_json::{json, Value};

use uuid::Uuid;

use crate::helpers::{assert_problem, spawn_app, TestApp, PASSWORD};

const CHROMIUM: &str = "/usr/bin/chromium";

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web/e2e")
}

/// Installs playwright-core (pinned in package-lock.json) when it is not there yet.
async fn ensure_playwright() {
    let dir = e2e_dir();
    if dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return;
    }
    let status = tokio::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .await
        .expect("npm must be installed to run the browser tests (apt-get install nodejs npm)");
    assert!(status.success(), "npm ci in web/e2e failed");
}

#[tokio::test]
async fn a_mentor_goes_through_the_programme_in_a_real_browser() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (facilitator, _) = app.user_with_token(Role::Facilitator).await;
    let start = (Utc::now() + chrono::Duration::days(10))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    // One series with room, and one that is full (so the mentor meets the waitlist).
    let series = |title: &str, capacity: i32, start: chrono::DateTime<Utc>| {
        json!({
            "title": title,
            "capacity": capacity,
            "facilitator_id": facilitator.id,
            "sessions": [
                {"starts_at": start, "join_url": "https://meet.example.no/a"},
                {"starts_at": start + chrono::Duration::days(21), "join_url": "https://meet.example.no/b"},
                {"starts_at": start + chrono::Duration::days(42), "join_url": "https://meet.example.no/c"},
            ],
        })
    };
    let mut ids = Vec::new();
    for body in [
        series("Vinterens refleksjonsgruppe, Viken", 12, start),
        series(
            "Vårens refleksjonsgruppe, Buskerud",
            1,
            start + chrono::Duration::days(7),
        ),
    ] {
        let response = app.post("/admin/webinar-series", &admin, &body).await;
        assert_eq!(response.status(), 201);
        ids.push(response.json::<Value>().await.unwrap()["id"].clone());
    }
    let (other, other_token) = app.user_with_token(Role::Mentor).await;
    let sql = app.sql().await;
    sql.execute(
        "INSERT INTO path_completions (user_id) VALUES ($1)",
        &[&other.id],
    )
    .await
    .unwrap();
    sql.execute(
        "INSERT INTO reflection_notes (user_id, version, body, status, submitted_at) \
         VALUES ($1, 1, $2, 'submitted', now())",
        &[&other.id, &"Refleksjon. ".repeat(40)],
    )
    .await
    .unwrap();
    let full = format!("/webinar-series/{}/registrations", ids[1].as_str().unwrap());
    assert_eq!(
        app.post(&full, &other_token, &json!({})).await.status(),
        201
    );

    let mentor = app
        .create_user(Role::Mentor, "kari.nordmann@example.no")
        .await;
    for (id, name) in [
        (mentor.id, "Kari Nordmann"),
        (facilitator.id, "Ingrid Berg"),
    ] {
        sql.execute("UPDATE users SET name = $2 WHERE id = $1", &[&id, &name])
            .await
            .unwrap();
    }

    // The journey ends by following the link of a password-reset email.
    let reset = app
        .client
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": mentor.email}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 202);
    let reset_token = app.mail.wait_for(&mentor.email, 1).await[0].token();
    // … and before that signs in with the link of a sign-in email.
    let link = app
        .client
        .post(app.api("/auth/sign-in-link"))
        .json(&json!({"email": mentor.email}))
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), 202);
    let sign_in_link_token = app.mail.wait_for(&mentor.email, 2).await[1].token();

    // A coordinator with municipalities full of mentors at every stage: the demo data.
    let demo = mentorsti::orgs::demo::seed(&app.state)
        .await
        .expect("the demo data");

    // The coordinator invites a new mentor; the journey accepts from the email's link.
    let (coordinator, municipalities) = demo_coordinator(&app, &demo).await;
    let invitee = "liv.moen@example.no";
    let invited = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({
                "municipality_id": municipalities["items"][0]["id"],
                "invitees": [{"email": invitee, "name": "Liv Moen"}],
            }),
        )
        .await;
    assert_eq!(invited.status(), 201);
    let invitation_token = app.mail.wait_for(invitee, 1).await[0].token();

    run_walk(
        "journey",
        &app.address,
        &[&mentor.email, PASSWORD],
        &[
            ("RESET_TOKEN", &reset_token),
            ("SIGN_IN_LINK_TOKEN", &sign_in_link_token),
            ("INVITATION_TOKEN", &invitation_token),
        ],
    )
    .await;
}

/// Runs `web/e2e/<script>.mjs <base> <args…>` in Chromium and fails with its output if it does.
/// Every run takes its screenshots (under `target/e2e-screenshots/<script>`); those in docs/
/// (the README's) are replaced where the client now looks different, so a changed screen
/// cannot leave them behind unnoticed.
pub async fn run_walk(script: &str, base: &str, args: &[&str], env: &[(&str, &str)]) {
    assert!(
        Path::new(CHROMIUM).exists(),
        "the browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium"
    );
    ensure_playwright().await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let screenshots = root.join("target/e2e-screenshots").join(script);
    let _ = std::fs::remove_dir_all(&screenshots);
    let run = tokio::process::Command::new("node")
        .arg(e2e_dir().join(format!("{script}.mjs")))
        .arg(base)
        .args(args)
        .env("CHROMIUM", CHROMIUM)
        .env("SCREENSHOT_DIR", &screenshots)
        .env("SCREENSHOT_DOCS", root.join("docs/screenshots"))
        .envs(env.iter().copied())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .unwrap_or_else(|_| panic!("the browser walk {script} finished within five minutes"))
        .expect("node must be installed to run the browser tests (apt-get install nodejs)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the browser walk {script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The JSON of an answer that must succeed (`Null` for an empty one), naming what failed.
pub async fn ok(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    assert!(status.is_success(), "{what}: {status}");
    response.json().await.unwrap_or(Value::Null)
}

/// A series of three sessions three weeks apart from `start`, created by an admin, with join
/// links `https://meet.example.no/<place>-<n>`.
pub async fn create_series(
    app: &TestApp,
    admin: &str,
    facilitator: Uuid,
    start: DateTime<Utc>,
    title: &str,
    place: &str,
) -> Uuid {
    let sessions: Vec<Value> = (0..3)
        .map(|n| {
            json!({
                "starts_at": start + chrono::Duration::days(21 * n),
                "join_url": format!("https://meet.example.no/{place}-{}", n + 1),
            })
        })
        .collect();
    let body = json!({
        "title": title,
        "capacity": 12,
        "facilitator_id": facilitator,
        "sessions": sessions,
    });
    let response = app.post("/admin/webinar-series", admin, &body).await;
    assert_eq!(response.status(), 201, "{title}");
    let created: Value = response.json().await.unwrap();
    created["id"].as_str().unwrap().parse().unwrap()
}

/// Sets a series' sessions to `now() + offsets` (in minutes) and its deadline before them:
/// the API plans series only in the future, so moving one in time is the database's job here.
pub async fn move_sessions(app: &TestApp, series: Uuid, offsets: [i32; 3], deadline: i32) {
    let sql = app.sql().await;
    for (number, minutes) in (1..=3).zip(offsets) {
        sql.execute(
            "UPDATE webinar_sessions \
             SET starts_at = date_trunc('minute', now()) + make_interval(mins => $3) \
             WHERE series_id = $1 AND number = $2",
            &[&series, &number, &minutes],
        )
        .await
        .unwrap();
    }
    sql.execute(
        "UPDATE webinar_series SET registration_deadline = now() + make_interval(mins => $2) \
         WHERE id = $1",
        &[&series, &deadline],
    )
    .await
    .unwrap();
}

/// The demo coordinator's access token, and the municipalities they see.
pub async fn demo_coordinator(
    app: &TestApp,
    demo: &mentorsti::orgs::demo::Seeded,
) -> (String, Value) {
    let signed_in: Value = app
        .login(&demo.coordinator, &demo.password)
        .await
        .json()
        .await
        .unwrap();
    let coordinator = signed_in["access_token"].as_str().unwrap().to_owned();
    let municipalities: Value = app
        .get("/admin/municipalities", &coordinator)
        .await
        .json()
        .await
        .unwrap();
    (coordinator, municipalities)
}

/// A server with the demo data (`mentorsti demo seed`): every role has something to see.
pub async fn demo_app() -> (TestApp, mentorsti::orgs::demo::Seeded) {
    let app = spawn_app().await;
    let demo = mentorsti::orgs::demo::seed(&app.state)
        .await
        .expect("the demo data");
    (app, demo)
}

#[tokio::test]
async fn a_coordinator_follows_up_the_municipalities_in_a_real_browser() {
    let (app, demo) = demo_app().await;
    run_walk(
        "coordinator",
        &app.address,
        &[&demo.coordinator, &demo.password],
        &[],
    )
    .await;
    // The walk invited two mentors by pasting and one from a CSV file.
    for invitee in [
        "astrid.lie@asker.kommune.no",
        "bjorn.dahl@asker.kommune.no",
        "cecilie.holm@asker.kommune.no",
    ] {
        let mail = app.mail.wait_for(invitee, 1).await;
        assert!(mail[0].text().contains("/invitation?token="), "{invitee}");
    }
    // And one in nynorsk.
    let mail = app.mail.wait_for("dagny.vik@asker.kommune.no", 1).await;
    assert_eq!(mail[0].subject(), "Du er invitert til mentoropplæringa");
    assert!(mail[0].text().contains("Lenkja under verkar"));
}

#[tokio::test]
async fn a_facilitator_leads_a_series_in_a_real_browser() {
    let (app, demo) = demo_app().await;
    run_walk(
        "facilitator",
        &app.address,
        &[&demo.facilitator, &demo.password],
        &[],
    )
    .await;
}

#[tokio::test]
async fn an_administrator_looks_after_ushts_and_users_in_a_real_browser() {
    let (app, demo) = demo_app().await;
    run_walk("admin", &app.address, &[&demo.admin, &demo.password], &[]).await;
    // The walk invited a coordinator to a new USHT.
    let mail = app.mail.wait_for("siri.koordinator@usht-agder.no", 1).await;
    assert!(mail[0].text().contains("/invitation?token="));
}

#[tokio::test]
async fn an_administrator_schedules_webinar_series_in_a_real_browser() {
    let (app, demo) = demo_app().await;
    run_walk("series", &app.address, &[&demo.admin, &demo.password], &[]).await;
    // The walk moved the running series' last session: its participants hear of it by email.
    let participant: String = app
        .sql()
        .await
        .query_one(
            "SELECT u.email FROM webinar_registrations r JOIN users u ON u.id = r.user_id \
             JOIN webinar_series s ON s.id = r.series_id \
             WHERE s.title = 'Refleksjonsgruppe vinter' AND r.status = 'confirmed' LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !app
        .mail
        .to(&participant)
        .iter()
        .any(|mail| mail.subject().starts_with("Endring"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{participant} got no updated invitation"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_administrator_publishes_course_content_in_a_real_browser() {
    let (app, demo) = demo_app().await;
    run_walk("content", &app.address, &[&demo.admin, &demo.password], &[]).await;
}

#[tokio::test]
async fn the_client_is_served_with_its_own_csp_and_cache_rules() {
    let app = spawn_app().await;
    let index = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    let csp = index.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(index.headers()["cache-control"], "no-cache");
    let etag = index.headers()["etag"].clone();
    let html = index.text().await.unwrap();
    let again = app
        .client
        .get(app.url("/webinars"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304, "an unchanged client is not sent again");
    assert!(html.contains(r#"<html lang="nb">"#));

    // The versioned assets are cached for a year, and compressed for those who accept it.
    let start = html.find("/assets/").unwrap();
    let script = &html[start..start + html[start..].find('"').unwrap()];
    let asset = app
        .client
        .get(app.url(script))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(asset.headers()["content-encoding"], "gzip");

    // Links in emails and reloads of client paths get the client.
    for path in [
        "/reset-password?token=abc",
        "/invitation?token=abc",
        "/verify-email?token=abc",
        "/modules/2/hva-er-veiledning",
        "/webinars",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.text().await.unwrap().contains("/assets/"),
            "{path}"
        );
    }
    // Everything else is still a problem-JSON 404, the API's unknown paths above all.
    for path in [
        "/api/v1/no-such-thing",
        "/api/nothing",
        "/wp-login.php",
        "/assets/x/nope.js",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let body: Value = assert_problem(response, 404, "not_found").await;
        assert_eq!(body["status"], 404, "{path}");
    }
    // A person's browser gets the client's own "not found" page under the client's CSP (so its
    // scripts run), also for addresses that merely begin like the API's; the API's paths never.
    for path in ["/logg-inn", "/apix", "/healthz"] {
        let response = app
            .client
            .get(app.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            response.headers()["content-security-policy"],
            mentorsti::client::CLIENT_CSP,
            "{path}"
        );
        assert!(
            response.text().await.unwrap().contains("/assets/"),
            "{path}"
        );
    }
    for path in ["/api", "/api/v1/no-such-thing", "/health/nothing"] {
        let response = app
            .client
            .get(app.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_problem(response, 404, "not_found").await;
    }
}

/// The README shows every screenshot the browser test keeps, and only those.
#[test]
fn the_readme_shows_every_screenshot_the_browser_test_takes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let stored: Vec<String> = std::fs::read_dir(root.join("docs/screenshots"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    for name in &stored {
        assert!(
            readme.contains(&format!("docs/screenshots/{name}")),
            "README.md does not show docs/screenshots/{name}"
        );
    }
    for reference in readme.split("docs/screenshots/").skip(1) {
        let name: String = reference
            .chars()
            .take_while(|c| *c != '"' && *c != ')')
            .collect();
        assert!(
            stored.contains(&name),
            "README.md shows a missing screenshot {name}"
        );
    }
}
