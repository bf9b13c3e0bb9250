//! HTTP for invitations: mentors into a municipality (`/admin/invitations`, a list or a CSV file
//! at `/admin/invitations/csv`), coordinators into a USHT (`/admin/ushts/{id}/coordinators`),
//! the list with statuses, and sending one again (`/admin/invitations/{id}/resend`).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::page_view;
use crate::auth::{roles, Require, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::fields::{EmailAddress, PersonName};
use crate::http::json::{read_limited, Json};
use crate::http::pagination::Page;
use crate::language::Language;
use crate::orgs::roster::{Invitee, SkipReason, Skipped};
use crate::orgs::service::invitations::{self as service, InvitationOutcome, InvitationWithStatus};
use crate::orgs::service::PageAsked;
use crate::orgs::store::invitations::InvitationFilter;
use crate::orgs::InvitationStatus;
use crate::AppState;

/// CSV uploads may be this large (about 5,000 rows with long names).
pub const CSV_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteCoordinator {
    pub email: EmailAddress,
    pub name: PersonName,
    /// The written form of the invitation mail and of the account made from it (default `nb`).
    #[serde(default)]
    pub language: Language,
}

#[utoipa::path(post, path = "/api/v1/admin/ushts/{id}/coordinators", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "USHT id")),
    request_body = InviteCoordinator,
    responses(
        (status = 201, description = "Invited; the invitation is emailed", body = InvitationView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Administrators only", body = Problem),
        (status = 404, description = "No such USHT", body = Problem),
        (status = 409, description = "`already_a_user` or `already_invited`", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem)))]
pub async fn invite_coordinator(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    id: web::Path<Uuid>,
    body: Json<InviteCoordinator>,
) -> AppResult<HttpResponse> {
    let invitation =
        service::invite_coordinator(&state, &caller, *id, &body.email, &body.name, body.language)
            .await?;
    Ok(HttpResponse::Created().json(InvitationView::from(invitation)))
}

/// Entries are checked one by one: a bad one is listed in `skipped`, not refused as a whole.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteeInput {
    /// An entry that is not a valid address is listed in `skipped`, not refused.
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 200)]
    pub name: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteMentors {
    pub municipality_id: Uuid,
    /// 1 to 100 people (so the body stays within 64 KiB; the CSV upload takes up to 5,000).
    #[schema(min_items = 1, max_items = 100)]
    pub invitees: Vec<InviteeInput>,
    /// The written form of the invitation mail and of the account made from it (default `nb`).
    #[serde(default)]
    pub language: Language,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedInvitation {
    pub id: Uuid,
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct SkippedInvitee {
    /// CSV: the line in the file (the header is line 1); JSON: the position in `invitees`, from 1.
    pub row: usize,
    pub email: String,
    pub reason: SkipReason,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationResult {
    pub created: Vec<CreatedInvitation>,
    pub skipped: Vec<SkippedInvitee>,
}

impl From<InvitationOutcome> for InvitationResult {
    fn from(outcome: InvitationOutcome) -> Self {
        InvitationResult {
            created: outcome
                .created
                .into_iter()
                .map(|i| CreatedInvitation {
                    id: i.id,
                    email: i.email,
                })
                .collect(),
            skipped: outcome.skipped.into_iter().map(skipped_view).collect(),
        }
    }
}

fn skipped_view(skipped: Skipped) -> SkippedInvitee {
    SkippedInvitee {
        row: skipped.row,
        email: skipped.email,
        reason: skipped.reason,
        message: skipped.reason.message().to_owned(),
    }
}

#[utoipa::path(post, path = "/api/v1/admin/invitations", tag = "organisations", security(("bearer" = [])),
    request_body = InviteMentors,
    responses(
        (status = 201, description = "Good entries invited (and emailed), the others listed with the reason", body = InvitationResult),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "Municipality not found or not in the caller's USHT", body = Problem),
        (status = 413, description = "Body over 64 KiB", body = Problem),
        (status = 422, description = "Invalid body", body = Problem)))]
