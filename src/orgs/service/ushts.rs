//! USHTs (regional centres): made by administrators, listed with what they enrolled.

use actix_web::http::StatusCode;
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
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

/// Expands what an administrator says a USHT covers — county numbers (two digits) and
/// municipality numbers (four) of the register — into every municipality it names, in order and
/// once each; an entry the register does not have is refused by name.
pub fn expand_coverage(covers: &[String]) -> AppResult<(Vec<String>, Vec<String>)> {
    let mut given: Vec<String> = Vec::new();
    let mut numbers: Vec<String> = Vec::new();
    for (i, entry) in covers.iter().enumerate() {
        let entry = entry.trim();
        let named: Vec<String> = match entry.len() {
            2 if crate::register::county(entry).is_some() => crate::register::municipalities_of(entry)
                .map(|m| m.number.to_owned())
                .collect(),
            4 if crate::register::find(entry).is_some() => vec![entry.to_owned()],
            _ => {
                return Err(AppError::field(
                    format!("covers[{i}]"),
                    "is not a county number (two digits) or a municipality number (four digits) of the register",
                ))
            }
        };
        if !given.iter().any(|g| g == entry) {
            given.push(entry.to_owned());
        }
        numbers.extend(named);
    }
    numbers.sort();
    numbers.dedup();
    Ok((given, numbers))
}

/// Sets what a USHT covers, refused with 409 `coverage_overlap` (naming the municipalities and
/// the USHTs that cover them) where another USHT covers any of it.
pub async fn set_coverage(state: &AppState, id: Uuid, covers: &[String]) -> AppResult<Usht> {
    let (given, numbers) = expand_coverage(covers)?;
    let (given, numbers) = (&given, &numbers);
    let mut conn = state.pool.get().await?;
    conn.transaction::<Usht, AppError, _>(|conn| {
        async move {
            store::lock_usht(conn, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let taken = store::covered_elsewhere(conn, id, numbers).await?;
            if !taken.is_empty() {
                return Err(overlap(&taken));
            }
            store::replace_coverage(conn, id, given, numbers)
                .await
                .map_err(|e| match e {
                    // Another USHT took one of them at the same moment.
                    AppError::Conflict(_) => overlap(&[]),
                    other => other,
                })
        }
        .scope_boxed()
    })
    .await
}

fn overlap(taken: &[(String, String)]) -> AppError {
    AppError::rule(
        StatusCode::CONFLICT,
        "coverage_overlap",
        "Another USHT already covers some of these municipalities; nothing was changed.",
    )
    .with(
        "covered_elsewhere",
        json!(taken
            .iter()
            .map(|(number, usht)| json!({"municipality_number": number, "usht": usht}))
            .collect::<Vec<_>>()),
    )
}

/// How many municipalities the USHT has enrolled.
pub async fn municipality_count(state: &AppState, id: Uuid) -> AppResult<i64> {
    let mut conn = state.pool.get().await?;
    Ok(store::list_ushts(&mut conn, &Scope::Usht(id))
        .await?
        .first()
        .map_or(0, |listed| listed.municipality_count))
}
