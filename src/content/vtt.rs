//! A WebVTT check: the file must parse, have at least one cue with valid timings, and say in its
//! header that it is Norwegian (`Language: nb`, `nn` or `no`).

/// Checks a subtitle file; each problem is (line, message).
pub fn check(text: &str) -> Vec<(usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut problems = Vec::new();
    match lines.first() {
        Some(first)
            if *first == "WEBVTT"
                || first.starts_with("WEBVTT ")
                || first.starts_with("WEBVTT\t") => {}
        _ => {
            problems.push((
                1,
                "a WebVTT file must start with the line WEBVTT".to_owned(),
            ));
            return problems;
        }
    }
    let mut index = 1;
    let mut language = None;
    while index < lines.len() && !lines[index].trim().is_empty() {
        if let Some((key, value)) = lines[index].split_once(':') {
            if key.trim().eq_ignore_ascii_case("language") {
                language = Some(value.trim().to_ascii_lowercase());
            }
        }
        index += 1;
    }
    let norwegian = language
        .as_deref()
        .map(|lang| ["nb", "nn", "no"].contains(&lang.split('-').next().unwrap_or("")))
        .unwrap_or(false);
    if !norwegian {
        problems.push((
            1,
            "the header must say the subtitles are Norwegian (Language: nb)".to_owned(),
        ));
    }

    let mut cues = 0;
    let mut previous_start = 0u64;
    while index < lines.len() {
        let line = lines[index].trim();
        if line.is_empty() {
            index += 1;
            continue;
        }
        if line.starts_with("NOTE") || line == "STYLE" || line == "REGION" {
            while index < lines.len() && !lines[index].trim().is_empty() {
                index += 1;
            }
            continue;
        }
        // An optional cue identifier, then the timing line.
        let timing_index = if line.contains("-->") {
            index
        } else {
            index + 1
        };
        let Some(timing) = lines.get(timing_index) else {
            problems.push((
                index + 1,
                "a cue identifier without a timing line".to_owned(),
            ));
            break;
        };
        match parse_timing(timing) {
            Some((start, end)) if start < end => {
                if start < previous_start {
                    problems.push((timing_index + 1, "cues must be in time order".to_owned()));
                }
                previous_start = start;
            }
            Some(_) => problems.push((
                timing_index + 1,
                "a cue must end after it starts".to_owned(),
            )),
            None => problems.push((
                timing_index + 1,
                format!("not a cue timing line: {:?}", timing.trim()),
            )),
        }
        let mut text_lines = 0;
        index = timing_index + 1;
        while index < lines.len() && !lines[index].trim().is_empty() {
            text_lines += 1;
            index += 1;
        }
        if text_lines == 0 {
            problems.push((timing_index + 1, "a cue without text".to_owned()));
        }
        cues += 1;
    }
    if cues == 0 {
        problems.push((lines.len().max(1), "the file has no cues".to_owned()));
    }
    problems
}

fn parse_timing(line: &str) -> Option<(u64, u64)> {
    let (start, rest) = line.split_once("-->")?;
    let end = rest.split_whitespace().next()?;
    Some((parse_timestamp(start.trim())?, parse_timestamp(end)?))
}

/// `HH:MM:SS.mmm` or `MM:SS.mmm` → milliseconds.
fn parse_timestamp(value: &str) -> Option<u64> {
    let (clock, millis) = value.split_once('.')?;
    if millis.len() != 3 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let numbers: Vec<u64> = parts
        .iter()
        .map(|p| {
            if p.len() >= 2 && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().ok()
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    let (hours, minutes, seconds) = match numbers.as_slice() {
        [m, s] => (0, *m, *s),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    if minutes > 59 || seconds > 59 {
        return None;
    }
    // Checked: an absurd hour count is a bad timestamp, not an overflow.
    hours
        .checked_mul(3_600_000)?
        .checked_add((minutes * 60 + seconds) * 1000 + millis.parse::<u64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "WEBVTT\nLanguage: nb\n\n1\n00:00:00.000 --> 00:00:02.500\nHei og velkommen.\n\n00:02.500 --> 00:05.000\nI dag snakker vi om veiledning.\n";

    #[test]
    fn absurd_hours_are_a_problem_not_an_overflow() {
        assert_eq!(parse_timestamp("99999999999999999:00:00.000"), None);
        assert_eq!(parse_timestamp("10:00:00.000"), Some(36_000_000));
        let file = "WEBVTT\nLanguage: nb\n\n99999999999999999:00:00.000 --> 99999999999999999:00:01.000\nx\n";
        assert!(!check(file).is_empty());
    }

    #[test]
    fn accepts_norwegian_webvtt() {
        assert!(check(GOOD).is_empty(), "{:?}", check(GOOD));
    }

    #[test]
    fn refuses_other_languages_and_broken_files() {
        assert!(!check(&GOOD.replace("nb", "en")).is_empty());
        assert!(
            !check("WEBVTT\n\n00:00.000 --> 00:01.000\nhei\n").is_empty(),
            "no language"
        );
        assert!(!check("1\n00:00.000 --> 00:01.000\nhei\n").is_empty());
        assert!(
            !check("WEBVTT\nLanguage: nb\n\n00:00:05.000 --> 00:00:01.000\nbakover\n").is_empty()
        );
        assert!(!check("WEBVTT\nLanguage: nb\n\nnot a timing\ntext\n").is_empty());
        assert!(!check("WEBVTT\nLanguage: nb\n").is_empty(), "no cues");
    }
}
