//! A content tree as files in memory, read from a directory or from an uploaded tar.gz.
//! Archives are read defensively: no absolute paths, no `..`, no links, bounded size.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path};

use super::ContentProblem;

pub const MAX_FILES: usize = 2_000;
pub const MAX_TOTAL_BYTES: u64 = 32 * 1024 * 1024;
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// Relative path (with `/`) → contents.
pub type SourceTree = BTreeMap<String, Vec<u8>>;

pub fn from_dir(root: &Path) -> Result<SourceTree, Vec<ContentProblem>> {
    let mut tree = SourceTree::new();
    let mut total = 0u64;
    let mut problems = Vec::new();
    walk(root, root, &mut tree, &mut total, &mut problems);
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

fn walk(
    root: &Path,
    dir: &Path,
    tree: &mut SourceTree,
    total: &mut u64,
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
            walk(root, &path, tree, total, problems);
        } else if meta.is_file() {
            *total += meta.len();
            if meta.len() > MAX_FILE_BYTES || *total > MAX_TOTAL_BYTES || tree.len() >= MAX_FILES {
                problems.push(ContentProblem::new(
                    relative,
                    None,
                    "the content tree is too large",
                ));
                return;
            }
            match std::fs::read(&path) {
                Ok(bytes) => {
                    tree.insert(relative, bytes);
                }
                Err(e) => problems.push(ContentProblem::new(
                    relative,
                    None,
                    format!("cannot be read: {e}"),
                )),
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

/// Reads a gzip-compressed tar archive of a content tree. One top-level folder around the tree
/// (`content/course.toml`) is taken away.
pub fn from_tar_gz(bytes: &[u8]) -> Result<SourceTree, Vec<ContentProblem>> {
    let archive_problem = |message: String| vec![ContentProblem::new("(archive)", None, message)];
    let decoder = flate2::read::GzDecoder::new(bytes);
    // The decompressed stream is bounded too, so a small bomb cannot fill memory.
    let mut archive = tar::Archive::new(decoder.take(MAX_TOTAL_BYTES + 1));
    let entries = archive
        .entries()
        .map_err(|e| archive_problem(format!("is not a tar.gz archive: {e}")))?;
    let mut tree = SourceTree::new();
    let mut problems = Vec::new();
    let mut total = 0u64;
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
        let size = entry.header().size().unwrap_or(u64::MAX);
        total = total.saturating_add(size);
        if size > MAX_FILE_BYTES || total > MAX_TOTAL_BYTES || tree.len() >= MAX_FILES {
            return Err(archive_problem(
                "is too large (at most 2,000 files, 2 MiB each, 32 MiB in all)".into(),
            ));
        }
        let mut contents = Vec::with_capacity(size as usize);
        entry
            .read_to_end(&mut contents)
            .map_err(|e| archive_problem(format!("could not be read: {e}")))?;
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
        tree.insert(relative, contents);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(strip_single_root(tree))
}

fn strip_single_root(tree: SourceTree) -> SourceTree {
    if tree.contains_key("course.toml") {
        return tree;
    }
    let roots: std::collections::BTreeSet<&str> = tree
        .keys()
        .filter_map(|k| k.split_once('/').map(|(r, _)| r))
        .collect();
    let has_loose_files = tree.keys().any(|k| !k.contains('/'));
    match roots.iter().next() {
        Some(root)
            if roots.len() == 1
                && !has_loose_files
                && tree.contains_key(&format!("{root}/course.toml")) =>
        {
            let prefix = format!("{root}/");
            tree.into_iter()
                .map(|(k, v)| (k.strip_prefix(&prefix).unwrap_or(&k).to_owned(), v))
                .collect()
        }
        _ => tree,
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
        let tree = from_tar_gz(&archive).unwrap();
        assert!(tree.contains_key("course.toml"));
        assert!(tree.contains_key("modules/1-a/module.toml"));
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
            let problems = from_tar_gz(&archive).unwrap_err();
            assert_eq!(problems.len(), 1, "{path}: {problems:?}");
        }
    }

    #[test]
    fn refuses_garbage_and_bombs() {
        assert!(from_tar_gz(b"not an archive").is_err());
        let big = vec![0u8; (MAX_FILE_BYTES + 1) as usize];
        let archive = tar_gz(&[("course.toml", &big, tar::EntryType::Regular)]);
        assert!(from_tar_gz(&archive).is_err());
    }
}
