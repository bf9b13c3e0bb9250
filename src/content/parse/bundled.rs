//! The files of `films/` a course bundles: film blocks pointed at their public URLs, posters
//! checked, and every file accounted for.

use std::collections::BTreeMap;

use crate::content::source::SourceTree;
use crate::content::{Block, ContentProblem, CourseMedia, FilmUse, Module};
use crate::media::{self, MediaKind};

/// Posters are small pictures; a larger file is a mistake.
pub const MAX_POSTER_BYTES: u64 = 2 * 1024 * 1024;

/// Points film blocks that play a file of `films/` at the file's public URL, with its type and
/// size; lists every file used, and every problem: a missing file, a poster that is not the
/// image it says, a file no film uses.
pub(super) fn resolve_media(
    tree: &SourceTree,
    modules: &mut [Module],
    problems: &mut Vec<ContentProblem>,
) -> Vec<CourseMedia> {
    let mut used: BTreeMap<String, CourseMedia> = BTreeMap::new();
    for page in modules.iter_mut().flat_map(|m| m.pages.iter_mut()) {
        for (block, line) in page.blocks.iter_mut().zip(&page.block_lines) {
            let Block::Film {
                src,
                content_type,
                size_bytes,
                poster_url,
                duration_seconds,
                subtitles,
                ..
            } = block
            else {
                continue;
            };
            let at = (page.file.as_str(), *line);
            if !src.starts_with("https://") {
                if let Some((kind, entry)) = locate(tree, &mut used, problems, at, src, "file") {
                    entry.uses.push(FilmUse {
                        page: page.file.clone(),
                        line: *line,
                        duration_seconds: *duration_seconds,
                        subtitles: subtitles.clone(),
                    });
                    *content_type = Some(kind.content_type().to_owned());
                    *size_bytes = Some(entry.file.size);
                    *src = media::public_url(&entry.file.sha256, kind);
                }
            }
            let Some(poster) = poster_url.clone() else {
                continue;
            };
            *poster_url = None;
            if let Some((kind, entry)) = locate(tree, &mut used, problems, at, &poster, "poster") {
                if !kind.signature_matches(&entry.file.head) {
                    problems.push(ContentProblem::new(
                        &poster,
                        None,
                        format!("is not a {} image", kind.extension()),
                    ));
                } else if entry.file.size > MAX_POSTER_BYTES {
                    problems.push(ContentProblem::new(
                        &poster,
                        None,
                        "a poster may be at most 2 MiB",
                    ));
                }
                *poster_url = Some(media::public_url(&entry.file.sha256, kind));
            }
        }
    }
    for path in tree.media.keys() {
        if media::kind_of_path(path).is_some() && !used.contains_key(path) {
            problems.push(ContentProblem::new(
                path.clone(),
                None,
                "no film uses this file (as its src or poster)",
            ));
        }
    }
    used.into_values().collect()
}

/// The file of the tree a film block names, recorded as used; a problem at the block when it is
/// not there.
fn locate<'a>(
    tree: &SourceTree,
    used: &'a mut BTreeMap<String, CourseMedia>,
    problems: &mut Vec<ContentProblem>,
    (page, line): (&str, usize),
    path: &str,
    what: &str,
) -> Option<(MediaKind, &'a mut CourseMedia)> {
    let kind = media::kind_of_path(path)?;
    let Some(file) = tree.media.get(path) else {
        problems.push(ContentProblem::new(
            page,
            Some(line),
            format!("the film's {what} {path} does not exist"),
        ));
        return None;
    };
    let entry = used.entry(path.to_owned()).or_insert_with(|| CourseMedia {
        path: path.to_owned(),
        kind,
        file: file.clone(),
        uses: Vec::new(),
    });
    Some((kind, entry))
}
