//! The rules of signing in through a provider: starting a flow, checking what comes back,
//! deciding whose account it is, and handing the sign-in to the client with a one-time code.

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreIdTokenClaims, CoreJwsSigningAlgorithm,
    CoreUserInfoClaims,
};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClaimsVerificationError, CsrfToken, LanguageTag,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RequestTokenError, Scope,
    SignatureVerificationError, TokenResponse,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::store::{self, Flow, Handoff};
use super::{unavailable, ProviderClient};
use crate::auth::enrolment::{
    account_from_invitation, already_a_user, invitation_refusal, lock_live_invitation,
};
use crate::auth::service::{start_session, TokenPair};
use crate::auth::store::{self as accounts, NewUser, User};
use crate::auth::tokens::{hash_token, new_opaque_token};
use crate::auth::Role;
use crate::config::OidcProviderConfig;
use crate::error::{AppError, AppResult};
use crate::language::Language;
use crate::mail::{self, templates, NewMail};
use crate::orgs;
use crate::AppState;

/// How long a started flow waits for the provider's answer.
pub const FLOW_TTL: Duration = Duration::minutes(10);
/// How long the client has to exchange the code it was sent back with.
pub const HANDOFF_TTL: Duration = Duration::seconds(60);

/// What a flow is started for.
pub struct Start<'a> {
    pub next: &'a str,
    /// An invitation link's token: the account is made from it.
    pub invitation: Option<&'a str>,
    /// Signing up into this enrolled municipality.
    pub municipality: Option<&'a str>,
    /// A signed-in person linking the provider from their profile.
    pub link_user: Option<Uuid>,
    /// The browser's `mentorsti_oidc` cookie, which the callback must bring back.
    pub browser: &'a str,
}

/// Starts a flow: what can be refused is refused now, before the person leaves for the provider.
/// Returns where to send the browser.
pub async fn start(state: &AppState, provider_name: &str, start: Start<'_>) -> AppResult<String> {
    let providers = &state.oidc;
    let provider = providers.get(provider_name)?;
    let now = state.clock.now();
    let invitation_hash = start.invitation.map(hash_token);
    {
        let mut conn = state.pool.get().await?;
        if let Some(hash) = &invitation_hash {
            let found = orgs::find_invitation_by_token(&mut conn, hash).await?;
            if let Some(refusal) = invitation_refusal(found.as_ref(), now) {
                return Err(refusal);
            }
        }
        if let Some(number) = start.municipality {
            enrolled(&mut conn, number).await?;
        }
    }
    // No connection is held while the provider's discovery document is read.
    let client = providers.client(provider, false).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .add_ui_locale(LanguageTag::new("nb".into()));
    if start.link_user.is_some() {
        // Linking binds a provider's identity to the account for good: the person signs in at
        // the provider now, not through a session someone left open.
        request = request.add_prompt(CoreAuthPrompt::Login);
    }
    for scope in &provider.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    for level in &provider.acr_values {
        request = request.add_auth_context_value(AuthenticationContextClass::new(level.clone()));
    }
    let (url, csrf, nonce) = request.url();
    let mut conn = state.pool.get().await?;
    store::insert_flow(
        &mut conn,
        &Flow {
            state_hash: hash_token(csrf.secret()),
            browser_hash: hash_token(start.browser),
            provider: provider.name.clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            next_path: start.next.to_owned(),
            invitation_hash,
            municipality_number: start.municipality.map(str::to_owned),
            link_user_id: start.link_user,
            created_at: now,
            expires_at: now + FLOW_TTL,
        },
    )
    .await?;
    Ok(url.to_string())
}

async fn enrolled(conn: &mut AsyncPgConnection, number: &str) -> AppResult<orgs::Municipality> {
    orgs::enrolled_municipality(conn, number)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "municipality",
                "is not a municipality enrolled in the programme",
            )
        })
}

/// What the provider sent the browser back with.
pub struct Callback<'a> {
    pub code: Option<&'a str>,
    pub state: Option<&'a str>,
    pub error: Option<&'a str>,
    pub browser: Option<&'a str>,
    /// The written form a new account starts in (the browser's).
    pub language: Language,
}

