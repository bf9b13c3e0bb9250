//! Reading a page: refused while it is locked for the mentor, else its body serialised once per
//! revision and status, with an entity tag; admins may preview a page of any revision.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{locked, revision_and_progress, revision_and_progress_to_read, PageRef};
use crate::content::{Block, Revision, RevisionModule, RevisionPage};
use crate::error::{AppError, AppResult};
use crate::language::Language;
use crate::learning::rules::{evaluate, PageStatus, Progress};
use crate::AppState;

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
    /// The written form of the page's text (also in `Content-Language`).
    pub language: Language,
    pub status: PageStatus,
    pub estimated_minutes: i32,
}

/// A page as the caller may read it (the JSON of a `PageView`), with an entity tag for
/// conditional requests.
pub struct ReadPage {
    pub body: actix_web::web::Bytes,
    pub etag: String,
    /// The written form of the text.
    pub language: Language,
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
        language: revision.language,
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
        language: revision.language,
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
            .get(&mut conn, revision_id, user.language)
            .await?
            .ok_or(AppError::NotFound)?;
        let (module, _, page) = revision.page(module, slug).ok_or(AppError::NotFound)?;
        return read_page_as(&revision, module, page, PageStatus::Available);
    }
    let (mut revision, progress, cached) = revision_and_progress_to_read(state, user).await?;
    let status = match page_status(&revision, &progress, module, slug) {
        Ok(status) => status,
        // A refusal is decided on the database's word: the cache may not yet have heard of a
        // completion made through another instance.
        Err(_) if cached => {
            let mut conn = state.pool.get().await?;
            let (fresh, progress) = revision_and_progress(state, &mut conn, user).await?;
            revision = fresh;
            page_status(&revision, &progress, module, slug)?
        }
        Err(refused) => return Err(refused),
    };
    let (module, _, page) = revision.page(module, slug).ok_or(AppError::NotFound)?;
    read_page_as(&revision, module, page, status)
}
