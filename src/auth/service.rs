//! Sign-in, token rotation, password reset and email verification.

use chrono::{DateTime, Utc};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use secrecy::SecretString;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::store::{self, TokenPurpose, User};
use super::tokens::{hash_token, new_opaque_token};
use super::Role;
use crate::error::{AppError, AppResult};
use crate::mail::{self, templates, NewMail, SECRET_PLACEHOLDER};
use crate::AppState;

/// How long a password-reset or email-verification link works.
pub const EMAIL_TOKEN_TTL: chrono::Duration = chrono::Duration::hours(1);

/// How long a sign-in link works: a link that is a session is kept short.
pub const SIGN_IN_LINK_TTL: chrono::Duration = chrono::Duration::minutes(15);

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds until the refresh token expires: the session ends then unless it is refreshed
    /// (a client that kept copies for reading offline drops them at that moment).
    pub refresh_expires_in: u64,
}

pub use crate::http::fields::normalize_email;

/// Starts a session for a user: a new refresh-token family and an access token.
pub async fn start_session(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    user: &User,
) -> AppResult<TokenPair> {
    issue_pair(conn, state, user, Uuid::new_v4(), state.clock.now()).await
}

/// A new token pair, with the refresh token's hash and expiry for the database.
fn new_pair(
    state: &AppState,
    user: &User,
    now: DateTime<Utc>,
) -> (TokenPair, Vec<u8>, DateTime<Utc>) {
    let refresh = new_opaque_token();
    let refresh_ttl =
        chrono::Duration::from_std(state.tokens.refresh_ttl).unwrap_or(chrono::Duration::days(30));
    let pair = TokenPair {
        access_token: state
            .tokens
            .issue_access(user.id, user.role, user.session_version, now),
        refresh_token: refresh.plain,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl.as_secs(),
        refresh_expires_in: state.tokens.refresh_ttl.as_secs(),
    };
    (pair, refresh.hash, now + refresh_ttl)
}

