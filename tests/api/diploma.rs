//! The diploma (`GET /me/certificate.pdf`) read back with real tools: poppler's `pdfinfo`,
//! `pdffonts`, `pdftotext` and `pdftoppm` (Debian's poppler-utils) and zbar's `zbarimg` for
//! the QR code (zbar-tools).

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{assert_problem, spawn_app, Account, TestApp};
use crate::webinars::new_series;

/// A mentor named `name` who writes `language` ("nb" or "nn") and has completed the programme:
/// path and note (submitted `note_submitted_at`, or now) arranged in the database, a series'
/// three sessions attended through the API. Returns the account, its token, the series (as
/// created) and the certificate (as `GET /me/certificate` shows it).
async fn certified(
    app: &TestApp,
    name: &str,
    language: &str,
    note_submitted_at: Option<DateTime<Utc>>,
) -> (Account, String, Value, Value) {
    let email = format!("mentor-{}@example.no", Uuid::new_v4().simple());
    let account = app.create_user(mentorsti::auth::Role::Mentor, &email).await;
    app.sql()
        .await
        .execute(
            "UPDATE users SET name = $1 WHERE id = $2",
            &[&name, &account.id],
        )
        .await
        .unwrap();
    let sql = app.sql().await;
    sql.execute(
        "INSERT INTO path_completions (user_id) VALUES ($1)",
        &[&account.id],
    )
    .await
    .unwrap();
    sql.execute(
        "INSERT INTO reflection_notes (user_id, version, body, status, submitted_at) VALUES ($1, 1, $2, 'submitted', coalesce($3, now()))",
        &[&account.id, &"Refleksjon over egen praksis. ".repeat(20), &note_submitted_at],
    )
    .await
    .unwrap();
    let token = app.access_token(&account).await;
    let response = app
        .patch("/me", &token, &json!({ "language": language }))
        .await;
    assert_eq!(response.status(), 200, "PATCH /me language");
    let (_, _, facilitator, series) = new_series(app, 12).await;
    let id = series["id"].as_str().unwrap();
    let response = app
        .post(
            &format!("/webinar-series/{id}/registrations"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 201);
    for n in 1..=3 {
        let response = app
            .put(
                &format!("/facilitator/series/{id}/sessions/{n}/attendance"),
                &facilitator,
                &json!([{"user_id": account.id, "attended": true}]),
            )
            .await;
        assert_eq!(response.status(), 200, "attendance {n}");
    }
    let certificate = app.get_json("/me/certificate", &token).await;
    assert_eq!(certificate["name"], name);
    (account, token, series, certificate)
}

/// Downloads the diploma, checks the answer's headers, and keeps the file in a fresh folder.
async fn download(app: &TestApp, token: &str, code: &str) -> (PathBuf, PathBuf) {
    let response = app.get("/me/certificate.pdf", token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"kursbevis-{code}.pdf\"").as_str()
    );
    let pdf = response.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = std::env::temp_dir().join(format!("mentorsti-diploma-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("kursbevis.pdf");
    std::fs::write(&file, &pdf).unwrap();
    (dir, file)
}

/// Runs a tool of poppler or zbar and returns what it printed; fails with its errors if it does.
fn run(tool: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let output = Command::new(tool)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap_or_else(|e| panic!("{tool} runs ({e}): apt-get install poppler-utils zbar-tools"));
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// `pdfinfo`: one page, A4 (210 × 297 mm is 595.28 × 841.89 pt).
fn assert_one_a4_page(file: &Path) {
    let info = run("pdfinfo", &[&file]);
    let field = |name: &str| {
        info.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|rest| rest.trim().to_owned())
            .unwrap_or_else(|| panic!("pdfinfo names {name}: {info}"))
    };
    assert_eq!(field("Pages:"), "1", "{info}");
    let size = field("Page size:");
    let numbers: Vec<f64> = size
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        (numbers[0] - 595.28).abs() < 1.0 && (numbers[1] - 841.89).abs() < 1.0,
        "A4: {size}"
    );
    assert!(size.contains("(A4)"), "{size}");
}

/// `pdffonts`: every font is embedded (a subset) and has a Unicode map, so the text can be
/// selected, searched and read aloud.
fn assert_fonts_embedded(file: &Path) {
    let listing = run("pdffonts", &[&file]);
    let mut lines = listing.lines();
    let header = lines.next().expect("a header");
    // The columns are fixed-width: the dashes under the header mark them.
    let dashes = lines.next().expect("the dashes under the header");
    let mut columns = Vec::new();
    let mut start = None;
    for (i, c) in dashes.char_indices().chain([(dashes.len(), ' ')]) {
        match (c, start) {
            ('-', None) => start = Some(i),
            (' ', Some(s)) => {
                columns.push((header[s..i].trim().to_owned(), s, i));
                start = None;
            }
            _ => {}
        }
    }
    let column = |row: &str, name: &str| {
        let (_, s, e) = columns
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("pdffonts has {name}: {header}"));
        row.get(*s..(*e).min(row.len()))
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    let fonts: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
    assert!(fonts.len() >= 2, "the diploma uses its fonts: {listing}");
    for font in fonts {
        assert!(column(font, "name").contains("DejaVu"), "{listing}");
        assert_eq!(column(font, "emb"), "yes", "embedded: {listing}");
        assert_eq!(column(font, "sub"), "yes", "subsetted: {listing}");
        assert_eq!(column(font, "uni"), "yes", "a Unicode map: {listing}");
    }
}

/// The page rendered at 100 dpi as PNG, with the text `zbarimg` reads from its QR code.
fn render_and_scan(dir: &Path, file: &Path) -> (PathBuf, String) {
    let prefix = dir.join("page");
    run(
        "pdftoppm",
        &[&"-r", &"100", &"-png", &"-singlefile", &file, &prefix],
    );
    let png = dir.join("page.png");
    let scanned = run("zbarimg", &[&"-q", &"--raw", &png]);
    (png, scanned.trim_end_matches('\n').to_owned())
}

/// "3. mai 2026".
fn long_date(date: NaiveDate) -> String {
    let months = [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ];
    format!(
        "{}. {} {}",
        date.day(),
        months[date.month0() as usize],
        date.year()
    )
}

/// The day of a moment in Oslo, written out.
fn oslo_long_date(at: &str) -> String {
    let local = DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Oslo);
    long_date(local.date_naive())
}

