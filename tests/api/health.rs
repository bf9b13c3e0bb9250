use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn live_and_ready_answer_with_headers() {
    let app = spawn_app().await;
    for path in ["/health/live", "/health/ready"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(headers.contains_key("x-request-id"));
        assert!(
            !headers.contains_key("strict-transport-security"),
            "no HSTS over http"
        );
    }
}

#[tokio::test]
async fn request_ids_are_echoed_when_safe_and_made_otherwise() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "<script>")
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(id, "<script>");
    assert!(uuid::Uuid::parse_str(id).is_ok());
}

#[tokio::test]
async fn ready_is_503_within_two_seconds_when_the_database_is_gone() {
    let app = spawn_app().await;
    // Terminate every connection and forbid new ones: the database is unreachable.
    let admin = app.db.admin().await;
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{0}\" ALLOW_CONNECTIONS false; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{0}' AND pid <> pg_backend_pid();",
            app.db.name
        ))
        .await
        .unwrap();
    // Termination is asynchronous, and a connection that was being opened meanwhile (the pool,
    // the change listener) may still arrive: terminate again until no backend serves the
    // database any more.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left: i64 = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
                &[&app.db.name],
            )
            .await
            .unwrap()
            .get(0);
        if left == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "connections were not terminated"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    drop(admin);
    let started = std::time::Instant::now();
    let response = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_millis(2500),
        "took {:?}",
        started.elapsed()
    );
    assert_problem(response, 503, "service_unavailable").await;
    // API requests that need the database fail fast with 503 too.
    let started = std::time::Instant::now();
    let response = app.login("someone@example.no", "whatever password").await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_problem(response, 503, "service_unavailable").await;
}

#[tokio::test]
async fn hsts_only_when_public_url_is_https() {
    let app = spawn_app_with(|vars| {
        vars.insert("PUBLIC_BASE_URL".into(), "https://mentor.example.no".into());
    })
    .await;
    let response = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert!(response.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
}

#[tokio::test]
async fn docs_are_served_with_a_strict_csp_and_nothing_from_elsewhere() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(response.status(), 308);
    let response = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    let html = response.text().await.unwrap();
    assert!(
        !html.contains("https://"),
        "the UI must not load anything from elsewhere"
    );
    let js = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_app_with(|vars| {
        vars.insert(
            "CORS_ALLOWED_ORIGINS".into(),
            "https://app.example.no".into(),
        );
    })
    .await;
    let allowed = app
        .client
        .get(app.url("/health/live"))
        .header("origin", "https://app.example.no")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.no"
    );
    let other = app
        .client
        .get(app.url("/health/live"))
        .header("origin", "https://evil.example.com")
        .send()
        .await
        .unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn api_requests_answer_503_by_the_deadline_when_the_database_stalls() {
    let app = spawn_app_with(|vars| {
        vars.insert(
            "CORS_ALLOWED_ORIGINS".into(),
            "https://app.example.no".into(),
        );
    })
    .await;
    let (_, token) = app.user_with_token(mentorsti::auth::Role::Mentor).await;
    assert_eq!(app.get("/me/answers", &token).await.status(), 200);
    // Another session holds the answers table (reads of it are never cached): every query on
    // it waits.
    let blocker = app.sql().await;
    blocker
        .batch_execute("BEGIN; LOCK TABLE reflection_answers IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let response = app
        .client
        .get(app.api("/me/answers"))
        .bearer_auth(&token)
        .header("origin", "https://app.example.no")
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed < std::time::Duration::from_secs(5),
        "answered after {elapsed:?}, not by the 4.5 s deadline"
    );
    // The answer carries the request id, security and CORS headers like any other, so a web
    // client on another origin can read it.
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example.no"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_problem(response, 503, "service_unavailable").await;
    blocker.batch_execute("ROLLBACK").await.unwrap();
    // The connection cut short is not handed out broken: the next requests are served.
    for _ in 0..10 {
        assert_eq!(app.get("/me/answers", &token).await.status(), 200);
    }
}
