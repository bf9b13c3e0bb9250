//! Cursor pagination shared by list endpoints: `limit` (1–100, default 50) and an opaque `cursor`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// The page size when the query names none, and the largest it may name.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

/// Checks a list query's `limit` and decodes its `cursor` into the sort key it was made from.
/// (List queries carry both among their filters, so they take them as plain fields.)
pub fn page_request<K: DeserializeOwned>(
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<(i64, Option<K>), AppError> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => return Err(AppError::field("limit", "must be from 1 to 100")),
    };
    let Some(cursor) = cursor else {
        return Ok((limit, None));
    };
    let invalid = || AppError::field("cursor", "is not a cursor this service issued");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let key = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    Ok((limit, Some(key)))
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// The next page's cursor: the sort key of the last item when the page is full.
pub fn next_cursor<T, K: Serialize>(
    items: &[T],
    limit: i64,
    key: impl Fn(&T) -> K,
) -> Option<String> {
    (items.len() as i64 == limit)
        .then(|| items.last().map(|last| encode_cursor(&key(last))))
        .flatten()
}

/// A page of items with the cursor of the next page, if there is one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
