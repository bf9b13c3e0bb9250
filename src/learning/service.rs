//! Learning-path decisions on top of the rules: what a mentor sees, and what they may do.

use std::sync::Arc;

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::rules::{evaluate, Evaluation, ModuleStatus, PageStatus, Progress};
use super::store;
use crate::content::{Block, Outcomes};
use crate::content::{Revision, RevisionModule, RevisionPage};
use crate::error::{AppError, AppResult};
use crate::AppState;

/// The published revision (from the cache once loaded).
pub async fn current_revision(state: &AppState) -> AppResult<Arc<Revision>> {
    let mut conn = state.pool.get().await?;
    let id = crate::content::current_revision_id(&mut conn)
        .await?
        .ok_or_else(no_course)?;
    state
        .revisions
        .get(&mut conn, id)
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
    user_id: Uuid,
) -> AppResult<(Arc<Revision>, Progress)> {
    let snapshot = store::snapshot(conn, user_id).await?;
    let id = snapshot.revision_id.ok_or_else(no_course)?;
    let revision = state.revisions.get(conn, id).await?.ok_or_else(no_course)?;
    Ok((revision, snapshot.progress))
}

/// The same for a read that decides nothing lasting: from the caches while they are trusted
/// (`db::cache`), else from the database, then cached. The flag says it came from the caches,
/// which may not yet have heard of a change made through another instance.
async fn revision_and_progress_to_read(
    state: &AppState,
    user_id: Uuid,
) -> AppResult<(Arc<Revision>, Arc<Progress>, bool)> {
    if let (Some(id), Some(progress)) = (state.published.get(&()), state.progress.get(&user_id)) {
        if let Some(revision) = state.revisions.loaded(id) {
            return Ok((revision, progress, true));
        }
    }
    let (published, progress_ticket) = (state.published.ticket(), state.progress.ticket());
    let mut conn = state.pool.get().await?;
    let (revision, progress) = revision_and_progress(state, &mut conn, user_id).await?;
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
    pub modules: Vec<PathModule>,
    pub literature: LiteratureSummary,
    /// Where to continue: the next page to do, or null when nothing is left.
    pub resume: Option<PageRef>,
    /// Estimated minutes of self-study left (skipped modules not counted).
    pub minutes_left: i32,
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
        modules,
        literature: LiteratureSummary {
            title: revision.literature.title.clone(),
            references: revision.literature.references.len(),
            status: PageStatus::Available,
        },
        resume: resume_of(revision, &evaluation),
        minutes_left: evaluation.minutes_left,
    }
}

