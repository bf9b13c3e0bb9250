//! The `Idempotency-Key` header of a registration, as a typed extractor: a retry with the same
//! key gets the same answer.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::error::AppError;

/// The longest key accepted.
const MAX_KEY_LENGTH: usize = 200;

/// The request's idempotency key, if it sent one: visible ASCII, 1 to 200 characters.
pub struct IdempotencyKey(pub Option<String>);

impl IdempotencyKey {
    fn parse(req: &HttpRequest) -> Result<Self, AppError> {
        let Some(value) = req.headers().get("idempotency-key") else {
            return Ok(Self(None));
        };
        let key = value
            .to_str()
            .map_err(|_| AppError::field("Idempotency-Key", "must be visible ASCII"))?
            .trim();
        if key.is_empty() || key.len() > MAX_KEY_LENGTH {
            return Err(AppError::field(
                "Idempotency-Key",
                "must be 1 to 200 characters",
            ));
        }
        Ok(Self(Some(key.to_owned())))
    }
}

impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::parse(req))
    }
}
