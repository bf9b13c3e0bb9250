//! The caller's own account as `/me` shows it: read through the profile cache, and changed.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::store::{self, ProfileChanges};
use super::Role;
use crate::error::{AppError, AppResult};
use crate::language::Language;
use crate::AppState;

/// Where a mentor belongs.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct MunicipalitySummary {
    pub id: Uuid,
    /// The 4-digit kommunenummer.
    pub number: String,
    pub name: String,
}

/// The USHT a coordinator works at.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct UshtSummary {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub municipality: Option<MunicipalitySummary>,
    /// A coordinator's USHT.
    pub usht: Option<UshtSummary>,
    pub workplace: Option<String>,
    pub leader_name: Option<String>,
    pub leader_email: Option<String>,
    pub email_verified: bool,
    /// The written form the person reads course text, emails, calendars and the certificate in:
    /// `nb` (bokmål) or `nn` (nynorsk).
    pub language: Language,
    pub created_at: DateTime<Utc>,
}

impl MeResponse {
    fn new(profile: store::Profile) -> Self {
        let store::Profile {
            user,
            municipality,
            usht,
        } = profile;
        let municipality =
            municipality.map(|(id, number, name)| MunicipalitySummary { id, number, name });
        MeResponse {
            usht: usht.map(|(id, name)| UshtSummary { id, name }),
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role,
            municipality,
            workplace: user.workplace,
            leader_name: user.leader_name,
            leader_email: user.leader_email,
            email_verified: user.email_verified_at.is_some(),
            language: user.language,
            created_at: user.created_at,
        }
    }
}

/// The caller's profile as the JSON `/me` answers, from the cache when it is there.
pub async fn me(state: &AppState, user_id: Uuid) -> AppResult<web::Bytes> {
    if let Some(body) = state.profiles.get(&user_id) {
        return Ok(body);
    }
    // Taken before the read, so a change committed meanwhile keeps this body out of the cache.
    let ticket = state.profiles.ticket();
    let profile = {
        let mut conn = state.pool.get().await?;
        store::find_profile(&mut conn, user_id)
            .await?
            .ok_or(AppError::Unauthorized)?
    };
    let body = web::Bytes::from(
        serde_json::to_vec(&MeResponse::new(profile))
            .map_err(|e| AppError::internal(e.to_string()))?,
    );
    if let Some(ticket) = ticket {
        state.profiles.insert(ticket, user_id, body.clone());
    }
    Ok(body)
}

/// Changes what the caller may change of their profile; fields left out stay as they are.
pub async fn update(
    state: &AppState,
    user_id: Uuid,
    changes: &ProfileChanges,
) -> AppResult<MeResponse> {
    let mut conn = state.pool.get().await?;
    let unchanged = changes.name.is_none()
        && changes.language.is_none()
        && changes.workplace.is_none()
        && changes.leader_name.is_none()
        && changes.leader_email.is_none();
    if !unchanged {
        store::update_profile(&mut conn, user_id, changes)
            .await
            .map(Some)
            .or_else(|e| match e {
                AppError::NotFound => Ok(None),
                other => Err(other),
            })?
            .ok_or(AppError::Unauthorized)?;
    }
    // The listener would hear of it too, but the caller's next read must see it at once.
    state.forget_user(&user_id);
    let profile = store::find_profile(&mut conn, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(MeResponse::new(profile))
}
