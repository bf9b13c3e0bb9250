//! HTTP for the reflection note (`/me/reflection-note`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::service::{self, NoteVersionView, NoteView};
use crate::auth::roles;
use crate::auth::Require;
use crate::error::{AppResult, Problem};
use crate::http::api::Api;
use crate::http::json::Json;
use crate::http::precondition::Precondition;
use crate::AppState;

pub fn routes(api: &mut Api) {
    api.route(__path_get_note, get_note);
    api.route(__path_put_note, put_note);
    api.route(__path_submit_note, submit_note);
    api.route(__path_note_versions, note_versions);
}

#[utoipa::path(get, path = "/api/v1/me/reflection-note", tag = "reflection", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's note, with its `ETag` when there is one", body = NoteView,
            headers(("ETag" = String, description = "The version of `body`, for `If-Match` on the next save"))),
        (status = 401, description = "No valid access token", body = Problem)))]
pub async fn get_note(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    Ok(with_etag(service::get(&state, caller.id).await?))
}

/// The note with its version as `ETag`.
fn with_etag(note: NoteView) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(etag) = &note.etag {
        response.insert_header((actix_web::http::header::ETAG, etag.as_str()));
    }
    response.json(note)
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// Plain text, at most 20,000 characters.
    #[validate(length(max = 20000, message = "must be at most 20,000 characters"))]
    #[schema(max_length = 20000)]
    pub body: String,
}

#[utoipa::path(put, path = "/api/v1/me/reflection-note", tag = "reflection", security(("bearer" = [])),
    params(
        ("If-Match" = Option<String>, Header, nullable = false, max_length = 1024, pattern = r#"^(\*|(W/)?"[!#-+\--~]*"( *, *(W/)?"[!#-+\--~]*")*)$"#, description = "Save only if the text is still this version (the `etag` it started from)"),
        ("If-None-Match" = Option<String>, Header, nullable = false, max_length = 1024, pattern = r#"^(\*|(W/)?"[!#-+\--~]*"( *, *(W/)?"[!#-+\--~]*")*)$"#, description = "`*`: save only if there is no note yet")),
    request_body = NoteBody,
    responses(
        (status = 200, description = "Draft saved (after a submission: a new draft version; the submitted one stays the ticket)", body = NoteView,
            headers(("ETag" = String, description = "The saved version"))),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 412, description = "`precondition_failed`: the note changed elsewhere; `current` is the note as stored now (a NoteView)", body = Problem),
        (status = 422, description = "Too long, or a malformed condition", body = Problem)))]
pub async fn put_note(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
    condition: Precondition,
    body: Json<NoteBody>,
) -> AppResult<HttpResponse> {
    Ok(with_etag(
        service::save(&state, caller.id, &body.body, &condition).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/me/reflection-note/submit", tag = "reflection", security(("bearer" = [])),
    responses(
        (status = 200, description = "Submitted; this version is the entry ticket to module 5", body = NoteView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 409, description = "`path_not_completed`", body = Problem),
        (status = 422, description = "Shorter than 300 characters", body = Problem)))]
pub async fn submit_note(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::submit(&state, &caller).await?))
}

#[utoipa::path(get, path = "/api/v1/me/reflection-note/versions", tag = "reflection", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every version, newest first", body = [NoteVersionView]),
        (status = 401, description = "No valid access token", body = Problem)))]
pub async fn note_versions(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::history(&state, caller.id).await?))
}