/// How a flow ended well.
pub enum Finished {
    /// Signed in: the client exchanges `code` for a token pair, then goes to `next`.
    SignedIn { code: String, next: String },
    /// A signed-in person linked the provider to their account.
    Linked { provider: String, next: String },
}

/// What the provider vouched for.
struct Person {
    subject: String,
    /// Present only when the provider is trusted for email and says it is verified.
    verified_email: Option<String>,
    name: Option<String>,
}

pub async fn callback(
    state: &AppState,
    provider_name: &str,
    callback: Callback<'_>,
) -> AppResult<Finished> {
    let provider = state.oidc.get(provider_name)?;
    let now = state.clock.now();
    let flow = match callback.state {
        Some(plain) => {
            let mut conn = state.pool.get().await?;
            store::take_flow(&mut conn, &hash_token(plain)).await?
        }
        None => None,
    };
    let flow = match flow {
        Some(flow)
            if flow.provider == provider.name
                && flow.expires_at > now
                && callback
                    .browser
                    .is_some_and(|b| hash_token(b) == flow.browser_hash) =>
        {
            flow
        }
        // A refusal by the provider (the person cancelled) says so even without a flow.
        _ if callback.error.is_some() => return Err(cancelled()),
        _ => return Err(state_invalid()),
    };
    if callback.error.is_some() {
        return Err(cancelled());
    }
    let code = callback.code.ok_or_else(cancelled)?;
    let person = verified_person(state, provider, &flow, code, now).await?;
    decide(state, provider, flow, person, callback.language).await
}

/// Exchanges the code at the provider and checks the id_token: signature against the provider's
/// keys with RS256 pinned, `iss`, `aud`, `exp`, `nonce`, and `acr` where levels are required.
async fn verified_person(
    state: &AppState,
    provider: &OidcProviderConfig,
    flow: &Flow,
    code: &str,
    now: DateTime<Utc>,
) -> AppResult<Person> {
    let providers = &state.oidc;
    let client = providers.client(provider, false).await?;
    let http = providers.http_client();
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| unavailable(&provider.name, e))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| match e {
            RequestTokenError::Request(e) => unavailable(&provider.name, e),
            other => token_invalid(&provider.name, other),
        })?;
    let id_token = response
        .id_token()
        .ok_or_else(|| token_invalid(&provider.name, "no id_token in the answer"))?;
    let nonce = Nonce::new(flow.nonce.clone());
    let claims = match check_claims(&client, id_token, &nonce, now) {
        // A key not yet seen: the provider may have rotated its keys; read them once more.
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => {
            let fresh = providers.client(provider, true).await?;
            check_claims(&fresh, id_token, &nonce, now)
        }
        checked => checked,
    }
    .map_err(|e| token_invalid(&provider.name, e))?;
    if !provider.acr_values.is_empty() {
        let level = claims.auth_context_ref().map(|acr| acr.as_str());
        if !level.is_some_and(|level| provider.acr_values.iter().any(|v| v == level)) {
            tracing::warn!(target: "security", event = "oidc_refused", code = "oidc_level_too_low", provider = %provider.name, acr = ?level, "sign-in at too low a level");
            return Err(AppError::rule(
                StatusCode::FORBIDDEN,
                "oidc_level_too_low",
                "The sign-in was not at the security level this service requires; sign in again with a stronger method.",
            ));
        }
    }
    let subject = claims.subject().as_str().to_owned();
    if subject.is_empty() || subject.len() > 255 {
        return Err(token_invalid(
            &provider.name,
            "a subject of more than 255 bytes",
        ));
    }
    let mut email = claims
        .email()
        .map(|e| (e.as_str().to_owned(), claims.email_verified() == Some(true)));
    if provider.trust_email && email.is_none() {
        email = userinfo_email(&client, &http, &response, claims).await;
    }
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned())
        .or_else(|| {
            let given = claims.given_name().and_then(|n| n.get(None))?;
            let family = claims.family_name().and_then(|n| n.get(None));
            Some(match family {
                Some(family) => format!("{} {}", given.as_str(), family.as_str()),
                None => given.as_str().to_owned(),
            })
        })
        .map(|n| {
            let printable: String = n.chars().filter(|c| !c.is_control()).collect();
            printable.trim().chars().take(100).collect::<String>()
        })
        .filter(|n| !n.is_empty());
    Ok(Person {
        subject,
        verified_email: email
            .filter(|(_, verified)| *verified && provider.trust_email)
            .map(|(address, _)| crate::http::fields::normalize_email(&address)),
        name,
    })
}

