//! The diploma: the certificate as one A4 page a mentor can hand their leader or keep in their
//! personnel file, in the holder's written form — what the programme comprised, the completion
//! date, the issuer, the verification code and a QR code of the check's address.
//!
//! It is PDF/A-2u made with krilla: DejaVu embedded (subsetted) with a Unicode map for every
//! glyph, so the text (Sami letters too) is real, selectable text; the QR code is drawn as
//! vector modules. `render` is a pure function of a [`Diploma`].

use actix_web::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use krilla::action::{Action, LinkAction};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use qrcode::{EcLevel, QrCode};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use super::certificate;
use super::store;
use crate::error::{AppError, AppResult};
use crate::language::Language;
use crate::mail::templates::long_date;
use crate::AppState;

/// What the diploma says, gathered from the certificate, the content and the series.
#[derive(Debug, Clone)]
pub struct Diploma {
    pub language: Language,
    pub name: String,
    pub programme: String,
    pub modules: Vec<ModuleDone>,
    pub note_submitted_on: Option<NaiveDate>,
    pub webinars: Vec<WebinarDone>,
    pub completed_on: NaiveDate,
    pub issuer: String,
    pub verification_code: String,
    pub verify_url: String,
}

/// A module of the path: its title in the holder's form and the content's estimate of its time.
#[derive(Debug, Clone)]
pub struct ModuleDone {
    pub number: i32,
    pub title: String,
    pub minutes: i32,
    /// Skipped as done before (the module allows it): no hours are claimed for it.
    pub skipped: bool,
}

/// A webinar session attended, dated in Oslo.
#[derive(Debug, Clone)]
pub struct WebinarDone {
    pub number: i32,
    pub on: NaiveDate,
    pub minutes: i32,
}

/// The holder's diploma as a PDF, with the verification code (for the file's name). Rendering
/// takes some milliseconds of CPU (font subsetting), so it runs on a blocking thread.
pub async fn my_diploma_pdf(
    state: &AppState,
    user_id: Uuid,
    language: Language,
) -> AppResult<(String, Vec<u8>)> {
    let diploma = my_diploma(state, user_id, language).await?;
    let code = diploma.verification_code.clone();
    let pdf = tokio::task::spawn_blocking(move || render(&diploma))
        .await
        .map_err(AppError::internal)??;
    Ok((code, pdf))
}

/// What the holder's diploma says (none for a revoked certificate: 410 `certificate_revoked`,
/// as its credential): the certificate as `GET /me/certificate` shows it, the
/// published course's modules (titles and estimated minutes) in the holder's form, the note's
/// first submission and the certificate's series.
pub async fn my_diploma(state: &AppState, user_id: Uuid, language: Language) -> AppResult<Diploma> {
    let certificate = certificate::my_certificate(state, user_id, language).await?;
    if certificate.status == certificate::CertificateStatus::Revoked {
        return Err(AppError::rule(
            StatusCode::GONE,
            "certificate_revoked",
            "The certificate is revoked; it has no diploma.",
        ));
    }
    let revision = crate::learning::current_revision(state, language).await?;
    let mut conn = state.pool.get().await?;
    let skipped = crate::learning::skipped_modules(&mut conn, user_id).await?;
    let note_submitted_at = crate::reflection::first_submitted_at(&mut conn, user_id).await?;
    let series = match store::certificate_series_of(&mut conn, user_id).await? {
        Some(id) => store::find_series(&mut conn, id).await?,
        None => None,
    };
    drop(conn);
    let mut webinars: Vec<WebinarDone> = series
        .map(|series| {
            series
                .sessions
                .iter()
                .filter(|s| s.cancelled_at.is_none())
                .map(|s| WebinarDone {
                    number: s.number,
                    on: certificate::oslo_day(s.starts_at),
                    minutes: s.duration_minutes,
                })
                .collect()
        })
        .unwrap_or_default();
    webinars.sort_by_key(|w| w.number);
    let mut modules: Vec<ModuleDone> = revision
        .modules
        .iter()
        .map(|m| ModuleDone {
            number: m.number,
            title: m.title.clone(),
            minutes: m.estimated_minutes,
            skipped: m.skippable && skipped.contains(&m.number),
        })
        .collect();
    modules.sort_by_key(|m| m.number);
    Ok(Diploma {
        language,
        name: certificate.name,
        programme: certificate.programme,
        modules,
        note_submitted_on: note_submitted_at.map(certificate::oslo_day),
        webinars,
        completed_on: certificate.completed_on,
        issuer: issuer(state, language),
        verification_code: certificate.verification_code,
        verify_url: certificate.verify_url,
    })
}

