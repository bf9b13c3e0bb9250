//! The list of people to invite, from JSON or from a CSV file a coordinator exported from a
//! spreadsheet: parsing and the checks that need no database. Pure and unit-tested.

use std::collections::HashSet;

use serde::Serialize;
use utoipa::ToSchema;

/// The most rows one upload may hold.
pub const MAX_ROWS: usize = 5_000;

/// One person to invite, with the row it came from (CSV: the line number in the file, the
/// header being line 1; JSON: the position in the list, from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub row: usize,
    pub email: String,
    pub name: Option<String>,
}

/// Why an entry was not invited. Stable codes clients can switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    InvalidEmail,
    InvalidName,
    /// The same address appears earlier in the same upload.
    DuplicateInFile,
    AlreadyAUser,
    /// An invitation to the address is pending (neither accepted nor expired).
    AlreadyInvited,
    /// The row could not be read (wrong number of fields, say).
    MalformedRow,
}

impl SkipReason {
    pub fn message(self) -> &'static str {
        match self {
            SkipReason::InvalidEmail => "is not a valid email address",
            SkipReason::InvalidName => {
                "the name must be one line of at most 200 characters, without links or markup"
            }
            SkipReason::DuplicateInFile => "appears earlier in the same list",
            SkipReason::AlreadyAUser => "already has an account",
            SkipReason::AlreadyInvited => "already has a pending invitation",
            SkipReason::MalformedRow => "the row could not be read",
        }
    }
}

/// An entry left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub row: usize,
    pub email: String,
    pub reason: SkipReason,
}

/// A file that cannot be read at all (as opposed to single bad rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem(pub String);

/// Reads a CSV upload with header `email,name` (name optional, column order free, header case
/// ignored), UTF-8 with or without BOM, comma- or semicolon-separated (decided by the header).
pub fn parse_csv(bytes: &[u8]) -> Result<(Vec<Invitee>, Vec<Skipped>), FileProblem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        FileProblem(format!(
            "the file is not UTF-8 (byte {}); save it as \"CSV UTF-8\"",
            e.valid_up_to() + 1
        ))
    })?;
    // Row numbers are the file's line numbers, found from each record's byte offset (the csv
    // crate's own line count skips blank lines and miscounts CRLF).
    let line_starts = line_starts(text);
    let line_of = |position: Option<&csv::Position>| {
        position.map_or(0, |p| {
            // A record's position is where reading it began, before the line breaks it skipped.
            let mut at = p.byte() as usize;
            while matches!(text.as_bytes().get(at), Some(b'\r' | b'\n')) {
                at += 1;
            }
            line_starts.partition_point(|&start| start <= at)
        })
    };
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = if header_line.matches(';').count() > header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| FileProblem("the header row could not be read".into()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let email_col = column("email").ok_or_else(|| {
        FileProblem("the header must name the columns `email` and (optionally) `name`".into())
    })?;
    let name_col = column("name");
    let width = headers.len();

    let mut invitees = Vec::new();
    let mut skipped = Vec::new();
    for record in reader.records() {
        let (row, record) = match record {
            Ok(record) => (line_of(record.position()), record),
            Err(error) => {
                let row = line_of(error.position());
                skipped.push(Skipped {
                    row,
                    email: String::new(),
                    reason: SkipReason::MalformedRow,
                });
                continue;
            }
        };
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        if invitees.len() + skipped.len() >= MAX_ROWS {
            return Err(FileProblem(format!(
                "the file has more than {MAX_ROWS} rows; split it into smaller files"
            )));
        }
        let email = record.get(email_col).unwrap_or("").to_owned();
        if record.len() > width {
            skipped.push(Skipped {
                row,
                email,
                reason: SkipReason::MalformedRow,
            });
            continue;
        }
        let name = name_col.and_then(|c| record.get(c)).map(str::to_owned);
        invitees.push(Invitee { row, email, name });
    }
    Ok((invitees, skipped))
}

/// Where each line starts: after `\n`, `\r\n` or a lone `\r` (all end a CSV record).
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (i, byte) in bytes.iter().enumerate() {
        let ends_line = *byte == b'\n' || (*byte == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        if ends_line {
            starts.push(i + 1);
        }
    }
    starts
}

