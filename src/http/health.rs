//! Liveness and readiness. Ready means the database answers within two seconds.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::AppState;

pub fn routes(api: &mut crate::http::api::Api) {
    api.route(__path_live, live).route(__path_ready, ready);
}

#[derive(Serialize, ToSchema)]
pub struct HealthStatus {
    pub status: &'static str,
}

#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "The process is up", body = HealthStatus)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus { status: "ok" })
}

#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "The database answers", body = HealthStatus),
        (status = 503, description = "The database does not answer within 2 s", body = crate::error::Problem)))]
pub async fn ready(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    if crate::db::ping(&state.pool, Duration::from_secs(2)).await {
        Ok(HttpResponse::Ok().json(HealthStatus { status: "ok" }))
    } else {
        Err(AppError::Unavailable(
            "database did not answer the readiness check".into(),
        ))
    }
}
