//! Conditional writes of what a person writes (answers, the note draft): `If-Match` and
//! `If-None-Match` on a `PUT` (RFC 9110, section 13), so a text edited on two devices is never
//! silently overwritten. A `PUT` that names a version no longer current answers 412
//! `precondition_failed` with the current version, and the client shows both. A `PUT` without
//! either header writes as it always did.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use serde::Serialize;

use crate::error::AppError;

/// The longest header value read.
const MAX_VALUE: usize = 1024;

/// What the write requires of the resource's current version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    /// No condition: the write goes ahead.
    #[default]
    Unconditional,
    /// `If-Match`: the current version is one of these (`*`: any version exists).
    Match(Tags),
    /// `If-None-Match`: the current version is none of these (`*`: nothing is there yet).
    NoneMatch(Tags),
    /// A condition that is not valid syntax: refused (422) by [`Precondition::valid`] once the
    /// resource is known to exist, so a request for a missing one still answers 404.
    Invalid(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tags {
    Any,
    /// Strong entity tags, quotes included; weak ones never match a write.
    List(Vec<String>),
}

/// What a condition header must be.
const NOT_TAGS: &str = "must be * or a list of entity tags such as \"r3\"";

impl Tags {
    fn parse(value: &str) -> Option<Tags> {
        let value = value.trim();
        if value == "*" {
            return Some(Tags::Any);
        }
        let mut tags = Vec::new();
        let mut any = false;
        for tag in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            any = true;
            let (weak, opaque) = match tag.strip_prefix("W/") {
                Some(rest) => (true, rest),
                None => (false, tag),
            };
            let inner = opaque
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .filter(|t| t.bytes().all(|b| b == 0x21 || (0x23..=0x7e).contains(&b)))?;
            if !weak {
                tags.push(format!("\"{inner}\""));
            }
        }
        any.then_some(Tags::List(tags))
    }

    fn matches(&self, current: Option<&str>) -> bool {
        match (self, current) {
            (_, None) => false,
            (Tags::Any, Some(_)) => true,
            (Tags::List(tags), Some(etag)) => tags.iter().any(|t| t == etag),
        }
    }
}

impl Precondition {
    /// The request's condition; a malformed one becomes [`Precondition::Invalid`].
    /// RFC 9110 13.2.2: If-Match is evaluated first; with it present If-None-Match is moot.
    pub fn of(headers: &HeaderMap) -> Precondition {
        let read = |header: &header::HeaderName| {
            headers.get(header).map(|v| {
                v.to_str()
                    .ok()
                    .filter(|v| v.len() <= MAX_VALUE)
                    .and_then(Tags::parse)
            })
        };
        match (read(&header::IF_MATCH), read(&header::IF_NONE_MATCH)) {
            (Some(Some(tags)), _) => Precondition::Match(tags),
            (Some(None), _) => Precondition::Invalid("If-Match"),
            (None, Some(Some(tags))) => Precondition::NoneMatch(tags),
            (None, Some(None)) => Precondition::Invalid("If-None-Match"),
            (None, None) => Precondition::Unconditional,
        }
    }

    /// Refuses a malformed condition (422).
    pub fn valid(&self) -> Result<(), AppError> {
        match self {
            Precondition::Invalid(field) => Err(AppError::field(*field, NOT_TAGS)),
            _ => Ok(()),
        }
    }

    /// Whether the write may go ahead, given the current version's ETag (none: nothing there).
    pub fn allows(&self, current: Option<&str>) -> bool {
        match self {
            Precondition::Unconditional => true,
            Precondition::Match(tags) => tags.matches(current),
            Precondition::NoneMatch(tags) => !tags.matches(current),
            Precondition::Invalid(..) => false,
        }
    }

    /// Checks the write against the current version, refusing it with that version when the
    /// condition fails.
    pub fn check<T: Serialize>(
        &self,
        etag: Option<&str>,
        current: impl FnOnce() -> T,
    ) -> Result<(), AppError> {
        if self.allows(etag) {
            Ok(())
        } else {
            Err(refused(current()))
        }
    }
}

/// 412 `precondition_failed`, with the version stored now as `current` (null: none).
pub fn refused<T: Serialize>(current: T) -> AppError {
    let current = match serde_json::to_value(current) {
        Ok(current) => current,
        Err(e) => {
            return AppError::internal(format!("the current version does not serialise: {e}"))
        }
    };
    AppError::rule(
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        "This text was changed elsewhere since the version this change started from; \
         `current` is the version now stored.",
    )
    .with("current", current)
}

impl FromRequest for Precondition {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Precondition::of(req.headers())))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn of(name: header::HeaderName, value: &'static str) -> Result<Precondition, AppError> {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        let condition = Precondition::of(&headers);
        condition.valid().map(|()| condition)
    }

    #[test]
    fn if_match_holds_only_for_the_current_strong_tag() {
        let p = of(header::IF_MATCH, "\"r2\", \"r3\"").unwrap();
        assert!(p.allows(Some("\"r3\"")));
        assert!(!p.allows(Some("\"r4\"")));
        assert!(!p.allows(None));
        let weak = of(header::IF_MATCH, "W/\"r3\"").unwrap();
        assert!(
            !weak.allows(Some("\"r3\"")),
            "a weak tag never matches a write"
        );
        let list = of(header::IF_MATCH, "\"\" , W/\"r3\",\"r3\"").unwrap();
        assert!(list.allows(Some("\"r3\"")) && list.allows(Some("\"\"")));
        let any = of(header::IF_MATCH, "*").unwrap();
        assert!(any.allows(Some("\"r1\"")) && !any.allows(None));
    }

    #[test]
    fn if_none_match_star_holds_only_when_nothing_is_there() {
        let p = of(header::IF_NONE_MATCH, "*").unwrap();
        assert!(p.allows(None));
        assert!(!p.allows(Some("\"r1\"")));
        assert_eq!(
            Precondition::of(&HeaderMap::new()),
            Precondition::Unconditional
        );
    }

    #[test]
    fn malformed_conditions_are_refused() {
        for bad in ["r3", "\"r3", "\"a\"b\"", ","] {
            assert!(of(header::IF_MATCH, bad).is_err(), "{bad}");
        }
    }
}
