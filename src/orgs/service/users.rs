//! Role changes (administrators): a user gets another role and the place it needs.

use actix_web::http::StatusCode;
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::{end_access_tokens, revoke_all_refresh_tokens, AuthUser, Role};
use crate::error::{AppError, AppResult};
use crate::orgs::scope::Scope;
use crate::orgs::store::municipalities::find_municipality;
use crate::orgs::store::users as store;
use crate::orgs::store::ushts::find_usht;
use crate::AppState;

/// Gives a user another role (administrators). A coordinator needs a USHT; a mentor may have a
/// municipality. Sessions end, so the next sign-in carries the new role.
pub async fn change_role(
    state: &AppState,
    caller: &AuthUser,
    user_id: Uuid,
    role: Role,
    municipality_id: Option<Uuid>,
    usht_id: Option<Uuid>,
) -> AppResult<()> {
    if user_id == caller.id {
        return Err(AppError::rule(
            StatusCode::CONFLICT,
            "own_role",
            "You cannot change your own role; ask another administrator.",
        ));
    }
    let (municipality_id, usht_id) = match role {
        Role::Coordinator => (
            None,
            Some(
                usht_id
                    .ok_or_else(|| AppError::field("usht_id", "is required for a coordinator"))?,
            ),
        ),
        Role::Mentor => (municipality_id, None),
        Role::Facilitator | Role::Admin => (None, None),
    };
    let mut conn = state.pool.get().await?;
    // The user named in the path first: an unknown id is 404 whatever the body says.
    if store::staff_membership(&mut conn, user_id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    if let Some(id) = usht_id {
        find_usht(&mut conn, &Scope::All, id)
            .await?
            .ok_or_else(|| AppError::field("usht_id", "is not a USHT"))?;
    }
    if let Some(id) = municipality_id {
        find_municipality(&mut conn, &Scope::All, id)
            .await?
            .ok_or_else(|| AppError::field("municipality_id", "is not an enrolled municipality"))?;
    }
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            if !store::set_role(conn, user_id, role, municipality_id, usht_id).await? {
                return Err(AppError::NotFound);
            }
            revoke_all_refresh_tokens(conn, user_id).await?;
            end_access_tokens(conn, user_id).await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await?;
    state.forget_user(&user_id);
    tracing::info!(target: "security", event = "role_changed", %user_id, role = role.as_str(), by = %caller.id, "role changed");
    Ok(())
}

/// The most staff of one role a list gives.
pub const STAFF_LIST_LIMIT: i64 = 500;

/// The facilitators, coordinators or administrators, for an administrator choosing one (a
/// series' facilitator, say); or the one account with an exact address, of any role, so an
/// administrator can find the person whose role they change. Mentors are otherwise listed by
/// the follow-up, by municipality. With both, the account must also have the role; with
/// neither, every member of staff.
pub async fn staff(
    state: &AppState,
    role: Option<Role>,
    email: Option<&str>,
) -> AppResult<Vec<store::StaffMember>> {
    let mut conn = state.pool.get().await?;
    match (role, email) {
        (_, Some(email)) => {
            let found = store::account_with_email(&mut conn, email).await?;
            Ok(found
                .into_iter()
                .filter(|m| role.is_none_or(|r| m.role == r))
                .collect())
        }
        (Some(Role::Mentor), None) => Err(AppError::field(
            "role",
            "must be facilitator, coordinator or admin; mentors are listed by municipality",
        )),
        (Some(role), None) => store::staff_with_role(&mut conn, role, STAFF_LIST_LIMIT).await,
        // Every member of staff: the facilitators, then the coordinators, then the admins.
        (None, None) => {
            let mut all = Vec::new();
            for role in [Role::Facilitator, Role::Coordinator, Role::Admin] {
                all.extend(store::staff_with_role(&mut conn, role, STAFF_LIST_LIMIT).await?);
            }
            Ok(all)
        }
    }
}
