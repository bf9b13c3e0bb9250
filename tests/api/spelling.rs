//! The bundled course's spelling in both written forms, against Debian's hunspell dictionaries
//! (hunspell-no, which .ci/run installs) and the word lists in content/.

use std::path::Path;

use mentorsti::content::spelling::{self, Dictionaries};
use mentorsti::language::Language;

use crate::cli::mentorsti;

const BUNDLED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/content");

fn dictionaries() -> Dictionaries {
    Dictionaries::load(Path::new(spelling::DEFAULT_DIR))
        .unwrap_or_else(|e| panic!("{e}: the spelling tests need hunspell-no"))
}

/// Each form has under 1 % words its dictionary and the word lists do not know, and reads as
/// its own form: the other form's dictionary knows it far worse.
#[test]
fn the_bundled_course_is_spelt_right_in_both_forms() {
    let tree = mentorsti::content::source::from_dir(Path::new(BUNDLED)).expect("content/ reads");
    let report = spelling::check(&tree, &dictionaries()).expect("the dictionaries build");
    assert!(report.notes.is_empty(), "word lists: {:#?}", report.notes);
    let unknown: Vec<String> = report.unknown.iter().map(ToString::to_string).collect();
    for language in [Language::Bokmal, Language::Nynorsk] {
        let form = report
            .form(language)
            .unwrap_or_else(|| panic!("the course has {} text", language.name()));
        assert!(form.words > 10_000, "{form}");
        assert!(
            form.unknown_share() < spelling::STRICT_SHARE,
            "{form}\n{}",
            unknown.join("\n")
        );
        assert!(
            form.other_share() >= 5.0 * form.unknown_share().max(0.002),
            "{} does not read as {}: {form}",
            language.name(),
            language.name()
        );
    }
}

/// `content check --strict-spelling` passes the bundled course and prints each form's figures.
#[test]
fn content_check_prints_the_spelling_figures_of_each_form() {
    let output = mentorsti()
        .args(["content", "check", "--strict-spelling", BUNDLED])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for (form, own, other) in [("bokmål", "nb_NO", "nn_NO"), ("nynorsk", "nn_NO", "nb_NO")] {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{form}: ")))
            .unwrap_or_else(|| panic!("no figures for {form}:\n{stdout}"));
        assert!(line.contains(&format!("unknown to {own} (")), "{line}");
        assert!(line.contains(&format!("unknown to {other} (")), "{line}");
    }
}

/// A misspelling is a warning with its place; `--strict-spelling` fails a form with too many;
/// without the dictionaries the check says so and skips the spelling.
#[test]
fn content_check_warns_of_misspellings_and_is_strict_only_when_asked() {
    let dir = std::env::temp_dir().join(format!("mentorsti-spelling-{}", uuid::Uuid::new_v4()));
    copy_dir(Path::new(BUNDLED), &dir);
    let page = dir.join("modules/2-veiledningsprosessen/02-mentorrollen.md");
    let text = std::fs::read_to_string(&page).unwrap();
    let lines = text.lines().count();
    std::fs::write(&page, format!("{text}\nDette er en setnig med feill.\n")).unwrap();
    let run = |args: &[&str]| {
        let output = mentorsti()
            .args(["content", "check"])
            .args(args)
            .arg(&dir)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };

    let (ok, stdout) = run(&[]);
    assert!(ok, "{stdout}");
    let place = format!(
        "modules/2-veiledningsprosessen/02-mentorrollen.md:{}",
        lines + 2
    );
    assert!(
        stdout.contains(&format!("{place}: unknown word «setnig» (nb)")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{place}: unknown word «feill» (nb)")),
        "{stdout}"
    );
    // Two words in thirty thousand: still under 1 %.
    let (ok, stdout) = run(&["--strict-spelling"]);
    assert!(ok, "{stdout}");

    let (ok, stdout) = run(&["--strict-spelling", "--dictionaries", "/nonexistent"]);
    assert!(
        stdout.contains("spelling not checked: the hunspell dictionaries are missing"),
        "{stdout}"
    );
    assert!(!ok, "strict spelling without dictionaries must fail");

    // A page of gibberish puts bokmål over 1 %.
    let gibberish = "blorp snarfel quibbit ".repeat(200);
    std::fs::write(&page, format!("{text}\n{gibberish}\n")).unwrap();
    let (ok, stdout) = run(&[]);
    assert!(ok, "spelling findings alone never fail the check: {stdout}");
    let (ok, _) = run(&["--strict-spelling"]);
    assert!(!ok, "--strict-spelling fails over 1 % unknown");
    let _ = std::fs::remove_dir_all(&dir);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
