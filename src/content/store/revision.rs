//! A stored revision as readers use it, loaded from its rows in one go. Revisions never change,
//! so a loaded one is cached in memory for good.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::content::{Block, Literature, Outcomes};
use crate::db::schema::{
    content_module_translations, content_modules, content_page_translations, content_pages,
    content_revisions, content_subtitle_translations, content_subtitles, content_translations,
};
use crate::error::AppError;
use crate::language::Language;
use crate::learning::{ModuleShape, PageShape, PathShape};

/// A stored revision as readers use it.
#[derive(Debug)]
pub struct Revision {
    pub id: Uuid,
    /// The written form this text is in: the one asked for where the revision has it, else its
    /// first form (bokmål).
    pub language: Language,
    /// Every written form the revision has, its first (bokmål) first.
    pub languages: Vec<Language>,
    pub title: String,
    pub description: String,
    pub literature: Literature,
    pub modules: Vec<RevisionModule>,
    pub subtitles: HashMap<String, String>,
}

#[derive(Debug)]
pub struct RevisionModule {
    pub number: i32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub skippable: bool,
    pub estimated_minutes: i32,
    pub outcomes: Outcomes,
    pub pages: Vec<RevisionPage>,
}

#[derive(Debug)]
pub struct RevisionPage {
    pub slug: String,
    pub title: String,
    pub estimated_minutes: i32,
    pub html: String,
    pub blocks: Vec<Block>,
    /// A fingerprint of the page's content in this revision.
    pub fingerprint: String,
    /// The page's response bodies, made once per status a reader can see (available,
    /// completed): the revision never changes, so neither do they.
    pub rendered: [OnceLock<actix_web::web::Bytes>; 2],
}

