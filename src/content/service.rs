//! Checking content trees, importing them as draft revisions, publishing them, and publishing
//! the bundled course on first start.

use std::path::Path;

use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::films::{self, MediaCheck};
use super::review::{self, Findings};
use super::source::SourceTree;
use super::store::{self, RevisionSummary};
use super::{parse, source, ContentProblem, Course};
use crate::db::DbPool;
use crate::error::AppError;

/// Why an import did not produce a revision.
#[derive(Debug)]
pub enum ImportError {
    Invalid(Vec<ContentProblem>),
    Failed(AppError),
}

impl From<AppError> for ImportError {
    fn from(error: AppError) -> Self {
        ImportError::Failed(error)
    }
}

/// A checked tree: the course, or every problem; and the warnings either way they were found.
#[derive(Debug)]
pub struct Checked {
    pub course: Result<Course, Vec<ContentProblem>>,
    pub warnings: Vec<ContentProblem>,
}

/// Parses a tree, then checks what looks across files and the bundled films (blocking: it may
/// run ffprobe).
pub fn check(tree: &SourceTree, media: MediaCheck) -> Checked {
    let course = match parse::parse(tree) {
        Ok(course) => course,
        Err(problems) => {
            return Checked {
                course: Err(problems),
                warnings: Vec::new(),
            }
        }
    };
    let mut findings: Findings = review::review(&course);
    for translation in &course.translations {
        let mut found = review::review(translation);
        for problem in found.problems.iter_mut().chain(found.warnings.iter_mut()) {
            problem.file = parse::variant_path(&problem.file, translation.language);
        }
        findings.extend(found);
    }
    findings.extend(films::verify(&course, media));
    let sort = |list: &mut Vec<ContentProblem>| {
        list.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    };
    sort(&mut findings.problems);
    sort(&mut findings.warnings);
    Checked {
        course: if findings.problems.is_empty() {
            Ok(course)
        } else {
            Err(findings.problems)
        },
        warnings: findings.warnings,
    }
}

/// Reads and checks a directory, films included (the CLI's `content check`).
pub fn check_dir(dir: &Path) -> Checked {
    match source::from_dir(dir) {
        Ok(tree) => check(&tree, MediaCheck::Required),
        Err(problems) => Checked {
            course: Err(problems),
            warnings: Vec::new(),
        },
    }
}

/// A stored draft, with what the author may want to fix.
#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    #[serde(flatten)]
    pub revision: RevisionSummary,
    /// Things to look at that do not block publishing: minutes far from the estimate, hard to
    /// read subtitles, transcripts that lack words (each `{file, line, message}`).
    pub warnings: Vec<ContentProblem>,
}

/// Checks a tree (on a blocking thread) and stores it as a draft revision with its films.
pub async fn import(
    conn: &mut AsyncPgConnection,
    tree: SourceTree,
    source: &str,
    created_by: Option<Uuid>,
    media: MediaCheck,
) -> Result<Imported, ImportError> {
    let (checked, digest, tree) = tokio::task::spawn_blocking(move || {
        let checked = check(&tree, media);
        let digest = store::digest(&tree);
        (checked, digest, tree)
    })
    .await
    .map_err(|e| AppError::internal(format!("content check: {e}")))?;
    let course = checked.course.map_err(ImportError::Invalid)?;
    let id = store::insert_revision(conn, &course, source, &digest, created_by).await?;
    // The unpacked films may go now that they are stored.
    drop(tree);
    tracing::info!(revision = %id, source, warnings = checked.warnings.len(), "content revision imported");
    Ok(Imported {
        revision: store::revision_summary(conn, id).await?,
        warnings: checked.warnings,
    })
}

/// An administrator's import: checked and stored as a draft revision.
pub async fn import_revision(
    state: &crate::AppState,
    tree: SourceTree,
    source: &str,
    admin: Uuid,
) -> Result<Imported, ImportError> {
    let mut conn = state.pool.get().await.map_err(AppError::from)?;
    import(&mut conn, tree, source, Some(admin), MediaCheck::Required).await
}

/// The newest revisions, newest first.
pub async fn revisions(state: &crate::AppState) -> Result<Vec<RevisionSummary>, AppError> {
    let mut conn = state.pool.get().await?;
    store::list_revisions(&mut conn).await
}

/// Makes a revision the one readers see, on every instance at once.
pub async fn publish(
    state: &crate::AppState,
    id: Uuid,
    admin: Uuid,
) -> Result<RevisionSummary, AppError> {
    let mut conn = state.pool.get().await?;
    store::publish(&mut conn, id).await?;
    state.published.forget(&());
    tracing::info!(revision = %id, %admin, "content revision published");
    store::revision_summary(&mut conn, id).await
}

/// On a database with no published course, publishes the bundled `content/` once, even when
/// several instances start together. Without ffprobe its films are taken unchecked, with a
/// warning in the log (see docs/decisions.md, "Films").
pub async fn publish_bundled_if_empty(pool: &DbPool, dir: &Path) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    if store::current_revision_id(&mut conn).await?.is_some() {
        return Ok(());
    }
    let tree = match source::from_dir(dir) {
        Ok(tree) => tree,
        Err(problems) => {
            tracing::warn!(dir = %dir.display(), problems = problems.len(), "no bundled content to publish");
            return Ok(());
        }
    };
    let (checked, digest) = tokio::task::spawn_blocking(move || {
        (
            check(&tree, MediaCheck::SkipWithoutTool),
            store::digest(&tree),
        )
    })
    .await?;
    let course = match checked.course {
        Ok(course) => course,
        Err(problems) => {
            for problem in &problems {
                tracing::error!(%problem, "bundled content is invalid");
            }
            anyhow::bail!(
                "the bundled content in {} has {} problem(s)",
                dir.display(),
                problems.len()
            );
        }
    };
    for warning in checked
        .warnings
        .iter()
        .filter(|w| w.message.contains("ffprobe"))
    {
        tracing::warn!(%warning, "bundled film published without a media check");
    }
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            diesel::sql_query("SELECT pg_advisory_xact_lock(7470747)")
                .execute(conn)
                .await?;
            if store::current_revision_id(conn).await?.is_some() {
                return Ok(());
            }
            let id = store::insert_revision(conn, &course, "bundled", &digest, None).await?;
            store::publish(conn, id).await?;
            tracing::info!(revision = %id, "published the bundled course");
            Ok(())
        }
        .scope_boxed()
    })
    .await?;
    Ok(())
}
