use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
    let response = app
        .client
        .get(app.url("/favicon.ico"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
}

#[tokio::test]
async fn wrong_methods_are_405_problems_with_allow() {
    let app = spawn_app().await;
    let response = app
        .client
        .delete(app.api("/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "POST");
    assert_problem(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn bad_json_is_422_with_the_field_named() {
    let app = spawn_app().await;
    let cases = [
        (r#"{"email": "a@b.no""#, "body"),
        (
            r#"{"email": "a@b.no", "password": "x", "admin": true}"#,
            "admin",
        ),
        (r#"{"email": 5, "password": "x"}"#, "email"),
        (r#"{"email": "a@b.no"}"#, "body"),
        (r#"[]"#, "body"),
        (r#"{"email": "", "password": "x"}"#, "email"),
    ];
    for (body, field) in cases {
        let response = app
            .client
            .post(app.api("/auth/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        let errors = problem["errors"].as_array().unwrap();
        assert!(
            errors.iter().any(|e| e["field"] == field),
            "{body}: {problem}"
        );
        assert!(
            !problem.to_string().contains("line 1"),
            "no parser internals: {problem}"
        );
    }
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.api("/auth/login"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(response, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = spawn_app().await;
    let huge = json!({"email": "a@b.no", "password": "x".repeat(70 * 1024)});
    let response = app
        .client
        .post(app.api("/auth/login"))
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_problem(response, 413, "payload_too_large").await;
    // Chunked, with no Content-Length to go by.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..100).map(|_| Ok(vec![b' '; 1024])).collect();
    let response = app
        .client
        .post(app.api("/auth/login"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_problem(response, 413, "payload_too_large").await;
}

#[tokio::test]
async fn deep_json_and_invalid_utf8_are_refused_cleanly() {
    let app = spawn_app().await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    for body in [
        deep.into_bytes(),
        b"{\"email\": \"\xff\xfe\", \"password\": \"x\"}".to_vec(),
    ] {
        let response = app
            .client
            .post(app.api("/auth/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(response, 422, "validation_failed").await;
    }
}

#[tokio::test]
async fn protected_routes_refuse_missing_and_malformed_credentials() {
    let app = spawn_app().await;
    for header in [
        None,
        Some("Bearer"),
        Some("Basic abc"),
        Some("Bearer not.a.jwt"),
        Some("Bearer "),
    ] {
        let mut request = app.client.request(Method::GET, app.api("/me"));
        if let Some(value) = header {
            request = request.header("authorization", value);
        }
        assert_problem(request.send().await.unwrap(), 401, "unauthorized").await;
    }
}

/// Sends `request` on a connection of its own and reads the answer's head.
async fn raw_head(app: &crate::helpers::TestApp, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // The server may answer and stop reading before all of it is written.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "closed before a head: {answer:?}");
        answer.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8(answer).unwrap().to_lowercase()
}

/// Request heads actix-http cannot read are answered by actix-http itself, before any of our
/// middleware, with a bare status and no body (docs/decisions.md, "Errors"). Pinned here so an
/// upgrade that changes the limits or the answers is noticed.
#[tokio::test]
async fn request_heads_past_actix_http_limits_are_bare_400_or_431() {
    let app = spawn_app().await;
    // Long, but inside the limits: the application answers, with a problem.
    let response = app
        .client
        .get(app.url(&format!("/api/v1/{}", "a".repeat(60_000))))
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;

    let bare = |status: &str, head: &str| {
        assert!(head.starts_with(&format!("http/1.1 {status} ")), "{head}");
        assert!(head.contains("\r\ncontent-length: 0\r\n"), "{head}");
        assert!(head.contains("\r\nconnection: close\r\n"), "{head}");
        assert!(!head.contains("content-type"), "{head}");
    };
    // A request target over 65 534 bytes: the `http` crate's limit for a URI.
    let long_target = format!(
        "GET /api/v1/{} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "a".repeat(70_000)
    );
    bare("400", &raw_head(&app, &long_target).await);
    // A head over 128 KiB, and more than 96 header fields.
    let big_head = format!(
        "GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(140_000)
    );
    bare("431", &raw_head(&app, &big_head).await);
    let many: String = (0..100).map(|i| format!("X-Field-{i}: a\r\n")).collect();
    let many_fields = format!("GET /health/live HTTP/1.1\r\nHost: localhost\r\n{many}\r\n");
    bare("431", &raw_head(&app, &many_fields).await);
    // A head that is not HTTP.
    bare(
        "400",
        &raw_head(&app, "GET /health/live HTTP/1.1\r\nHo st: x\r\n\r\n").await,
    );
}
