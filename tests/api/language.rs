//! Bokmål and nynorsk: each person's written form on `/me`, course text served in it with
//! `Content-Language` and entity tags of its own, and progress shared between the forms.

use mentorsti::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, reflection_question, spawn_app, TestApp};
use crate::learning::{archive, bundled_tree, import, page_path, pages_in_order};

async fn set_language(app: &TestApp, token: &str, language: &str) -> Value {
    let response = app
        .patch("/me", token, &json!({ "language": language }))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_person_chooses_a_written_form_on_me() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let me: Value = app.get("/me", &token).await.json().await.unwrap();
    assert_eq!(me["language"], "nb");
    assert_eq!(set_language(&app, &token, "nn").await["language"], "nn");
    let me: Value = app.get("/me", &token).await.json().await.unwrap();
    assert_eq!(me["language"], "nn", "read back at once");
    for bad in [json!("en"), json!("NN"), json!(""), json!(1), json!(null)] {
        let response = app.patch("/me", &token, &json!({ "language": bad })).await;
        if bad.is_null() {
            // null leaves the form as it is, like any field left out.
            assert_eq!(response.status(), 200);
            continue;
        }
        assert_problem(response, 422, "validation_failed").await;
    }
    let me: Value = app.get("/me", &token).await.json().await.unwrap();
    assert_eq!(me["language"], "nn", "a refused change changes nothing");
}