/// Issues a token pair in the refresh-token family `family_id`.
async fn issue_pair(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    user: &User,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<TokenPair> {
    let (pair, hash, expires_at) = new_pair(state, user, now);
    store::insert_refresh_token(conn, user.id, family_id, &hash, expires_at).await?;
    Ok(pair)
}

/// Checks email and password. Unknown emails take the same time (dummy hash) and get the same
/// answer; an email with too many recent failures is locked, known or not.
/// What an address names at sign-in.
enum Known {
    Account(User),
    Signup(store::Signup),
    Nobody,
}

pub async fn login(
    state: &AppState,
    email: &str,
    password: &SecretString,
    ip: &str,
) -> AppResult<TokenPair> {
    let email = normalize_email(email);
    let account_key = super::limits::account_key(&state.config.jwt.secret, &email);
    // A storm of sign-ins queues here, in memory, so it cannot take the whole connection pool.
    let _slot = state.passwords.sign_in_slot().await?;
    let now = state.clock.now();
    let limits = &state.config.limits;
    let window = chrono::Duration::from_std(limits.login_failure_window)
        .unwrap_or(chrono::Duration::minutes(15));
    // Count and provisionally record this attempt under a per-email lock, so that no more than
    // `login_max_failures` attempts per window ever reach the password check. No connection is
    // held while the password is hashed: a login storm waits for hashing, not for the pool.
    let user = {
        let mut conn = state.pool.get().await?;
        let max = i64::from(limits.login_max_failures);
        let (failures, oldest) =
            store::begin_sign_in(&mut conn, &account_key, now - window, max, now).await?;
        if failures >= max {
            let unlock_at = oldest.unwrap_or(now) + window;
            let retry_after_secs = (unlock_at - now).num_seconds().max(1) as u64;
            tracing::warn!(target: "security", event = "login_locked", %ip, failures, "sign-in refused: account locked");
            return Err(AppError::RateLimited { retry_after_secs });
        }
        match store::find_user_by_email(&mut conn, &email).await? {
            Some(user) => Known::Account(user),
            None => match store::pending_signup_for(&mut conn, &email, now).await? {
                Some(signup) => Known::Signup(signup),
                None => Known::Nobody,
            },
        }
    };

    // One password check whatever is known of the address, so each answer takes as long.
    let stored = match &user {
        Known::Account(user) => user.password_hash.as_deref(),
        Known::Signup(signup) => signup.password_hash.as_deref(),
        Known::Nobody => None,
    };
    let verified = state.passwords.verify(stored, password).await?;
    let user = match user {
        Known::Account(user) if verified.valid => user,
        Known::Signup(_) if verified.valid => {
            let mut conn = state.pool.get().await?;
            store::clear_failures(&mut conn, &account_key).await?;
            // A sign-up is an account once its address is confirmed (only told to whoever has
            // the password).
            return Err(AppError::rule(
                actix_web::http::StatusCode::FORBIDDEN,
                "email_not_verified",
                "Confirm your email address with the link we sent before signing in.",
            ));
        }
        _ => {
            tracing::warn!(target: "security", event = "login_failed", %ip, "sign-in failed");
            return Err(AppError::Unauthorized);
        }
    };
    // The right password: one statement clears the failures (this attempt's provisional one
    // included), stamps the activity, stores a rehash and the refresh token.
    let user_id = user.id;
    let mut conn = state.pool.get().await?;
    let (pair, hash, expires_at) = new_pair(state, &user, now);
    let signed_in = store::finish_sign_in(
        &mut conn,
        &account_key,
        &user,
        verified.rehashed.as_deref(),
        store::NewSession {
            family_id: Uuid::new_v4(),
            token_hash: &hash,
            expires_at,
        },
        now,
    )
    .await?;
    if !signed_in {
        // The password was changed, the role changed or the account erased meanwhile.
        tracing::warn!(target: "security", event = "login_failed", %ip, "sign-in overtaken by an account change");
        return Err(AppError::Unauthorized);
    }
    if verified.rehashed.is_some() {
        tracing::info!(%user_id, "password rehashed with current parameters");
    }
    tracing::info!(target: "security", event = "login", %user_id, %ip, "signed in");
    Ok(pair)
}

/// Rotates a refresh token. A token that was already used is a replay: the whole family is
/// revoked, so a stolen token stops working for the thief and the owner alike.
pub async fn refresh(state: &AppState, refresh_token: &str) -> AppResult<TokenPair> {
    let hash = hash_token(refresh_token);
    let mut conn = state.pool.get().await?;
    let now = state.clock.now();
    let issued = conn
        .transaction::<Option<TokenPair>, AppError, _>(|conn| {
            async move {
                let Some((user_id, family_id)) =
                    store::consume_refresh_token(conn, &hash, now).await?
                else {
                    return Ok(None);
                };
                let user = store::find_user(conn, user_id)
                    .await?
                    .ok_or(AppError::Unauthorized)?;
                if user.erased_at.is_some() {
                    return Err(AppError::Unauthorized);
                }
                store::touch_last_active(conn, user_id, now).await?;
                issue_pair(conn, state, &user, family_id, now)
                    .await
                    .map(Some)
            }
            .scope_boxed()
        })
        .await?;
    if let Some(pair) = issued {
        return Ok(pair);
    }
    let hash = hash_token(refresh_token);
    if let Some((user_id, family_id)) = store::used_token_family(&mut conn, &hash).await? {
        let revoked = store::revoke_family(&mut conn, family_id).await?;
        // Whoever holds the stolen pair may hold its access token too.
        store::end_access_tokens(&mut conn, user_id).await?;
        state.forget_user(&user_id);
        tracing::warn!(target: "security", event = "refresh_token_reuse", %user_id, %family_id, revoked, "refresh token replayed; family revoked; access tokens ended");
    }
    Err(AppError::Unauthorized)
}

/// Ends the session the refresh token belongs to, and every access token of the account (other
/// devices renew theirs with their own refresh token). Unknown tokens are accepted silently.
pub async fn logout(state: &AppState, refresh_token: &str) -> AppResult<()> {
    let mut conn = state.pool.get().await?;
    if let Some((user_id, family_id)) =
        store::family_of(&mut conn, &hash_token(refresh_token)).await?
    {
        store::revoke_family(&mut conn, family_id).await?;
        store::end_access_tokens(&mut conn, user_id).await?;
        state.forget_user(&user_id);
    }
    Ok(())
}

/// A kind of one-time link sent by mail on request: what it is for, how long it works, the
/// screen it opens and the mail that carries it.
struct MailedLink {
    purpose: TokenPurpose,
    ttl: chrono::Duration,
    screen: &'static str,
    /// (name, link, the account's written form)
    letter: fn(&str, &str, crate::language::Language) -> templates::RenderedMail,
    /// Whether this account may have one.
    for_account: fn(&User) -> bool,
}

const PASSWORD_RESET: MailedLink = MailedLink {
    purpose: TokenPurpose::PasswordReset,
    ttl: EMAIL_TOKEN_TTL,
    screen: "/reset-password",
    letter: templates::password_reset,
    // Invited people who never accepted set their password through the invitation.
    for_account: |user| user.password_hash.is_some() || user.email_verified_at.is_some(),
};

const SIGN_IN_LINK: MailedLink = MailedLink {
    purpose: TokenPurpose::SignInLink,
    ttl: SIGN_IN_LINK_TTL,
    screen: "/sign-in-link",
    letter: templates::sign_in_link,
    // Erased accounts have no session to start (one signing in through a provider may have no
    // password, and still gets a link).
    for_account: |user| user.erased_at.is_none(),
};

/// Mails a link of this kind when the address has an account that may have one, voiding the
/// account's older links of the kind; the caller answers the same whatever happens here.
async fn mail_link(state: &AppState, email: &str, kind: &'static MailedLink) -> AppResult<()> {
    let email = normalize_email(email);
    let mut conn = state.pool.get().await?;
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            let Some(user) = store::find_user_by_email(conn, &email).await? else {
                return Ok(());
            };
            if !(kind.for_account)(&user) {
                return Ok(());
            }
            let now = state.clock.now();
            let token = new_opaque_token();
            let link = state.config.screen_link(kind.screen, SECRET_PLACEHOLDER);
            let letter = (kind.letter)(&user.name, &link, user.language);
            let mail = NewMail::now(&user.email, Some(user.id), letter)
                .with_secret(&state.config.encryption, &token.plain);
            // Over the address's mail budget nothing changes: the link already in the inbox
            // keeps working, so asking again and again cannot take it away.
            if !mail::outbox::enqueue_requested(conn, mail, now).await? {
                return Ok(());
            }
            store::void_auth_tokens(conn, user.id, kind.purpose).await?;
            store::insert_auth_token(conn, user.id, kind.purpose, &token.hash, now + kind.ttl)
                .await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await
}

/// Emails a reset link when the account exists; the caller answers 202 either way.
pub async fn request_password_reset(state: &AppState, email: &str) -> AppResult<()> {
    mail_link(state, email, &PASSWORD_RESET).await
}

/// Emails a one-time sign-in link when the address has an account that has signed in before;
/// the caller answers 202 either way. Sign-in failures do not stop it: this is how the owner
/// gets in while someone else's wrong passwords keep the password sign-in locked.
pub async fn request_sign_in_link(state: &AppState, email: &str) -> AppResult<()> {
    mail_link(state, email, &SIGN_IN_LINK).await
}

/// Starts a session with a sign-in link, once. The failed password sign-ins stay counted: the
/// link proves the mailbox, not the password, and whoever guessed keeps waiting.
pub async fn sign_in_with_link(state: &AppState, token: &str, ip: &str) -> AppResult<TokenPair> {
    let hash = hash_token(token);
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let (user_id, pair) = conn
        .transaction::<(Uuid, TokenPair), AppError, _>(|conn| {
            async move {
                let Some(user_id) =
                    store::consume_auth_token(conn, &hash, TokenPurpose::SignInLink, now).await?
                else {
                    return Err(link_refusal(
                        store::link_state(conn, &hash, TokenPurpose::SignInLink, now).await?,
                    ));
                };
                let user = store::lock_user(conn, user_id)
                    .await?
                    .filter(|user| user.erased_at.is_none())
                    .ok_or_else(|| link_refusal(store::LinkState::Unknown))?;
                // Opening the link proves the person reads this mailbox.
                store::mark_email_verified(conn, user_id).await?;
                store::touch_last_active(conn, user_id, now).await?;
                let pair = issue_pair(conn, state, &user, Uuid::new_v4(), now).await?;
                Ok((user_id, pair))
            }
            .scope_boxed()
        })
        .await?;
    tracing::info!(target: "security", event = "login_by_link", %user_id, %ip, "signed in with a link from mail");
    Ok(pair)
}

/// Sets a new password with a reset token; every session of the account ends.
/// What the holder of a live password-reset link sees: the address whose password it sets.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetLinkCheck {
    pub email: String,
}

