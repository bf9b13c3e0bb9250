//! HTTP for the follow-up of mentors: progress pages (`/admin/municipalities/{id}/progress`,
//! `/admin/ushts/{id}/progress`), the CSV report (`/admin/reports/progress.csv`) and nudges
//! (`/admin/municipalities/{id}/nudges`).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::page_view;
use crate::auth::{roles, MunicipalitySummary, Require};
use crate::error::{AppResult, Problem};
use crate::http::fields;
use crate::http::json::Json;
use crate::http::pagination::Page;
use crate::learning::PathStatus;
use crate::orgs::report;
use crate::orgs::service::follow_up::{self as service, MentorsOf, ProgressAsked};
use crate::orgs::service::PageAsked;
use crate::orgs::store::follow_up::ProgressRow;
use crate::orgs::{CsvDelimiter, CsvLabels, Stage};
use crate::reflection::NoteStatus;
use crate::webinars::WebinarProgress;
use crate::AppState;

/// One mentor's progress as a coordinator sees it: statuses only, never answers or note text.
#[derive(Serialize, ToSchema)]
pub struct MentorProgress {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub workplace: Option<String>,
    pub municipality: MunicipalitySummary,
    /// Modules 1–4 completed or skipped.
    pub modules_done: i32,
    pub modules_total: i32,
    pub path_status: PathStatus,
    /// Never the text.
    pub note_status: NoteStatus,
    /// `completed`: attended all three sessions of a series.
    pub webinar_status: WebinarProgress,
    /// Certificate issued.
    pub programme_completed: bool,
    /// Signed up themselves rather than invited.
    pub self_enrolled: bool,
    pub last_active_at: Option<DateTime<Utc>>,
}

impl From<ProgressRow> for MentorProgress {
    fn from(row: ProgressRow) -> Self {
        MentorProgress {
            user_id: row.user_id,
            name: row.name,
            email: row.email,
            workplace: row.workplace,
            municipality: MunicipalitySummary {
                id: row.municipality_id,
                number: row.municipality_number,
                name: row.municipality_name,
            },
            modules_done: row.modules_done,
            modules_total: row.modules_total,
            path_status: row.path_status,
            note_status: row.note_status,
            webinar_status: row.webinar_status,
            programme_completed: row.programme_completed,
            self_enrolled: row.self_enrolled,
            last_active_at: row.last_active_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProgressQuery {
    #[param(inline)]
    pub path_status: Option<PathStatus>,
    #[param(inline)]
    pub note_status: Option<NoteStatus>,
    #[param(inline)]
    pub webinar_status: Option<WebinarProgress>,
    #[param(inline)]
    pub stage: Option<Stage>,
    /// Only mentors not active for at least this many days.
    #[param(minimum = 1, maximum = 3650)]
    pub inactive_days: Option<i32>,
    /// Default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 500)]
    pub cursor: Option<String>,
}

impl ProgressQuery {
    fn asked(&self) -> ProgressAsked {
        ProgressAsked {
            path_status: self.path_status,
            note_status: self.note_status,
            webinar_status: self.webinar_status,
            stage: self.stage,
            inactive_days: self.inactive_days,
        }
    }

    fn page(&self) -> PageAsked<'_> {
        PageAsked {
            limit: self.limit,
            cursor: self.cursor.as_deref(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/admin/municipalities/{id}/progress", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Municipality id"), ProgressQuery),
    responses(
        (status = 200, description = "The municipality's mentors by name, with their progress (statuses only); each view is recorded in the mentor's access log", body = Page<MentorProgress>),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "Not found or not in the caller's USHT", body = Problem),
        (status = 422, description = "Invalid query", body = Problem)))]
pub async fn municipality_progress(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    id: web::Path<Uuid>,
    query: web::Query<ProgressQuery>,
) -> AppResult<HttpResponse> {
    let of = MentorsOf::Municipality(*id);
    let rows = service::progress(&state, &caller, of, query.asked(), query.page()).await?;
    Ok(HttpResponse::Ok().json(page_view::<_, MentorProgress>(rows)))
}

#[utoipa::path(get, path = "/api/v1/admin/ushts/{id}/progress", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "USHT id"), ProgressQuery),
    responses(
        (status = 200, description = "Every mentor of the USHT's municipalities by name, with their progress (statuses only)", body = Page<MentorProgress>),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "Not found or not the caller's USHT", body = Problem),
        (status = 422, description = "Invalid query", body = Problem)))]
