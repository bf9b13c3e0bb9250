//! Module 5: creating series, registering with exact seats and a self-promoting waitlist,
//! attendance, and the certificate that follows.

use actix_web::http::StatusCode;
use chrono::{DateTime, Datelike, Duration, Utc};
use diesel::prelude::*;
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::notify::{self, Recipient};
use super::store::{self, Registration, Series};
use super::RegistrationStatus;
use crate::auth::{AuthUser, Role};
use crate::db::schema::{idempotency_keys, users};
use crate::error::{AppError, AppResult, FieldError};
use crate::http::fields::{self, JoinUrl, Label};
use crate::AppState;

pub const DEFAULT_DURATION_MINUTES: i32 = 120;
pub const DEFAULT_DEADLINE_HOURS: i64 = 48;
/// The longest a registration waits for its turn before answering 503.
pub const REGISTRATION_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

// ---- views ----------------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub number: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub duration_minutes: i32,
    /// Given to confirmed participants, the facilitator and admins only.
    pub join_url: Option<String>,
    pub cancelled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MyRegistration {
    /// `confirmed` or `waitlisted`.
    pub status: RegistrationStatus,
    /// Place on the waitlist (1 is next), when waitlisted.
    pub position: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SeriesView {
    pub id: Uuid,
    pub title: String,
    pub facilitator: FacilitatorView,
    pub capacity: i32,
    pub seats_left: i32,
    pub waitlist_length: i64,
    pub registration_deadline: DateTime<Utc>,
    pub registration_open: bool,
    pub cancelled: bool,
    pub sessions: Vec<SessionView>,
    /// The caller's own registration, if any.
    pub my_registration: Option<MyRegistration>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct FacilitatorView {
    pub id: Uuid,
    pub name: String,
}

fn session_views(series: &Series, show_links: bool) -> Vec<SessionView> {
    series
        .sessions
        .iter()
        .map(|s| SessionView {
            number: s.number,
            starts_at: s.starts_at,
            ends_at: s.ends_at(),
            duration_minutes: s.duration_minutes,
            join_url: show_links.then(|| s.join_url.clone()),
            cancelled: s.cancelled_at.is_some(),
        })
        .collect()
}

async fn facilitator_view(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<FacilitatorView> {
    let name: String = users::table
        .find(id)
        .select(users::name)
        .first(conn)
        .await?;
    Ok(FacilitatorView { id, name })
}

async fn series_views(
    conn: &mut AsyncPgConnection,
    caller: &AuthUser,
    list: Vec<Series>,
    now: DateTime<Utc>,
) -> AppResult<Vec<SeriesView>> {
    let ids: Vec<Uuid> = list.iter().map(|s| s.row.id).collect();
    let waitlists = store::waitlist_lengths(conn, &ids).await?;
    let mine = store::registrations_of(conn, caller.id).await?;
    let mut views = Vec::with_capacity(list.len());
    for series in list {
        let registration = mine.iter().find(|(r, _)| {
            r.series_id == series.row.id && r.status != RegistrationStatus::Cancelled
        });
        let my_registration = match registration {
            Some((r, _)) => Some(MyRegistration {
                status: r.status,
                position: match r.waitlist_seq {
                    Some(seq) => Some(store::waitlist_position(conn, r.series_id, seq).await?),
                    None => None,
                },
            }),
            None => None,
        };
        let show_links = caller.role == Role::Admin
            || series.row.facilitator_id == caller.id
            || my_registration
                .as_ref()
                .is_some_and(|r| r.status == RegistrationStatus::Confirmed);
        views.push(SeriesView {
            id: series.row.id,
            title: series.row.title.clone(),
            facilitator: facilitator_view(conn, series.row.facilitator_id).await?,
            capacity: series.row.capacity,
            seats_left: series.row.capacity - series.row.confirmed_count,
            waitlist_length: waitlists
                .iter()
                .find(|(id, _)| *id == series.row.id)
                .map_or(0, |(_, n)| *n),
            registration_deadline: series.row.registration_deadline,
            registration_open: series.row.cancelled_at.is_none()
                && now <= series.row.registration_deadline,
            cancelled: series.row.cancelled_at.is_some(),
            sessions: session_views(&series, show_links),
            my_registration,
        });
    }
    Ok(views)
}

pub async fn upcoming(state: &AppState, caller: &AuthUser) -> AppResult<Vec<SeriesView>> {
    let now = Utc::now();
    let mut conn = state.pool.get().await?;
    let list = store::upcoming_series(&mut conn, now).await?;
    series_views(&mut conn, caller, list, now).await
}

// ---- administration -------------------------------------------------------------------------

#[derive(Serialize, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    /// In the future.
    pub starts_at: DateTime<Utc>,
    /// Default 120.
    #[validate(range(min = 15, max = 480, message = "must be 15 to 480 minutes"))]
    #[serde(default, deserialize_with = "fields::optional_integer")]
    #[schema(minimum = 15, maximum = 480)]
    pub duration_minutes: Option<i32>,
    pub join_url: JoinUrl,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSeries {
    pub title: Label,
    #[validate(range(min = 1, max = 100, message = "must be 1 to 100"))]
    #[serde(deserialize_with = "fields::integer")]
    #[schema(minimum = 1, maximum = 100)]
    pub capacity: i32,
    pub facilitator_id: Uuid,
    /// Default: 48 hours before the first session.
    pub registration_deadline: Option<DateTime<Utc>>,
    /// Exactly three, in time order, not overlapping.
    #[validate(
        length(equal = 3, message = "a series has exactly three sessions"),
        nested
    )]
    #[schema(min_items = 3, max_items = 3)]
    pub sessions: Vec<SessionInput>,
}

/// Dates far outside the programme's life would overflow date arithmetic and calendar files.
fn is_plausible(at: DateTime<Utc>) -> bool {
    (2000..=9999).contains(&at.year())
}

/// Sessions must be in time order, in the future and must not overlap.
fn check_sessions(
    sessions: &[(DateTime<Utc>, i32, String)],
    now: DateTime<Utc>,
) -> Vec<FieldError> {
    let mut problems = Vec::new();
    for (index, (starts_at, duration, join_url)) in sessions.iter().enumerate() {
        if !is_plausible(*starts_at) {
            problems.push(FieldError::new(
                format!("sessions[{index}].starts_at"),
                "must be a date before the year 10000",
            ));
            continue;
        }
        if *starts_at <= now {
            problems.push(FieldError::new(
                format!("sessions[{index}].starts_at"),
                "must be in the future",
            ));
        }
        if !(join_url.starts_with("https://") || join_url.starts_with("http://")) {
            problems.push(FieldError::new(
                format!("sessions[{index}].join_url"),
                "must be an http(s) URL",
            ));
        }
        if index > 0 {
            let (previous_start, previous_duration, _) = &sessions[index - 1];
            let previous_end = previous_start
                .checked_add_signed(Duration::minutes(i64::from(*previous_duration)))
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            if *starts_at < previous_end {
                problems.push(FieldError::new(
                    format!("sessions[{index}].starts_at"),
                    "sessions must be in time order and must not overlap",
                ));
            }
        }
        let _ = duration;
    }
    problems
}

async fn check_facilitator(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<()> {
    let role: Option<String> = users::table
        .find(id)
        .select(users::role)
        .first(conn)
        .await
        .optional()?;
    if role.as_deref() != Some(Role::Facilitator.as_str()) {
        return Err(AppError::field(
            "facilitator_id",
            "must be a user with the role facilitator",
        ));
    }
    Ok(())
}

pub async fn create_series(
    state: &AppState,
    admin: &AuthUser,
    input: &NewSeries,
) -> AppResult<SeriesView> {
    let now = Utc::now();
    let sessions: Vec<(DateTime<Utc>, i32, String)> = input
        .sessions
        .iter()
        .map(|s| {
            (
                s.starts_at,
                s.duration_minutes.unwrap_or(DEFAULT_DURATION_MINUTES),
                s.join_url.trim().to_owned(),
            )
        })
        .collect();
    let mut problems = check_sessions(&sessions, now);
    if input
        .registration_deadline
        .is_some_and(|d| !is_plausible(d))
    {
        problems.push(FieldError::new(
            "registration_deadline",
            "must be a date before the year 10000",
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let first = sessions.iter().map(|s| s.0).min().unwrap_or(now);
    let deadline = input
        .registration_deadline
        .unwrap_or(first - Duration::hours(DEFAULT_DEADLINE_HOURS));
    if deadline > first {
        problems.push(FieldError::new(
            "registration_deadline",
            "must be before the first session",
        ));
    }
    if input.title.trim().is_empty() {
        problems.push(FieldError::new("title", "must not be blank"));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let mut conn = state.pool.get().await?;
    check_facilitator(&mut conn, input.facilitator_id).await?;
    let id = store::insert_series(
        &mut conn,
        input.title.trim(),
        input.facilitator_id,
        input.capacity,
        deadline,
        admin.id,
        &sessions,
    )
    .await?;
    let series = store::find_series(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tracing::info!(series = %id, admin = %admin.id, "webinar series created");
    Ok(series_views(&mut conn, admin, vec![series], now)
        .await?
        .remove(0))
}

#[derive(Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionChange {
    #[validate(range(min = 1, max = 3, message = "must be 1, 2 or 3"))]
    #[serde(deserialize_with = "fields::integer")]
    #[schema(minimum = 1, maximum = 3)]
    pub number: i32,
    pub starts_at: Option<DateTime<Utc>>,
    #[validate(range(min = 15, max = 480, message = "must be 15 to 480 minutes"))]
    #[serde(default, deserialize_with = "fields::optional_integer")]
    #[schema(minimum = 15, maximum = 480)]
    pub duration_minutes: Option<i32>,
    pub join_url: Option<JoinUrl>,
    /// `true` cancels this session (participants get METHOD:CANCEL for it).
    pub cancelled: Option<bool>,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesChange {
    pub title: Option<Label>,
    #[validate(range(min = 1, max = 100, message = "must be 1 to 100"))]
    #[serde(default, deserialize_with = "fields::optional_integer")]
    #[schema(minimum = 1, maximum = 100)]
    pub capacity: Option<i32>,
    pub facilitator_id: Option<Uuid>,
    pub registration_deadline: Option<DateTime<Utc>>,
    #[validate(nested)]
    #[schema(max_items = 3)]
    pub sessions: Option<Vec<SessionChange>>,
}

async fn confirmed_recipients(
    conn: &mut AsyncPgConnection,
    series_id: Uuid,
) -> AppResult<Vec<(Uuid, String, String, bool)>> {
    Ok(store::participants(conn, series_id)
        .await?
        .into_iter()
        .map(|(r, name, email, _)| {
            (
                r.user_id,
                name,
                email,
                r.status == RegistrationStatus::Confirmed,
            )
        })
        .collect())
}

/// Changes a series. Changed sessions get a higher SEQUENCE and confirmed participants an
/// updated invitation; a cancelled session a METHOD:CANCEL. More seats promote the waitlist.
pub async fn update_series(
    state: &AppState,
    admin: &AuthUser,
    id: Uuid,
    change: &SeriesChange,
) -> AppResult<SeriesView> {
    use crate::db::schema::{webinar_series as ws, webinar_sessions as wss};
    let now = Utc::now();
    let mut conn = state.pool.get().await?;
    let config = state.config.clone();
    let series = conn
        .transaction::<Series, AppError, _>(|conn| {
            async move {
                let series = store::lock_series(conn, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                if series.row.cancelled_at.is_some() {
                    return Err(AppError::Conflict("The series is cancelled.".into()));
                }
                if let Some(facilitator) = change.facilitator_id {
                    check_facilitator(conn, facilitator).await?;
                }
                if let Some(capacity) = change.capacity {
                    if capacity < series.row.confirmed_count {
                        return Err(AppError::field(
                            "capacity",
                            "is lower than the number of confirmed participants",
                        ));
                    }
                }
                // The sessions as they will be, to check order and overlap.
                let mut planned: Vec<(DateTime<Utc>, i32, String)> = series
                    .sessions
                    .iter()
                    .map(|s| (s.starts_at, s.duration_minutes, s.join_url.clone()))
                    .collect();
                let mut changed = Vec::new();
                let mut cancelled = Vec::new();
                for session_change in change.sessions.iter().flatten() {
                    let index = (session_change.number - 1) as usize;
                    let Some(current) = series.sessions.get(index) else {
                        return Err(AppError::field("sessions", "no such session number"));
                    };
                    if session_change.cancelled == Some(true) && current.cancelled_at.is_none() {
                        cancelled.push(current.id);
                    }
                    let (starts_at, duration, join_url) = &mut planned[index];
                    let mut moved = false;
                    if let Some(new_start) = session_change.starts_at {
                        moved |= new_start != *starts_at;
                        *starts_at = new_start;
                    }
                    if let Some(new_duration) = session_change.duration_minutes {
                        moved |= new_duration != *duration;
                        *duration = new_duration;
                    }
                    if let Some(new_url) = &session_change.join_url {
                        moved |= new_url.trim() != join_url;
                        *join_url = new_url.trim().to_owned();
                    }
                    if moved {
                        changed.push(index);
                    }
                }
                let problems: Vec<FieldError> = check_sessions(&planned, now)
                    .into_iter()
                    .filter(|p| {
                        // Sessions already past cannot be moved, but they may stay in the past.
                        changed
                            .iter()
                            .any(|i| p.field.starts_with(&format!("sessions[{i}]")))
                            || p.message.contains("order")
                    })
                    .collect();
                if !problems.is_empty() {
                    return Err(AppError::Validation(problems));
                }
                if change
                    .registration_deadline
                    .is_some_and(|d| !is_plausible(d))
                {
                    return Err(AppError::field(
                        "registration_deadline",
                        "must be a date before the year 10000",
                    ));
                }
                let deadline = change
                    .registration_deadline
                    .unwrap_or(series.row.registration_deadline);
                if let Some(first) = planned.iter().map(|p| p.0).min() {
                    if deadline > first {
                        return Err(AppError::field(
                            "registration_deadline",
                            "must be before the first session",
                        ));
                    }
                }
                diesel::update(ws::table.find(id))
                    .set((
                        ws::title.eq(change
                            .title
                            .as_deref()
                            .map(str::trim)
                            .unwrap_or(&series.row.title)),
                        ws::capacity.eq(change.capacity.unwrap_or(series.row.capacity)),
                        ws::facilitator_id
                            .eq(change.facilitator_id.unwrap_or(series.row.facilitator_id)),
                        ws::registration_deadline.eq(deadline),
                        ws::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
                for index in &changed {
                    let (starts_at, duration, join_url) = &planned[*index];
                    diesel::update(wss::table.find(series.sessions[*index].id))
                        .set((
                            wss::starts_at.eq(starts_at),
                            wss::duration_minutes.eq(duration),
                            wss::join_url.eq(join_url),
                            wss::sequence.eq(wss::sequence + 1),
                        ))
                        .execute(conn)
                        .await?;
                }
                for index in &changed {
                    let session_id = series.sessions[*index].id;
                    store::drop_pending_reminders(conn, &format!("reminder:%:{session_id}:%"))
                        .await?;
                }
                for session_id in &cancelled {
                    store::drop_pending_reminders(conn, &format!("reminder:%:{session_id}:%"))
                        .await?;
                    diesel::update(wss::table.find(session_id))
                        .set((
                            wss::cancelled_at.eq(diesel::dsl::now),
                            wss::sequence.eq(wss::sequence + 1),
                        ))
                        .execute(conn)
                        .await?;
                }
                // More seats: the waitlist moves up.
                promote_waitlist(conn, &config, id).await?;
                let updated = store::find_series(conn, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let title_changed = change
                    .title
                    .as_deref()
                    .is_some_and(|t| t.trim() != series.row.title);
                if !changed.is_empty() || !cancelled.is_empty() || title_changed {
                    for (user_id, name, email, confirmed) in confirmed_recipients(conn, id).await? {
                        if !confirmed {
                            continue;
                        }
                        let to = Recipient {
                            user_id,
                            name: &name,
                            email: &email,
                        };
                        for session in updated
                            .sessions
                            .iter()
                            .filter(|s| cancelled.contains(&s.id))
                        {
                            notify::session_cancelled(conn, &config, &updated, session, &to)
                                .await?;
                        }
                        if !changed.is_empty() || title_changed {
                            notify::sessions_changed(conn, &config, &updated, &to).await?;
                        }
                    }
                }
                Ok(updated)
            }
            .scope_boxed()
        })
        .await?;
    tracing::info!(series = %id, admin = %admin.id, "webinar series changed");
    Ok(series_views(&mut conn, admin, vec![series], now)
        .await?
        .remove(0))
}

/// Cancels a whole series: every registration ends, confirmed participants get METHOD:CANCEL.
pub async fn cancel_series(state: &AppState, admin: &AuthUser, id: Uuid) -> AppResult<()> {
    use crate::db::schema::webinar_series as ws;
    let mut conn = state.pool.get().await?;
    let config = state.config.clone();
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            let series = store::lock_series(conn, id)
                .await?
                .ok_or(AppError::NotFound)?;
            if series.row.cancelled_at.is_some() {
                return Ok(());
            }
            diesel::update(ws::table.find(id))
                .set((
                    ws::cancelled_at.eq(diesel::dsl::now),
                    ws::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let cancelled = store::find_series(conn, id)
                .await?
                .ok_or(AppError::NotFound)?;
            for (registration, name, email, _) in store::participants(conn, id).await? {
                store::cancel_registration(conn, registration.id).await?;
                store::drop_pending_reminders(conn, &format!("reminder:{}:%", registration.id))
                    .await?;
                let to = Recipient {
                    user_id: registration.user_id,
                    name: &name,
                    email: &email,
                };
                notify::series_cancelled(
                    conn,
                    &config,
                    &cancelled,
                    &to,
                    registration.status == RegistrationStatus::Confirmed,
                )
                .await?;
            }
            diesel::update(ws::table.find(id))
                .set(ws::confirmed_count.eq(0))
                .execute(conn)
                .await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await?;
    tracing::info!(series = %id, admin = %admin.id, "webinar series cancelled");
    Ok(())
}

// ---- registration ---------------------------------------------------------------------------

#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct RegistrationView {
    pub series_id: Uuid,
    /// `confirmed` or `waitlisted`.
    pub status: RegistrationStatus,
    /// Place on the waitlist when waitlisted (1 is next).
    pub position: Option<i64>,
}

fn rule(status: StatusCode, code: &'static str, detail: &str) -> AppError {
    AppError::rule(status, code, detail)
}

/// Registers the caller. Seats are claimed by a conditional UPDATE of the series' counter under
/// the series' row lock, so N seats give exactly N confirmations however many press at once.
pub async fn register(
    state: &AppState,
    user_id: Uuid,
    series_id: Uuid,
    idempotency_key: Option<&str>,
) -> AppResult<RegistrationView> {
    let _turn = tokio::time::timeout(REGISTRATION_QUEUE_WAIT, state.registrations.acquire())
        .await
        .map_err(|_| AppError::Unavailable("registration queue wait timed out".into()))?
        .map_err(|_| AppError::Unavailable("registration queue closed".into()))?;
    let mut conn = state.pool.get().await?;
    if let Some(key) = idempotency_key {
        if let Some(stored) = stored_answer(&mut conn, user_id, key).await? {
            return Ok(stored);
        }
    }
    if !crate::reflection::store::has_submitted(&mut conn, user_id).await? {
        return Err(rule(
            StatusCode::FORBIDDEN,
            "reflection_note_required",
            "Submit your reflection note before registering for a webinar series.",
        ));
    }
    let now = Utc::now();
    let config = state.config.clone();
    let result = conn
        .transaction::<RegistrationView, AppError, _>(|conn| {
            async move {
                // One registration at a time per mentor (at most one upcoming series).
                crate::learning::lock_learner(conn, user_id).await?;
                let series = store::lock_series(conn, series_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                if series.row.cancelled_at.is_some()
                    || !series.is_upcoming(now)
                    || now > series.row.registration_deadline
                {
                    return Err(rule(
                        StatusCode::CONFLICT,
                        "registration_closed",
                        "Registration for this series is closed.",
                    ));
                }
                for (registration, other) in store::registrations_of(conn, user_id).await? {
                    if registration.status != RegistrationStatus::Cancelled
                        && other.is_upcoming(now)
                    {
                        return Err(rule(
                            StatusCode::CONFLICT,
                            "already_registered",
                            if other.row.id == series_id {
                                "You are already registered for this series."
                            } else {
                                "You are already registered for an upcoming series."
                            },
                        ));
                    }
                }
                let (name, email): (String, String) = users::table
                    .find(user_id)
                    .select((users::name, users::email))
                    .first(conn)
                    .await?;
                let to = Recipient {
                    user_id,
                    name: &name,
                    email: &email,
                };
                let view = if store::claim_seat(conn, series_id).await? {
                    store::insert_registration(conn, series_id, user_id, None).await?;
                    notify::confirmed(conn, &config, &series, &to, false).await?;
                    RegistrationView {
                        series_id,
                        status: RegistrationStatus::Confirmed,
                        position: None,
                    }
                } else {
                    let seq = store::next_waitlist_seq(conn, series_id).await?;
                    store::insert_registration(conn, series_id, user_id, Some(seq)).await?;
                    let position = store::waitlist_position(conn, series_id, seq).await?;
                    notify::waitlisted(conn, &series, &to, position).await?;
                    RegistrationView {
                        series_id,
                        status: RegistrationStatus::Waitlisted,
                        position: Some(position),
                    }
                };
                if let Some(key) = idempotency_key {
                    store_answer(conn, user_id, key, &view).await?;
                }
                Ok(view)
            }
            .scope_boxed()
        })
        .await;
    match (result, idempotency_key) {
        // A concurrent retry with the same key won the race: answer as it did.
        (Err(AppError::Conflict(_)), Some(key)) => stored_answer(&mut conn, user_id, key)
            .await?
            .ok_or_else(|| AppError::Conflict("This request is being processed.".into())),
        (result, _) => result,
    }
}

async fn stored_answer(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    key: &str,
) -> AppResult<Option<RegistrationView>> {
    let stored: Option<serde_json::Value> = idempotency_keys::table
        .find((user_id, key))
        .filter(idempotency_keys::scope.eq("webinar_registration"))
        .select(idempotency_keys::response)
        .first(conn)
        .await
        .optional()?;
    Ok(stored.and_then(|value| serde_json::from_value(value).ok()))
}

async fn store_answer(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    key: &str,
    view: &RegistrationView,
) -> AppResult<()> {
    let response = serde_json::to_value(view).map_err(|e| AppError::internal(e.to_string()))?;
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::scope.eq("webinar_registration"),
            idempotency_keys::status_code.eq(201),
            idempotency_keys::response.eq(response),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves waitlisted mentors into free seats, first come first served, and tells them.
async fn promote_waitlist(
    conn: &mut AsyncPgConnection,
    config: &crate::config::Config,
    series_id: Uuid,
) -> AppResult<()> {
    loop {
        let Some(next) = store::first_waitlisted(conn, series_id).await? else {
            return Ok(());
        };
        if !store::claim_seat(conn, series_id).await? {
            return Ok(());
        }
        store::confirm(conn, next.id).await?;
        let series = store::find_series(conn, series_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let (name, email): (String, String) = users::table
            .find(next.user_id)
            .select((users::name, users::email))
            .first(conn)
            .await?;
        notify::confirmed(
            conn,
            config,
            &series,
            &Recipient {
                user_id: next.user_id,
                name: &name,
                email: &email,
            },
            true,
        )
        .await?;
        tracing::info!(series = %series_id, user = %next.user_id, "promoted from the waitlist");
    }
}

/// Cancels the caller's registration; a freed seat goes to the first on the waitlist.
pub async fn cancel_registration(
    state: &AppState,
    user_id: Uuid,
    series_id: Uuid,
) -> AppResult<()> {
    let mut conn = state.pool.get().await?;
    let config = state.config.clone();
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            let series = store::lock_series(conn, series_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let registration: Registration = store::live_registration(conn, series_id, user_id)
                .await?
                .ok_or(AppError::NotFound)?;
            store::cancel_registration(conn, registration.id).await?;
            store::drop_pending_reminders(conn, &format!("reminder:{}:%", registration.id)).await?;
            if registration.status == RegistrationStatus::Confirmed {
                store::release_seat(conn, series_id).await?;
                let (name, email): (String, String) = users::table
                    .find(user_id)
                    .select((users::name, users::email))
                    .first(conn)
                    .await?;
                notify::cancelled_by_mentor(
                    conn,
                    &config,
                    &series,
                    &Recipient {
                        user_id,
                        name: &name,
                        email: &email,
                    },
                )
                .await?;
                if series.is_upcoming(Utc::now()) {
                    promote_waitlist(conn, &config, series_id).await?;
                }
            }
            Ok(())
        }
        .scope_boxed()
    })
    .await
}

// ---- the mentor's view ----------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct MySession {
    pub number: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub join_url: Option<String>,
    pub cancelled: bool,
    /// Null until the facilitator has recorded it.
    pub attended: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct MyWebinar {
    pub series_id: Uuid,
    pub title: String,
    /// `cancelled` also when the series was cancelled.
    pub status: RegistrationStatus,
    pub position: Option<i64>,
    pub upcoming: bool,
    pub sessions: Vec<MySession>,
}

pub async fn my_webinars(state: &AppState, user_id: Uuid) -> AppResult<Vec<MyWebinar>> {
    let now = Utc::now();
    let mut conn = state.pool.get().await?;
    let mut out = Vec::new();
    for (registration, series) in store::registrations_of(&mut conn, user_id).await? {
        let session_ids: Vec<Uuid> = series.sessions.iter().map(|s| s.id).collect();
        let attendance = store::attendance_of(&mut conn, user_id, &session_ids).await?;
        let position = match registration.waitlist_seq {
            Some(seq) => Some(store::waitlist_position(&mut conn, series.row.id, seq).await?),
            None => None,
        };
        let confirmed = registration.status == RegistrationStatus::Confirmed;
        out.push(MyWebinar {
            series_id: series.row.id,
            title: series.row.title.clone(),
            status: if series.row.cancelled_at.is_some() {
                RegistrationStatus::Cancelled
            } else {
                registration.status
            },
            position,
            upcoming: series.is_upcoming(now),
            sessions: series
                .sessions
                .iter()
                .map(|s| MySession {
                    number: s.number,
                    starts_at: s.starts_at,
                    ends_at: s.ends_at(),
                    join_url: confirmed.then(|| s.join_url.clone()),
                    cancelled: s.cancelled_at.is_some(),
                    attended: attendance
                        .iter()
                        .find(|(id, _)| *id == s.id)
                        .map(|(_, a)| *a),
                })
                .collect(),
        });
    }
    Ok(out)
}

/// The caller's confirmed sessions as an iCalendar feed (the same UIDs as the invitations).
pub async fn calendar_feed(state: &AppState, user_id: Uuid) -> AppResult<String> {
    let mut conn = state.pool.get().await?;
    let confirmed: Vec<Series> = store::registrations_of(&mut conn, user_id)
        .await?
        .into_iter()
        .filter(|(r, _)| r.status == RegistrationStatus::Confirmed)
        .map(|(_, s)| s)
        .collect();
    let sessions: Vec<super::calendar::CalendarSession<'_>> = confirmed
        .iter()
        .flat_map(|series| notify::calendar_sessions(series, &series.sessions))
        .collect();
    let organizer_name = state
        .config
        .mail
        .from
        .name
        .clone()
        .unwrap_or_else(|| "Mentoropplæringen".into());
    let organizer_email = state.config.mail.from.email.to_string();
    Ok(super::calendar::calendar(
        super::calendar::Method::Publish,
        &sessions,
        &super::calendar::Organizer {
            name: &organizer_name,
            email: &organizer_email,
        },
        None,
        Utc::now(),
    ))
}