/// Reads a password-reset link without spending it, so its screen can say at once when it is
/// used, replaced or expired (the same refusals as confirming).
pub async fn check_password_reset(state: &AppState, token: &str) -> AppResult<ResetLinkCheck> {
    let hash = hash_token(token);
    let mut conn = state.pool.get().await?;
    let owner = live_link(
        &mut conn,
        &hash,
        TokenPurpose::PasswordReset,
        state.clock.now(),
    )
    .await?;
    let user = store::find_user(&mut conn, owner)
        .await?
        .ok_or_else(|| link_refusal(store::LinkState::Unknown))?;
    Ok(ResetLinkCheck { email: user.email })
}

pub async fn confirm_password_reset(
    state: &AppState,
    token: &str,
    password: &SecretString,
) -> AppResult<()> {
    use secrecy::ExposeSecret;
    let hash = hash_token(token);
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    // A dead link is said first; a weak password is refused before the link is spent.
    let owner = live_link(&mut conn, &hash, TokenPurpose::PasswordReset, now).await?;
    let context = store::find_user(&mut conn, owner)
        .await?
        .map(|u| (u.email, u.name))
        .unwrap_or_default();
    super::password::check_policy(
        "password",
        password.expose_secret(),
        &[&context.0, &context.1],
    )?;
    let new_hash = state.passwords.hash(password).await?;
    let user_id = conn.transaction::<Uuid, AppError, _>(|conn| {
        async move {
            let user_id = match store::consume_auth_token(
                conn,
                &hash,
                TokenPurpose::PasswordReset,
                now,
            )
            .await?
            {
                Some(user_id) => user_id,
                None => {
                    return Err(link_refusal(
                        store::link_state(conn, &hash, TokenPurpose::PasswordReset, now).await?,
                    ))
                }
            };
            let user = store::find_user(conn, user_id)
                .await?
                .ok_or_else(|| link_refusal(store::LinkState::Unknown))?;
            super::password::check_policy("password", password.expose_secret(), &[&user.email, &user.name])?;
            // A sign-in link sent before the reset is a session it ends too. (Its rows are locked
            // before the account's, in the order a sign-in with a link takes them.)
            store::void_auth_tokens(conn, user_id, TokenPurpose::SignInLink).await?;
            store::set_password_hash(conn, user_id, &new_hash).await?;
            // The reset proves the person reads this mailbox.
            store::mark_email_verified(conn, user_id).await?;
            let revoked = store::revoke_all_refresh_tokens(conn, user_id).await?;
            store::end_access_tokens(conn, user_id).await?;
            tracing::info!(target: "security", event = "password_reset", %user_id, revoked, "password reset; sessions revoked");
            Ok(user_id)
        }
        .scope_boxed()
    })
    .await?;
    state.forget_user(&user_id);
    Ok(())
}

