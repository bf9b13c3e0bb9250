//! The progress report as CSV: UTF-8 with a BOM (so spreadsheet programs read æøå right), a
//! header row, one row per mentor, written in chunks as the response body goes out.

use actix_web::web::Bytes;
use futures_util::stream::{self, Stream};

use super::store::follow_up::ProgressRow;
use super::{CsvDelimiter, CsvLabels};
use crate::error::AppError;

/// Rows per chunk of the response body.
const ROWS_PER_CHUNK: usize = 500;

pub const HEADER: [&str; 14] = [
    "kommunenummer",
    "kommune",
    "navn",
    "e-post",
    "arbeidssted",
    "moduler_fullfort",
    "moduler_totalt",
    "laeringssti",
    "refleksjonsnotat",
    "webinarer",
    "program_fullfort",
    "selvregistrert",
    "sist_aktiv",
    "bruker_id",
];

/// The same columns in words, for [`CsvLabels::Norwegian`].
pub const HEADER_IN_WORDS: [&str; 14] = [
    "Kommunenummer",
    "Kommune",
    "Navn",
    "E-post",
    "Arbeidssted",
    "Moduler fullført",
    "Moduler totalt",
    "Læringssti",
    "Refleksjonsnotat",
    "Webinarer",
    "Program fullført",
    "Selvregistrert",
    "Sist aktiv (norsk tid)",
    "Bruker-ID",
];

/// How the cells that are codes and times are written.
struct Labels(CsvLabels);

impl Labels {
    fn header(&self) -> [&'static str; 14] {
        match self.0 {
            CsvLabels::Codes => HEADER,
            CsvLabels::Norwegian => HEADER_IN_WORDS,
        }
    }

    fn path(&self, status: crate::learning::PathStatus) -> &'static str {
        use crate::learning::PathStatus::*;
        match (self.0, status) {
            (CsvLabels::Codes, status) => status.as_str(),
            (_, NotStarted) => "Ikke startet",
            (_, InProgress) => "Påbegynt",
            (_, Completed) => "Fullført",
        }
    }

    fn note(&self, status: crate::reflection::NoteStatus) -> &'static str {
        use crate::reflection::NoteStatus::*;
        match (self.0, status) {
            (CsvLabels::Codes, status) => status.as_str(),
            (_, None) => "Ikke påbegynt",
            (_, Draft) => "Utkast",
            (_, Submitted) => "Levert",
        }
    }

    fn webinars(&self, status: crate::webinars::WebinarProgress) -> &'static str {
        use crate::webinars::WebinarProgress::*;
        match (self.0, status) {
            (CsvLabels::Codes, status) => status.as_str(),
            (_, None) => "Ikke påmeldt",
            (_, Waitlisted) => "På venteliste",
            (_, Confirmed) => "Påmeldt",
            (_, Completed) => "Fullført",
        }
    }

    /// UTC in RFC 3339 as codes; in words, the local time in Oslo as a spreadsheet reads it.
    fn time(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        match self.0 {
            CsvLabels::Codes => at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            CsvLabels::Norwegian => at
                .with_timezone(&chrono_tz::Europe::Oslo)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        }
    }
}

impl CsvDelimiter {
    /// The byte that separates fields.
    pub fn byte(self) -> u8 {
        match self {
            CsvDelimiter::Comma => b',',
            CsvDelimiter::Semicolon => b';',
        }
    }
}

/// The report as a stream of chunks; the first carries the BOM and the header.
pub fn csv_stream(
    rows: Vec<ProgressRow>,
    delimiter: u8,
    labels: CsvLabels,
) -> impl Stream<Item = Result<Bytes, AppError>> {
    let mut chunks: Vec<Vec<ProgressRow>> = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        chunks.push(rows.by_ref().take(ROWS_PER_CHUNK).collect());
    }
    let header = stream::once(async move { encode(&[], delimiter, true, labels) });
    let body = stream::iter(chunks).map(move |chunk| encode(&chunk, delimiter, false, labels));
    header.chain(body)
}

use futures_util::StreamExt;

