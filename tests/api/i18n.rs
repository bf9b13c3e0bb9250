//! The web client in both written forms: every text the code passes to `t()` (in bokmål) has
//! its nynorsk in the right catalogue, no catalogue keeps texts the code no longer uses, and
//! what the catalogues say reads as nynorsk. Reads the files under `web/`; needs no server.
//!
//! Catalogues (`web/i18n/nn.js` for the mentor and shared screens, `web/i18n/nn-staff.js` for
//! `web/screens/staff/`) are `export default { 'bokmål': 'nynorsk', … };`. A staff screen may
//! also use the main catalogue's texts (it is always loaded), not the other way round.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Words spelt the same in bokmål and nynorsk. An entry whose nynorsk is its bokmål must be made
/// of these words only (placeholders and numbers aside): anything else is a text someone forgot
/// to translate. Add a word only if nynorsk truly writes it so.
#[rustfmt::skip]
const SAME_IN_BOTH: &[&str] = &[
    "administrator", "akseptert", "aktiv", "aldri", "alle", "alt", "andel", "arbeidsplass",
    "arbeidsplassen", "av", "avbryt", "avlys", "avlyst", "be", "bli", "bokmål", "ca", "csv",
    "csv-fil", "dato", "deg", "denne", "det", "dette", "ditt", "du", "e-post", "e-postadresser",
    "ekte", "eller", "endre", "er", "excel", "feltet", "ferdig", "filmen", "finn", "fjern", "for",
    "format", "fullført", "fylke", "fylket", "før", "generell", "gå", "handling", "har", "hei",
    "hopp", "i", "ics", "igjen", "inaktiv", "ingen", "inn", "invitasjon", "invitasjonen",
    "invitert", "ja", "kalender", "kan", "kl", "klar", "klokkeslett", "kode", "koden", "kommune",
    "kommunenummeret", "kompetanse", "konto", "kontroller", "kontrollkode", "koordinator",
    "kunnskap", "kursbevis", "kursbeviset", "lagre", "lang", "last", "les", "lesetid", "linje",
    "litteratur", "logg", "låst", "lærer", "læringssti", "læringsstien", "med", "meg", "meld",
    "melde", "meldt", "mentor", "mentoropplæring", "meny", "merknad", "merknader", "min", "minst",
    "minutt", "modul", "modulen", "må", "møterommet", "ned", "nei", "neste", "norsk", "norske",
    "notat", "notatet", "nr", "nummer", "ny", "nye", "nynorsk", "nytt", "når", "og", "om", "opp",
    "opplæring", "oppmøte", "opprett", "over", "oversikt", "overskrifter", "passord", "passordet", "pdf",
    "profil", "profilen", "prøv", "publiser", "publisert", "på", "påmelding", "påmeldingsfrist", "påmeldt",
    "rapport", "refleksjonsnotat", "refleksjonsnotatet", "refleksjonsspørsmål", "registrert",
    "rolle", "samling", "send", "sende", "sendt", "serie", "serien", "side", "sider", "sist",
    "sjekk", "skriftform", "skriv", "som", "status", "steg", "svaret", "teksten", "tid", "til",
    "tilbake", "time", "tittel", "tom", "tre", "trekk", "trinn", "usht", "ut", "utkast",
    "venteliste", "versjon", "versjonen", "vis", "webinar", "webinarserie",
];

/// Words that are bokmål only: a catalogue's nynorsk must not use them.
#[rustfmt::skip]
const BOKMAL_ONLY: &[&str] = &[
    "ikke", "jeg", "hva", "hvordan", "hvorfor", "hvis", "hvem", "hvor", "hver", "hvilken", "hvilke",
    "noe", "noen", "mye", "også", "fra", "hele", "samme", "være", "gjøre", "komme", "uten", "bare",
    "kun", "lagret", "vært", "sykehjem", "veileder", "veiledning", "begynne", "vert", "vart",
];

fn web() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

/// The client's own scripts: every .js under web/ but the walks, the catalogues and packages.
fn scripts(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !["e2e", "i18n", "node_modules"].contains(&name.as_str()) {
                scripts(&path, found);
            }
        } else if name.ends_with(".js") {
            found.push(path);
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Punct(char),
    /// A string or template literal; `whole` is false for a template with `${…}` in it.
    Text {
        value: String,
        whole: bool,
    },
    Other,
}

