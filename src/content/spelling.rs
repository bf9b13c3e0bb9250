//! The spelling check of `mentorsti content check`: the prose a person reads in each text file of
//! a content tree, word by word, against Debian's hunspell dictionary of the file's written form
//! (`nb_NO` for bokmål, `nn_NO` for nynorsk: package hunspell-no) and the course's own word lists.
//! Findings are warnings, never problems: a tree with unknown words can still be published, and
//! the server never needs the dictionaries.
//!
//! What is read: a page's title and body (markdown syntax, inline code, HTML and addresses left
//! out), inside its fenced blocks only an exercise's text, a reflection's `question` and a film's
//! `title` and `transcript`; in TOML files the values of `title`, `summary`, `description`,
//! `intro`, the `outcomes` lists and each reference's `why` (not its authors, title, publisher or
//! address, nor ids or other keys); in subtitles the cue text without timings and `<v Name>` tags.
//! A file's form is its name's: `x.nn.md`, `module.nn.toml` and `x.nn.vtt` are nynorsk, the rest
//! bokmål.
//!
//! Word lists at the top of the tree, one entry a line, `#` starting a comment: `words.txt`
//! (names and terms accepted in every form), `words.nb.txt` and `words.nn.txt` (in that form
//! only). An entry is
//! - a word as written (`Kompetansebroen`, `ESAS-r`; a lowercase entry is also accepted
//!   capitalised);
//! - `word = model`: the word inflects and compounds like `model` in the form's dictionary
//!   (`webinar = seminar` accepts webinaret, webinara, webinarserien, …);
//! - `part-`: a first part of compounds, never a word alone (`refleksjons-` accepts
//!   refleksjonsnotatet, refleksjonsrunden with any word the dictionary lets compound). The
//!   dictionaries list many compounds whole but cannot join a linking -s themselves.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};
use serde::Deserialize;
use toml::Spanned;

use super::source::SourceTree;
use super::vtt;
use crate::language::Language;

/// Where Debian's hunspell-no puts `nb_NO.aff`, `nb_NO.dic`, `nn_NO.aff` and `nn_NO.dic`.
pub const DEFAULT_DIR: &str = "/usr/share/hunspell";
/// The share of unknown words from which `--strict-spelling` fails a form.
pub const STRICT_SHARE: f64 = 0.01;

/// The hunspell dictionary of a form.
pub fn dictionary_name(language: Language) -> &'static str {
    match language {
        Language::Bokmal => "nb_NO",
        Language::Nynorsk => "nn_NO",
    }
}

fn other(language: Language) -> Language {
    match language {
        Language::Bokmal => Language::Nynorsk,
        Language::Nynorsk => Language::Bokmal,
    }
}

const FORMS: [Language; 2] = [Language::Bokmal, Language::Nynorsk];

// --- The dictionaries ---------------------------------------------------------------------

/// A hunspell dictionary's two files, decoded to UTF-8.
#[derive(Debug, Clone)]
struct DictionaryText {
    aff: String,
    dic: String,
}

/// The dictionaries of both forms, as read from disk (each check builds its checkers from them).
#[derive(Debug, Clone)]
pub struct Dictionaries {
    nb: DictionaryText,
    nn: DictionaryText,
}

#[derive(Debug)]
pub enum LoadError {
    /// Files that are not there (the package is not installed).
    Missing { dir: PathBuf, files: Vec<String> },
    /// A file that is there but cannot be used.
    Unusable { file: PathBuf, reason: String },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Missing { dir, files } => write!(
                f,
                "the hunspell dictionaries are missing: no {} in {} (on Debian: apt-get install \
                 hunspell-no)",
                files.join(", "),
                dir.display()
            ),
            LoadError::Unusable { file, reason } => {
                write!(f, "{} cannot be used: {reason}", file.display())
            }
        }
    }
}

impl std::error::Error for LoadError {}

impl Dictionaries {
    /// Reads `nb_NO` and `nn_NO` from a directory (usually [`DEFAULT_DIR`]).
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        let names = ["nb_NO.aff", "nb_NO.dic", "nn_NO.aff", "nn_NO.dic"];
        let missing: Vec<String> = names
            .iter()
            .filter(|name| !dir.join(name).is_file())
            .map(|name| (*name).to_owned())
            .collect();
        if !missing.is_empty() {
            return Err(LoadError::Missing {
                dir: dir.to_owned(),
                files: missing,
            });
        }
        Ok(Self {
            nb: read_dictionary(dir, "nb_NO")?,
            nn: read_dictionary(dir, "nn_NO")?,
        })
    }

    fn text(&self, language: Language) -> &DictionaryText {
        match language {
            Language::Bokmal => &self.nb,
            Language::Nynorsk => &self.nn,
        }
    }
}

