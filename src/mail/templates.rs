//! Mail templates in bokmål and nynorsk (the recipient's form), each rendered as plain text and
//! as simple HTML.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Oslo;

use crate::language::Language;

/// A rendered message, ready for the outbox.
#[derive(Debug, Clone)]
pub struct RenderedMail {
    pub template: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Building blocks of a message: paragraphs and at most one call to action, written in
/// `language` (the frame around them, greeting, button note and signature, follows it).
pub struct Letter<'a> {
    pub template: &'static str,
    pub language: Language,
    pub subject: String,
    pub greeting_name: &'a str,
    pub paragraphs: Vec<String>,
    pub action: Option<(&'a str, &'a str)>,
    pub closing: Vec<String>,
}

impl Letter<'_> {
    pub fn render(self) -> RenderedMail {
        let l = self.language;
        let greeting = if self.greeting_name.trim().is_empty() {
            "Hei!".to_owned()
        } else {
            format!("Hei, {}!", self.greeting_name)
        };
        let mut text = format!("{greeting}\n\n");
        let mut html = format!(
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
             <body style=\"font-family:sans-serif;line-height:1.5;max-width:36em\"><p>{}</p>",
            l.as_str(),
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
                 <p style=\"font-size:90%\">{}<br>{}</p>",
                escape(link),
                escape(label),
                l.pick(
                    "Virker ikke knappen? Lim inn denne lenken i nettleseren:",
                    "Verkar ikkje knappen? Lim inn denne lenkja i nettlesaren:",
                ),
                escape(link)
            ));
        }
        for paragraph in &self.closing {
            text.push_str(paragraph);
            text.push_str("\n\n");
            html.push_str(&format!("<p>{}</p>", escape(paragraph)));
        }
        let (regards, sender) = l.pick(
            ("Vennlig hilsen", "Mentoropplæringen"),
            ("Med venleg helsing", "Mentoropplæringa"),
        );
        text.push_str(&format!("{regards}\n{sender}\n"));
        html.push_str(&format!("<p>{regards}<br>{sender}</p></body></html>"));
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

/// A moment as a mentor reads it: Norwegian date and time in Europe/Oslo, with the weekday in
/// the reader's form (the months are the same in both).
pub fn oslo_time(at: DateTime<Utc>, language: Language) -> String {
    const DAYS_NB: [&str; 7] = [
        "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
    ];
    const DAYS_NN: [&str; 7] = [
        "måndag", "tysdag", "onsdag", "torsdag", "fredag", "laurdag", "sundag",
    ];
    use chrono::{Datelike, Timelike};
    let local = at.with_timezone(&Oslo);
    let days = language.pick(DAYS_NB, DAYS_NN);
    format!(
        "{} {} kl. {:02}.{:02}",
        days[local.weekday().num_days_from_monday() as usize],
        long_date(local.date_naive()),
        local.hour(),
        local.minute()
    )
}