/// The programme's sender as its mails and invitations name it, with the service's host.
fn issuer(state: &AppState, language: Language) -> String {
    let name = state.config.mail.from.name.clone().unwrap_or_else(|| {
        language
            .pick("Mentoropplæringen", "Mentoropplæringa")
            .to_owned()
    });
    match state.config.public_base_url.host_str() {
        Some(host) => format!("{name}, {host}"),
        None => name,
    }
}

/// Minutes as the hours a diploma claims: to the nearest half hour, at least half an hour,
/// with a decimal comma ("ca. 3,5 timer", nynorsk "om lag 3,5 timar").
pub fn hours(minutes: i32, language: Language) -> String {
    let halves = ((f64::from(minutes) / 30.0).round() as i64).max(1);
    let number = if halves % 2 == 0 {
        format!("{}", halves / 2)
    } else {
        format!("{},5", halves / 2)
    };
    let unit = if halves == 2 {
        "time"
    } else {
        language.pick("timer", "timar")
    };
    format!("{} {number} {unit}", language.pick("ca.", "om lag"))
}

// The page, in points (A4), with krilla's origin at the top left.
const PAGE_WIDTH: f32 = 595.276;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 72.0;

static SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static SANS_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
static SERIF_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSerif-Bold.ttf");

/// A font to draw with and measure by (rustybuzz shapes it as krilla does).
struct Face {
    font: Font,
    shaper: rustybuzz::Face<'static>,
}

impl Face {
    fn new(data: &'static [u8]) -> Result<Self, AppError> {
        let unparsed = || AppError::internal("an embedded font does not parse");
        Ok(Face {
            font: Font::new(data.into(), 0).ok_or_else(unparsed)?,
            shaper: rustybuzz::Face::from_slice(data, 0).ok_or_else(unparsed)?,
        })
    }

    /// How many of the letters of `text` this font lacks.
    fn lacks(&self, text: &str) -> usize {
        text.chars()
            .filter(|&c| self.shaper.glyph_index(c).is_none())
            .count()
    }

    /// `text` as this font can draw it in a PDF/A file, which must never show the `.notdef`
    /// glyph: composed (NFC), control characters as spaces, invisible format characters left
    /// out, and any other letter the font lacks (an emoji, say) as "?". Whatever a person
    /// typed as their name, the diploma renders.
    fn printable(&self, text: &str) -> String {
        text.nfc()
            .filter_map(|c| match c {
                c if c.is_control() => Some(' '),
                '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFFE}' => None,
                c if self.shaper.glyph_index(c).is_some() => Some(c),
                _ => Some('?'),
            })
            .collect()
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(&self.shaper, &[], buffer);
        let advance: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        advance as f32 / self.shaper.units_per_em() as f32 * size
    }