pub async fn invite_mentors(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    body: Json<InviteMentors>,
) -> AppResult<HttpResponse> {
    let Json(body) = body;
    let invitees = body
        .invitees
        .into_iter()
        .enumerate()
        .map(|(i, input)| Invitee {
            row: i + 1,
            email: input.email,
            name: input.name,
        })
        .collect();
    let outcome = service::invite_mentors(
        &state,
        &caller,
        body.municipality_id,
        invitees,
        body.language,
    )
    .await?;
    Ok(HttpResponse::Created().json(InvitationResult::from(outcome)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CsvInviteQuery {
    pub municipality_id: Uuid,
    /// The written form of the invitation mail and of the account made from it (default `nb`).
    #[serde(default)]
    pub language: Language,
}

#[utoipa::path(post, path = "/api/v1/admin/invitations/csv", tag = "organisations", security(("bearer" = [])),
    params(CsvInviteQuery),
    request_body(content = String, content_type = "text/csv",
        description = "Header `email,name` (name optional), comma or semicolon, UTF-8 with or without BOM, at most 5,000 rows and 2 MiB"),
    responses(
        (status = 201, description = "Good rows invited (and emailed), bad rows listed with their line number and reason", body = InvitationResult),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "Municipality not found or not in the caller's USHT", body = Problem),
        (status = 413, description = "Over 2 MiB", body = Problem),
        (status = 415, description = "Not text/csv", body = Problem),
        (status = 422, description = "The file cannot be read (no `email` column, not UTF-8, over 5,000 rows)", body = Problem)))]
pub async fn invite_mentors_csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Require<roles::Staff>,
    query: web::Query<CsvInviteQuery>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let essence = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if !matches!(
        essence.as_deref(),
        Some("text/csv" | "application/csv" | "text/plain")
    ) {
        return Err(AppError::UnsupportedMediaType(
            "Send the file as text/csv.".into(),
        ));
    }
    let file = read_limited(payload.into_inner(), CSV_LIMIT);
    let outcome = service::invite_mentors_from_csv(
        &state,
        &caller,
        query.municipality_id,
        file,
        query.language,
    )
    .await?;
    Ok(HttpResponse::Created().json(InvitationResult::from(outcome)))
}

#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    /// `mentor` or `coordinator`.
    pub role: Role,
    pub municipality_id: Option<Uuid>,
    pub usht_id: Option<Uuid>,
    pub status: InvitationStatus,
    pub created_at: DateTime<Utc>,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub send_count: i32,
    pub accepted_at: Option<DateTime<Utc>>,
    /// The written form the invitation was sent in.
    pub language: Language,
}

impl From<InvitationWithStatus> for InvitationView {
    fn from(found: InvitationWithStatus) -> Self {
        let i = found.invitation;
        InvitationView {
            id: i.id,
            email: i.email,
            name: i.name,
            role: i.role,
            municipality_id: i.municipality_id,
            usht_id: i.usht_id,
            status: found.status,
            created_at: i.created_at,
            sent_at: i.sent_at,
            expires_at: i.expires_at,
            send_count: i.send_count,
            accepted_at: i.accepted_at,
            language: i.language,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InvitationQuery {
    pub municipality_id: Option<Uuid>,
    /// Coordinator invitations of this USHT (administrators).
    pub usht_id: Option<Uuid>,
    #[param(inline)]
    pub status: Option<InvitationStatus>,
    /// Default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 500)]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/admin/invitations", tag = "organisations", security(("bearer" = [])),
    params(InvitationQuery),
    responses(
        (status = 200, description = "Invitations in scope, newest first", body = Page<InvitationView>),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "Municipality not found or not in the caller's USHT", body = Problem),
        (status = 422, description = "Invalid query", body = Problem)))]
pub async fn list_invitations(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    query: web::Query<InvitationQuery>,
) -> AppResult<HttpResponse> {
    let filter = InvitationFilter {
        municipality_id: query.municipality_id,
        usht_id: query.usht_id,
        status: query.status,
    };
    let page = PageAsked {
        limit: query.limit,
        cursor: query.cursor.as_deref(),
    };
    let found = service::list_invitations(&state, &caller, filter, page).await?;
    Ok(HttpResponse::Ok().json(page_view::<_, InvitationView>(found)))
}

#[utoipa::path(delete, path = "/api/v1/admin/invitations/{id}", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Withdrawn: the link no longer works, the invitation leaves the list and the address may be invited again"),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "Not found, not in the caller's USHT, or already closed", body = Problem),
        (status = 409, description = "`invitation_accepted`", body = Problem)))]
pub async fn withdraw_invitation(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    service::withdraw_invitation(&state, &caller, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/v1/admin/invitations/{id}/resend", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Invitation id")),
    responses(
        (status = 200, description = "Sent again with a new link valid 14 days; the old link no longer works", body = InvitationView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "Not found or not in the caller's USHT", body = Problem),
        (status = 409, description = "`invitation_accepted`", body = Problem)))]
pub async fn resend_invitation(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let invitation = service::resend_invitation(&state, &caller, *id).await?;
    Ok(HttpResponse::Ok().json(InvitationView::from(invitation)))
}
