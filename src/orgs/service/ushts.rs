//! USHTs (regional centres): made by administrators, listed with what they enrolled.

use crate::error::AppResult;
use crate::orgs::scope::Scope;
use crate::orgs::store::ushts::{self as store, Usht, UshtWithCount};
use crate::AppState;

pub async fn create_usht(state: &AppState, name: &str, county: &str) -> AppResult<Usht> {
    let mut conn = state.pool.get().await?;
    store::insert_usht(&mut conn, name.trim(), county.trim()).await
}

/// Every USHT by name (administrators; there are a few dozen at most).
pub async fn list_ushts(state: &AppState) -> AppResult<Vec<UshtWithCount>> {
    let mut conn = state.pool.get().await?;
    store::list_ushts(&mut conn, &Scope::All).await
}
