//! Learning-path decisions on top of the rules: what a mentor sees, and what they may do.

use std::sync::Arc;

use actix_web::http::StatusCode;
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::rules::{evaluate, Evaluation, ModuleStatus, PageStatus, Progress};
use super::store;
use crate::auth::AuthUser;
use crate::content::Outcomes;
use crate::content::{Revision, RevisionModule, RevisionPage};
use crate::error::{AppError, AppResult};
use crate::language::Language;
use crate::AppState;

mod answers;
mod pages;

pub use answers::{answers, save_answer, AnswerView};
pub use pages::{read_page, ModuleRef, PageView, ReadPage};

/// The published revision (from the cache once loaded).
/// The published revision in a written form (from the cache once loaded).
pub async fn current_revision(state: &AppState, language: Language) -> AppResult<Arc<Revision>> {
    let mut conn = state.pool.get().await?;
    let id = crate::content::current_revision_id(&mut conn)
        .await?
        .ok_or_else(no_course)?;
    state
        .revisions
        .get(&mut conn, id, language)
        .await?
        .ok_or_else(no_course)
}

fn no_course() -> AppError {
    AppError::rule(
        StatusCode::NOT_FOUND,
        "not_found",
        "No course has been published yet.",
    )
}

async fn revision_and_progress(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
) -> AppResult<(Arc<Revision>, Progress)> {
    let snapshot = store::snapshot(conn, user.id).await?;
    let id = snapshot.revision_id.ok_or_else(no_course)?;
    let revision = state
        .revisions
        .get(conn, id, user.language)
        .await?
        .ok_or_else(no_course)?;
    Ok((revision, snapshot.progress))
}