#[tokio::test]
async fn course_text_follows_the_readers_form_and_progress_is_shared() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    let pages = pages_in_order(&app, &token).await;
    let (module, slug) = pages[0].clone();
    let url = page_path(module, &slug);

    let bokmal = app.get(&url, &token).await;
    assert_eq!(header(&bokmal, "content-language"), "nb");
    let bokmal_tag = header(&bokmal, "etag");
    let bokmal: Value = bokmal.json().await.unwrap();
    assert_eq!(bokmal["language"], "nb");

    // Complete the first page and answer its question in bokmål.
    let question = reflection_question(&bokmal);
    let response = app
        .put(
            &format!("{url}/answers/{question}"),
            &token,
            &json!({"text": "Skrevet på bokmål"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .put(&format!("{url}/completion"), &token, &json!({}))
        .await;
    assert_eq!(response.status(), 200);

    set_language(&app, &token, "nn").await;
    let path = app.get("/path", &token).await;
    assert_eq!(header(&path, "content-language"), "nn");
    let path: Value = path.json().await.unwrap();
    assert_eq!(path["language"], "nn");
    assert_eq!(path["pages_completed"], 1, "the completion is kept");
    assert_eq!(
        path["modules"][0]["title"],
        "Opplæringspakken i lindrande behandling"
    );

    // The bokmål entity tag must not turn the nynorsk page into a 304.
    let response = app
        .client
        .get(app.api(&url))
        .bearer_auth(&token)
        .header("if-none-match", &bokmal_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-language"), "nn");
    let nynorsk_tag = header(&response, "etag");
    assert_ne!(nynorsk_tag, bokmal_tag);
    assert!(header(&response, "vary").contains("Authorization"));
    let nynorsk: Value = response.json().await.unwrap();
    assert_eq!(nynorsk["language"], "nn");
    assert_ne!(
        nynorsk["html"], bokmal["html"],
        "the page text is the nynorsk variant"
    );
    assert_eq!(nynorsk["status"], "completed");
    assert_eq!(
        reflection_question(&nynorsk),
        question,
        "the same question ids in both forms"
    );
    let response = app
        .client
        .get(app.api(&url))
        .bearer_auth(&token)
        .header("if-none-match", &nynorsk_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);

    // An answer written in nynorsk is the same answer.
    let response = app
        .put(
            &format!("{url}/answers/{question}"),
            &token,
            &json!({"text": "Skrive på nynorsk"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let literature = app.get("/literature", &token).await;
    assert_eq!(header(&literature, "content-language"), "nn");
    let literature: Value = literature.json().await.unwrap();
    assert_eq!(literature["title"], "Tilrådd litteratur");

    // Back to bokmål: nothing lost.
    set_language(&app, &token, "nb").await;
    let path: Value = app.get("/path", &token).await.json().await.unwrap();
    assert_eq!(path["language"], "nb");
    assert_eq!(path["pages_completed"], 1);
    let answers: Value = app.get("/me/answers", &token).await.json().await.unwrap();
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["text"], "Skrive på nynorsk");

    // A reader may ask for the other form once, without changing their choice.
    let response = app.get(&format!("{url}?language=nn"), &token).await;
    assert_eq!(header(&response, "content-language"), "nn");
    let response = app.get("/literature?language=nn", &token).await;
    assert_eq!(header(&response, "content-language"), "nn");
    let me: Value = app.get("/me", &token).await.json().await.unwrap();
    assert_eq!(me["language"], "nb", "asking once changes no choice");
}

#[tokio::test]
async fn films_carry_subtitles_in_the_pages_form() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Mentor).await;
    set_language(&app, &token, "nn").await;
    app.complete_path(&token).await;
    let mut found = None;
    for (module, slug) in pages_in_order(&app, &token).await {
        let page: Value = app
            .get(&page_path(module, &slug), &token)
            .await
            .json()
            .await
            .unwrap();
        if let Some(film) = page["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "film")
        {
            found = Some(film.clone());
            break;
        }
    }
    let film = found.expect("the course has a film");
    let url = film["subtitles_url"].as_str().unwrap();
    assert!(url.ends_with("?language=nn"), "{url}");
    let response = app.client.get(app.url(url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-language"), "nn");
    assert!(response.text().await.unwrap().contains("Language: nn"));
    let plain = url.trim_end_matches("?language=nn");
    let response = app.client.get(app.url(plain)).send().await.unwrap();
    assert_eq!(header(&response, "content-language"), "nb");
    assert!(response.text().await.unwrap().contains("Language: nb"));
    let response = app
        .client
        .get(app.url(&format!("{plain}?language=se")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn publishing_refuses_a_variant_that_is_missing_or_differs() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let mut tree = bundled_tree();
    let page = tree
        .keys()
        .find(|k| k.starts_with("modules/2-") && k.ends_with(".nn.md"))
        .unwrap()
        .clone();
    let other = tree
        .keys()
        .find(|k| k.starts_with("modules/3-") && k.ends_with(".nn.md"))
        .unwrap()
        .clone();
    tree.remove(&page);
    let text = String::from_utf8(tree[&other].clone()).unwrap();
    let first_id = text
        .lines()
        .find(|l| l.starts_with("id = \""))
        .unwrap()
        .to_owned();
    tree.insert(
        other.clone(),
        text.replacen(&first_id, "id = \"another-id\"", 1)
            .into_bytes(),
    );
    let problem = assert_problem(
        import(&app, &admin, archive(&tree)).await,
        422,
        "content_invalid",
    )
    .await;
    let problems = problem["problems"].as_array().unwrap();
    let original = page.replace(".nn.md", ".md");
    let said = |file: &str, words: &str| {
        problems
            .iter()
            .any(|p| p["file"] == file && p["message"].as_str().unwrap().contains(words))
    };
    assert!(
        said(
            &original,
            &format!("has no nynorsk variant: {page} is missing")
        ),
        "{problem}"
    );
    assert!(said(&other, "another-id"), "{problem}");

    // The whole tree in both forms imports, and an administrator previews either form.
    let response = import(&app, &admin, archive(&bundled_tree())).await;
    assert_eq!(response.status(), 201);
    let draft: Value = response.json().await.unwrap();
    let id = draft["id"].as_str().unwrap();
    for (language, title) in [
        ("nb", "Opplæringspakken i lindrende behandling"),
        ("nn", "Opplæringspakken i lindrande behandling"),
    ] {
        let response = app
            .get(&format!("/path?revision={id}&language={language}"), &admin)
            .await;
        assert_eq!(header(&response, "content-language"), language);
        let path: Value = response.json().await.unwrap();
        assert_eq!(path["modules"][0]["title"], title);
    }
}
