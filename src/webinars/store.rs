//! Series, sessions, registrations and attendance in PostgreSQL. Seats are claimed with one
//! conditional UPDATE of the series' counter, which the database caps at the capacity.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::RegistrationStatus;
use crate::db::schema::{
    users, webinar_attendance, webinar_registrations, webinar_series, webinar_sessions,
};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webinar_series)]
pub struct SeriesRow {
    pub id: Uuid,
    pub title: String,
    pub facilitator_id: Uuid,
    pub capacity: i32,
    pub confirmed_count: i32,
    pub registration_deadline: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webinar_sessions)]
pub struct Session {
    pub id: Uuid,
    pub series_id: Uuid,
    pub number: i32,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub join_url: String,
    pub sequence: i32,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl Session {
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.starts_at + Duration::minutes(i64::from(self.duration_minutes))
    }
}

#[derive(Debug, Clone)]
pub struct Series {
    pub row: SeriesRow,
    pub sessions: Vec<Session>,
}

impl Series {
    pub fn first_start(&self) -> Option<DateTime<Utc>> {
        self.sessions.iter().map(|s| s.starts_at).min()
    }

    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.sessions.iter().map(Session::ends_at).max()
    }

    /// Not cancelled and not over.
    pub fn is_upcoming(&self, now: DateTime<Utc>) -> bool {
        self.row.cancelled_at.is_none() && self.ends_at().is_some_and(|end| end > now)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webinar_registrations)]
pub struct Registration {
    pub id: Uuid,
    pub series_id: Uuid,
    pub user_id: Uuid,
    pub status: RegistrationStatus,
    pub waitlist_seq: Option<i32>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_series(
    conn: &mut AsyncPgConnection,
    title: &str,
    facilitator_id: Uuid,
    capacity: i32,
    deadline: DateTime<Utc>,
    created_by: Uuid,
    sessions: &[(DateTime<Utc>, i32, String)],
) -> Result<Uuid, AppError> {
    let id: Uuid = diesel::insert_into(webinar_series::table)
        .values((
            webinar_series::title.eq(title),
            webinar_series::facilitator_id.eq(facilitator_id),
            webinar_series::capacity.eq(capacity),
            webinar_series::registration_deadline.eq(deadline),
            webinar_series::created_by.eq(created_by),
        ))
        .returning(webinar_series::id)
        .get_result(conn)
        .await?;
    let rows: Vec<_> = sessions
        .iter()
        .enumerate()
        .map(|(index, (starts_at, duration, join_url))| {
            (
                webinar_sessions::series_id.eq(id),
                webinar_sessions::number.eq(index as i32 + 1),
                webinar_sessions::starts_at.eq(*starts_at),
                webinar_sessions::duration_minutes.eq(*duration),
                webinar_sessions::join_url.eq(join_url.clone()),
            )
        })
        .collect();
    diesel::insert_into(webinar_sessions::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(id)
}

async fn attach_sessions(
    conn: &mut AsyncPgConnection,
    rows: Vec<SeriesRow>,
) -> Result<Vec<Series>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let sessions: Vec<Session> = webinar_sessions::table
        .filter(webinar_sessions::series_id.eq_any(&ids))
        .order((webinar_sessions::series_id, webinar_sessions::number))
        .select(Session::as_select())
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| Series {
            sessions: sessions
                .iter()
                .filter(|s| s.series_id == row.id)
                .cloned()
                .collect(),
            row,
        })
        .collect())
}

