//! Queries for invitations: making them, finding them by link, renewing and accepting them.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::Role;
use crate::db::schema::{invitations, municipalities, users};
use crate::error::AppError;
use crate::language::Language;
use crate::orgs::scope::Scope;
use crate::orgs::InvitationStatus;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub municipality_id: Option<Uuid>,
    pub usht_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub send_count: i32,
    pub accepted_at: Option<DateTime<Utc>>,
    pub superseded_at: Option<DateTime<Utc>>,
    /// Closed by the one who sent it (`superseded_at` is set too).
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// The written form of the invitation's mail, and of the account made from it.
    pub language: Language,
}

#[derive(Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation {
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub municipality_id: Option<Uuid>,
    pub usht_id: Option<Uuid>,
    pub token_hash: Vec<u8>,
    pub invited_by: Option<Uuid>,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub language: Language,
}

/// An account with one of the addresses asked about, and the USHT it belongs to (a
/// coordinator's own, or that of a mentor's municipality; none for administrators).
#[derive(Debug, Clone, Queryable)]
pub struct ExistingAccount {
    /// Lower-cased.
    pub email: String,
    pub usht_id: Option<Uuid>,
}

/// An open invitation's id and (lower-cased) address.
#[derive(Debug, Clone, Queryable)]
pub struct OpenInvitation {
    pub id: Uuid,
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// Filters of the invitation list.
pub struct InvitationFilter {
    pub municipality_id: Option<Uuid>,
    pub usht_id: Option<Uuid>,
    pub status: Option<InvitationStatus>,
}

/// Inserts invitations; an address that already has an open invitation (a concurrent request
/// got there first) is left out. Returns the ones inserted.
pub async fn insert_invitations(
    conn: &mut AsyncPgConnection,
    rows: &[NewInvitation],
) -> Result<Vec<Invitation>, AppError> {
    // Nine parameters a row; PostgreSQL takes at most 65,535 a statement.
    let mut inserted = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(5_000) {
        inserted.extend(
            diesel::insert_into(invitations::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .returning(Invitation::as_returning())
                .get_results(conn)
                .await?,
        );
    }
    Ok(inserted)
}

/// The accounts among these (lower-cased) addresses, each with the USHT it belongs to.
pub async fn existing_accounts(
    conn: &mut AsyncPgConnection,
    emails: &[String],
) -> Result<Vec<ExistingAccount>, AppError> {
    Ok(users::table
        .left_join(municipalities::table)
        .filter(sql::<Text>("lower(users.email)").eq_any(emails))
        .select((
            sql::<Text>("lower(users.email)"),
            sql::<diesel::sql_types::Nullable<diesel::sql_types::Uuid>>(
                "COALESCE(users.usht_id, municipalities.usht_id)",
            ),
        ))
        .load(conn)
        .await?)
}

/// Makes invitations into one USHT take turns until the transaction ends, so that two
/// coordinators inviting one address at once into two of its municipalities make one invitation.
pub async fn lock_invitations_of(
    conn: &mut AsyncPgConnection,
    usht_id: Uuid,
) -> Result<(), AppError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7470749))")
        .bind::<diesel::sql_types::Uuid, _>(usht_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The caller's USHT's open invitations (coordinator invitations too, for an administrator) to
/// these (lower-cased) addresses.
pub async fn open_invitations_in(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    emails: &[String],
) -> Result<Vec<OpenInvitation>, AppError> {
    Ok(invitations_in(scope)
        .filter(sql::<Text>("lower(invitations.email)").eq_any(emails.to_vec()))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::superseded_at.is_null())
        .select((
            invitations::id,
            sql::<Text>("lower(invitations.email)"),
            invitations::expires_at,
        ))
        .load(conn)
        .await?)
}

