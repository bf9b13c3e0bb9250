//! Queries for USHTs, municipalities, invitations, nudges and the progress view. Every query that
//! a coordinator can reach takes a [`Scope`] and filters by it in SQL, so a row out of scope is
//! never loaded.

use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::scope::Scope;
use super::{InvitationStatus, Stage};
use crate::auth::Role;
use crate::db::schema::{
    invitations, mentor_progress, municipalities, nudges, signups, users, ushts,
};
use crate::error::AppError;
use crate::learning::PathStatus;
use crate::reflection::NoteStatus;
use crate::webinars::WebinarProgress;

// ---- USHTs ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ushts)]
pub struct Usht {
    pub id: Uuid,
    pub name: String,
    pub county: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_usht(
    conn: &mut AsyncPgConnection,
    name: &str,
    county: &str,
) -> Result<Usht, AppError> {
    diesel::insert_into(ushts::table)
        .values((ushts::name.eq(name), ushts::county.eq(county)))
        .returning(Usht::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| {
            if crate::db::is_unique_violation(&e) {
                AppError::Conflict("A USHT with this name already exists.".into())
            } else {
                e.into()
            }
        })
}

/// USHTs in scope with how many municipalities each has enrolled, by name.
pub async fn list_ushts(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
) -> Result<Vec<(Usht, i64)>, AppError> {
    let mut query = ushts::table
        .left_join(crate::db::schema::municipalities::table)
        .group_by(ushts::id)
        .select((
            Usht::as_select(),
            diesel::dsl::count(municipalities::id.nullable()),
        ))
        .order(sql::<Text>("lower(ushts.name)"))
        .into_boxed();
    match scope {
        Scope::All => {}
        Scope::Usht(id) => query = query.filter(ushts::id.eq(*id)),
    }
    Ok(query.load(conn).await?)
}

pub async fn find_usht(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Usht>, AppError> {
    let mut query = ushts::table
        .filter(ushts::id.eq(id))
        .select(Usht::as_select())
        .into_boxed();
    if let Scope::Usht(own) = scope {
        query = query.filter(ushts::id.eq(*own));
    }
    Ok(query.first(conn).await.optional()?)
}

// ---- municipalities -------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = municipalities)]
pub struct Municipality {
    pub id: Uuid,
    pub number: String,
    pub name: String,
    pub usht_id: Uuid,
    pub enrolled_at: DateTime<Utc>,
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

/// Mentors per stage for each of these municipalities.
pub async fn stage_counts(
    conn: &mut AsyncPgConnection,
    municipality_ids: &[Uuid],
) -> Result<Vec<(Uuid, Stage, i64)>, AppError> {
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

/// Open, unexpired invitations per municipality.
pub async fn pending_invitation_counts(
    conn: &mut AsyncPgConnection,
    municipality_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<(Option<Uuid>, i64)>, AppError> {
    Ok(invitations::table
        .filter(invitations::municipality_id.eq_any(municipality_ids))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::superseded_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .group_by(invitations::municipality_id)
        .select((invitations::municipality_id, count_star()))
        .load(conn)
        .await?)
}

// ---- invitations ----------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub municipality_id: Option<Uuid>,
    pub usht_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub send_count: i32,
    pub accepted_at: Option<DateTime<Utc>>,
    pub superseded_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation {
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub municipality_id: Option<Uuid>,
    pub usht_id: Option<Uuid>,
    pub token_hash: Vec<u8>,
    pub invited_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

/// Inserts invitations; an address that already has an open invitation (a concurrent request
/// got there first) is left out. Returns the ones inserted.
pub async fn insert_invitations(
    conn: &mut AsyncPgConnection,
    rows: &[NewInvitation],
) -> Result<Vec<Invitation>, AppError> {
    // Eight parameters a row; PostgreSQL takes at most 65,535 a statement.
    let mut inserted = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(5_000) {
        inserted.extend(
            diesel::insert_into(invitations::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .returning(Invitation::as_returning())
                .get_results(conn)
                .await?,
        );
    }
    Ok(inserted)
}

/// Lower-cased addresses among `emails` that belong to a user.
/// The accounts among these (lower-cased) addresses, each with the USHT it belongs to (a
/// coordinator's own, or that of a mentor's municipality; none for administrators).
pub async fn existing_user_emails(
    conn: &mut AsyncPgConnection,
    emails: &[String],
) -> Result<Vec<(String, Option<Uuid>)>, AppError> {
    Ok(users::table
        .left_join(municipalities::table)
        .filter(sql::<Text>("lower(users.email)").eq_any(emails))
        .select((
            sql::<Text>("lower(users.email)"),
            sql::<diesel::sql_types::Nullable<diesel::sql_types::Uuid>>(
                "COALESCE(users.usht_id, municipalities.usht_id)",
            ),
        ))
        .load(conn)
        .await?)
}

/// Open invitations for these (lower-cased) addresses, with whether each has expired.
pub async fn open_invitations_for(
    conn: &mut AsyncPgConnection,
    emails: &[String],
) -> Result<Vec<Invitation>, AppError> {
    Ok(invitations::table
        .filter(sql::<Text>("lower(invitations.email)").eq_any(emails))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::superseded_at.is_null())
        .select(Invitation::as_select())
        .load(conn)
        .await?)
}

/// The ids of the caller's USHT's open invitations (coordinator invitations too, for an
/// administrator) to these (lower-cased) addresses, each with its address.
pub async fn open_invitations_in(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    emails: &[String],
) -> Result<Vec<(Uuid, String)>, AppError> {
    Ok(invitations_in(scope)
        .filter(sql::<Text>("lower(invitations.email)").eq_any(emails.to_vec()))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::superseded_at.is_null())
        .select((invitations::id, sql::<Text>("lower(invitations.email)")))
        .load(conn)
        .await?)
}

/// Closes expired invitations so new ones to the same addresses can be made.
pub async fn supersede(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(invitations::table.filter(invitations::id.eq_any(ids)))
        .set(invitations::superseded_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Mentor invitations into municipalities in scope; coordinator invitations only for admins.
fn invitations_in(scope: &Scope) -> invitations::BoxedQuery<'static, diesel::pg::Pg> {
    let query = invitations::table.into_boxed();
    match scope {
        Scope::All => query,
        Scope::Usht(id) => query.filter(
            invitations::municipality_id.eq_any(
                municipalities::table
                    .filter(municipalities::usht_id.eq(*id))
                    .select(municipalities::id.nullable()),
            ),
        ),
    }
}

/// One invitation in scope, locked for the rest of the transaction.
pub async fn lock_invitation(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Invitation>, AppError> {
    let query = invitations::table
        .filter(invitations::id.eq(id))
        .select(Invitation::as_select())
        .for_update();
    Ok(match scope {
        Scope::All => query.first(conn).await.optional()?,
        Scope::Usht(usht) => query
            .filter(
                invitations::municipality_id.eq_any(
                    municipalities::table
                        .filter(municipalities::usht_id.eq(*usht))
                        .select(municipalities::id.nullable()),
                ),
            )
            .first(conn)
            .await
            .optional()?,
    })
}

/// The invitation a token belongs to (open or not), locked.
pub async fn find_invitation_by_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> Result<Option<Invitation>, AppError> {
    Ok(invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .select(Invitation::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn lock_invitation_by_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> Result<Option<Invitation>, AppError> {
    Ok(invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .select(Invitation::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

pub async fn renew_invitation(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<Invitation, AppError> {
    Ok(diesel::update(invitations::table.find(id))
        .set((
            invitations::token_hash.eq(token_hash),
            invitations::expires_at.eq(expires_at),
            invitations::sent_at.eq(diesel::dsl::now),
            invitations::send_count.eq(invitations::send_count + 1),
        ))
        .returning(Invitation::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn mark_accepted(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
) -> Result<(), AppError> {
    diesel::update(invitations::table.find(id))
        .set((
            invitations::accepted_at.eq(diesel::dsl::now),
            invitations::accepted_user_id.eq(user_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether an invitation to this (lower-cased) address is open and unexpired.
pub async fn has_live_invitation(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> Result<bool, AppError> {
    Ok(diesel::select(diesel::dsl::exists(
        invitations::table
            .filter(sql::<Text>("lower(invitations.email)").eq(email))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::superseded_at.is_null())
            .filter(invitations::expires_at.gt(diesel::dsl::now)),
    ))
    .get_result(conn)
    .await?)
}

/// Pending sign-ups per municipality in scope, shown apart from mentors.
pub async fn pending_signup_counts(
    conn: &mut AsyncPgConnection,
    municipality_ids: &[Uuid],
) -> Result<Vec<(Uuid, i64)>, AppError> {
    Ok(signups::table
        .filter(signups::municipality_id.eq_any(municipality_ids))
        .filter(signups::confirmed_at.is_null())
        .filter(signups::expires_at.gt(diesel::dsl::now))
        .group_by(signups::municipality_id)
        .select((signups::municipality_id, count_star()))
        .load(conn)
        .await?)
}

/// Filters of the invitation list.
pub struct InvitationFilter {
    pub municipality_id: Option<Uuid>,
    pub usht_id: Option<Uuid>,
    pub status: Option<InvitationStatus>,
}

/// A page of invitations in scope, newest first, after `(created_at, id)` in `after`.
pub async fn list_invitations(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &InvitationFilter,
    now: DateTime<Utc>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Invitation>, AppError> {
    let mut query = invitations_in(scope).filter(invitations::superseded_at.is_null());
    if let Some(id) = filter.municipality_id {
        query = query.filter(invitations::municipality_id.eq(id));
    }
    if let Some(id) = filter.usht_id {
        query = query.filter(invitations::usht_id.eq(id));
    }
    match filter.status {
        Some(InvitationStatus::Accepted) => {
            query = query.filter(invitations::accepted_at.is_not_null())
        }
        Some(InvitationStatus::Pending) => {
            query = query
                .filter(invitations::accepted_at.is_null())
                .filter(invitations::expires_at.gt(now))
        }
        Some(InvitationStatus::Expired) => {
            query = query
                .filter(invitations::accepted_at.is_null())
                .filter(invitations::expires_at.le(now))
        }
        None => {}
    }
    if let Some((created_at, id)) = after {
        query = query.filter(
            invitations::created_at
                .lt(created_at)
                .or(invitations::created_at
                    .eq(created_at)
                    .and(invitations::id.lt(id))),
        );
    }
    Ok(query
        .order((invitations::created_at.desc(), invitations::id.desc()))
        .limit(limit)
        .select(Invitation::as_select())
        .load(conn)
        .await?)
}

// ---- progress -------------------------------------------------------------------------------

/// One mentor's progress: statuses only, never what they wrote.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mentor_progress)]
pub struct ProgressRow {
    pub user_id: Uuid,
    pub municipality_id: Uuid,
    pub municipality_number: String,
    pub municipality_name: String,
    pub name: String,
    pub sort_name: String,
    pub email: String,
    pub workplace: Option<String>,
    pub self_enrolled: bool,
    pub last_active_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub modules_done: i32,
    pub modules_total: i32,
    pub path_status: PathStatus,
    pub note_status: NoteStatus,
    pub webinar_status: WebinarProgress,
    pub programme_completed: bool,
    pub stage: Stage,
}

/// What to list: a municipality or a whole USHT, always within the caller's scope.
#[derive(Debug, Clone, Default)]
pub struct ProgressFilter {
    pub municipality_id: Option<Uuid>,
    pub usht_id: Option<Uuid>,
    pub path_status: Option<PathStatus>,
    pub note_status: Option<NoteStatus>,
    pub webinar_status: Option<WebinarProgress>,
    pub stage: Option<Stage>,
    /// Mentors not active since this moment (never active counts from when they joined).
    pub inactive_since: Option<DateTime<Utc>>,
}

fn progress_query(
    scope: &Scope,
    filter: &ProgressFilter,
) -> mentor_progress::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = mentor_progress::table.into_boxed();
    if let Scope::Usht(id) = scope {
        query = query.filter(mentor_progress::usht_id.eq(*id));
    }
    if let Some(id) = filter.municipality_id {
        query = query.filter(mentor_progress::municipality_id.eq(id));
    }
    if let Some(id) = filter.usht_id {
        query = query.filter(mentor_progress::usht_id.eq(id));
    }
    if let Some(status) = filter.path_status {
        query = query.filter(mentor_progress::path_status.eq(status));
    }
    if let Some(status) = filter.note_status {
        query = query.filter(mentor_progress::note_status.eq(status));
    }
    if let Some(status) = filter.webinar_status {
        query = query.filter(mentor_progress::webinar_status.eq(status));
    }
    if let Some(stage) = filter.stage {
        query = query.filter(mentor_progress::stage.eq(stage));
    }
    if let Some(since) = filter.inactive_since {
        query = query.filter(
            sql::<Bool>("coalesce(mentor_progress.last_active_at, mentor_progress.created_at) < ")
                .bind::<diesel::sql_types::Timestamptz, _>(since),
        );
    }
    query
}

/// A page of mentors in scope by name, after `(sort_name, user_id)` in `after`.
pub async fn progress_page(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &ProgressFilter,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<ProgressRow>, AppError> {
    let mut query = progress_query(scope, filter);
    if let Some((name, id)) = after {
        query = query.filter(
            mentor_progress::sort_name
                .gt(name.clone())
                .or(mentor_progress::sort_name
                    .eq(name)
                    .and(mentor_progress::user_id.gt(id))),
        );
    }
    Ok(query
        .order((mentor_progress::sort_name, mentor_progress::user_id))
        .limit(limit)
        .select(ProgressRow::as_select())
        .load(conn)
        .await?)
}

/// Every mentor in scope for the report, by municipality number and name, in one query.
pub async fn progress_report(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &ProgressFilter,
) -> Result<Vec<ProgressRow>, AppError> {
    Ok(progress_query(scope, filter)
        .order((
            mentor_progress::municipality_number,
            mentor_progress::sort_name,
            mentor_progress::user_id,
        ))
        .select(ProgressRow::as_select())
        .load(conn)
        .await?)
}

// ---- nudges ---------------------------------------------------------------------------------

/// A mentor to nudge: who, and where the mail goes.
#[derive(Debug, Clone, Queryable)]
pub struct NudgeTarget {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
}

/// Mentors of the municipality inactive since `inactive_since`, not yet done with the programme,
/// split into those to nudge and how many were nudged within the last week.
pub async fn nudge_candidates(
    conn: &mut AsyncPgConnection,
    municipality_id: Uuid,
    inactive_since: DateTime<Utc>,
    last_week: DateTime<Utc>,
) -> Result<(Vec<NudgeTarget>, i64), AppError> {
    let filter = ProgressFilter {
        municipality_id: Some(municipality_id),
        inactive_since: Some(inactive_since),
        ..ProgressFilter::default()
    };
    let inactive: Vec<(Uuid, String, String, bool)> = progress_query(&Scope::All, &filter)
        .filter(mentor_progress::programme_completed.eq(false))
        .select((
            mentor_progress::user_id,
            mentor_progress::name,
            mentor_progress::email,
            diesel::dsl::exists(
                nudges::table
                    .filter(nudges::user_id.eq(mentor_progress::user_id))
                    .filter(nudges::sent_at.gt(last_week)),
            ),
        ))
        .order(mentor_progress::sort_name)
        .load(conn)
        .await?;
    let mut targets = Vec::new();
    let mut recently = 0;
    for (user_id, name, email, nudged) in inactive {
        if nudged {
            recently += 1;
        } else {
            targets.push(NudgeTarget {
                user_id,
                name,
                email,
            });
        }
    }
    Ok((targets, recently))
}

pub async fn record_nudges(
    conn: &mut AsyncPgConnection,
    sent_by: Uuid,
    users: &[Uuid],
) -> Result<(), AppError> {
    let rows: Vec<_> = users
        .iter()
        .map(|user| (nudges::user_id.eq(*user), nudges::sent_by.eq(sent_by)))
        .collect();
    for chunk in rows.chunks(10_000) {
        diesel::insert_into(nudges::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(())
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

// ---- users ----------------------------------------------------------------------------------

/// The caller's current role and USHT, read fresh (a role change takes effect at once).
pub async fn staff_membership(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Option<(Role, Option<Uuid>)>, AppError> {
    Ok(users::table
        .find(user_id)
        .select((users::role, users::usht_id))
        .first(conn)
        .await
        .optional()?)
}

/// Sets a user's role and place; the place of another role is cleared.
pub async fn set_role(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    role: Role,
    municipality_id: Option<Uuid>,
    usht_id: Option<Uuid>,
) -> Result<bool, AppError> {
    let changed = diesel::update(users::table.find(user_id))
        .set((
            users::role.eq(role),
            users::municipality_id.eq(municipality_id),
            users::usht_id.eq(usht_id),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(changed == 1)
}
