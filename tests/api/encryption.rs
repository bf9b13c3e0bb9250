//! Encryption at rest: the database alone does not reveal what mentors wrote, ciphertexts are
//! bound to their rows, keys rotate, and plaintext left from before is sealed at start.

use mentorsti::auth::Role;
use mentorsti::config::Config;
use mentorsti::Application;
use serde_json::{json, Value};

use crate::cli::mentorsti;
use crate::helpers::{
    assert_problem, base_vars, reflection_question, spawn_app, spawn_app_with, TestApp,
};

const OLD: &str = "old:bWVudG9yc3RpLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmM=";
const NEW: &str = "new:bWVudG9yc3RpLXNlY29uZC1rZXktMDEyMzQ1Njc4OXg=";

/// A secret a mentor might write; it must never be found in the database.
const SECRET: &str = "Fru Hansen på rom 12 ville ikke ha besøk av sønnen";

fn note_text() -> String {
    format!("{SECRET}. ").repeat(8)
}

/// The first reflection question of the first page: (answer URL, page slug, question id).
async fn first_question(app: &TestApp, token: &str) -> (String, String, String) {
    let path: Value = app.get("/path", token).await.json().await.unwrap();
    let module = &path["modules"][0];
    let slug = module["pages"][0]["slug"].as_str().unwrap().to_owned();
    let page_url = format!("/modules/{}/pages/{slug}", module["number"]);
    let page: Value = app.get(&page_url, token).await.json().await.unwrap();
    let question = reflection_question(&page);
    (format!("{page_url}/answers/{question}"), slug, question)
}

/// Another instance of the service on the same database, configured with `keys`.
async fn instance(app: &TestApp, keys: &str) -> String {
    let mut vars = base_vars(&app.db.url, app.mail.port);
    vars.insert("ENCRYPTION_KEYS".into(), keys.into());
    let started = Application::build(Config::from_vars(&vars).unwrap())
        .await
        .expect("the instance starts");
    let address = format!("http://127.0.0.1:{}/api/v1", started.port());
    tokio::spawn(started.run_until_stopped());
    address
}