/// Closes expired invitations so new ones to the same addresses can be made.
pub async fn supersede(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(invitations::table.filter(invitations::id.eq_any(ids)))
        .set(invitations::superseded_at.eq(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Closes an invitation that was not accepted, as withdrawn.
pub async fn withdraw(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(invitations::table.find(id))
        .set((
            invitations::superseded_at.eq(now),
            invitations::withdrawn_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Mentor invitations into municipalities in scope; coordinator invitations only for admins.
fn invitations_in(scope: &Scope) -> invitations::BoxedQuery<'static, diesel::pg::Pg> {
    let query = invitations::table.into_boxed();
    match scope {
        Scope::All => query,
        Scope::Usht(id) => query.filter(
            invitations::municipality_id.eq_any(
                municipalities::table
                    .filter(municipalities::usht_id.eq(*id))
                    .select(municipalities::id.nullable()),
            ),
        ),
    }
}

/// One invitation in scope, locked for the rest of the transaction.
pub async fn lock_invitation(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Invitation>, AppError> {
    // Boxed queries cannot lock, so the scope's filter is written out here.
    let query = invitations::table
        .filter(invitations::id.eq(id))
        .select(Invitation::as_select())
        .for_update();
    Ok(match scope {
        Scope::All => query.first(conn).await.optional()?,
        Scope::Usht(usht) => query
            .filter(
                invitations::municipality_id.eq_any(
                    municipalities::table
                        .filter(municipalities::usht_id.eq(*usht))
                        .select(municipalities::id.nullable()),
                ),
            )
            .first(conn)
            .await
            .optional()?,
    })
}

/// The invitation a token belongs to (open or not).
pub async fn find_invitation_by_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> Result<Option<Invitation>, AppError> {
    Ok(invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .select(Invitation::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The invitation a token belongs to (open or not), locked for the rest of the transaction.
pub async fn lock_invitation_by_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> Result<Option<Invitation>, AppError> {
    Ok(invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .select(Invitation::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// Gives an invitation a new link, sent at `now` and valid until `expires_at`.
pub async fn renew_invitation(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    token_hash: &[u8],
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<Invitation, AppError> {
    Ok(diesel::update(invitations::table.find(id))
        .set((
            invitations::token_hash.eq(token_hash),
            invitations::expires_at.eq(expires_at),
            invitations::sent_at.eq(now),
            invitations::send_count.eq(invitations::send_count + 1),
        ))
        .returning(Invitation::as_returning())
        .get_result(conn)
        .await?)
}

/// Records that the invitation made this account.
pub async fn mark_accepted(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(invitations::table.find(id))
        .set((
            invitations::accepted_at.eq(now),
            invitations::accepted_user_id.eq(user_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether an invitation to this (lower-cased) address is open and unexpired at `now`.
pub async fn has_live_invitation(
    conn: &mut AsyncPgConnection,
    email: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    Ok(diesel::select(diesel::dsl::exists(
        invitations::table
            .filter(sql::<Text>("lower(invitations.email)").eq(email))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::superseded_at.is_null())
            .filter(invitations::expires_at.gt(now)),
    ))
    .get_result(conn)
    .await?)
}

/// The written form of the open, unexpired invitation to this (lower-cased) address at `now`, if
/// there is one (the newest, should there be several).
pub async fn live_invitation_language(
    conn: &mut AsyncPgConnection,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Option<Language>, AppError> {
    Ok(invitations::table
        .filter(sql::<Text>("lower(invitations.email)").eq(email))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::superseded_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .order(invitations::sent_at.desc())
        .select(invitations::language)
        .first(conn)
        .await
        .optional()?)
}

/// A page of invitations in scope, newest first, after `(created_at, id)` in `after`; pending
/// and expired as at `now`.
pub async fn list_invitations(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &InvitationFilter,
    now: DateTime<Utc>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Invitation>, AppError> {
    let mut query = invitations_in(scope).filter(invitations::superseded_at.is_null());
    if let Some(id) = filter.municipality_id {
        query = query.filter(invitations::municipality_id.eq(id));
    }
    if let Some(id) = filter.usht_id {
        query = query.filter(invitations::usht_id.eq(id));
    }
    match filter.status {
        Some(InvitationStatus::Accepted) => {
            query = query.filter(invitations::accepted_at.is_not_null())
        }
        Some(InvitationStatus::Pending) => {
            query = query
                .filter(invitations::accepted_at.is_null())
                .filter(invitations::expires_at.gt(now))
        }
        Some(InvitationStatus::Expired) => {
            query = query
                .filter(invitations::accepted_at.is_null())
                .filter(invitations::expires_at.le(now))
        }
        None => {}
    }
    if let Some((created_at, id)) = after {
        query = query.filter(
            invitations::created_at
                .lt(created_at)
                .or(invitations::created_at
                    .eq(created_at)
                    .and(invitations::id.lt(id))),
        );
    }
    Ok(query
        .order((invitations::created_at.desc(), invitations::id.desc()))
        .limit(limit)
        .select(Invitation::as_select())
        .load(conn)
        .await?)
}
