//! What mentors do: register for a series with exact seats and a self-promoting waitlist, and
//! cancel; a freed seat goes to the first on the waitlist.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::notify::Notifier;
use super::store::{self, Series};
use super::RegistrationStatus;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// The longest a registration waits for its turn before answering 503.
pub const REGISTRATION_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

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

fn closed() -> AppError {
    rule(
        StatusCode::CONFLICT,
        "registration_closed",
        "Registration for this series is closed.",
    )
}

/// Open for registration: not cancelled, not over and before the deadline.
fn is_open(series: &Series, now: DateTime<Utc>) -> bool {
    series.row.cancelled_at.is_none()
        && series.is_upcoming(now)
        && now <= series.row.registration_deadline
}

fn check_open(series: &Series, now: DateTime<Utc>) -> AppResult<()> {
    if !is_open(series, now) {
        return Err(closed());
    }
    Ok(())
}

crate::text_enum! {
    /// Why the caller cannot register for a series now: the code `register` would answer with.
    pub enum RegistrationRefusal {
        Forbidden = "forbidden",
        ReflectionNoteRequired = "reflection_note_required",
        RegistrationClosed = "registration_closed",
        AlreadyRegistered = "already_registered",
    }
}

/// Where the caller stands, as far as registering goes.
pub(super) struct Registrant {
    pub is_mentor: bool,
    pub note_submitted: bool,
    /// Has a live registration in an upcoming series (this one or another).
    pub in_upcoming_series: bool,
}

/// What registering for `series` would answer now, checked in the order `register` checks,
/// so a client can say so before anyone taps (`None`: it would go through).
pub(super) fn refusal(
    registrant: &Registrant,
    series: &Series,
    now: DateTime<Utc>,
) -> Option<RegistrationRefusal> {
    if !registrant.is_mentor {
        Some(RegistrationRefusal::Forbidden)
    } else if !registrant.note_submitted {
        Some(RegistrationRefusal::ReflectionNoteRequired)
    } else if !is_open(series, now) {
        Some(RegistrationRefusal::RegistrationClosed)
    } else if registrant.in_upcoming_series {
        Some(RegistrationRefusal::AlreadyRegistered)
    } else {
        None
    }
}

/// A mentor takes part in at most one upcoming series at a time.
async fn check_not_registered(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    series_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let registrations = store::registrations_of(conn, user_id).await?;
    match registrations
        .iter()
        .find(|r| r.registration.is_live() && r.series.is_upcoming(now))
    {
        Some(other) => Err(rule(
            StatusCode::CONFLICT,
            "already_registered",
            if other.series.row.id == series_id {
                "You are already registered for this series."
            } else {
                "You are already registered for an upcoming series."
            },
        )),
        None => Ok(()),
    }
}

/// Takes a seat or a place on the waitlist, and tells the mentor which.
async fn take_place(
    conn: &mut AsyncPgConnection,
    notifier: &Notifier<'_>,
    series: &Series,
    user_id: Uuid,
) -> AppResult<RegistrationView> {
    let series_id = series.row.id;
    let to = store::contact(conn, user_id).await?;
    if store::claim_seat(conn, series_id).await? {
        store::insert_registration(conn, series_id, user_id, None, notifier.now).await?;
        notifier.confirmed(conn, series, &to, false).await?;
        return Ok(RegistrationView {
            series_id,
            status: RegistrationStatus::Confirmed,
            position: None,
        });
    }
    let seq = store::next_waitlist_seq(conn, series_id).await?;
    let registration =
        store::insert_registration(conn, series_id, user_id, Some(seq), notifier.now).await?;
    let position = store::waitlist_positions(conn, &[registration.id])
        .await?
        .get(&registration.id)
        .copied()
        .unwrap_or(1);
    notifier.waitlisted(conn, series, &to, position).await?;
    Ok(RegistrationView {
        series_id,
        status: RegistrationStatus::Waitlisted,
        position: Some(position),
    })
}

/// Registers the caller. Seats are claimed by a conditional UPDATE of the series' counter under
/// the series' row lock, so N seats give exactly N confirmations however many press at once.
pub async fn register(
    state: &AppState,
    user_id: Uuid,
    series_id: Uuid,
) -> AppResult<RegistrationView> {
    let _turn = tokio::time::timeout(REGISTRATION_QUEUE_WAIT, state.registrations.acquire())
        .await
        .map_err(|_| AppError::Unavailable("registration queue wait timed out".into()))?
        .map_err(|_| AppError::Unavailable("registration queue closed".into()))?;
    let mut conn = state.pool.get().await?;
    if !crate::reflection::has_submitted(&mut conn, user_id).await? {
        return Err(rule(
            StatusCode::FORBIDDEN,
            "reflection_note_required",
            "Submit your reflection note before registering for a webinar series.",
        ));
    }
    let notifier = Notifier::new(state);
    let now = notifier.now;
    conn.transaction::<RegistrationView, AppError, _>(|conn| {
        async move {
            // One registration at a time per mentor (at most one upcoming series).
            crate::learning::lock_learner(conn, user_id).await?;
            let series = store::lock_series(conn, series_id)
                .await?
                .ok_or(AppError::NotFound)?;
            check_open(&series, now)?;
            check_not_registered(conn, user_id, series_id, now).await?;
            take_place(conn, &notifier, &series, user_id).await
        }
        .scope_boxed()
    })
    .await
}

