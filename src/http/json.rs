//! `Json<T>`: the one way request bodies come in. Bodies over the limit are 413; malformed JSON,
//! unknown fields and wrong types are 422 with the offending field named; then `validator` rules run.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{AppError, FieldError};

/// Request bodies larger than this are refused with 413.
pub const JSON_LIMIT: usize = 64 * 1024;

pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let essence = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            });
        let payload = payload.take();
        Box::pin(async move {
            if content_type_ok != Some(true) {
                return Err(AppError::UnsupportedMediaType(
                    "Send the body as application/json.".into(),
                ));
            }
            let bytes = read_limited(payload, JSON_LIMIT).await?;
            let value = parse::<T>(&bytes)?;
            value.validate()?;
            Ok(Json(value))
        })
    }
}

/// Reads a body up to `limit` bytes; more is `payload_too_large`, whatever Content-Length said.
pub async fn read_limited(mut payload: Payload, limit: usize) -> Result<web::Bytes, AppError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => AppError::PayloadTooLarge,
            _ => AppError::field("body", "The request body could not be read."),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Deserialises JSON, naming the field at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = describe(&inner);
        let field = if let Some(unknown) = unknown_field(&message) {
            if path == "." {
                unknown
            } else if path == unknown || path.ends_with(&format!(".{unknown}")) {
                path
            } else {
                format!("{path}.{unknown}")
            }
        } else if path == "." || inner.is_syntax() || inner.is_eof() {
            "body".to_owned()
        } else {
            path
        };
        AppError::Validation(vec![FieldError::new(field, message)])
    })
}

/// serde's message without the "at line 1 column 9" tail, which means nothing to a client.
fn describe(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    };
    if error.is_syntax() || error.is_eof() {
        format!("The body is not valid JSON ({text}).")
    } else {
        text
    }
}

fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// Flattens validator's nested errors into `{field, message}` pairs.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let message = error
                        .message
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| format!("is invalid ({})", error.code));
                    out.push(FieldError::new(name.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &name, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{name}[{index}]"), out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        count: u8,
    }

    fn fields(err: AppError) -> Vec<FieldError> {
        match err {
            AppError::Validation(errors) => errors,
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn unknown_fields_are_named() {
        let errors =
            fields(parse::<Login>(br#"{"email":"a","count":1,"admin":true}"#).unwrap_err());
        assert_eq!(errors[0].field, "admin");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let errors = fields(parse::<Login>(br#"{"email":"a","count":300}"#).unwrap_err());
        assert_eq!(errors[0].field, "count");
        assert!(!errors[0].message.contains("line"));
    }

    #[test]
    fn syntax_errors_point_at_the_body() {
        let errors = fields(parse::<Login>(b"{\"email\":").unwrap_err());
        assert_eq!(errors[0].field, "body");
    }

    #[test]
    fn missing_fields_are_reported() {
        let errors = fields(parse::<Login>(br#"{"email":"a"}"#).unwrap_err());
        assert!(errors[0].message.contains("count"), "{errors:?}");
    }
}