/// Enough of a JavaScript lexer to find string literals and calls: comments, strings,
/// templates (with code inside `${…}`) and regular expressions are told apart.
struct Lexer<'a> {
    chars: Vec<char>,
    at: usize,
    line: usize,
    tokens: Vec<(Token, usize)>,
    file: &'a str,
}

impl<'a> Lexer<'a> {
    fn new(source: &str, file: &'a str) -> Self {
        Lexer {
            chars: source.chars().collect(),
            at: 0,
            line: 1,
            tokens: Vec::new(),
            file,
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.at).copied()?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn push(&mut self, token: Token, line: usize) {
        self.tokens.push((token, line));
    }

    /// Whether a `/` here starts a regular expression (rather than dividing).
    fn regex_may_start(&self) -> bool {
        match self.tokens.last() {
            None => true,
            Some((Token::Punct(c), _)) => !matches!(c, ')' | ']' | '}'),
            Some((Token::Ident(word), _)) => matches!(
                word.as_str(),
                "return"
                    | "typeof"
                    | "case"
                    | "do"
                    | "else"
                    | "in"
                    | "of"
                    | "new"
                    | "delete"
                    | "void"
                    | "throw"
                    | "instanceof"
                    | "yield"
                    | "await"
            ),
            Some(_) => false,
        }
    }

    /// Lexes code until the end, or (inside `${…}`) until its closing brace.
    fn code(&mut self, in_template: bool) {
        let mut depth = 0usize;
        while let Some(c) = self.peek(0) {
            let line = self.line;
            match c {
                _ if c.is_whitespace() => {
                    self.bump();
                }
                '/' if self.peek(1) == Some('/') => {
                    while let Some(c) = self.peek(0) {
                        if c == '\n' {
                            break;
                        }
                        self.bump();
                    }
                }
                '/' if self.peek(1) == Some('*') => {
                    self.bump();
                    self.bump();
                    while self.peek(0).is_some()
                        && !(self.peek(0) == Some('*') && self.peek(1) == Some('/'))
                    {
                        self.bump();
                    }
                    self.bump();
                    self.bump();
                }
                '/' if self.regex_may_start() => {
                    self.bump();
                    let mut class = false;
                    while let Some(c) = self.bump() {
                        match c {
                            '\\' => {
                                self.bump();
                            }
                            '[' => class = true,
                            ']' => class = false,
                            '/' if !class => break,
                            '\n' => panic!(
                                "{}:{line}: a regular expression runs past its line",
                                self.file
                            ),
                            _ => {}
                        }
                    }
                    while self.peek(0).is_some_and(|c| c.is_ascii_alphabetic()) {
                        self.bump();
                    }
                    self.push(Token::Other, line);
                }
                '\'' | '"' => {
                    self.bump();
                    let value = self.quoted(c);
                    self.push(Token::Text { value, whole: true }, line);
                }
                '`' => {
                    self.bump();
                    self.template(line);
                }
                '{' => {
                    depth += 1;
                    self.bump();
                    self.push(Token::Punct('{'), line);
                }
                '}' => {
                    if in_template && depth == 0 {
                        self.bump();
                        return;
                    }
                    depth = depth.saturating_sub(1);
                    self.bump();
                    self.push(Token::Punct('}'), line);
                }
                _ if c.is_alphanumeric() || c == '_' || c == '$' => {
                    let mut word = String::new();
                    while let Some(c) = self.peek(0) {
                        if !(c.is_alphanumeric() || c == '_' || c == '$') {
                            break;
                        }
                        word.push(c);
                        self.bump();
                    }
                    let token = if word.starts_with(|c: char| c.is_ascii_digit()) {
                        Token::Other
                    } else {
                        Token::Ident(word)
                    };
                    self.push(token, line);
                }
                _ => {
                    self.bump();
                    self.push(Token::Punct(c), line);
                }
            }
        }
        assert!(
            !in_template,
            "{}: a template's `${{` is never closed",
            self.file
        );
    }

    /// The rest of a '…' or "…" string, its escapes resolved.
    fn quoted(&mut self, quote: char) -> String {
        let line = self.line;
        let mut value = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => panic!("{}:{line}: a string is not closed", self.file),
                Some('\\') => self.escape(&mut value),
                Some(c) if c == quote => return value,
                Some(c) => value.push(c),
            }
        }
    }

    fn template(&mut self, line: usize) {
        let mut value = String::new();
        let mut whole = true;
        loop {
            match self.bump() {
                None => panic!("{}:{line}: a template is not closed", self.file),
                Some('\\') => self.escape(&mut value),
                Some('`') => break,
                Some('$') if self.peek(0) == Some('{') => {
                    self.bump();
                    whole = false;
                    value.push_str("${…}");
                    // The code inside is lexed like any other (a `t('…')` in it counts too).
                    let mut inner = Lexer::new("", self.file);
                    inner.chars = std::mem::take(&mut self.chars);
                    inner.at = self.at;
                    inner.line = self.line;
                    inner.code(true);
                    self.chars = std::mem::take(&mut inner.chars);
                    self.at = inner.at;
                    self.line = inner.line;
                    self.tokens.append(&mut inner.tokens);
                }
                Some(c) => value.push(c),
            }
        }
        self.push(Token::Text { value, whole }, line);
    }

    fn escape(&mut self, value: &mut String) {
        let hex = |lexer: &mut Self, n: usize| -> char {
            let digits: String = (0..n).filter_map(|_| lexer.bump()).collect();
            char::from_u32(u32::from_str_radix(&digits, 16).unwrap()).unwrap()
        };
        match self.bump() {
            Some('n') => value.push('\n'),
            Some('t') => value.push('\t'),
            Some('r') => value.push('\r'),
            Some('0') => value.push('\0'),
            Some('\n') => {}
            Some('x') => value.push(hex(self, 2)),
            Some('u') if self.peek(0) == Some('{') => {
                self.bump();
                let mut digits = String::new();
                while let Some(c) = self.bump() {
                    if c == '}' {
                        break;
                    }
                    digits.push(c);
                }
                value.push(char::from_u32(u32::from_str_radix(&digits, 16).unwrap()).unwrap());
            }
            Some('u') => value.push(hex(self, 4)),
            Some(c) => value.push(c),
            None => {}
        }
    }
}

