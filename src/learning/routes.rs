//! HTTP for the learning path.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::service::{self, AnswerView, CompletionView, PageView, PathView};
use crate::auth::roles;
use crate::auth::{AuthUser, Require};
use crate::error::{AppError, AppResult, Problem};
use crate::http::api::Api;
use crate::http::json::Json;
use crate::http::precondition::Precondition;
use crate::language::Language;
use crate::AppState;

pub fn routes(api: &mut Api) {
    api.route(__path_get_path, get_path);
    api.route(__path_get_page, get_page);
    api.route(__path_complete_page, complete_page);
    api.route(__path_save_answer, save_answer);
    api.route(__path_skip_module, skip_module);
    api.route(__path_my_answers, my_answers);
}

/// The caller, reading in the form asked for, else in their own.
fn reader(caller: &AuthUser, language: Option<Language>) -> AuthUser {
    AuthUser {
        language: language.unwrap_or(caller.language),
        ..*caller
    }
}

/// Path segments longer than any slug are simply not found.
fn segment(value: &str) -> AppResult<&str> {
    if value.is_empty() || value.len() > 100 {
        return Err(AppError::NotFound);
    }
    Ok(value)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PathQuery {
    /// Admins only: preview the path of this (draft) revision, every page `available`.
    pub revision: Option<Uuid>,
    /// Read in this written form instead of the caller's own (`language` on `/me`); an
    /// administrator's preview can read a draft in either.
    pub language: Option<Language>,
}

#[utoipa::path(get, path = "/api/v1/path", tag = "learning", security(("bearer" = [])),
    params(PathQuery),
    responses(
        (status = 200, description = "The caller's learning path with statuses and where to resume, in the caller's written form (or `language`); `Content-Language` names it, `Vary: Authorization`", body = PathView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "`forbidden`: a preview by a non-admin", body = Problem),
        (status = 404, description = "No such revision (preview)", body = Problem)))]
pub async fn get_path(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
    query: web::Query<PathQuery>,
) -> AppResult<HttpResponse> {
    let reader = reader(&caller, query.language);
    let view = match query.revision {
        Some(revision) => service::preview_path(&state, &reader, revision).await?,
        None => service::path(&state, &reader).await?,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_LANGUAGE, view.language.as_str()))
        .insert_header((header::VARY, "Authorization"))
        .json(view))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Admins only: preview the page in this (draft) revision.
    pub revision: Option<Uuid>,
    /// Read in this written form instead of the caller's own (`language` on `/me`); an
    /// administrator's preview can read a draft in either.
    pub language: Option<Language>,
}

#[utoipa::path(get, path = "/api/v1/modules/{number}/pages/{slug}", tag = "learning", security(("bearer" = [])),
    params(
        ("number" = i32, Path, description = "Module number"),
        ("slug" = String, Path, description = "Page slug"),
        PageQuery,
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier read")),
    responses(
        (status = 200, description = "The page in the caller's written form (or `language`), with `Content-Language`, an ETag of its own per form and `Cache-Control: private`", body = PageView),
        (status = 304, description = "Not modified since the ETag (an ETag of the other written form never matches)"),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "`page_locked` with `next_page`, the page to do first; or `forbidden` for a preview by a non-admin", body = Problem),
        (status = 404, description = "No such page", body = Problem)))]
pub async fn get_page(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
    path: web::Path<(i32, String)>,
    query: web::Query<PageQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (number, slug) = path.into_inner();
    let page = service::read_page(
        &state,
        &reader(&caller, query.language),
        number,
        segment(&slug)?,
        query.revision,
    )
    .await?;
    let matches = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == page.etag || tag == "*");
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, page.etag.clone()))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::CONTENT_LANGUAGE, page.language.as_str()))
        .insert_header((header::VARY, "Authorization"));
    Ok(if matches {
        response.finish()
    } else {
        response
            .content_type(header::ContentType::json())
            .body(page.body)
    })
}

#[utoipa::path(put, path = "/api/v1/modules/{number}/pages/{slug}/completion", tag = "learning", security(("bearer" = [])),
    params(("number" = i32, Path, description = "Module number"), ("slug" = String, Path, description = "Page slug")),
    responses(
        (status = 200, description = "The page is completed (idempotent)", body = CompletionView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "`page_locked`, with `next_page`", body = Problem),
        (status = 404, description = "No such page", body = Problem)))]
pub async fn complete_page(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
    path: web::Path<(i32, String)>,
) -> AppResult<HttpResponse> {
    let (number, slug) = path.into_inner();
    Ok(HttpResponse::Ok().json(service::complete(&state, &caller, number, segment(&slug)?).await?))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The answer so far (autosaved); at most 20,000 characters.
    #[validate(length(max = 20000, message = "must be at most 20,000 characters"))]
    #[schema(max_length = 20000)]
    pub text: String,
}

#[utoipa::path(put, path = "/api/v1/modules/{number}/pages/{slug}/answers/{question_id}", tag = "learning", security(("bearer" = [])),
    params(
        ("number" = i32, Path, description = "Module number"),
        ("slug" = String, Path, description = "Page slug"),
        ("question_id" = String, Path, description = "The reflection block's id")),
    params(
        ("If-Match" = Option<String>, Header, nullable = false, max_length = 1024, pattern = r#"^(\*|(W/)?"[!#-+\--~]*"( *, *(W/)?"[!#-+\--~]*")*)$"#, description = "Save only if the answer is still this version (the `etag` it started from)"),
        ("If-None-Match" = Option<String>, Header, nullable = false, max_length = 1024, pattern = r#"^(\*|(W/)?"[!#-+\--~]*"( *, *(W/)?"[!#-+\--~]*")*)$"#, description = "`*`: save only if there is no answer yet")),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "Saved; private to the caller", body = AnswerView,
            headers(("ETag" = String, description = "The saved version"))),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "`page_locked`", body = Problem),
        (status = 404, description = "No such page or question", body = Problem),
        (status = 412, description = "`precondition_failed`: the answer changed elsewhere; `current` is the answer as stored now (an AnswerView, or null)", body = Problem),
        (status = 422, description = "Too long, or a malformed condition", body = Problem)))]
pub async fn save_answer(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
    path: web::Path<(i32, String, String)>,
    condition: Precondition,
    body: Json<AnswerBody>,
) -> AppResult<HttpResponse> {
    let (number, slug, question) = path.into_inner();
    let saved = service::save_answer(
        &state,
        &caller,
        number,
        segment(&slug)?,
        segment(&question)?,
        &body.text,
        &condition,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, saved.etag.as_str()))
        .json(saved))
}

#[utoipa::path(post, path = "/api/v1/modules/{number}/skip", tag = "learning", security(("bearer" = [])),
    params(("number" = i32, Path, description = "Module number (only skippable modules: module 1)")),
    responses(
        (status = 200, description = "Skipped; counts as done. Returns the updated path", body = PathView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 404, description = "No such module", body = Problem),
        (status = 409, description = "The module cannot be skipped", body = Problem)))]
pub async fn skip_module(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
    number: web::Path<i32>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::skip(&state, &caller, *number).await?))
}

#[utoipa::path(get, path = "/api/v1/me/answers", tag = "learning", security(("bearer" = [])),
    responses(
        (status = 200, description = "All the caller's answers", body = [AnswerView]),
        (status = 401, description = "No valid access token", body = Problem)))]
pub async fn my_answers(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::answers(&state, &caller).await?))
}
