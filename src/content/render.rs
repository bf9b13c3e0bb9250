//! Markdown to safe HTML: pulldown-cmark (tables, footnotes, heading anchors), special fenced
//! blocks turned into structured blocks, and ammonia so only harmless HTML remains.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::{Block, ContentProblem};
use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

mod blocks;

use blocks::{exercise_minutes, parse_film, parse_reflection};
pub use blocks::{is_valid_id, toml_message};

/// A block as written, with the line it starts on.
pub struct LocatedBlock {
    pub block: Block,
    pub line: usize,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
}

/// Renders a page body. `first_line` is the file line the body starts on, for problem reports.
/// Also counts the words of prose (everything outside fenced and indented blocks, tables
/// included), for the reading-time estimate.
pub fn render_page(
    file: &str,
    body: &str,
    first_line: usize,
    problems: &mut Vec<ContentProblem>,
) -> (String, Vec<LocatedBlock>, usize) {
    let mut events: Vec<Event> = Vec::new();
    let mut blocks = Vec::new();
    let mut exercises = 0;
    let mut words = 0;
    let mut in_code = false;
    let mut parser = Parser::new_ext(body, options()).into_offset_iter();
    while let Some((event, range)) = parser.next() {
        let (kind, info) = match &event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let kind = info.split_whitespace().next().unwrap_or("").to_owned();
                let special = ["film", "reflection", "exercise"].contains(&kind.as_str());
                (special.then_some(kind), info.to_string())
            }
            _ => (None, String::new()),
        };
        let Some(kind) = kind else {
            match &event {
                Event::Start(Tag::CodeBlock(_)) => in_code = true,
                Event::End(TagEnd::CodeBlock) => in_code = false,
                Event::Text(text) | Event::Code(text) if !in_code => words += count_words(text),
                _ => {}
            }
            events.push(event);
            continue;
        };
        let mut inner = String::new();
        for (event, _) in parser.by_ref() {
            match event {
                Event::Text(text) => inner.push_str(&text),
                Event::End(TagEnd::CodeBlock) => break,
                _ => {}
            }
        }
        let line = first_line + body[..range.start].matches('\n').count();
        let block = match kind.as_str() {
            "film" => parse_film(file, line, &inner, problems),
            "reflection" => parse_reflection(file, line, &inner, problems),
            _ => {
                exercises += 1;
                exercise_minutes(file, line, &info, problems).map(|estimated_minutes| {
                    Block::Exercise {
                        id: format!("ovelse-{exercises}"),
                        html: render_fragment(&inner),
                        estimated_minutes,
                    }
                })
            }
        };
        if let Some(block) = block {
            events.push(Event::Html(CowStr::from(format!(
                "<div class=\"block\" data-block-type=\"{kind}\" data-block-id=\"{}\"></div>\n",
                block.id()
            ))));
            blocks.push(LocatedBlock { block, line });
        }
    }
    add_heading_anchors(&mut events);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    (sanitize(&html), blocks, words)
}

/// Words as a reader reads them: runs of text with a letter or digit in them.
pub fn count_words(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// Markdown without structured blocks (exercise text, literature notes).
pub fn render_fragment(markdown: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options()));
    sanitize(&html)
}

/// Gives every heading an id made from its text, unique within the page.
fn add_heading_anchors(events: &mut [Event]) {
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut index = 0;
    while index < events.len() {
        if let Event::Start(Tag::Heading { .. }) = &events[index] {
            let mut text = String::new();
            let mut end = index + 1;
            while end < events.len() && !matches!(events[end], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[end] {
                    text.push_str(t);
                }
                end += 1;
            }
            let base = slugify(&text);
            let count = used.entry(base.clone()).or_insert(0);
            *count += 1;
            let anchor = if *count == 1 {
                base
            } else {
                format!("{base}-{count}")
            };
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[index] {
                *id = Some(CowStr::from(anchor));
            }
            index = end;
        }
        index += 1;
    }
}

pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.to_lowercase().chars() {
        match c {
            'æ' => slug.push_str("ae"),
            'ø' => slug.push('o'),
            'å' => slug.push('a'),
            c if c.is_ascii_alphanumeric() => slug.push(c),
            _ => {
                if !slug.ends_with('-') && !slug.is_empty() {
                    slug.push('-');
                }
            }
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "avsnitt".to_owned()
    } else {
        slug
    }
}