fn read_dictionary(dir: &Path, name: &str) -> Result<DictionaryText, LoadError> {
    let read = |ext: &str| {
        let file = dir.join(format!("{name}.{ext}"));
        std::fs::read(&file).map_err(|e| LoadError::Unusable {
            file: file.clone(),
            reason: e.to_string(),
        })
    };
    let (aff, dic) = (read("aff")?, read("dic")?);
    let encoding = declared_encoding(&aff);
    let decode = |bytes: &[u8], ext: &str| {
        decode(bytes, &encoding).map_err(|reason| LoadError::Unusable {
            file: dir.join(format!("{name}.{ext}")),
            reason,
        })
    };
    let aff = decode(&aff, "aff")?;
    // The text is UTF-8 now, whatever the file said.
    let aff = aff
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("SET ") {
                "SET UTF-8"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(DictionaryText {
        aff,
        dic: decode(&dic, "dic")?,
    })
}

/// The `SET` line of an .aff file; hunspell's default is ISO8859-1.
fn declared_encoding(aff: &[u8]) -> String {
    aff.split(|b| *b == b'\n')
        .filter_map(|line| std::str::from_utf8(line).ok())
        .find_map(|line| line.trim().strip_prefix("SET "))
        .map(|e| e.trim().to_ascii_uppercase())
        .unwrap_or_else(|| "ISO8859-1".to_owned())
}

/// Debian's Norwegian dictionaries are ISO 8859-1; UTF-8 and ISO 8859-15 are read too.
fn decode(bytes: &[u8], encoding: &str) -> Result<String, String> {
    let latin = |b: u8, fifteen: bool| match (fifteen, b) {
        (true, 0xA4) => '€',
        (true, 0xA6) => 'Š',
        (true, 0xA8) => 'š',
        (true, 0xB4) => 'Ž',
        (true, 0xB8) => 'ž',
        (true, 0xBC) => 'Œ',
        (true, 0xBD) => 'œ',
        (true, 0xBE) => 'Ÿ',
        _ => char::from(b),
    };
    match encoding.replace(['-', '_'], "").as_str() {
        "UTF8" => String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string()),
        "ISO88591" => Ok(bytes.iter().map(|b| latin(*b, false)).collect()),
        "ISO885915" => Ok(bytes.iter().map(|b| latin(*b, true)).collect()),
        _ => Err(format!("its encoding {encoding} is not supported")),
    }
}

// --- Word lists ---------------------------------------------------------------------------

/// The word lists a form uses: `words.txt` and its own.
fn list_paths(language: Language) -> [String; 2] {
    ["words.txt".to_owned(), format!("words.{language}.txt")]
}

/// Whether a path is one of the word lists (not course text).
pub fn is_word_list(path: &str) -> bool {
    path == "words.txt" || FORMS.iter().any(|l| path == format!("words.{l}.txt"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    file: String,
    line: usize,
    word: String,
    /// Inflected and compounded like this dictionary word.
    model: Option<String>,
}

fn read_list(file: &str, text: &str, notes: &mut Vec<String>) -> Vec<Entry> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let (word, model) = match content.split_once('=') {
            Some((word, model)) => (word.trim(), Some(model.trim())),
            None => (content, None),
        };
        let bad = |w: &str| {
            w.trim_end_matches('-').is_empty()
                || w.starts_with('-')
                || w.contains(char::is_whitespace)
                || w.contains('/')
        };
        if bad(word) || model.is_some_and(|m| bad(m) || word.ends_with('-') || m.ends_with('-')) {
            notes.push(format!(
                "{file}:{line}: not a word list entry (one word, or `word = model`): {content:?}"
            ));
            continue;
        }
        entries.push(Entry {
            file: file.to_owned(),
            line,
            word: word.to_owned(),
            model: model.map(str::to_owned),
        });
    }
    entries
}

/// The flags each of `stems` has in a .dic file (a stem may have several entries).
fn stem_flags(dic: &str, stems: &HashSet<&str>) -> HashMap<String, Vec<String>> {
    let mut found: HashMap<String, Vec<String>> = HashMap::new();
    for line in dic.lines().skip(1) {
        let entry = line.split(['\t', ' ']).next().unwrap_or("");
        let (word, flags) = entry.split_once('/').unwrap_or((entry, ""));
        if stems.contains(word) {
            found
                .entry(word.to_owned())
                .or_default()
                .push(flags.to_owned());
        }
    }
    found
}

