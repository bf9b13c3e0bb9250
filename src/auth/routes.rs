//! HTTP for sign-in and the caller's own account (`/auth/*`, `/me`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::extractor::roles;
use super::limits::client_ip;
use super::profile;
use super::service::{self, ResetLinkCheck, TokenPair};
use super::store::ProfileChanges;
use super::Require;
use crate::error::{AppResult, Problem};
use crate::http::api::{Api, Rules};
use crate::http::fields::{
    self, EmailAddress, Label, NewPassword, OpaqueToken, Password, PersonName,
};
use crate::http::json::Json;
use crate::language::Language;
use crate::AppState;

/// Sign-in, tokens and the links sent by mail share the per-address limit and wait for
/// password hashing without a deadline; the caller's own account is the standard API.
pub fn routes(api: &mut Api) {
    api.with(Rules::SIGN_IN, |api| {
        api.route(__path_login, login)
            .route(__path_refresh, refresh)
            .route(__path_logout, logout)
            .route(__path_verify_email, verify_email)
            .route(__path_password_reset, password_reset)
            .route(__path_password_reset_check, password_reset_check)
            .route(__path_password_reset_confirm, password_reset_confirm)
            .route(__path_sign_in_link, sign_in_link)
            .route(__path_sign_in_link_confirm, sign_in_link_confirm);
        super::enrolment_routes::routes(api);
    })
    .route(__path_get_me, get_me)
    .route(__path_patch_me, patch_me);
}

/// The address a request came from, for the security log.
fn client_address(state: &AppState, req: &HttpRequest) -> String {
    client_ip(req, state.config.trust_forwarded_for).to_string()
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The address the account was made with (any text: a wrong one is 401 like a wrong password).
    #[validate(length(min = 1, max = 254, message = "must be 1 to 254 characters"))]
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    pub password: Password,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong email or password (the same answer for unknown emails)", body = Problem),
        (status = 422, description = "Invalid body", body = Problem),
        (status = 429, description = "Too many attempts for this account or from this address; see Retry-After", body = Problem)))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let ip = client_address(&state, &req);
    let password = body.password.secret();
    let pair = service::login(&state, &body.email, &password, &ip).await?;
    Ok(HttpResponse::Ok().json(pair))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: OpaqueToken,
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair; the old refresh token is spent", body = TokenPair),
        (status = 401, description = "Unknown, expired, revoked or reused token (reuse revokes the whole family)", body = Problem),
        (status = 429, description = "Too many requests from this address", body = Problem)))]
pub async fn refresh(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> AppResult<HttpResponse> {
    let pair = service::refresh(&state, &body.refresh_token).await?;
    Ok(HttpResponse::Ok().json(pair))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "The session (the token's family) is ended")))]
pub async fn logout(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> AppResult<HttpResponse> {
    service::logout(&state, &body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The link from a sign-up's mail, with the password chosen at sign-up: the account is made
/// only for whoever has both, so nobody can choose the password of someone else's address.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    pub token: OpaqueToken,
    /// The password chosen at sign-up (added to the contract's `{token}`).
    pub password: Password,
}

#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth", request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "The address is confirmed and the account made; sign in with the same password"),
        (status = 404, description = "`link_not_found`: no such link (or it was replaced by a newer sign-up or an accepted invitation)", body = Problem),
        (status = 409, description = "`invitation_pending`: the address has an open invitation, whose link makes the account; `already_a_user`: the address has an account", body = Problem),
        (status = 410, description = "`link_used` or `link_expired`: sign in, or sign up again", body = Problem),
        (status = 422, description = "A malformed token, or not the password chosen at sign-up (field `password`; the link is not spent)", body = Problem)))]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: Json<VerifyEmailRequest>,
) -> AppResult<HttpResponse> {
    super::enrolment::confirm_signup(&state, &body.token, &body.password.secret()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: EmailAddress,
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = PasswordResetRequest,
    responses((status = 202, description = "If the address has an account, a reset link is on its way (valid one hour)")))]
pub async fn password_reset(
    state: web::Data<AppState>,
    body: Json<PasswordResetRequest>,
) -> AppResult<HttpResponse> {
    let email = body.email.to_string();
    crate::http::after_the_answer("password reset", async move {
        service::request_password_reset(&state, &email).await
    });
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetCheck {
    pub token: OpaqueToken,
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset/check", tag = "auth", request_body = PasswordResetCheck,
    responses(
        (status = 200, description = "The link can be used: the address whose password it sets (the one the mail went to). Nothing is spent", body = ResetLinkCheck),
        (status = 404, description = "`link_not_found`: no such link (or it was replaced by a newer one)", body = Problem),
        (status = 410, description = "`link_used` or `link_expired`: ask for a new link", body = Problem),
        (status = 422, description = "A malformed token", body = Problem),
        (status = 429, description = "Too many requests from this address", body = Problem)))]
