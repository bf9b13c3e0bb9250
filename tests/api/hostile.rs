//! Hostile input, black-box: numbers too big for any column, path and query values out of range,
//! and content archives that try to reach outside their own tree. Each is refused with a problem,
//! never a 500. (Oversized bodies, deep JSON and invalid UTF-8: see `errors.rs`.)

use chrono::{Duration, Utc};
use mentorsti::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

async fn raw_post(app: &TestApp, path: &str, token: &str, body: &str) -> reqwest::Response {
    app.client
        .post(app.api(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn huge_numbers_are_422_not_500() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (facilitator, _) = app.user_with_token(Role::Facilitator).await;
    let start = Utc::now() + Duration::days(10);
    let sessions = json!([
        {"starts_at": start, "join_url": "https://meet.example.no/a"},
        {"starts_at": start + Duration::days(21), "join_url": "https://meet.example.no/b"},
        {"starts_at": start + Duration::days(42), "join_url": "https://meet.example.no/c"},
    ]);
    for capacity in [
        "1e30",
        "99999999999999999999999999",
        "2147483648",
        "-2147483649",
        "1.5",
        "-1",
    ] {
        let body = format!(
            r#"{{"title": "Gruppe", "capacity": {capacity}, "facilitator_id": "{}", "sessions": {sessions}}}"#,
            facilitator.id
        );
        let problem = assert_problem(
            raw_post(&app, "/admin/webinar-series", &admin, &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "capacity", "{capacity}");
    }
    let long_session = json!([
        {"starts_at": start, "duration_minutes": 1e30, "join_url": "https://meet.example.no/a"},
        {"starts_at": start + Duration::days(21), "join_url": "https://meet.example.no/b"},
        {"starts_at": start + Duration::days(42), "join_url": "https://meet.example.no/c"},
    ]);
    let body = json!({"title": "Gruppe", "capacity": 5, "facilitator_id": facilitator.id, "sessions": long_session});
    assert_problem(
        app.post("/admin/webinar-series", &admin, &body).await,
        422,
        "validation_failed",
    )
    .await;
    // A date far outside what the database stores.
    let far = json!([
        {"starts_at": "+262142-12-31T23:59:59Z", "join_url": "https://meet.example.no/a"},
        {"starts_at": start + Duration::days(21), "join_url": "https://meet.example.no/b"},
        {"starts_at": start + Duration::days(42), "join_url": "https://meet.example.no/c"},
    ]);
    let body = json!({"title": "Gruppe", "capacity": 5, "facilitator_id": facilitator.id, "sessions": far});
    let response = app.post("/admin/webinar-series", &admin, &body).await;
    assert_eq!(response.status(), 422, "{}", response.text().await.unwrap());
}

#[tokio::test]
async fn path_and_query_numbers_out_of_range_are_404_or_422() {
    let app = spawn_app().await;
    let (_, mentor) = app.user_with_token(Role::Mentor).await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    for path in [
        "/modules/99999999999/pages/x",
        "/modules/-99999999999/pages/x",
        "/modules/2147483647/pages/x",
        "/modules/1e30/pages/x",
        "/certificates/%00%ff",
    ] {
        let response = app.get(path, &mentor).await;
        assert_problem(response, 404, "not_found").await;
    }
    // U+0000 cannot be stored in PostgreSQL text: refused, not a database error.
    let response = app.get("/modules/1/pages/a%00b", &mentor).await;
    assert!([404, 422].contains(&response.status().as_u16()));
    let response = app
        .post(
            "/auth/login",
            "",
            &json!({"email": "a\u{0}@example.no", "password": "x\u{0}y"}),
        )
        .await;
    assert!([401, 422].contains(&response.status().as_u16()));
    let response = app
        .delete("/webinar-series/not-a-uuid/registrations/me", &mentor)
        .await;
    assert_problem(response, 404, "not_found").await;
    let response = app
        .put(
            "/modules/99999999999/pages/x/completion",
            &mentor,
            &json!({}),
        )
        .await;
    assert_problem(response, 404, "not_found").await;
    let path: Value = app.get("/path", &admin).await.json().await.unwrap();
    let page = format!(
        "/modules/1/pages/{}",
        path["modules"][0]["pages"][0]["slug"].as_str().unwrap()
    );
    for query in [
        "revision=99999999999999999999",
        "revision=%ff%fe",
        "revision=",
    ] {
        let response = app.get(&format!("{page}?{query}"), &admin).await;
        assert_problem(response, 422, "validation_failed").await;
    }
}

/// A tar.gz whose entries are written raw, so hostile names and kinds can be made.
fn hostile_archive(entries: &[(&str, &[u8], tar::EntryType, Option<&str>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (path, contents, kind, link) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(*kind);
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        let name = path.as_bytes();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        if let Some(link) = link {
            let link = link.as_bytes();
            header.as_old_mut().linkname[..link.len()].copy_from_slice(link);
        }
        header.set_cksum();
        builder.append(&header, *contents).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

#[tokio::test]
async fn content_archives_cannot_reach_outside_their_tree() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let cases: [(&str, tar::EntryType, Option<&str>); 6] = [
        ("../x", tar::EntryType::Regular, None),
        ("/etc/x", tar::EntryType::Regular, None),
        ("modules/../../../x", tar::EntryType::Regular, None),
        ("modules/link", tar::EntryType::Symlink, Some("/etc/passwd")),
        (
            "modules/hard",
            tar::EntryType::Link,
            Some("../../etc/passwd"),
        ),
        ("modules/fifo", tar::EntryType::Fifo, None),
    ];
    for (path, kind, link) in cases {
        let archive = hostile_archive(&[
            (
                "course.toml",
                b"title = 'x'\ndescription = 'y'\n",
                tar::EntryType::Regular,
                None,
            ),
            (path, b"x", kind, link),
        ]);
        let response = app
            .client
            .post(app.api("/admin/content/import"))
            .bearer_auth(&admin)
            .header("content-type", "application/gzip")
            .body(archive)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "content_invalid").await;
        let problems = problem["problems"].as_array().unwrap();
        assert!(
            problems
                .iter()
                .any(|p| p["file"] == path
                    && (p["message"].as_str().unwrap().contains("not allowed"))),
            "{path}: {problem}"
        );
    }
    assert!(!std::path::Path::new("/x").exists());
    // Not an archive at all, and a gzip bomb's worth of zeros.
    for body in [
        b"definitely not gzip".to_vec(),
        gzip(&vec![0u8; 40 * 1024 * 1024]),
    ] {
        let response = app
            .client
            .post(app.api("/admin/content/import"))
            .bearer_auth(&admin)
            .header("content-type", "application/gzip")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem: Value = assert_problem(response, 422, "content_invalid").await;
        assert!(!problem["problems"].as_array().unwrap().is_empty());
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}
