//! Queries for USHTs.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{municipalities, ushts};
use crate::error::AppError;
use crate::orgs::scope::Scope;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ushts)]
pub struct Usht {
    pub id: Uuid,
    pub name: String,
    pub county: String,
    pub created_at: DateTime<Utc>,
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
