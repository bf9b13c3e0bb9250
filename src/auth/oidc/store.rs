//! Queries for sign-in through providers: the links between a provider's subject and an account,
//! the flows under way and the codes that hand a finished sign-in over.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{oidc_flows, oidc_handoffs, oidc_identities};
use crate::error::AppError;

/// A flow from `start` to `callback`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_flows)]
pub struct Flow {
    pub state_hash: Vec<u8>,
    pub browser_hash: Vec<u8>,
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
    pub invitation_hash: Option<Vec<u8>>,
    pub municipality_number: Option<String>,
    pub link_user_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_flow(conn: &mut AsyncPgConnection, flow: &Flow) -> Result<(), AppError> {
    diesel::insert_into(oidc_flows::table)
        .values(flow)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the flow of a `state`: it is gone afterwards, whatever the callback then finds.
pub async fn take_flow(
    conn: &mut AsyncPgConnection,
    state_hash: &[u8],
) -> Result<Option<Flow>, AppError> {
    Ok(
        diesel::delete(oidc_flows::table.filter(oidc_flows::state_hash.eq(state_hash)))
            .returning(Flow::as_returning())
            .get_result(conn)
            .await
            .optional()?,
    )
}

/// A finished sign-in waiting to be exchanged for a token pair.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_handoffs)]
pub struct Handoff {
    pub code_hash: Vec<u8>,
    pub browser_hash: Vec<u8>,
    pub user_id: Uuid,
    pub provider: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_handoff(
    conn: &mut AsyncPgConnection,
    handoff: &Handoff,
) -> Result<(), AppError> {
    diesel::insert_into(oidc_handoffs::table)
        .values(handoff)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes a handoff code, once.
pub async fn take_handoff(
    conn: &mut AsyncPgConnection,
    code_hash: &[u8],
) -> Result<Option<Handoff>, AppError> {
    Ok(
        diesel::delete(oidc_handoffs::table.filter(oidc_handoffs::code_hash.eq(code_hash)))
            .returning(Handoff::as_returning())
            .get_result(conn)
            .await
            .optional()?,
    )
}

/// One account's link to a provider's subject (in the export as it is, less the account's id).
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = oidc_identities)]
pub struct Identity {
    #[serde(skip)]
    pub user_id: Uuid,
    pub provider: String,
    pub subject: String,
    pub linked_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The account a provider's subject is linked to.
pub async fn find_by_subject(
    conn: &mut AsyncPgConnection,
    provider: &str,
    subject: &str,
) -> Result<Option<Identity>, AppError> {
    Ok(oidc_identities::table
        .filter(oidc_identities::provider.eq(provider))
        .filter(oidc_identities::subject.eq(subject))
        .select(Identity::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Every provider an account is linked to, in the order linked.
pub async fn identities_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Vec<Identity>, AppError> {
    Ok(oidc_identities::table
        .filter(oidc_identities::user_id.eq(user_id))
        .order((oidc_identities::linked_at, oidc_identities::provider))
        .select(Identity::as_select())
        .load(conn)
        .await?)
}

/// Links `subject` to an account that has no subject of the provider yet. A subject linked to
/// another account, or an account linked to another subject, is refused by the unique indexes
/// (`AppError::Conflict`). The link counts as used once its sign-in is exchanged (`touch`).
pub async fn link(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    provider: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::insert_into(oidc_identities::table)
        .values((
            oidc_identities::user_id.eq(user_id),
            oidc_identities::provider.eq(provider),
            oidc_identities::subject.eq(subject),
            oidc_identities::linked_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Links `subject` to the account from its profile, replacing the account's earlier subject of
/// the provider (the person chose to). A subject linked to another account is refused by the
/// unique index (`AppError::Conflict`).
pub async fn relink(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    provider: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::insert_into(oidc_identities::table)
        .values((
            oidc_identities::user_id.eq(user_id),
            oidc_identities::provider.eq(provider),
            oidc_identities::subject.eq(subject),
            oidc_identities::linked_at.eq(now),
        ))
        .on_conflict((oidc_identities::user_id, oidc_identities::provider))
        .do_update()
        .set((
            oidc_identities::subject.eq(subject),
            oidc_identities::linked_at.eq(now),
            oidc_identities::last_used_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks the link as used for a sign-in now.
pub async fn touch(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    provider: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(oidc_identities::table.find((user_id, provider)))
        .set(oidc_identities::last_used_at.eq(Some(now)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes a link; whether there was one.
pub async fn unlink(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    provider: &str,
) -> Result<bool, AppError> {
    let deleted = diesel::delete(oidc_identities::table.find((user_id, provider)))
        .execute(conn)
        .await?;
    Ok(deleted > 0)
}

/// Deletes flows and handoff codes that ran out; how many.
pub async fn purge(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> Result<usize, AppError> {
    let flows = diesel::delete(oidc_flows::table.filter(oidc_flows::expires_at.le(now)))
        .execute(conn)
        .await?;
    let handoffs = diesel::delete(oidc_handoffs::table.filter(oidc_handoffs::expires_at.le(now)))
        .execute(conn)
        .await?;
    Ok(flows + handoffs)
}