fn check_claims<'t>(
    client: &ProviderClient,
    id_token: &'t openidconnect::core::CoreIdToken,
    nonce: &Nonce,
    now: DateTime<Utc>,
) -> Result<&'t CoreIdTokenClaims, ClaimsVerificationError> {
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256])
        .set_time_fn(move || now);
    id_token.claims(&verifier, nonce)
}

/// The address from the provider's userinfo endpoint (Feide gives it there), subject checked.
async fn userinfo_email(
    client: &ProviderClient,
    http: &(impl for<'c> openidconnect::AsyncHttpClient<'c> + Sync),
    response: &openidconnect::core::CoreTokenResponse,
    claims: &CoreIdTokenClaims,
) -> Option<(String, bool)> {
    let request = client
        .user_info(
            response.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .ok()?;
    let info: CoreUserInfoClaims = match request.request_async(http).await {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(error = %e, "the provider's userinfo could not be read");
            return None;
        }
    };
    let email = info.email()?;
    Some((
        email.as_str().to_owned(),
        info.email_verified() == Some(true),
    ))
}

/// Whose account this is, in one transaction: a linking flow links; a linked subject signs in;
/// an invitation makes the account; a trusted, verified address links to its account or, when
/// signing up into an enrolled municipality, makes a mentor's account. Anything else is
/// `identity_not_linked`.
async fn decide(
    state: &AppState,
    provider: &OidcProviderConfig,
    flow: Flow,
    person: Person,
    language: Language,
) -> AppResult<Finished> {
    let mut conn = state.pool.get().await?;
    let name = provider.name.as_str();
    let flow = &flow;
    let person = &person;
    let finished = conn
        .transaction::<(Finished, Uuid, &'static str), AppError, _>(|conn| {
            async move {
                let now = state.clock.now();
                let linked = store::find_by_subject(conn, name, &person.subject).await?;
                if let Some(user_id) = flow.link_user_id {
                    let user = usable(accounts::lock_user(conn, user_id).await?)?;
                    match &linked {
                        Some(other) if other.user_id != user.id => return Err(identity_taken()),
                        _ => store::relink(conn, user.id, name, &person.subject, now)
                            .await
                            .map_err(|e| match e {
                                AppError::Conflict(_) => identity_taken(),
                                other => other,
                            })?,
                    }
                    tell_of_link(conn, state, provider, &user).await?;
                    let done = Finished::Linked {
                        provider: name.to_owned(),
                        next: flow.next_path.clone(),
                    };
                    return Ok((done, user.id, "oidc_linked"));
                }
                let (user, event) = if let Some(identity) = linked {
                    let user = usable(accounts::lock_user(conn, identity.user_id).await?)?;
                    (user, "oidc_signed_in")
                } else if let Some(hash) = &flow.invitation_hash {
                    let invitation = lock_live_invitation(conn, hash, now).await?;
                    let display = person
                        .name
                        .clone()
                        .or_else(|| invitation.name.clone())
                        .unwrap_or_default();
                    let user =
                        account_from_invitation(conn, &invitation, &display, None, now).await?;
                    link_new(conn, &user, name, &person.subject, now).await?;
                    (user, "invitation_accepted")
                } else if let Some(user) = match &person.verified_email {
                    // An administrator's account is linked from its profile only.
                    Some(address) => accounts::find_user_by_email(conn, address)
                        .await?
                        .filter(|u| u.role != Role::Admin && u.email_verified_at.is_some()),
                    None => None,
                } {
                    let user = usable(accounts::lock_user(conn, user.id).await?)?;
                    link_new(conn, &user, name, &person.subject, now).await?;
                    tell_of_link(conn, state, provider, &user).await?;
                    (user, "oidc_linked_by_email")
                } else if let Some(number) = &flow.municipality_number {
                    let user = self_enroll(conn, person, number, language, now).await?;
                    link_new(conn, &user, name, &person.subject, now).await?;
                    (user, "self_enrolled")
                } else {
                    return Err(not_linked());
                };
                accounts::touch_last_active(conn, user.id, now).await?;
                let code = new_opaque_token();
                store::insert_handoff(
                    conn,
                    &Handoff {
                        code_hash: code.hash,
                        browser_hash: flow.browser_hash.clone(),
                        user_id: user.id,
                        provider: name.to_owned(),
                        created_at: now,
                        expires_at: now + HANDOFF_TTL,
                    },
                )
                .await?;
                let done = Finished::SignedIn {
                    code: code.plain,
                    next: flow.next_path.clone(),
                };
                Ok((done, user.id, event))
            }
            .scope_boxed()
        })
        .await;
    let (finished, user_id, event) = finished?;
    tracing::info!(target: "security", event, %user_id, provider = name, "signed in through a provider");
    Ok(finished)
}

