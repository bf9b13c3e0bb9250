//! The OpenAPI document, served at `/api/openapi.json` and browsed at `/docs`.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::api::Api;
use crate::{content, error};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mentorsti",
        description = "API of the digital training programme for mentors in Norwegian municipal health and care services. \
Errors are RFC 9457 problem JSON (`application/problem+json`) with a stable `code`.",
        version = "1.0.0"
    ),
    components(schemas(error::Problem, error::FieldError, content::ContentProblem)),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Sign-in, tokens, password reset and email verification"),
        (name = "me", description = "The caller's own account"),
        (name = "learning", description = "The sequential learning path (modules 1–4) and the literature"),
        (name = "content", description = "Course content revisions (administrators)"),
        (name = "reflection", description = "The reflection note, the entry ticket to module 5"),
        (name = "webinars", description = "Module 5: webinar series, registration, calendar and certificate"),
        (name = "credentials", description = "The certificate as an Open Badges 3.0 verifiable credential: the issuer's profile, keys and revocation status list, and revocation"),
        (name = "facilitators", description = "Participants, submitted notes and attendance for facilitators"),
        (name = "organisations", description = "USHTs, municipalities, invitations and coordinators' follow-up (statuses only, never what mentors wrote)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Answers that come from the layers every request passes (extractors, authentication, the
/// pool), added to each operation they apply to so the document lists every status the service
/// can give (checked by schemathesis, `tests/schemathesis/run`).
/// Which answers apply follows from what the route declares (`http::api::Rules`) and from its
/// operation (security, parameters, body).
struct CommonResponses<'a>(&'a Api);

impl Modify for CommonResponses<'_> {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{HttpMethod, ParameterIn};
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Head, &mut item.head),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Delete, &mut item.delete),
                (HttpMethod::Patch, &mut item.patch),
            ]
            .into_iter()
            .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
            {
                let write = !matches!(method, HttpMethod::Get | HttpMethod::Head);
                let rules = self
                    .0
                    .rules_of(path, &method)
                    .expect("every documented operation is a declared route");
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let idempotent = rules.idempotent
                    && secured
                    && matches!(method, HttpMethod::Post | HttpMethod::Put);
                if idempotent {
                    document_idempotency(operation);
                }
                let json_body = operation
                    .request_body
                    .as_ref()
                    .is_some_and(|body| body.content.contains_key("application/json"));
                let parameters = operation.parameters.as_deref().unwrap_or_default();
                let in_path = parameters
                    .iter()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Path));
                let in_query = parameters
                    .iter()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Query));
                let in_header = parameters
                    .iter()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Header));
                if in_header {
                    // Header values the HTTP parser cannot read are refused before any handler
                    // runs, with an empty body (actix-http answers these itself).
                    operation
                        .responses
                        .responses
                        .entry("400".to_owned())
                        .or_insert_with(|| {
                            utoipa::openapi::ResponseBuilder::new()
                                .description("A header value is not valid HTTP (empty body)")
                                .build()
                                .into()
                        });
                }
                let mut add = |status: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description));
                };
                if secured {
                    add("401", "Missing, invalid or expired access token");
                }
                if rules.sign_in_limit {
                    add(
                        "429",
                        "`rate_limited`: too many requests from this address; see Retry-After",
                    );
                } else if secured && write {
                    add(
                        "429",
                        "`rate_limited`: too many writes from this address or account; see Retry-After",
                    );
                }
                if in_path {
                    add(
                        "404",
                        "No such resource (including path values that are out of range)",
                    );
                }
                if json_body {
                    add("413", "Body larger than 64 KiB");
                    add("415", "The body is not application/json");
                }
                if json_body || in_query || in_header {
                    add(
                        "422",
                        "`validation_failed`: the fields named in `errors` are invalid",
                    );
                }
                // The deadline, or the database not answering in time (every route may ask it).
                add(
                    "503",
                    "`unavailable`: the database cannot answer now; retry later",
                );
            }
        }
    }
}

/// `Idempotency-Key` (`http::idempotency`): the header, the replay's marker and the refusals.
fn document_idempotency(operation: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ObjectBuilder, Required, Type};
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    if !parameters.iter().any(|p| p.name == "Idempotency-Key") {
        parameters.push(
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "A retry with the same key by the same account within 24 hours gets the \
                     first answer again (with `Idempotent-Replayed: true`) instead of acting \
                     twice: visible ASCII, 1 to 200 characters",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(200))
                        .pattern(Some(r"^[!-~]+( +[!-~]+)*$")),
                ))
                .build(),
        );
    }
    const RUNNING: &str =
        "`conflict`: a request with this Idempotency-Key is still running; see Retry-After";
    let responses = &mut operation.responses.responses;
    match responses.get_mut("409") {
        Some(utoipa::openapi::RefOr::T(response)) => {
            response.description = format!("{}; or {RUNNING}", response.description);
        }
        _ => {
            responses.insert("409".to_owned(), problem(RUNNING));
        }
    }
    const OTHER: &str = "`validation_failed`: the fields named in `errors` are invalid, \
        or the Idempotency-Key was already used for another request";
    match responses.get_mut("422") {
        Some(utoipa::openapi::RefOr::T(response)) => {
            response.description = format!(
                "{}; or the Idempotency-Key was already used for another request",
                response.description
            );
        }
        _ => {
            responses.insert("422".to_owned(), problem(OTHER));
        }
    }
}

/// Operation ids from the method and the path, so they are unique by construction (two handlers
/// may share a Rust name, as webinar registration and sign-up once did): `POST
/// /api/v1/webinar-series/{id}/registrations` is `post_webinar_series_by_id_registrations`.
struct OperationIds;

impl Modify for OperationIds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
                ("head", &mut item.head),
            ] {
                if let Some(operation) = operation {
                    operation.operation_id = Some(operation_id(method, path));
                }
            }
        }
    }
}

pub fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_owned();
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            id.push_str("by_");
            id.push_str(name);
        } else {
            id.extend(segment.chars().map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            }));
        }
    }
    id
}

fn problem(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

/// The document as served: the declared routes (`crate::api`) with what applies to each.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let api = crate::api();
    api.document(&mut doc);
    for modifier in [
        &BearerAuth as &dyn Modify,
        &CommonResponses(&api),
        &OperationIds,
    ] {
        modifier.modify(&mut doc);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_follow_method_and_path() {
        assert_eq!(
            operation_id("post", "/api/v1/webinar-series/{id}/registrations"),
            "post_webinar_series_by_id_registrations"
        );
        assert_eq!(
            operation_id("post", "/api/v1/auth/register"),
            "post_auth_register"
        );
        assert_eq!(operation_id("get", "/health/ready"), "get_health_ready");
        assert_eq!(
            operation_id("get", "/api/v1/me/calendar.ics"),
            "get_me_calendar_ics"
        );
    }

    #[test]
    fn operation_ids_are_unique() {
        let document = serde_json::to_value(document()).unwrap();
        let mut seen = std::collections::HashSet::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let id = operation["operationId"].as_str().unwrap().to_owned();
                assert!(seen.insert(id.clone()), "{method} {path}: {id} repeats");
            }
        }
    }
}
