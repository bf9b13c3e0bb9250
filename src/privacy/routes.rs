//! HTTP for `GET /me/export`, `DELETE /me`, `GET /me/access-log` and the administrators'
//! `GET /admin/users/{id}/export` and `DELETE /admin/users/{id}`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::service;
use super::AccessEntry;
use crate::auth::roles;
use crate::auth::Require;
use crate::error::{AppError, AppResult, Problem};
use crate::http::api::Api;
use crate::http::json::Json;
use crate::AppState;

pub fn routes(api: &mut Api) {
    api.route(__path_export_me, export_me);
    api.route(__path_erase_me, erase_me);
    api.route(__path_access_log, access_log);
    api.route(__path_export_user, export_user);
    api.route(__path_erase_user, erase_user);
}

fn attachment(document: &super::service::Export) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"mine-data.json\"",
        ))
        .json(document)
}

#[utoipa::path(get, path = "/api/v1/me/export", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "Everything stored about the caller: profile, progress, answers, every note version, webinars and attendance, certificate, invitations, nudges, emails sent to them and the access log", body = Object),
        (status = 401, description = "No valid access token", body = Problem)))]
pub async fn export_me(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    let document = service::export(&state, caller.id)
        .await
        .map_err(|e| match e {
            AppError::NotFound => AppError::Unauthorized,
            other => other,
        })?;
    Ok(attachment(&document))
}

#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "Who has looked at the caller's data (notes read by a facilitator, progress viewed or exported by a coordinator, exports by an administrator), newest first", body = [AccessEntry]),
        (status = 401, description = "No valid access token", body = Problem)))]
pub async fn access_log(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::access_log(&state, caller.id).await?))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseMe {
    /// The caller's password, to confirm. An account without a password (it signs in through a
    /// provider) leaves it out and confirms by having signed in through the provider within the
    /// last ten minutes.
    pub password: Option<crate::http::fields::Password>,
}

#[utoipa::path(delete, path = "/api/v1/me", tag = "me", security(("bearer" = [])), request_body = EraseMe,
    responses(
        (status = 204, description = "Personal data erased; sessions ended; anonymous counts kept"),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "`wrong_password` (also when the account has a password and none was given); `reauthentication_required` (an account without a password that has not signed in through its provider within ten minutes)", body = Problem),
        (status = 422, description = "Invalid body", body = Problem)))]
pub async fn erase_me(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
    body: Json<EraseMe>,
) -> AppResult<HttpResponse> {
    let password = body.password.as_ref().map(|p| p.secret());
    service::erase_own(&state, &caller, password.as_ref()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/admin/users/{id}/export", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Everything stored about the user (on the person's request); recorded in their access log", body = Object),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Administrators only", body = Problem),
        (status = 404, description = "No such user", body = Problem)))]
pub async fn export_user(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let document = service::export_for_admin(&state, &caller, *id).await?;
    Ok(attachment(&document))
}

#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "The user's personal data erased (on the person's request)"),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Administrators only", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 409, description = "`own_account`: use DELETE /me", body = Problem)))]
pub async fn erase_user(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    if *id == caller.id {
        return Err(AppError::rule(
            actix_web::http::StatusCode::CONFLICT,
            "own_account",
            "Erase your own account with DELETE /me.",
        ));
    }
    service::erase(&state, *id, &caller).await?;
    Ok(HttpResponse::NoContent().finish())
}
