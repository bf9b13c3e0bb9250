//! What the organisation side holds of one person, for their export.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::Role;
use crate::db::schema::{invitations, municipalities, nudges};
use crate::error::AppError;

#[derive(Debug, serde::Serialize)]
pub struct OrganisationRecord {
    /// The invitation the person's account was made from.
    pub invitations: Vec<InvitationRecord>,
    /// When a coordinator reminded them to go on.
    pub nudges: Vec<NudgeRecord>,
}

#[derive(Debug, Queryable, serde::Serialize)]
pub struct InvitationRecord {
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub municipality: Option<String>,
}

#[derive(Debug, Queryable, serde::Serialize)]
pub struct NudgeRecord {
    pub sent_at: DateTime<Utc>,
}

pub async fn record_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<OrganisationRecord, AppError> {
    let invitations = invitations::table
        .left_join(
            municipalities::table
                .on(invitations::municipality_id.eq(municipalities::id.nullable())),
        )
        .filter(invitations::accepted_user_id.eq(user_id))
        .order(invitations::created_at)
        .select((
            invitations::email,
            invitations::name,
            invitations::role,
            invitations::created_at,
            invitations::accepted_at,
            municipalities::name.nullable(),
        ))
        .load(conn)
        .await?;
    let nudges = nudges::table
        .filter(nudges::user_id.eq(user_id))
        .order(nudges::sent_at)
        .select(nudges::sent_at)
        .load::<DateTime<Utc>>(conn)
        .await?
        .into_iter()
        .map(|sent_at| NudgeRecord { sent_at })
        .collect();
    Ok(OrganisationRecord {
        invitations,
        nudges,
    })
}
