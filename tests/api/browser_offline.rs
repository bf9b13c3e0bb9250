//! A mentor's journey in a real browser, part: offline (see browser.rs for how walks run).
//! A new mentor skips module 1, reads two of its pages and goes offline; reloads, completes the
//! two pages, answers two questions and writes a note draft, closes the page and opens it again,
//! and goes online: the outbox sends every write once. Then another device changes an answer
//! and the mentor chooses between the versions, meets the choice again with a copy typed just
//! before the page closed, writes on offline a text saved online (no false conflict), signs out
//! with an unsent change (it is removed from the device), and writes where the device stores
//! nothing (`web/e2e/offline.mjs`).

use mentorsti::auth::Role;
use serde_json::Value;

use crate::browser::run_walk;
use crate::helpers::{page_slugs, spawn_app, TestApp, PASSWORD};

// The texts the walk writes (the same constants are in web/e2e/offline.mjs).
const NOTE_DRAFT: &str = "Utkast skrevet i heisen: det jeg tar med meg er å lytte før jeg svarer.";
const OTHER_THIRD: &str = "Skrevet på nettbrettet en tredje gang, mens telefonen lå i lomma.";
const UNSTORED: &str = "Skrevet der enheten ikke har plass: sendt fra siden som stod åpen.";

async fn signed_in(app: &TestApp, email: &str) -> String {
    let pair: Value = app.login(email, PASSWORD).await.json().await.unwrap();
    pair["access_token"].as_str().unwrap().to_owned()
}

/// The first column of `query` for the mentor `user_id`, row by row.
async fn first_column<T>(sql: &tokio_postgres::Client, query: &str, user_id: uuid::Uuid) -> Vec<T>
where
    T: for<'a> tokio_postgres::types::FromSql<'a>,
{
    sql.query(query, &[&user_id])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn writes_made_offline_reach_the_server_once_each_in_a_real_browser() {
    let app = spawn_app().await;
    let mentor = app
        .create_user(Role::Mentor, "marte.kjeller@example.no")
        .await;
    let token = signed_in(&app, &mentor.email).await;
    let path: Value = app.get_json("/path", &token).await;
    let module_one: Vec<String> = page_slugs(&path, 0);

    run_walk("offline", &app.address, &[&mentor.email, PASSWORD], &[]).await;

    let sql = app.sql().await;
    // The skip and the two completions made offline, each once.
    let skips: Vec<i32> = first_column(
        &sql,
        "SELECT module_number FROM module_skips WHERE user_id = $1",
        mentor.id,
    )
    .await;
    assert_eq!(skips, [1], "module 1 is skipped");
    let completed: Vec<String> = first_column(
        &sql,
        "SELECT page_slug FROM page_completions WHERE user_id = $1 ORDER BY completed_at",
        mentor.id,
    )
    .await;
    assert_eq!(
        completed,
        module_one[..2],
        "exactly the two pages completed offline, in order"
    );

    // The answers: a revision per write the server took. The first was written offline once,
    // then by the other device, kept over it by the mentor, replaced by the other device again
    // (taken by the mentor), and by the other device a third time (taken over the copy restored
    // from before the page closed, which never reached the server): five. The second offline
    // once, online once, written on offline once, then once from a page that could store
    // nothing on the device: four. The change left unsent at sign-out never came.
    let token = signed_in(&app, &mentor.email).await;
    let answers: Value = app.get_json("/me/answers", &token).await;
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 2, "two answers: {answers:?}");
    let first = answers
        .iter()
        .find(|a| a["etag"] == "\"r5\"")
        .unwrap_or_else(|| panic!("the first answer has five revisions: {answers:?}"));
    assert_eq!(first["text"], OTHER_THIRD, "the version the mentor took");
    let second = answers
        .iter()
        .find(|a| a["etag"] == "\"r4\"")
        .unwrap_or_else(|| panic!("the second answer has four revisions: {answers:?}"));
    assert_eq!(second["text"], UNSTORED);
    for answer in answers {
        assert_eq!(answer["module"], 1);
        assert_eq!(answer["page_slug"].as_str(), Some(module_one[0].as_str()));
    }

    // The note draft, written once.
    let note: Value = app.get_json("/me/reflection-note", &token).await;
    assert_eq!(note["status"], "draft");
    assert_eq!(note["body"], NOTE_DRAFT);
    assert_eq!(note["etag"], "\"v1.1\"", "one write of the note: {note}");
}
