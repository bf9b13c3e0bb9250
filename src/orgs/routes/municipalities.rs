//! HTTP for municipalities (`/admin/municipalities`, `/admin/municipalities/{id}`): enrolled by
//! coordinators into their USHT (or by administrators into any), listed with mentors by stage.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::page_view;
use crate::auth::{roles, Require};
use crate::error::{AppResult, Problem};
use crate::http::fields::{MunicipalityNumber, ShortLabel};
use crate::http::json::Json;
use crate::http::pagination::Page;
use crate::orgs::service::municipalities::{self as service, MentorCounts, MunicipalityWithCounts};
use crate::orgs::service::PageAsked;
use crate::orgs::Stage;
use crate::register;
use crate::AppState;

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollMunicipality {
    pub number: MunicipalityNumber,
    /// Optional: the municipality is stored under the register's official name, whatever is
    /// sent here.
    pub name: Option<ShortLabel>,
    /// The USHT that enrolls it: a coordinator's own (see `usht` in `GET /me`; a coordinator
    /// who leaves it out means their own).
    #[schema(value_type = Uuid, required = true)]
    pub usht_id: Option<Uuid>,
}

/// Mentors of a municipality by stage.
#[derive(Serialize, ToSchema, Default)]
pub struct MentorCountsView {
    pub total: i64,
    pub not_started: i64,
    pub in_progress: i64,
    /// Path done, note not yet submitted.
    pub path_completed: i64,
    /// Note submitted, no seat in a webinar series yet.
    pub note_submitted: i64,
    /// A seat in a webinar series (confirmed), certificate not yet issued.
    pub in_series: i64,
    /// Certificate issued.
    pub completed: i64,
    /// Invitations neither accepted nor expired.
    pub pending_invitations: i64,
    /// Self-sign-ups whose address is not yet confirmed: not mentors (nor in `total`) until it is.
    pub pending_signups: i64,
}

impl From<MentorCounts> for MentorCountsView {
    fn from(counts: MentorCounts) -> Self {
        let get = |stage| counts.by_stage.get(&stage).copied().unwrap_or(0);
        MentorCountsView {
            total: counts.by_stage.values().sum(),
            not_started: get(Stage::NotStarted),
            in_progress: get(Stage::InProgress),
            path_completed: get(Stage::PathCompleted),
            note_submitted: get(Stage::NoteSubmitted),
            in_series: get(Stage::InSeries),
            completed: get(Stage::Completed),
            pending_invitations: counts.pending_invitations,
            pending_signups: counts.pending_signups,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MunicipalityView {
    pub id: Uuid,
    pub number: String,
    pub name: String,
    pub usht_id: Uuid,
    pub enrolled_at: DateTime<Utc>,
    pub mentors: MentorCountsView,
}

impl From<MunicipalityWithCounts> for MunicipalityView {
    fn from(found: MunicipalityWithCounts) -> Self {
        let m = found.municipality;
        MunicipalityView {
            id: m.id,
            number: m.number,
            name: m.name,
            usht_id: m.usht_id,
            enrolled_at: m.enrolled_at,
            mentors: found.mentors.into(),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/admin/municipalities", tag = "organisations", security(("bearer" = [])),
    request_body = EnrollMunicipality,
    responses(
        (status = 201, description = "Enrolled", body = MunicipalityView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "No such USHT (or not the coordinator's own)", body = Problem),
        (status = 409, description = "`municipality_exists`: the number is already enrolled", body = Problem),
        (status = 422, description = "Invalid fields, or a number that is not in the municipality register", body = Problem)))]
pub async fn enroll_municipality(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    body: Json<EnrollMunicipality>,
) -> AppResult<HttpResponse> {
    let enrolled =
        service::enroll_municipality(&state, &caller, &body.number, body.usht_id).await?;
    Ok(HttpResponse::Created().json(MunicipalityView::from(enrolled)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MunicipalityQuery {
    /// Only this USHT's municipalities.
    pub usht_id: Option<Uuid>,
    /// Default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 500)]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/admin/municipalities", tag = "organisations", security(("bearer" = [])),
    params(MunicipalityQuery),
    responses(
        (status = 200, description = "Municipalities in scope by number, with mentors counted by stage", body = Page<MunicipalityView>),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 422, description = "Invalid query", body = Problem)))]
pub async fn list_municipalities(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    query: web::Query<MunicipalityQuery>,
) -> AppResult<HttpResponse> {
    let page = PageAsked {
        limit: query.limit,
        cursor: query.cursor.as_deref(),
    };
    let found = service::list_municipalities(&state, &caller, query.usht_id, page).await?;
    Ok(HttpResponse::Ok().json(page_view::<_, MunicipalityView>(found)))
}

#[utoipa::path(get, path = "/api/v1/admin/municipalities/{id}", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Municipality id")),
    responses(
        (status = 200, description = "The municipality with mentors counted by stage", body = MunicipalityView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "Not found or not in the caller's USHT", body = Problem)))]
pub async fn get_municipality(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let found = service::get_municipality(&state, &caller, *id).await?;
    Ok(HttpResponse::Ok().json(MunicipalityView::from(found)))
}

/// Norway's register of municipalities, as the service knows it.
#[derive(Serialize, ToSchema)]
pub struct MunicipalityRegister {
    /// Who publishes the register.
    pub source: &'static str,
    /// The date its codes are valid from.
    pub valid_from: &'static str,
    /// Every municipality, by number.
    pub municipalities: Vec<RegisteredMunicipalityView>,
}

#[derive(Serialize, ToSchema)]
pub struct RegisteredMunicipalityView {
    #[schema(example = "3203")]
    pub number: &'static str,
    #[schema(example = "Asker")]
    pub name: &'static str,
}

#[utoipa::path(get, path = "/api/v1/municipality-register", tag = "organisations",
    responses(
        (status = 200, description = "Every municipality that can be enrolled or registered in, with its official name; public reference data, cached for a day", body = MunicipalityRegister)))]
pub async fn municipality_register() -> HttpResponse {
    let answer = MunicipalityRegister {
        source: register::SOURCE,
        valid_from: register::VALID_FROM,
        municipalities: register::municipalities()
            .iter()
            .map(|m| RegisteredMunicipalityView {
                number: m.number,
                name: m.name,
            })
            .collect(),
    };
    HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "public, max-age=86400",
        ))
        .json(answer)
}
