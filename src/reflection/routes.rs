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
use crate::AppState;

pub fn routes(api: &mut Api) {
    api.route(__path_get_note, get_note);
    api.route(__path_put_note, put_note);
    api.route(__path_submit_note, submit_note);
    api.route(__path_note_versions, note_versions);
}

#[utoipa::path(get, path = "/api/v1/me/reflection-note", tag = "reflection", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's note", body = NoteView),
        (status = 401, description = "No valid access token", body = Problem)))]
pub async fn get_note(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, caller.id).await?))
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
    request_body = NoteBody,
    responses(
        (status = 200, description = "Draft saved (after a submission: a new draft version; the submitted one stays the ticket)", body = NoteView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 422, description = "Too long", body = Problem)))]
pub async fn put_note(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
    body: Json<NoteBody>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::save(&state, caller.id, &body.body).await?))
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
