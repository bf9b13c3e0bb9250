//! The OpenAPI document, served at `/api/openapi.json` and browsed at `/docs`.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{auth, content, error, http, learning, orgs, reflection, webinars};

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
        orgs::routes::accept_invitation,
        orgs::routes::register,
        orgs::routes::create_usht,
        orgs::routes::list_ushts,
        orgs::routes::invite_coordinator,
        orgs::routes::usht_progress,
        orgs::routes::enroll_municipality,
        orgs::routes::list_municipalities,
        orgs::routes::get_municipality,
        orgs::routes::municipality_progress,
        orgs::routes::nudge,
        orgs::routes::invite_mentors,
        orgs::routes::invite_mentors_csv,
        orgs::routes::list_invitations,
        orgs::routes::resend_invitation,
        orgs::routes::progress_csv,
        orgs::routes::change_role,
    ),
    components(schemas(error::Problem, error::FieldError, content::ContentProblem)),
    modifiers(&BearerAuth),
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

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
