//! Queries for municipalities and the counts shown with them.

use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::MunicipalityCount;
use crate::db::schema::{invitations, mentor_progress, municipalities, signups};
use crate::error::AppError;
use crate::orgs::scope::Scope;
use crate::orgs::Stage;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = municipalities)]
pub struct Municipality {
    pub id: Uuid,
    pub number: String,
    pub name: String,
    pub usht_id: Uuid,
    pub enrolled_at: DateTime<Utc>,
}

/// How many mentors of a municipality are at one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct StageCount {
    pub municipality_id: Uuid,
    pub stage: Stage,
    pub mentors: i64,
}

pub async fn insert_municipality(
    conn: &mut AsyncPgConnection,
    number: &str,
    name: &str,
    usht_id: Uuid,
    enrolled_by: Uuid,
) -> Result<Option<Municipality>, AppError> {
    Ok(diesel::insert_into(municipalities::table)
        .values((
            municipalities::number.eq(number),
            municipalities::name.eq(name),
            municipalities::usht_id.eq(usht_id),
            municipalities::enrolled_by.eq(enrolled_by),
        ))
        .on_conflict(municipalities::number)
        .do_nothing()
        .returning(Municipality::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

fn municipalities_in(scope: &Scope) -> municipalities::BoxedQuery<'static, diesel::pg::Pg> {
    let query = municipalities::table.into_boxed();
    match scope {
        Scope::All => query,
        Scope::Usht(id) => query.filter(municipalities::usht_id.eq(*id)),
    }
}

pub async fn find_municipality(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Municipality>, AppError> {
    Ok(municipalities_in(scope)
        .filter(municipalities::id.eq(id))
        .select(Municipality::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The municipality with this number, if one is enrolled (for self-enrollment; no scope).
pub async fn find_municipality_by_number(
    conn: &mut AsyncPgConnection,
    number: &str,
) -> Result<Option<Municipality>, AppError> {
    Ok(municipalities::table
        .filter(municipalities::number.eq(number))
        .select(Municipality::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A page of municipalities in scope, by number, after the number in `after`.
pub async fn list_municipalities(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    usht_id: Option<Uuid>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Municipality>, AppError> {
    let mut query = municipalities_in(scope);
    if let Some(usht_id) = usht_id {
        query = query.filter(municipalities::usht_id.eq(usht_id));
    }
    if let Some(after) = after {
        query = query.filter(municipalities::number.gt(after.to_owned()));
    }
    Ok(query
        .order(municipalities::number)
        .limit(limit)
        .select(Municipality::as_select())
        .load(conn)
        .await?)
}

/// Locks a municipality's row so that two nudge requests for it take turns.
pub async fn lock_municipality(conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), AppError> {
    municipalities::table
        .find(id)
        .select(municipalities::id)
        .for_update()
        .first::<Uuid>(conn)
        .await?;
    Ok(())
}

/// Mentors per stage for each of these municipalities.
pub async fn stage_counts(
    conn: &mut AsyncPgConnection,
    municipality_ids: &[Uuid],
) -> Result<Vec<StageCount>, AppError> {
    Ok(mentor_progress::table
        .filter(mentor_progress::municipality_id.eq_any(municipality_ids))
        .group_by((mentor_progress::municipality_id, mentor_progress::stage))
        .select((
            mentor_progress::municipality_id,
            mentor_progress::stage,
            count_star(),
        ))
        .load(conn)
        .await?)
}

/// Open invitations unexpired at `now`, per municipality.
pub async fn pending_invitation_counts(
    conn: &mut AsyncPgConnection,
    municipality_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<MunicipalityCount>, AppError> {
    let rows: Vec<(Option<Uuid>, i64)> = invitations::table
        .filter(invitations::municipality_id.eq_any(municipality_ids))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::superseded_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .group_by(invitations::municipality_id)
        .select((invitations::municipality_id, count_star()))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, count)| {
            id.map(|municipality_id| MunicipalityCount {
                municipality_id,
                count,
            })
        })
        .collect())
}

/// Sign-ups neither confirmed nor expired at `now`, per municipality (shown apart from mentors).
pub async fn pending_signup_counts(
    conn: &mut AsyncPgConnection,
    municipality_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<MunicipalityCount>, AppError> {
    let rows: Vec<(Uuid, i64)> = signups::table
        .filter(signups::municipality_id.eq_any(municipality_ids))
        .filter(signups::confirmed_at.is_null())
        .filter(signups::expires_at.gt(now))
        .group_by(signups::municipality_id)
        .select((signups::municipality_id, count_star()))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(municipality_id, count)| MunicipalityCount {
            municipality_id,
            count,
        })
        .collect())
}
