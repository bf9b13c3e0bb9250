//! What a line of text a person reads may hold, checked in code and said again as the JSON Schema
//! patterns of the document; and an email address in the form it is compared and stored in.

use unicode_normalization::UnicodeNormalization;

/// Characters no line of text a person reads may hold: controls (C0, DEL, C1), line and
/// paragraph separators, and the bidirectional overrides that can make a name in a mail read
/// as something else.
fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The same rule as a JSON Schema pattern (ECMA-262 and Python agree on this syntax): no
/// forbidden character, and at least one that is not white space.
pub const LINE_PATTERN: &str = concat!(
    r"^[^\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]*",
    r"[^\s\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]",
    r"[^\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]*$"
);

/// One line of printable text, `1..=max` characters as sent, trimmed and in Unicode NFC.
pub fn line(value: &str, max: usize) -> Result<String, String> {
    let length = value.chars().count();
    if length > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value.chars().any(forbidden) {
        return Err("must be one line of text without control characters".into());
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be blank".into());
    }
    Ok(trimmed.nfc().collect())
}

/// The schema pattern of a person's name: a line (as [`LINE_PATTERN`]) without markup
/// characters or anything that reads as a link.
pub const NAME_PATTERN: &str = concat!(
    r"^(?!.*(?:://|[Ww][Ww][Ww]\.))",
    r"[^<>\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]*",
    r"[^<>\s\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]",
    r"[^<>\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]*$"
);

/// A person's name: a line of at most `max` characters that carries no markup and no link, since
/// names travel into mail to addresses their owner may not hold (a sign-up, an invitation).
pub fn name(value: &str, max: usize) -> Result<String, String> {
    let name = line(value, max)?;
    let lower = name.to_lowercase();
    if name.contains(['<', '>']) || lower.contains("://") || lower.contains("www.") {
        return Err("must be a name, without links or markup".into());
    }
    Ok(name)
}

/// An email address in the form it is compared and stored in: trimmed, NFC, lower case.
pub fn normalize_email(email: &str) -> String {
    email.trim().nfc().collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_and_name_patterns_say_what_the_checks_do() {
        // The schema's patterns, read by a real regular-expression engine (Python's `re`, as
        // schemathesis uses), accept exactly what `line` and `name` accept.
        let cases = [
            "Kari",
            " Kari ",
            "",
            "  ",
            "a\tb",
            "a\u{7f}",
            "a\u{85}b",
            "Åse",
            "a\u{2066}b",
            "Kari <i>",
            "se http://x.no",
            "Www.x.no",
            "O'Brien-Ås",
            "e.post@example.no",
        ];
        for (pattern, check) in [
            (
                LINE_PATTERN,
                line as fn(&str, usize) -> Result<String, String>,
            ),
            (NAME_PATTERN, name),
        ] {
            let script = format!(
                "import re, json, sys\np = re.compile({pattern:?})\nprint(json.dumps([bool(p.search(c)) for c in json.loads(sys.argv[1])]))",
            );
            let output = std::process::Command::new("python3")
                .args(["-c", &script, &serde_json::to_string(&cases).unwrap()])
                .output()
                .expect("python3");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let by_pattern: Vec<bool> = serde_json::from_slice(&output.stdout).unwrap();
            let by_check: Vec<bool> = cases.iter().map(|c| check(c, 200).is_ok()).collect();
            assert_eq!(by_pattern, by_check, "{pattern}: {cases:?}");
        }
    }
}
