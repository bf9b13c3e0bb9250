//! The progress report as CSV: UTF-8 with a BOM (so spreadsheet programs read æøå right), a
//! header row, one row per mentor, written in chunks as the response body goes out.

use actix_web::web::Bytes;
use futures_util::stream::{self, Stream};

use super::store::follow_up::ProgressRow;
use super::CsvDelimiter;
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
) -> impl Stream<Item = Result<Bytes, AppError>> {
    let mut chunks: Vec<Vec<ProgressRow>> = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        chunks.push(rows.by_ref().take(ROWS_PER_CHUNK).collect());
    }
    let header = stream::once(async move { encode(&[], delimiter, true) });
    let body = stream::iter(chunks).map(move |chunk| encode(&chunk, delimiter, false));
    header.chain(body)
}

use futures_util::StreamExt;

fn encode(rows: &[ProgressRow], delimiter: u8, header: bool) -> Result<Bytes, AppError> {
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
            writer.write_record(HEADER).map_err(fail)?;
        }
        for row in rows {
            let modules_done = row.modules_done.to_string();
            let modules_total = row.modules_total.to_string();
            let last_active = row
                .last_active_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
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
                        row.path_status.as_str(),
                        row.note_status.as_str(),
                        row.webinar_status.as_str(),
                        if row.programme_completed { "ja" } else { "nei" },
                        if row.self_enrolled { "ja" } else { "nei" },
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
        let bytes = encode(&[], b';', true).unwrap();
        assert!(bytes.starts_with("\u{feff}kommunenummer;kommune;navn".as_bytes()));
        let body = encode(&[row("Kari Ødegård")], b';', false).unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        assert_eq!(
            text,
            "3203;Asker;Kari Ødegård;kari@asker.kommune.no;\"Risenga bo- og behandlingssenter; avd. 2\";2;4;in_progress;draft;none;nei;nei;2026-11-20T09:30:00Z;00000000-0000-0000-0000-000000000000\r\n"
        );
    }

    #[test]
    fn formulas_are_defused() {
        let body = encode(&[row("=HYPERLINK(\"x\")")], b',', false).unwrap();
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
            let body = encode(&[mentor], b',', false).unwrap();
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