pub async fn password_reset_check(
    state: web::Data<AppState>,
    body: Json<PasswordResetCheck>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::check_password_reset(&state, &body.token).await?))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    pub token: OpaqueToken,
    pub password: NewPassword,
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "Password changed; every session of the account is ended"),
        (status = 404, description = "`link_not_found`: no such link (or it was replaced by a newer one)", body = Problem),
        (status = 410, description = "`link_used` or `link_expired`: ask for a new link", body = Problem),
        (status = 422, description = "A malformed token, or a password the policy refuses (checked only for a live link, which it does not spend)", body = Problem)))]
pub async fn password_reset_confirm(
    state: web::Data<AppState>,
    body: Json<PasswordResetConfirm>,
) -> AppResult<HttpResponse> {
    let password = body.password.secret();
    service::confirm_password_reset(&state, &body.token, &password).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInLinkRequest {
    pub email: EmailAddress,
}

#[utoipa::path(post, path = "/api/v1/auth/sign-in-link", tag = "auth", request_body = SignInLinkRequest,
    responses((status = 202, description = "If the address has an account, a one-time sign-in link is on its way (valid 15 minutes). Works while the password sign-in is locked by failures")))]
pub async fn sign_in_link(
    state: web::Data<AppState>,
    body: Json<SignInLinkRequest>,
) -> AppResult<HttpResponse> {
    let email = body.email.to_string();
    crate::http::after_the_answer("sign-in link", async move {
        service::request_sign_in_link(&state, &email).await
    });
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInLinkConfirm {
    pub token: OpaqueToken,
}

#[utoipa::path(post, path = "/api/v1/auth/sign-in-link/confirm", tag = "auth", request_body = SignInLinkConfirm,
    responses(
        (status = 200, description = "Signed in; failed password sign-ins stay counted", body = TokenPair),
        (status = 404, description = "`link_not_found`: no such link (or it was replaced by a newer one)", body = Problem),
        (status = 410, description = "`link_used` or `link_expired`: ask for a new link", body = Problem),
        (status = 422, description = "A malformed token", body = Problem)))]
pub async fn sign_in_link_confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<SignInLinkConfirm>,
) -> AppResult<HttpResponse> {
    let ip = client_address(&state, &req);
    let pair = service::sign_in_with_link(&state, &body.token, &ip).await?;
    Ok(HttpResponse::Ok().json(pair))
}

pub use super::profile::{MeResponse, MunicipalitySummary, UshtSummary};

#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's profile", body = MeResponse),
        (status = 401, description = "No valid access token", body = Problem)))]
pub async fn get_me(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    Ok(json_body(profile::me(&state, caller.id).await?))
}

fn json_body(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// Fields left out stay as they are; `null` (or blank text) clears an optional one.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    pub name: Option<PersonName>,
    /// The written form to read in from now on: course text, emails, calendars, certificate.
    pub language: Option<Language>,
    /// The unit the mentor works in.
    #[serde(default, deserialize_with = "fields::clearable")]
    #[schema(value_type = Option<Label>)]
    pub workplace: Option<Option<Label>>,
    /// The leader who appointed the mentor.
    #[serde(default, deserialize_with = "fields::clearable")]
    #[schema(value_type = Option<PersonName>)]
    pub leader_name: Option<Option<PersonName>>,
    #[serde(default, deserialize_with = "fields::clearable")]
    #[schema(value_type = Option<EmailAddress>)]
    pub leader_email: Option<Option<EmailAddress>>,
}

fn text_of<T: std::ops::Deref<Target = str>>(value: &Option<Option<T>>) -> Option<Option<String>> {
    value
        .as_ref()
        .map(|inner| inner.as_ref().map(|text| text.to_string()))
}

#[utoipa::path(patch, path = "/api/v1/me", tag = "me", security(("bearer" = [])), request_body = UpdateMe,
    responses(
        (status = 200, description = "The updated profile", body = MeResponse),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem)))]
pub async fn patch_me(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
    body: Json<UpdateMe>,
) -> AppResult<HttpResponse> {
    let changes = ProfileChanges {
        name: body.name.as_ref().map(|name| name.to_string()),
        language: body.language,
        workplace: text_of(&body.workplace),
        leader_name: text_of(&body.leader_name),
        leader_email: text_of(&body.leader_email),
    };
    Ok(HttpResponse::Ok().json(profile::update(&state, caller.id, &changes).await?))
}
