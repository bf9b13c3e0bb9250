//! HTTP for administrators and coordinators (`/admin/ushts`, `/admin/municipalities`,
//! `/admin/invitations`, `/admin/reports`, `/admin/users/{id}/role`) and for accepting an
//! invitation or signing up (`/auth/invitations/accept`, `/auth/register`).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::report;
use super::roster::{self, Invitee, SkipReason, Skipped};
use super::scope::Scope;
use super::service::{self, MentorCounts};
use super::store::{self, Invitation, Municipality, ProgressFilter, ProgressRow};
use super::{CsvDelimiter, InvitationStatus, Stage};
use crate::auth::extractor::roles;
use crate::auth::service::TokenPair;
use crate::auth::{Require, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::api::{Api, Rules};
use crate::http::fields::{
    self, EmailAddress, Label, MunicipalityNumber, NewPassword, OpaqueToken, PersonName, ShortLabel,
};
use crate::http::json::{read_limited, Json};
use crate::http::pagination::{next_cursor, page_request, Page};
use crate::learning::PathStatus;
use crate::reflection::NoteStatus;
use crate::webinars::WebinarProgress;
use crate::AppState;

/// CSV uploads may be this large (about 5,000 rows with long names).
pub const CSV_LIMIT: usize = 2 * 1024 * 1024;
/// Invitees of one JSON request: at the longest address and name, 100 fit in the 64 KiB body.
pub const MAX_JSON_INVITEES: usize = 100;

pub fn routes(api: &mut Api) {
    api.route(__path_create_usht, create_usht);
    api.route(__path_list_ushts, list_ushts);
    api.route(__path_invite_coordinator, invite_coordinator);
    api.route(__path_usht_progress, usht_progress);
    api.route(__path_enroll_municipality, enroll_municipality);
    api.route(__path_list_municipalities, list_municipalities);
    api.route(__path_get_municipality, get_municipality);
    api.route(__path_municipality_progress, municipality_progress);
    api.route(__path_nudge, nudge);
    api.route(__path_invite_mentors, invite_mentors);
    api.route(__path_list_invitations, list_invitations);
    api.route(__path_invite_mentors_csv, invite_mentors_csv);
    api.route(__path_resend_invitation, resend_invitation);
    api.route(__path_progress_csv, progress_csv);
    api.route(__path_change_role, change_role);
    api.with(Rules::SIGN_IN, |api| {
        api.route(__path_accept_invitation, accept_invitation);
        api.route(__path_register, register);
    });
}

// ---- USHTs ----------------------------------------------------------------------------------

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
    Ok(HttpResponse::Created().json(UshtView {
        id: usht.id,
        name: usht.name,
        county: usht.county,
        municipality_count: 0,
        created_at: usht.created_at,
    }))
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
    let mut conn = state.pool.get().await?;
    let ushts = store::list_ushts(&mut conn, &Scope::All).await?;
    let views: Vec<UshtView> = ushts
        .into_iter()
        .map(|(u, count)| UshtView {
            id: u.id,
            name: u.name,
            county: u.county,
            municipality_count: count,
            created_at: u.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteCoordinator {
    pub email: EmailAddress,
    pub name: PersonName,
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
        service::invite_coordinator(&state, &caller, *id, &body.email, &body.name).await?;
    Ok(HttpResponse::Created().json(InvitationView::new(invitation, Utc::now())))
}

// ---- municipalities -------------------------------------------------------------------------

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollMunicipality {
    pub number: MunicipalityNumber,
    pub name: ShortLabel,
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
    /// Note submitted, programme not yet completed.
    pub note_submitted: i64,
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

impl MunicipalityView {
    fn new(m: Municipality, counts: MentorCounts) -> Self {
        MunicipalityView {
            id: m.id,
            number: m.number,
            name: m.name,
            usht_id: m.usht_id,
            enrolled_at: m.enrolled_at,
            mentors: counts.into(),
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
        (status = 422, description = "Invalid fields", body = Problem)))]
pub async fn enroll_municipality(
    state: web::Data<AppState>,
    caller: Require<roles::Staff>,
    body: Json<EnrollMunicipality>,
) -> AppResult<HttpResponse> {
    let enrolled =
        service::enroll_municipality(&state, &caller, &body.number, &body.name, body.usht_id)
            .await?;
    Ok(HttpResponse::Created().json(MunicipalityView::new(enrolled, MentorCounts::default())))
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
    let (limit, after): (_, Option<String>) = page_request(query.limit, query.cursor.as_deref())?;
    let scope = service::scope_of(&state, &caller).await?;
    let found =
        service::list_municipalities(&state, &scope, query.usht_id, after.as_deref(), limit)
            .await?;
    let next_cursor = next_cursor(&found, limit, |(m, _)| m.number.clone());
    let items = found
        .into_iter()
        .map(|(m, c)| MunicipalityView::new(m, c))
        .collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
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
    let scope = service::scope_of(&state, &caller).await?;
    let (m, counts) = service::get_municipality(&state, &scope, *id).await?;
    Ok(HttpResponse::Ok().json(MunicipalityView::new(m, counts)))
}

// ---- progress -------------------------------------------------------------------------------

/// One mentor's progress as a coordinator sees it: statuses only, never answers or note text.
#[derive(Serialize, ToSchema)]
pub struct MentorProgress {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub workplace: Option<String>,
    pub municipality: crate::auth::routes::MunicipalitySummary,
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
            municipality: crate::auth::routes::MunicipalitySummary {
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

fn check_days(days: i32) -> AppResult<Duration> {
    if !(1..=3650).contains(&days) {
        return Err(AppError::field("inactive_days", "must be from 1 to 3650"));
    }
    Ok(Duration::days(i64::from(days)))
}

impl ProgressQuery {
    fn filter(&self) -> AppResult<ProgressFilter> {
        Ok(ProgressFilter {
            path_status: self.path_status,
            note_status: self.note_status,
            webinar_status: self.webinar_status,
            stage: self.stage,
            inactive_since: self
                .inactive_days
                .map(check_days)
                .transpose()?
                .map(|d| Utc::now() - d),
            ..ProgressFilter::default()
        })
    }
}

async fn progress(
    state: &AppState,
    caller: &Require<roles::Staff>,
    filter: ProgressFilter,
    query: &ProgressQuery,
    scope: Scope,
) -> AppResult<HttpResponse> {
    let (limit, after): (_, Option<(String, Uuid)>) =
        page_request(query.limit, query.cursor.as_deref())?;
    let rows = service::progress_page(state, caller, &scope, &filter, after, limit).await?;
    let next_cursor = next_cursor(&rows, limit, |r| (r.sort_name.clone(), r.user_id));
    let items: Vec<MentorProgress> = rows.into_iter().map(MentorProgress::from).collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
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
    let mut filter = query.filter()?;
    let scope = service::scope_of(&state, &caller).await?;
    service::get_municipality(&state, &scope, *id).await?;
    filter.municipality_id = Some(*id);
    progress(&state, &caller, filter, &query, scope).await
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
    let mut filter = query.filter()?;
    let scope = service::scope_of(&state, &caller).await?;
    if !scope.covers(*id) {
        return Err(AppError::NotFound);
    }
    let mut conn = state.pool.get().await?;
    store::find_usht(&mut conn, &scope, *id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    filter.usht_id = Some(*id);
    progress(&state, &caller, filter, &query, scope).await
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
    let delimiter = match query.delimiter {
        None | Some(CsvDelimiter::Comma) => b',',
        Some(CsvDelimiter::Semicolon) => b';',
    };
    let scope = service::scope_of(&state, &caller).await?;
    if let Some(id) = query.municipality_id {
        service::get_municipality(&state, &scope, id).await?;
    }
    if let Some(id) = query.usht_id {
        if !scope.covers(id) {
            return Err(AppError::NotFound);
        }
    }
    let filter = ProgressFilter {
        municipality_id: query.municipality_id,
        usht_id: query.usht_id,
        ..ProgressFilter::default()
    };
    let rows = service::progress_report(&state, &caller, &scope, &filter).await?;
    let filename = format!("fremdrift-{}.csv", Utc::now().format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(report::csv_stream(rows, delimiter)))
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

// ---- invitations ----------------------------------------------------------------------------

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

impl From<service::InvitationOutcome> for InvitationResult {
    fn from(outcome: service::InvitationOutcome) -> Self {
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
    if body.invitees.is_empty() || body.invitees.len() > MAX_JSON_INVITEES {
        return Err(AppError::field(
            "invitees",
            "must hold 1 to 100 entries; upload a CSV file for more",
        ));
    }
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
    let outcome =
        service::invite_mentors(&state, &caller, body.municipality_id, invitees, Vec::new())
            .await?;
    Ok(HttpResponse::Created().json(InvitationResult::from(outcome)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CsvInviteQuery {
    pub municipality_id: Uuid,
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
    // An unknown or foreign municipality is 404 whatever the file holds.
    service::require_municipality(&state, &caller, query.municipality_id).await?;
    let bytes = read_limited(payload.into_inner(), CSV_LIMIT).await?;
    let (invitees, skipped) =
        roster::parse_csv(&bytes).map_err(|problem| AppError::field("body", problem.0))?;
    let outcome =
        service::invite_mentors(&state, &caller, query.municipality_id, invitees, skipped).await?;
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
}

impl InvitationView {
    fn new(i: Invitation, now: DateTime<Utc>) -> Self {
        let status = if i.accepted_at.is_some() {
            InvitationStatus::Accepted
        } else if i.expires_at <= now {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        };
        InvitationView {
            id: i.id,
            email: i.email,
            name: i.name,
            role: i.role,
            municipality_id: i.municipality_id,
            usht_id: i.usht_id,
            status,
            created_at: i.created_at,
            sent_at: i.sent_at,
            expires_at: i.expires_at,
            send_count: i.send_count,
            accepted_at: i.accepted_at,
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
    let (limit, after): (_, Option<(DateTime<Utc>, Uuid)>) =
        page_request(query.limit, query.cursor.as_deref())?;
    let scope = service::scope_of(&state, &caller).await?;
    if let Some(id) = query.municipality_id {
        service::get_municipality(&state, &scope, id).await?;
    }
    if query.usht_id.is_some() && !scope.is_admin() {
        return Err(AppError::NotFound);
    }
    let filter = store::InvitationFilter {
        municipality_id: query.municipality_id,
        usht_id: query.usht_id,
        status: query.status,
    };
    let found = service::list_invitations(&state, &scope, &filter, after, limit).await?;
    let next_cursor = next_cursor(&found, limit, |i| (i.created_at, i.id));
    let now = Utc::now();
    let items: Vec<InvitationView> = found
        .into_iter()
        .map(|i| InvitationView::new(i, now))
        .collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
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
    Ok(HttpResponse::Ok().json(InvitationView::new(invitation, Utc::now())))
}

// ---- roles ----------------------------------------------------------------------------------

/// The new role, with the place it needs: a coordinator works at a USHT; a mentor may belong
/// to a municipality.
#[derive(Deserialize)]
#[serde(tag = "role", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChangeRole {
    Mentor {
        #[serde(default)]
        municipality_id: Option<Uuid>,
    },
    Facilitator {},
    Coordinator {
        usht_id: Uuid,
    },
    Admin {},
}

impl utoipa::PartialSchema for ChangeRole {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        // Written out: the derived schema would let unknown fields through each variant.
        let variant = |role: &str, properties: serde_json::Value, required: &[&str]| {
            let mut props = serde_json::json!({"role": {"type": "string", "enum": [role]}});
            if let (Some(all), Some(more)) = (props.as_object_mut(), properties.as_object()) {
                all.extend(more.clone());
            }
            let mut needed = vec!["role"];
            needed.extend_from_slice(required);
            serde_json::json!({
                "type": "object",
                "properties": props,
                "required": needed,
                "additionalProperties": false,
            })
        };
        let uuid = |description: &str| serde_json::json!({"type": "string", "format": "uuid", "description": description});
        let schema = serde_json::json!({
            "description": "The new role, with the place it needs: a coordinator works at a USHT; a mentor may belong to a municipality.",
            "oneOf": [
                variant("mentor", serde_json::json!({"municipality_id": {"type": ["string", "null"], "format": "uuid", "description": "The mentor's municipality (optional)."}}), &[]),
                variant("facilitator", serde_json::json!({}), &[]),
                variant("coordinator", serde_json::json!({"usht_id": uuid("The USHT the coordinator works at.")}), &["usht_id"]),
                variant("admin", serde_json::json!({}), &[]),
            ],
        });
        utoipa::openapi::RefOr::T(
            serde_json::from_value(schema).expect("the role change schema is valid"),
        )
    }
}

impl utoipa::ToSchema for ChangeRole {}

impl validator::Validate for ChangeRole {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

impl ChangeRole {
    fn role(&self) -> Role {
        match self {
            ChangeRole::Mentor { .. } => Role::Mentor,
            ChangeRole::Facilitator {} => Role::Facilitator,
            ChangeRole::Coordinator { .. } => Role::Coordinator,
            ChangeRole::Admin {} => Role::Admin,
        }
    }

    /// (municipality, USHT).
    fn place(&self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            ChangeRole::Mentor { municipality_id } => (*municipality_id, None),
            ChangeRole::Coordinator { usht_id } => (None, Some(*usht_id)),
            ChangeRole::Facilitator {} | ChangeRole::Admin {} => (None, None),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RoleChanged {
    pub id: Uuid,
    pub role: Role,
    pub usht_id: Option<Uuid>,
    pub municipality_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/api/v1/admin/users/{id}/role", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = ChangeRole,
    responses(
        (status = 200, description = "Role changed; the user's sessions end so the next sign-in carries it", body = RoleChanged),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Administrators only", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 409, description = "`own_role`: administrators cannot change their own role", body = Problem),
        (status = 422, description = "Invalid body", body = Problem)))]
pub async fn change_role(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    id: web::Path<Uuid>,
    body: Json<ChangeRole>,
) -> AppResult<HttpResponse> {
    let (municipality_id, usht_id) = body.place();
    service::change_role(&state, &caller, *id, body.role(), municipality_id, usht_id).await?;
    Ok(HttpResponse::Ok().json(RoleChanged {
        id: *id,
        role: body.role(),
        usht_id,
        municipality_id,
    }))
}

// ---- accepting and signing up ---------------------------------------------------------------

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
        (status = 410, description = "`invitation_used`, `invitation_replaced` or `invitation_expired`", body = Problem),
        (status = 422, description = "Invalid fields (a malformed token, a password the policy refuses); a live link is not spent", body = Problem),
        (status = 429, description = "Too many attempts from this address", body = Problem)))]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    body: Json<AcceptInvitation>,
) -> AppResult<HttpResponse> {
    let password = body.password.secret();
    let pair = service::accept_invitation(&state, &body.token, &body.name, &password).await?;
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
    responses(
        (status = 202, description = "A mail confirms the address (or, if it already has an account, says so); sign-in works once the address is confirmed"),
        (status = 422, description = "Invalid fields, a refused password or a municipality not enrolled", body = Problem),
        (status = 429, description = "Too many attempts from this address", body = Problem)))]
pub async fn register(
    state: web::Data<AppState>,
    body: Json<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let password = body.password.secret();
    let checked = service::check_registration(
        &state,
        service::Registration {
            email: &body.email,
            name: &body.name,
            password: &password,
            municipality_number: &body.municipality_number,
        },
    )
    .await?;
    crate::http::after_the_answer("sign-up", async move {
        service::register(&state, checked).await
    });
    Ok(HttpResponse::Accepted().finish())
}
