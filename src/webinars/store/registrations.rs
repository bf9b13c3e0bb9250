//! Registrations: seats, the waitlist, a person's registrations, a series' participants and
//! the stored answers of idempotent registrations.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::series::attach_sessions;
use super::{Registration, Series, SeriesRow};
use crate::db::schema::{municipalities, users, webinar_registrations, webinar_series};
use crate::error::AppError;
use crate::language::Language;
use crate::webinars::RegistrationStatus;

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

/// A confirmed registration without `waitlist_seq`, a waitlisted one with it.
pub async fn insert_registration(
    conn: &mut AsyncPgConnection,
    series_id: Uuid,
    user_id: Uuid,
    waitlist_seq: Option<i32>,
    now: DateTime<Utc>,
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
            webinar_registrations::confirmed_at.eq(confirmed.then_some(now)),
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

/// A registration with the series it is for.
#[derive(Debug, Clone)]
pub struct SeriesRegistration {
    pub registration: Registration,
    pub series: Series,
}

/// A user's registrations (cancelled ones too), newest first, with their series.
pub async fn registrations_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Vec<SeriesRegistration>, AppError> {
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
        .filter_map(|registration| {
            let series = series
                .iter()
                .find(|s| s.row.id == registration.series_id)?
                .clone();
            Some(SeriesRegistration {
                registration,
                series,
            })
        })
        .collect())
}

#[derive(QueryableByName)]
struct WaitlistPlace {
    #[diesel(sql_type = SqlUuid)]
    registration_id: Uuid,
    #[diesel(sql_type = BigInt)]
    position: i64,
}

/// The 1-based places on their waitlists of those of `registrations` that wait, by
/// registration id, in one query.
pub async fn waitlist_positions(
    conn: &mut AsyncPgConnection,
    registrations: &[Uuid],
) -> Result<HashMap<Uuid, i64>, AppError> {
    if registrations.is_empty() {
        return Ok(HashMap::new());
    }
    let places: Vec<WaitlistPlace> = diesel::sql_query(
        "SELECT r.id AS registration_id, count(w.id) AS position \
         FROM webinar_registrations r \
         JOIN webinar_registrations w ON w.series_id = r.series_id \
          AND w.status = 'waitlisted' AND w.waitlist_seq <= r.waitlist_seq \
         WHERE r.id = ANY($1) AND r.status = 'waitlisted' \
         GROUP BY r.id",
    )
    .bind::<Array<SqlUuid>, _>(registrations)
    .load(conn)
    .await?;
    Ok(places
        .into_iter()
        .map(|p| (p.registration_id, p.position))
        .collect())
}

/// How many wait for each of these series (series nobody waits for are left out).
pub async fn waitlist_lengths(
    conn: &mut AsyncPgConnection,
    series: &[Uuid],
) -> Result<HashMap<Uuid, i64>, AppError> {
    let rows: Vec<(Uuid, i64)> = webinar_registrations::table
        .filter(webinar_registrations::series_id.eq_any(series))
        .filter(webinar_registrations::status.eq(RegistrationStatus::Waitlisted))
        .group_by(webinar_registrations::series_id)
        .select((webinar_registrations::series_id, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn cancel_registration(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(webinar_registrations::table.find(id))
        .set((
            webinar_registrations::status.eq(RegistrationStatus::Cancelled),
            webinar_registrations::waitlist_seq.eq(None::<i32>),
            webinar_registrations::cancelled_at.eq(now),
            webinar_registrations::updated_at.eq(now),
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

/// A waitlisted registration gets its seat.
pub async fn confirm(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(webinar_registrations::table.find(id))
        .set((
            webinar_registrations::status.eq(RegistrationStatus::Confirmed),
            webinar_registrations::waitlist_seq.eq(None::<i32>),
            webinar_registrations::confirmed_at.eq(now),
            webinar_registrations::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct MunicipalityRow {
    pub id: Uuid,
    pub number: String,
    pub name: String,
}

/// A live registration of a series with who registered.
#[derive(Debug, Clone, Queryable)]
pub struct ParticipantRow {
    pub registration: Registration,
    pub name: String,
    pub email: String,
    /// The participant's written form, for the mails they get.
    pub language: Language,
    pub municipality: Option<MunicipalityRow>,
}

/// The live registrations of a series, confirmed before waitlisted, by name.
pub async fn participants(
    conn: &mut AsyncPgConnection,
    series_id: Uuid,
) -> Result<Vec<ParticipantRow>, AppError> {
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
            users::language,
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
