//! Mail templates in bokmål, each rendered as plain text and as simple HTML.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Oslo;

/// A rendered message, ready for the outbox.
#[derive(Debug, Clone)]
pub struct RenderedMail {
    pub template: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Building blocks of a message: paragraphs and at most one call to action.
pub struct Letter<'a> {
    pub template: &'static str,
    pub subject: String,
    pub greeting_name: &'a str,
    pub paragraphs: Vec<String>,
    pub action: Option<(&'a str, &'a str)>,
    pub closing: Vec<String>,
}

impl Letter<'_> {
    pub fn render(self) -> RenderedMail {
        let greeting = format!("Hei, {}!", self.greeting_name);
        let mut text = format!("{greeting}\n\n");
        let mut html = format!(
            "<!doctype html><html lang=\"nb\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
             <body style=\"font-family:sans-serif;line-height:1.5;max-width:36em\"><p>{}</p>",
            escape(&self.subject),
            escape(&greeting)
        );
        for paragraph in &self.paragraphs {
            text.push_str(paragraph);
            text.push_str("\n\n");
            html.push_str(&format!("<p>{}</p>", escape(paragraph)));
        }
        if let Some((label, link)) = self.action {
            text.push_str(&format!("{label}:\n{link}\n\n"));
            html.push_str(&format!(
                "<p><a href=\"{}\" style=\"display:inline-block;padding:.6em 1.2em;background:#1d4f91;color:#fff;text-decoration:none;border-radius:4px\">{}</a></p>\
                 <p style=\"font-size:90%\">Virker ikke knappen? Lim inn denne lenken i nettleseren:<br>{}</p>",
                escape(link),
                escape(label),
                escape(link)
            ));
        }
        for paragraph in &self.closing {
            text.push_str(paragraph);
            text.push_str("\n\n");
            html.push_str(&format!("<p>{}</p>", escape(paragraph)));
        }
        text.push_str("Vennlig hilsen\nMentoropplæringen\n");
        html.push_str("<p>Vennlig hilsen<br>Mentoropplæringen</p></body></html>");
        RenderedMail {
            template: self.template,
            subject: self.subject,
            text,
            html,
        }
    }
}

pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A moment as a mentor reads it: Norwegian date and time in Europe/Oslo.
pub fn oslo_time(at: DateTime<Utc>) -> String {
    const DAYS: [&str; 7] = [
        "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
    ];
    const MONTHS: [&str; 12] = [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ];
    use chrono::{Datelike, Timelike};
    let local = at.with_timezone(&Oslo);
    format!(
        "{} {}. {} {} kl. {:02}.{:02}",
        DAYS[local.weekday().num_days_from_monday() as usize],
        local.day(),
        MONTHS[local.month0() as usize],
        local.year(),
        local.hour(),
        local.minute()
    )
}

pub fn password_reset(name: &str, link: &str) -> RenderedMail {
    Letter {
        template: "password_reset",
        subject: "Tilbakestill passordet ditt".into(),
        greeting_name: name,
        paragraphs: vec![
            "Vi har fått en forespørsel om å tilbakestille passordet til kontoen din i mentoropplæringen.".into(),
            "Lenken under virker i én time og kan brukes én gang.".into(),
        ],
        action: Some(("Velg nytt passord", link)),
        closing: vec![
            "Har du ikke bedt om dette, kan du se bort fra e-posten. Passordet ditt er ikke endret.".into(),
        ],
    }
    .render()
}

pub fn email_verification(name: &str, link: &str) -> RenderedMail {
    Letter {
        template: "email_verification",
        subject: "Bekreft e-postadressen din".into(),
        greeting_name: name,
        paragraphs: vec![
            "Takk for at du har meldt deg på mentoropplæringen.".into(),
            "Bekreft e-postadressen din for å komme i gang. Lenken virker i én time.".into(),
        ],
        action: Some(("Bekreft e-postadressen", link)),
        closing: vec!["Har du ikke meldt deg på selv, kan du se bort fra denne e-posten.".into()],
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn html_is_escaped_and_text_has_the_link() {
        let mail = password_reset("<Kari>", "https://example.no/reset-password?token=a&b");
        assert!(mail.html.contains("Hei, &lt;Kari&gt;!"));
        assert!(mail.html.contains("token=a&amp;b"));
        assert!(mail
            .text
            .contains("https://example.no/reset-password?token=a&b"));
    }

    #[test]
    fn times_are_shown_in_oslo() {
        let winter = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
        assert_eq!(oslo_time(winter), "torsdag 15. januar 2026 kl. 13.00");
        let summer = Utc.with_ymd_and_hms(2026, 6, 15, 12, 0, 0).unwrap();
        assert_eq!(oslo_time(summer), "mandag 15. juni 2026 kl. 14.00");
    }
}