fn encode(
    rows: &[ProgressRow],
    delimiter: u8,
    header: bool,
    labels: CsvLabels,
) -> Result<Bytes, AppError> {
    let labels = Labels(labels);
    let yes_no = |yes: bool| match (labels.0, yes) {
        (CsvLabels::Codes, true) => "ja",
        (CsvLabels::Codes, false) => "nei",
        (CsvLabels::Norwegian, true) => "Ja",
        (CsvLabels::Norwegian, false) => "Nei",
    };
    let mut out = Vec::with_capacity(64 + rows.len() * 160);
    if header {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let fail = |e: csv::Error| AppError::internal(format!("csv: {e}"));
        if header {
            writer.write_record(labels.header()).map_err(fail)?;
        }
        for row in rows {
            let modules_done = row.modules_done.to_string();
            let modules_total = row.modules_total.to_string();
            let last_active = row
                .last_active_at
                .map(|t| labels.time(t))
                .unwrap_or_default();
            let user_id = row.user_id.to_string();
            writer
                .write_record(
                    [
                        row.municipality_number.as_str(),
                        &row.municipality_name,
                        &row.name,
                        &row.email,
                        row.workplace.as_deref().unwrap_or(""),
                        &modules_done,
                        &modules_total,
                        labels.path(row.path_status),
                        labels.note(row.note_status),
                        labels.webinars(row.webinar_status),
                        yes_no(row.programme_completed),
                        yes_no(row.self_enrolled),
                        &last_active,
                        &user_id,
                    ]
                    .map(|cell| defuse(cell).into_owned()),
                )
                .map_err(fail)?;
        }
        writer
            .flush()
            .map_err(|e| AppError::internal(format!("csv: {e}")))?;
    }
    Ok(Bytes::from(out))
}

/// Every cell of every CSV we write passes here: one that a spreadsheet would take for a
/// formula (`=`, `+`, `-`, `@`, tab or CR first) is prefixed with `'`. Our own cells (numbers,
/// codes, times) never start so, and names a person typed or a municipality's name may.
pub fn defuse(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    fn row(name: &str) -> ProgressRow {
        ProgressRow {
            user_id: Uuid::nil(),
            municipality_id: Uuid::nil(),
            municipality_number: "3203".into(),
            municipality_name: "Asker".into(),
            name: name.into(),
            sort_name: name.to_lowercase(),
            email: "kari@asker.kommune.no".into(),
            workplace: Some("Risenga bo- og behandlingssenter; avd. 2".into()),
            self_enrolled: false,
            last_active_at: Some(Utc.with_ymd_and_hms(2026, 11, 20, 9, 30, 0).unwrap()),
            created_at: Utc.with_ymd_and_hms(2026, 11, 1, 9, 30, 0).unwrap(),
            modules_done: 2,
            modules_total: 4,
            path_status: crate::learning::PathStatus::InProgress,
            note_status: crate::reflection::NoteStatus::Draft,
            webinar_status: crate::webinars::WebinarProgress::None,
            programme_completed: false,
            stage: super::super::Stage::InProgress,
        }
    }

    #[test]
    fn writes_bom_header_and_quoted_rows() {
        let bytes = encode(&[], b';', true, CsvLabels::Codes).unwrap();
        assert!(bytes.starts_with("\u{feff}kommunenummer;kommune;navn".as_bytes()));
        let body = encode(&[row("Kari Ødegård")], b';', false, CsvLabels::Codes).unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        assert_eq!(
            text,
            "3203;Asker;Kari Ødegård;kari@asker.kommune.no;\"Risenga bo- og behandlingssenter; avd. 2\";2;4;in_progress;draft;none;nei;nei;2026-11-20T09:30:00Z;00000000-0000-0000-0000-000000000000\r\n"
        );
    }

    #[test]
    fn norwegian_labels_are_words_and_oslo_time() {
        let head = encode(&[], b';', true, CsvLabels::Norwegian).unwrap();
        assert!(std::str::from_utf8(&head)
            .unwrap()
            .starts_with("\u{feff}Kommunenummer;Kommune;Navn;E-post"));
        let body = encode(&[row("Kari")], b';', false, CsvLabels::Norwegian).unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        assert!(
            text.contains(";Påbegynt;Utkast;Ikke påmeldt;Nei;Nei;2026-11-20 10:30;"),
            "{text}"
        );
    }

    #[test]
    fn formulas_are_defused() {
        let body = encode(&[row("=HYPERLINK(\"x\")")], b',', false, CsvLabels::Codes).unwrap();
        assert!(std::str::from_utf8(&body)
            .unwrap()
            .contains("\"'=HYPERLINK(\"\"x\"\")\""));
    }

    #[test]
    fn every_text_column_is_defused_for_every_formula_prefix() {
        for prefix in ["=", "+", "-", "@", "\t", "\r"] {
            let evil = format!("{prefix}cmd|' /C calc'!A0");
            let mut mentor = row(&evil);
            mentor.email = evil.clone();
            mentor.workplace = Some(evil.clone());
            mentor.municipality_name = evil.clone();
            mentor.municipality_number = evil.clone();
            let body = encode(&[mentor], b',', false, CsvLabels::Codes).unwrap();
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(body.as_ref());
            let record = reader.records().next().unwrap().unwrap();
            for (column, cell) in record.iter().enumerate() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "column {column} ({}) holds {cell:?} for prefix {prefix:?}",
                    HEADER[column]
                );
            }
            assert_eq!(&record[1], format!("'{evil}"));
        }
    }
}
