//! The container image builds from exactly what the Dockerfile copies. No Docker engine runs
//! here, so the build stage's `COPY` lines are laid out in a temporary directory (leaving out
//! what `.dockerignore` excludes) and every file the compiler read for this very binary (its
//! dep-info: sources, `include_bytes!`/`include_str!` files, embedded migrations) must be there.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `COPY <src>... <dest>` of the first stage, with the stage's `WORKDIR`.
struct BuildStage {
    workdir: String,
    copies: Vec<(Vec<String>, String)>,
}

fn build_stage(dockerfile: &str) -> BuildStage {
    let mut stage = BuildStage {
        workdir: "/".into(),
        copies: Vec::new(),
    };
    let mut froms = 0;
    for line in dockerfile.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match words.next().map(str::to_ascii_uppercase).as_deref() {
            Some("FROM") => {
                froms += 1;
                if froms > 1 {
                    break;
                }
            }
            Some("WORKDIR") => stage.workdir = words.next().unwrap_or("/").to_owned(),
            Some("COPY") | Some("ADD") => {
                let args: Vec<String> = words
                    .filter(|w| !w.starts_with("--"))
                    .map(str::to_owned)
                    .collect();
                assert!(
                    !line.contains("--from"),
                    "the build stage copies only from the context: {line}"
                );
                let (dest, sources) = args.split_last().expect("COPY names a destination");
                stage.copies.push((sources.to_vec(), dest.clone()));
            }
            _ => {}
        }
    }
    stage
}

/// `.dockerignore` as Docker reads it, for the patterns this repository uses: a path, `*`
/// within a segment, `**` for any number of segments. Exceptions (`!`) are refused so the
/// check stays honest.
fn ignored(patterns: &[String], path: &str) -> bool {
    patterns.iter().any(|pattern| {
        let pattern = pattern.trim_start_matches('/').trim_end_matches('/');
        let parts: Vec<&str> = path.split('/').collect();
        // A pattern matching a directory excludes everything under it.
        (1..=parts.len()).any(|n| matches_glob(pattern, &parts[..n].join("/")))
    })
}

fn matches_glob(pattern: &str, path: &str) -> bool {
    fn segments(p: &[&str], s: &[&str]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(&"**"), _) => segments(&p[1..], s) || (!s.is_empty() && segments(p, &s[1..])),
            (Some(p0), Some(s0)) => segment(p0, s0) && segments(&p[1..], &s[1..]),
            _ => false,
        }
    }
    fn segment(p: &str, s: &str) -> bool {
        match p.split_once('*') {
            None => p == s,
            Some((head, tail)) => {
                s.starts_with(head)
                    && (0..=s.len() - head.len()).any(|i| {
                        s.is_char_boundary(head.len() + i) && segment(tail, &s[head.len() + i..])
                    })
            }
        }
    }
    let p: Vec<&str> = pattern.split('/').collect();
    let s: Vec<&str> = path.split('/').collect();
    segments(&p, &s)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Lays the build stage's context out under `root` (as `WORKDIR`-relative paths) and returns
/// what was laid out.
fn lay_out(stage: &BuildStage, patterns: &[String], root: &Path) -> BTreeSet<String> {
    let mut laid = BTreeSet::new();
    for (sources, dest) in &stage.copies {
        for source in sources {
            let from = repo().join(source);
            assert!(
                from.exists(),
                "the Dockerfile copies {source}, which is missing"
            );
            let files = if from.is_dir() {
                files_under(&from)
            } else {
                vec![from.clone()]
            };
            for file in files {
                let relative = file
                    .strip_prefix(repo())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if ignored(patterns, &relative) {
                    continue;
                }
                // `COPY dir ./dir` copies the directory's contents; `COPY a b ./` keeps names.
                let inside = if from.is_dir() {
                    file.strip_prefix(&from).unwrap().to_path_buf()
                } else {
                    PathBuf::from(file.file_name().unwrap())
                };
                let target = Path::new(dest.trim_start_matches("./")).join(inside);
                let at = root.join(&target);
                std::fs::create_dir_all(at.parent().unwrap()).unwrap();
                std::fs::copy(&file, &at).unwrap();
                laid.insert(target.to_string_lossy().into_owned());
            }
        }
    }
    laid
}

