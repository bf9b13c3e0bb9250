//! The coordinators' follow-up of mentors: progress pages, the CSV report and nudges. Every
//! mentor shown is recorded in their access log; nothing a mentor wrote is ever read here.

use chrono::{DateTime, Duration, Utc};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::AsyncConnection;
use uuid::Uuid;

use super::municipalities::municipality_in;
use super::{page_of, scope_of, PageAsked};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::http::pagination::Page;
use crate::learning::PathStatus;
use crate::mail::{self, templates, NewMail};
use crate::orgs::scope::{self, Scope};
use crate::orgs::store::follow_up::{self as store, ProgressFilter, ProgressRow};
use crate::orgs::store::municipalities::lock_municipality;
use crate::orgs::store::ushts::find_usht;
use crate::orgs::Stage;
use crate::privacy::{record_access, Access};
use crate::reflection::NoteStatus;
use crate::webinars::WebinarProgress;
use crate::AppState;

/// A mentor gets at most one nudge within this period.
pub const NUDGE_INTERVAL: Duration = Duration::days(7);

/// Which mentors a progress page shows (all of them when nothing is asked).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProgressAsked {
    pub path_status: Option<PathStatus>,
    pub note_status: Option<NoteStatus>,
    pub webinar_status: Option<WebinarProgress>,
    pub stage: Option<Stage>,
    /// Only mentors not active for at least this many days (1 to 3650).
    pub inactive_days: Option<i32>,
}

impl ProgressAsked {
    fn filter(&self, now: DateTime<Utc>) -> AppResult<ProgressFilter> {
        Ok(ProgressFilter {
            path_status: self.path_status,
            note_status: self.note_status,
            webinar_status: self.webinar_status,
            stage: self.stage,
            inactive_since: self
                .inactive_days
                .map(|days| inactive_since(days, now))
                .transpose()?,
            ..ProgressFilter::default()
        })
    }
}

/// The moment a mentor inactive for `days` was last active, at the latest.
fn inactive_since(days: i32, now: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    if !(1..=3650).contains(&days) {
        return Err(AppError::field("inactive_days", "must be from 1 to 3650"));
    }
    Ok(now - Duration::days(i64::from(days)))
}

/// Whose mentors a progress page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MentorsOf {
    Municipality(Uuid),
    /// Every municipality of the USHT.
    Usht(Uuid),
}

/// A page of the mentors of a municipality or USHT in the caller's scope (404 otherwise), by
/// name.
pub async fn progress(
    state: &AppState,
    caller: &AuthUser,
    of: MentorsOf,
    asked: ProgressAsked,
    page: PageAsked<'_>,
) -> AppResult<Page<ProgressRow>> {
    let mut filter = asked.filter(state.clock.now())?;
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    match of {
        MentorsOf::Municipality(id) => {
            municipality_in(&mut conn, &scope, id).await?;
            filter.municipality_id = Some(id);
        }
        MentorsOf::Usht(id) => {
            if !scope.covers(id) {
                return Err(AppError::NotFound);
            }
            find_usht(&mut conn, &scope, id)
                .await?
                .ok_or(AppError::NotFound)?;
            filter.usht_id = Some(id);
        }
    }
    drop(conn);
    progress_page(state, caller, &scope, &filter, page).await
}

/// A page of mentors' progress in scope; every mentor shown is recorded in their access log.
async fn progress_page(
    state: &AppState,
    caller: &AuthUser,
    scope: &Scope,
    filter: &ProgressFilter,
    page: PageAsked<'_>,
) -> AppResult<Page<ProgressRow>> {
    let (limit, after): (_, Option<(String, Uuid)>) = page.read()?;
    let mut conn = state.pool.get().await?;
    let rows = store::progress_page(&mut conn, scope, filter, after, limit).await?;
    let seen: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    record_access(&mut conn, caller, Access::ViewProgress, &seen, None).await?;
    Ok(page_of(rows, limit, |r| (r.sort_name.clone(), r.user_id)))
}

/// The report's rows and when it was made (its file is named by the day).
#[derive(Debug, Clone)]
pub struct ProgressReport {
    pub rows: Vec<ProgressRow>,
    pub made_at: DateTime<Utc>,
}

