//! Media in PostgreSQL: one row per file (by SHA-256, so identical files are stored once), its
//! bytes in chunks of [`CHUNK_BYTES`], and which revision uses which file under which name.
//! Files are written a chunk at a time from disk and read a chunk at a time, so no file is ever
//! whole in memory.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use uuid::Uuid;

use super::{hex, MediaFile, MediaKind};
use crate::db::schema::{content_media, content_media_chunks, content_revision_media};
use crate::error::AppError;

/// Bytes per stored chunk: a range request reads at most one chunk more than it sends.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// A stored file as the server needs it to answer for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    pub sha256: String,
    pub kind: MediaKind,
    pub size: u64,
    pub chunk_bytes: u64,
}

/// Stores a file unless a file with its digest is stored already. Run it inside the
/// transaction that stores the revision using it: a concurrent import of the same file waits on
/// the row and then finds it there. Returns whether the bytes were written now.
pub async fn put(
    conn: &mut AsyncPgConnection,
    file: &MediaFile,
    kind: MediaKind,
) -> Result<bool, AppError> {
    let size = i64::try_from(file.size).map_err(|_| AppError::internal("media file too large"))?;
    let inserted: Option<String> = diesel::insert_into(content_media::table)
        .values((
            content_media::sha256.eq(&file.sha256),
            content_media::content_type.eq(kind.content_type()),
            content_media::size_bytes.eq(size),
            content_media::chunk_bytes.eq(CHUNK_BYTES as i32),
        ))
        .on_conflict_do_nothing()
        .returning(content_media::sha256)
        .get_result(conn)
        .await
        .optional()?;
    if inserted.is_none() {
        return Ok(false);
    }
    let mut source = tokio::fs::File::open(&file.location)
        .await
        .map_err(|e| AppError::internal(format!("{}: {e}", file.location.display())))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK_BYTES];
    let mut position = 0i32;
    let mut written = 0u64;
    loop {
        let filled = fill(&mut source, &mut buffer)
            .await
            .map_err(|e| AppError::internal(format!("{}: {e}", file.location.display())))?;
        if filled == 0 {
            break;
        }
        hasher.update(&buffer[..filled]);
        diesel::insert_into(content_media_chunks::table)
            .values((
                content_media_chunks::sha256.eq(&file.sha256),
                content_media_chunks::position.eq(position),
                content_media_chunks::bytes.eq(&buffer[..filled]),
            ))
            .execute(conn)
            .await?;
        position += 1;
        written += filled as u64;
    }
    // The file was checked under this digest; if it changed since, nothing is stored.
    if written != file.size || hex(&hasher.finalize()) != file.sha256 {
        return Err(AppError::internal(format!(
            "{} changed while it was being stored",
            file.location.display()
        )));
    }
    Ok(true)
}

/// Reads until the buffer is full or the file ends.
async fn fill(source: &mut tokio::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let n = source.read(&mut buffer[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// Records which files a revision uses, by their names in its content tree.
pub async fn link(
    conn: &mut AsyncPgConnection,
    revision_id: Uuid,
    files: &[(&str, &str)],
) -> Result<(), AppError> {
    if files.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = files
        .iter()
        .map(|(path, sha256)| {
            (
                content_revision_media::revision_id.eq(revision_id),
                content_revision_media::path.eq(*path),
                content_revision_media::sha256.eq(*sha256),
            )
        })
        .collect();
    diesel::insert_into(content_revision_media::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    sha256: &str,
) -> Result<Option<StoredMedia>, AppError> {
    let row: Option<(String, i64, i32)> = content_media::table
        .find(sha256)
        .select((
            content_media::content_type,
            content_media::size_bytes,
            content_media::chunk_bytes,
        ))
        .first(conn)
        .await
        .optional()?;
    let Some((content_type, size, chunk_bytes)) = row else {
        return Ok(None);
    };
    let kind = MediaKind::from_content_type(&content_type)
        .ok_or_else(|| AppError::internal(format!("stored media type {content_type}")))?;
    Ok(Some(StoredMedia {
        sha256: sha256.to_owned(),
        kind,
        size: size as u64,
        chunk_bytes: chunk_bytes as u64,
    }))
}

/// One chunk's bytes.
pub async fn chunk(
    conn: &mut AsyncPgConnection,
    sha256: &str,
    position: i32,
) -> Result<Vec<u8>, AppError> {
    Ok(content_media_chunks::table
        .find((sha256, position))
        .select(content_media_chunks::bytes)
        .first(conn)
        .await?)
}