/// Moves waitlisted mentors into free seats, first come first served, and tells them.
pub(super) async fn promote_waitlist(
    conn: &mut AsyncPgConnection,
    notifier: &Notifier<'_>,
    series_id: Uuid,
) -> AppResult<()> {
    loop {
        let Some(next) = store::first_waitlisted(conn, series_id).await? else {
            return Ok(());
        };
        if !store::claim_seat(conn, series_id).await? {
            return Ok(());
        }
        store::confirm(conn, next.id, notifier.now).await?;
        let series = store::find_series(conn, series_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let to = store::contact(conn, next.user_id).await?;
        notifier.confirmed(conn, &series, &to, true).await?;
        tracing::info!(series = %series_id, user = %next.user_id, "promoted from the waitlist");
    }
}

/// Cancels the caller's registration; a freed seat goes to the first on the waitlist.
pub async fn cancel_registration(
    state: &AppState,
    user_id: Uuid,
    series_id: Uuid,
) -> AppResult<()> {
    let notifier = Notifier::new(state);
    let now = notifier.now;
    let mut conn = state.pool.get().await?;
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            let series = store::lock_series(conn, series_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let registration = store::live_registration(conn, series_id, user_id)
                .await?
                .ok_or(AppError::NotFound)?;
            store::cancel_registration(conn, registration.id, now).await?;
            store::drop_pending_reminders_of_registration(conn, registration.id).await?;
            if registration.is_confirmed() {
                store::release_seat(conn, series_id).await?;
                let to = store::contact(conn, user_id).await?;
                notifier.cancelled_by_mentor(conn, &series, &to).await?;
                if series.is_upcoming(now) {
                    promote_waitlist(conn, &notifier, series_id).await?;
                }
            }
            Ok(())
        }
        .scope_boxed()
    })
    .await
}

/// Gives up a person's places in upcoming series (for erasure): each is cancelled as the
/// person would, so the waitlist moves.
pub async fn cancel_upcoming_registrations(state: &AppState, user_id: Uuid) -> AppResult<()> {
    let now = state.clock.now();
    let upcoming: Vec<Uuid> = {
        let mut conn = state.pool.get().await?;
        store::registrations_of(&mut conn, user_id)
            .await?
            .into_iter()
            .filter(|r| r.registration.is_live() && r.series.is_upcoming(now))
            .map(|r| r.registration.series_id)
            .collect()
    };
    for series_id in upcoming {
        cancel_registration(state, user_id, series_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webinars::store::{SeriesRow, Session};
    use chrono::Duration;

    fn series(now: DateTime<Utc>, deadline: DateTime<Utc>) -> Series {
        let id = Uuid::from_u128(1);
        Series {
            row: SeriesRow {
                id,
                title: "Høst".into(),
                facilitator_id: Uuid::from_u128(2),
                capacity: 10,
                confirmed_count: 0,
                registration_deadline: deadline,
                cancelled_at: None,
            },
            sessions: vec![Session {
                id: Uuid::from_u128(3),
                series_id: id,
                number: 1,
                starts_at: now + Duration::days(3),
                duration_minutes: 120,
                join_url: "https://meet.example.no/a".into(),
                sequence: 0,
                cancelled_at: None,
            }],
        }
    }

    #[test]
    fn registration_closes_at_the_deadline_and_with_cancellation() {
        let now = Utc::now();
        assert!(check_open(&series(now, now + Duration::minutes(1)), now).is_ok());
        assert!(check_open(&series(now, now - Duration::minutes(1)), now).is_err());
        let mut cancelled = series(now, now + Duration::days(1));
        cancelled.row.cancelled_at = Some(now);
        assert!(check_open(&cancelled, now).is_err());
    }

    #[test]
    fn the_refusal_is_the_first_rule_registering_would_break() {
        let now = Utc::now();
        let open = series(now, now + Duration::days(1));
        let closed = series(now, now - Duration::minutes(1));
        let ready = Registrant {
            is_mentor: true,
            note_submitted: true,
            in_upcoming_series: false,
        };
        assert_eq!(refusal(&ready, &open, now), None);
        let without_note = Registrant {
            note_submitted: false,
            ..ready
        };
        assert_eq!(
            refusal(&without_note, &closed, now),
            Some(RegistrationRefusal::ReflectionNoteRequired)
        );
        let staff = Registrant {
            is_mentor: false,
            ..ready
        };
        assert_eq!(
            refusal(&staff, &open, now),
            Some(RegistrationRefusal::Forbidden)
        );
        let taken = Registrant {
            in_upcoming_series: true,
            ..ready
        };
        assert_eq!(
            refusal(&taken, &closed, now),
            Some(RegistrationRefusal::RegistrationClosed)
        );
        assert_eq!(
            refusal(&taken, &open, now),
            Some(RegistrationRefusal::AlreadyRegistered)
        );
    }
}