fn lex(source: &str, file: &str) -> Vec<(Token, usize)> {
    let mut lexer = Lexer::new(source, file);
    lexer.code(false);
    lexer.tokens
}

/// A text passed to `t()` where it is used: `file:line`.
struct Use {
    text: String,
    place: String,
}

/// The literals passed to `t(` in a script; a `t(` whose first argument is a template with
/// `${…}` or an expression built from a literal is a mistake (no catalogue can hold it).
fn texts_of(path: &Path, problems: &mut Vec<String>) -> Vec<Use> {
    let file = path
        .strip_prefix(web().parent().unwrap())
        .unwrap()
        .display()
        .to_string();
    let tokens = lex(&std::fs::read_to_string(path).unwrap(), &file);
    let mut uses = Vec::new();
    for i in 0..tokens.len() {
        let (Token::Ident(name), line) = &tokens[i] else {
            continue;
        };
        if name != "t" || (i > 0 && tokens[i - 1].0 == Token::Punct('.')) {
            continue;
        }
        if tokens.get(i + 1).map(|t| &t.0) != Some(&Token::Punct('(')) {
            continue;
        }
        let Some((Token::Text { value, whole }, _)) = tokens.get(i + 2) else {
            continue;
        };
        let place = format!("{file}:{line}");
        if !whole {
            problems.push(format!(
                "{place}: t() of a template with ${{…}} ({value:?}): use {{placeholders}}"
            ));
            continue;
        }
        if !matches!(
            tokens.get(i + 3).map(|t| &t.0),
            Some(Token::Punct(',' | ')'))
        ) {
            problems.push(format!(
                "{place}: t() of an expression built from {value:?}: pass one whole text"
            ));
            continue;
        }
        uses.push(Use {
            text: value.clone(),
            place,
        });
    }
    uses
}