// --- Checking -----------------------------------------------------------------------------

/// How the word lists' compound parts (`refleksjons-`) are added: with the dictionary's compound
/// flag and an ONLYINCOMPOUND flag (the dictionary's, or one of ours the Norwegian dictionaries
/// do not use), so they stand only inside compounds.
struct CompoundPart {
    flags: String,
    /// Lines for the .aff text when it lacks the options.
    aff_lines: String,
}

impl CompoundPart {
    fn of(aff: &str) -> Self {
        let option = |name: &str| {
            aff.lines().find_map(|line| {
                let mut words = line.split_whitespace();
                (words.next() == Some(name))
                    .then(|| words.next().map(str::to_owned))
                    .flatten()
            })
        };
        let flag_type = option("FLAG");
        let ours = |n: usize| match flag_type.as_deref() {
            Some("long") => ["~~", "^^"][n].to_owned(),
            Some("num") => ["65001", "65002"][n].to_owned(),
            _ => ["~", "^"][n].to_owned(),
        };
        let mut aff_lines = String::new();
        let mut flag = |name: &str, n: usize| {
            option(name).unwrap_or_else(|| {
                aff_lines.push_str(&format!("{name} {}\n", ours(n)));
                ours(n)
            })
        };
        let (only, compound) = (flag("ONLYINCOMPOUND", 0), flag("COMPOUNDFLAG", 1));
        let separator = if flag_type.as_deref() == Some("num") {
            ","
        } else {
            ""
        };
        Self {
            flags: format!("{compound}{separator}{only}"),
            aff_lines,
        }
    }
}

/// A form's dictionary with its word lists added.
struct Speller {
    dictionary: spellbook::Dictionary,
}

impl Speller {
    fn build(
        text: &DictionaryText,
        language: Language,
        entries: &[Entry],
        notes: &mut Vec<String>,
    ) -> Result<Self, String> {
        let part = CompoundPart::of(&text.aff);
        let aff = format!("{}\n{}", text.aff, part.aff_lines);
        let mut dictionary = spellbook::Dictionary::new(&aff, &text.dic)
            .map_err(|e| format!("{} cannot be read: {e}", dictionary_name(language)))?;
        let models: HashSet<&str> = entries.iter().filter_map(|e| e.model.as_deref()).collect();
        let flags = stem_flags(&text.dic, &models);
        for entry in entries {
            let lines: Vec<String> = match &entry.model {
                None => match entry.word.strip_suffix('-') {
                    Some(first_part) => vec![format!("{first_part}/{}", part.flags)],
                    None => vec![entry.word.clone()],
                },
                Some(model) => match flags.get(model) {
                    Some(all) => all
                        .iter()
                        .map(|flags| format!("{}/{flags}", entry.word))
                        .collect(),
                    None => {
                        notes.push(format!(
                            "{}:{}: «{model}», the model for «{}», is not a word of {}: «{}» \
                             is accepted only as written there",
                            entry.file,
                            entry.line,
                            entry.word,
                            dictionary_name(language),
                            entry.word
                        ));
                        vec![entry.word.clone()]
                    }
                },
            };
            for line in lines {
                if let Err(e) = dictionary.add(&line) {
                    notes.push(format!("{}:{}: {e}", entry.file, entry.line));
                }
            }
        }
        Ok(Self { dictionary })
    }

    fn word(&self, word: &str) -> bool {
        self.dictionary.check(word)
    }

    /// Whether the token at `index` is spelt right: whole, as an abbreviation with its period,
    /// a hyphenated compound part by part, or the first part of a compound whose last part
    /// follows (`lærings- og refleksjonswebinarer`).
    fn knows(&self, tokens: &[Token], index: usize) -> bool {
        let token = &tokens[index];
        let text = token.text.as_str();
        if token.has_digit {
            return token
                .parts()
                .filter(|p| p.chars().all(char::is_alphabetic))
                .all(|p| self.word(p));
        }
        if self.word(text) || (token.period_after && self.word(&format!("{text}."))) {
            return true;
        }
        if token.hyphen_after {
            return self.suspended(text, tokens[index + 1..].iter());
        }
        text.contains('-') && text.split('-').all(|p| !p.is_empty() && self.word(p))
    }

