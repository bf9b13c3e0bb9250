//! Series and their sessions: created, read (with their sessions in one more query), changed
//! and cancelled; and the people who lead them.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{Contact, PlannedSession, Series, SeriesRow, Session};
use crate::auth::Role;
use crate::db::schema::{users, webinar_series, webinar_sessions};
use crate::error::AppError;

#[derive(Insertable)]
#[diesel(table_name = webinar_series)]
pub struct NewSeriesRow<'a> {
    pub title: &'a str,
    pub facilitator_id: Uuid,
    pub capacity: i32,
    pub registration_deadline: DateTime<Utc>,
    pub created_by: Uuid,
}

/// The series' own fields as a change leaves them.
#[derive(AsChangeset)]
#[diesel(table_name = webinar_series)]
pub struct SeriesFields<'a> {
    pub title: &'a str,
    pub capacity: i32,
    pub facilitator_id: Uuid,
    pub registration_deadline: DateTime<Utc>,
}

pub async fn insert_series(
    conn: &mut AsyncPgConnection,
    series: &NewSeriesRow<'_>,
    sessions: &[PlannedSession],
) -> Result<Uuid, AppError> {
    let id: Uuid = diesel::insert_into(webinar_series::table)
        .values(series)
        .returning(webinar_series::id)
        .get_result(conn)
        .await?;
    let rows: Vec<_> = sessions
        .iter()
        .enumerate()
        .map(|(index, session)| {
            (
                webinar_sessions::series_id.eq(id),
                webinar_sessions::number.eq(index as i32 + 1),
                webinar_sessions::starts_at.eq(session.starts_at),
                webinar_sessions::duration_minutes.eq(session.duration_minutes),
                webinar_sessions::join_url.eq(&session.join_url),
            )
        })
        .collect();
    diesel::insert_into(webinar_sessions::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(id)
}

/// The series of `rows` with their sessions, in one query for all.
pub(super) async fn attach_sessions(
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

/// The newest 200 series, of one facilitator or (with `None`) of all.
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

pub async fn update_series(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    fields: &SeriesFields<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(webinar_series::table.find(id))
        .set((fields, webinar_series::updated_at.eq(now)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a session (time, length or link) and raises its iCalendar SEQUENCE.
pub async fn reschedule_session(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
    planned: &PlannedSession,
) -> Result<(), AppError> {
    diesel::update(webinar_sessions::table.find(session_id))
        .set((
            webinar_sessions::starts_at.eq(planned.starts_at),
            webinar_sessions::duration_minutes.eq(planned.duration_minutes),
            webinar_sessions::join_url.eq(&planned.join_url),
            webinar_sessions::sequence.eq(webinar_sessions::sequence + 1),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn cancel_session(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(webinar_sessions::table.find(session_id))
        .set((
            webinar_sessions::cancelled_at.eq(now),
            webinar_sessions::sequence.eq(webinar_sessions::sequence + 1),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks the series cancelled with no seats taken (its registrations are cancelled apart).
pub async fn cancel_series(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(webinar_series::table.find(id))
        .set((
            webinar_series::cancelled_at.eq(now),
            webinar_series::updated_at.eq(now),
            webinar_series::confirmed_count.eq(0),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn is_facilitator(conn: &mut AsyncPgConnection, id: Uuid) -> Result<bool, AppError> {
    let role: Option<String> = users::table
        .find(id)
        .select(users::role)
        .first(conn)
        .await
        .optional()?;
    Ok(role.as_deref() == Some(Role::Facilitator.as_str()))
}

/// The names of these people, by id.
pub async fn names_of(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, AppError> {
    let rows: Vec<(Uuid, String)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn contact(conn: &mut AsyncPgConnection, user_id: Uuid) -> Result<Contact, AppError> {
    Ok(users::table
        .find(user_id)
        .select((users::id, users::name, users::email, users::language))
        .first(conn)
        .await?)
}
