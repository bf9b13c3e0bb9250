//! Municipalities: enrolled into a USHT, listed in the caller's scope with their mentors
//! counted by stage.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::{page_of, scope_of, PageAsked};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::http::pagination::Page;
use crate::orgs::scope::{self, Scope};
use crate::orgs::store::municipalities::{self as store, Municipality};
use crate::orgs::store::ushts::find_usht;
use crate::orgs::Stage;
use crate::AppState;

/// How many mentors of a municipality are at each stage, and how many invitations are open.
#[derive(Debug, Default, Clone)]
pub struct MentorCounts {
    pub by_stage: HashMap<Stage, i64>,
    pub pending_invitations: i64,
    pub pending_signups: i64,
}

/// A municipality with its mentors counted.
#[derive(Debug, Clone)]
pub struct MunicipalityWithCounts {
    pub municipality: Municipality,
    pub mentors: MentorCounts,
}

/// Enrolls a municipality of the register, under its official name, into a USHT. A coordinator
/// enrolls into their own USHT only: another USHT's id is answered as if it did not exist.
pub async fn enroll_municipality(
    state: &AppState,
    caller: &AuthUser,
    number: &str,
    usht_id: Option<Uuid>,
) -> AppResult<MunicipalityWithCounts> {
    // The number was checked against the register when the request was read.
    let name = crate::register::find(number)
        .ok_or_else(|| AppError::field("number", "is not a municipality in the register"))?
        .name;
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    let usht_id = match (usht_id, scope) {
        (Some(id), _) => id,
        (None, Scope::Usht(own)) => own,
        (None, Scope::All) => return Err(AppError::field("usht_id", "is required")),
    };
    if find_usht(&mut conn, &scope, usht_id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let enrolled = store::insert_municipality(&mut conn, number, name, usht_id, caller.id)
        .await?
        .ok_or_else(|| {
            AppError::rule(
                StatusCode::CONFLICT,
                "municipality_exists",
                "A municipality with this number is already enrolled.",
            )
        })?;
    tracing::info!(municipality = %enrolled.number, usht_id = %usht_id, by = %caller.id, "municipality enrolled");
    Ok(MunicipalityWithCounts {
        municipality: enrolled,
        mentors: MentorCounts::default(),
    })
}

/// The municipality, if it is in the scope; otherwise 404.
pub(super) async fn municipality_in(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    id: Uuid,
) -> AppResult<Municipality> {
    store::find_municipality(conn, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A page of the municipalities in the caller's scope (of one USHT, if asked), by number.
pub async fn list_municipalities(
    state: &AppState,
    caller: &AuthUser,
    usht_id: Option<Uuid>,
    page: PageAsked<'_>,
) -> AppResult<Page<MunicipalityWithCounts>> {
    let (limit, after): (_, Option<String>) = page.read()?;
    let scope = scope_of(state, caller).await?;
    let mut conn = state.pool.get().await?;
    let found =
        store::list_municipalities(&mut conn, &scope, usht_id, after.as_deref(), limit).await?;
    let listed = with_counts(&mut conn, found, state.clock.now()).await?;
    Ok(page_of(listed, limit, |m| m.municipality.number.clone()))
}

/// A municipality in the caller's scope with its mentors counted; otherwise 404.
pub async fn get_municipality(
    state: &AppState,
    caller: &AuthUser,
    id: Uuid,
) -> AppResult<MunicipalityWithCounts> {
    let scope = scope_of(state, caller).await?;
    let mut conn = state.pool.get().await?;
    let found = municipality_in(&mut conn, &scope, id).await?;
    with_counts(&mut conn, vec![found], state.clock.now())
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// The municipalities with their mentors by stage and what is pending at `now`, in three
/// queries for all of them.
async fn with_counts(
    conn: &mut AsyncPgConnection,
    found: Vec<Municipality>,
    now: DateTime<Utc>,
) -> AppResult<Vec<MunicipalityWithCounts>> {
    let ids: Vec<Uuid> = found.iter().map(|m| m.id).collect();
    let mut counts: HashMap<Uuid, MentorCounts> = HashMap::new();
    for row in store::stage_counts(conn, &ids).await? {
        counts
            .entry(row.municipality_id)
            .or_default()
            .by_stage
            .insert(row.stage, row.mentors);
    }
    for row in store::pending_invitation_counts(conn, &ids, now).await? {
        counts
            .entry(row.municipality_id)
            .or_default()
            .pending_invitations = row.count;
    }
    for row in store::pending_signup_counts(conn, &ids, now).await? {
        counts
            .entry(row.municipality_id)
            .or_default()
            .pending_signups = row.count;
    }
    Ok(found
        .into_iter()
        .map(|municipality| MunicipalityWithCounts {
            mentors: counts.remove(&municipality.id).unwrap_or_default(),
            municipality,
        })
        .collect())
}