/// A mentor's account made from a provider's verified address, in an enrolled municipality. An
/// open invitation of the address wins, as for a sign-up by mail.
async fn self_enroll(
    conn: &mut AsyncPgConnection,
    person: &Person,
    number: &str,
    language: Language,
    now: DateTime<Utc>,
) -> AppResult<User> {
    let municipality = enrolled(conn, number).await?;
    let Some(email) = &person.verified_email else {
        return Err(AppError::rule(
            StatusCode::FORBIDDEN,
            "email_not_provided",
            "The sign-in provider did not vouch for an email address, which signing up needs. Sign up with your email address instead.",
        ));
    };
    if orgs::has_live_invitation(conn, email, now).await? {
        return Err(AppError::rule(
            StatusCode::CONFLICT,
            "invitation_pending",
            "This address has been invited; create the account from the invitation's link.",
        ));
    }
    let fallback = email.split('@').next().unwrap_or_default().to_owned();
    let user = accounts::insert_user(
        conn,
        NewUser {
            email,
            name: person.name.as_deref().unwrap_or(&fallback),
            role: Role::Mentor,
            password_hash: None,
            email_verified_at: Some(now),
            municipality_id: Some(municipality.id),
            usht_id: None,
            self_enrolled: true,
            language,
        },
    )
    .await
    .map_err(already_a_user)?;
    Ok(user)
}

/// Mails the account's owner that a provider now signs in to it: a way in they did not make
/// themselves is then noticed.
async fn tell_of_link(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    provider: &OidcProviderConfig,
    user: &User,
) -> AppResult<()> {
    let link = state.config.screen_url("/profile");
    let letter = templates::provider_linked(&user.name, &provider.label, &link, user.language);
    mail::outbox::enqueue(conn, NewMail::now(&user.email, Some(user.id), letter)).await?;
    Ok(())
}

async fn link_new(
    conn: &mut AsyncPgConnection,
    user: &User,
    provider: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    store::link(conn, user.id, provider, subject, now)
        .await
        .map_err(|e| match e {
            // The same subject finished two flows at once: the other one linked it.
            AppError::Conflict(_) => identity_taken(),
            other => other,
        })
}

fn usable(user: Option<User>) -> AppResult<User> {
    user.filter(|u| u.erased_at.is_none())
        .ok_or_else(not_linked)
}

/// Exchanges a handoff code for a token pair, once, in the browser the flow ran in.
pub async fn exchange(state: &AppState, code: &str, browser: Option<&str>) -> AppResult<TokenPair> {
    let hash = hash_token(code);
    let mut conn = state.pool.get().await?;
    let pair = conn
        .transaction::<(TokenPair, Uuid), AppError, _>(|conn| {
            async move {
                let now = state.clock.now();
                let handoff = store::take_handoff(conn, &hash)
                    .await?
                    .filter(|h| h.expires_at > now)
                    .filter(|h| browser.is_some_and(|b| hash_token(b) == h.browser_hash))
                    .ok_or_else(code_invalid)?;
                let user = accounts::lock_user(conn, handoff.user_id)
                    .await?
                    .filter(|u| u.erased_at.is_none())
                    .ok_or_else(code_invalid)?;
                // Only a sign-in that reached its browser counts as a use of the link.
                store::touch(conn, user.id, &handoff.provider, now).await?;
                let pair = start_session(conn, state, &user).await?;
                Ok((pair, user.id))
            }
            .scope_boxed()
        })
        .await;
    match pair {
        Ok((pair, user_id)) => {
            tracing::info!(target: "security", event = "oidc_session_started", %user_id, "session started from a provider's sign-in");
            Ok(pair)
        }
        Err(e) => {
            tracing::warn!(target: "security", event = "oidc_refused", code = e.code(), "handoff code refused");
            Err(e)
        }
    }
}

