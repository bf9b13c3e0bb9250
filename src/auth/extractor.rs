//! The authenticated caller, from `Authorization: Bearer <access token>`, and `Require<R>`, the
//! role guard every protected route takes as an argument.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::Role;
use crate::error::AppError;
use crate::language::Language;
use crate::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
    /// The written form the person reads in.
    pub language: Language,
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

/// The caller of a valid access token that the account still honours: a token names the
/// account's session version and role, and a role change, erasure, sign-out, password reset or a
/// replayed refresh token raises the version (`store::end_access_tokens`), so the token ends at
/// once. The account's state comes from a cache the change listener keeps right on every
/// instance (`db::cache`), so an ordinary request makes no database round trip for it.
async fn authenticate(req: &HttpRequest) -> Result<AuthUser, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::Unauthorized)?;
    let (scheme, token) = header.split_once(' ').ok_or(AppError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.len() > 4096 {
        return Err(AppError::Unauthorized);
    }
    let claims = state
        .tokens
        .verify_access(token.trim(), state.clock.now())
        .ok_or(AppError::Unauthorized)?;
    let session = match state.sessions.get(&claims.sub) {
        Some(session) => session,
        None => {
            let ticket = state.sessions.ticket();
            let mut conn = state.pool.get().await?;
            let session = super::store::session_state(&mut conn, claims.sub)
                .await?
                .ok_or(AppError::Unauthorized)?;
            if let Some(ticket) = ticket {
                state.sessions.insert(ticket, claims.sub, session);
            }
            session
        }
    };
    if session.erased || session.version != claims.ver || session.role != claims.role {
        return Err(AppError::Unauthorized);
    }
    Ok(AuthUser {
        id: claims.sub,
        role: claims.role,
        language: session.language,
    })
}

/// A set of roles allowed on a route.
pub trait Roles {
    const ALLOWED: &'static [Role];
}

/// The caller, guaranteed to have one of `R::ALLOWED`; otherwise 401 (no valid token) or 403.
pub struct Require<R: Roles> {
    pub user: AuthUser,
    _roles: PhantomData<R>,
}

impl<R: Roles> std::ops::Deref for Require<R> {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.user
    }
}

impl<R: Roles> FromRequest for Require<R> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(&req).await?;
            if !R::ALLOWED.contains(&user.role) {
                return Err(AppError::Forbidden);
            }
            limit_writes(&req, &user)?;
            Ok(Require {
                user,
                _roles: PhantomData,
            })
        })
    }
}

/// Writes (POST, PUT, PATCH, DELETE) count against the per-IP and the per-account budgets, so
/// one address or one account cannot flood the database; reads are not limited here.
fn limit_writes(req: &HttpRequest, user: &AuthUser) -> Result<(), AppError> {
    use actix_web::http::Method;
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    state.write_limiter.check(super::limits::client_ip(
        req,
        state.config.trust_forwarded_for,
    ))?;
    state.account_limiter.check(user.id)
}

/// Role sets used by the routes.
pub mod roles {
    use super::{Role, Roles};

    pub struct Anyone;
    impl Roles for Anyone {
        const ALLOWED: &'static [Role] = Role::ALL;
    }

    pub struct Admin;
    impl Roles for Admin {
        const ALLOWED: &'static [Role] = &[Role::Admin];
    }

    pub struct Mentor;
    impl Roles for Mentor {
        const ALLOWED: &'static [Role] = &[Role::Mentor];
    }

    /// Coordinators (scoped to their USHT) and admins.
    pub struct Staff;
    impl Roles for Staff {
        const ALLOWED: &'static [Role] = &[Role::Coordinator, Role::Admin];
    }

    /// Facilitators (scoped to their series) and admins.
    pub struct Facilitation;
    impl Roles for Facilitation {
        const ALLOWED: &'static [Role] = &[Role::Facilitator, Role::Admin];
    }
}
