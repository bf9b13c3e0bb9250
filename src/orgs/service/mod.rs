//! Organisations and follow-up, one module per resource: the checks, the caller's scope, the
//! transactions and the time every rule reads. Routes call one function here; SQL is in `store`.

pub mod follow_up;
pub mod invitations;
pub mod municipalities;
pub mod users;
pub mod ushts;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::scope::{self, Scope};
use crate::auth::AuthUser;
use crate::error::AppResult;
use crate::http::pagination::{next_cursor, page_request, Page};
use crate::AppState;

/// The scope of a staff caller, on a fresh connection.
async fn scope_of(state: &AppState, caller: &AuthUser) -> AppResult<Scope> {
    let mut conn = state.pool.get().await?;
    scope::resolve(&mut conn, caller).await
}

/// What a list request asks for: how many, and from which cursor on.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageAsked<'a> {
    pub limit: Option<i64>,
    pub cursor: Option<&'a str>,
}

impl PageAsked<'_> {
    /// The page size and the sort key to start after (422 for a bad limit or cursor).
    fn read<K: DeserializeOwned>(self) -> AppResult<(i64, Option<K>)> {
        page_request(self.limit, self.cursor)
    }
}

/// A page of `rows` (at most `limit`), with the cursor of the next if the page is full.
fn page_of<T, K: Serialize>(rows: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> Page<T> {
    Page {
        next_cursor: next_cursor(&rows, limit, key),
        items: rows,
    }
}
