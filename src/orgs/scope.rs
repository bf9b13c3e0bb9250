//! What a staff member may see: everything (admins) or one USHT (coordinators). Resolved from
//! the database on every request, so a changed role or USHT takes effect at once, and passed to
//! every store query, which filters by it in SQL.

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::store::users::{staff_membership, Membership};
use crate::auth::{AuthUser, Role};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Administrators see every USHT.
    All,
    /// A coordinator sees the municipalities, invitations and mentors of their own USHT.
    Usht(Uuid),
}

impl Scope {
    /// Whether this USHT is within the scope.
    pub fn covers(&self, usht_id: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Usht(own) => *own == usht_id,
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Scope::All)
    }
}

/// The caller's scope. A coordinator who belongs to no USHT (or whose role has changed since
/// the token was issued) is refused.
pub async fn resolve(conn: &mut AsyncPgConnection, caller: &AuthUser) -> AppResult<Scope> {
    match staff_membership(conn, caller.id).await? {
        Some(Membership {
            role: Role::Admin, ..
        }) => Ok(Scope::All),
        Some(Membership {
            role: Role::Coordinator,
            usht_id: Some(usht),
        }) => Ok(Scope::Usht(usht)),
        Some(_) => Err(AppError::Forbidden),
        None => Err(AppError::Unauthorized),
    }
}
