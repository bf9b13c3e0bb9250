//! A content tree read from a directory or from an uploaded tar.gz: text files in memory, the
//! films and posters of `films/` on disk (hashed as they stream past), so a tree with large
//! films never sits whole in memory. Archives are read defensively: no absolute paths, no `..`,
//! no links, bounded size.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::ContentProblem;
use crate::media::{Hashing, MediaFile};

pub const MAX_FILES: usize = 2_000;
/// Text files (markdown, TOML, WebVTT), each and together.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;
pub const MAX_TOTAL_BYTES: u64 = 32 * 1024 * 1024;
/// Films and posters, each and together.
pub const MAX_MEDIA_FILE_BYTES: u64 = 64 * 1024 * 1024;
pub const MAX_MEDIA_BYTES: u64 = 128 * 1024 * 1024;

/// Relative path (with `/`) → contents, for text files; `films/…` → the file on disk.
#[derive(Debug, Clone, Default)]
pub struct SourceTree {
    pub files: BTreeMap<String, Vec<u8>>,
    pub media: BTreeMap<String, MediaFile>,
    /// Where the media of an archive were unpacked; removed when the last clone goes.
    pub spool: Option<Arc<Spool>>,
}

impl SourceTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every path of the tree, text and media.
    pub fn paths(&self) -> impl Iterator<Item = &String> {
        self.files.keys().chain(self.media.keys())
    }
}

/// Whether a path belongs on disk rather than in memory.
fn is_media_path(path: &str) -> bool {
    path.starts_with("films/")
}

/// A private temporary directory, removed with everything in it when dropped.
#[derive(Debug)]
pub struct Spool {
    pub dir: PathBuf,
}

impl Spool {
    pub fn new() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("mentorsti-spool-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(Self { dir })
    }

    /// A fresh file name in the spool.
    pub fn file(&self) -> PathBuf {
        self.dir.join(uuid::Uuid::new_v4().simple().to_string())
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn from_dir(root: &Path) -> Result<SourceTree, Vec<ContentProblem>> {
    let mut tree = SourceTree::new();
    let mut totals = Totals::default();
    let mut problems = Vec::new();
    walk(root, root, &mut tree, &mut totals, &mut problems);
    if !root.is_dir() {
        problems.push(ContentProblem::new(
            root.display().to_string(),
            None,
            "is not a directory",
        ));
    }
    if problems.is_empty() {
        Ok(tree)
    } else {
        Err(problems)
    }
}

#[derive(Default)]
struct Totals {
    text: u64,
    media: u64,
}

impl Totals {
    /// Adds a file; false when it or the tree is then too large.
    fn add(&mut self, media: bool, size: u64, files: usize) -> bool {
        if files >= MAX_FILES {
            return false;
        }
        if media {
            self.media = self.media.saturating_add(size);
            size <= MAX_MEDIA_FILE_BYTES && self.media <= MAX_MEDIA_BYTES
        } else {
            self.text = self.text.saturating_add(size);
            size <= MAX_FILE_BYTES && self.text <= MAX_TOTAL_BYTES
        }
    }
}

const TOO_LARGE: &str =
    "is too large (at most 2,000 files; text files 2 MiB each and 32 MiB in all; \
films and posters 64 MiB each and 128 MiB in all)";

fn walk(
    root: &Path,
    dir: &Path,
    tree: &mut SourceTree,
    totals: &mut Totals,
    problems: &mut Vec<ContentProblem>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let relative = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(root, &path, tree, totals, problems);
        } else if meta.is_file() {
            let media = is_media_path(&relative);
            let count = tree.files.len() + tree.media.len();
            if !totals.add(media, meta.len(), count) {
                problems.push(ContentProblem::new(relative, None, TOO_LARGE));
                return;
            }
            let read = if media {
                MediaFile::hash(&path).map(|file| {
                    tree.media.insert(relative.clone(), file);
                })
            } else {
                std::fs::read(&path).map(|bytes| {
                    tree.files.insert(relative.clone(), bytes);
                })
            };
            if let Err(e) = read {
                problems.push(ContentProblem::new(
                    relative,
                    None,
                    format!("cannot be read: {e}"),
                ));
            }
        } else {
            problems.push(ContentProblem::new(
                relative,
                None,
                "links and special files are not allowed",
            ));
        }
    }
}

