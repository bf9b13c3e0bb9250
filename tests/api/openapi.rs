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
                || path.starts_with("/api/v1/issuer")
                || path.starts_with("/api/v1/subtitles/")
                || path.starts_with("/api/v1/media/")
                || path == "/api/v1/municipality-register";
            if !public {
                assert!(
                    operation.get("security").is_some(),
                    "{method} {path} must declare bearer security"
                );
            }
        }
    }
}

/// The served document is valid OpenAPI 3.1 by a validator no one here wrote.
#[tokio::test]
async fn the_served_document_passes_an_openapi_validator() {
    let app = spawn_app().await;
    let served = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let file =
        std::env::temp_dir().join(format!("mentorsti-openapi-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, served).unwrap();
    let output =
        mentorsti::testing::python_with("openapi_spec_validator", "openapi-spec-validator==0.9.0")
            .args([
                "-c",
                "import sys, json\n\
             from openapi_spec_validator import validate\n\
             from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator\n\
             spec = json.load(open(sys.argv[1]))\n\
             errors = list(OpenAPIV31SpecValidator(spec).iter_errors())\n\
             for e in errors: print(e.message, '@', '/'.join(map(str, e.path)))\n\
             sys.exit(1 if errors else 0)",
            ])
            .arg(&file)
            .output()
            .expect("run openapi-spec-validator");
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "openapi-spec-validator refuses the document:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