/// Why a link from a mail cannot be used, for the person who opened it: 404 `link_not_found`,
/// 410 `link_used` or 410 `link_expired` (each says to ask for a new link).
pub fn link_refusal(state: store::LinkState) -> AppError {
    use actix_web::http::StatusCode;
    match state {
        store::LinkState::Used => AppError::rule(
            StatusCode::GONE,
            "link_used",
            "This link has already been used, or a newer one was sent. Ask for a new link.",
        ),
        store::LinkState::Expired => AppError::rule(
            StatusCode::GONE,
            "link_expired",
            "This link has expired. Ask for a new link.",
        ),
        store::LinkState::Unknown | store::LinkState::Live(_) => AppError::rule(
            StatusCode::NOT_FOUND,
            "link_not_found",
            "This link is not valid. Ask for a new link.",
        ),
    }
}

/// A live token's user; otherwise the refusal to give.
async fn live_link(
    conn: &mut AsyncPgConnection,
    hash: &[u8],
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    match store::link_state(conn, hash, purpose, now).await? {
        store::LinkState::Live(user_id) => Ok(user_id),
        other => Err(link_refusal(other)),
    }
}

/// Creates an administrator (the CLI's `create-admin`).
pub async fn create_admin(
    state: &AppState,
    email: &str,
    name: &str,
    password: &SecretString,
) -> AppResult<User> {
    use secrecy::ExposeSecret;
    let email = normalize_email(email);
    let mut problems = Vec::new();
    if !validator::ValidateEmail::validate_email(&email) {
        problems.push(crate::error::FieldError::new(
            "email",
            "is not a valid email address",
        ));
    }
    if name.trim().is_empty() || name.chars().count() > 200 {
        problems.push(crate::error::FieldError::new(
            "name",
            "must be 1 to 200 characters",
        ));
    }
    if let Err(AppError::Validation(mut errors)) =
        super::password::check_policy("password", password.expose_secret(), &[&email, name])
    {
        problems.append(&mut errors);
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let hash = state.passwords.hash(password).await?;
    let mut conn = state.pool.get().await?;
    let user = store::insert_user(
        &mut conn,
        store::NewUser {
            email: &email,
            name: name.trim(),
            role: Role::Admin,
            password_hash: Some(&hash),
            email_verified_at: Some(state.clock.now()),
            municipality_id: None,
            usht_id: None,
            self_enrolled: false,
            language: crate::language::Language::Bokmal,
        },
    )
    .await?;
    tracing::info!(target: "security", event = "admin_created", user_id = %user.id, "administrator created");
    Ok(user)
}