/// Normalises every entry (trimmed, lower-cased email; blank name is none) and sets aside the
/// invalid ones and repeats; what is left still has to pass the database checks.
pub fn check(invitees: Vec<Invitee>) -> (Vec<Invitee>, Vec<Skipped>) {
    let mut seen = HashSet::new();
    let mut good = Vec::new();
    let mut skipped = Vec::new();
    for invitee in invitees {
        // The same normal form as everywhere (NFC, lower case), so the NFC and NFD spellings of
        // one address are one invitation.
        let email = crate::http::fields::normalize_email(&invitee.email);
        let name = invitee
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| crate::http::fields::name(n, 200));
        let reason =
            if email.chars().count() > 254 || !validator::ValidateEmail::validate_email(&email) {
                Some(SkipReason::InvalidEmail)
            } else if name.as_ref().is_some_and(|n| n.is_err()) {
                Some(SkipReason::InvalidName)
            } else if !seen.insert(email.clone()) {
                Some(SkipReason::DuplicateInFile)
            } else {
                None
            };
        match reason {
            Some(reason) => skipped.push(Skipped {
                row: invitee.row,
                email: invitee.email.trim().to_owned(),
                reason,
            }),
            None => good.push(Invitee {
                row: invitee.row,
                email,
                name: name.and_then(Result::ok),
            }),
        }
    }
    (good, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(invitees: &[Invitee]) -> Vec<(usize, &str, Option<&str>)> {
        invitees
            .iter()
            .map(|i| (i.row, i.email.as_str(), i.name.as_deref()))
            .collect()
    }

    #[test]
    fn reads_comma_and_semicolon_files_with_or_without_bom() {
        let comma = "email,name\nkari@asker.kommune.no,Kari Nordmann\nola@asker.kommune.no,\n";
        let (invitees, skipped) = parse_csv(comma.as_bytes()).unwrap();
        assert!(skipped.is_empty());
        assert_eq!(
            rows(&invitees),
            vec![
                (2, "kari@asker.kommune.no", Some("Kari Nordmann")),
                (3, "ola@asker.kommune.no", Some(""))
            ]
        );

        let semicolon = "\u{feff}Name;Email\r\n\"Nordmann, Kari\";kari@asker.kommune.no\r\n";
        let (invitees, _) = parse_csv(semicolon.as_bytes()).unwrap();
        assert_eq!(
            rows(&invitees),
            vec![(2, "kari@asker.kommune.no", Some("Nordmann, Kari"))]
        );

        let crlf = b"email;name\r\na@b.no;A\r\nc@d.no;C\r\n\r\nd@e.no;D\r\n";
        let (invitees, _) = parse_csv(crlf).unwrap();
        let lines: Vec<usize> = invitees.iter().map(|i| i.row).collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }

    #[test]
    fn a_name_column_is_optional_and_blank_lines_are_ignored() {
        let (invitees, skipped) = parse_csv(b"email\n\na@b.no\n\n c@d.no \n").unwrap();
        assert!(skipped.is_empty());
        assert_eq!(
            rows(&invitees),
            vec![(3, "a@b.no", None), (5, " c@d.no ", None)]
        );
    }

    #[test]
    fn refuses_files_it_cannot_read() {
        assert!(parse_csv(b"navn,epost\nKari,k@a.no\n").is_err());
        assert!(parse_csv(b"").is_err());
        let latin1 = b"email,name\nk@a.no,Kj\xf8lsrud\n";
        let problem = parse_csv(latin1).unwrap_err();
        assert!(problem.0.contains("UTF-8"), "{problem:?}");
        let mut big = String::from("email\n");
        for i in 0..=MAX_ROWS {
            big.push_str(&format!("m{i}@asker.no\n"));
        }
        assert!(parse_csv(big.as_bytes()).is_err());
    }

    #[test]
    fn rows_with_too_many_fields_are_listed_not_fatal() {
        let (invitees, skipped) = parse_csv(b"email,name\na@b.no,A,extra\nc@d.no,C\n").unwrap();
        assert_eq!(rows(&invitees), vec![(3, "c@d.no", Some("C"))]);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].row, 2);
        assert_eq!(skipped[0].reason, SkipReason::MalformedRow);
    }

    #[test]
    fn checks_addresses_names_and_repeats() {
        let input = vec![
            Invitee {
                row: 2,
                email: " Kari@Asker.no ".into(),
                name: Some("  Kari ".into()),
            },
            Invitee {
                row: 3,
                email: "not an email".into(),
                name: None,
            },
            Invitee {
                row: 4,
                email: "kari@asker.no".into(),
                name: None,
            },
            Invitee {
                row: 5,
                email: "ola@asker.no".into(),
                name: Some("x".repeat(201)),
            },
            Invitee {
                row: 6,
                email: "per@asker.no".into(),
                name: Some("   ".into()),
            },
        ];
        let (good, skipped) = check(input);
        assert_eq!(
            rows(&good),
            vec![
                (2, "kari@asker.no", Some("Kari")),
                (6, "per@asker.no", None)
            ]
        );
        let reasons: Vec<_> = skipped.iter().map(|s| (s.row, s.reason)).collect();
        assert_eq!(
            reasons,
            vec![
                (3, SkipReason::InvalidEmail),
                (4, SkipReason::DuplicateInFile),
                (5, SkipReason::InvalidName)
            ]
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        /// CSV-like bytes: the delimiters, quotes, line ends and BOM the reader handles, in any
        /// order, with arbitrary bytes (invalid UTF-8 included) between.
        fn csv_like() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop_oneof![
                Just(b"email".to_vec()),
                Just(b"name".to_vec()),
                Just(b",".to_vec()),
                Just(b";".to_vec()),
                Just(b"\"".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"\n".to_vec()),
                Just(b"\r".to_vec()),
                Just(b"\xEF\xBB\xBF".to_vec()),
                Just(b"kari@asker.kommune.no".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..8),
            ];
            proptest::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn any_upload_is_read_or_refused_without_panic(bytes in csv_like()) {
                if let Ok((invitees, skipped)) = parse_csv(&bytes) {
                    let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).into_owned();
                    let lines = line_starts(&text).len();
                    for row in invitees.iter().map(|i| i.row).chain(skipped.iter().map(|s| s.row)) {
                        prop_assert!(row >= 2 && row <= lines, "row {row} of {lines} lines");
                    }
                    let _ = check(invitees);
                }
            }
        }
    }
}
