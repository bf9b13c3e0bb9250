//! A mentor's journey in a real browser, part: nynorsk (see browser.rs for how walks run).
//! A demo mentor part way along the path chooses Nynorsk on the profile, reads and completes a
//! course page, writes in the note and opens the webinars, all in nynorsk, then goes back to
//! Bokmål and finds the completion and the note where they were (`web/e2e/nynorsk.mjs`).

use serde_json::Value;

use crate::browser::{demo_app, run_walk};
use crate::helpers::TestApp;

async fn signed_in(app: &TestApp, email: &str, password: &str) -> String {
    let pair: Value = app.login(email, password).await.json().await.unwrap();
    pair["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_mentor_reads_the_course_in_nynorsk_in_a_real_browser() {
    let (app, demo) = demo_app().await;
    let (mentor, _) = demo
        .mentors
        .iter()
        .find(|(_, stage)| *stage == "i gang med læringsstien")
        .expect("a demo mentor part way along the path");
    let before: Value = app
        .get("/path", &signed_in(&app, mentor, &demo.password).await)
        .await
        .json()
        .await
        .unwrap();

    run_walk("nynorsk", &app.address, &[mentor, &demo.password], &[]).await;

    // What the walk did is kept by the server, whichever form it was done in.
    let token = signed_in(&app, mentor, &demo.password).await;
    let me: Value = app.get("/me", &token).await.json().await.unwrap();
    assert_eq!(me["language"], "nb", "the walk ends back in bokmål");
    let after: Value = app.get("/path", &token).await.json().await.unwrap();
    assert_eq!(
        after["pages_completed"].as_u64().unwrap(),
        before["pages_completed"].as_u64().unwrap() + 1,
        "the page read in nynorsk is completed"
    );
    let note: Value = app
        .get("/me/reflection-note", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(note["status"], "draft");
    assert!(
        note["body"].as_str().unwrap().contains("kollegaene mine"),
        "the note written in nynorsk is saved: {}",
        note["body"]
    );
}