/// Every file under the repository that the compiler read to build this binary and its library.
///
/// `cargo build` leaves `target/debug/mentorsti.d` beside the binary, but `cargo test` on a clean
/// checkout does not, so this reads the per-unit dep-info under `deps/` that every build writes.
/// Files named there that no longer exist (an older build's unit) are left out.
fn files_the_build_reads() -> BTreeSet<String> {
    let binary = Path::new(env!("CARGO_BIN_EXE_mentorsti"));
    let deps = binary.parent().unwrap().join("deps");
    let mut dep_infos: Vec<PathBuf> = std::fs::read_dir(&deps)
        .unwrap_or_else(|e| panic!("the build's deps directory {}: {e}", deps.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("mentorsti-") && name.ends_with(".d")
        })
        .collect();
    dep_infos.extend(Some(binary.with_extension("d")).filter(|p| p.is_file()));
    assert!(
        !dep_infos.is_empty(),
        "no dep-info for mentorsti under {}",
        deps.display()
    );
    let root = format!("{}/", repo().display());
    let mut files: BTreeSet<String> = dep_infos
        .iter()
        .flat_map(|path| {
            std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .flat_map(|line| line.split_once(": ").map(|(_, deps)| deps.to_owned()))
        .flat_map(|deps| {
            deps.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter_map(|path| path.strip_prefix(&root).map(str::to_owned))
        .filter(|file| repo().join(file).is_file())
        .collect();
    files.insert("Cargo.toml".into());
    files.insert("Cargo.lock".into());
    files
}

#[test]
fn the_image_build_stage_copies_every_file_the_build_reads() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let stage = build_stage(&dockerfile);
    assert_eq!(stage.workdir, "/src", "the paths below assume WORKDIR /src");
    let patterns: Vec<String> = std::fs::read_to_string(repo().join(".dockerignore"))
        .expect("a .dockerignore keeps target/ and local state out of the build context")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    assert!(patterns.iter().all(|p| !p.starts_with('!')));
    for local in ["target/debug/mentorsti", ".git/HEAD", ".data/jwt-secret"] {
        assert!(
            ignored(&patterns, local),
            ".dockerignore must leave out {local}"
        );
    }
    assert!(ignored(
        &patterns,
        "web/e2e/node_modules/playwright-core/package.json"
    ));

    let root = std::env::temp_dir().join(format!("mentorsti-image-{}", uuid::Uuid::new_v4()));
    let laid = lay_out(&stage, &patterns, &root);
    let read = files_the_build_reads();
    assert!(
        read.iter().any(|f| f.starts_with("web/"))
            && read.iter().any(|f| f.starts_with("migrations/")),
        "the dep-info names the embedded client and migrations: {read:?}"
    );
    let missing: Vec<&String> = read
        .iter()
        .filter(|file| !root.join(file).is_file())
        .collect();
    let _ = std::fs::remove_dir_all(&root);
    assert!(
        missing.is_empty(),
        "the Dockerfile's build stage does not bring these files the build reads: {missing:?}\nlaid out: {} files",
        laid.len()
    );
    // The runtime stage serves the bundled course from what the build stage copied.
    assert!(laid.contains("content/course.toml"));
}

#[test]
fn dockerignore_patterns_match_as_docker_does() {
    let patterns = vec![
        "target".to_owned(),
        "**/node_modules".to_owned(),
        "*.log".to_owned(),
    ];
    assert!(ignored(&patterns, "target/release/mentorsti"));
    assert!(!ignored(&patterns, "src/target.rs"));
    assert!(ignored(&patterns, "web/e2e/node_modules/x/y.js"));
    assert!(ignored(&patterns, "node_modules/a"));
    assert!(ignored(&patterns, "server.log"));
    assert!(!ignored(&patterns, "logs/server.txt"));
    assert!(!ignored(&patterns, "web/app.js"));
}