/// The ways an account signs in: whether it has a password, and the providers linked.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignInMethods {
    pub has_password: bool,
    pub identities: Vec<LinkedIdentity>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedIdentity {
    /// The provider's name in our paths, e.g. `idporten`.
    pub provider: String,
    /// What the provider is called on its button.
    pub label: String,
    pub linked_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn sign_in_methods(state: &AppState, user_id: Uuid) -> AppResult<SignInMethods> {
    let mut conn = state.pool.get().await?;
    let user = accounts::find_user(&mut conn, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let identities = store::identities_of(&mut conn, user_id).await?;
    Ok(SignInMethods {
        has_password: user.password_hash.is_some(),
        identities: identities
            .into_iter()
            .map(|i| LinkedIdentity {
                label: state
                    .oidc
                    .get(&i.provider)
                    .map(|p| p.label.clone())
                    .unwrap_or_else(|_| i.provider.clone()),
                provider: i.provider,
                linked_at: i.linked_at,
                last_used_at: i.last_used_at,
            })
            .collect(),
    })
}

/// Removes a provider's link, unless it is the account's last way to sign in.
pub async fn unlink(state: &AppState, user_id: Uuid, provider: &str) -> AppResult<()> {
    let mut conn = state.pool.get().await?;
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            let user = accounts::lock_user(conn, user_id)
                .await?
                .ok_or(AppError::Unauthorized)?;
            let identities = store::identities_of(conn, user_id).await?;
            if !identities.iter().any(|i| i.provider == provider) {
                return Err(AppError::rule(
                    StatusCode::NOT_FOUND,
                    "identity_not_found",
                    "This account is not linked to that provider.",
                ));
            }
            if user.password_hash.is_none() && identities.len() == 1 {
                return Err(AppError::rule(
                    StatusCode::CONFLICT,
                    "last_sign_in_method",
                    "This is the only way this account signs in; choose a password or link another provider first.",
                ));
            }
            store::unlink(conn, user_id, provider).await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await?;
    tracing::info!(target: "security", event = "oidc_unlinked", %user_id, provider, "provider unlinked from account");
    Ok(())
}

fn not_linked() -> AppError {
    AppError::rule(
        StatusCode::FORBIDDEN,
        "identity_not_linked",
        "This sign-in is not linked to an account here. Sign in with your password and link it from your profile, or use the link in your invitation.",
    )
}

fn state_invalid() -> AppError {
    AppError::rule(
        StatusCode::BAD_REQUEST,
        "oidc_state_invalid",
        "This sign-in has expired, was already used or was started in another browser; start again.",
    )
}

fn cancelled() -> AppError {
    AppError::rule(
        StatusCode::BAD_REQUEST,
        "oidc_cancelled",
        "The sign-in was cancelled at the provider; nothing was changed.",
    )
}

/// 401, as for a refresh token that does not hold: the code is the credential of the exchange.
fn code_invalid() -> AppError {
    AppError::rule(
        StatusCode::UNAUTHORIZED,
        "oidc_code_invalid",
        "This sign-in code has expired or was already used; sign in again.",
    )
}

fn identity_taken() -> AppError {
    AppError::rule(
        StatusCode::CONFLICT,
        "identity_taken",
        "This sign-in is already linked to another account.",
    )
}

/// 401 `oidc_token_invalid`; the cause goes to the log only.
fn token_invalid(provider: &str, cause: impl std::fmt::Display) -> AppError {
    tracing::warn!(target: "security", event = "oidc_refused", code = "oidc_token_invalid", provider, cause = %cause, "id_token refused");
    AppError::rule(
        StatusCode::UNAUTHORIZED,
        "oidc_token_invalid",
        "The sign-in provider's answer could not be trusted; nothing was changed. Start again.",
    )
}
