//! Revisions in PostgreSQL. A revision is written once, in one transaction; publishing moves the
//! single `content_current` pointer, so readers see the old course or the new one, never a mix.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Course;
use crate::db::schema::{
    content_current, content_module_translations, content_modules, content_page_translations,
    content_pages, content_revisions, content_subtitle_translations, content_subtitles,
    content_translations,
};
use crate::error::AppError;

mod revision;

pub use revision::{Revision, RevisionCache, RevisionModule, RevisionPage};

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionSummary {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub source: String,
    /// SHA-256 of the content tree.
    pub digest: String,
    pub title: String,
    pub modules: i64,
    pub pages: i64,
    pub total_minutes: i32,
    pub published_at: Option<DateTime<Utc>>,
    /// Whether this is the revision readers see now.
    pub current: bool,
}

pub fn digest(tree: &super::source::SourceTree) -> String {
    let mut hasher = Sha256::new();
    for (path, bytes) in &tree.files {
        hasher.update((path.len() as u64).to_be_bytes());
        hasher.update(path.as_bytes());
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    }
    // Films and posters by their own digest (a tree without them keeps the digest it had).
    for (path, file) in &tree.media {
        hasher.update((path.len() as u64).to_be_bytes());
        hasher.update(path.as_bytes());
        hasher.update(file.size.to_be_bytes());
        hasher.update(file.sha256.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stores a course as a new draft revision with its films, all or nothing.
pub async fn insert_revision(
    conn: &mut AsyncPgConnection,
    course: &Course,
    source: &str,
    digest: &str,
    created_by: Option<Uuid>,
) -> Result<Uuid, AppError> {
    let literature =
        serde_json::to_value(&course.literature).map_err(|e| AppError::internal(e.to_string()))?;
    let total_minutes: i32 = course.modules.iter().map(|m| m.estimated_minutes).sum();
    let outcomes = course
        .modules
        .iter()
        .map(|m| serde_json::to_value(&m.outcomes))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AppError::internal(e.to_string()))?;
    conn.transaction::<Uuid, AppError, _>(|conn| {
        async move {
            let id: Uuid = diesel::insert_into(content_revisions::table)
                .values((
                    content_revisions::created_by.eq(created_by),
                    content_revisions::source.eq(source),
                    content_revisions::digest.eq(digest),
                    content_revisions::title.eq(&course.title),
                    content_revisions::description.eq(&course.description),
                    content_revisions::literature.eq(&literature),
                    content_revisions::total_minutes.eq(total_minutes),
                ))
                .returning(content_revisions::id)
                .get_result(conn)
                .await?;
            let modules: Vec<_> = course
                .modules
                .iter()
                .zip(&outcomes)
                .map(|(m, outcomes)| {
                    (
                        content_modules::revision_id.eq(id),
                        content_modules::number.eq(m.number),
                        content_modules::slug.eq(&m.slug),
                        content_modules::title.eq(&m.title),
                        content_modules::summary.eq(&m.summary),
                        content_modules::skippable.eq(m.skippable),
                        content_modules::estimated_minutes.eq(m.estimated_minutes),
                        content_modules::outcomes.eq(outcomes),
                    )
                })
                .collect();
            diesel::insert_into(content_modules::table)
                .values(&modules)
                .execute(conn)
                .await?;
            let mut pages = Vec::new();
            for module in &course.modules {
                for (index, page) in module.pages.iter().enumerate() {
                    let blocks = serde_json::to_value(&page.blocks)
                        .map_err(|e| AppError::internal(e.to_string()))?;
                    pages.push((
                        content_pages::revision_id.eq(id),
                        content_pages::module_number.eq(module.number),
                        content_pages::position.eq(index as i32 + 1),
                        content_pages::slug.eq(page.slug.clone()),
                        content_pages::title.eq(page.title.clone()),
                        content_pages::estimated_minutes.eq(page.estimated_minutes),
                        content_pages::html.eq(page.html.clone()),
                        content_pages::blocks.eq(blocks),
                    ));
                }
            }
            diesel::insert_into(content_pages::table)
                .values(&pages)
                .execute(conn)
                .await?;
            let subtitles: Vec<_> = course
                .subtitles
                .iter()
                .map(|(name, body)| {
                    (
                        content_subtitles::revision_id.eq(id),
                        content_subtitles::name.eq(name),
                        content_subtitles::body.eq(body),
                    )
                })
                .collect();
            if !subtitles.is_empty() {
                diesel::insert_into(content_subtitles::table)
                    .values(&subtitles)
                    .execute(conn)
                    .await?;
            }
            for translation in &course.translations {
                insert_translation(conn, id, translation).await?;
            }
            for file in &course.media {
                crate::media::put(conn, &file.file, file.kind).await?;
            }
            let links: Vec<(&str, &str)> = course
                .media
                .iter()
                .map(|m| (m.path.as_str(), m.file.sha256.as_str()))
                .collect();
            crate::media::link(conn, id, &links).await?;
            Ok(id)
        }
        .scope_boxed()
    })
    .await
}

/// Stores a course's text in another written form beside its first form's rows (inside the
/// revision's transaction).
async fn insert_translation(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    translation: &Course,
) -> Result<(), AppError> {
    let json = |value: Result<serde_json::Value, serde_json::Error>| {
        value.map_err(|e| AppError::internal(e.to_string()))
    };
    let language = translation.language;
    diesel::insert_into(content_translations::table)
        .values((
            content_translations::revision_id.eq(id),
            content_translations::language.eq(language),
            content_translations::title.eq(&translation.title),
            content_translations::description.eq(&translation.description),
            content_translations::literature
                .eq(json(serde_json::to_value(&translation.literature))?),
        ))
        .execute(conn)
        .await?;
    let mut modules = Vec::new();
    let mut pages = Vec::new();
    for module in &translation.modules {
        modules.push((
            content_module_translations::revision_id.eq(id),
            content_module_translations::language.eq(language),
            content_module_translations::number.eq(module.number),
            content_module_translations::title.eq(&module.title),
            content_module_translations::summary.eq(&module.summary),
            content_module_translations::outcomes.eq(json(serde_json::to_value(&module.outcomes))?),
        ));
        for page in &module.pages {
            pages.push((
                content_page_translations::revision_id.eq(id),
                content_page_translations::language.eq(language),
                content_page_translations::slug.eq(&page.slug),
                content_page_translations::title.eq(&page.title),
                content_page_translations::html.eq(&page.html),
                content_page_translations::blocks.eq(json(serde_json::to_value(&page.blocks))?),
            ));
        }
    }
    diesel::insert_into(content_module_translations::table)
        .values(&modules)
        .execute(conn)
        .await?;
    diesel::insert_into(content_page_translations::table)
        .values(&pages)
        .execute(conn)
        .await?;
    let subtitles: Vec<_> = translation
        .subtitles
        .iter()
        .map(|(name, body)| {
            (
                content_subtitle_translations::revision_id.eq(id),
                content_subtitle_translations::language.eq(language),
                content_subtitle_translations::name.eq(name),
                content_subtitle_translations::body.eq(body),
            )
        })
        .collect();
    if !subtitles.is_empty() {
        diesel::insert_into(content_subtitle_translations::table)
            .values(&subtitles)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Makes a revision the one readers see, in one transaction.
pub async fn publish(conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), AppError> {
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            let updated = diesel::update(content_revisions::table.find(id))
                .set(content_revisions::published_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
            if updated == 0 {
                return Err(AppError::NotFound);
            }
            diesel::insert_into(content_current::table)
                .values((
                    content_current::singleton.eq(true),
                    content_current::revision_id.eq(id),
                ))
                .on_conflict(content_current::singleton)
                .do_update()
                .set((
                    content_current::revision_id.eq(id),
                    content_current::published_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await
}

pub async fn current_revision_id(conn: &mut AsyncPgConnection) -> Result<Option<Uuid>, AppError> {
    Ok(content_current::table
        .select(content_current::revision_id)
        .first(conn)
        .await
        .optional()?)
}

pub async fn revision_exists(conn: &mut AsyncPgConnection, id: Uuid) -> Result<bool, AppError> {
    Ok(
        diesel::select(diesel::dsl::exists(content_revisions::table.find(id)))
            .get_result(conn)
            .await?,
    )
}

type RevisionRow = (
    Uuid,
    DateTime<Utc>,
    String,
    String,
    String,
    i32,
    Option<DateTime<Utc>>,
);

pub async fn list_revisions(
    conn: &mut AsyncPgConnection,
) -> Result<Vec<RevisionSummary>, AppError> {
    let current = current_revision_id(conn).await?;
    let rows: Vec<RevisionRow> = content_revisions::table
        .order(content_revisions::created_at.desc())
        .limit(100)
        .select((
            content_revisions::id,
            content_revisions::created_at,
            content_revisions::source,
            content_revisions::digest,
            content_revisions::title,
            content_revisions::total_minutes,
            content_revisions::published_at,
        ))
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let module_counts: HashMap<Uuid, i64> = content_modules::table
        .filter(content_modules::revision_id.eq_any(&ids))
        .group_by(content_modules::revision_id)
        .select((content_modules::revision_id, diesel::dsl::count_star()))
        .load::<(Uuid, i64)>(conn)
        .await?
        .into_iter()
        .collect();
    let page_counts: HashMap<Uuid, i64> = content_pages::table
        .filter(content_pages::revision_id.eq_any(&ids))
        .group_by(content_pages::revision_id)
        .select((content_pages::revision_id, diesel::dsl::count_star()))
        .load::<(Uuid, i64)>(conn)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(
            |(id, created_at, source, digest, title, total_minutes, published_at)| {
                RevisionSummary {
                    current: current == Some(id),
                    modules: module_counts.get(&id).copied().unwrap_or(0),
                    pages: page_counts.get(&id).copied().unwrap_or(0),
                    id,
                    created_at,
                    source,
                    digest,
                    title,
                    total_minutes,
                    published_at,
                }
            },
        )
        .collect())
}

pub async fn revision_summary(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<RevisionSummary, AppError> {
    list_revisions(conn)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound)
}
