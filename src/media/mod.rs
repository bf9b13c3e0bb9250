//! Films and posters carried by the course: content-addressed (SHA-256) files kept in PostgreSQL
//! in chunks, so every instance serves the same bytes, served publicly with range requests, and
//! checked with a real media parser (ffprobe) before a revision may use them.

pub mod probe;
pub mod range;
pub mod routes;
pub mod service;
pub mod store;

// What the course content uses of the media store.
pub use probe::ProbeError;
pub use store::{link, put};

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The kinds of file a content tree may carry in `films/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Webm,
    Mp4,
    Jpeg,
    Png,
    Webp,
}

impl MediaKind {
    pub const ALL: [MediaKind; 5] = [
        MediaKind::Webm,
        MediaKind::Mp4,
        MediaKind::Jpeg,
        MediaKind::Png,
        MediaKind::Webp,
    ];

    pub fn from_extension(extension: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.extension() == extension)
    }

    pub fn from_content_type(content_type: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.content_type() == content_type)
    }

    pub fn extension(self) -> &'static str {
        match self {
            MediaKind::Webm => "webm",
            MediaKind::Mp4 => "mp4",
            MediaKind::Jpeg => "jpg",
            MediaKind::Png => "png",
            MediaKind::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            MediaKind::Webm => "video/webm",
            MediaKind::Mp4 => "video/mp4",
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Png => "image/png",
            MediaKind::Webp => "image/webp",
        }
    }

    pub fn is_film(self) -> bool {
        matches!(self, MediaKind::Webm | MediaKind::Mp4)
    }

    /// Whether a file's first bytes are what an image of this kind starts with (posters are
    /// checked by their signature; films by ffprobe).
    pub fn signature_matches(self, head: &[u8]) -> bool {
        match self {
            MediaKind::Jpeg => head.starts_with(&[0xff, 0xd8, 0xff]),
            MediaKind::Png => head.starts_with(b"\x89PNG\r\n\x1a\n"),
            MediaKind::Webp => head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP",
            MediaKind::Webm | MediaKind::Mp4 => true,
        }
    }
}

/// `films/<name>.<ext>` → the kind, for names of lowercase letters, digits and hyphens.
pub fn kind_of_path(path: &str) -> Option<MediaKind> {
    let name = path.strip_prefix("films/")?;
    let (stem, extension) = name.rsplit_once('.')?;
    let ok_stem = !stem.is_empty()
        && stem.len() <= 64
        && !stem.starts_with('-')
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok_stem
        .then(|| MediaKind::from_extension(extension))
        .flatten()
}

/// Where a stored file is served: public, immutable, named by its digest.
pub fn public_url(sha256: &str, kind: MediaKind) -> String {
    format!("/api/v1/media/{sha256}.{}", kind.extension())
}

/// A media file of a content tree, kept on disk while the tree is checked and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub location: PathBuf,
    pub size: u64,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    /// The first bytes, for signature checks.
    pub head: Vec<u8>,
}

impl MediaFile {
    /// Hashes a file on disk as it streams past, never holding it whole.
    pub fn hash(location: &Path) -> std::io::Result<Self> {
        let file = std::fs::File::open(location)?;
        let mut hashing = Hashing::new(file);
        std::io::copy(&mut hashing, &mut std::io::sink())?;
        Ok(hashing.finish(location.to_owned()))
    }
}

/// A reader that hashes, counts and keeps the first bytes of what passes through it.
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
}

const HEAD_BYTES: usize = 16;

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            size: 0,
            head: Vec::with_capacity(HEAD_BYTES),
        }
    }

    pub fn finish(self, location: PathBuf) -> MediaFile {
        MediaFile {
            location,
            size: self.size,
            sha256: hex(&self.hasher.finalize()),
            head: self.head,
        }
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        let wanted = HEAD_BYTES.saturating_sub(self.head.len()).min(n);
        self.head.extend_from_slice(&buf[..wanted]);
        Ok(n)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_kind() {
        assert_eq!(kind_of_path("films/a-1.webm"), Some(MediaKind::Webm));
        assert_eq!(kind_of_path("films/a.mp4"), Some(MediaKind::Mp4));
        assert_eq!(kind_of_path("films/a.jpg"), Some(MediaKind::Jpeg));
        for bad in [
            "films/A.webm",
            "films/a.jpeg",
            "films/.webm",
            "films/a b.png",
            "films/x/a.webm",
            "subtitles/a.webm",
            "films/-a.webp",
            "films/a.exe",
        ] {
            assert_eq!(kind_of_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn image_signatures_are_recognised() {
        assert!(MediaKind::Jpeg.signature_matches(&[0xff, 0xd8, 0xff, 0xe0]));
        assert!(MediaKind::Png.signature_matches(b"\x89PNG\r\n\x1a\n...."));
        assert!(MediaKind::Webp.signature_matches(b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(!MediaKind::Png.signature_matches(&[0xff, 0xd8, 0xff]));
        assert!(!MediaKind::Webp.signature_matches(b"RIFF"));
    }

    #[test]
    fn hashing_streams_and_keeps_the_head() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut hashing = Hashing::new(&bytes[..]);
        std::io::copy(&mut hashing, &mut std::io::sink()).unwrap();
        let file = hashing.finish(PathBuf::from("x"));
        assert_eq!(file.size, 100_000);
        assert_eq!(file.head, bytes[..16]);
        assert_eq!(file.sha256, hex(&Sha256::digest(&bytes)));
    }
}