    fn suspended<'t>(&self, stem: &str, mut rest: impl Iterator<Item = &'t Token>) -> bool {
        let joined =
            rest.find(|t| !t.hyphen_after && !["og", "eller", "samt"].contains(&t.text.as_str()));
        let Some(joined) = joined else {
            return self.word(stem);
        };
        let last = joined.text.rsplit('-').next().unwrap_or(&joined.text);
        last.char_indices().any(|(at, _)| {
            let tail = &last[at..];
            tail.chars().count() >= 3
                && self.word(tail)
                && self.word(&format!("{stem}{}", tail.to_lowercase()))
        })
    }
}

/// A word not in its form's dictionary nor in the word lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub file: String,
    pub line: usize,
    pub word: String,
    pub language: Language,
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: unknown word «{}» ({})",
            self.file, self.line, self.word, self.language
        )
    }
}

/// One form's figures: its words, how many its own dictionary does not know, and how many the
/// other form's dictionary does not know (the cross-check: is the text really in its form?).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FormFigures {
    pub language: Language,
    pub words: usize,
    pub unknown: usize,
    pub unknown_to_other: usize,
}

impl FormFigures {
    pub fn unknown_share(&self) -> f64 {
        share(self.unknown, self.words)
    }

    pub fn other_share(&self) -> f64 {
        share(self.unknown_to_other, self.words)
    }

    /// Whether `--strict-spelling` fails this form.
    pub fn too_many_unknown(&self) -> bool {
        self.words > 0 && self.unknown_share() >= STRICT_SHARE
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

impl fmt::Display for FormFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} words, {} unknown to {} ({:.1} %), {} unknown to {} ({:.1} %)",
            self.language.name(),
            grouped(self.words),
            grouped(self.unknown),
            dictionary_name(self.language),
            self.unknown_share() * 100.0,
            grouped(self.unknown_to_other),
            dictionary_name(other(self.language)),
            self.other_share() * 100.0
        )
    }
}

/// `18123` → `18 123`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The whole check: each unknown word where it stands, each form's figures (forms without text
/// left out), and notes on the word lists.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub unknown: Vec<Unknown>,
    pub forms: Vec<FormFigures>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn form(&self, language: Language) -> Option<&FormFigures> {
        self.forms.iter().find(|f| f.language == language)
    }
}

/// Checks every text file of a tree. Fails only when a dictionary cannot be built.
pub fn check(tree: &SourceTree, dictionaries: &Dictionaries) -> Result<Report, String> {
    let mut report = Report::default();
    let mut spellers = Vec::new();
    for language in FORMS {
        let mut entries = Vec::new();
        for path in list_paths(language) {
            if let Some(bytes) = tree.files.get(&path) {
                match std::str::from_utf8(bytes) {
                    Ok(text) => entries.extend(read_list(&path, text, &mut report.notes)),
                    Err(_) => report.notes.push(format!("{path}: is not UTF-8")),
                }
            }
        }
        let speller = Speller::build(
            dictionaries.text(language),
            language,
            &entries,
            &mut report.notes,
        )?;
        spellers.push((language, speller));
    }
    report.notes.sort();
    report.notes.dedup();
    let speller = |language: Language| {
        &spellers
            .iter()
            .find(|(l, _)| *l == language)
            .expect("a speller for each form")
            .1
    };

    let mut figures: BTreeMap<&str, FormFigures> = BTreeMap::new();
    for (path, bytes) in &tree.files {
        if is_word_list(path) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        let language = form_of(path);
        let (own, theirs) = (speller(language), speller(other(language)));
        let form = figures
            .entry(language.as_str())
            .or_insert_with(|| FormFigures {
                language,
                words: 0,
                unknown: 0,
                unknown_to_other: 0,
            });
        for passage in prose(path, text) {
            let tokens = tokens(&passage.text);
            for index in 0..tokens.len() {
                form.words += 1;
                if !theirs.knows(&tokens, index) {
                    form.unknown_to_other += 1;
                }
                if !own.knows(&tokens, index) {
                    form.unknown += 1;
                    report.unknown.push(Unknown {
                        file: path.clone(),
                        line: passage.line,
                        word: tokens[index].written(),
                        language,
                    });
                }
            }
        }
    }
    report.forms = FORMS
        .iter()
        .filter_map(|l| figures.get(l.as_str()).copied())
        .collect();
    Ok(report)
}

/// A file's written form, from its name (`x.nn.md` is nynorsk; names without a form, bokmål).
pub fn form_of(path: &str) -> Language {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut parts = name.rsplit('.');
    let (_ext, tag) = (parts.next(), parts.next());
    match (tag, parts.next()) {
        (Some(tag), Some(_)) => Language::parse(tag).unwrap_or_default(),
        _ => Language::Bokmal,
    }
}