/// A catalogue's entries in their order, `None` when the file is not there.
fn catalogue(name: &str, problems: &mut Vec<String>) -> Option<Vec<(String, String, usize)>> {
    let path = web().join("i18n").join(name);
    let source = std::fs::read_to_string(&path).ok()?;
    let file = format!("web/i18n/{name}");
    let tokens = lex(&source, &file);
    let start = tokens
        .windows(2)
        .position(|w| w[0].0 == Token::Ident("default".into()) && w[1].0 == Token::Punct('{'))
        .unwrap_or_else(|| panic!("{file} is `export default {{ 'bokmål': 'nynorsk', … }};`"));
    let mut entries = Vec::new();
    let mut rest = tokens[start + 2..].iter();
    loop {
        match rest.next() {
            Some((Token::Punct('}'), _)) => break,
            Some((
                Token::Text {
                    value: key,
                    whole: true,
                },
                line,
            )) => {
                let colon = rest.next().map(|t| &t.0);
                let value = rest.next().map(|t| &t.0);
                match (colon, value) {
                    (Some(Token::Punct(':')), Some(Token::Text { value, whole: true })) => {
                        entries.push((key.clone(), value.clone(), *line));
                    }
                    _ => {
                        problems.push(format!(
                            "{file}:{line}: {key:?} is not followed by `: 'nynorsk'`"
                        ));
                        return Some(entries);
                    }
                }
                match rest.next() {
                    Some((Token::Punct(','), _)) => {}
                    Some((Token::Punct('}'), _)) => break,
                    other => {
                        problems.push(format!(
                            "{file}:{line}: after {key:?} comes {other:?}, not a comma"
                        ));
                        return Some(entries);
                    }
                }
            }
            other => {
                problems.push(format!(
                    "{file}: expected a quoted bokmål text, found {other:?}"
                ));
                return Some(entries);
            }
        }
    }
    Some(entries)
}

/// The words of a text in lower case, without its placeholders and numbers.
fn words_of(text: &str) -> Vec<String> {
    let mut bare = text.to_owned();
    for name in placeholders(text) {
        bare = bare.replace(&format!("{{{name}}}"), " ");
    }
    bare.split(|c: char| !(c.is_alphabetic() || c == '-'))
        .map(|w| w.trim_matches('-').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let name = &rest[..close];
        if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            found.insert(name.to_owned());
        }
        rest = &rest[close + 1..];
    }
    found
}

struct Catalogues {
    main: Vec<(String, String, usize)>,
    staff: Vec<(String, String, usize)>,
    uses_main: Vec<Use>,
    uses_staff: Vec<Use>,
    problems: Vec<String>,
}

fn read_all() -> Catalogues {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    scripts(&web(), &mut files);
    files.sort();
    let staff_dir = web().join("screens").join("staff");
    let (mut uses_main, mut uses_staff) = (Vec::new(), Vec::new());
    for path in &files {
        let uses = texts_of(path, &mut problems);
        if path.starts_with(&staff_dir) {
            uses_staff.extend(uses);
        } else {
            uses_main.extend(uses);
        }
    }
    let main = catalogue("nn.js", &mut problems).unwrap_or_else(|| {
        problems.push("web/i18n/nn.js is missing".into());
        Vec::new()
    });
    let staff = catalogue("nn-staff.js", &mut problems).unwrap_or_else(|| {
        if !uses_staff.is_empty() {
            problems.push("web/i18n/nn-staff.js is missing".into());
        }
        Vec::new()
    });
    Catalogues {
        main,
        staff,
        uses_main,
        uses_staff,
        problems,
    }
}

fn fail_with(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what} ({}):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn every_text_of_the_client_has_its_nynorsk() {
    let Catalogues {
        main,
        staff,
        uses_main,
        uses_staff,
        mut problems,
    } = read_all();
    let main_keys: BTreeSet<&str> = main.iter().map(|(k, _, _)| k.as_str()).collect();
    let staff_keys: BTreeSet<&str> = staff.iter().map(|(k, _, _)| k.as_str()).collect();
    let mut reported = BTreeSet::new();
    for used in &uses_main {
        if !main_keys.contains(used.text.as_str()) && reported.insert(&used.text) {
            problems.push(format!(
                "{}: {:?} is not in web/i18n/nn.js",
                used.place, used.text
            ));
        }
    }
    for used in &uses_staff {
        let text = used.text.as_str();
        if !staff_keys.contains(text) && !main_keys.contains(text) && reported.insert(&used.text) {
            problems.push(format!(
                "{}: {:?} is not in web/i18n/nn-staff.js",
                used.place, used.text
            ));
        }
    }
    fail_with("texts without nynorsk", &problems);
}

