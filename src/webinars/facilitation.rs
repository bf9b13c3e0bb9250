//! What facilitators do: see the participants of the series they lead, read their submitted
//! notes (each read goes to the access log) and record attendance, which may complete the
//! programme and issue the certificate.

use chrono::{DateTime, Utc};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::certificate::issue_certificate_if_due;
use super::store::{self, Attendance, Series};
use super::views::{session_views, SessionView};
use super::RegistrationStatus;
use crate::auth::{AuthUser, Role};
use crate::error::{AppError, AppResult};
use crate::privacy::{record_access, Access};
use crate::reflection::NoteStatus;
use crate::AppState;

/// The most attendance marks one request records.
const MAX_MARKS: usize = 200;

/// The series, if the caller may act on it: its facilitator, or an admin. Others get 404, so
/// they learn nothing about series that are not theirs.
async fn series_in_scope(
    conn: &mut AsyncPgConnection,
    caller: &AuthUser,
    id: Uuid,
) -> AppResult<Series> {
    let series = store::find_series(conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if caller.role == Role::Admin || series.row.facilitator_id == caller.id {
        Ok(series)
    } else {
        Err(AppError::NotFound)
    }
}

#[derive(Serialize, ToSchema)]
pub struct FacilitatedSeries {
    pub id: Uuid,
    pub title: String,
    pub capacity: i32,
    pub confirmed: i32,
    pub cancelled: bool,
    pub sessions: Vec<SessionView>,
}

pub async fn my_series(state: &AppState, caller: &AuthUser) -> AppResult<Vec<FacilitatedSeries>> {
    let mut conn = state.pool.get().await?;
    let filter = (caller.role != Role::Admin).then_some(caller.id);
    Ok(store::series_led_by(&mut conn, filter)
        .await?
        .into_iter()
        .map(|series| FacilitatedSeries {
            id: series.row.id,
            title: series.row.title.clone(),
            capacity: series.row.capacity,
            confirmed: series.row.confirmed_count,
            cancelled: series.row.cancelled_at.is_some(),
            sessions: session_views(&series, true),
        })
        .collect())
}

#[derive(Serialize, ToSchema)]
pub struct Participant {
    pub user_id: Uuid,
    pub name: String,
    /// The mentor's municipality, when they belong to one.
    pub municipality: Option<crate::auth::MunicipalitySummary>,
    pub note_status: NoteStatus,
    /// `confirmed` or `waitlisted`.
    pub status: RegistrationStatus,
    /// Attendance per session number (null: not recorded).
    pub attendance: Vec<Option<bool>>,
}

/// The participants with their attendance, read in one query for all of them.
pub async fn participants(
    state: &AppState,
    caller: &AuthUser,
    series_id: Uuid,
) -> AppResult<Vec<Participant>> {
    let mut conn = state.pool.get().await?;
    let series = series_in_scope(&mut conn, caller, series_id).await?;
    let rows = store::participants(&mut conn, series_id).await?;
    let users: Vec<Uuid> = rows.iter().map(|p| p.registration.user_id).collect();
    let attendance = store::attendance(&mut conn, &series.session_ids(), &users).await?;
    // The note's state is reflection's to tell, for all of them at once.
    let notes = crate::reflection::statuses_of(&mut conn, &users).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let user_id = row.registration.user_id;
            Participant {
                user_id,
                name: row.name,
                municipality: row.municipality.map(|m| crate::auth::MunicipalitySummary {
                    id: m.id,
                    number: m.number,
                    name: m.name,
                }),
                note_status: notes.get(&user_id).copied().unwrap_or(NoteStatus::None),
                status: row.registration.status,
                attendance: series
                    .sessions
                    .iter()
                    .map(|s| store::attended(&attendance, user_id, s.id))
                    .collect(),
            }
        })
        .collect())
}

#[derive(Serialize, ToSchema)]
pub struct ParticipantNote {
    pub user_id: Uuid,
    pub name: String,
    pub version: i32,
    /// Plain text, exactly as the mentor wrote it; never HTML.
    pub body: String,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// The participant's submitted note (drafts are never shown). The read is logged.
pub async fn read_note(
    state: &AppState,
    caller: &AuthUser,
    series_id: Uuid,
    user_id: Uuid,
) -> AppResult<ParticipantNote> {
    let mut conn = state.pool.get().await?;
    series_in_scope(&mut conn, caller, series_id).await?;
    // Only the series' confirmed participants: a waitlisted person may never take part.
    store::live_registration(&mut conn, series_id, user_id)
        .await?
        .filter(|r| r.is_confirmed())
        .ok_or(AppError::NotFound)?;
    let note = crate::reflection::latest_submitted(&mut conn, &state.config.encryption, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = store::contact(&mut conn, user_id).await?.name;
    let note_id = note.id.to_string();
    record_access(
        &mut conn,
        caller,
        Access::ReadNote,
        &[user_id],
        Some(&note_id),
    )
    .await?;
    Ok(ParticipantNote {
        user_id,
        name,
        version: note.version,
        body: note.body,
        submitted_at: note.submitted_at,
    })
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceMark {
    pub user_id: Uuid,
    pub attended: bool,
}

/// Records (or corrects) attendance for one session; then issues certificates that are now due.
pub async fn record_attendance(
    state: &AppState,
    caller: &AuthUser,
    series_id: Uuid,
    number: i32,
    marks: &[AttendanceMark],
) -> AppResult<Vec<Participant>> {
    if marks.len() > MAX_MARKS {
        return Err(AppError::field("body", "at most 200 marks at a time"));
    }
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let series = series_in_scope(&mut conn, caller, series_id).await?;
    let session_id = series
        .sessions
        .iter()
        .find(|s| s.number == number)
        .ok_or(AppError::NotFound)?
        .id;
    let recorder = caller.id;
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            for (index, mark) in marks.iter().enumerate() {
                let registration = store::live_registration(conn, series_id, mark.user_id).await?;
                if !registration.is_some_and(|r| r.is_confirmed()) {
                    return Err(AppError::field(
                        format!("[{index}].user_id"),
                        "is not a confirmed participant of this series",
                    ));
                }
                let record = Attendance {
                    session_id,
                    user_id: mark.user_id,
                    attended: mark.attended,
                };
                store::record_attendance(conn, &record, recorder, now).await?;
            }
            for mark in marks.iter().filter(|m| m.attended) {
                issue_certificate_if_due(conn, mark.user_id, now).await?;
            }
            Ok(())
        }
        .scope_boxed()
    })
    .await?;
    participants(state, caller, series_id).await
}