/// Reads a gzip-compressed tar archive of a content tree (blocking: call it from a blocking
/// thread). Films and posters are unpacked into a spool directory; one top-level folder around
/// the tree (`content/course.toml`) is taken away.
pub fn from_tar_gz(reader: impl Read) -> Result<SourceTree, Vec<ContentProblem>> {
    let archive_problem = |message: String| vec![ContentProblem::new("(archive)", None, message)];
    let decoder = flate2::read::GzDecoder::new(reader);
    // The decompressed stream is bounded too, so a small bomb cannot fill memory or disk.
    let mut archive = tar::Archive::new(decoder.take(MAX_TOTAL_BYTES + MAX_MEDIA_BYTES + 1));
    let entries = archive
        .entries()
        .map_err(|e| archive_problem(format!("is not a tar.gz archive: {e}")))?;
    let mut tree = SourceTree::new();
    let mut problems = Vec::new();
    let mut totals = Totals::default();
    for entry in entries {
        let mut entry =
            entry.map_err(|e| archive_problem(format!("is not a readable tar.gz archive: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| archive_problem(format!("has an unreadable entry name: {e}")))?
            .into_owned();
        let shown = path.to_string_lossy().into_owned();
        if path.is_absolute()
            || path.components().any(|c| {
                matches!(
                    c,
                    Component::ParentDir | Component::RootDir | Component::Prefix(_)
                )
            })
        {
            problems.push(ContentProblem::new(
                shown,
                None,
                "absolute paths and `..` are not allowed in the archive",
            ));
            continue;
        }
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            problems.push(ContentProblem::new(
                shown,
                None,
                "links and special files are not allowed in the archive",
            ));
            continue;
        }
        let relative: String = path
            .components()
            .filter_map(|c| match c {
                Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("/");
        if relative.split('/').any(|part| part.starts_with('.')) {
            continue;
        }
        // Media are recognised under a single wrapping folder too (`content/films/…`).
        let media = is_media_path(&relative)
            || relative
                .split_once('/')
                .is_some_and(|(_, rest)| is_media_path(rest));
        let size = entry.header().size().unwrap_or(u64::MAX);
        if !totals.add(media, size, tree.files.len() + tree.media.len()) {
            return Err(archive_problem(TOO_LARGE.to_owned()));
        }
        if media {
            let spool = match &tree.spool {
                Some(spool) => spool.clone(),
                None => {
                    let spool = Arc::new(Spool::new().map_err(|e| {
                        archive_problem(format!("could not be unpacked on the server: {e}"))
                    })?);
                    tree.spool = Some(spool.clone());
                    spool
                }
            };
            let location = spool.file();
            let file = unpack(&mut entry, &location, size)
                .map_err(|e| archive_problem(format!("could not be read: {e}")))?;
            tree.media.insert(relative, file);
        } else {
            let mut contents = Vec::with_capacity(size as usize);
            entry
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut contents)
                .map_err(|e| archive_problem(format!("could not be read: {e}")))?;
            tree.files.insert(relative, contents);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(strip_single_root(tree))
}

/// Copies an archive entry to a file, hashing it on the way.
fn unpack(entry: &mut impl Read, location: &Path, size: u64) -> std::io::Result<MediaFile> {
    let mut out = std::fs::File::create(location)?;
    let mut hashing = Hashing::new(entry.take(size.min(MAX_MEDIA_FILE_BYTES)));
    std::io::copy(&mut hashing, &mut out)?;
    out.sync_all()?;
    Ok(hashing.finish(location.to_owned()))
}

fn strip_single_root(tree: SourceTree) -> SourceTree {
    if tree.files.contains_key("course.toml") {
        return tree;
    }
    let roots: std::collections::BTreeSet<&str> = tree
        .paths()
        .filter_map(|k| k.split_once('/').map(|(r, _)| r))
        .collect();
    let has_loose_files = tree.paths().any(|k| !k.contains('/'));
    let Some(root) = roots.iter().next().map(|r| (*r).to_owned()) else {
        return tree;
    };
    if roots.len() != 1
        || has_loose_files
        || !tree.files.contains_key(&format!("{root}/course.toml"))
    {
        return tree;
    }
    let prefix = format!("{root}/");
    let strip = |k: String| k.strip_prefix(&prefix).map(str::to_owned).unwrap_or(k);
    SourceTree {
        files: tree.files.into_iter().map(|(k, v)| (strip(k), v)).collect(),
        media: tree.media.into_iter().map(|(k, v)| (strip(k), v)).collect(),
        spool: tree.spool,
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Builds a tar.gz from (path, contents, entry type) triples, bypassing the tar crate's own
    /// path checks so hostile archives can be made.
    pub fn tar_gz(entries: &[(&str, &[u8], tar::EntryType)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (path, contents, kind) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(contents.len() as u64);
            header.set_mode(0o644);
            let name = path.as_bytes();
            header.as_old_mut().name[..name.len()].copy_from_slice(name);
            header.set_cksum();
            builder.append(&header, *contents).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn reads_a_tree_and_strips_one_root_folder() {
        let archive = tar_gz(&[
            (
                "content/course.toml",
                b"title = 'x'",
                tar::EntryType::Regular,
            ),
            (
                "content/modules/1-a/module.toml",
                b"number = 1",
                tar::EntryType::Regular,
            ),
        ]);
        let tree = from_tar_gz(&archive[..]).unwrap();
        assert!(tree.files.contains_key("course.toml"));
        assert!(tree.files.contains_key("modules/1-a/module.toml"));
    }

    #[test]
    fn refuses_traversal_absolute_paths_and_links() {
        for (path, kind) in [
            ("../etc/passwd", tar::EntryType::Regular),
            ("/etc/passwd", tar::EntryType::Regular),
            ("modules/../../x", tar::EntryType::Regular),
            ("modules/link", tar::EntryType::Symlink),
            ("modules/hard", tar::EntryType::Link),
        ] {
            let archive = tar_gz(&[
                ("course.toml", b"title = 'x'", tar::EntryType::Regular),
                (path, b"x", kind),
            ]);
            let problems = from_tar_gz(&archive[..]).unwrap_err();
            assert_eq!(problems.len(), 1, "{path}: {problems:?}");
        }
    }

    #[test]
    fn refuses_garbage_and_bombs() {
        assert!(from_tar_gz(&b"not an archive"[..]).is_err());
        let big = vec![0u8; (MAX_FILE_BYTES + 1) as usize];
        let archive = tar_gz(&[("course.toml", &big, tar::EntryType::Regular)]);
        assert!(from_tar_gz(&archive[..]).is_err());
    }

    #[test]
    fn films_are_unpacked_to_disk_hashed_and_removed_with_the_tree() {
        let film: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        let archive = tar_gz(&[
            (
                "content/course.toml",
                b"title = 'x'",
                tar::EntryType::Regular,
            ),
            ("content/films/a.webm", &film, tar::EntryType::Regular),
        ]);
        let tree = from_tar_gz(&archive[..]).unwrap();
        assert!(
            tree.files.contains_key("course.toml"),
            "{:?}",
            tree.files.keys()
        );
        let file = &tree.media["films/a.webm"];
        assert_eq!(file.size, film.len() as u64);
        assert_eq!(std::fs::read(&file.location).unwrap(), film);
        let expected = crate::media::hex(&<sha2::Sha256 as sha2::Digest>::digest(&film));
        assert_eq!(file.sha256, expected);
        let spool = tree.spool.as_ref().unwrap().dir.clone();
        drop(tree);
        assert!(!spool.exists(), "the spool goes with the tree");
    }
}
