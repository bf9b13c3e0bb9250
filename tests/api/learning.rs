use std::collections::BTreeMap;

use mentorsti::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, reflection_question, spawn_app, TestApp};

/// Every page of the published path in order: (module number, slug).
pub async fn pages_in_order(app: &TestApp, token: &str) -> Vec<(i64, String)> {
    let path: Value = app.get("/path", token).await.json().await.unwrap();
    path["modules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| {
            let number = m["number"].as_i64().unwrap();
            m["pages"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |p| (number, p["slug"].as_str().unwrap().to_owned()))
        })
        .collect()
}

pub fn page_path(module: i64, slug: &str) -> String {
    format!("/modules/{module}/pages/{slug}")
}

#[tokio::test]
async fn a_mentor_walks_the_whole_path() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let path: Value = app.get("/path", &token).await.json().await.unwrap();
    assert_eq!(path["completed"], false);
    assert_eq!(path["modules"].as_array().unwrap().len(), 4);
    assert_eq!(path["modules"][0]["status"], "available");
    assert_eq!(path["modules"][0]["skippable"], true);
    assert_eq!(path["modules"][1]["status"], "locked");
    assert_eq!(path["modules"][0]["pages"][0]["status"], "available");
    assert_eq!(path["modules"][0]["pages"][1]["status"], "locked");
    // At the start every page is left: the course's whole declared time.
    let total: i64 = path["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["estimated_minutes"].as_i64().unwrap())
        .sum();
    assert_eq!(path["minutes_left"], total);
    assert!(path["literature"]["references"].as_u64().unwrap() >= 10);

    let pages = pages_in_order(&app, &token).await;
    assert!(pages.len() >= 16);
    for (index, (module, slug)) in pages.iter().enumerate() {
        let path: Value = app.get("/path", &token).await.json().await.unwrap();
        assert_eq!(
            path["resume"]["slug"],
            slug.as_str(),
            "resume points at the next page"
        );
        let response = app.get(&page_path(*module, slug), &token).await;
        assert_eq!(response.status(), 200, "{slug}");
        let page: Value = response.json().await.unwrap();
        assert_eq!(page["status"], "available");
        assert!(page["html"].as_str().unwrap().len() > 500);
        let question = reflection_question(&page);
        let saved = app
            .put(
                &format!("{}/answers/{question}", page_path(*module, slug)),
                &token,
                &json!({"text": format!("Mitt svar på side {index}")}),
            )
            .await;
        assert_eq!(saved.status(), 200);
        let done = app
            .put(
                &format!("{}/completion", page_path(*module, slug)),
                &token,
                &json!({}),
            )
            .await;
        assert_eq!(done.status(), 200);
        let done: Value = done.json().await.unwrap();
        assert_eq!(done["status"], "completed");
        assert_eq!(done["path_completed"], index + 1 == pages.len());
    }
    let path: Value = app.get("/path", &token).await.json().await.unwrap();
    assert_eq!(path["completed"], true);
    assert!(path["resume"].is_null());
    assert_eq!(path["minutes_left"], 0);
    for module in path["modules"].as_array().unwrap() {
        assert_eq!(module["status"], "completed");
    }
    let answers: Value = app.get("/me/answers", &token).await.json().await.unwrap();
    assert_eq!(answers.as_array().unwrap().len(), pages.len());
    assert!(answers[0]["question"].is_string());
}