// --- Words --------------------------------------------------------------------------------

/// A word as written in a passage.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    /// Letters (and digits), with inner hyphens and periods (`e-post`, `f.eks`).
    text: String,
    has_digit: bool,
    /// Ends in a hyphen: the first part of a compound whose last part comes later.
    hyphen_after: bool,
    /// Followed by a period (the end of a sentence, or of an abbreviation: `f.eks.`).
    period_after: bool,
}

impl Token {
    fn parts(&self) -> impl Iterator<Item = &str> {
        self.text.split(['-', '.']).filter(|p| !p.is_empty())
    }

    fn written(&self) -> String {
        if self.hyphen_after {
            format!("{}-", self.text)
        } else {
            self.text.clone()
        }
    }
}

/// Web and mail addresses are not words.
fn is_address(chunk: &str) -> bool {
    chunk.contains("://")
        || chunk.contains('@')
        || chunk.trim_start_matches('(').starts_with("www.")
}

fn tokens(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for chunk in text.split_whitespace().filter(|c| !is_address(c)) {
        // Hyphens of every kind as '-'; soft hyphens are invisible.
        let chunk: String = chunk
            .chars()
            .filter(|c| *c != '\u{ad}')
            .map(|c| match c {
                '\u{2010}' | '\u{2011}' => '-',
                c => c,
            })
            .collect();
        for run in chunk.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.')) {
            let mut text = run.trim_start_matches(['-', '.']);
            let (mut hyphen_after, mut period_after) = (false, false);
            loop {
                if let Some(rest) = text.strip_suffix('.') {
                    period_after = true;
                    text = rest;
                } else if let Some(rest) = text.strip_suffix('-') {
                    hyphen_after = !period_after;
                    text = rest;
                } else {
                    break;
                }
            }
            if !text.chars().any(char::is_alphabetic) {
                continue;
            }
            let has_digit = text.chars().any(char::is_numeric);
            if has_digit
                && !text
                    .split(['-', '.'])
                    .any(|p| !p.is_empty() && p.chars().all(char::is_alphabetic))
            {
                // `5a`, `e91422`: a number or a code, not a word.
                continue;
            }
            tokens.push(Token {
                text: text.to_owned(),
                has_digit,
                hyphen_after,
                period_after,
            });
        }
    }
    tokens
}

/// The words of a text as the check sees them (for tests and tools).
pub fn words(text: &str) -> Vec<String> {
    tokens(text).iter().map(Token::written).collect()
}

// --- Prose --------------------------------------------------------------------------------

/// A line of text a person reads: where it is (1-based) and the text without markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    pub line: usize,
    pub text: String,
}

/// The prose of one file of a content tree, by its kind (`.md`, `.toml`, `.vtt`; others have
/// none).
pub fn prose(path: &str, text: &str) -> Vec<Passage> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    match path.rsplit('.').next() {
        Some("md") => page(text, &mut out),
        Some("toml") => toml_values(text, 1, &mut out),
        Some("vtt") => {
            for cue in vtt::cues(text) {
                for (i, line) in cue.text.iter().enumerate() {
                    push(&mut out, cue.line + 1 + i, &vtt::strip_tags(line));
                }
            }
        }
        _ => {}
    }
    out
}

fn push(out: &mut Vec<Passage>, line: usize, text: &str) {
    if text.chars().any(char::is_alphabetic) {
        out.push(Passage {
            line,
            text: text.trim().to_owned(),
        });
    }
}

/// The keys whose values are prose, in every TOML a tree has (files, front matter, blocks).
/// Other keys (ids, addresses, authors, a reference's title, …) are not read.
#[derive(Deserialize, Default)]
struct ProseValues {
    title: Option<Spanned<String>>,
    summary: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    intro: Option<Spanned<String>>,
    question: Option<Spanned<String>>,
    transcript: Option<Spanned<String>>,
    #[serde(default)]
    outcomes: BTreeMap<String, Vec<Spanned<String>>>,
    #[serde(default)]
    references: Vec<ReferenceProse>,
}

#[derive(Deserialize)]
struct ReferenceProse {
    why: Option<Spanned<String>>,
}

