//! The command line, run as a real process.

use std::process::Command;

use crate::helpers::{spawn_app, ENCRYPTION_KEYS, JWT_SECRET};

pub fn mentorsti() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mentorsti"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("JWT_SECRET", JWT_SECRET)
        .env("ENCRYPTION_KEYS", ENCRYPTION_KEYS);
    command
}

#[test]
fn content_check_lists_every_problem_and_exits_non_zero() {
    let output = mentorsti()
        .args([
            "content",
            "check",
            concat!(env!("CARGO_MANIFEST_DIR"), "/content"),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("no problems"));

    let dir = std::env::temp_dir().join(format!(
        "mentorsti-bad-content-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(dir.join("modules/1-a")).unwrap();
    std::fs::write(dir.join("course.toml"), "title = \"x\"\n").unwrap();
    std::fs::write(
        dir.join("modules/1-a/module.toml"),
        "number = 1\ntitle = \"A\"\nsummary = \"s\"\nestimated_minutes = 5\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("modules/1-a/01-side.md"),
        "+++\ntitle = \"Side\"\nestimated_minutes = 5\n+++\nTekst uten spørsmål\n",
    )
    .unwrap();
    let output = mentorsti()
        .args(["content", "check"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout.contains("course.toml"), "{stdout}");
    assert!(
        stdout.contains("modules/1-a/01-side.md: the page has no reflection question"),
        "{stdout}"
    );
    assert!(
        stdout.contains("literature/literature.toml: is missing"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_configuration_is_reported_by_name() {
    let output = mentorsti()
        .env("BIND", "nowhere")
        .env("MAIL_TRANSPORT", "pigeon")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("BIND") && stderr.contains("MAIL_TRANSPORT"),
        "{stderr}"
    );
}

#[tokio::test]
async fn create_admin_makes_an_account_that_can_sign_in() {
    let app = spawn_app().await;
    let run = |password: &str| {
        mentorsti()
            .env("DATABASE_URL", &app.db.url)
            .env("MENTORSTI_ADMIN_PASSWORD", password)
            .env(
                "CONTENT_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/content"),
            )
            .args([
                "create-admin",
                "--email",
                "Sjef@Example.no",
                "--name",
                "Sjefen",
            ])
            .output()
            .unwrap()
    };
    let weak = run("password1234");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
    let made = run("Et langt og godt administratorpassord");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let response = app
        .login("sjef@example.no", "Et langt og godt administratorpassord")
        .await;
    assert_eq!(response.status(), 200);
    let again = run("Et langt og godt administratorpassord");
    assert!(!again.status.success(), "the email is taken");
}

#[tokio::test]
async fn demo_seed_fills_four_municipalities_once() {
    let app = spawn_app().await;
    let run = || {
        mentorsti()
            .args(["demo", "seed"])
            .env("DATABASE_URL", &app.db.url)
            .env("MAIL_TRANSPORT", "log")
            .env(
                "CONTENT_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/content"),
            )
            .output()
            .unwrap()
    };
    let output = run();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("koordinator@demo.mentorsti.no"), "{stdout}");
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Every demo account has the password: "))
        .unwrap()
        .to_owned();
    assert_eq!(
        app.login("koordinator@demo.mentorsti.no", &password)
            .await
            .status(),
        200
    );
    let sql = app.sql().await;
    let rows = sql
        .query(
            "SELECT m.number,
                    (SELECT count(*) FROM users u WHERE u.municipality_id = m.id)
                  + (SELECT count(*) FROM invitations i WHERE i.municipality_id = m.id)
             FROM municipalities m ORDER BY m.number",
            &[],
        )
        .await
        .unwrap();
    let counts: Vec<(String, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        counts,
        vec![
            ("3203".into(), 17),
            ("3301".into(), 16),
            ("3303".into(), 11),
            ("3312".into(), 15)
        ]
    );
    let stages: i64 = sql
        .query_one("SELECT count(DISTINCT stage) FROM mentor_progress", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stages, 5, "mentors at every stage");
    let again = run();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already"));
}

/// A PATH with everything but ffmpeg's tools: the directories of PATH, mirrored as links
/// without ffprobe and ffmpeg.
fn path_without_ffprobe() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mentorsti-no-ffprobe-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .filter_map(|p| std::fs::read_dir(p).ok())
        .flatten()
        .flatten()
    {
        let name = entry.file_name();
        if name == "ffprobe" || name == "ffmpeg" || dir.join(&name).exists() {
            continue;
        }
        let _ = std::os::unix::fs::symlink(entry.path(), dir.join(&name));
    }
    dir
}

#[test]
fn content_check_passes_the_bundled_course_and_stats_print_the_inventory() {
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/content");
    let output = mentorsti()
        .args(["content", "stats", bundled])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("| module | pages | words | films (length) |"),
        "{stdout}"
    );
    assert!(stdout.contains("| **total** | "), "{stdout}");
    assert!(
        stdout.contains("| erfaren-mentor-forteller | 2 | "),
        "{stdout}"
    );
    let check = mentorsti()
        .args(["content", "check", bundled])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{stdout}");
    assert!(stdout.contains("6 films"), "{stdout}");
    // The bundled course declares honest minutes and readable subtitles: nothing to warn of.
    assert!(stdout.contains("no problems, 0 warning(s)"), "{stdout}");
    assert!(!stdout.contains("warning: "), "{stdout}");
}

/// Without ffprobe a bundled film cannot be checked: `content check` (like an admin upload)
/// says so and fails, naming the package to install.
#[test]
fn content_check_without_ffprobe_names_ffmpeg() {
    let path = path_without_ffprobe();
    let output = mentorsti()
        .env("PATH", &path)
        .args([
            "content",
            "check",
            concat!(env!("CARGO_MANIFEST_DIR"), "/content"),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("films/veiledningssamtalen.webm: cannot be checked: ffprobe was not found on this server (install Debian's ffmpeg package: apt-get install ffmpeg)"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&path);
}

/// The quick start needs only Rust and PostgreSQL: without ffprobe the bundled course is still
/// published on first start, its films unchecked, with a warning in the log.
#[tokio::test]
async fn the_bundled_course_is_published_without_ffprobe() {
    let db = crate::helpers::TestDatabase::create().await;
    let path = path_without_ffprobe();
    let output = mentorsti()
        .env("PATH", &path)
        .env("DATABASE_URL", &db.url)
        .env("MAIL_TRANSPORT", "log")
        .env("LOG_FORMAT", "json")
        .env(
            "CONTENT_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/content"),
        )
        .env(
            "MENTORSTI_ADMIN_PASSWORD",
            "Et langt og godt administratorpassord",
        )
        .args(["create-admin", "--email", "a@example.no", "--name", "A"])
        .output()
        .unwrap();
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{logs}");
    assert!(
        logs.contains("bundled film published without a media check"),
        "{logs}"
    );
    let published: i64 = db
        .client()
        .await
        .query_one("SELECT count(*) FROM content_current", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(published, 1);
    let _ = std::fs::remove_dir_all(&path);
}