pub async fn path(state: &AppState, user_id: Uuid) -> AppResult<PathView> {
    let (revision, progress, _) = revision_and_progress_to_read(state, user_id).await?;
    Ok(path_view(&revision, &progress))
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
pub struct ModuleRef {
    pub number: i32,
    pub slug: String,
    pub title: String,
}

#[derive(Serialize, ToSchema)]
pub struct PageView {
    pub slug: String,
    pub title: String,
    pub module: ModuleRef,
    /// Sanitised HTML; each block stands in it as `<div class="block" data-block-type data-block-id>`.
    pub html: String,
    pub blocks: Vec<Block>,
    pub prev: Option<PageRef>,
    pub next: Option<PageRef>,
    pub revision: Uuid,
    pub status: PageStatus,
    pub estimated_minutes: i32,
}

/// A page as the caller may read it (the JSON of a `PageView`), with an entity tag for
/// conditional requests.
pub struct ReadPage {
    pub body: actix_web::web::Bytes,
    pub etag: String,
}

fn page_view(
    revision: &Revision,
    module: &RevisionModule,
    page: &RevisionPage,
    status: PageStatus,
) -> PageView {
    let order: Vec<_> = revision.pages_in_order().collect();
    let position = order
        .iter()
        .position(|(m, _, p)| m.number == module.number && p.slug == page.slug)
        .unwrap_or(0);
    let neighbour = |index: Option<usize>| {
        index
            .and_then(|i| order.get(i))
            .map(|(m, _, p)| PageRef::new(m, p))
    };
    PageView {
        slug: page.slug.clone(),
        title: page.title.clone(),
        module: ModuleRef {
            number: module.number,
            slug: module.slug.clone(),
            title: module.title.clone(),
        },
        html: page.html.clone(),
        blocks: page.blocks.clone(),
        prev: neighbour(position.checked_sub(1)),
        next: neighbour(Some(position + 1)),
        revision: revision.id,
        status,
        estimated_minutes: page.estimated_minutes,
    }
}

/// The page's body for a reader who may see it with `status`, serialised once per revision.
fn read_page_as(
    revision: &Revision,
    module: &RevisionModule,
    page: &RevisionPage,
    status: PageStatus,
) -> AppResult<ReadPage> {
    let (slot, status_tag) = match status {
        PageStatus::Completed => (1, "c"),
        PageStatus::Available => (0, "a"),
        PageStatus::Locked => return Err(AppError::internal("a locked page is never read")),
    };
    let body = match page.rendered[slot].get() {
        Some(body) => body.clone(),
        None => {
            let json = serde_json::to_vec(&page_view(revision, module, page, status))
                .map_err(|e| AppError::internal(e.to_string()))?;
            page.rendered[slot].get_or_init(|| json.into()).clone()
        }
    };
    Ok(ReadPage {
        body,
        etag: format!("\"{}-{}\"", page.fingerprint, status_tag),
    })
}

/// A page's status for a mentor with `progress`, or why they may not read it.
fn page_status(
    revision: &Revision,
    progress: &Progress,
    module: i32,
    slug: &str,
) -> AppResult<PageStatus> {
    let (_, index, _) = revision.page(module, slug).ok_or(AppError::NotFound)?;
    let evaluation = evaluate(&revision.shape(), progress);
    match evaluation.page(module, index).unwrap_or(PageStatus::Locked) {
        PageStatus::Locked => Err(locked(revision, &evaluation)),
        open => Ok(open),
    }
}

/// Reads a page of the published course, refusing it while locked. Admins may read a page of
/// any revision (a draft preview) with `preview`.
pub async fn read_page(
    state: &AppState,
    user: &crate::auth::AuthUser,
    module: i32,
    slug: &str,
    preview: Option<Uuid>,
) -> AppResult<ReadPage> {
    if let Some(revision_id) = preview {
        if user.role != crate::auth::Role::Admin {
            return Err(AppError::Forbidden);
        }
        let mut conn = state.pool.get().await?;
        let revision = state
            .revisions
            .get(&mut conn, revision_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let (module, _, page) = revision.page(module, slug).ok_or(AppError::NotFound)?;
        return read_page_as(&revision, module, page, PageStatus::Available);
    }
    let (mut revision, progress, cached) = revision_and_progress_to_read(state, user.id).await?;
    let status = match page_status(&revision, &progress, module, slug) {
        Ok(status) => status,
        // A refusal is decided on the database's word: the cache may not yet have heard of a
        // completion made through another instance.
        Err(_) if cached => {
            let mut conn = state.pool.get().await?;
            let (fresh, progress) = revision_and_progress(state, &mut conn, user.id).await?;
            revision = fresh;
            page_status(&revision, &progress, module, slug)?
        }
        Err(refused) => return Err(refused),
    };
    let (module, _, page) = revision.page(module, slug).ok_or(AppError::NotFound)?;
    read_page_as(&revision, module, page, status)
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
    user_id: Uuid,
    module: i32,
    slug: &str,
) -> AppResult<CompletionView> {
    if state.progress.is_live() {
        let (revision, progress, _) = revision_and_progress_to_read(state, user_id).await?;
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
                let (revision, mut progress) = revision_and_progress(state, conn, user_id).await?;
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
    _state: &AppState,
    user_id: Uuid,
    revision: &Revision,
    progress: &mut Progress,
) -> AppResult<()> {
    if !progress.path_completed && evaluate(&revision.shape(), progress).completed {
        store::record_path_completed(conn, user_id).await?;
        progress.path_completed = true;
    }
    crate::auth::touch_last_active(conn, user_id).await
}

/// Skips a skippable module (module 1); counts as done.
pub async fn skip(state: &AppState, user_id: Uuid, module: i32) -> AppResult<PathView> {
    let mut conn = state.pool.get().await?;
    let view = conn
        .transaction::<PathView, AppError, _>(|conn| {
            async move {
                store::lock_user(conn, user_id).await?;
                let (revision, mut progress) = revision_and_progress(state, conn, user_id).await?;
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

#[derive(Serialize, ToSchema)]
pub struct AnswerView {
    pub module: Option<i32>,
    pub page_slug: String,
    /// Null when a later revision removed the page.
    pub page_title: Option<String>,
    pub question_id: String,
    /// Null when a later revision removed the question.
    pub question: Option<String>,
    pub text: String,
    pub updated_at: DateTime<Utc>,
}

fn answer_view(revision: &Revision, answer: store::Answer) -> AnswerView {
    let found = revision
        .pages_in_order()
        .find(|(_, _, page)| page.slug == answer.page_slug);
    let question = found.and_then(|(_, _, page)| {
        page.blocks.iter().find_map(|block| match block {
            Block::Reflection { id, question } if *id == answer.question_id => {
                Some(question.clone())
            }
            _ => None,
        })
    });
    AnswerView {
        module: found.map(|(m, _, _)| m.number),
        page_title: found.map(|(_, _, p)| p.title.clone()),
        question,
        page_slug: answer.page_slug,
        question_id: answer.question_id,
        text: answer.body,
        updated_at: answer.updated_at,
    }
}

/// Saves (autosaves) an answer to a reflection question of an open page.
pub async fn save_answer(
    state: &AppState,
    user_id: Uuid,
    module: i32,
    slug: &str,
    question_id: &str,
    text: &str,
) -> AppResult<AnswerView> {
    let mut conn = state.pool.get().await?;
    let (revision, progress) = revision_and_progress(state, &mut conn, user_id).await?;
    let (_, index, page) = revision.page(module, slug).ok_or(AppError::NotFound)?;
    let asks = page
        .blocks
        .iter()
        .any(|block| matches!(block, Block::Reflection { id, .. } if id == question_id));
    if !asks {
        return Err(AppError::NotFound);
    }
    let evaluation = evaluate(&revision.shape(), &progress);
    if evaluation.page(module, index) == Some(PageStatus::Locked) {
        return Err(locked(&revision, &evaluation));
    }
    let answer = store::save_answer(
        &mut conn,
        &state.config.encryption,
        user_id,
        &page.slug,
        question_id,
        text,
    )
    .await?;
    crate::auth::touch_last_active(&mut conn, user_id).await?;
    Ok(answer_view(&revision, answer))
}

pub async fn answers(state: &AppState, user_id: Uuid) -> AppResult<Vec<AnswerView>> {
    let revision = current_revision(state).await?;
    let mut conn = state.pool.get().await?;
    let answers = store::answers(&mut conn, &state.config.encryption, user_id).await?;
    Ok(answers
        .into_iter()
        .map(|a| answer_view(&revision, a))
        .collect())
}
