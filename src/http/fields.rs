//! Request field types that check themselves when they are deserialised and describe the same
//! rule in the OpenAPI document, so what the document promises and what the server accepts
//! cannot drift apart: a name is one line of printable text, an address is an email address in
//! its normal form, a one-time token has the shape we issue.
//!
//! A value that breaks its rule fails deserialisation with a message in plain words, which
//! `http::json` answers as 422 `validation_failed` naming the field.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

mod text;
mod whole_number;

pub use text::{line, name, normalize_email, LINE_PATTERN, NAME_PATTERN};
pub use whole_number::{integer, optional_integer};

/// For an optional field of a partial update (`PATCH`): absent leaves it as it is (`None`),
/// `null` or blank text clears it (`Some(None)`), anything else must pass `T`'s check. Use with
/// `#[serde(default, deserialize_with = "fields::clearable")]`.
pub fn clearable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: TextField,
{
    let value = Option::<Cow<'de, str>>::deserialize(deserializer)?;
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(Some(None)),
        Some(_) => T::parse_text(value.as_deref().unwrap_or_default())
            .map(|field| Some(Some(field)))
            .map_err(serde::de::Error::custom),
    }
}

/// What `clearable` needs of a field type.
pub trait TextField: Sized {
    fn parse_text(text: &str) -> Result<Self, String>;
}

fn string_schema(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description.to_owned()))
}

