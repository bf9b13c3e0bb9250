//! What mentors and staff read: upcoming series with seats and the caller's place, a mentor's
//! own webinars with attendance (and the same for the export), and the calendar feed. Each
//! list is read with a fixed number of queries, however many series it holds.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::calendar::Method;
use super::notify;
use super::registration::{self, Registrant, RegistrationRefusal};
use super::store::{self, Attendance, Series, SeriesRegistration};
use super::RegistrationStatus;
use crate::auth::{AuthUser, Role};
use crate::error::{AppError, AppResult};
use crate::language::Language;
use crate::AppState;

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
    /// Why the caller cannot register now: the code registering would answer with
    /// (`forbidden`, `reflection_note_required`, `registration_closed`, `already_registered`);
    /// null when registering would go through.
    pub registration_refusal: Option<RegistrationRefusal>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct FacilitatorView {
    pub id: Uuid,
    pub name: String,
}

/// The sessions of a series; the links only when `show_links`.
pub fn session_views(series: &Series, show_links: bool) -> Vec<SessionView> {
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

/// The series as `caller` sees them: facilitators' names, waitlist lengths and the caller's
/// own places read in one query each for all series.
async fn series_views(
    conn: &mut AsyncPgConnection,
    caller: &AuthUser,
    list: Vec<Series>,
    now: DateTime<Utc>,
) -> AppResult<Vec<SeriesView>> {
    let ids: Vec<Uuid> = list.iter().map(|s| s.row.id).collect();
    let facilitator_ids: Vec<Uuid> = list.iter().map(|s| s.row.facilitator_id).collect();
    let names = store::names_of(conn, &facilitator_ids).await?;
    let waitlists = store::waitlist_lengths(conn, &ids).await?;
    let mine: Vec<SeriesRegistration> = store::registrations_of(conn, caller.id)
        .await?
        .into_iter()
        .filter(|r| r.registration.is_live())
        .collect();
    let positions = positions_of(conn, &mine).await?;
    let registrant = Registrant {
        is_mentor: caller.role == Role::Mentor,
        note_submitted: crate::reflection::has_submitted(conn, caller.id).await?,
        in_upcoming_series: mine.iter().any(|r| r.series.is_upcoming(now)),
    };
    Ok(list
        .into_iter()
        .map(|series| {
            let my_registration = mine
                .iter()
                .find(|r| r.registration.series_id == series.row.id)
                .map(|r| MyRegistration {
                    status: r.registration.status,
                    position: positions.get(&r.registration.id).copied(),
                });
            let show_links = caller.role == Role::Admin
                || series.row.facilitator_id == caller.id
                || my_registration
                    .as_ref()
                    .is_some_and(|r| r.status == RegistrationStatus::Confirmed);
            let row = &series.row;
            SeriesView {
                id: row.id,
                title: row.title.clone(),
                facilitator: FacilitatorView {
                    id: row.facilitator_id,
                    name: names.get(&row.facilitator_id).cloned().unwrap_or_default(),
                },
                capacity: row.capacity,
                seats_left: row.capacity - row.confirmed_count,
                waitlist_length: waitlists.get(&row.id).copied().unwrap_or(0),
                registration_deadline: row.registration_deadline,
                registration_open: row.cancelled_at.is_none() && now <= row.registration_deadline,
                cancelled: row.cancelled_at.is_some(),
                sessions: session_views(&series, show_links),
                my_registration,
                registration_refusal: registration::refusal(&registrant, &series, now),
            }
        })
        .collect())
}

/// Waitlist places of those of `registrations` that wait, by registration id.
async fn positions_of(
    conn: &mut AsyncPgConnection,
    registrations: &[SeriesRegistration],
) -> AppResult<HashMap<Uuid, i64>> {
    let waiting: Vec<Uuid> = registrations
        .iter()
        .filter(|r| r.registration.waitlist_seq.is_some())
        .map(|r| r.registration.id)
        .collect();
    store::waitlist_positions(conn, &waiting).await
}

/// One series as `caller` sees it (after an admin created or changed it).
pub(super) async fn series_view(
    conn: &mut AsyncPgConnection,
    caller: &AuthUser,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<SeriesView> {
    let series = store::find_series(conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    series_views(conn, caller, vec![series], now)
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

pub async fn upcoming(state: &AppState, caller: &AuthUser) -> AppResult<Vec<SeriesView>> {
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let list = store::upcoming_series(&mut conn, now).await?;
    series_views(&mut conn, caller, list, now).await
}

/// Every series, cancelled and finished ones too, as an admin looks after them: the latest
/// first session first, so those still to come lead the list (the newest 200 series).
pub async fn all_series(state: &AppState, caller: &AuthUser) -> AppResult<Vec<SeriesView>> {
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let mut list = store::series_led_by(&mut conn, None).await?;
    list.sort_by_key(|s| std::cmp::Reverse(s.first_start()));
    series_views(&mut conn, caller, list, now).await
}

/// One series as an admin looks after it, whatever its state.
pub async fn one_series(state: &AppState, caller: &AuthUser, id: Uuid) -> AppResult<SeriesView> {
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    series_view(&mut conn, caller, id, now).await
}

// ---- the mentor's own webinars --------------------------------------------------------------

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

fn my_webinar(
    taken: &SeriesRegistration,
    positions: &HashMap<Uuid, i64>,
    attendance: &[Attendance],
    now: DateTime<Utc>,
) -> MyWebinar {
    let SeriesRegistration {
        registration,
        series,
    } = taken;
    let confirmed = registration.is_confirmed();
    MyWebinar {
        series_id: series.row.id,
        title: series.row.title.clone(),
        status: if series.row.cancelled_at.is_some() {
            RegistrationStatus::Cancelled
        } else {
            registration.status
        },
        position: positions.get(&registration.id).copied(),
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
                attended: store::attended(attendance, registration.user_id, s.id),
            })
            .collect(),
    }
}

/// A person's webinars, newest registration first, with waitlist places and attendance read
/// in one query each for all.
async fn webinars_of(
    state: &AppState,
    user_id: Uuid,
) -> AppResult<impl Iterator<Item = MyWebinar>> {
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let registrations = store::registrations_of(&mut conn, user_id).await?;
    let sessions: Vec<Uuid> = registrations
        .iter()
        .flat_map(|r| r.series.session_ids())
        .collect();
    let attendance = store::attendance(&mut conn, &sessions, &[user_id]).await?;
    let positions = positions_of(&mut conn, &registrations).await?;
    Ok(registrations
        .into_iter()
        .map(move |r| my_webinar(&r, &positions, &attendance, now)))
}

pub async fn my_webinars(state: &AppState, user_id: Uuid) -> AppResult<Vec<MyWebinar>> {
    Ok(webinars_of(state, user_id).await?.collect())
}

/// One registration as the person's data export shows it.
#[derive(Serialize)]
pub struct RegistrationExport {
    pub series_id: Uuid,
    pub title: String,
    /// `cancelled` also when the series was cancelled.
    pub status: RegistrationStatus,
    pub position: Option<i64>,
    pub upcoming: bool,
    pub sessions: Vec<SessionExport>,
}

#[derive(Serialize)]
pub struct SessionExport {
    pub number: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub join_url: Option<String>,
    pub cancelled: bool,
    pub attended: Option<bool>,
}

impl From<MyWebinar> for RegistrationExport {
    fn from(webinar: MyWebinar) -> Self {
        Self {
            series_id: webinar.series_id,
            title: webinar.title,
            status: webinar.status,
            position: webinar.position,
            upcoming: webinar.upcoming,
            sessions: webinar
                .sessions
                .into_iter()
                .map(|s| SessionExport {
                    number: s.number,
                    starts_at: s.starts_at,
                    ends_at: s.ends_at,
                    join_url: s.join_url,
                    cancelled: s.cancelled,
                    attended: s.attended,
                })
                .collect(),
        }
    }
}

/// A person's registrations, sessions and attendance for their data export.
pub async fn export_of(state: &AppState, user_id: Uuid) -> AppResult<Vec<RegistrationExport>> {
    Ok(webinars_of(state, user_id)
        .await?
        .map(RegistrationExport::from)
        .collect())
}

/// The caller's confirmed sessions as an iCalendar feed (the same UIDs as the invitations), its
/// text in `language` (the caller's form).
pub async fn calendar_feed(
    state: &AppState,
    user_id: Uuid,
    language: Language,
) -> AppResult<String> {
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let confirmed: Vec<Series> = store::registrations_of(&mut conn, user_id)
        .await?
        .into_iter()
        .filter(|r| r.registration.is_confirmed())
        .map(|r| r.series)
        .collect();
    let sessions: Vec<_> = confirmed
        .iter()
        .flat_map(|series| notify::calendar_sessions(series, &series.sessions))
        .collect();
    Ok(notify::calendar_document(
        &state.config,
        language,
        Method::Publish,
        &sessions,
        None,
        now,
    ))
}