#[tokio::test]
async fn locked_pages_are_refused_with_the_page_to_do_first() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let pages = pages_in_order(&app, &token).await;
    let (m2, second) = &pages[1];
    let problem = assert_problem(
        app.get(&page_path(*m2, second), &token).await,
        403,
        "page_locked",
    )
    .await;
    assert_eq!(problem["next_page"]["slug"], pages[0].1.as_str());
    let response = app
        .put(
            &format!("{}/completion", page_path(*m2, second)),
            &token,
            &json!({}),
        )
        .await;
    assert_problem(response, 403, "page_locked").await;
    let later = pages.iter().find(|(m, _)| *m == 3).unwrap();
    assert_problem(
        app.get(&page_path(later.0, &later.1), &token).await,
        403,
        "page_locked",
    )
    .await;
    // A page looked up under the wrong module, unknown pages and malformed numbers are 404.
    assert_problem(
        app.get(&page_path(2, &pages[0].1), &token).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/modules/1/pages/finnes-ikke", &token).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/modules/abc/pages/x", &token).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("/modules/1/pages/{}", "x".repeat(300)), &token)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn concurrent_completions_can_only_ever_complete_a_prefix() {
    let app = spawn_app().await;
    let pages = {
        let (_, token) = app.user_with_token(Role::Mentor).await;
        pages_in_order(&app, &token).await
    };
    for round in 0..4 {
        let (account, token) = app.user_with_token(Role::Mentor).await;
        if round % 2 == 1 {
            // With the mentor's progress cached, completions are decided on the snapshot.
            assert_eq!(app.get("/path", &token).await.status(), 200);
        }
        // Every page of modules 1 and 2 at once, last first.
        let requests = pages
            .iter()
            .filter(|(m, _)| *m <= 2)
            .rev()
            .map(|(m, slug)| {
                app.put_owned(format!("{}/completion", page_path(*m, slug)), token.clone())
            });
        futures_util::future::join_all(requests).await;
        let sql = app.sql().await;
        let rows = sql
            .query(
                "SELECT page_slug FROM page_completions WHERE user_id = $1",
                &[&account.id],
            )
            .await
            .unwrap();
        let done: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        let prefix: Vec<String> = pages
            .iter()
            .take(done.len())
            .map(|(_, s)| s.clone())
            .collect();
        let mut sorted = done.clone();
        sorted.sort();
        let mut expected = prefix.clone();
        expected.sort();
        assert_eq!(
            sorted,
            expected,
            "completed pages must be the first {} pages of the path",
            done.len()
        );
        let stamped: bool = sql
            .query_one(
                "SELECT last_active_at > now() - interval '1 minute' FROM users WHERE id = $1",
                &[&account.id],
            )
            .await
            .unwrap()
            .get(0);
        assert!(stamped, "a completion stamps the mentor's activity");
    }
}

