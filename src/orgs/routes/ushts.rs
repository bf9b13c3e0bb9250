//! HTTP for USHTs (`/admin/ushts`): made and listed by administrators.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{roles, Require};
use crate::error::{AppResult, Problem};
use crate::http::fields::{Label, ShortLabel};
use crate::http::json::Json;
use crate::orgs::service::ushts as service;
use crate::orgs::store::ushts::{Usht, UshtWithCount};
use crate::AppState;

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUsht {
    pub name: Label,
    /// The county (fylke) the centre serves.
    pub county: ShortLabel,
}

#[derive(Serialize, ToSchema)]
pub struct UshtView {
    pub id: Uuid,
    pub name: String,
    pub county: String,
    pub municipality_count: i64,
    pub created_at: DateTime<Utc>,
    /// County numbers (two digits) and municipality numbers (four) the USHT covers.
    pub covers: Vec<String>,
}

impl UshtView {
    fn new(usht: Usht, municipality_count: i64) -> Self {
        UshtView {
            id: usht.id,
            name: usht.name,
            county: usht.county,
            municipality_count,
            created_at: usht.created_at,
            covers: usht.covers,
        }
    }
}

impl From<UshtWithCount> for UshtView {
    fn from(listed: UshtWithCount) -> Self {
        UshtView::new(listed.usht, listed.municipality_count)
    }
}

#[utoipa::path(post, path = "/api/v1/admin/ushts", tag = "organisations", security(("bearer" = [])),
    request_body = CreateUsht,
    responses(
        (status = 201, description = "Created", body = UshtView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Administrators only", body = Problem),
        (status = 409, description = "A USHT with this name exists", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem)))]
pub async fn create_usht(
    state: web::Data<AppState>,
    _caller: Require<roles::Admin>,
    body: Json<CreateUsht>,
) -> AppResult<HttpResponse> {
    let usht = service::create_usht(&state, &body.name, &body.county).await?;
    Ok(HttpResponse::Created().json(UshtView::new(usht, 0)))
}

#[utoipa::path(get, path = "/api/v1/admin/ushts", tag = "organisations", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every USHT by name (there are a few dozen at most, so the list is whole)", body = [UshtView]),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Administrators only", body = Problem)))]
pub async fn list_ushts(
    state: web::Data<AppState>,
    _caller: Require<roles::Admin>,
) -> AppResult<HttpResponse> {
    let ushts = service::list_ushts(&state).await?;
    let views: Vec<UshtView> = ushts.into_iter().map(UshtView::from).collect();
    Ok(HttpResponse::Ok().json(views))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUsht {
    /// What the USHT covers, replacing what it covered: county numbers (two digits, e.g. `46`)
    /// and municipality numbers (four, e.g. `3203`) of the register.
    #[validate(length(max = 400, message = "must be at most 400 entries"))]
    #[schema(max_items = 400, example = json!(["46", "3203"]))]
    pub covers: Vec<String>,
}

#[utoipa::path(patch, path = "/api/v1/admin/ushts/{id}", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "USHT id")),
    request_body = UpdateUsht,
    responses(
        (status = 200, description = "What the USHT covers now (every municipality it names is covered by it alone)", body = UshtView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Administrators only", body = Problem),
        (status = 404, description = "No such USHT", body = Problem),
        (status = 409, description = "`coverage_overlap`: another USHT covers some of them (`covered_elsewhere` lists which, and by whom); nothing was changed", body = Problem),
        (status = 422, description = "An entry that is not a county or municipality number of the register", body = Problem)))]
pub async fn update_usht(
    state: web::Data<AppState>,
    _caller: Require<roles::Admin>,
    id: web::Path<Uuid>,
    body: Json<UpdateUsht>,
) -> AppResult<HttpResponse> {
    let usht = service::set_coverage(&state, *id, &body.covers).await?;
    let count = service::municipality_count(&state, usht.id).await?;
    Ok(HttpResponse::Ok().json(UshtView::new(usht, count)))
}