async fn get_at(app: &TestApp, base: &str, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Every stored text's (key id, plaintext column is null, ciphertext) from both tables.
async fn raw_rows(app: &TestApp) -> Vec<(Option<String>, bool, Option<Vec<u8>>)> {
    app.sql()
        .await
        .query(
            "SELECT key_id, body IS NULL, body_ciphertext FROM reflection_answers \
             UNION ALL SELECT key_id, body IS NULL, body_ciphertext FROM reflection_notes",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn the_database_alone_does_not_reveal_answers_or_notes() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let (url, _, _) = first_question(&app, &token).await;
    let saved = app.put(&url, &token, &json!({"text": SECRET})).await;
    assert_eq!(saved.status(), 200);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["text"], SECRET);
    let note = app
        .put("/me/reflection-note", &token, &json!({"body": note_text()}))
        .await;
    assert_eq!(note.status(), 200);

    let rows = raw_rows(&app).await;
    assert_eq!(rows.len(), 2);
    for (key_id, plaintext_cleared, ciphertext) in &rows {
        assert_eq!(key_id.as_deref(), Some("test1"));
        assert!(plaintext_cleared);
        let ciphertext = ciphertext.as_ref().unwrap();
        assert!(!contains(ciphertext, SECRET.as_bytes()));
        assert!(!contains(ciphertext, "Hansen".as_bytes()));
    }
    // Nowhere in either table, in any column, as text.
    let found: i64 = app
        .sql()
        .await
        .query_one(
            "SELECT (SELECT count(*) FROM reflection_answers a WHERE a::text LIKE '%Hansen%') \
                  + (SELECT count(*) FROM reflection_notes n WHERE n::text LIKE '%Hansen%')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(found, 0);

    // The API answers exactly as before.
    let mine: Value = app.get("/me/answers", &token).await.json().await.unwrap();
    assert_eq!(mine[0]["text"], SECRET);
    let note: Value = app
        .get("/me/reflection-note", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(note["body"], note_text());
    let history: Value = app
        .get("/me/reflection-note/versions", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["body"], note_text());
}

#[tokio::test]
async fn a_ciphertext_moved_to_another_row_does_not_open() {
    let app = spawn_app().await;
    let (victim, victim_token) = app.user_with_token(Role::Mentor).await;
    let (thief, thief_token) = app.user_with_token(Role::Mentor).await;
    app.put(
        "/me/reflection-note",
        &victim_token,
        &json!({"body": note_text()}),
    )
    .await;
    app.put(
        "/me/reflection-note",
        &thief_token,
        &json!({"body": "Mitt eget utkast"}),
    )
    .await;
    // Someone with write access to the database copies the victim's sealed note into their own row.
    app.sql()
        .await
        .execute(
            "UPDATE reflection_notes SET body_ciphertext = v.body_ciphertext, key_id = v.key_id \
             FROM reflection_notes v WHERE v.user_id = $1 AND reflection_notes.user_id = $2",
            &[&victim.id, &thief.id],
        )
        .await
        .unwrap();
    let body = assert_problem(
        app.get("/me/reflection-note", &thief_token).await,
        500,
        "internal_error",
    )
    .await;
    assert!(!body.to_string().contains("Hansen"));
    let still: Value = app
        .get("/me/reflection-note", &victim_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["body"], note_text());
}

#[tokio::test]
async fn keys_rotate_and_the_old_key_reads_until_then() {
    let app = spawn_app_with(|vars| {
        vars.insert("ENCRYPTION_KEYS".into(), OLD.into());
    })
    .await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let (url, _, _) = first_question(&app, &token).await;
    app.put(&url, &token, &json!({"text": SECRET})).await;
    app.complete_path(&token).await;
    app.put("/me/reflection-note", &token, &json!({"body": note_text()}))
        .await;
    let submitted = app
        .post("/me/reflection-note/submit", &token, &json!({}))
        .await;
    assert_eq!(submitted.status(), 200);
    app.put(
        "/me/reflection-note",
        &token,
        &json!({"body": "Neste versjon, under arbeid"}),
    )
    .await;

    // The new key becomes current; everything written under the old one still reads.
    let both = instance(&app, &format!("{OLD},{NEW}")).await;
    let answers: Value = get_at(&app, &both, "/me/answers", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answers[0]["text"], SECRET);
    let history: Value = get_at(&app, &both, "/me/reflection-note/versions", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history[1]["body"], note_text());
    let keys: Vec<_> = raw_rows(&app).await.into_iter().map(|r| r.0).collect();
    assert!(keys.iter().all(|k| k.as_deref() == Some("old")), "{keys:?}");

    let rotate = || {
        mentorsti()
            .env("DATABASE_URL", &app.db.url)
            .env("ENCRYPTION_KEYS", format!("{OLD},{NEW}"))
            .env(
                "CONTENT_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/content"),
            )
            .args(["keys", "rotate", "--batch-size", "1"])
            .output()
            .unwrap()
    };
    let output = rotate();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("1 answer(s) and 2 note version(s) now under key \"new\""),
        "{stdout}"
    );
    let rows = raw_rows(&app).await;
    assert_eq!(rows.len(), 3);
    assert!(rows
        .iter()
        .all(|(key, cleared, _)| key.as_deref() == Some("new") && *cleared));
    // Running it again finds nothing left to do.
    let again = rotate();
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 answer(s) and 0 note version(s)"));

    // Without the old key at all, everything still reads; the submitted version is unchanged.
    let only_new = instance(&app, NEW).await;
    let answers: Value = get_at(&app, &only_new, "/me/answers", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answers[0]["text"], SECRET);
    let history: Value = get_at(&app, &only_new, "/me/reflection-note/versions", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["body"], "Neste versjon, under arbeid");
    assert_eq!(history[1]["body"], note_text());
    assert_eq!(history[1]["status"], "submitted");
    assert_eq!(
        history[1]["submitted_at"],
        submitted_at(&app).await,
        "rotation leaves the submitted version as it was"
    );
}

async fn submitted_at(app: &TestApp) -> Value {
    let at: chrono::DateTime<chrono::Utc> = app
        .sql()
        .await
        .query_one(
            "SELECT submitted_at FROM reflection_notes WHERE status = 'submitted'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    json!(at)
}

#[tokio::test]
async fn plaintext_from_before_is_sealed_at_start_and_decrypt_allows_reverting() {
    let app = spawn_app().await;
    let (mentor, token) = app.user_with_token(Role::Mentor).await;
    let (_, slug, question) = first_question(&app, &token).await;
    // Rows as migration 000007 finds them: plaintext only.
    let client = app.sql().await;
    client
        .execute(
            "INSERT INTO reflection_answers (user_id, page_slug, question_id, body) VALUES ($1, $2, $3, $4)",
            &[&mentor.id, &slug, &question, &SECRET],
        )
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO reflection_notes (user_id, version, body, status, submitted_at) \
             VALUES ($1, 1, $2, 'submitted', now())",
            &[&mentor.id, &note_text()],
        )
        .await
        .unwrap();

    let restarted = instance(&app, crate::helpers::ENCRYPTION_KEYS).await;
    let rows = raw_rows(&app).await;
    assert!(
        rows.iter()
            .all(|(key, cleared, _)| key.as_deref() == Some("test1") && *cleared),
        "{rows:?}"
    );
    let answers: Value = get_at(&app, &restarted, "/me/answers", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answers[0]["text"], SECRET);
    let note: Value = get_at(&app, &restarted, "/me/reflection-note", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(note["body"], note_text());
    assert_eq!(note["status"], "submitted");

    // Reverting the migration would lose the sealed texts, so it is refused until they are
    // decrypted.
    let refused = mentorsti::db::revert_all_migrations(&app.db.url).await;
    assert!(format!("{:#}", refused.unwrap_err()).contains("mentorsti keys decrypt"));
    let output = mentorsti()
        .env("DATABASE_URL", &app.db.url)
        .env(
            "CONTENT_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/content"),
        )
        .args(["keys", "decrypt"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let plain: Vec<String> = client
        .query(
            "SELECT body FROM reflection_answers WHERE body_ciphertext IS NULL \
             UNION ALL SELECT body FROM reflection_notes WHERE body_ciphertext IS NULL",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(plain, vec![SECRET.to_owned(), note_text()]);
    mentorsti::db::revert_all_migrations(&app.db.url)
        .await
        .expect("reverting works once the texts are plaintext");
}

#[tokio::test]
async fn length_limits_are_the_same_as_before_encryption() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let (url, _, _) = first_question(&app, &token).await;
    // Exactly 20,000 characters (two bytes each in UTF-8) are kept whole.
    let longest = "æ".repeat(20_000);
    let saved = app.put(&url, &token, &json!({"text": longest})).await;
    assert_eq!(saved.status(), 200);
    let note = app
        .put("/me/reflection-note", &token, &json!({"body": longest}))
        .await;
    assert_eq!(note.status(), 200);
    let mine: Value = app.get("/me/answers", &token).await.json().await.unwrap();
    assert_eq!(mine[0]["text"], longest);
    let lengths: Vec<i32> = app
        .sql()
        .await
        .query(
            "SELECT octet_length(body_ciphertext) FROM reflection_answers \
             UNION ALL SELECT octet_length(body_ciphertext) FROM reflection_notes",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(lengths, vec![40_029, 40_029], "UTF-8 length + 29");
    // One more is refused as before.
    for (path, field) in [(url.as_str(), "text"), ("/me/reflection-note", "body")] {
        let problem = assert_problem(
            app.put(path, &token, &json!({field: "a".repeat(20_001)}))
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field);
    }
}
