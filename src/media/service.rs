//! Finding a stored file by its public name and reading a byte range of it, a chunk at a time.

use super::store::{self, StoredMedia};
use super::MediaKind;
use crate::db::DbPool;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// `<64 hex digits>.<extension>` → (digest, kind).
pub fn parse_name(file: &str) -> Option<(&str, MediaKind)> {
    let (sha256, extension) = file.split_once('.')?;
    let hex = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    hex.then(|| MediaKind::from_extension(extension).map(|kind| (sha256, kind)))
        .flatten()
}

/// The stored file a `/media/{file}` name stands for: 404 unless its digest and kind both match.
pub async fn find(state: &AppState, file: &str) -> AppResult<StoredMedia> {
    let (sha256, kind) = parse_name(file).ok_or(AppError::NotFound)?;
    let mut conn = state.pool.get().await?;
    match store::find(&mut conn, sha256).await? {
        Some(media) if media.kind == kind => Ok(media),
        _ => Err(AppError::NotFound),
    }
}

/// Bytes `start..=end`, from the chunk that holds `start` (at most one chunk).
pub async fn read_range(
    pool: &DbPool,
    media: &StoredMedia,
    start: u64,
    end: u64,
) -> AppResult<Vec<u8>> {
    let position = start / media.chunk_bytes;
    let offset = (start % media.chunk_bytes) as usize;
    let mut conn = pool.get().await?;
    let mut bytes = store::chunk(&mut conn, &media.sha256, position as i32).await?;
    let wanted = (end - start + 1).min((bytes.len() - offset.min(bytes.len())) as u64) as usize;
    if offset + wanted > bytes.len() || wanted == 0 {
        return Err(AppError::internal(format!(
            "media {} is shorter than its size",
            media.sha256
        )));
    }
    bytes.truncate(offset + wanted);
    bytes.drain(..offset);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_a_digest_and_a_known_extension() {
        let digest = "a".repeat(64);
        assert_eq!(
            parse_name(&format!("{digest}.webm")),
            Some((digest.as_str(), MediaKind::Webm))
        );
        for bad in [
            format!("{digest}.exe"),
            format!("{}.webm", "A".repeat(64)),
            format!("{}.webm", "a".repeat(63)),
            digest.clone(),
            format!("{digest}.webm.webm"),
            "..%2f.webm".to_owned(),
        ] {
            assert_eq!(parse_name(&bad), None, "{bad}");
        }
    }
}
