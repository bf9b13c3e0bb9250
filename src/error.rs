//! One error type for the whole service, answered as RFC 9457 problem JSON with a stable `code`.
//! Unexpected failures are logged with an opaque id; only the id reaches the client.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name (dotted path for nested fields, `body` for the request as a whole).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// RFC 9457 problem details, as every error is answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable snake_case code clients can switch on.
    pub code: String,
    /// Field errors, with `validation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// Present on 500 answers: quote it when reporting the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unauthorized")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// A rule of the programme refused the request (`page_locked`, `already_registered`, ...).
    #[error("{code}: {detail}")]
    Rule {
        status: StatusCode,
        code: &'static str,
        detail: String,
        extra: Map<String, Value>,
    },
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    #[error("service unavailable")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn rule(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Rule {
            status,
            code,
            detail: detail.into(),
            extra: Map::new(),
        }
    }

    /// Adds an extension member to a rule error (for example the page to do first).
    pub fn with(mut self, key: &str, value: Value) -> Self {
        if let AppError::Rule { extra, .. } = &mut self {
            extra.insert(key.to_owned(), value);
        }
        self
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        AppError::Internal(anyhow::anyhow!("{message}"))
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation_failed",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Rule { code, .. } => code,
            AppError::RateLimited { .. } => "rate_limited",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unavailable(_) => "service_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    fn detail(&self) -> String {
        match self {
            AppError::Validation(_) => "The request has invalid fields.".into(),
            AppError::Unauthorized => "Missing, invalid or expired credentials.".into(),
            AppError::Forbidden => "Your role does not allow this.".into(),
            AppError::NotFound => "No such resource.".into(),
            AppError::Conflict(detail) => detail.clone(),
            AppError::Rule { detail, .. } => detail.clone(),
            AppError::RateLimited { retry_after_secs } => {
                format!("Too many requests; try again in {retry_after_secs} seconds.")
            }
            AppError::PayloadTooLarge => "The request body is too large.".into(),
            AppError::UnsupportedMediaType(detail) => detail.clone(),
            AppError::Unavailable(_) => {
                "The service is temporarily unavailable; try again shortly.".into()
            }
            AppError::Internal(_) => "An unexpected error occurred.".into(),
        }
    }
}

/// Builds a problem response for any status; the one place the body is shaped.
pub fn problem_response(status: StatusCode, code: &str, detail: &str) -> HttpResponse {
    build_problem(status, code, detail.to_owned(), None, None, Map::new())
}

fn build_problem(
    status: StatusCode,
    code: &str,
    detail: String,
    errors: Option<Vec<FieldError>>,
    error_id: Option<String>,
    extra: Map<String, Value>,
) -> HttpResponse {
    let problem = Problem {
        type_: format!("urn:mentorsti:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        code: code.to_owned(),
        errors,
        error_id,
    };
    let mut body = serde_json::to_value(&problem).unwrap_or_default();
    if let Value::Object(map) = &mut body {
        for (key, value) in extra {
            map.entry(key).or_insert(value);
        }
    }
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        ))
        .body(body.to_string())
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Rule { status, .. } => *status,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (errors, error_id, extra) = match self {
            AppError::Validation(errors) => (Some(errors.clone()), None, Map::new()),
            AppError::Rule { extra, .. } => (None, None, extra.clone()),
            AppError::Internal(cause) => {
                let error_id = Uuid::new_v4().to_string();
                tracing::error!(error_id = %error_id, error = ?cause, "unexpected error");
                (None, Some(error_id), Map::new())
            }
            AppError::Unavailable(cause) => {
                tracing::warn!(cause = %cause, "dependency unavailable");
                (None, None, Map::new())
            }
            _ => (None, None, Map::new()),
        };
        let mut response =
            build_problem(status, self.code(), self.detail(), errors, error_id, extra);
        if let AppError::RateLimited { retry_after_secs } = self {
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if matches!(self, AppError::Unavailable(_)) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

impl From<DieselError> for AppError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::NotFound => AppError::NotFound,
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => {
                    AppError::Conflict("This already exists.".into())
                }
                DatabaseErrorKind::ClosedConnection => {
                    AppError::Unavailable(info.message().to_owned())
                }
                DatabaseErrorKind::Unknown if is_unavailable(info.message()) => {
                    AppError::Unavailable(info.message().to_owned())
                }
                // PostgreSQL text cannot hold U+0000; a request carrying one is wrong, not us.
                DatabaseErrorKind::Unknown
                    if info
                        .message()
                        .contains("invalid byte sequence for encoding") =>
                {
                    AppError::Validation(vec![FieldError::new(
                        "body",
                        "text must not contain NUL (U+0000) characters",
                    )])
                }
                _ => AppError::Internal(anyhow::Error::new(error)),
            },
            _ => AppError::Internal(anyhow::Error::new(error)),
        }
    }
}

/// Messages of errors that mean "the database cannot serve now", not "the request is wrong".
fn is_unavailable(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "canceling statement due to statement timeout",
        "connection",
        "terminating",
        "shutting down",
        "the database system is",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

impl From<crate::db::PoolError> for AppError {
    fn from(error: crate::db::PoolError) -> Self {
        AppError::Unavailable(error.to_string())
    }
}

impl From<validator::ValidationErrors> for AppError {
    fn from(errors: validator::ValidationErrors) -> Self {
        AppError::Validation(crate::http::json::field_errors(&errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body(error: AppError) -> (StatusCode, serde_json::Value) {
        let response = error.error_response();
        let status = response.status();
        let bytes = response.into_body().try_into_bytes().unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn unexpected_errors_show_only_an_opaque_id() {
        let (status, problem) = body(AppError::internal(
            "relation \"users\" does not exist at SELECT * FROM secrets",
        ));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(problem["code"], "internal_error");
        assert!(Uuid::parse_str(problem["error_id"].as_str().unwrap()).is_ok());
        let text = problem.to_string();
        assert!(
            !text.contains("users") && !text.contains("SELECT"),
            "{text}"
        );
    }

    #[test]
    fn rule_errors_carry_their_extension_members() {
        let (status, problem) = body(
            AppError::rule(StatusCode::FORBIDDEN, "page_locked", "Locked.")
                .with("next_page", serde_json::json!({"slug": "a"})),
        );
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(problem["code"], "page_locked");
        assert_eq!(problem["next_page"]["slug"], "a");
        assert_eq!(problem["type"], "urn:mentorsti:problem:page_locked");
    }

    #[test]
    fn database_errors_map_to_statuses() {
        assert!(matches!(
            AppError::from(DieselError::NotFound),
            AppError::NotFound
        ));
        let timeout = DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("canceling statement due to statement timeout".to_owned()),
        );
        assert!(matches!(AppError::from(timeout), AppError::Unavailable(_)));
    }
}
