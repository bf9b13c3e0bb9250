//! What admins do with series: create them, change them (changed sessions get a higher
//! SEQUENCE and participants an updated invitation) and cancel them.

use chrono::{DateTime, Utc};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::notify::Notifier;
use super::registration::promote_waitlist;
use super::schedule::{check_plan, plan_new_series, plan_sessions, SessionPlan};
use super::store::{self, Contact, Series};
use super::views::{self, SeriesView};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::http::fields::{self, JoinUrl, Label};
use crate::AppState;

pub const DEFAULT_DURATION_MINUTES: i32 = 120;
pub const DEFAULT_DEADLINE_HOURS: i64 = 48;

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

// ---- creating -------------------------------------------------------------------------------

async fn check_facilitator(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<()> {
    if !store::is_facilitator(conn, id).await? {
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
    let now = state.clock.now();
    let (sessions, deadline) = plan_new_series(input, now)?;
    let mut conn = state.pool.get().await?;
    check_facilitator(&mut conn, input.facilitator_id).await?;
    let row = store::NewSeriesRow {
        title: input.title.trim(),
        facilitator_id: input.facilitator_id,
        capacity: input.capacity,
        registration_deadline: deadline,
        created_by: admin.id,
    };
    let id = store::insert_series(&mut conn, &row, &sessions).await?;
    tracing::info!(series = %id, admin = %admin.id, "webinar series created");
    views::series_view(&mut conn, admin, id, now).await
}

// ---- changing -------------------------------------------------------------------------------

/// Refuses a change to a cancelled series, to someone who is not a facilitator, or to fewer
/// seats than are taken.
async fn check_change(
    conn: &mut AsyncPgConnection,
    series: &Series,
    change: &SeriesChange,
) -> AppResult<()> {
    if series.row.cancelled_at.is_some() {
        return Err(AppError::Conflict("The series is cancelled.".into()));
    }
    if let Some(facilitator) = change.facilitator_id {
        check_facilitator(conn, facilitator).await?;
    }
    if change
        .capacity
        .is_some_and(|capacity| capacity < series.row.confirmed_count)
    {
        return Err(AppError::field(
            "capacity",
            "is lower than the number of confirmed participants",
        ));
    }
    Ok(())
}

/// Writes the change; moved and cancelled sessions lose their pending reminders.
async fn apply_change(
    conn: &mut AsyncPgConnection,
    series: &Series,
    change: &SeriesChange,
    plan: &SessionPlan,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let fields = store::SeriesFields {
        title: change
            .title
            .as_deref()
            .map(str::trim)
            .unwrap_or(&series.row.title),
        capacity: change.capacity.unwrap_or(series.row.capacity),
        facilitator_id: change.facilitator_id.unwrap_or(series.row.facilitator_id),
        registration_deadline: deadline,
    };
    store::update_series(conn, series.row.id, &fields, now).await?;
    for &index in &plan.changed {
        let session_id = series.sessions[index].id;
        store::reschedule_session(conn, session_id, &plan.planned[index]).await?;
        store::drop_pending_reminders_of_session(conn, session_id).await?;
    }
    for &session_id in &plan.cancelled {
        store::drop_pending_reminders_of_session(conn, session_id).await?;
        store::cancel_session(conn, session_id, now).await?;
    }
    Ok(())
}

/// Tells confirmed participants: METHOD:CANCEL for each cancelled session, and an updated
/// invitation when a session moved or the title changed.
async fn tell_participants(
    conn: &mut AsyncPgConnection,
    notifier: &Notifier<'_>,
    updated: &Series,
    plan: &SessionPlan,
    title_changed: bool,
) -> AppResult<()> {
    let rescheduled = !plan.changed.is_empty() || title_changed;
    if !rescheduled && plan.cancelled.is_empty() {
        return Ok(());
    }
    for participant in store::participants(conn, updated.row.id).await? {
        if !participant.registration.is_confirmed() {
            continue;
        }
        let to = Contact {
            user_id: participant.registration.user_id,
            name: participant.name,
            email: participant.email,
            language: participant.language,
        };
        for session in updated
            .sessions
            .iter()
            .filter(|s| plan.cancelled.contains(&s.id))
        {
            notifier
                .session_cancelled(conn, updated, session, &to)
                .await?;
        }
        if rescheduled {
            notifier.sessions_changed(conn, updated, &to).await?;
        }
    }
    Ok(())
}

/// Changes a series. Changed sessions get a higher SEQUENCE and confirmed participants an
/// updated invitation; a cancelled session a METHOD:CANCEL. More seats promote the waitlist.
pub async fn update_series(
    state: &AppState,
    admin: &AuthUser,
    id: Uuid,
    change: &SeriesChange,
) -> AppResult<SeriesView> {
    let notifier = Notifier::new(state);
    let now = notifier.now;
    let mut conn = state.pool.get().await?;
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            let series = store::lock_series(conn, id)
                .await?
                .ok_or(AppError::NotFound)?;
            check_change(conn, &series, change).await?;
            let plan = plan_sessions(&series, change.sessions.as_deref().unwrap_or_default())?;
            let deadline = check_plan(&plan, &series, change, now)?;
            apply_change(conn, &series, change, &plan, deadline, now).await?;
            // More seats: the waitlist moves up.
            promote_waitlist(conn, &notifier, id).await?;
            let updated = store::find_series(conn, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let title_changed = change
                .title
                .as_deref()
                .is_some_and(|t| t.trim() != series.row.title);
            tell_participants(conn, &notifier, &updated, &plan, title_changed).await
        }
        .scope_boxed()
    })
    .await?;
    tracing::info!(series = %id, admin = %admin.id, "webinar series changed");
    views::series_view(&mut conn, admin, id, now).await
}

// ---- cancelling -----------------------------------------------------------------------------

/// Cancels a whole series: every registration ends, confirmed participants get METHOD:CANCEL.
pub async fn cancel_series(state: &AppState, admin: &AuthUser, id: Uuid) -> AppResult<()> {
    let notifier = Notifier::new(state);
    let now = notifier.now;
    let mut conn = state.pool.get().await?;
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            let series = store::lock_series(conn, id)
                .await?
                .ok_or(AppError::NotFound)?;
            if series.row.cancelled_at.is_some() {
                return Ok(());
            }
            store::cancel_series(conn, id, now).await?;
            let cancelled = store::find_series(conn, id)
                .await?
                .ok_or(AppError::NotFound)?;
            for participant in store::participants(conn, id).await? {
                let registration = participant.registration;
                store::cancel_registration(conn, registration.id, now).await?;
                store::drop_pending_reminders_of_registration(conn, registration.id).await?;
                let to = Contact {
                    user_id: registration.user_id,
                    name: participant.name,
                    email: participant.email,
                    language: participant.language,
                };
                notifier
                    .series_cancelled(conn, &cancelled, &to, registration.is_confirmed())
                    .await?;
            }
            Ok(())
        }
        .scope_boxed()
    })
    .await?;
    tracing::info!(series = %id, admin = %admin.id, "webinar series cancelled");
    Ok(())
}