/// The prose values of a TOML text whose first line is `first_line` of the file. A text that
/// does not parse has none here (the content check reports it).
fn toml_values(source: &str, first_line: usize, out: &mut Vec<Passage>) {
    let Ok(values) = toml::from_str::<ProseValues>(source) else {
        return;
    };
    let mut strings: Vec<&Spanned<String>> = [
        &values.title,
        &values.summary,
        &values.description,
        &values.intro,
        &values.question,
        &values.transcript,
    ]
    .into_iter()
    .flatten()
    .collect();
    strings.extend(values.outcomes.values().flatten());
    strings.extend(values.references.iter().filter_map(|r| r.why.as_ref()));
    strings.sort_by_key(|s| s.span().start);
    for value in strings {
        let start = value.span().start.min(source.len());
        let mut line = first_line + source[..start].matches('\n').count();
        // A multi-line string's first newline, right after its quotes, is not part of it.
        let raw = &source[start..];
        if (raw.starts_with("\"\"\"") || raw.starts_with("'''"))
            && (raw[3..].starts_with('\n') || raw[3..].starts_with("\r\n"))
        {
            line += 1;
        }
        markdown(value.get_ref(), line, out);
    }
}

/// A page: its front matter's title, then its body.
fn page(text: &str, out: &mut Vec<Passage>) {
    let mut lines = text.split_inclusive('\n');
    let mut consumed = 0;
    if lines.clone().next().map(str::trim_end) == Some("+++") {
        lines.next();
        consumed = 1;
        let mut front = String::new();
        for line in lines.by_ref() {
            consumed += 1;
            if line.trim_end() == "+++" {
                break;
            }
            front.push_str(line);
        }
        toml_values(&front, 2, out);
    }
    let body: String = lines.collect();
    markdown(&body, consumed + 1, out);
}

