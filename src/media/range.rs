//! What to send for a request of a stored file: the rules of RFC 9110 for `Range`, `If-Range`
//! and `If-None-Match`, as pure functions of the header values.

/// The answer to a GET with (or without) a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// 200: the whole file (no range, another unit, several ranges, or a stale `If-Range`).
    Full,
    /// 206: bytes `start..=end`.
    Partial { start: u64, end: u64 },
    /// 416: the range is malformed or lies outside the file.
    Unsatisfiable,
}

/// Decides a GET of a file of `size` bytes (never 0) whose strong entity tag is `etag`
/// (with its quotes).
pub fn decide(range: Option<&str>, if_range: Option<&str>, etag: &str, size: u64) -> RangeAnswer {
    let Some(range) = range else {
        return RangeAnswer::Full;
    };
    // If-Range with anything but our current entity tag (a date, an older tag, a weak tag):
    // the client's partial copy may be stale, so it gets the whole file.
    if if_range.is_some_and(|value| value.trim() != etag) {
        return RangeAnswer::Full;
    }
    let Some((unit, set)) = range.split_once('=') else {
        return RangeAnswer::Unsatisfiable;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        // A range unit we do not know is ignored (RFC 9110, 14.2).
        return RangeAnswer::Full;
    }
    if set.contains(',') {
        // One range at a time: players ask for one; several would need multipart answers.
        return RangeAnswer::Full;
    }
    let Some((first, last)) = set.trim().split_once('-') else {
        return RangeAnswer::Unsatisfiable;
    };
    let (first, last) = (first.trim(), last.trim());
    match (number(first), number(last)) {
        // bytes=-n: the last n bytes.
        (None, Some(suffix)) if first.is_empty() => {
            if suffix == 0 {
                RangeAnswer::Unsatisfiable
            } else {
                RangeAnswer::Partial {
                    start: size.saturating_sub(suffix),
                    end: size - 1,
                }
            }
        }
        // bytes=a- : from a to the end.
        (Some(start), None) if last.is_empty() && start < size => RangeAnswer::Partial {
            start,
            end: size - 1,
        },
        // bytes=a-b
        (Some(start), Some(end)) if start <= end && start < size => RangeAnswer::Partial {
            start,
            end: end.min(size - 1),
        },
        _ => RangeAnswer::Unsatisfiable,
    }
}

/// A decimal number of digits only; one too large for u64 counts as u64::MAX (a last byte
/// beyond any file, which is clamped).
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse().unwrap_or(u64::MAX))
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison, as RFC 9110 asks for it).
pub fn none_match(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "\"abc\"";

    fn get(range: &str) -> RangeAnswer {
        decide(Some(range), None, TAG, 1000)
    }

    #[test]
    fn single_ranges_of_each_form() {
        assert_eq!(
            get("bytes=0-99"),
            RangeAnswer::Partial { start: 0, end: 99 }
        );
        assert_eq!(
            get("bytes=900-"),
            RangeAnswer::Partial {
                start: 900,
                end: 999
            }
        );
        assert_eq!(
            get("bytes=-100"),
            RangeAnswer::Partial {
                start: 900,
                end: 999
            }
        );
        assert_eq!(
            get("bytes=-5000"),
            RangeAnswer::Partial { start: 0, end: 999 }
        );
        assert_eq!(
            get("bytes=990-5000"),
            RangeAnswer::Partial {
                start: 990,
                end: 999
            }
        );
        assert_eq!(
            get("bytes=5-99999999999999999999999"),
            RangeAnswer::Partial { start: 5, end: 999 }
        );
        assert_eq!(
            get("Bytes = 1 - 2"),
            RangeAnswer::Partial { start: 1, end: 2 }
        );
    }

    #[test]
    fn bad_and_outside_ranges_are_unsatisfiable() {
        for range in [
            "bytes=1000-",
            "bytes=1000-1001",
            "bytes=-0",
            "bytes=5-2",
            "bytes=abc",
            "bytes=a-b",
            "bytes=",
            "bytes=-",
            "bytes=--1",
            "bytes=1-2-3",
            "bytes",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(get(range), RangeAnswer::Unsatisfiable, "{range}");
        }
    }

    #[test]
    fn other_units_several_ranges_and_stale_if_range_get_everything() {
        assert_eq!(decide(None, None, TAG, 10), RangeAnswer::Full);
        assert_eq!(get("items=0-1"), RangeAnswer::Full);
        assert_eq!(get("bytes=0-1,5-6"), RangeAnswer::Full);
        for stale in ["\"other\"", "W/\"abc\"", "Wed, 21 Oct 2015 07:28:00 GMT"] {
            assert_eq!(
                decide(Some("bytes=0-1"), Some(stale), TAG, 10),
                RangeAnswer::Full,
                "{stale}"
            );
        }
        assert_eq!(
            decide(Some("bytes=0-1"), Some(TAG), TAG, 10),
            RangeAnswer::Partial { start: 0, end: 1 }
        );
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        assert!(none_match("\"abc\"", TAG));
        assert!(none_match("W/\"abc\"", TAG));
        assert!(none_match("\"x\", \"abc\"", TAG));
        assert!(none_match("*", TAG));
        assert!(!none_match("\"abcd\"", TAG));
    }
}
