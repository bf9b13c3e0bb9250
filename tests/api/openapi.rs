//! The OpenAPI document is the contract frontends build against: a snapshot makes every change
//! to it visible in review. Run with UPDATE_SNAPSHOTS=1 to accept a change.

use serde_json::Value;

use crate::helpers::spawn_app;

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");

#[tokio::test]
async fn the_served_document_matches_the_snapshot() {
    let app = spawn_app().await;
    let served: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(std::path::Path::new(SNAPSHOT).parent().unwrap()).unwrap();
        std::fs::write(SNAPSHOT, &pretty).unwrap();
        return;
    }
    let snapshot = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    assert!(
        snapshot == pretty,
        "the OpenAPI document changed; review the diff and run `UPDATE_SNAPSHOTS=1 cargo test openapi` to accept it"
    );
}

#[tokio::test]
async fn every_operation_documents_its_errors_and_security() {
    let document = mentorsti::http::openapi::document();
    let value: Value = serde_json::to_value(&document).unwrap();
    for (path, item) in value["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
            let public = path.starts_with("/health")
                || path.starts_with("/api/v1/auth/")
                || path.starts_with("/api/v1/certificates/")
                || path.starts_with("/api/v1/subtitles/")
                || path.starts_with("/api/v1/media/");
            if !public {
                assert!(
                    operation.get("security").is_some(),
                    "{method} {path} must declare bearer security"
                );
            }
        }
    }
}
