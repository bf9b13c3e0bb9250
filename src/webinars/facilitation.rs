//! What facilitators do: see the participants of the series they lead, read their submitted
//! notes (each read goes to the access log), record attendance; and the certificate that
//! follows when a mentor has attended all three sessions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::store::{self, Series};
use super::RegistrationStatus;
use crate::auth::{AuthUser, Role};
use crate::db::schema::{certificates, users};
use crate::error::{AppError, AppResult};
use crate::privacy::service::{record_access, Access};
use crate::reflection::service::NoteStatus;
use crate::AppState;

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
    pub sessions: Vec<super::service::SessionView>,
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
            sessions: series
                .sessions
                .iter()
                .map(|s| super::service::SessionView {
                    number: s.number,
                    starts_at: s.starts_at,
                    ends_at: s.ends_at(),
                    duration_minutes: s.duration_minutes,
                    join_url: Some(s.join_url.clone()),
                    cancelled: s.cancelled_at.is_some(),
                })
                .collect(),
        })
        .collect())
}

#[derive(Serialize, ToSchema)]
pub struct Participant {
    pub user_id: Uuid,
    pub name: String,
    /// The mentor's municipality, when they belong to one.
    pub municipality: Option<crate::auth::routes::MunicipalitySummary>,
    pub note_status: NoteStatus,
    /// `confirmed` or `waitlisted`.
    pub status: RegistrationStatus,
    /// Attendance per session number (null: not recorded).
    pub attendance: Vec<Option<bool>>,
}

pub async fn participants(
    state: &AppState,
    caller: &AuthUser,
    series_id: Uuid,
) -> AppResult<Vec<Participant>> {
    let mut conn = state.pool.get().await?;
    let series = series_in_scope(&mut conn, caller, series_id).await?;
    let session_ids: Vec<Uuid> = series.sessions.iter().map(|s| s.id).collect();
    let mut out = Vec::new();
    for (registration, name, _email, municipality) in
        store::participants(&mut conn, series_id).await?
    {
        let attendance =
            store::attendance_of(&mut conn, registration.user_id, &session_ids).await?;
        out.push(Participant {
            user_id: registration.user_id,
            name,
            municipality: municipality.map(|(id, number, name)| {
                crate::auth::routes::MunicipalitySummary { id, number, name }
            }),
            note_status: crate::reflection::service::status_of(&mut conn, registration.user_id)
                .await?,
            status: registration.status,
            attendance: series
                .sessions
                .iter()
                .map(|s| {
                    attendance
                        .iter()
                        .find(|(id, _)| *id == s.id)
                        .map(|(_, a)| *a)
                })
                .collect(),
        });
    }
    Ok(out)
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
        .filter(|r| r.status == RegistrationStatus::Confirmed)
        .ok_or(AppError::NotFound)?;
    let note =
        crate::reflection::store::latest_submitted(&mut conn, &state.config.encryption, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
    let name: String = users::table
        .find(user_id)
        .select(users::name)
        .first(&mut conn)
        .await?;
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
    let mut conn = state.pool.get().await?;
    let series = series_in_scope(&mut conn, caller, series_id).await?;
    let session = series
        .sessions
        .iter()
        .find(|s| s.number == number)
        .ok_or(AppError::NotFound)?
        .clone();
    let recorder = caller.id;
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            for (index, mark) in marks.iter().enumerate() {
                let registration = store::live_registration(conn, series_id, mark.user_id).await?;
                if registration.is_none_or(|r| r.status != RegistrationStatus::Confirmed) {
                    return Err(AppError::field(
                        format!("[{index}].user_id"),
                        "is not a confirmed participant of this series",
                    ));
                }
                store::record_attendance(conn, session.id, mark.user_id, mark.attended, recorder)
                    .await?;
            }
            for mark in marks.iter().filter(|m| m.attended) {
                issue_certificate_if_due(conn, mark.user_id).await?;
            }
            Ok(())
        }
        .scope_boxed()
    })
    .await?;
    participants(state, caller, series_id).await
}

pub const PROGRAMME: &str = "Mentoropplæring i lindrende behandling";

/// Issues the certificate when the programme is complete: the path done, a note submitted and
/// all three sessions of one series attended.
pub async fn issue_certificate_if_due(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> AppResult<()> {
    let exists: bool = diesel::select(diesel::dsl::exists(certificates::table.find(user_id)))
        .get_result(conn)
        .await?;
    if exists
        || crate::learning::path_completed_at(conn, user_id)
            .await?
            .is_none()
    {
        return Ok(());
    }
    if !crate::reflection::store::has_submitted(conn, user_id).await? {
        return Ok(());
    }
    let mut completed_series = None;
    for (registration, series) in store::registrations_of(conn, user_id).await? {
        if registration.status != RegistrationStatus::Confirmed || series.sessions.len() != 3 {
            continue;
        }
        let ids: Vec<Uuid> = series.sessions.iter().map(|s| s.id).collect();
        let attendance = store::attendance_of(conn, user_id, &ids).await?;
        if attendance.iter().filter(|(_, attended)| *attended).count() == 3 {
            completed_series = Some(series.row.id);
            break;
        }
    }
    let Some(series_id) = completed_series else {
        return Ok(());
    };
    let name: String = users::table
        .find(user_id)
        .select(users::name)
        .first(conn)
        .await?;
    diesel::insert_into(certificates::table)
        .values((
            certificates::user_id.eq(user_id),
            certificates::verification_code.eq(verification_code()),
            certificates::name.eq(name),
            certificates::programme.eq(PROGRAMME),
            certificates::completed_on.eq(Utc::now()
                .with_timezone(&chrono_tz::Europe::Oslo)
                .date_naive()),
            certificates::series_id.eq(series_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    tracing::info!(%user_id, "programme completed; certificate issued");
    Ok(())
}

/// 16 characters from an alphabet without look-alikes, in groups of four (80 bits).
pub fn verification_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    let chars: Vec<char> = (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[derive(Serialize, ToSchema)]
pub struct Certificate {
    pub name: String,
    pub programme: String,
    pub completed_on: chrono::NaiveDate,
    pub verification_code: String,
    pub verify_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct CertificateCheck {
    pub name: String,
    pub programme: String,
    pub completed_on: chrono::NaiveDate,
}

pub async fn my_certificate(state: &AppState, user_id: Uuid) -> AppResult<Certificate> {
    let mut conn = state.pool.get().await?;
    let (name, programme, completed_on, code): (String, String, chrono::NaiveDate, String) =
        certificates::table
            .find(user_id)
            .select((
                certificates::name,
                certificates::programme,
                certificates::completed_on,
                certificates::verification_code,
            ))
            .first(&mut conn)
            .await
            .optional()?
            .ok_or(AppError::NotFound)?;
    let mut url = state.config.public_base_url.clone();
    url.set_path(&format!("/api/v1/certificates/{code}"));
    Ok(Certificate {
        name,
        programme,
        completed_on,
        verify_url: url.to_string(),
        verification_code: code,
    })
}

pub async fn verify(state: &AppState, code: &str) -> AppResult<CertificateCheck> {
    if code.len() > 40 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(AppError::NotFound);
    }
    let mut conn = state.pool.get().await?;
    let (name, programme, completed_on): (String, String, chrono::NaiveDate) = certificates::table
        .filter(certificates::verification_code.eq(code.to_ascii_uppercase()))
        .select((
            certificates::name,
            certificates::programme,
            certificates::completed_on,
        ))
        .first(&mut conn)
        .await
        .optional()?
        .ok_or(AppError::NotFound)?;
    Ok(CertificateCheck {
        name,
        programme,
        completed_on,
    })
}
