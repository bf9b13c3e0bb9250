//! Queries for USHTs.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{municipalities, usht_coverage, ushts};
use crate::error::AppError;
use crate::orgs::scope::Scope;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ushts)]
pub struct Usht {
    pub id: Uuid,
    pub name: String,
    pub county: String,
    pub created_at: DateTime<Utc>,
    /// County and municipality numbers the USHT covers, as the administrator gave them.
    pub covers: Vec<String>,
}

/// A USHT with how many municipalities it has enrolled.
#[derive(Debug, Clone)]
pub struct UshtWithCount {
    pub usht: Usht,
    pub municipality_count: i64,
}

pub async fn insert_usht(
    conn: &mut AsyncPgConnection,
    name: &str,
    county: &str,
) -> Result<Usht, AppError> {
    diesel::insert_into(ushts::table)
        .values((ushts::name.eq(name), ushts::county.eq(county)))
        .returning(Usht::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| {
            if crate::db::is_unique_violation(&e) {
                AppError::Conflict("A USHT with this name already exists.".into())
            } else {
                e.into()
            }
        })
}

/// USHTs in scope with how many municipalities each has enrolled, by name.
pub async fn list_ushts(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
) -> Result<Vec<UshtWithCount>, AppError> {
    let mut query = ushts::table
        .left_join(municipalities::table)
        .group_by(ushts::id)
        .select((
            Usht::as_select(),
            diesel::dsl::count(municipalities::id.nullable()),
        ))
        .order(sql::<Text>("lower(ushts.name)"))
        .into_boxed();
    match scope {
        Scope::All => {}
        Scope::Usht(id) => query = query.filter(ushts::id.eq(*id)),
    }
    let rows: Vec<(Usht, i64)> = query.load(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(usht, municipality_count)| UshtWithCount {
            usht,
            municipality_count,
        })
        .collect())
}

pub async fn find_usht(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Usht>, AppError> {
    let mut query = ushts::table
        .filter(ushts::id.eq(id))
        .select(Usht::as_select())
        .into_boxed();
    if let Scope::Usht(own) = scope {
        query = query.filter(ushts::id.eq(*own));
    }
    Ok(query.first(conn).await.optional()?)
}

/// Of `numbers`, those another USHT than `usht_id` covers, with that USHT's name, by number.
pub async fn covered_elsewhere(
    conn: &mut AsyncPgConnection,
    usht_id: Uuid,
    numbers: &[String],
) -> Result<Vec<(String, String)>, AppError> {
    Ok(usht_coverage::table
        .inner_join(ushts::table)
        .filter(usht_coverage::municipality_number.eq_any(numbers))
        .filter(usht_coverage::usht_id.ne(usht_id))
        .select((usht_coverage::municipality_number, ushts::name))
        .order(usht_coverage::municipality_number)
        .load(conn)
        .await?)
}

/// Replaces what the USHT covers: `covers` as given, `numbers` every municipality they name. A
/// municipality another USHT covers is refused by the primary key (`AppError::Conflict`).
pub async fn replace_coverage(
    conn: &mut AsyncPgConnection,
    usht_id: Uuid,
    covers: &[String],
    numbers: &[String],
) -> Result<Usht, AppError> {
    diesel::delete(usht_coverage::table.filter(usht_coverage::usht_id.eq(usht_id)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = numbers
        .iter()
        .map(|number| {
            (
                usht_coverage::municipality_number.eq(number),
                usht_coverage::usht_id.eq(usht_id),
            )
        })
        .collect();
    diesel::insert_into(usht_coverage::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(diesel::update(ushts::table.find(usht_id))
        .set(ushts::covers.eq(covers))
        .returning(Usht::as_returning())
        .get_result(conn)
        .await?)
}

/// The USHT, its row locked for the rest of the transaction.
pub async fn lock_usht(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Option<Usht>, AppError> {
    Ok(ushts::table
        .find(id)
        .select(Usht::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}
