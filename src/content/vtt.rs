//! A WebVTT check: the file must parse, have at least one cue with valid timings, and say in its
//! header that it is Norwegian (`Language: nb`, `nn` or `no`). Then the subtitles' readability:
//! at most two lines a cue, 42 characters a line, 17 characters a second (tags not counted).

/// Lines of text a cue may show at once.
pub const MAX_LINES: usize = 2;
/// Characters a subtitle line may have (voice and other tags not counted).
pub const MAX_LINE_CHARS: usize = 42;
/// Characters a second a viewer can read.
pub const MAX_CHARS_PER_SECOND: f64 = 17.0;

/// A cue: the line of its timing, its times in milliseconds and its lines of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub line: usize,
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: Vec<String>,
}

/// Checks a subtitle file; each problem is (line, message).
pub fn check(text: &str) -> Vec<(usize, String)> {
    read(text).1
}

/// The cues of a subtitle file (of a file that passes [`check`]: all of them).
pub fn cues(text: &str) -> Vec<Cue> {
    read(text).0
}

/// Cues that are hard to read: more than two lines, long lines, or too fast; (line, message).
pub fn readability(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for cue in cues(text) {
        if cue.text.len() > MAX_LINES {
            found.push((
                cue.line,
                format!(
                    "a cue shows {} lines; at most {MAX_LINES} can be read at once",
                    cue.text.len()
                ),
            ));
        }
        let chars: Vec<usize> = cue
            .text
            .iter()
            .map(|l| strip_tags(l).chars().count())
            .collect();
        if let Some(longest) = chars.iter().copied().max().filter(|n| *n > MAX_LINE_CHARS) {
            found.push((
                cue.line,
                format!("a subtitle line has {longest} characters; at most {MAX_LINE_CHARS}"),
            ));
        }
        let seconds = (cue.end_ms - cue.start_ms) as f64 / 1000.0;
        let total: usize = chars.iter().sum();
        let speed = total as f64 / seconds;
        if speed > MAX_CHARS_PER_SECOND {
            found.push((
                cue.line,
                format!(
                    "the cue must be read at {speed:.1} characters a second; at most {MAX_CHARS_PER_SECOND} (show it longer or say less)"
                ),
            ));
        }
    }
    found
}

/// Cue text without its tags (`<v Anne>`, `<i>`, timestamps) and with the common character
/// references decoded, as a viewer sees it.
pub fn strip_tags(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_tag = false;
    for c in line.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn read(text: &str) -> (Vec<Cue>, Vec<(usize, String)>) {
    let mut found = Vec::new();
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
            return (found, problems);
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
        let times = parse_timing(timing);
        match times {
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
        let mut text_lines = Vec::new();
        index = timing_index + 1;
        while index < lines.len() && !lines[index].trim().is_empty() {
            text_lines.push(lines[index].trim_end().to_owned());
            index += 1;
        }
        if text_lines.is_empty() {
            problems.push((timing_index + 1, "a cue without text".to_owned()));
        }
        if let Some((start_ms, end_ms)) = times.filter(|(s, e)| s < e) {
            found.push(Cue {
                line: timing_index + 1,
                start_ms,
                end_ms,
                text: text_lines,
            });
        }
        cues += 1;
    }
    if cues == 0 {
        problems.push((lines.len().max(1), "the file has no cues".to_owned()));
    }
    (found, problems)
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

    #[test]
    fn cues_are_read_with_their_lines_and_times() {
        let cues = cues(GOOD);
        assert_eq!(cues.len(), 2);
        assert_eq!(
            cues[0],
            Cue {
                line: 5,
                start_ms: 0,
                end_ms: 2500,
                text: vec!["Hei og velkommen.".to_owned()]
            }
        );
        assert_eq!(cues[1].end_ms, 5000);
    }

    #[test]
    fn readability_counts_without_tags() {
        assert!(readability(GOOD).is_empty(), "{:?}", readability(GOOD));
        // 42 characters of text inside a voice tag, over 3 seconds: fine.
        let line = "a".repeat(42);
        let ok = format!("WEBVTT\nLanguage: nb\n\n00:00.000 --> 00:03.000\n<v Anne>{line}</v>\n");
        assert!(readability(&ok).is_empty(), "{:?}", readability(&ok));
        assert_eq!(strip_tags("<v Anne>Hei &amp; hå</v>"), "Hei & hå");
        let long = format!("WEBVTT\nLanguage: nb\n\n00:00.000 --> 00:09.000\n{line}a\n");
        assert!(readability(&long)[0].1.contains("43 characters"));
        let three = "WEBVTT\nLanguage: nb\n\n00:00.000 --> 00:09.000\n<v A>en\nto\ntre</v>\n";
        assert!(readability(three)[0].1.contains("3 lines"));
        // 40 characters in 2 seconds is 20 a second.
        let fast = format!(
            "WEBVTT\nLanguage: nb\n\n00:01.000 --> 00:03.000\n{}\n",
            "b".repeat(40)
        );
        let found = readability(&fast);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 4);
        assert!(found[0].1.contains("20.0 characters a second"), "{found:?}");
    }
}