    /// `text` broken into lines no wider than `width`, at spaces (a word longer than the
    /// width stands alone on its line).
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in self.printable(text).split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.width(&candidate, size) > width {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

struct Faces {
    sans: Face,
    sans_bold: Face,
    serif_bold: Face,
}

const INK: (u8, u8, u8) = (33, 37, 41);
const MUTED: (u8, u8, u8) = (92, 99, 106);
const ACCENT: (u8, u8, u8) = (22, 78, 99);

fn paint((r, g, b): (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        ..Fill::default()
    }
}

/// Draws text on the page's surface in one colour at a time.
struct Pen<'a, 'b> {
    surface: &'a mut Surface<'b>,
}

impl Pen<'_, '_> {
    fn text(&mut self, face: &Face, size: f32, colour: (u8, u8, u8), x: f32, y: f32, text: &str) {
        self.surface.set_fill(Some(paint(colour)));
        self.surface.draw_text(
            Point::from_xy(x, y),
            face.font.clone(),
            size,
            &face.printable(text),
            false,
            TextDirection::Auto,
        );
    }

    fn centred(&mut self, face: &Face, size: f32, colour: (u8, u8, u8), y: f32, text: &str) {
        let x = (PAGE_WIDTH - face.width(&face.printable(text), size)) / 2.0;
        self.text(face, size, colour, x, y, text);
    }

    fn right(&mut self, face: &Face, size: f32, colour: (u8, u8, u8), x: f32, y: f32, text: &str) {
        let width = face.width(&face.printable(text), size);
        self.text(face, size, colour, x - width, y, text);
    }

    fn rule(&mut self, colour: (u8, u8, u8), width: f32, from: (f32, f32), to: (f32, f32)) {
        let mut path = PathBuilder::new();
        path.move_to(from.0, from.1);
        path.line_to(to.0, to.1);
        self.stroke(colour, width, path);
    }

    fn frame(&mut self, colour: (u8, u8, u8), width: f32, inset: f32) {
        let mut path = PathBuilder::new();
        if let Some(rect) = Rect::from_xywh(
            inset,
            inset,
            PAGE_WIDTH - 2.0 * inset,
            PAGE_HEIGHT - 2.0 * inset,
        ) {
            path.push_rect(rect);
        }
        self.stroke(colour, width, path);
    }

    fn stroke(&mut self, (r, g, b): (u8, u8, u8), width: f32, path: PathBuilder) {
        let Some(path) = path.finish() else { return };
        self.surface.set_fill(None);
        self.surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(r, g, b).into(),
            width,
            ..Stroke::default()
        }));
        self.surface.draw_path(&path);
        self.surface.set_stroke(None);
    }

    /// The QR code's dark modules as filled rectangles (runs of a row merged), `size` points
    /// square with its top left at (x, y); the page around it is the quiet zone.
    fn qr(&mut self, code: &QrCode, x: f32, y: f32, size: f32) {
        let n = code.width();
        let colours = code.to_colors();
        let module = size / n as f32;
        let mut path = PathBuilder::new();
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if colours[row * n + col] != qrcode::Color::Dark {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < n && colours[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                if let Some(rect) = Rect::from_xywh(
                    x + start as f32 * module,
                    y + row as f32 * module,
                    (col - start) as f32 * module,
                    module,
                ) {
                    path.push_rect(rect);
                }
            }
        }
        if let Some(path) = path.finish() {
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(paint((0, 0, 0))));
            self.surface.draw_path(&path);
        }
    }
}

/// The diploma as a one-page PDF/A-2u document.
pub fn render(diploma: &Diploma) -> Result<Vec<u8>, AppError> {
    let l = diploma.language;
    let faces = Faces {
        sans: Face::new(SANS)?,
        sans_bold: Face::new(SANS_BOLD)?,
        serif_bold: Face::new(SERIF_BOLD)?,
    };
    let code = QrCode::with_error_correction_level(diploma.verify_url.as_bytes(), EcLevel::M)
        .map_err(AppError::internal)?;
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_U)
        .finish()
        .map_err(|e| AppError::internal(format!("{e:?}")))?;
    let mut document = Document::new_with(SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    });
    let completed = diploma.completed_on;
    document.set_metadata(
        Metadata::new()
            .title(format!("Kursbevis – {}", diploma.name))
            .authors(vec![diploma.issuer.clone()])
            .language(l.as_str().to_owned())
            .creator("mentorsti".to_owned())
            // Dated the day the certificate was issued, so the same certificate always gives
            // the same file.
            .creation_date(
                krilla::metadata::DateTime::new(completed.year() as u16)
                    .month(completed.month() as u8)
                    .day(completed.day() as u8),
            ),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| AppError::internal("the A4 page size is invalid"))?;
    let mut page = document.start_page_with(settings);
    let link = {
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
        };
        let link = draw(&mut pen, &faces, diploma, &code);
        surface.finish();
        link
    };
    for rect in link {
        page.add_annotation(Annotation::new_link(
            LinkAnnotation::new(
                rect,
                Target::Action(Action::Link(LinkAction::new(diploma.verify_url.clone()))),
            ),
            // The same words in both forms.
            Some("Kontroller kursbeviset på nettet".to_owned()),
        ));
    }
    page.finish();
    document
        .finish()
        .map_err(|e| AppError::internal(format!("the diploma did not render: {e}")))
}