pub async fn find_series(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<Series>, AppError> {
    let row = webinar_series::table
        .find(id)
        .select(SeriesRow::as_select())
        .first(conn)
        .await
        .optional()?;
    match row {
        Some(row) => Ok(attach_sessions(conn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Locks a series row for the rest of the transaction: registrations of one series take turns.
pub async fn lock_series(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<Series>, AppError> {
    let row = webinar_series::table
        .find(id)
        .select(SeriesRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    match row {
        Some(row) => Ok(attach_sessions(conn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Series whose last session has not ended, soonest first.
pub async fn upcoming_series(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<Vec<Series>, AppError> {
    let ids = webinar_sessions::table
        .group_by(webinar_sessions::series_id)
        .select(webinar_sessions::series_id)
        .filter(webinar_sessions::starts_at.gt(now - Duration::hours(8)));
    let rows: Vec<SeriesRow> = webinar_series::table
        .filter(webinar_series::id.eq_any(ids))
        .filter(webinar_series::cancelled_at.is_null())
        .select(SeriesRow::as_select())
        .load(conn)
        .await?;
    let mut series: Vec<Series> = attach_sessions(conn, rows)
        .await?
        .into_iter()
        .filter(|s| s.is_upcoming(now))
        .collect();
    series.sort_by_key(|s| s.first_start());
    Ok(series)
}

pub async fn series_led_by(
    conn: &mut AsyncPgConnection,
    facilitator: Option<Uuid>,
) -> Result<Vec<Series>, AppError> {
    let mut query = webinar_series::table
        .select(SeriesRow::as_select())
        .into_boxed();
    if let Some(facilitator) = facilitator {
        query = query.filter(webinar_series::facilitator_id.eq(facilitator));
    }
    let rows = query
        .order(webinar_series::created_at.desc())
        .limit(200)
        .load(conn)
        .await?;
    attach_sessions(conn, rows).await
}

/// Takes a seat if one is left; the CHECK on the counter is the final word.
pub async fn claim_seat(conn: &mut AsyncPgConnection, series_id: Uuid) -> Result<bool, AppError> {
    let updated = diesel::update(
        webinar_series::table
            .find(series_id)
            .filter(webinar_series::confirmed_count.lt(webinar_series::capacity)),
    )
    .set(webinar_series::confirmed_count.eq(webinar_series::confirmed_count + 1))
    .execute(conn)
    .await?;
    Ok(updated == 1)
}

pub async fn release_seat(conn: &mut AsyncPgConnection, series_id: Uuid) -> Result<(), AppError> {
    diesel::update(webinar_series::table.find(series_id))
        .set(webinar_series::confirmed_count.eq(webinar_series::confirmed_count - 1))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn next_waitlist_seq(
    conn: &mut AsyncPgConnection,
    series_id: Uuid,
) -> Result<i32, AppError> {
    Ok(diesel::update(webinar_series::table.find(series_id))
        .set(webinar_series::waitlist_counter.eq(webinar_series::waitlist_counter + 1))
        .returning(webinar_series::waitlist_counter)
        .get_result(conn)
        .await?)
}

pub async fn insert_registration(
    conn: &mut AsyncPgConnection,
    series_id: Uuid,
    user_id: Uuid,
    waitlist_seq: Option<i32>,
) -> Result<Registration, AppError> {
    let confirmed = waitlist_seq.is_none();
    Ok(diesel::insert_into(webinar_registrations::table)
        .values((
            webinar_registrations::series_id.eq(series_id),
            webinar_registrations::user_id.eq(user_id),
            webinar_registrations::status.eq(if confirmed {
                RegistrationStatus::Confirmed
            } else {
                RegistrationStatus::Waitlisted
            }),
            webinar_registrations::waitlist_seq.eq(waitlist_seq),
            webinar_registrations::confirmed_at.eq(confirmed.then(Utc::now)),
        ))
        .returning(Registration::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn live_registration(
    conn: &mut AsyncPgConnection,
    series_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Registration>, AppError> {
    Ok(webinar_registrations::table
        .filter(webinar_registrations::series_id.eq(series_id))
        .filter(webinar_registrations::user_id.eq(user_id))
        .filter(webinar_registrations::status.ne(RegistrationStatus::Cancelled))
        .select(Registration::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A user's live registrations with their series.
pub async fn registrations_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Vec<(Registration, Series)>, AppError> {
    let registrations: Vec<Registration> = webinar_registrations::table
        .filter(webinar_registrations::user_id.eq(user_id))
        .order(webinar_registrations::created_at.desc())
        .select(Registration::as_select())
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = registrations.iter().map(|r| r.series_id).collect();
    let rows: Vec<SeriesRow> = webinar_series::table
        .filter(webinar_series::id.eq_any(&ids))
        .select(SeriesRow::as_select())
        .load(conn)
        .await?;
    let series = attach_sessions(conn, rows).await?;
    Ok(registrations
        .into_iter()
        .filter_map(|r| {
            let s = series.iter().find(|s| s.row.id == r.series_id)?.clone();
            Some((r, s))
        })
        .collect())
}

/// 1-based place on the waitlist.
pub async fn waitlist_position(
    conn: &mut AsyncPgConnection,
    series_id: Uuid,
    seq: i32,
) -> Result<i64, AppError> {
    Ok(webinar_registrations::table
        .filter(webinar_registrations::series_id.eq(series_id))
        .filter(webinar_registrations::status.eq(RegistrationStatus::Waitlisted))
        .filter(webinar_registrations::waitlist_seq.le(seq))
        .count()
        .get_result(conn)
        .await?)
}

pub async fn waitlist_lengths(
    conn: &mut AsyncPgConnection,
    series: &[Uuid],
) -> Result<Vec<(Uuid, i64)>, AppError> {
    Ok(webinar_registrations::table
        .filter(webinar_registrations::series_id.eq_any(series))
        .filter(webinar_registrations::status.eq(RegistrationStatus::Waitlisted))
        .group_by(webinar_registrations::series_id)
        .select((webinar_registrations::series_id, diesel::dsl::count_star()))
        .load(conn)
        .await?)
}

pub async fn cancel_registration(conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), AppError> {
    diesel::update(webinar_registrations::table.find(id))
        .set((
            webinar_registrations::status.eq(RegistrationStatus::Cancelled),
            webinar_registrations::waitlist_seq.eq(None::<i32>),
            webinar_registrations::cancelled_at.eq(diesel::dsl::now),
            webinar_registrations::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn first_waitlisted(
    conn: &mut AsyncPgConnection,
    series_id: Uuid,
) -> Result<Option<Registration>, AppError> {
    Ok(webinar_registrations::table
        .filter(webinar_registrations::series_id.eq(series_id))
        .filter(webinar_registrations::status.eq(RegistrationStatus::Waitlisted))
        .order(webinar_registrations::waitlist_seq)
        .select(Registration::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn confirm(conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), AppError> {
    diesel::update(webinar_registrations::table.find(id))
        .set((
            webinar_registrations::status.eq(RegistrationStatus::Confirmed),
            webinar_registrations::waitlist_seq.eq(None::<i32>),
            webinar_registrations::confirmed_at.eq(diesel::dsl::now),
            webinar_registrations::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The live registrations of a series with the person's name and email.
/// A registration with the participant's name, email and municipality (id, number, name).
pub type Participant = (Registration, String, String, Option<(Uuid, String, String)>);

pub async fn participants(
    conn: &mut AsyncPgConnection,
    series_id: Uuid,
) -> Result<Vec<Participant>, AppError> {
    use crate::db::schema::municipalities;
    Ok(webinar_registrations::table
        .inner_join(users::table.on(users::id.eq(webinar_registrations::user_id)))
        .left_join(
            municipalities::table.on(municipalities::id.nullable().eq(users::municipality_id)),
        )
        .filter(webinar_registrations::series_id.eq(series_id))
        .filter(webinar_registrations::status.ne(RegistrationStatus::Cancelled))
        .order((webinar_registrations::status, users::name))
        .select((
            Registration::as_select(),
            users::name,
            users::email,
            (
                municipalities::id,
                municipalities::number,
                municipalities::name,
            )
                .nullable(),
        ))
        .load(conn)
        .await?)
}

pub async fn record_attendance(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
    user_id: Uuid,
    attended: bool,
    recorded_by: Uuid,
) -> Result<(), AppError> {
    diesel::insert_into(webinar_attendance::table)
        .values((
            webinar_attendance::session_id.eq(session_id),
            webinar_attendance::user_id.eq(user_id),
            webinar_attendance::attended.eq(attended),
            webinar_attendance::recorded_by.eq(recorded_by),
        ))
        .on_conflict((webinar_attendance::session_id, webinar_attendance::user_id))
        .do_update()
        .set((
            webinar_attendance::attended.eq(attended),
            webinar_attendance::recorded_by.eq(recorded_by),
            webinar_attendance::recorded_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// (session id, attended) for a user's sessions among `sessions`.
pub async fn attendance_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    sessions: &[Uuid],
) -> Result<Vec<(Uuid, bool)>, AppError> {
    Ok(webinar_attendance::table
        .filter(webinar_attendance::user_id.eq(user_id))
        .filter(webinar_attendance::session_id.eq_any(sessions))
        .select((webinar_attendance::session_id, webinar_attendance::attended))
        .load(conn)
        .await?)
}

/// Drops reminders not yet sent whose key matches (`%` wildcards): for a cancelled
/// registration, or a session that moved or was cancelled.
pub async fn drop_pending_reminders(
    conn: &mut AsyncPgConnection,
    pattern: &str,
) -> Result<usize, AppError> {
    use crate::db::schema::mail_outbox;
    Ok(diesel::delete(
        mail_outbox::table
            .filter(mail_outbox::sent_at.is_null())
            .filter(mail_outbox::dedupe_key.like(pattern)),
    )
    .execute(conn)
    .await?)
}
