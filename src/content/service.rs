//! Importing content trees as draft revisions, publishing them, and publishing the bundled
//! course on first start.

use std::path::Path;

use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::source::SourceTree;
use super::store::{self, RevisionSummary};
use super::{parse, source, ContentProblem};
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

/// Reads and checks a directory, listing every problem.
pub fn check_dir(dir: &Path) -> Result<super::Course, Vec<ContentProblem>> {
    let tree = source::from_dir(dir)?;
    parse::parse(&tree)
}

/// Checks a tree and stores it as a draft revision.
pub async fn import(
    conn: &mut AsyncPgConnection,
    tree: &SourceTree,
    source: &str,
    created_by: Option<Uuid>,
) -> Result<RevisionSummary, ImportError> {
    let course = parse::parse(tree).map_err(ImportError::Invalid)?;
    let digest = store::digest(tree);
    let id = store::insert_revision(conn, &course, source, &digest, created_by).await?;
    tracing::info!(revision = %id, source, "content revision imported");
    Ok(store::revision_summary(conn, id).await?)
}

/// On a database with no published course, publishes the bundled `content/` once, even when
/// several instances start together.
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
    let course = match parse::parse(&tree) {
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
    let digest = store::digest(&tree);
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
