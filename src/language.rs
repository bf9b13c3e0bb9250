//! The two written forms of Norwegian the programme speaks: bokmål and nynorsk. Each person
//! chooses one (`users.language`); course text, emails, calendars and the certificate follow it.

use actix_web::http::header::{HeaderMap, ACCEPT_LANGUAGE};

crate::text_enum! {
    /// A written form of Norwegian: `nb` (bokmål) or `nn` (nynorsk), as BCP 47 tags.
    #[derive(Default)]
    pub enum Language {
        #[default]
        Bokmal = "nb",
        Nynorsk = "nn",
    }
}

impl Language {
    /// The form's name, written in the form itself.
    pub fn name(self) -> &'static str {
        match self {
            Language::Bokmal => "bokmål",
            Language::Nynorsk => "nynorsk",
        }
    }

    /// One of two texts, by form: `language.pick("bokmål", "nynorsk")`.
    pub fn pick<T>(self, bokmal: T, nynorsk: T) -> T {
        match self {
            Language::Bokmal => bokmal,
            Language::Nynorsk => nynorsk,
        }
    }

    /// The form a request's `Accept-Language` prefers (RFC 9110, 12.5.4): the tag with the highest
    /// weight that names one of ours (`nn`, `nn-NO`, `nb`, `no`, `nb-NO`, …), else bokmål.
    pub fn from_headers(headers: &HeaderMap) -> Language {
        headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Self::negotiate)
            .unwrap_or_default()
    }

    pub fn negotiate(header: &str) -> Language {
        let mut best: Option<(u16, Language)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next()
                .unwrap_or(1.0);
            if !(0.0..=1.0).contains(&weight) || weight == 0.0 {
                continue;
            }
            let primary = tag.split('-').next().unwrap_or("");
            let language = match primary {
                "nn" => Language::Nynorsk,
                "nb" | "no" => Language::Bokmal,
                _ => continue,
            };
            // Weights to three decimals, earlier tags winning ties.
            let score = (weight * 1000.0) as u16;
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, language));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::Language;

    #[test]
    fn negotiates_accept_language() {
        assert_eq!(
            Language::negotiate("nn-NO,nn;q=0.9,nb;q=0.8"),
            Language::Nynorsk
        );
        assert_eq!(
            Language::negotiate("nb-NO,nb;q=0.9,nn;q=0.8"),
            Language::Bokmal
        );
        assert_eq!(
            Language::negotiate("en-GB,en;q=0.9,nn;q=0.5"),
            Language::Nynorsk
        );
        assert_eq!(Language::negotiate("no"), Language::Bokmal);
        assert_eq!(Language::negotiate("nb;q=0.4, nn;q=0.6"), Language::Nynorsk);
        assert_eq!(Language::negotiate("nn;q=0"), Language::Bokmal);
        assert_eq!(Language::negotiate("de, fr"), Language::Bokmal);
        assert_eq!(Language::negotiate(""), Language::Bokmal);
        assert_eq!(Language::negotiate("nn;q=nonsense"), Language::Nynorsk);
    }
}