/// Lays the page out; returns where the check's address is clickable (the QR code and the
/// address under it).
fn draw(pen: &mut Pen<'_, '_>, faces: &Faces, diploma: &Diploma, code: &QrCode) -> Vec<Rect> {
    let l = diploma.language;
    let text_width = PAGE_WIDTH - 2.0 * MARGIN;
    pen.frame(ACCENT, 1.6, 28.0);
    pen.frame(ACCENT, 0.5, 33.0);

    pen.centred(&faces.serif_bold, 34.0, ACCENT, 122.0, "KURSBEVIS");
    let mut y = 158.0;
    for line in faces.serif_bold.wrap(&diploma.programme, 16.0, text_width) {
        pen.centred(&faces.serif_bold, 16.0, INK, y, &line);
        y += 21.0;
    }
    pen.rule(
        ACCENT,
        0.8,
        (PAGE_WIDTH / 2.0 - 60.0, y - 6.0),
        (PAGE_WIDTH / 2.0 + 60.0, y - 6.0),
    );

    y += 28.0;
    pen.centred(
        &faces.sans,
        11.0,
        MUTED,
        y,
        l.pick("Dette bekrefter at", "Dette stadfestar at"),
    );
    // The name on one line, smaller if it must be; on two (or, for the longest, more) only
    // if even 16 points is too wide. Letters the serif lacks and the sans has set the whole
    // name in the sans.
    y += 40.0;
    let name_face = if faces.serif_bold.lacks(&diploma.name) <= faces.sans_bold.lacks(&diploma.name)
    {
        &faces.serif_bold
    } else {
        &faces.sans_bold
    };
    let name = name_face.printable(&diploma.name);
    let mut size = 26.0;
    while size > 16.0 && name_face.width(&name, size) > text_width {
        size -= 1.0;
    }
    while size > 10.0 && name_face.wrap(&name, size, text_width).len() > 2 {
        size -= 1.0;
    }
    for line in name_face.wrap(&name, size, text_width) {
        pen.centred(name_face, size, INK, y, &line);
        y += size * 1.25;
    }
    y += 4.0;
    pen.centred(
        &faces.sans,
        11.0,
        MUTED,
        y,
        l.pick(
            "har gjennomført opplæringen, som omfattet:",
            "har gjennomført opplæringa, som omfatta:",
        ),
    );

    // What the programme comprised: a label, a description and the time, row by row.
    let label_x = MARGIN + 8.0;
    let text_x = label_x + 112.0;
    let right_x = PAGE_WIDTH - MARGIN - 8.0;
    let hours_width = 78.0;
    let row_size = 10.5;
    let leading = 14.0;
    y += 36.0;
    pen.rule(
        ACCENT,
        0.5,
        (MARGIN, y - 16.0),
        (PAGE_WIDTH - MARGIN, y - 16.0),
    );
    let row = |pen: &mut Pen<'_, '_>, y: &mut f32, label: &str, text: &str, time: &str| {
        pen.text(&faces.sans_bold, row_size, INK, label_x, *y, label);
        if !time.is_empty() {
            pen.right(&faces.sans, row_size, MUTED, right_x, *y, time);
        }
        let lines = faces
            .sans
            .wrap(text, row_size, right_x - hours_width - text_x);
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                *y += leading;
            }
            pen.text(&faces.sans, row_size, INK, text_x, *y, line);
        }
        *y += leading + 6.0;
    };
    let mut total = 0;
    for module in &diploma.modules {
        let time = if module.skipped {
            l.pick("gjennomført tidligere", "gjennomført tidlegare")
                .to_owned()
        } else {
            total += module.minutes;
            hours(module.minutes, l)
        };
        row(
            pen,
            &mut y,
            &format!("Modul {}", module.number),
            &module.title,
            &time,
        );
    }
    // "Levert" in both forms.
    let note = match diploma.note_submitted_on {
        Some(on) => format!("Levert {}", long_date(on)),
        None => "Levert".to_owned(),
    };
    row(pen, &mut y, "Refleksjonsnotat", &note, "");
    let webinar_minutes: i32 = diploma.webinars.iter().map(|w| w.minutes).sum();
    total += webinar_minutes;
    let next_module = diploma.modules.iter().map(|m| m.number).max().unwrap_or(4) + 1;
    row(
        pen,
        &mut y,
        &format!("Modul {next_module}"),
        l.pick(
            "Tre webinarer i refleksjonsgruppe",
            "Tre webinar i refleksjonsgruppe",
        ),
        &if webinar_minutes > 0 {
            hours(webinar_minutes, l)
        } else {
            String::new()
        },
    );
    y -= 4.0;
    for webinar in &diploma.webinars {
        pen.text(
            &faces.sans,
            row_size,
            MUTED,
            text_x + 12.0,
            y,
            &format!("Webinar {}: {}", webinar.number, long_date(webinar.on)),
        );
        y += leading;
    }
    y += 4.0;
    pen.rule(
        ACCENT,
        0.5,
        (MARGIN, y - 8.0),
        (PAGE_WIDTH - MARGIN, y - 8.0),
    );
    y += 8.0;
    pen.text(
        &faces.sans_bold,
        row_size,
        INK,
        label_x,
        y,
        l.pick("Til sammen", "Til saman"),
    );
    pen.right(
        &faces.sans_bold,
        row_size,
        INK,
        right_x,
        y,
        &hours(total, l),
    );

    y += 42.0;
    pen.centred(
        &faces.sans,
        11.0,
        INK,
        y,
        // "Fullført" in both forms.
        &format!("Fullført {}", long_date(diploma.completed_on)),
    );
    y += 18.0;
    pen.centred(
        &faces.sans,
        11.0,
        INK,
        y,
        &format!("{} {}", l.pick("Utstedt av", "Utferda av"), diploma.issuer),
    );

    // The check: a QR code of the address, the address and the code beside it.
    let qr_size = 118.0;
    let qr_top = PAGE_HEIGHT - MARGIN - qr_size + 4.0;
    let qr_left = MARGIN + 4.0;
    pen.qr(code, qr_left, qr_top, qr_size);
    let info_x = qr_left + qr_size + 22.0;
    let info_width = PAGE_WIDTH - MARGIN - info_x;
    let mut y = qr_top + 18.0;
    pen.text(
        &faces.sans_bold,
        11.0,
        ACCENT,
        info_x,
        y,
        "Kontroller at kursbeviset er ekte",
    );
    y += 17.0;
    pen.text(
        &faces.sans,
        9.5,
        INK,
        info_x,
        y,
        l.pick(
            "Skann QR-koden eller gå til adressen:",
            "Skann QR-koden eller gå til adressa:",
        ),
    );
    y += 15.0;
    let mut url_size = 9.5;
    while url_size > 6.0 && faces.sans.width(&diploma.verify_url, url_size) > info_width {
        url_size -= 0.5;
    }
    pen.text(
        &faces.sans,
        url_size,
        ACCENT,
        info_x,
        y,
        &diploma.verify_url,
    );
    let url_rect = Rect::from_xywh(
        info_x,
        y - url_size,
        faces.sans.width(&diploma.verify_url, url_size),
        url_size * 1.3,
    );
    y += 26.0;
    pen.text(&faces.sans, 9.5, MUTED, info_x, y, "Kontrollkode");
    y += 18.0;
    pen.text(
        &faces.sans_bold,
        14.0,
        INK,
        info_x,
        y,
        &diploma.verification_code,
    );
    [Rect::from_xywh(qr_left, qr_top, qr_size, qr_size), url_rect]
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diploma(language: Language) -> Diploma {
        let day = |d| NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
        Diploma {
            language,
            name: "Áile Ŋuolle Čáhppes".into(),
            programme: certificate::programme_in(certificate::PROGRAMME, language),
            modules: (1..=4)
                .map(|number| ModuleDone {
                    number,
                    title: format!("Modul nummer {number}"),
                    minutes: 100 + number * 30,
                    skipped: number == 1,
                })
                .collect(),
            note_submitted_on: Some(day(2)),
            webinars: (1..=3)
                .map(|number| WebinarDone {
                    number,
                    on: day(7 * number as u32),
                    minutes: 90,
                })
                .collect(),
            completed_on: day(28),
            issuer: "Mentoropplæringen, example.no".into(),
            verification_code: "ABCD-EFGH-JKLM-NPQR".into(),
            verify_url: "https://example.no/certificate/ABCD-EFGH-JKLM-NPQR".into(),
        }
    }

    #[test]
    fn hours_are_rounded_to_half_hours_in_the_reader_s_form() {
        assert_eq!(hours(228, Language::Bokmal), "ca. 4 timer");
        assert_eq!(hours(200, Language::Bokmal), "ca. 3,5 timer");
        assert_eq!(hours(200, Language::Nynorsk), "om lag 3,5 timar");
        assert_eq!(hours(55, Language::Nynorsk), "om lag 1 time");
        assert_eq!(hours(5, Language::Bokmal), "ca. 0,5 timer");
    }

    #[test]
    fn dates_are_written_out() {
        let date = NaiveDate::from_ymd_opt(2026, 5, 3).unwrap();
        assert_eq!(long_date(date), "3. mai 2026");
    }

    #[test]
    fn both_forms_render_as_pdf_a() {
        for language in [Language::Bokmal, Language::Nynorsk] {
            let pdf = render(&diploma(language)).unwrap();
            assert!(pdf.starts_with(b"%PDF-1."));
            // The archival identification krilla writes into the XMP metadata.
            let text = String::from_utf8_lossy(&pdf);
            assert!(text.contains("pdfaid:part"), "PDF/A metadata");
        }
    }

    #[test]
    fn any_name_renders_without_a_missing_glyph() {
        let face = Face::new(SERIF_BOLD).unwrap();
        // Decomposed letters are composed; what no font here has becomes "?"; invisible
        // characters go; a tab is a space.
        assert_eq!(
            face.printable("A\u{301}ile\u{200B}\tŊuolle 🌸 李"),
            "Áile Ŋuolle ? ?"
        );
        let long = "Áile Ŋuolle Čáhppes ".repeat(10);
        for name in ["Kari 🌸 Nordmann 李\u{FEFF}\u{0}", long.trim(), "ǅ ᚠ ẞ Ꝏ"] {
            let mut d = diploma(Language::Bokmal);
            d.name = name.to_owned();
            assert!(render(&d).is_ok(), "{name:?}");
        }
    }

    #[test]
    fn text_is_wrapped_at_spaces_within_the_width() {
        let face = Face::new(SANS).unwrap();
        let lines = face.wrap("Makt, etikk og samspill i gruppen", 10.0, 80.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| face.width(l, 10.0) <= 80.0));
        assert_eq!(lines.join(" "), "Makt, etikk og samspill i gruppen");
    }
}
