//! Reflection answers: saved (autosaved) to a question of an open page, and listed with the page
//! and question they answer in the published course.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{current_revision, locked, revision_and_progress};
use crate::auth::AuthUser;
use crate::content::{Block, Revision};
use crate::error::{AppError, AppResult};
use crate::http::precondition::{self, Precondition};
use crate::learning::rules::{evaluate, PageStatus};
use crate::learning::store;
use crate::AppState;

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
    /// The version of `text` (also the PUT's `ETag`), for `If-Match` on the next save.
    pub etag: String,
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
        etag: answer.etag(),
        module: found.map(|(m, _, _)| m.number),
        page_title: found.map(|(_, _, p)| p.title.clone()),
        question,
        page_slug: answer.page_slug,
        question_id: answer.question_id,
        text: answer.body,
        updated_at: answer.updated_at,
    }
}

/// Saves (autosaves) an answer to a reflection question of an open page, if `condition` holds
/// for the answer stored now (412 with that answer when it does not).
pub async fn save_answer(
    state: &AppState,
    user: &AuthUser,
    module: i32,
    slug: &str,
    question_id: &str,
    text: &str,
    condition: &Precondition,
) -> AppResult<AnswerView> {
    let user_id = user.id;
    let mut conn = state.pool.get().await?;
    let (revision, progress) = revision_and_progress(state, &mut conn, user).await?;
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
    condition.valid()?;
    let saved = store::save_answer(
        &mut conn,
        &state.config.encryption,
        user_id,
        &page.slug,
        question_id,
        text,
        &|etag| condition.allows(etag),
    )
    .await?;
    let answer = match saved {
        store::SavedAnswer::Saved(answer) => answer,
        store::SavedAnswer::Refused(current) => {
            return Err(precondition::refused(
                current.map(|answer| answer_view(&revision, answer)),
            ))
        }
    };
    crate::auth::touch_last_active(&mut conn, user_id, state.clock.now()).await?;
    Ok(answer_view(&revision, answer))
}

pub async fn answers(state: &AppState, user: &AuthUser) -> AppResult<Vec<AnswerView>> {
    let user_id = user.id;
    let revision = current_revision(state, user.language).await?;
    let mut conn = state.pool.get().await?;
    let answers = store::answers(&mut conn, &state.config.encryption, user_id).await?;
    Ok(answers
        .into_iter()
        .map(|a| answer_view(&revision, a))
        .collect())
}