pub async fn usht_progress(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    id: web::Path<Uuid>,
    query: web::Query<ProgressQuery>,
) -> AppResult<HttpResponse> {
    let of = MentorsOf::Usht(*id);
    let rows = service::progress(&state, &caller, of, query.asked(), query.page()).await?;
    Ok(HttpResponse::Ok().json(page_view::<_, MentorProgress>(rows)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Only this municipality.
    pub municipality_id: Option<Uuid>,
    /// Only this USHT.
    pub usht_id: Option<Uuid>,
    /// Default `comma`.
    #[param(inline)]
    pub delimiter: Option<CsvDelimiter>,
    /// Default `codes` (the API's codes, UTC); `norwegian` writes the header and states in words
    /// and times in Oslo time, for a spreadsheet.
    #[param(inline)]
    pub labels: Option<CsvLabels>,
}

#[utoipa::path(get, path = "/api/v1/admin/reports/progress.csv", tag = "organisations", security(("bearer" = [])),
    params(ReportQuery),
    responses(
        (status = 200, description = "Every mentor in scope, UTF-8 with BOM, by municipality and name; each is recorded in the mentor's access log", content_type = "text/csv"),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "Municipality or USHT not found or not in scope", body = Problem),
        (status = 422, description = "Invalid query", body = Problem)))]
pub async fn progress_csv(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    let report =
        service::progress_report(&state, &caller, query.municipality_id, query.usht_id).await?;
    let delimiter = query.delimiter.unwrap_or(CsvDelimiter::Comma);
    let filename = format!("fremdrift-{}.csv", report.made_at.format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(report::csv_stream(
            report.rows,
            delimiter.byte(),
            query.labels.unwrap_or(CsvLabels::Codes),
        )))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NudgeRequest {
    /// Remind mentors who have not been active for at least this many days.
    #[validate(range(min = 1, max = 3650, message = "must be from 1 to 3650"))]
    #[serde(deserialize_with = "fields::integer")]
    #[schema(minimum = 1, maximum = 3650)]
    pub inactive_days: i32,
}

#[derive(Serialize, ToSchema)]
pub struct NudgeResult {
    /// Mentors emailed now.
    pub nudged: usize,
    /// Inactive mentors left out because they were nudged within the last seven days.
    pub skipped_recently_nudged: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NudgePreviewQuery {
    /// Mentors inactive for at least this many days (1 to 3650).
    #[param(minimum = 1, maximum = 3650)]
    pub inactive_days: i32,
}

/// What a nudge would do now.
#[derive(Serialize, ToSchema)]
pub struct NudgePreview {
    /// Mentors a nudge would email now.
    pub would_nudge: usize,
    /// Inactive mentors it would leave out because they were nudged within the last seven days.
    pub recently_nudged: i64,
}

#[utoipa::path(get, path = "/api/v1/admin/municipalities/{id}/nudges", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Municipality id"), NudgePreviewQuery),
    responses(
        (status = 200, description = "What POST would do now, before anything is sent", body = NudgePreview),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "Not found or not in the caller's USHT", body = Problem),
        (status = 422, description = "`inactive_days` missing or out of range", body = Problem)))]
pub async fn nudge_preview(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    id: web::Path<Uuid>,
    query: web::Query<NudgePreviewQuery>,
) -> AppResult<HttpResponse> {
    let preview = service::nudge_preview(&state, &caller, *id, query.inactive_days).await?;
    Ok(HttpResponse::Ok().json(NudgePreview {
        would_nudge: preview.nudged,
        recently_nudged: preview.skipped_recently_nudged,
    }))
}

#[utoipa::path(post, path = "/api/v1/admin/municipalities/{id}/nudges", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Municipality id")),
    request_body = NudgeRequest,
    responses(
        (status = 200, description = "Inactive mentors emailed (at most one nudge per mentor a week; repeating the request nudges nobody twice)", body = NudgeResult),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Coordinators and administrators only", body = Problem),
        (status = 404, description = "Not found or not in the caller's USHT", body = Problem),
        (status = 422, description = "Invalid body", body = Problem)))]
pub async fn nudge(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    id: web::Path<Uuid>,
    body: Json<NudgeRequest>,
) -> AppResult<HttpResponse> {
    let outcome = service::nudge(&state, &caller, *id, body.inactive_days).await?;
    Ok(HttpResponse::Ok().json(NudgeResult {
        nudged: outcome.nudged,
        skipped_recently_nudged: outcome.skipped_recently_nudged,
    }))
}
