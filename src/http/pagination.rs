//! Cursor pagination shared by list endpoints: `limit` (1–100, default 50) and an opaque `cursor`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::AppError;

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// At most 100; default 50.
    #[validate(range(min = 1, max = 100, message = "must be from 1 to 100"))]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50)
    }

    /// Decodes the cursor into the sort key it was made from.
    pub fn decode<K: for<'de> Deserialize<'de>>(&self) -> Result<Option<K>, AppError> {
        let Some(cursor) = &self.cursor else {
            return Ok(None);
        };
        let invalid = || AppError::field("cursor", "is not a cursor this service issued");
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| invalid())
    }
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// A page of items with the cursor of the next page, if there is one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