/// Only harmless HTML: no script, style, iframe, forms or event handlers; links only to
/// http, https and mailto, or to anchors within the page.
pub fn sanitize(html: &str) -> String {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Custom(Box::new(fragment_only)))
        .link_rel(Some("noopener noreferrer"))
        .add_tag_attributes("div", &["class", "id", "data-block-type", "data-block-id"])
        .add_tag_attributes("sup", &["class", "id"])
        .add_tag_attributes("a", &["id"])
        .add_tag_attributes("ol", &["start"])
        .add_tag_attributes("td", &["align"])
        .add_tag_attributes("th", &["align"]);
    for heading in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        builder.add_tag_attributes(heading, &["id"]);
    }
    builder.clean(html).to_string()
}

fn fragment_only(url: &str) -> Option<Cow<'_, str>> {
    url.starts_with('#').then_some(Cow::Borrowed(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> (String, Vec<LocatedBlock>, Vec<ContentProblem>) {
        let mut problems = Vec::new();
        let (html, blocks, _) = render_page("p.md", body, 5, &mut problems);
        (html, blocks, problems)
    }

    #[test]
    fn renders_tables_footnotes_and_anchors() {
        let (html, _, problems) = page("## Hva er veiledning?\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nTekst[^1].\n\n[^1]: En fotnote.\n\n## Hva er veiledning?\n");
        assert!(problems.is_empty());
        assert!(html.contains("<h2 id=\"hva-er-veiledning\">"), "{html}");
        assert!(html.contains("<h2 id=\"hva-er-veiledning-2\">"), "{html}");
        assert!(html.contains("<table>"));
        assert!(html.contains("footnote-definition"), "{html}");
        assert!(html.contains("href=\"#1\""), "{html}");
    }

    #[test]
    fn blocks_become_structured_with_placeholders_and_lines() {
        let body = "Intro\n\n```film\nid = \"f1\"\ntitle = \"Film\"\nsrc = \"https://video.example/f1.mp4\"\nsubtitles = \"f1.vtt\"\nduration_seconds = 60\ntranscript = \"Anne: Hei.\"\n```\n\n```exercise\n**Gjør dette**\n```\n\n```reflection\nid = \"q1\"\nquestion = \"Hva tenker du?\"\n```\n";
        let (html, blocks, problems) = page(body);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0].line, 7);
        assert!(
            matches!(&blocks[1].block, Block::Exercise { id, html, estimated_minutes: 10 } if id == "ovelse-1" && html.contains("<strong>"))
        );
        assert!(matches!(&blocks[2].block, Block::Reflection { id, .. } if id == "q1"));
        assert!(
            html.contains("data-block-type=\"film\" data-block-id=\"f1\""),
            "{html}"
        );
        assert!(!html.contains("duration_seconds"));
    }

    #[test]
    fn bad_blocks_are_reported_with_their_line() {
        let (_, blocks, problems) = page("\n\n```reflection\nid = \"Bad Id\"\nquestion = \"x\"\n```\n\n```film\nid = \"f\"\n```\n");
        assert!(blocks.is_empty());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].line, Some(7));
        assert!(problems[1].message.contains("film block"));
    }

    /// A corpus of hostile markdown: nothing executable survives.
    #[test]
    fn hostile_markdown_is_neutralised() {
        let hostile = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[klikk](javascript:alert(1))",
            "[klikk](JaVaScRiPt:alert(1))",
            "[klikk](data:text/html;base64,PHNjcmlwdD4=)",
            "[klikk](vbscript:msgbox(1))",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<style>body{display:none}</style>",
            "<a href=\"https://ok.example\" onclick=\"steal()\">x</a>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<svg><script>alert(1)</script></svg>",
            "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
            "<form action=\"https://evil.example\"><input name=p></form>",
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "<a href=\"/admin\">relativ</a>",
            "<base href=\"https://evil.example/\">",
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
            "![x](javascript:alert(1))",
            "<details open ontoggle=alert(1)>",
            "[x]( javascript:alert(1) )",
        ];
        for input in hostile {
            let (html, _, _) = page(input);
            let lower = html.to_lowercase();
            for bad in [
                "<script",
                "javascript:",
                "vbscript:",
                "data:",
                "onerror",
                "onclick",
                "ontoggle",
                "<iframe",
                "<style",
                "style=",
                "<object",
                "<embed",
                "<form",
                "<input",
                "<base",
                "<meta",
                "href=\"/admin\"",
            ] {
                assert!(!lower.contains(bad), "{input:?} became {html:?}");
            }
        }
        let (html, _, _) =
            page("[trygg](https://helsedirektoratet.no) og [e-post](mailto:post@example.no)");
        assert!(html.contains("href=\"https://helsedirektoratet.no\""));
        assert!(html.contains("rel=\"noopener noreferrer\""));
        assert!(html.contains("mailto:post@example.no"));
    }
}