#[test]
fn the_catalogues_hold_only_texts_the_client_uses() {
    let Catalogues {
        main,
        staff,
        uses_main,
        uses_staff,
        mut problems,
    } = read_all();
    let used_anywhere: BTreeSet<&str> = uses_main
        .iter()
        .chain(&uses_staff)
        .map(|u| u.text.as_str())
        .collect();
    let used_by_staff: BTreeSet<&str> = uses_staff.iter().map(|u| u.text.as_str()).collect();
    for (key, _, line) in &main {
        if !used_anywhere.contains(key.as_str()) {
            problems.push(format!("web/i18n/nn.js:{line}: {key:?} is used nowhere"));
        }
    }
    for (key, _, line) in &staff {
        if !used_by_staff.contains(key.as_str()) {
            problems.push(format!(
                "web/i18n/nn-staff.js:{line}: {key:?} is used by no staff screen"
            ));
        }
    }
    fail_with("stale catalogue entries", &problems);
}

#[test]
fn each_entry_is_translated_once_with_the_same_placeholders() {
    let Catalogues {
        main,
        staff,
        mut problems,
        ..
    } = read_all();
    let mut seen: BTreeMap<&str, (&str, String)> = BTreeMap::new();
    for (file, entries) in [("nn.js", &main), ("nn-staff.js", &staff)] {
        let mut own = BTreeSet::new();
        for (key, value, line) in entries {
            let place = format!("web/i18n/{file}:{line}");
            if !own.insert(key.as_str()) {
                problems.push(format!("{place}: {key:?} is in the catalogue twice"));
            }
            if let Some((other, place_before)) = seen.get(key.as_str()) {
                if other != value {
                    problems.push(format!(
                        "{place}: {key:?} is {value:?} here but {other:?} at {place_before}"
                    ));
                }
            } else {
                seen.insert(key, (value, place.clone()));
            }
            if value == key {
                let other: Vec<String> = words_of(key)
                    .into_iter()
                    .filter(|w| !SAME_IN_BOTH.contains(&w.as_str()))
                    .collect();
                if !other.is_empty() {
                    problems.push(format!(
                        "{place}: {key:?} is the same in nynorsk, but {other:?} are not words both forms write alike (translate it, or add the words to SAME_IN_BOTH in tests/api/i18n.rs if they truly are)"
                    ));
                }
            }
            if value.trim().is_empty() {
                problems.push(format!("{place}: {key:?} has no nynorsk"));
            }
            if placeholders(key) != placeholders(value) {
                problems.push(format!(
                    "{place}: {key:?} and {value:?} have different {{placeholders}}"
                ));
            }
        }
    }
    fail_with("catalogue entries to fix", &problems);
}

#[test]
fn the_nynorsk_uses_no_bokmal_only_words() {
    let Catalogues {
        main,
        staff,
        mut problems,
        ..
    } = read_all();
    for (file, entries) in [("nn.js", &main), ("nn-staff.js", &staff)] {
        for (_, value, line) in entries {
            let words = words_of(value);
            let bokmal: Vec<&String> = words
                .iter()
                .filter(|w| {
                    BOKMAL_ONLY.contains(&w.as_str())
                        // vanlig, mulig, tydelig: nynorsk writes -leg.
                        || (w.ends_with("lig") || w.ends_with("lige")) && w.len() > 5
                })
                .collect();
            if !bokmal.is_empty() {
                problems.push(format!(
                    "web/i18n/{file}:{line}: {value:?} has bokmål {bokmal:?}"
                ));
            }
        }
    }
    fail_with("nynorsk with bokmål words", &problems);
}

#[test]
fn the_lexer_tells_strings_from_comments_templates_and_regular_expressions() {
    let source = r#"
        // t('in a comment')
        const a = /['"]/g.test(x) ? t('Første') : t("Andre «{n}»", { n });
        const b = `${t('Tredje')} og ${x}`;
        /* t('also a comment') */ const c = y / 2 / t('Fjerde\'s');
        h('p', {}, t(`Femte`));
    "#;
    let texts: Vec<String> = lex(source, "test")
        .windows(3)
        .filter_map(|w| match (&w[0].0, &w[1].0, &w[2].0) {
            (Token::Ident(t), Token::Punct('('), Token::Text { value, whole: true })
                if t == "t" =>
            {
                Some(value.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        texts,
        ["Første", "Andre «{n}»", "Tredje", "Fjerde's", "Femte"]
    );
    assert_eq!(
        placeholders("Side {n} av {total}, {ikke en}"),
        BTreeSet::from(["n".to_owned(), "total".to_owned()])
    );
}