impl Revision {
    pub fn shape(&self) -> PathShape<'_> {
        PathShape {
            modules: self
                .modules
                .iter()
                .map(|m| ModuleShape {
                    number: m.number,
                    skippable: m.skippable,
                    pages: m
                        .pages
                        .iter()
                        .map(|p| PageShape {
                            slug: &p.slug,
                            estimated_minutes: p.estimated_minutes,
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    pub fn module(&self, number: i32) -> Option<&RevisionModule> {
        self.modules.iter().find(|m| m.number == number)
    }

    /// A page with its module and index in the module.
    pub fn page(&self, module: i32, slug: &str) -> Option<(&RevisionModule, usize, &RevisionPage)> {
        let module = self.module(module)?;
        let index = module.pages.iter().position(|p| p.slug == slug)?;
        Some((module, index, &module.pages[index]))
    }

    /// Every page in path order, with its module.
    pub fn pages_in_order(&self) -> impl Iterator<Item = (&RevisionModule, usize, &RevisionPage)> {
        self.modules
            .iter()
            .flat_map(|m| m.pages.iter().enumerate().map(move |(i, p)| (m, i, p)))
    }
}

/// Loaded revisions, by id and written form. They are immutable, so entries never go stale.
#[derive(Default)]
pub struct RevisionCache {
    revisions: RwLock<HashMap<(Uuid, Language), Arc<Revision>>>,
}

impl RevisionCache {
    /// A revision already loaded in this form, without touching the database.
    pub fn loaded(&self, id: Uuid, language: Language) -> Option<Arc<Revision>> {
        self.revisions.read().ok()?.get(&(id, language)).cloned()
    }

    /// A revision in the written form asked for (its first form where it has no such variant).
    pub async fn get(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        language: Language,
    ) -> Result<Option<Arc<Revision>>, AppError> {
        if let Some(found) = self.loaded(id, language) {
            return Ok(Some(found));
        }
        let Some(revision) = load_revision(conn, id, language).await? else {
            return Ok(None);
        };
        let revision = Arc::new(revision);
        if let Ok(mut revisions) = self.revisions.write() {
            revisions.insert((id, language), revision.clone());
        }
        Ok(Some(revision))
    }
}

async fn load_revision(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    language: Language,
) -> Result<Option<Revision>, AppError> {
    let Some(mut revision) = load_first_form(conn, id).await? else {
        return Ok(None);
    };
    if language != revision.language && revision.languages.contains(&language) {
        translate(conn, &mut revision, language).await?;
    }
    for page in revision.modules.iter_mut().flat_map(|m| m.pages.iter_mut()) {
        page.fingerprint = fingerprint(id, revision.language, &page.slug);
    }
    Ok(Some(revision))
}

/// A page's fingerprint in a revision and form: a 304 never hands one form's page to the other.
fn fingerprint(id: Uuid, language: Language, slug: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(id.as_bytes());
    hasher.update(slug.as_bytes());
    if language != Language::Bokmal {
        hasher.update(language.as_str().as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Puts a form's text in place of the first form's, keeping the structure.
async fn translate(
    conn: &mut AsyncPgConnection,
    revision: &mut Revision,
    language: Language,
) -> Result<(), AppError> {
    let id = revision.id;
    let stored =
        |what: &str, e: serde_json::Error| AppError::internal(format!("stored {what}: {e}"));
    let (title, description, literature): (String, String, serde_json::Value) =
        content_translations::table
            .find((id, language))
            .select((
                content_translations::title,
                content_translations::description,
                content_translations::literature,
            ))
            .first(conn)
            .await?;
    revision.title = title;
    revision.description = description;
    revision.literature =
        serde_json::from_value(literature).map_err(|e| stored("literature", e))?;
    let modules: Vec<(i32, String, String, serde_json::Value)> = content_module_translations::table
        .filter(content_module_translations::revision_id.eq(id))
        .filter(content_module_translations::language.eq(language))
        .select((
            content_module_translations::number,
            content_module_translations::title,
            content_module_translations::summary,
            content_module_translations::outcomes,
        ))
        .load(conn)
        .await?;
    for (number, title, summary, outcomes) in modules {
        if let Some(module) = revision.modules.iter_mut().find(|m| m.number == number) {
            module.title = title;
            module.summary = summary;
            module.outcomes =
                serde_json::from_value(outcomes).map_err(|e| stored("outcomes", e))?;
        }
    }
    let pages: Vec<(String, String, String, serde_json::Value)> = content_page_translations::table
        .filter(content_page_translations::revision_id.eq(id))
        .filter(content_page_translations::language.eq(language))
        .select((
            content_page_translations::slug,
            content_page_translations::title,
            content_page_translations::html,
            content_page_translations::blocks,
        ))
        .load(conn)
        .await?;
    let mut pages: HashMap<String, (String, String, serde_json::Value)> = pages
        .into_iter()
        .map(|(slug, title, html, blocks)| (slug, (title, html, blocks)))
        .collect();
    for page in revision.modules.iter_mut().flat_map(|m| m.pages.iter_mut()) {
        if let Some((title, html, blocks)) = pages.remove(&page.slug) {
            page.title = title;
            page.html = html;
            page.blocks = serde_json::from_value(blocks).map_err(|e| stored("blocks", e))?;
        }
    }
    let subtitles: Vec<(String, String)> = content_subtitle_translations::table
        .filter(content_subtitle_translations::revision_id.eq(id))
        .filter(content_subtitle_translations::language.eq(language))
        .select((
            content_subtitle_translations::name,
            content_subtitle_translations::body,
        ))
        .load(conn)
        .await?;
    revision.subtitles.extend(subtitles);
    revision.language = language;
    Ok(())
}

/// A revision in its first form, with the forms it has.
async fn load_first_form(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<Revision>, AppError> {
    let Some((title, description, literature)) = content_revisions::table
        .find(id)
        .select((
            content_revisions::title,
            content_revisions::description,
            content_revisions::literature,
        ))
        .first::<(String, String, serde_json::Value)>(conn)
        .await
        .optional()?
    else {
        return Ok(None);
    };
    let literature: Literature = serde_json::from_value(literature)
        .map_err(|e| AppError::internal(format!("stored literature: {e}")))?;
    type ModuleRow = (i32, String, String, String, bool, i32, serde_json::Value);
    let modules: Vec<ModuleRow> = content_modules::table
        .filter(content_modules::revision_id.eq(id))
        .order(content_modules::number)
        .select((
            content_modules::number,
            content_modules::slug,
            content_modules::title,
            content_modules::summary,
            content_modules::skippable,
            content_modules::estimated_minutes,
            content_modules::outcomes,
        ))
        .load(conn)
        .await?;
    let pages: Vec<(i32, String, String, i32, String, serde_json::Value)> = content_pages::table
        .filter(content_pages::revision_id.eq(id))
        .order((content_pages::module_number, content_pages::position))
        .select((
            content_pages::module_number,
            content_pages::slug,
            content_pages::title,
            content_pages::estimated_minutes,
            content_pages::html,
            content_pages::blocks,
        ))
        .load(conn)
        .await?;
    let subtitles: HashMap<String, String> = content_subtitles::table
        .filter(content_subtitles::revision_id.eq(id))
        .select((content_subtitles::name, content_subtitles::body))
        .load::<(String, String)>(conn)
        .await?
        .into_iter()
        .collect();
    let mut modules: Vec<RevisionModule> = modules
        .into_iter()
        .map(
            |(number, slug, title, summary, skippable, estimated_minutes, outcomes)| {
                Ok(RevisionModule {
                    number,
                    slug,
                    title,
                    summary,
                    skippable,
                    estimated_minutes,
                    outcomes: serde_json::from_value(outcomes)
                        .map_err(|e| AppError::internal(format!("stored outcomes: {e}")))?,
                    pages: Vec::new(),
                })
            },
        )
        .collect::<Result<_, AppError>>()?;
    for (module_number, slug, title, estimated_minutes, html, blocks) in pages {
        let blocks: Vec<Block> = serde_json::from_value(blocks)
            .map_err(|e| AppError::internal(format!("stored blocks: {e}")))?;
        let fingerprint = String::new();
        if let Some(module) = modules.iter_mut().find(|m| m.number == module_number) {
            module.pages.push(RevisionPage {
                slug,
                title,
                estimated_minutes,
                html,
                blocks,
                fingerprint,
                rendered: Default::default(),
            });
        }
    }
    let mut languages = vec![Language::Bokmal];
    languages.extend(
        content_translations::table
            .filter(content_translations::revision_id.eq(id))
            .select(content_translations::language)
            .load::<Language>(conn)
            .await?,
    );
    Ok(Some(Revision {
        id,
        language: Language::Bokmal,
        languages,
        title,
        description,
        literature,
        modules,
        subtitles,
    }))
}