/// Declares a text field type: its check, its schema, and access to the checked text.
macro_rules! text_field {
    (
        $(#[$meta:meta])*
        $name:ident, $description:literal, |$value:ident| $check:expr, |$schema:ident| $describe:expr
    ) => {
        text_field!(@define $(#[$meta])* $name, $description, |$value| $check, |$schema| $describe);

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
    (
        secret
        $(#[$meta:meta])*
        $name:ident, $description:literal, |$value:ident| $check:expr, |$schema:ident| $describe:expr
    ) => {
        text_field!(@define $(#[$meta])* $name, $description, |$value| $check, |$schema| $describe);

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl $name {
            /// The password, wrapped so it cannot be logged by accident.
            pub fn secret(&self) -> secrecy::SecretString {
                secrecy::SecretString::from(self.0.clone())
            }
        }
    };
    (
        @define
        $(#[$meta:meta])*
        $name:ident, $description:literal, |$value:ident| $check:expr, |$schema:ident| $describe:expr
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }

            /// Checks `text` as a request would be.
            pub fn parse(text: &str) -> Result<Self, String> {
                let $value = text;
                let checked: Result<String, String> = $check;
                checked.map($name)
            }
        }

        impl TextField for $name {
            fn parse_text(text: &str) -> Result<Self, String> {
                $name::parse(text)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = Cow::<'de, str>::deserialize(deserializer)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let $schema = string_schema($description);
                let built: ObjectBuilder = $describe;
                RefOr::T(Schema::Object(built.build()))
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

text_field!(
    /// A person's name.
    PersonName,
    "A person's name: one line of printable text, 1 to 200 characters (trimmed), without `<`, `>` or anything that reads as a link (`://`, `www.`).",
    |value| name(value, 200),
    |schema| schema.min_length(Some(1)).max_length(Some(200)).pattern(Some(NAME_PATTERN))
);

text_field!(
    /// A title or a label of up to 200 characters (a USHT, a webinar series, a workplace).
    Label,
    "One line of printable text, 1 to 200 characters (trimmed).",
    |value| line(value, 200),
    |schema| schema.min_length(Some(1)).max_length(Some(200)).pattern(Some(LINE_PATTERN))
);

text_field!(
    /// Why something was done, for the record (a certificate's revocation): up to 500 characters.
    Reason,
    "One line of printable text, 1 to 500 characters (trimmed).",
    |value| line(value, 500),
    |schema| schema.min_length(Some(1)).max_length(Some(500)).pattern(Some(LINE_PATTERN))
);

text_field!(
    /// A short label of up to 100 characters (a county, a municipality's name).
    ShortLabel,
    "One line of printable text, 1 to 100 characters (trimmed).",
    |value| line(value, 100),
    |schema| schema.min_length(Some(1)).max_length(Some(100)).pattern(Some(LINE_PATTERN))
);

text_field!(
    /// An email address, in its normal form.
    EmailAddress,
    "An email address (at most 254 characters); compared and stored trimmed, in Unicode NFC and lower case.",
    |value| {
        let email = normalize_email(value);
        if value.chars().count() > 254 {
            Err("must be at most 254 characters".to_owned())
        } else if !validator::ValidateEmail::validate_email(&email) {
            Err("is not a valid email address".to_owned())
        } else {
            Ok(email)
        }
    },
    |schema| schema
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .min_length(Some(3))
        .max_length(Some(254))
);

text_field!(
    /// A path of the web client to go to afterwards: never another site (no open redirect).
    ClientPath,
    "A path of this service's web client, like `/learning` (not `//host`, not under `/api/`).",
    |value| {
        let own_path = value.starts_with('/')
            && !value.starts_with("//")
            && !value.starts_with("/api/")
            && value.len() <= 512
            && value.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
        if own_path {
            Ok(value.to_owned())
        } else {
            Err("must be a path of this service's web client, like /learning".to_owned())
        }
    },
    |schema| schema
        .min_length(Some(1))
        .max_length(Some(512))
        .pattern(Some("^/(?!/|api/)[!-\\[\\]-~]{0,511}$"))
        .examples(["/learning"])
);

text_field!(
    /// A single-use token from a mail link, or a refresh token: 256 random bits in base64url.
    OpaqueToken,
    "A token as issued: 43 characters of base64url (256 random bits).",
    |value| {
        if value.len() == 43
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Ok(value.to_owned())
        } else {
            Err("is not a token this service issued".to_owned())
        }
    },
    |schema| schema
        .min_length(Some(43))
        .max_length(Some(43))
        .pattern(Some("^[A-Za-z0-9_-]{43}$"))
);

text_field!(
    secret
    /// A password being chosen: 12 to 128 characters (the service also refuses common ones).
    NewPassword,
    "A new password: 12 to 128 characters; common or easily guessed passwords are refused.",
    |value| {
        let length = value.chars().count();
        if length < crate::auth::password::MIN_LENGTH {
            Err(format!(
                "must be at least {} characters",
                crate::auth::password::MIN_LENGTH
            ))
        } else if length > crate::auth::password::MAX_LENGTH {
            Err(format!(
                "must be at most {} characters",
                crate::auth::password::MAX_LENGTH
            ))
        } else {
            Ok(value.to_owned())
        }
    },
    |schema| schema
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(crate::auth::password::MIN_LENGTH))
        .max_length(Some(crate::auth::password::MAX_LENGTH))
);

text_field!(
    secret
    /// A password being checked (signing in, confirming an erasure).
    Password,
    "A password: 1 to 1024 characters.",
    |value| {
        let length = value.chars().count();
        if (1..=1024).contains(&length) {
            Ok(value.to_owned())
        } else {
            Err("must be 1 to 1024 characters".to_owned())
        }
    },
    |schema| schema
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(1))
        .max_length(Some(1024))
);

text_field!(
    /// Where participants join a webinar: an http(s) URL.
    JoinUrl,
    "An http(s) URL, at most 2000 characters.",
    |value| {
        let trimmed = value.trim();
        if trimmed.chars().count() > 2000 {
            Err("must be at most 2000 characters".to_owned())
        } else if !(trimmed.starts_with("https://") || trimmed.starts_with("http://"))
            || url::Url::parse(trimmed).is_err()
            || trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            Err("must be an http(s) URL".to_owned())
        } else {
            Ok(trimmed.to_owned())
        }
    },
    |schema| schema
        .format(Some(SchemaFormat::Custom("uri".to_owned())))
        .max_length(Some(2000))
        .pattern(Some(r"^https?://[^\s]+$"))
        .examples(["https://meet.example.no/mentor-webinar-1"])
);

text_field!(
    /// A kommunenummer of a municipality in Norway's register (`crate::register`).
    MunicipalityNumber,
    "A municipality number (kommunenummer) of SSB's register, e.g. 3203 for Asker.",
    |value| {
        if value.len() != 4 || !value.bytes().all(|b| b.is_ascii_digit()) {
            Err("must be a 4-digit municipality number".to_owned())
        } else if crate::register::find(value).is_none() {
            Err("is not a municipality in the register".to_owned())
        } else {
            Ok(value.to_owned())
        }
    },
    |schema| schema
        .pattern(Some("^[0-9]{4}$"))
        .enum_values(Some(crate::register::municipalities().iter().map(|m| m.number)))
        .examples(["3203"])
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_one_trimmed_line_of_printable_text() {
        assert_eq!(
            PersonName::parse("  Kari Nordmann ").unwrap().as_str(),
            "Kari Nordmann"
        );
        assert_eq!(
            PersonName::parse("Áile Sámi").unwrap().as_str(),
            "Áile Sámi"
        );
        for bad in [
            "",
            "   ",
            "Kari\r\nBcc: x@y.no",
            "Kari\u{0}",
            "a\u{202E}evil",
            "x\u{2028}y",
            "Kari <b>Nordmann</b>",
            "Kari https://evil.example/bekreft",
            "Kari WWW.evil.example",
        ] {
            assert!(PersonName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(PersonName::parse(&"å".repeat(200)).is_ok());
        assert!(PersonName::parse(&"å".repeat(201)).is_err());
    }

    #[test]
    fn nfc_and_nfd_forms_of_an_address_are_the_same_address() {
        let nfc = EmailAddress::parse("Ola@Ålesund.kommune.no").unwrap();
        let nfd = EmailAddress::parse("ola@A\u{30A}lesund.kommune.no ").unwrap();
        assert_eq!(nfc, nfd);
        assert_eq!(nfc.as_str(), "ola@ålesund.kommune.no");
        assert!(EmailAddress::parse("not an address").is_err());
    }

    #[test]
    fn tokens_have_the_shape_we_issue() {
        let token = crate::auth::tokens::new_opaque_token();
        assert!(OpaqueToken::parse(&token.plain).is_ok());
        assert!(OpaqueToken::parse("nope").is_err());
        assert!(OpaqueToken::parse(&format!("{}=", &token.plain[..42])).is_err());
    }

    #[test]
    fn schemas_carry_the_limits() {
        let schema = serde_json::to_value(<PersonName as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema["maxLength"], 200);
        assert_eq!(schema["pattern"], NAME_PATTERN);
        let number =
            serde_json::to_value(<MunicipalityNumber as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(number["enum"].as_array().map(Vec::len), Some(357));
    }
}
