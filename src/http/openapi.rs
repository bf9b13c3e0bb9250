//! The OpenAPI document, served at `/api/openapi.json` and browsed at `/docs`.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{auth, content, error, http, learning, media, orgs, privacy, reflection, webinars};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mentorsti",
        description = "API of the digital training programme for mentors in Norwegian municipal health and care services. \
Errors are RFC 9457 problem JSON (`application/problem+json`) with a stable `code`.",
        version = "1.0.0"
    ),
    paths(
        http::health::live,
        http::health::ready,
        auth::routes::login,
        auth::routes::refresh,
        auth::routes::logout,
        auth::routes::verify_email,
        auth::routes::password_reset,
        auth::routes::password_reset_confirm,
        auth::routes::sign_in_link,
        auth::routes::sign_in_link_confirm,
        auth::routes::get_me,
        auth::routes::patch_me,
        learning::routes::get_path,
        learning::routes::get_page,
        learning::routes::complete_page,
        learning::routes::save_answer,
        learning::routes::skip_module,
        learning::routes::my_answers,
        content::routes::literature,
        content::routes::subtitles,
        media::routes::get_media,
        media::routes::head_media,
        content::routes::import,
        content::routes::list_revisions,
        content::routes::publish,
        reflection::routes::get_note,
        reflection::routes::put_note,
        reflection::routes::submit_note,
        reflection::routes::note_versions,
        webinars::routes::list_series,
        webinars::routes::register,
        webinars::routes::cancel_registration,
        webinars::routes::my_webinars,
        webinars::routes::my_calendar,
        webinars::routes::my_certificate,
        webinars::routes::verify_certificate,
        webinars::routes::facilitator_series,
        webinars::routes::participants,
        webinars::routes::participant_note,
        webinars::routes::attendance,
        webinars::routes::create_series,
        webinars::routes::update_series,
        webinars::routes::cancel_series,
        auth::enrolment_routes::accept_invitation,
        auth::enrolment_routes::register,
        orgs::routes::ushts::create_usht,
        orgs::routes::ushts::list_ushts,
        orgs::routes::invitations::invite_coordinator,
        orgs::routes::follow_up::usht_progress,
        orgs::routes::municipalities::enroll_municipality,
        orgs::routes::municipalities::list_municipalities,
        orgs::routes::municipalities::get_municipality,
        orgs::routes::follow_up::municipality_progress,
        orgs::routes::follow_up::nudge,
        orgs::routes::invitations::invite_mentors,
        orgs::routes::invitations::invite_mentors_csv,
        orgs::routes::invitations::list_invitations,
        orgs::routes::invitations::resend_invitation,
        orgs::routes::follow_up::progress_csv,
        orgs::routes::users::change_role,
        privacy::routes::export_me,
        privacy::routes::access_log,
        privacy::routes::erase_me,
        privacy::routes::export_user,
        privacy::routes::erase_user,
    ),
    components(schemas(error::Problem, error::FieldError, content::ContentProblem)),
    modifiers(&BearerAuth, &CommonResponses, &OperationIds),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Sign-in, tokens, password reset and email verification"),
        (name = "me", description = "The caller's own account"),
        (name = "learning", description = "The sequential learning path (modules 1–4) and the literature"),
        (name = "content", description = "Course content revisions (administrators)"),
        (name = "reflection", description = "The reflection note, the entry ticket to module 5"),
        (name = "webinars", description = "Module 5: webinar series, registration, calendar and certificate"),
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
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/api/");
            let limited = api && !path.starts_with("/api/v1/auth/");
            for (write, operation) in [
                (false, &mut item.get),
                (false, &mut item.head),
                (true, &mut item.put),
                (true, &mut item.post),
                (true, &mut item.delete),
                (true, &mut item.patch),
            ]
            .into_iter()
            .filter_map(|(write, op)| op.as_mut().map(|op| (write, op)))
            {
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
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
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
                if secured && write && limited {
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
                if api {
                    add(
                        "503",
                        "`unavailable`: the database cannot answer now; retry later",
                    );
                }
            }
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

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
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
