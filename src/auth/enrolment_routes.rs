//! HTTP for becoming a user: checking and accepting an invitation (`/auth/invitations/*`) and
//! signing up into an enrolled municipality (`/auth/register`; the mail's link goes to
//! `/auth/verify-email`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::enrolment::{self, InvitationCheck, SignUp};
use super::service::TokenPair;
use crate::error::{AppResult, Problem};
use crate::http::api::Api;
use crate::http::fields::{EmailAddress, MunicipalityNumber, NewPassword, OpaqueToken, PersonName};
use crate::http::json::Json;
use crate::language::Language;
use crate::AppState;

/// Declared among the sign-in routes (`auth::routes`), whose per-address limit they share.
pub fn routes(api: &mut Api) {
    api.route(__path_check_invitation, check_invitation)
        .route(__path_accept_invitation, accept_invitation)
        .route(__path_register, register);
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInvitation {
    pub token: OpaqueToken,
}

#[utoipa::path(post, path = "/api/v1/auth/invitations/check", tag = "auth", request_body = CheckInvitation,
    responses(
        (status = 200, description = "The link can be accepted: the address the account is for, the name the inviter typed, the role and the place. Nothing is spent", body = InvitationCheck),
        (status = 404, description = "`invitation_not_found`: no such invitation link (a resent invitation has a new link)", body = Problem),
        (status = 410, description = "`invitation_used`, `invitation_withdrawn`, `invitation_replaced` or `invitation_expired`, as accepting would answer", body = Problem),
        (status = 422, description = "A malformed token", body = Problem),
        (status = 429, description = "Too many attempts from this address", body = Problem)))]
pub async fn check_invitation(
    state: web::Data<AppState>,
    body: Json<CheckInvitation>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(enrolment::check_invitation(&state, &body.token).await?))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub token: OpaqueToken,
    pub name: PersonName,
    pub password: NewPassword,
}

#[utoipa::path(post, path = "/api/v1/auth/invitations/accept", tag = "auth", request_body = AcceptInvitation,
    responses(
        (status = 201, description = "Account created in the invitation's place (a mentor in a municipality, a coordinator of a USHT) and signed in", body = TokenPair),
        (status = 404, description = "`invitation_not_found`: no such invitation link (a resent invitation has a new link)", body = Problem),
        (status = 409, description = "`already_a_user`: the address has an account", body = Problem),
        (status = 410, description = "`invitation_used`, `invitation_withdrawn`, `invitation_replaced` or `invitation_expired`", body = Problem),
        (status = 422, description = "Invalid fields (a malformed token, a password the policy refuses); a live link is not spent", body = Problem),
        (status = 429, description = "Too many attempts from this address", body = Problem)))]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    body: Json<AcceptInvitation>,
) -> AppResult<HttpResponse> {
    let password = body.password.secret();
    let pair = enrolment::accept_invitation(&state, &body.token, &body.name, &password).await?;
    Ok(HttpResponse::Created().json(pair))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: EmailAddress,
    pub name: PersonName,
    pub password: NewPassword,
    /// The number of an enrolled municipality.
    pub municipality_number: MunicipalityNumber,
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    params(("Accept-Language" = Option<String>, Header, description = "The written form the account starts in and its mails are written in: `nn` (nynorsk) where it is preferred, else bokmål")),
    responses(
        (status = 202, description = "A mail confirms the address (or, if it already has an account, says so); sign-in works once the address is confirmed"),
        (status = 422, description = "Invalid fields, a refused password or a municipality not enrolled", body = Problem),
        (status = 429, description = "Too many attempts from this address", body = Problem)))]
pub async fn register(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: Json<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let password = body.password.secret();
    let request = SignUp {
        email: &body.email,
        name: &body.name,
        password: &password,
        municipality_number: &body.municipality_number,
        language: Language::from_headers(req.headers()),
    };
    let checked = enrolment::check_sign_up(&state, request).await?;
    crate::http::after_the_answer("sign-up", async move {
        enrolment::sign_up(&state, checked).await
    });
    Ok(HttpResponse::Accepted().finish())
}