/// Every mentor in the caller's scope (of one municipality or USHT, if asked) for the CSV
/// report, in one query; each is recorded in their access log.
pub async fn progress_report(
    state: &AppState,
    caller: &AuthUser,
    municipality_id: Option<Uuid>,
    usht_id: Option<Uuid>,
) -> AppResult<ProgressReport> {
    let scope = scope_of(state, caller).await?;
    let mut conn = state.pool.get().await?;
    if let Some(id) = municipality_id {
        municipality_in(&mut conn, &scope, id).await?;
    }
    if usht_id.is_some_and(|id| !scope.covers(id)) {
        return Err(AppError::NotFound);
    }
    let filter = ProgressFilter {
        municipality_id,
        usht_id,
        ..ProgressFilter::default()
    };
    let rows = store::progress_report(&mut conn, &scope, &filter).await?;
    let seen: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    record_access(&mut conn, caller, Access::ExportProgress, &seen, None).await?;
    Ok(ProgressReport {
        rows,
        made_at: state.clock.now(),
    })
}

/// The outcome of a nudge request.
#[derive(Debug, Clone, Copy)]
pub struct NudgeOutcome {
    pub nudged: usize,
    pub skipped_recently_nudged: i64,
}

/// Mails every mentor of the municipality who has been inactive for `inactive_days`, except
/// those nudged within the last week. Requests for the same municipality take turns, so a
/// repeated request nudges nobody twice.
/// What a nudge would do now, without sending anything: how many mentors it would mail and how
/// many it would leave out because they were nudged within the last week.
pub async fn nudge_preview(
    state: &AppState,
    caller: &AuthUser,
    municipality_id: Uuid,
    inactive_days: i32,
) -> AppResult<NudgeOutcome> {
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    municipality_in(&mut conn, &scope, municipality_id).await?;
    let now = state.clock.now();
    let candidates = store::nudge_candidates(
        &mut conn,
        municipality_id,
        inactive_since(inactive_days, now)?,
        now - NUDGE_INTERVAL,
    )
    .await?;
    Ok(NudgeOutcome {
        nudged: candidates.targets.len(),
        skipped_recently_nudged: candidates.recently_nudged,
    })
}

pub async fn nudge(
    state: &AppState,
    caller: &AuthUser,
    municipality_id: Uuid,
    inactive_days: i32,
) -> AppResult<NudgeOutcome> {
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    municipality_in(&mut conn, &scope, municipality_id).await?;
    let link = state.config.screen_url("/path");
    let outcome = conn
        .transaction::<NudgeOutcome, AppError, _>(|conn| {
            async move {
                lock_municipality(conn, municipality_id).await?;
                // Read under the lock: a request that waited counts the nudges just sent.
                let now = state.clock.now();
                let candidates = store::nudge_candidates(
                    conn,
                    municipality_id,
                    inactive_since(inactive_days, now)?,
                    now - NUDGE_INTERVAL,
                )
                .await?;
                let targets = candidates.targets;
                let ids: Vec<Uuid> = targets.iter().map(|t| t.user_id).collect();
                store::record_nudges(conn, caller.id, &ids, now).await?;
                let mails = targets
                    .iter()
                    .map(|t| {
                        let letter = templates::nudge(&t.name, inactive_days, &link, t.language);
                        NewMail::now(&t.email, Some(t.user_id), letter)
                    })
                    .collect();
                mail::outbox::enqueue_many(conn, mails).await?;
                Ok(NudgeOutcome {
                    nudged: targets.len(),
                    skipped_recently_nudged: candidates.recently_nudged,
                })
            }
            .scope_boxed()
        })
        .await?;
    tracing::info!(%municipality_id, by = %caller.id, nudged = outcome.nudged, "mentors nudged");
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inactivity_is_counted_in_whole_days_back_from_now() {
        let now = Utc::now();
        assert_eq!(inactive_since(14, now).unwrap(), now - Duration::days(14));
        assert!(inactive_since(0, now).is_err());
        assert!(inactive_since(3651, now).is_err());
    }
}
