//! Export of everything stored about a person, erasure, and the access log as the person sees it.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use super::store::record_access;
use super::{Access, AccessEntry};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// Everything stored about a person: each part from the feature that keeps it.
#[derive(Serialize)]
pub struct Export {
    pub exported_at: DateTime<Utc>,
    pub profile: ProfileRecord,
    /// `progress` and `answers`.
    #[serde(flatten)]
    pub learner: crate::learning::LearnerRecord,
    pub reflection_note_versions: Vec<crate::reflection::NoteVersionRecord>,
    pub webinars: Vec<crate::webinars::RegistrationExport>,
    pub certificate: Option<crate::webinars::CertificateRecord>,
    /// `invitations` and `nudges`.
    #[serde(flatten)]
    pub organisation: crate::orgs::OrganisationRecord,
    pub emails: Vec<crate::mail::MailRecord>,
    pub access_log: Vec<AccessEntry>,
    /// The sign-in providers linked to the account, with the provider's id of the person.
    pub sign_in_identities: Vec<crate::auth::oidc::store::Identity>,
}

#[derive(Debug, Serialize)]
pub struct ProfileRecord {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: crate::auth::Role,
    pub municipality: Option<crate::auth::MunicipalitySummary>,
    pub workplace: Option<String>,
    pub leader_name: Option<String>,
    pub leader_email: Option<String>,
    pub email_verified: bool,
    pub self_enrolled: bool,
    /// The written form chosen (`nb` or `nn`).
    pub language: crate::language::Language,
    pub last_active_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Everything stored about a person, as one document.
pub async fn export(state: &AppState, user_id: Uuid) -> AppResult<Export> {
    let mut conn = state.pool.get().await?;
    let crate::auth::Profile {
        user, municipality, ..
    } = crate::auth::find_profile(&mut conn, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let keys = &state.config.encryption;
    let profile = ProfileRecord {
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
        municipality: municipality.map(|(id, number, name)| crate::auth::MunicipalitySummary {
            id,
            number,
            name,
        }),
        workplace: user.workplace,
        leader_name: user.leader_name,
        leader_email: user.leader_email,
        email_verified: user.email_verified_at.is_some(),
        self_enrolled: user.self_enrolled,
        language: user.language,
        last_active_at: user.last_active_at,
        created_at: user.created_at,
    };
    Ok(Export {
        exported_at: state.clock.now(),
        profile,
        learner: crate::learning::record_of(&mut conn, keys, user_id).await?,
        reflection_note_versions: crate::reflection::record_of(&mut conn, keys, user_id).await?,
        certificate: crate::webinars::certificate_record_of(&mut conn, user_id).await?,
        organisation: crate::orgs::record_of(&mut conn, user_id).await?,
        emails: crate::mail::record_of(&mut conn, user_id).await?,
        access_log: super::store::access_log_of(&mut conn, user_id).await?,
        sign_in_identities: crate::auth::oidc::store::identities_of(&mut conn, user_id).await?,
        webinars: crate::webinars::export_of(state, user_id).await?,
    })
}

/// An administrator's export of someone else: recorded in that person's access log.
pub async fn export_for_admin(
    state: &AppState,
    admin: &AuthUser,
    user_id: Uuid,
) -> AppResult<Export> {
    let document = export(state, user_id).await?;
    let mut conn = state.pool.get().await?;
    let object_id = user_id.to_string();
    record_access(
        &mut conn,
        admin,
        Access::ExportUser,
        &[user_id],
        Some(&object_id),
    )
    .await?;
    tracing::info!(target: "security", event = "user_exported", %user_id, by = %admin.id, "personal data exported by an administrator");
    Ok(document)
}

pub async fn access_log(state: &AppState, user_id: Uuid) -> AppResult<Vec<AccessEntry>> {
    let mut conn = state.pool.get().await?;
    super::store::access_log_of(&mut conn, user_id).await
}

/// How recent a provider's sign-in must be to confirm erasing an account without a password.
const RECENT_SIGN_IN: chrono::Duration = chrono::Duration::minutes(10);

/// Erases the caller's own account, once they have given its password again; an account without
/// a password confirms with a sign-in through its provider within `RECENT_SIGN_IN`.
pub async fn erase_own(
    state: &AppState,
    caller: &AuthUser,
    password: Option<&secrecy::SecretString>,
) -> AppResult<()> {
    let mut conn = state.pool.get().await?;
    let stored = crate::auth::find_profile(&mut conn, caller.id)
        .await?
        .ok_or(AppError::Unauthorized)?
        .user
        .password_hash;
    let confirmed = match (stored, password) {
        (Some(hash), Some(password)) => {
            drop(conn);
            state.passwords.verify(Some(&hash), password).await?.valid
        }
        (Some(_), None) => false,
        (None, _) => {
            let since = state.clock.now() - RECENT_SIGN_IN;
            let recent = crate::auth::oidc::store::identities_of(&mut conn, caller.id)
                .await?
                .iter()
                .any(|i| i.last_used_at.is_some_and(|at| at >= since));
            drop(conn);
            if !recent {
                return Err(AppError::rule(
                    actix_web::http::StatusCode::FORBIDDEN,
                    "reauthentication_required",
                    "Sign in again through your sign-in provider, then erase the account within ten minutes; nothing was erased.",
                ));
            }
            true
        }
    };
    if !confirmed {
        return Err(AppError::rule(
            actix_web::http::StatusCode::FORBIDDEN,
            "wrong_password",
            "The password is not right; nothing was erased.",
        ));
    }
    erase(state, caller.id, caller).await
}

/// Erases a person: upcoming webinar places are given up (the waitlist moves), then in one
/// transaction their answers, notes, tokens, invitations and mail are deleted, their certificate
/// revoked and stripped of them, and the account's personal fields replaced. What the statistics count (completions, attendance)
/// stays, tied only to an id that no longer leads to anyone.
pub async fn erase(state: &AppState, user_id: Uuid, by: &AuthUser) -> AppResult<()> {
    crate::webinars::cancel_upcoming_registrations(state, user_id).await?;
    let mut conn = state.pool.get().await?;
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            let user = crate::auth::find_profile(conn, user_id)
                .await?
                .ok_or(AppError::NotFound)?
                .user;
            let email = user.email.to_lowercase();
            // The certificate stays, revoked and without the person, so that its code and the
            // status list keep saying "revoked" to anyone who holds its credential.
            crate::webinars::revoke_certificate_on_erasure(conn, user_id, by.id).await?;
            let by_id = [
                "DELETE FROM reflection_answers WHERE user_id = $1",
                "DELETE FROM reflection_notes WHERE user_id = $1",
                "DELETE FROM refresh_tokens WHERE user_id = $1",
                "DELETE FROM auth_tokens WHERE user_id = $1",
                "DELETE FROM idempotency_keys WHERE user_id = $1",
                "DELETE FROM mail_outbox WHERE user_id = $1",
                "DELETE FROM invitations WHERE accepted_user_id = $1",
                "DELETE FROM oidc_identities WHERE user_id = $1",
                "DELETE FROM oidc_flows WHERE link_user_id = $1",
                "DELETE FROM oidc_handoffs WHERE user_id = $1",
            ];
            for statement in by_id {
                diesel::sql_query(statement)
                    .bind::<SqlUuid, _>(user_id)
                    .execute(conn)
                    .await?;
            }
            diesel::sql_query("DELETE FROM login_failures WHERE account_key = $1")
                .bind::<diesel::sql_types::Bytea, _>(crate::auth::account_key(
                    &state.config.jwt.secret,
                    &email,
                ))
                .execute(conn)
                .await?;
            for (table, column) in super::registry::BY_EMAIL {
                diesel::sql_query(format!("DELETE FROM {table} WHERE lower({column}) = $1"))
                    .bind::<Text, _>(&email)
                    .execute(conn)
                    .await?;
            }
            diesel::sql_query(
                "UPDATE users SET email = 'erased-' || id || '@erased.invalid', name = 'Slettet bruker',
                    password_hash = NULL, email_verified_at = NULL, workplace = NULL, leader_name = NULL,
                    leader_email = NULL, last_active_at = NULL, municipality_id = NULL, usht_id = NULL,
                    self_enrolled = false, erased_at = now(), updated_at = now(),
                    session_version = session_version + 1
                 WHERE id = $1",
            )
            .bind::<SqlUuid, _>(user_id)
            .execute(conn)
            .await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await?;
    // Other instances hear of it from the database; this one forgets at once.
    state.forget_user(&user_id);
    tracing::info!(target: "security", event = "user_erased", %user_id, by = %by.id, by_role = by.role.as_str(), "personal data erased");
    Ok(())
}
