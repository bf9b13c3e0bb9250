//! One environment variable read as a typed value: a bad value is noted with the variable's name
//! and reading goes on, so every problem is reported at once.

use std::collections::HashMap;
use std::fmt;

use url::Url;

pub(super) struct Reader<'a> {
    pub(super) vars: &'a HashMap<String, String>,
    pub(super) problems: Vec<String>,
}

impl Reader<'_> {
    pub(super) fn problem(&mut self, message: String) {
        self.problems.push(message);
    }

    pub(super) fn optional(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    pub(super) fn string(&self, name: &str, default: &str) -> String {
        self.optional(name).unwrap_or_else(|| default.to_owned())
    }

    pub(super) fn parsed<T: std::str::FromStr>(
        &mut self,
        name: &str,
        default: &str,
        expected: &str,
    ) -> Option<T> {
        let raw = self.string(name, default);
        match raw.parse::<T>() {
            Ok(value) => Some(value),
            Err(_) => {
                self.problem(format!("{name} must be {expected}, not {raw:?}"));
                None
            }
        }
    }

    pub(super) fn number<T>(&mut self, name: &str, default: T, min: T, max: T) -> Option<T>
    where
        T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
    {
        let Some(raw) = self.optional(name) else {
            return Some(default);
        };
        match raw.parse::<T>() {
            Ok(value) if value >= min && value <= max => Some(value),
            _ => {
                self.problem(format!(
                    "{name} must be a whole number from {min} to {max}, not {raw:?}"
                ));
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, name: &str, default: bool) -> bool {
        match self.optional(name).as_deref() {
            None => default,
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(other) => {
                self.problem(format!("{name} must be true or false, not {other:?}"));
                default
            }
        }
    }

    pub(super) fn url(&mut self, name: &str, default: &str) -> Option<Url> {
        let raw = self.string(name, default);
        match Url::parse(&raw) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url)
            }
            _ => {
                self.problem(format!(
                    "{name} must be an http(s) URL like https://mentor.example.no, not {raw:?}"
                ));
                None
            }
        }
    }
}