fn session_dates(series: &Value) -> Vec<String> {
    series["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| oslo_long_date(s["starts_at"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn a_mentor_downloads_the_diploma_and_a_reader_can_check_it() {
    let app = spawn_app().await;
    let name = "Áile Ŋuolle Čáhppes";
    let (_, token, series, certificate) = certified(&app, name, "nb", None).await;
    let code = certificate["verification_code"].as_str().unwrap();
    let verify_url = certificate["verify_url"].as_str().unwrap();
    let (dir, file) = download(&app, &token, code).await;

    assert_one_a4_page(&file);
    assert_fonts_embedded(&file);
    let text = run("pdftotext", &[&"-enc", &"UTF-8", &file, &"-"]);
    // The Sami letters come back out as they went in: the glyphs are embedded and mapped.
    assert!(text.contains(name), "the name, letter for letter:\n{text}");
    for expected in [
        "KURSBEVIS",
        "Mentoropplæring i lindrende behandling",
        "Dette bekrefter at",
        code,
        verify_url,
        "Modul 1",
        "Modul 2",
        "Modul 3",
        "Modul 4",
        "Modul 5",
        // The modules' titles, from the published course in bokmål.
        "Mentorrollen og veiledningsprosessen",
        "Makt, etikk og samspill i gruppen",
        "Refleksjonsnotat",
        "timer",
        "Utstedt av Mentoropplæringen, mentorsti.test",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    for (n, date) in session_dates(&series).iter().enumerate() {
        let line = format!("Webinar {}: {date}", n + 1);
        assert!(text.contains(&line), "{line:?} in:\n{text}");
    }
    let completed =
        NaiveDate::parse_from_str(certificate["completed_on"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    let completed = long_date(completed);
    assert!(text.contains(&format!("Fullført {completed}")), "{text}");

    let (_, scanned) = render_and_scan(&dir, &file);
    assert_eq!(scanned, verify_url, "the QR code leads to the check");
    std::fs::remove_dir_all(&dir).unwrap();

    // A revoked certificate has no diploma any more.
    let (_, admin) = app.user_with_token(mentorsti::auth::Role::Admin).await;
    let response = app
        .post(
            &format!("/admin/certificates/{code}/revoke"),
            &admin,
            &json!({"reason": "Utstedt ved en feil."}),
        )
        .await;
    assert_eq!(response.status(), 200, "revoked");
    assert_problem(
        app.get("/me/certificate.pdf", &token).await,
        410,
        "certificate_revoked",
    )
    .await;
}

#[tokio::test]
async fn a_nynorsk_mentor_s_diploma_is_in_nynorsk() {
    let app = spawn_app().await;
    let (_, token, series, certificate) = certified(&app, "Ingrid Haugland", "nn", None).await;
    let code = certificate["verification_code"].as_str().unwrap();
    let (dir, file) = download(&app, &token, code).await;
    assert_one_a4_page(&file);
    let text = run("pdftotext", &[&"-enc", &"UTF-8", &file, &"-"]);
    for expected in [
        "Ingrid Haugland",
        "Mentoropplæring i lindrande behandling",
        "Dette stadfestar at",
        "har gjennomført opplæringa",
        "Mentorrolla og rettleiingsprosessen",
        "timar",
        "Tre webinar i refleksjonsgruppe",
        "Utferda av Mentoropplæringen",
        "Skann QR-koden eller gå til adressa:",
        code,
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    for bokmal in ["bekrefter", "lindrende", "timer", "webinarer", "Utstedt"] {
        assert!(!text.contains(bokmal), "no bokmål {bokmal:?} in:\n{text}");
    }
    for date in session_dates(&series) {
        assert!(text.contains(&date), "{date} in:\n{text}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn there_is_no_diploma_before_the_certificate_nor_without_a_token() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(mentorsti::auth::Role::Mentor).await;
    assert_problem(
        app.get("/me/certificate.pdf", &token).await,
        404,
        "not_found",
    )
    .await;
    let anonymous = app
        .client
        .get(app.api("/me/certificate.pdf"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
}

/// The README's picture of the diploma (docs/diploma.png): a certificate with fixed dates and
/// code, so the picture changes only when the diploma does; it is renewed then.
#[tokio::test]
async fn the_readme_shows_the_diploma_as_it_is() {
    let app = spawn_app().await;
    let submitted = DateTime::parse_from_rfc3339("2026-09-14T10:30:00+02:00")
        .unwrap()
        .with_timezone(&Utc);
    let (account, token, series, _) =
        certified(&app, "Áile Ŋuolle Čáhppes", "nb", Some(submitted)).await;
    let code = "7KXP-M4QR-W9TD-H3NE";
    let sql = app.sql().await;
    sql.execute(
        "UPDATE certificates SET verification_code = $1, completed_on = '2026-11-26' WHERE user_id = $2",
        &[&code, &account.id],
    )
    .await
    .unwrap();
    let series_id: Uuid = series["id"].as_str().unwrap().parse().unwrap();
    sql.execute(
        "UPDATE webinar_sessions SET starts_at = timestamptz '2026-10-01 18:00+02' + (number - 1) * interval '3 weeks' WHERE series_id = $1",
        &[&series_id],
    )
    .await
    .unwrap();
    let (dir, file) = download(&app, &token, code).await;
    let (png, scanned) = render_and_scan(&dir, &file);
    assert_eq!(
        scanned,
        "http://mentorsti.test/certificate/7KXP-M4QR-W9TD-H3NE"
    );
    let picture = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diploma.png");
    let fresh = std::fs::read(&png).unwrap();
    if std::fs::read(&picture).ok().as_deref() != Some(fresh.as_slice()) {
        std::fs::write(&picture, &fresh).unwrap();
        println!("renewed docs/diploma.png");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