/// The same for a read that decides nothing lasting: from the caches while they are trusted
/// (`db::cache`), else from the database, then cached. The flag says it came from the caches,
/// which may not yet have heard of a change made through another instance.
async fn revision_and_progress_to_read(
    state: &AppState,
    user: &AuthUser,
) -> AppResult<(Arc<Revision>, Arc<Progress>, bool)> {
    let user_id = user.id;
    if let (Some(id), Some(progress)) = (state.published.get(&()), state.progress.get(&user_id)) {
        if let Some(revision) = state.revisions.loaded(id, user.language) {
            return Ok((revision, progress, true));
        }
    }
    let (published, progress_ticket) = (state.published.ticket(), state.progress.ticket());
    let mut conn = state.pool.get().await?;
    let (revision, progress) = revision_and_progress(state, &mut conn, user).await?;
    let progress = Arc::new(progress);
    if let Some(ticket) = published {
        state.published.insert(ticket, (), revision.id);
    }
    if let Some(ticket) = progress_ticket {
        state.progress.insert(ticket, user_id, progress.clone());
    }
    Ok((revision, progress, false))
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct PageRef {
    pub module: i32,
    pub slug: String,
    pub title: String,
}

impl PageRef {
    fn new(module: &RevisionModule, page: &RevisionPage) -> Self {
        PageRef {
            module: module.number,
            slug: page.slug.clone(),
            title: page.title.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PathPage {
    pub slug: String,
    pub title: String,
    pub status: PageStatus,
    pub estimated_minutes: i32,
}

#[derive(Serialize, ToSchema)]
pub struct PathModule {
    pub number: i32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub status: ModuleStatus,
    pub skippable: bool,
    pub estimated_minutes: i32,
    /// What the module teaches: knowledge, skills and general competence.
    pub outcomes: Outcomes,
    pub pages: Vec<PathPage>,
}

#[derive(Serialize, ToSchema)]
pub struct LiteratureSummary {
    pub title: String,
    pub references: usize,
    /// Always `available`: the literature never locks.
    pub status: PageStatus,
}

#[derive(Serialize, ToSchema)]
pub struct PathView {
    /// The whole path is done (completed or skipped modules); navigation is free.
    pub completed: bool,
    pub revision: Uuid,
    /// The written form of the path's text (also in `Content-Language`).
    pub language: Language,
    pub modules: Vec<PathModule>,
    pub literature: LiteratureSummary,
    /// Where to continue: the next page to do, or null when nothing is left.
    pub resume: Option<PageRef>,
    /// Estimated minutes of self-study left (skipped modules not counted).
    pub minutes_left: i32,
    /// The pages that count towards the path: every page of the modules not skipped (a
    /// skipped module counts again once all its pages are completed).
    pub pages_counted: usize,
    /// Of the counted pages, those completed.
    pub pages_completed: usize,
}

fn resume_of(revision: &Revision, evaluation: &Evaluation) -> Option<PageRef> {
    let (number, index) = evaluation.resume?;
    let module = revision.module(number)?;
    module
        .pages
        .get(index)
        .map(|page| PageRef::new(module, page))
}

pub fn path_view(revision: &Revision, progress: &Progress) -> PathView {
    let evaluation = evaluate(&revision.shape(), progress);
    let modules = revision
        .modules
        .iter()
        .zip(&evaluation.modules)
        .map(|(module, state)| PathModule {
            number: module.number,
            slug: module.slug.clone(),
            title: module.title.clone(),
            summary: module.summary.clone(),
            status: state.status,
            skippable: module.skippable,
            estimated_minutes: module.estimated_minutes,
            outcomes: module.outcomes.clone(),
            pages: module
                .pages
                .iter()
                .zip(&state.pages)
                .map(|(page, status)| PathPage {
                    slug: page.slug.clone(),
                    title: page.title.clone(),
                    status: *status,
                    estimated_minutes: page.estimated_minutes,
                })
                .collect(),
        })
        .collect();
    PathView {
        completed: evaluation.completed,
        revision: revision.id,
        language: revision.language,
        modules,
        literature: LiteratureSummary {
            title: revision.literature.title.clone(),
            references: revision.literature.references.len(),
            status: PageStatus::Available,
        },
        resume: resume_of(revision, &evaluation),
        minutes_left: evaluation.minutes_left,
        pages_counted: evaluation.pages_counted,
        pages_completed: evaluation.pages_completed,
    }
}

pub async fn path(state: &AppState, user: &AuthUser) -> AppResult<PathView> {
    let (revision, progress, _) = revision_and_progress_to_read(state, user).await?;
    Ok(path_view(&revision, &progress))
}

/// An administrator's preview of any revision's path (a draft's, before it is published):
/// nobody's progress, every module and page open, as the page preview reads them.
pub async fn preview_path(
    state: &AppState,
    user: &AuthUser,
    revision_id: Uuid,
) -> AppResult<PathView> {
    if user.role != crate::auth::Role::Admin {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.pool.get().await?;
    let revision = state
        .revisions
        .get(&mut conn, revision_id, user.language)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut view = path_view(&revision, &Progress::default());
    for module in &mut view.modules {
        module.status = ModuleStatus::Available;
        for page in &mut module.pages {
            page.status = PageStatus::Available;
        }
    }
    Ok(view)
}

fn locked(revision: &Revision, evaluation: &Evaluation) -> AppError {
    let next = resume_of(revision, evaluation);
    AppError::rule(
        StatusCode::FORBIDDEN,
        "page_locked",
        "This page opens when the pages before it are completed.",
    )
    .with("next_page", json!(next))
}

#[derive(Serialize, ToSchema)]
pub struct CompletionView {
    pub slug: String,
    pub status: PageStatus,
    pub module: ModuleProgress,
    /// The whole path is done.
    pub path_completed: bool,
    /// The page to do next, if any.
    pub next: Option<PageRef>,
}

#[derive(Serialize, ToSchema)]
pub struct ModuleProgress {
    pub number: i32,
    pub status: ModuleStatus,
}

fn completion_view(
    revision: &Revision,
    progress: &Progress,
    module: i32,
    slug: &str,
) -> CompletionView {
    let after = evaluate(&revision.shape(), progress);
    CompletionView {
        slug: slug.to_owned(),
        status: PageStatus::Completed,
        module: ModuleProgress {
            number: module,
            status: after.module(module).unwrap_or(ModuleStatus::Completed),
        },
        path_completed: after.completed,
        next: resume_of(revision, &after),
    }
}

/// Marks a page completed (idempotent).
///
/// Completions and skips are only ever added, so a page open in any snapshot of a mentor's
/// progress is open now, and the completed pages stay a prefix of the path whatever runs
/// alongside. So while the caches are trusted the decision is made on the cached snapshot: a
/// repeat answers without touching the database (the activity stamp aside, once a minute), and
/// a new completion is one statement outside a transaction. A page the snapshot shows locked is
/// decided on the database, under the user's lock.
pub async fn complete(
    state: &AppState,
    user: &AuthUser,
    module: i32,
    slug: &str,
) -> AppResult<CompletionView> {
    let user_id = user.id;
    if state.progress.is_live() {
        let (revision, progress, _) = revision_and_progress_to_read(state, user).await?;
        let (_, index, page) = revision.page(module, slug).ok_or(AppError::NotFound)?;
        let before = evaluate(&revision.shape(), &progress);
        let status = before.page(module, index);
        if matches!(status, Some(PageStatus::Completed | PageStatus::Available)) {
            let stamp = state.activity.due(user_id, std::time::Instant::now());
            let mut after = (*progress).clone();
            after.completed_pages.insert(page.slug.clone());
            let completes_path =
                !after.path_completed && evaluate(&revision.shape(), &after).completed;
            if status == Some(PageStatus::Available) || completes_path || stamp {
                let mut conn = state.pool.get().await?;
                let written = store::complete_page_at_once(
                    &mut conn,
                    user_id,
                    &page.slug,
                    module,
                    completes_path,
                    stamp,
                    state.clock.now(),
                )
                .await;
                if written.is_err() {
                    state.activity.forget(user_id);
                }
                written?;
                if status == Some(PageStatus::Available) || completes_path {
                    state.progress.forget(&user_id);
                }
            }
            after.path_completed |= completes_path;
            return Ok(completion_view(&revision, &after, module, &page.slug));
        }
    }
    let mut conn = state.pool.get().await?;
    let view = conn
        .transaction::<CompletionView, AppError, _>(|conn| {
            async move {
                store::lock_user(conn, user_id).await?;
                let (revision, mut progress) = revision_and_progress(state, conn, user).await?;
                let (_, index, page) = revision.page(module, slug).ok_or(AppError::NotFound)?;
                let before = evaluate(&revision.shape(), &progress);
                if before.page(module, index) == Some(PageStatus::Locked) {
                    return Err(locked(&revision, &before));
                }
                store::complete_page(conn, user_id, &page.slug, module).await?;
                progress.completed_pages.insert(page.slug.clone());
                finish(conn, state, user_id, &revision, &mut progress).await?;
                let after = evaluate(&revision.shape(), &progress);
                Ok(CompletionView {
                    slug: page.slug.clone(),
                    status: PageStatus::Completed,
                    module: ModuleProgress {
                        number: module,
                        status: after.module(module).unwrap_or(ModuleStatus::Completed),
                    },
                    path_completed: after.completed,
                    next: resume_of(&revision, &after),
                })
            }
            .scope_boxed()
        })
        .await;
    // After the commit, so no read can cache the progress from before it again.
    state.progress.forget(&user_id);
    view
}

/// After a write: records the path as done the first time it is, and that the user was active.
async fn finish(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    user_id: Uuid,
    revision: &Revision,
    progress: &mut Progress,
) -> AppResult<()> {
    if !progress.path_completed && evaluate(&revision.shape(), progress).completed {
        store::record_path_completed(conn, user_id).await?;
        progress.path_completed = true;
    }
    crate::auth::touch_last_active(conn, user_id, state.clock.now()).await
}

/// Skips a skippable module (module 1); counts as done.
pub async fn skip(state: &AppState, user: &AuthUser, module: i32) -> AppResult<PathView> {
    let user_id = user.id;
    let mut conn = state.pool.get().await?;
    let view = conn
        .transaction::<PathView, AppError, _>(|conn| {
            async move {
                store::lock_user(conn, user_id).await?;
                let (revision, mut progress) = revision_and_progress(state, conn, user).await?;
                let target = revision.module(module).ok_or(AppError::NotFound)?;
                if !target.skippable {
                    return Err(AppError::Conflict(format!(
                        "Module {module} cannot be skipped."
                    )));
                }
                store::skip_module(conn, user_id, module).await?;
                progress.skipped_modules.insert(module);
                finish(conn, state, user_id, &revision, &mut progress).await?;
                Ok(path_view(&revision, &progress))
            }
            .scope_boxed()
        })
        .await;
    state.progress.forget(&user_id);
    view
}
