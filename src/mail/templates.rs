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
        let greeting = if self.greeting_name.trim().is_empty() {
            "Hei!".to_owned()
        } else {
            format!("Hei, {}!", self.greeting_name)
        };
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

/// A one-time sign-in link: the owner gets in while wrong passwords keep the password sign-in
/// locked.
pub fn sign_in_link(name: &str, link: &str) -> RenderedMail {
    Letter {
        template: "sign_in_link",
        subject: "Lenke for å logge inn".into(),
        greeting_name: name,
        paragraphs: vec![
            "Du ba om en lenke for å logge inn i mentoropplæringen uten passord.".into(),
            "Lenken under virker i 15 minutter og kan brukes én gang.".into(),
        ],
        action: Some(("Logg inn", link)),
        closing: vec![
            "Har du ikke bedt om dette, kan du se bort fra e-posten. Ingen kommer inn på kontoen din uten lenken.".into(),
        ],
    }
    .render()
}

/// The sign-up's name is not used: it was typed by whoever signed up, maybe not the inbox's owner.
pub fn email_verification(link: &str) -> RenderedMail {
    Letter {
        template: "email_verification",
        subject: "Bekreft e-postadressen din".into(),
        greeting_name: "",
        paragraphs: vec![
            "Takk for at du har meldt deg på mentoropplæringen.".into(),
            "Bekreft e-postadressen din for å komme i gang: åpne lenken og skriv passordet du valgte da du meldte deg på. Lenken virker i én time.".into(),
        ],
        action: Some(("Bekreft e-postadressen", link)),
        closing: vec!["Har du ikke meldt deg på selv, kan du se bort fra denne e-posten.".into()],
    }
    .render()
}

/// An invitation to join the programme as a mentor in a municipality.
pub fn mentor_invitation(
    name: &str,
    municipality: &str,
    link: &str,
    valid_until: &str,
) -> RenderedMail {
    Letter {
        template: "mentor_invitation",
        subject: "Du er invitert til mentoropplæringen".into(),
        greeting_name: name,
        paragraphs: vec![
            format!("{municipality} kommune har meldt deg på den digitale opplæringen for mentorer i helse- og omsorgstjenesten."),
            "Opplæringen består av fire moduler du tar i eget tempo, et refleksjonsnotat og tre refleksjonswebinarer sammen med andre mentorer.".into(),
            format!("Lenken under virker til {valid_until}. Der velger du navn og passord."),
        ],
        action: Some(("Godta invitasjonen", link)),
        closing: vec!["Har du spørsmål, kan du svare lederen din eller koordinatoren som inviterte deg.".into()],
    }
    .render()
}

/// An invitation to follow up municipalities as a coordinator at a USHT.
pub fn coordinator_invitation(
    name: &str,
    usht: &str,
    link: &str,
    valid_until: &str,
) -> RenderedMail {
    Letter {
        template: "coordinator_invitation",
        subject: "Du er invitert som koordinator i mentoropplæringen".into(),
        greeting_name: name,
        paragraphs: vec![
            format!("Du er invitert som koordinator for {usht} i den digitale mentoropplæringen."),
            "Som koordinator melder du på kommuner, inviterer mentorer og følger med på hvordan de ligger an.".into(),
            format!("Lenken under virker til {valid_until}."),
        ],
        action: Some(("Godta invitasjonen", link)),
        closing: vec![],
    }
    .render()
}

/// Sent when someone signs up with an address that already has an account, so sign-up does not
/// reveal which addresses are registered.
pub fn already_registered(name: &str, link: &str) -> RenderedMail {
    Letter {
        template: "already_registered",
        subject: "Du har allerede en konto".into(),
        greeting_name: name,
        paragraphs: vec![
            "Noen (kanskje du) prøvde å registrere en ny konto i mentoropplæringen med denne e-postadressen. Du har allerede en konto, så ingen ny ble laget.".into(),
            "Har du glemt passordet, kan du velge et nytt fra innloggingssiden.".into(),
        ],
        action: Some(("Gå til innlogging", link)),
        closing: vec!["Var det ikke du, kan du se bort fra denne e-posten.".into()],
    }
    .render()
}

/// To an address someone tried to sign up with while an invitation to it is open.
pub fn already_invited(link: &str) -> RenderedMail {
    Letter {
        template: "already_invited",
        subject: "Du er allerede invitert".into(),
        greeting_name: "",
        paragraphs: vec![
            "Noen (kanskje du) prøvde å melde seg på mentoropplæringen med denne e-postadressen. Adressen er allerede invitert, så ingen påmelding ble laget.".into(),
            "Bruk lenken i invitasjonen du har fått på e-post for å lage kontoen. Finner du den ikke, eller har den gått ut, kan du be den som inviterte deg sende den på nytt.".into(),
        ],
        action: Some(("Gå til mentoropplæringen", link)),
        closing: vec!["Var det ikke du, kan du se bort fra denne e-posten.".into()],
    }
    .render()
}

/// A coordinator's reminder to a mentor who has not been active for a while.
pub fn nudge(name: &str, days: i32, link: &str) -> RenderedMail {
    Letter {
        template: "nudge",
        subject: "Vi savner deg i mentoropplæringen".into(),
        greeting_name: name,
        paragraphs: vec![
            format!("Det er {days} dager eller mer siden du sist var innom mentoropplæringen."),
            "Du fortsetter der du slapp. Mange synes det går lettest med en liten økt av gangen, for eksempel én side i pausen.".into(),
        ],
        action: Some(("Fortsett opplæringen", link)),
        closing: vec!["Hilsen koordinatoren din".into()],
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
