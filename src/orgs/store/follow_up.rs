//! Queries for the follow-up of mentors: the progress view (pages and the report) and nudges.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{mentor_progress, nudges, users};
use crate::error::AppError;
use crate::language::Language;
use crate::learning::PathStatus;
use crate::orgs::scope::Scope;
use crate::orgs::Stage;
use crate::reflection::NoteStatus;
use crate::webinars::WebinarProgress;

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

/// A mentor to nudge: who, where the mail goes and the form it is written in.
#[derive(Debug, Clone, Queryable)]
pub struct NudgeTarget {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub language: Language,
}

/// An inactive mentor, and whether a nudge reached them since the cut-off asked about.
#[derive(Debug, Clone, Queryable)]
struct InactiveMentor {
    user_id: Uuid,
    name: String,
    email: String,
    language: Language,
    nudged_since: bool,
}

/// The inactive mentors of a municipality: those to nudge now, and how many were left out.
#[derive(Debug, Clone, Default)]
pub struct NudgeCandidates {
    pub targets: Vec<NudgeTarget>,
    /// Nudged after the cut-off (within the last week).
    pub recently_nudged: i64,
}

/// Mentors of the municipality inactive since `inactive_since`, not yet done with the programme,
/// split into those to nudge and how many were nudged after `nudged_after`.
pub async fn nudge_candidates(
    conn: &mut AsyncPgConnection,
    municipality_id: Uuid,
    inactive_since: DateTime<Utc>,
    nudged_after: DateTime<Utc>,
) -> Result<NudgeCandidates, AppError> {
    let filter = ProgressFilter {
        municipality_id: Some(municipality_id),
        inactive_since: Some(inactive_since),
        ..ProgressFilter::default()
    };
    let inactive: Vec<InactiveMentor> = progress_query(&Scope::All, &filter)
        .filter(mentor_progress::programme_completed.eq(false))
        .select((
            mentor_progress::user_id,
            mentor_progress::name,
            mentor_progress::email,
            // The view has no language: the mentor's own, from their account.
            users::table
                .filter(users::id.eq(mentor_progress::user_id))
                .select(users::language)
                .single_value()
                .assume_not_null(),
            diesel::dsl::exists(
                nudges::table
                    .filter(nudges::user_id.eq(mentor_progress::user_id))
                    .filter(nudges::sent_at.gt(nudged_after)),
            ),
        ))
        .order(mentor_progress::sort_name)
        .load(conn)
        .await?;
    let mut candidates = NudgeCandidates::default();
    for found in inactive {
        if found.nudged_since {
            candidates.recently_nudged += 1;
        } else {
            candidates.targets.push(NudgeTarget {
                user_id: found.user_id,
                name: found.name,
                email: found.email,
                language: found.language,
            });
        }
    }
    Ok(candidates)
}

/// Records nudges sent at `now` (the time the once-a-week rule counts from).
pub async fn record_nudges(
    conn: &mut AsyncPgConnection,
    sent_by: Uuid,
    users: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let rows: Vec<_> = users
        .iter()
        .map(|user| {
            (
                nudges::user_id.eq(*user),
                nudges::sent_by.eq(sent_by),
                nudges::sent_at.eq(now),
            )
        })
        .collect();
    // Three parameters a row; PostgreSQL takes at most 65,535 a statement.
    for chunk in rows.chunks(10_000) {
        diesel::insert_into(nudges::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(())
}