/// Markdown's text without its syntax, line by line: no inline code, HTML, code blocks or
/// addresses; of the course's fenced blocks an exercise's text, a reflection's question and a
/// film's title and transcript.
fn markdown(body: &str, first_line: usize, out: &mut Vec<Passage>) {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let mut parser = Parser::new_ext(body, options).into_offset_iter();
    // The text of the line being read: inline markup joins it, everything else separates.
    let mut current: Option<(usize, String)> = None;
    let flush = |current: &mut Option<(usize, String)>, out: &mut Vec<Passage>| {
        if let Some((line, text)) = current.take() {
            push(out, line, &text);
        }
    };
    let (mut counted, mut line) = (0, first_line);
    while let Some((event, range)) = parser.next() {
        let start = range.start.min(body.len());
        if start >= counted {
            line += body[counted..start].matches('\n').count();
            counted = start;
        }
        let at = line;
        match event {
            Event::Text(text) => {
                // A text run never crosses a line in prose; a table cell or heading might end
                // one, so each piece is placed on its own line.
                for (i, piece) in text.split('\n').enumerate() {
                    match &mut current {
                        Some((l, buffer)) if *l == at + i => buffer.push_str(piece),
                        _ => {
                            flush(&mut current, out);
                            current = Some((at + i, piece.to_owned()));
                        }
                    }
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                flush(&mut current, out);
                let mut inner = String::new();
                for (event, _) in parser.by_ref() {
                    match event {
                        Event::Text(text) => inner.push_str(&text),
                        Event::End(TagEnd::CodeBlock) => break,
                        _ => {}
                    }
                }
                if let CodeBlockKind::Fenced(info) = kind {
                    match info.split_whitespace().next() {
                        Some("exercise") => markdown(&inner, at + 1, out),
                        Some("film" | "reflection") => toml_values(&inner, at + 1, out),
                        _ => {}
                    }
                }
            }
            Event::Start(Tag::Link {
                link_type: LinkType::Autolink | LinkType::Email,
                ..
            }) => {
                // The address itself, as its own text.
                for (event, _) in parser.by_ref() {
                    if matches!(event, Event::End(TagEnd::Link)) {
                        break;
                    }
                }
            }
            Event::Start(
                Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Link { .. }
                | Tag::Image { .. },
            )
            | Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image,
            ) => {}
            Event::Code(_)
            | Event::Html(_)
            | Event::InlineHtml(_)
            | Event::FootnoteReference(_) => {
                if let Some((_, buffer)) = &mut current {
                    buffer.push(' ');
                }
            }
            _ => flush(&mut current, out),
        }
    }
    flush(&mut current, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// The dictionaries of hunspell-no (these tests need the package, as CI installs it).
    fn dictionaries() -> &'static Dictionaries {
        static LOADED: OnceLock<Dictionaries> = OnceLock::new();
        LOADED.get_or_init(|| {
            Dictionaries::load(Path::new(DEFAULT_DIR))
                .unwrap_or_else(|e| panic!("{e}: the spelling tests need hunspell-no"))
        })
    }

    fn tree(files: &[(&str, &str)]) -> SourceTree {
        let mut tree = SourceTree::new();
        for (path, text) in files {
            tree.files
                .insert((*path).to_owned(), text.as_bytes().to_vec());
        }
        tree
    }

    fn texts(passages: &[Passage]) -> Vec<(usize, &str)> {
        passages.iter().map(|p| (p.line, p.text.as_str())).collect()
    }

    const PAGE: &str = "+++\ntitle = \"Om makt\"\nestimated_minutes = 10\n+++\n\n\
## Første del\n\nLes **dette** nøye, se `kode_her` og <https://example.org/side>.\n\n\
```film\nid = \"film-id-her\"\ntitle = \"Ein film\"\nsrc = \"films/x.webm\"\n\
transcript = \"\"\"\nKari: Hei.\nOla: Hallo.\n\"\"\"\n```\n\n\
```reflection\nid = \"min-id\"\nquestion = \"Kva tenkjer du?\"\n```\n\n\
```exercise estimated_minutes=15\n**Øvelse:** skriv ned\n```\n";

    #[test]
    fn a_page_gives_its_prose_with_lines_and_without_ids_or_addresses() {
        let passages = prose("modules/1-a/01-b.md", PAGE);
        assert_eq!(
            texts(&passages),
            vec![
                (2, "Om makt"),
                (6, "Første del"),
                (8, "Les dette nøye, se   og ."),
                (12, "Ein film"),
                (15, "Kari: Hei."),
                (16, "Ola: Hallo."),
                (22, "Kva tenkjer du?"),
                (26, "Øvelse: skriv ned"),
            ]
        );
    }

    #[test]
    fn toml_gives_prose_values_but_not_authors_urls_titles_of_references_or_keys() {
        let literature = "title = \"Anbefalt litteratur\"\nintro = \"Les dette.\"\n\n\
[[references]]\nauthors = \"Furulund, L.\"\nyear = 2023\ntitle = \"Veilederheftet\"\n\
publisher = \"Kommuneforlaget\"\nurl = \"https://dx.doi.org/10.4220/x\"\n\
why = \"Boka om rettleiing, sjå [sida](https://example.org).\"\n";
        assert_eq!(
            texts(&prose("literature/literature.nn.toml", literature)),
            vec![
                (1, "Anbefalt litteratur"),
                (2, "Les dette."),
                (10, "Boka om rettleiing, sjå sida."),
            ]
        );
        let module = "number = 1\ntitle = \"Modulen\"\nsummary = \"Kort.\"\nskippable = true\n\
estimated_minutes = 5\n\n[outcomes]\nknowledge = [\n  \"kjenner A\",\n  \"kjenner B\",\n]\n\
skills = [\"kan C\"]\n";
        assert_eq!(
            texts(&prose("modules/1-a/module.toml", module)),
            vec![
                (2, "Modulen"),
                (3, "Kort."),
                (9, "kjenner A"),
                (10, "kjenner B"),
                (12, "kan C")
            ]
        );
    }

    #[test]
    fn subtitles_give_cue_text_without_timings_or_voices() {
        let vtt = "WEBVTT\nLanguage: nn\n\n00:00:01.000 --> 00:00:03.000\n<v Anne>Ho ringde\nog var sint.</v>\n";
        assert_eq!(
            texts(&prose("subtitles/x.nn.vtt", vtt)),
            vec![(5, "Ho ringde"), (6, "og var sint.")]
        );
    }

    #[test]
    fn words_skip_numbers_and_addresses_and_keep_compounds() {
        assert_eq!(
            words(
                "«E-post» til www.example.no, 2018-pakken, 15 timar, f.eks. lærings- og \
                   refleksjonswebinar; ho@example.no – https://a.no/b"
            ),
            vec![
                "E-post",
                "til",
                "2018-pakken",
                "timar",
                "f.eks",
                "lærings-",
                "og",
                "refleksjonswebinar"
            ]
        );
    }

    #[test]
    fn a_nynorsk_text_passes_nn_no_and_fails_nb_no() {
        let text = "+++\ntitle = \"Kva er rettleiing?\"\nestimated_minutes = 5\n+++\n\n\
Ein rettleiar leier ei gruppe tilsette på sjukeheimen. Ho stiller spørsmål, og kandidatane \
fortel kva dei har opplevd. Det er ikkje lett, men det blir betre kvar gong.\n";
        let report = check(&tree(&[("modules/1-a/01-b.nn.md", text)]), dictionaries()).unwrap();
        let nn = report.form(Language::Nynorsk).unwrap();
        assert!(report.form(Language::Bokmal).is_none());
        assert_eq!(nn.unknown, 0, "{:?}", report.unknown);
        assert!(nn.words >= 30, "{nn:?}");
        assert!(nn.other_share() > 0.15, "{nn}");
        assert!(!nn.too_many_unknown());
    }

    #[test]
    fn a_misspelling_is_reported_with_its_file_line_and_form() {
        let text = "+++\ntitle = \"Om rollen\"\nestimated_minutes = 5\n+++\n\n\
Du er mentor.\n\nDu leder en grupe kolleger.\n";
        let report = check(&tree(&[("modules/1-a/01-b.md", text)]), dictionaries()).unwrap();
        assert_eq!(
            report.unknown,
            vec![Unknown {
                file: "modules/1-a/01-b.md".into(),
                line: 8,
                word: "grupe".into(),
                language: Language::Bokmal,
            }]
        );
        assert_eq!(
            report.unknown[0].to_string(),
            "modules/1-a/01-b.md:8: unknown word «grupe» (nb)"
        );
        let nb = report.form(Language::Bokmal).unwrap();
        assert_eq!((nb.words, nb.unknown), (10, 1));
        assert!(nb.too_many_unknown());
        assert!(nb
            .to_string()
            .starts_with("bokmål: 10 words, 1 unknown to nb_NO (10.0 %), "));
    }

    #[test]
    fn word_lists_accept_names_everywhere_and_form_words_in_their_form() {
        let nb = "Kari og Leila holder webinaret i Kompetansebroen.\n";
        let nn = "Kari og Leila held webinara og webinarserien på Kompetansebroen om \
                  refleksjonsnotatet, refleksjons- og samtalegrupper, men ikkje om refleksjons.\n";
        let files = [
            ("words.txt", "# names\nKari\nKompetansebroen  # a site\n"),
            ("words.nn.txt", "webinar = seminar\nrefleksjons-\n"),
            ("words.nb.txt", "webinar = seminar\nLeila\n"),
            ("course.toml", ""),
            ("subtitles/a.vtt", ""),
        ];
        let vtt =
            |text: &str| format!("WEBVTT\nLanguage: nb\n\n00:00:01.000 --> 00:00:02.000\n{text}");
        let mut tree = tree(&files);
        tree.files
            .insert("subtitles/a.vtt".into(), vtt(nb).into_bytes());
        tree.files
            .insert("subtitles/a.nn.vtt".into(), vtt(nn).into_bytes());
        let report = check(&tree, dictionaries()).unwrap();
        let unknown: Vec<String> = report.unknown.iter().map(ToString::to_string).collect();
        assert_eq!(
            unknown,
            vec![
                "subtitles/a.nn.vtt:5: unknown word «Leila» (nn)",
                "subtitles/a.nn.vtt:5: unknown word «refleksjons» (nn)",
            ]
        );
        assert!(report.notes.is_empty(), "{:?}", report.notes);
    }

    #[test]
    fn a_model_the_dictionary_lacks_is_noted() {
        let tree = tree(&[("words.nn.txt", "webinar = fjasebukk\nto ord\nx- = y\n")]);
        let report = check(&tree, dictionaries()).unwrap();
        assert_eq!(report.notes.len(), 3, "{:?}", report.notes);
        assert!(report.notes[0].starts_with("words.nn.txt:1: «fjasebukk», the model for «webinar»"));
        assert!(report.notes[1].starts_with("words.nn.txt:2: not a word list entry"));
        assert!(report.notes[2].starts_with("words.nn.txt:3: not a word list entry"));
    }

    #[test]
    fn forms_come_from_file_names() {
        assert_eq!(form_of("modules/1-a/01-b.nn.md"), Language::Nynorsk);
        assert_eq!(form_of("modules/1-a/module.nn.toml"), Language::Nynorsk);
        assert_eq!(form_of("modules/1-a/01-b.md"), Language::Bokmal);
        assert_eq!(form_of("course.toml"), Language::Bokmal);
        assert!(is_word_list("words.nn.txt") && is_word_list("words.txt"));
        assert!(!is_word_list("modules/words.txt"));
    }

    #[test]
    fn figures_group_thousands() {
        assert_eq!(grouped(18123), "18 123");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1234567), "1 234 567");
    }
}