#[tokio::test]
async fn module_one_can_be_skipped_and_completed_later() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let response = app.post("/modules/1/skip", &token, &json!({})).await;
    assert_eq!(response.status(), 200);
    let path: Value = response.json().await.unwrap();
    assert_eq!(path["modules"][0]["status"], "skipped");
    assert_eq!(path["modules"][1]["status"], "available");
    assert_eq!(path["resume"]["module"], 2);
    let later: i64 = path["modules"].as_array().unwrap()[1..]
        .iter()
        .map(|m| m["estimated_minutes"].as_i64().unwrap())
        .sum();
    assert_eq!(path["minutes_left"].as_i64().unwrap(), later);
    assert_problem(
        app.post("/modules/2/skip", &token, &json!({})).await,
        409,
        "conflict",
    )
    .await;
    assert_problem(
        app.post("/modules/9/skip", &token, &json!({})).await,
        404,
        "not_found",
    )
    .await;
    // Skipping again is harmless; module 1's pages stay open in order.
    assert_eq!(
        app.post("/modules/1/skip", &token, &json!({}))
            .await
            .status(),
        200
    );
    let pages = pages_in_order(&app, &token).await;
    for (module, slug) in pages.iter().filter(|(m, _)| *m == 1) {
        let response = app
            .put(
                &format!("{}/completion", page_path(*module, slug)),
                &token,
                &json!({}),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let path: Value = app.get("/path", &token).await.json().await.unwrap();
    assert_eq!(path["modules"][0]["status"], "completed");
}

/// The pages of module 1 as (slug, status) from a path view.
fn module_one(path: &Value) -> Vec<(String, String)> {
    path["modules"][0]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["slug"].as_str().unwrap().to_owned(),
                p["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_skipped_module_opens_every_page_whatever_was_read_before() {
    let app = spawn_app().await;
    let (_, read_first) = app.user_with_token(Role::Mentor).await;
    let (_, skipped_first) = app.user_with_token(Role::Mentor).await;
    let start: Value = app.get("/path", &read_first).await.json().await.unwrap();
    let first = module_one(&start);
    assert!(first.len() >= 3, "module 1 has pages beyond the second");
    let completion = |slug: &str| format!("{}/completion", page_path(1, slug));
    assert_eq!(
        app.put(&completion(&first[0].0), &read_first, &json!({}))
            .await
            .status(),
        200
    );
    for token in [&read_first, &skipped_first] {
        let skipped: Value = app
            .post("/modules/1/skip", token, &json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(skipped["modules"][0]["status"], "skipped");
        for (index, (slug, status)) in module_one(&skipped).iter().enumerate() {
            let expected = if token == &read_first && index == 0 {
                "completed"
            } else {
                "available"
            };
            assert_eq!(status, expected, "{slug}");
            assert_eq!(app.get(&page_path(1, slug), token).await.status(), 200);
        }
        // The module is left out of the count and of the time left.
        let later: Vec<&Value> = skipped["modules"].as_array().unwrap()[1..].iter().collect();
        let pages: usize = later
            .iter()
            .map(|m| m["pages"].as_array().unwrap().len())
            .sum();
        let minutes: i64 = later
            .iter()
            .map(|m| m["estimated_minutes"].as_i64().unwrap())
            .sum();
        assert_eq!(skipped["pages_counted"], pages);
        assert_eq!(skipped["pages_completed"], 0);
        assert_eq!(skipped["minutes_left"].as_i64().unwrap(), minutes);
        assert_eq!(skipped["resume"]["module"], 2);
    }
    // A page further on can be completed out of order, and opens nothing of module 2's beyond
    // its first page.
    let third = &first[2].0;
    assert_eq!(
        app.put(&completion(third), &read_first, &json!({}))
            .await
            .status(),
        200
    );
    let path: Value = app.get("/path", &read_first).await.json().await.unwrap();
    assert_eq!(path["modules"][0]["status"], "skipped");
    assert_eq!(path["modules"][1]["pages"][1]["status"], "locked");
    assert_eq!(path["pages_completed"], 0);
}

#[tokio::test]
async fn answers_are_saved_updated_and_private() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let (_, other) = app.user_with_token(Role::Mentor).await;
    let pages = pages_in_order(&app, &token).await;
    let (module, slug) = &pages[0];
    let page: Value = app
        .get(&page_path(*module, slug), &token)
        .await
        .json()
        .await
        .unwrap();
    let question = reflection_question(&page);
    let url = format!("{}/answers/{question}", page_path(*module, slug));
    let first: Value = app
        .put(&url, &token, &json!({"text": "Første utkast"}))
        .await
        .json()
        .await
        .unwrap();
    let second: Value = app
        .put(&url, &token, &json!({"text": "Andre utkast ✍️"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["text"], "Andre utkast ✍️");
    assert!(second["updated_at"].as_str().unwrap() >= first["updated_at"].as_str().unwrap());
    let mine: Value = app.get("/me/answers", &token).await.json().await.unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["text"], "Andre utkast ✍️");
    let theirs: Value = app.get("/me/answers", &other).await.json().await.unwrap();
    assert!(theirs.as_array().unwrap().is_empty(), "answers are private");

    let at_limit = "æ".repeat(20_000);
    assert_eq!(
        app.put(&url, &token, &json!({"text": at_limit}))
            .await
            .status(),
        200
    );
    let over = "a".repeat(20_001);
    assert_problem(
        app.put(&url, &token, &json!({"text": over})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.put(
            &format!("{}/answers/finnes-ikke", page_path(*module, slug)),
            &token,
            &json!({"text": "x"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.put(&url, &token, &json!({"svar": "x"})).await,
        422,
        "validation_failed",
    )
    .await;
    let (m2, locked) = &pages[1];
    let locked_page: Value = app.get("/path", &token).await.json().await.unwrap();
    assert_eq!(locked_page["modules"][0]["pages"][1]["status"], "locked");
    let response = app
        .put(
            &format!("{}/answers/{question}", page_path(*m2, locked)),
            &token,
            &json!({"text": "x"}),
        )
        .await;
    assert!(response.status() == 403 || response.status() == 404);
}

#[tokio::test]
async fn page_reads_carry_an_etag_and_answer_304() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let pages = pages_in_order(&app, &token).await;
    let url = app.api(&page_path(pages[0].0, &pages[0].1));
    let response = app
        .client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("private"));
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(&url)
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());
    // Completing the page changes what the page says (its status), so the tag changes.
    app.put(
        &format!("{}/completion", page_path(pages[0].0, &pages[0].1)),
        &token,
        &json!({}),
    )
    .await;
    let after = app
        .client
        .get(&url)
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"], etag.as_str());
}

#[tokio::test]
async fn literature_is_always_open_and_subtitles_are_public() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let literature: Value = app.get("/literature", &token).await.json().await.unwrap();
    let references = literature["references"].as_array().unwrap();
    assert!(references.len() >= 10);
    assert!(references
        .iter()
        .all(|r| r["why"].as_str().is_some_and(|w| !w.is_empty())));
    let pages = pages_in_order(&app, &token).await;
    // Find a film anywhere (reading as an admin preview of the current revision is not needed:
    // the first film's page is opened by walking to it).
    let path: Value = app.get("/path", &token).await.json().await.unwrap();
    let revision = path["revision"].as_str().unwrap().to_owned();
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let mut film = None;
    for (module, slug) in &pages {
        let page: Value = app
            .get(
                &format!("{}?revision={revision}", page_path(*module, slug)),
                &admin,
            )
            .await
            .json()
            .await
            .unwrap();
        if let Some(block) = page["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "film")
        {
            film = Some(block.clone());
            break;
        }
    }
    let film = film.expect("the course has films");
    let url = film["subtitles_url"].as_str().unwrap();
    let response = app.client.get(app.url(url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/vtt"));
    assert!(response.text().await.unwrap().starts_with("WEBVTT"));
    assert_problem(
        app.client
            .get(app.api("/subtitles/nope.vtt"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
}

/// The bundled course as path → bytes, films included.
pub fn bundled_tree() -> BTreeMap<String, Vec<u8>> {
    let tree = mentorsti::content::source::from_dir(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/content"
    )))
    .unwrap();
    let mut files = tree.files;
    for (path, file) in tree.media {
        files.insert(path, std::fs::read(&file.location).unwrap());
    }
    files
}

pub fn archive(tree: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (path, bytes) in tree {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, format!("content/{path}"), bytes.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

pub async fn import(app: &TestApp, token: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.api("/admin/content/import"))
        .bearer_auth(token)
        .header("content-type", "application/gzip")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn first_page_key(tree: &BTreeMap<String, Vec<u8>>) -> String {
    tree.keys()
        .find(|k| k.starts_with("modules/1-") && k.ends_with(".md"))
        .unwrap()
        .clone()
}

#[tokio::test]
async fn drafts_are_previewed_by_admins_only_and_published_atomically() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, mentor) = app.user_with_token(Role::Mentor).await;
    let mut tree = bundled_tree();
    let key = first_page_key(&tree);
    let text = String::from_utf8(tree[&key].clone()).unwrap();
    let retitled = text.replacen("title = \"", "title = \"Ny versjon: ", 1);
    tree.insert(key.clone(), retitled.into_bytes());

    // Only admins import.
    assert_problem(
        import(&app, &mentor, archive(&tree)).await,
        403,
        "forbidden",
    )
    .await;
    let response = import(&app, &admin, archive(&tree)).await;
    assert_eq!(response.status(), 201);
    let draft: Value = response.json().await.unwrap();
    assert_eq!(draft["current"], false);
    let draft_id = draft["id"].as_str().unwrap();

    let pages = pages_in_order(&app, &mentor).await;
    let url = format!("{}?revision={draft_id}", page_path(pages[0].0, &pages[0].1));
    let preview: Value = app.get(&url, &admin).await.json().await.unwrap();
    assert!(preview["title"]
        .as_str()
        .unwrap()
        .starts_with("Ny versjon: "));
    assert_problem(app.get(&url, &mentor).await, 403, "forbidden").await;

    // The draft's path too: every page open, for admins only.
    let draft_path: Value = app
        .get(&format!("/path?revision={draft_id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(draft_path["revision"], draft_id);
    let first = &draft_path["modules"][0]["pages"][0];
    assert!(first["title"].as_str().unwrap().starts_with("Ny versjon: "));
    assert!(draft_path["modules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["pages"].as_array().unwrap())
        .all(|p| p["status"] == "available"));
    assert_problem(
        app.get(&format!("/path?revision={draft_id}"), &mentor)
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get(&format!("/path?revision={}", uuid::Uuid::new_v4()), &admin)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/path?revision=not-a-uuid", &admin).await,
        422,
        "validation_failed",
    )
    .await;
    let mentor_path: Value = app.get("/path", &mentor).await.json().await.unwrap();
    assert_ne!(mentor_path["revision"], draft_id, "drafts are not visible");

    let current: Value = app
        .get(&page_path(pages[0].0, &pages[0].1), &mentor)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !current["title"]
            .as_str()
            .unwrap()
            .starts_with("Ny versjon: "),
        "drafts are not visible"
    );

    let revisions: Value = app
        .get("/admin/content/revisions", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(revisions.as_array().unwrap().len(), 2);
    assert_problem(
        app.get("/admin/content/revisions", &mentor).await,
        403,
        "forbidden",
    )
    .await;

    let published = app
        .post(
            &format!("/admin/content/revisions/{draft_id}/publish"),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(published.status(), 200);
    let current: Value = app
        .get(&page_path(pages[0].0, &pages[0].1), &mentor)
        .await
        .json()
        .await
        .unwrap();
    assert!(current["title"]
        .as_str()
        .unwrap()
        .starts_with("Ny versjon: "));
    assert_eq!(current["revision"], draft_id);
    assert_problem(
        app.post(
            &format!("/admin/content/revisions/{}/publish", uuid::Uuid::new_v4()),
            &admin,
            &json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post(
            "/admin/content/revisions/not-a-uuid/publish",
            &admin,
            &json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn bad_content_is_refused_with_every_problem_listed() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let mut tree = bundled_tree();
    // A film's subtitles gone in both forms.
    let film = tree
        .keys()
        .find(|k| k.starts_with("subtitles/") && !k.contains(".nn."))
        .unwrap()
        .clone();
    tree.remove(&film);
    tree.remove(&film.replace(".vtt", ".nn.vtt"));
    let key = first_page_key(&tree);
    tree.insert(
        key.replace(".md", "-kopi.md").replacen("/0", "/9", 1),
        "+++\ntitle = \"Uten spørsmål\"\nestimated_minutes = 5\n+++\nTekst\n"
            .as_bytes()
            .to_vec(),
    );
    let response = import(&app, &admin, archive(&tree)).await;
    let problem = assert_problem(response, 422, "content_invalid").await;
    let problems = problem["problems"].as_array().unwrap();
    let messages: Vec<String> = problems
        .iter()
        .map(|p| p["message"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("subtitle file")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("no reflection question")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("estimated_minutes")),
        "{messages:?}"
    );
    assert!(problems.iter().all(|p| p["file"].is_string()));
    let revisions: Value = app
        .get("/admin/content/revisions", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(revisions.as_array().unwrap().len(), 1, "nothing was stored");

    // Archives that try to escape, and things that are not archives.
    let mut evil = tar::Header::new_gnu();
    evil.set_size(1);
    evil.set_mode(0o644);
    evil.as_old_mut().name[..16].copy_from_slice(b"../../etc/passwd");
    evil.set_cksum();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    builder.append(&evil, &b"x"[..]).unwrap();
    let escape = builder.into_inner().unwrap().finish().unwrap();
    assert_problem(import(&app, &admin, escape).await, 422, "content_invalid").await;
    assert_problem(
        import(&app, &admin, b"garbage".to_vec()).await,
        422,
        "content_invalid",
    )
    .await;
    let wrong_type = app
        .client
        .post(app.api("/admin/content/import"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(wrong_type, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn hostile_markdown_in_an_import_is_sanitised() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let mut tree = bundled_tree();
    let key = first_page_key(&tree);
    let mut text = String::from_utf8(tree[&key].clone()).unwrap();
    text.push_str("\n\n<script>alert('x')</script>\n\n[klikk](javascript:alert(1))\n\n<img src=x onerror=alert(1)>\n\n<iframe src=\"https://evil.example\"></iframe>\n");
    tree.insert(key, text.into_bytes());
    let draft: Value = import(&app, &admin, archive(&tree))
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap();
    let (_, mentor) = app.user_with_token(Role::Mentor).await;
    let pages = pages_in_order(&app, &mentor).await;
    let page: Value = app
        .get(
            &format!("{}?revision={id}", page_path(pages[0].0, &pages[0].1)),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let html = page["html"].as_str().unwrap().to_lowercase();
    for bad in ["<script", "javascript:", "onerror", "<iframe"] {
        assert!(!html.contains(bad), "{bad} survived");
    }
}

#[tokio::test]
async fn a_completed_path_stays_completed_when_a_new_revision_adds_a_page() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    for (module, slug) in pages_in_order(&app, &token).await {
        app.put(
            &format!("{}/completion", page_path(module, &slug)),
            &token,
            &json!({}),
        )
        .await;
    }
    let mut tree = bundled_tree();
    let module_toml = tree
        .keys()
        .find(|k| k.starts_with("modules/3-") && k.ends_with("module.toml"))
        .unwrap()
        .clone();
    let dir = module_toml.trim_end_matches("module.toml").to_owned();
    // The new page in both written forms, each module manifest ten minutes longer.
    for (page, text, manifest) in [
        ("99-ny-side.md", "Noe nytt.", module_toml.clone()),
        (
            "99-ny-side.nn.md",
            "Noko nytt.",
            format!("{dir}module.nn.toml"),
        ),
    ] {
        tree.insert(
            format!("{dir}{page}"),
            format!("+++\ntitle = \"Ny side\"\nestimated_minutes = 10\n+++\n{text}\n\n```reflection\nid = \"nytt\"\nquestion = \"Kva er nytt?\"\n```\n").into_bytes(),
        );
        let text = String::from_utf8(tree[&manifest].clone()).unwrap();
        let minutes: i64 = text
            .lines()
            .find_map(|l| l.strip_prefix("estimated_minutes = "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        tree.insert(
            manifest,
            text.replace(
                &format!("estimated_minutes = {minutes}"),
                &format!("estimated_minutes = {}", minutes + 10),
            )
            .into_bytes(),
        );
    }
    let draft: Value = import(&app, &admin, archive(&tree))
        .await
        .json()
        .await
        .unwrap();
    app.post(
        &format!(
            "/admin/content/revisions/{}/publish",
            draft["id"].as_str().unwrap()
        ),
        &admin,
        &json!({}),
    )
    .await;
    let path: Value = app.get("/path", &token).await.json().await.unwrap();
    assert_eq!(path["completed"], true);
    assert_eq!(path["resume"]["slug"], "ny-side");
    assert_eq!(path["modules"][2]["status"], "in_progress");
    let new_page = path["modules"][2]["pages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(new_page["status"], "available");
}