/// A date as it is written out, "3. mai 2026": the months are the same in both forms.
pub fn long_date(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
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
    format!(
        "{}. {} {}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

pub fn password_reset(name: &str, link: &str, language: Language) -> RenderedMail {
    let l = language;
    Letter {
        template: "password_reset",
        language,
        subject: "Tilbakestill passordet ditt".into(),
        greeting_name: name,
        paragraphs: vec![
            l.pick(
                "Vi har fått en forespørsel om å tilbakestille passordet til kontoen din i mentoropplæringen.",
                "Vi har fått ein førespurnad om å tilbakestille passordet til kontoen din i mentoropplæringa.",
            )
            .into(),
            l.pick(
                "Lenken under virker i én time og kan brukes én gang.",
                "Lenkja under verkar i éin time og kan brukast éin gong.",
            )
            .into(),
        ],
        action: Some((l.pick("Velg nytt passord", "Vel nytt passord"), link)),
        closing: vec![l
            .pick(
                "Har du ikke bedt om dette, kan du se bort fra e-posten. Passordet ditt er ikke endret.",
                "Har du ikkje bede om dette, kan du sjå bort frå e-posten. Passordet ditt er ikkje endra.",
            )
            .into()],
    }
    .render()
}

/// A one-time sign-in link: the owner gets in while wrong passwords keep the password sign-in
/// locked.
pub fn sign_in_link(name: &str, link: &str, language: Language) -> RenderedMail {
    let l = language;
    Letter {
        template: "sign_in_link",
        language,
        subject: l
            .pick("Lenke for å logge inn", "Lenkje for å logge inn")
            .into(),
        greeting_name: name,
        paragraphs: vec![
            l.pick(
                "Du ba om en lenke for å logge inn i mentoropplæringen uten passord.",
                "Du bad om ei lenkje for å logge inn i mentoropplæringa utan passord.",
            )
            .into(),
            l.pick(
                "Lenken under virker i 15 minutter og kan brukes én gang.",
                "Lenkja under verkar i 15 minutt og kan brukast éin gong.",
            )
            .into(),
        ],
        action: Some(("Logg inn", link)),
        closing: vec![l
            .pick(
                "Har du ikke bedt om dette, kan du se bort fra e-posten. Ingen kommer inn på kontoen din uten lenken.",
                "Har du ikkje bede om dette, kan du sjå bort frå e-posten. Ingen kjem inn på kontoen din utan lenkja.",
            )
            .into()],
    }
    .render()
}

/// The sign-up's name is not used: it was typed by whoever signed up, maybe not the inbox's owner.
pub fn email_verification(link: &str, language: Language) -> RenderedMail {
    let l = language;
    Letter {
        template: "email_verification",
        language,
        subject: l
            .pick("Bekreft e-postadressen din", "Stadfest e-postadressa di")
            .into(),
        greeting_name: "",
        paragraphs: vec![
            l.pick(
                "Takk for at du har meldt deg på mentoropplæringen.",
                "Takk for at du har meldt deg på mentoropplæringa.",
            )
            .into(),
            l.pick(
                "Bekreft e-postadressen din for å komme i gang: åpne lenken og skriv passordet du valgte da du meldte deg på. Lenken virker i én time.",
                "Stadfest e-postadressa di for å kome i gang: opne lenkja og skriv passordet du valde då du melde deg på. Lenkja verkar i éin time.",
            )
            .into(),
        ],
        action: Some((
            l.pick("Bekreft e-postadressen", "Stadfest e-postadressa"),
            link,
        )),
        closing: vec![l
            .pick(
                "Har du ikke meldt deg på selv, kan du se bort fra denne e-posten.",
                "Har du ikkje meldt deg på sjølv, kan du sjå bort frå denne e-posten.",
            )
            .into()],
    }
    .render()
}

/// An invitation to join the programme as a mentor in a municipality.
pub fn mentor_invitation(
    name: &str,
    municipality: &str,
    link: &str,
    valid_until: &str,
    language: Language,
) -> RenderedMail {
    let l = language;
    Letter {
        template: "mentor_invitation",
        language,
        subject: l
            .pick(
                "Du er invitert til mentoropplæringen",
                "Du er invitert til mentoropplæringa",
            )
            .into(),
        greeting_name: name,
        paragraphs: vec![
            match l {
                Language::Bokmal => format!("{municipality} kommune har meldt deg på den digitale opplæringen for mentorer i helse- og omsorgstjenesten."),
                Language::Nynorsk => format!("{municipality} kommune har meldt deg på den digitale opplæringa for mentorar i helse- og omsorgstenesta."),
            },
            l.pick(
                "Opplæringen består av fire moduler du tar i eget tempo, et refleksjonsnotat og tre refleksjonswebinarer sammen med andre mentorer.",
                "Opplæringa består av fire modular du tek i ditt eige tempo, eit refleksjonsnotat og tre refleksjonswebinar saman med andre mentorar.",
            )
            .into(),
            match l {
                Language::Bokmal => format!("Lenken under virker til {valid_until}. Der velger du navn og passord."),
                Language::Nynorsk => format!("Lenkja under verkar til {valid_until}. Der vel du namn og passord."),
            },
        ],
        action: Some(("Godta invitasjonen", link)),
        closing: vec![l
            .pick(
                "Har du spørsmål, kan du svare lederen din eller koordinatoren som inviterte deg.",
                "Har du spørsmål, kan du svare leiaren din eller koordinatoren som inviterte deg.",
            )
            .into()],
    }
    .render()
}

/// An invitation to follow up municipalities as a coordinator at a USHT.
pub fn coordinator_invitation(
    name: &str,
    usht: &str,
    link: &str,
    valid_until: &str,
    language: Language,
) -> RenderedMail {
    let l = language;
    Letter {
        template: "coordinator_invitation",
        language,
        subject: l
            .pick(
                "Du er invitert som koordinator i mentoropplæringen",
                "Du er invitert som koordinator i mentoropplæringa",
            )
            .into(),
        greeting_name: name,
        paragraphs: vec![
            match l {
                Language::Bokmal => format!("Du er invitert som koordinator for {usht} i den digitale mentoropplæringen."),
                Language::Nynorsk => format!("Du er invitert som koordinator for {usht} i den digitale mentoropplæringa."),
            },
            l.pick(
                "Som koordinator melder du på kommuner, inviterer mentorer og følger med på hvordan de ligger an.",
                "Som koordinator melder du på kommunar, inviterer mentorar og følgjer med på korleis dei ligg an.",
            )
            .into(),
            match l {
                Language::Bokmal => format!("Lenken under virker til {valid_until}."),
                Language::Nynorsk => format!("Lenkja under verkar til {valid_until}."),
            },
        ],
        action: Some(("Godta invitasjonen", link)),
        closing: vec![],
    }
    .render()
}

/// Sent when a sign-in provider is linked to an existing account, so that its owner learns of a
/// new way into it they did not make.
pub fn provider_linked(name: &str, label: &str, link: &str, language: Language) -> RenderedMail {
    let l = language;
    Letter {
        template: "provider_linked",
        language,
        subject: format!(
            "{label} {}",
            l.pick("er koblet til kontoen din", "er kopla til kontoen din")
        ),
        greeting_name: name,
        paragraphs: vec![format!(
            "{} {label}.",
            l.pick(
                "Nå kan du logge inn i mentoropplæringen med",
                "No kan du logge inn i mentoropplæringa med",
            )
        )],
        action: Some((l.pick("Gå til profilen", "Gå til profilen"), link)),
        closing: vec![l
            .pick(
                "Var det ikke du, fjerner du koblingen under «Slik logger du inn» i profilen og velger et nytt passord.",
                "Var det ikkje du, fjernar du koplinga under «Slik loggar du inn» i profilen og vel eit nytt passord.",
            )
            .into()],
    }
    .render()
}

/// Sent when someone signs up with an address that already has an account, so sign-up does not
/// reveal which addresses are registered.
pub fn already_registered(name: &str, link: &str, language: Language) -> RenderedMail {
    let l = language;
    Letter {
        template: "already_registered",
        language,
        subject: l
            .pick("Du har allerede en konto", "Du har allereie ein konto")
            .into(),
        greeting_name: name,
        paragraphs: vec![
            l.pick(
                "Noen (kanskje du) prøvde å registrere en ny konto i mentoropplæringen med denne e-postadressen. Du har allerede en konto, så ingen ny ble laget.",
                "Nokon (kanskje du) prøvde å registrere ein ny konto i mentoropplæringa med denne e-postadressa. Du har allereie ein konto, så ingen ny blei laga.",
            )
            .into(),
            l.pick(
                "Har du glemt passordet, kan du velge et nytt fra innloggingssiden.",
                "Har du gløymt passordet, kan du velje eit nytt frå innloggingssida.",
            )
            .into(),
        ],
        action: Some(("Gå til innlogging", link)),
        closing: vec![l
            .pick(
                "Var det ikke du, kan du se bort fra denne e-posten.",
                "Var det ikkje du, kan du sjå bort frå denne e-posten.",
            )
            .into()],
    }
    .render()
}

/// To an address someone tried to sign up with while an invitation to it is open.
pub fn already_invited(link: &str, language: Language) -> RenderedMail {
    let l = language;
    Letter {
        template: "already_invited",
        language,
        subject: l
            .pick("Du er allerede invitert", "Du er allereie invitert")
            .into(),
        greeting_name: "",
        paragraphs: vec![
            l.pick(
                "Noen (kanskje du) prøvde å melde seg på mentoropplæringen med denne e-postadressen. Adressen er allerede invitert, så ingen påmelding ble laget.",
                "Nokon (kanskje du) prøvde å melde seg på mentoropplæringa med denne e-postadressa. Adressa er allereie invitert, så inga påmelding blei laga.",
            )
            .into(),
            l.pick(
                "Bruk lenken i invitasjonen du har fått på e-post for å lage kontoen. Finner du den ikke, eller har den gått ut, kan du be den som inviterte deg sende den på nytt.",
                "Bruk lenkja i invitasjonen du har fått på e-post, for å lage kontoen. Finn du han ikkje, eller har han gått ut, kan du be den som inviterte deg, sende han på nytt.",
            )
            .into(),
        ],
        action: Some((
            l.pick("Gå til mentoropplæringen", "Gå til mentoropplæringa"),
            link,
        )),
        closing: vec![l
            .pick(
                "Var det ikke du, kan du se bort fra denne e-posten.",
                "Var det ikkje du, kan du sjå bort frå denne e-posten.",
            )
            .into()],
    }
    .render()
}

/// A coordinator's reminder to a mentor who has not been active for a while.
pub fn nudge(name: &str, days: i32, link: &str, language: Language) -> RenderedMail {
    let l = language;
    Letter {
        template: "nudge",
        language,
        subject: l
            .pick(
                "Vi savner deg i mentoropplæringen",
                "Vi saknar deg i mentoropplæringa",
            )
            .into(),
        greeting_name: name,
        paragraphs: vec![
            match l {
                Language::Bokmal => format!("Det er {days} dager eller mer siden du sist var innom mentoropplæringen."),
                Language::Nynorsk => format!("Det er {days} dagar eller meir sidan du sist var innom mentoropplæringa."),
            },
            l.pick(
                "Du fortsetter der du slapp. Mange synes det går lettest med en liten økt av gangen, for eksempel én side i pausen.",
                "Du held fram der du slapp. Mange synest det går lettast med ei lita økt om gongen, til dømes éi side i pausen.",
            )
            .into(),
        ],
        action: Some((
            l.pick("Fortsett opplæringen", "Hald fram med opplæringa"),
            link,
        )),
        closing: vec![l
            .pick("Hilsen koordinatoren din", "Helsing frå koordinatoren din")
            .into()],
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const NB: Language = Language::Bokmal;
    const NN: Language = Language::Nynorsk;

    /// Words only a nynorsk text has (whole words, so `ikkje` does not hide in another word).
    const NYNORSK_WORDS: &[&str] = &[
        "ikkje",
        "eit",
        "ein",
        "ei",
        "frå",
        "sjå",
        "lenkja",
        "lenkje",
        "mentoropplæringa",
        "opplæringa",
        "verkar",
        "nokon",
        "allereie",
        "korleis",
        "mentorar",
        "saknar",
        "helsing",
        "venleg",
        "stadfest",
        "e-postadressa",
    ];
    const BOKMAL_WORDS: &[&str] = &[
        "ikke",
        "et",
        "en",
        "fra",
        "lenken",
        "mentoropplæringen",
        "virker",
        "noen",
        "allerede",
        "hvordan",
        "mentorer",
        "savner",
        "vennlig",
        "hilsen",
    ];

    fn words(text: &str) -> Vec<String> {
        text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    /// The two forms of a mail differ in subject or body, the nynorsk one has nynorsk words and
    /// no bokmål ones, and both keep the same link.
    fn check_both(render: impl Fn(Language) -> RenderedMail, link: &str) {
        let (nb, nn) = (render(NB), render(NN));
        assert_eq!(nb.template, nn.template);
        assert_ne!(
            nb.text, nn.text,
            "{}: the nynorsk text differs",
            nn.template
        );
        assert_ne!(nb.html, nn.html);
        let nn_words = words(&format!("{} {}", nn.subject, nn.text));
        assert!(
            NYNORSK_WORDS
                .iter()
                .any(|w| nn_words.iter().any(|n| n == w)),
            "{}: no nynorsk word in {}",
            nn.template,
            nn.text
        );
        let stray: Vec<_> = nn_words
            .iter()
            .filter(|w| BOKMAL_WORDS.contains(&w.as_str()))
            .collect();
        assert!(
            stray.is_empty(),
            "{}: bokmål {stray:?} in {}",
            nn.template,
            nn.text
        );
        let nb_words = words(&format!("{} {}", nb.subject, nb.text));
        let stray: Vec<_> = nb_words
            .iter()
            .filter(|w| NYNORSK_WORDS.contains(&w.as_str()))
            .collect();
        assert!(
            stray.is_empty(),
            "{}: nynorsk {stray:?} in {}",
            nb.template,
            nb.text
        );
        assert!(nb.html.contains("<html lang=\"nb\">"));
        assert!(nn.html.contains("<html lang=\"nn\">"));
        assert!(nn.text.ends_with("Med venleg helsing\nMentoropplæringa\n"));
        assert!(nb.text.ends_with("Vennlig hilsen\nMentoropplæringen\n"));
        if !link.is_empty() {
            assert!(nb.text.contains(link) && nn.text.contains(link));
        }
    }

    const LINK: &str = "https://example.no/x?token=abc";

    #[test]
    fn html_is_escaped_and_text_has_the_link() {
        let mail = password_reset("<Kari>", "https://example.no/reset-password?token=a&b", NB);
        assert!(mail.html.contains("Hei, &lt;Kari&gt;!"));
        assert!(mail.html.contains("token=a&amp;b"));
        assert!(mail
            .text
            .contains("https://example.no/reset-password?token=a&b"));
    }

    #[test]
    fn times_are_shown_in_oslo() {
        let winter = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
        assert_eq!(oslo_time(winter, NB), "torsdag 15. januar 2026 kl. 13.00");
        let summer = Utc.with_ymd_and_hms(2026, 6, 15, 12, 0, 0).unwrap();
        assert_eq!(oslo_time(summer, NB), "mandag 15. juni 2026 kl. 14.00");
    }

    #[test]
    fn nynorsk_weekdays() {
        // 2026-06-15 is a Monday.
        let days: Vec<String> = (0..7)
            .map(|d| oslo_time(Utc.with_ymd_and_hms(2026, 6, 15 + d, 10, 0, 0).unwrap(), NN))
            .collect();
        assert_eq!(
            days,
            [
                "måndag 15. juni 2026 kl. 12.00",
                "tysdag 16. juni 2026 kl. 12.00",
                "onsdag 17. juni 2026 kl. 12.00",
                "torsdag 18. juni 2026 kl. 12.00",
                "fredag 19. juni 2026 kl. 12.00",
                "laurdag 20. juni 2026 kl. 12.00",
                "sundag 21. juni 2026 kl. 12.00",
            ]
        );
        let winter = Utc.with_ymd_and_hms(2026, 12, 1, 7, 5, 0).unwrap();
        assert_eq!(oslo_time(winter, NN), "tysdag 1. desember 2026 kl. 08.05");
        assert_eq!(oslo_time(winter, NB), "tirsdag 1. desember 2026 kl. 08.05");
    }

    #[test]
    fn password_reset_in_both_forms() {
        check_both(|l| password_reset("Kari", LINK, l), LINK);
        let nn = password_reset("Kari", LINK, NN);
        assert!(nn.text.contains("Vel nytt passord:"));
        assert!(nn.html.contains("Verkar ikkje knappen?"));
    }

    #[test]
    fn sign_in_link_in_both_forms() {
        check_both(|l| sign_in_link("Kari", LINK, l), LINK);
        assert_eq!(
            sign_in_link("Kari", LINK, NN).subject,
            "Lenkje for å logge inn"
        );
    }

    #[test]
    fn email_verification_in_both_forms() {
        check_both(|l| email_verification(LINK, l), LINK);
        assert_eq!(
            email_verification(LINK, NN).subject,
            "Stadfest e-postadressa di"
        );
    }

    #[test]
    fn mentor_invitation_in_both_forms() {
        check_both(
            |l| mentor_invitation("Kari", "Voss", LINK, "fredag 4. desember 2026 kl. 12.00", l),
            LINK,
        );
        let nn = mentor_invitation("Kari", "Voss", LINK, "x", NN);
        assert!(nn
            .text
            .contains("Voss kommune har meldt deg på den digitale opplæringa"));
    }

    #[test]
    fn coordinator_invitation_in_both_forms() {
        check_both(
            |l| coordinator_invitation("Ola", "USHT Vestland", LINK, "x", l),
            LINK,
        );
        assert!(
            coordinator_invitation("Ola", "USHT Vestland", LINK, "x", NN)
                .text
                .contains("korleis dei ligg an")
        );
    }

    #[test]
    fn already_registered_in_both_forms() {
        check_both(|l| already_registered("Kari", LINK, l), LINK);
    }

    #[test]
    fn provider_linked_in_both_forms() {
        check_both(|l| provider_linked("Kari", "ID-porten", LINK, l), LINK);
        assert_eq!(
            provider_linked("Kari", "ID-porten", LINK, NN).subject,
            "ID-porten er kopla til kontoen din"
        );
    }

    #[test]
    fn already_invited_in_both_forms() {
        check_both(|l| already_invited(LINK, l), LINK);
    }

    #[test]
    fn nudge_in_both_forms() {
        check_both(|l| nudge("Kari", 14, LINK, l), LINK);
        assert!(nudge("Kari", 14, LINK, NN)
            .text
            .contains("Det er 14 dagar eller meir sidan"));
    }
}
