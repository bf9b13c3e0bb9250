//! Becoming a user: accepting an invitation (the account is made in its place and signed in),
//! signing up into an enrolled municipality, and confirming a sign-up from its mail. What these
//! need of invitations and municipalities comes from the root of `orgs`.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::AsyncConnection;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::service::{link_refusal, normalize_email, start_session, TokenPair, EMAIL_TOKEN_TTL};
use super::store::{self, LinkState, NewSignup, NewUser, Signup};
use super::tokens::{hash_token, new_opaque_token};
use super::{password, Role};
use crate::error::{AppError, AppResult};
use crate::language::Language;
use crate::mail::{self, templates, NewMail, SECRET_PLACEHOLDER};
use crate::orgs::{self, Invitation, Municipality};
use crate::AppState;

/// Why an invitation link cannot be accepted at `now`: 404 `invitation_not_found` (never
/// issued, or replaced by a newer link), 410 `invitation_used`, `invitation_withdrawn`,
/// `invitation_replaced` or `invitation_expired`.
pub(crate) fn invitation_refusal(
    invitation: Option<&Invitation>,
    now: DateTime<Utc>,
) -> Option<AppError> {
    let gone = |code, detail: &str| Some(AppError::rule(StatusCode::GONE, code, detail));
    match invitation {
        None => Some(AppError::rule(
            StatusCode::NOT_FOUND,
            "invitation_not_found",
            "This invitation link is not valid. Ask the person who invited you to send it again.",
        )),
        Some(i) if i.accepted_at.is_some() => gone(
            "invitation_used",
            "This invitation has already been accepted; sign in instead.",
        ),
        Some(i) if i.withdrawn_at.is_some() => gone(
            "invitation_withdrawn",
            "This invitation has been withdrawn. Ask the person who invited you if you should have one.",
        ),
        Some(i) if i.superseded_at.is_some() => gone(
            "invitation_replaced",
            "A newer invitation was sent to this address; use the link in that one.",
        ),
        Some(i) if i.expires_at <= now => gone(
            "invitation_expired",
            "This invitation has expired. Ask the person who invited you to send it again.",
        ),
        Some(_) => None,
    }
}

/// What the holder of an invitation link sees before accepting it: the address the account is
/// for, the name the inviter typed, the role and the place. The invitation mail told them as
/// much already; ids and who sent it stay out.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationCheck {
    pub email: String,
    /// The name the inviter typed, for the form to start from (the invitee may change it).
    pub name: Option<String>,
    pub role: Role,
    /// The municipality a mentor is invited to.
    pub municipality: Option<InvitedMunicipality>,
    /// The USHT a coordinator is invited to follow up for.
    pub usht: Option<InvitedUsht>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitedMunicipality {
    pub number: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitedUsht {
    pub name: String,
}

/// Reads an invitation link without spending it, so its screen can say at once whether it can
/// be accepted (with the same refusals as accepting) and fill in what the inviter typed.
pub async fn check_invitation(state: &AppState, token: &str) -> AppResult<InvitationCheck> {
    let mut conn = state.pool.get().await?;
    let found = orgs::find_invitation_by_token(&mut conn, &hash_token(token)).await?;
    if let Some(refusal) = invitation_refusal(found.as_ref(), state.clock.now()) {
        return Err(refusal);
    }
    let invitation = found.ok_or(AppError::NotFound)?;
    let municipality = match invitation.municipality_id {
        Some(id) => orgs::find_municipality(&mut conn, &orgs::scope::Scope::All, id)
            .await?
            .map(|m| InvitedMunicipality {
                number: m.number,
                name: m.name,
            }),
        None => None,
    };
    let usht = match invitation.usht_id {
        Some(id) => orgs::find_usht(&mut conn, &orgs::scope::Scope::All, id)
            .await?
            .map(|u| InvitedUsht { name: u.name }),
        None => None,
    };
    Ok(InvitationCheck {
        email: invitation.email,
        name: invitation.name,
        role: invitation.role,
        municipality,
        usht,
        expires_at: invitation.expires_at,
    })
}

/// Accepts an invitation: creates the account in the invitation's place and signs it in.
pub async fn accept_invitation(
    state: &AppState,
    token: &str,
    name: &str,
    password: &SecretString,
) -> AppResult<TokenPair> {
    let hash = hash_token(token);
    let name = name.trim().to_owned();
    let mut conn = state.pool.get().await?;
    // A dead link is said first; then the password is checked, before the link is spent.
    let found = orgs::find_invitation_by_token(&mut conn, &hash).await?;
    if let Some(refusal) = invitation_refusal(found.as_ref(), state.clock.now()) {
        return Err(refusal);
    }
    let email = found.map(|i| i.email).unwrap_or_default();
    password::check_policy("password", password.expose_secret(), &[&email, &name])?;
    let password_hash = state.passwords.hash(password).await?;
    let (pair, user_id, role) = conn
        .transaction::<(TokenPair, Uuid, Role), AppError, _>(|conn| {
            async move {
                let now = state.clock.now();
                let invitation = lock_live_invitation(conn, &hash, now).await?;
                let user =
                    account_from_invitation(conn, &invitation, &name, Some(&password_hash), now)
                        .await?;
                let pair = start_session(conn, state, &user).await?;
                Ok((pair, user.id, user.role))
            }
            .scope_boxed()
        })
        .await?;
    tracing::info!(target: "security", event = "invitation_accepted", %user_id, role = role.as_str(), "account created from invitation");
    Ok(pair)
}

/// The invitation of a link's hash, locked for the rest of the transaction, or why it cannot be
/// accepted now.
pub(crate) async fn lock_live_invitation(
    conn: &mut diesel_async::AsyncPgConnection,
    hash: &[u8],
    now: DateTime<Utc>,
) -> AppResult<Invitation> {
    let locked = orgs::lock_invitation_by_token(conn, hash).await?;
    if let Some(refusal) = invitation_refusal(locked.as_ref(), now) {
        return Err(refusal);
    }
    locked.ok_or_else(|| AppError::internal("invitation went"))
}

/// Makes the account an invitation is for, in its place and role, and spends the invitation.
/// `password_hash` is `None` for one made through a sign-in provider.
pub(crate) async fn account_from_invitation(
    conn: &mut diesel_async::AsyncPgConnection,
    invitation: &Invitation,
    name: &str,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<store::User> {
    let user = store::insert_user(
        conn,
        NewUser {
            email: &invitation.email,
            name,
            role: invitation.role,
            password_hash,
            // The link came by mail: the address is proven.
            email_verified_at: Some(now),
            municipality_id: invitation.municipality_id,
            usht_id: invitation.usht_id,
            self_enrolled: false,
            language: invitation.language,
        },
    )
    .await
    .map_err(already_a_user)?;
    orgs::mark_invitation_accepted(conn, invitation.id, user.id, now).await?;
    // The invitation wins over any sign-up of the address still waiting.
    store::drop_pending_signups(conn, &invitation.email.to_lowercase()).await?;
    store::touch_last_active(conn, user.id, now).await?;
    Ok(user)
}

/// A sign-up request: a mentor enrolling themselves into an enrolled municipality.
pub struct SignUp<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a SecretString,
    pub municipality_number: &'a str,
    /// The form the request asked in: the account starts in it.
    pub language: Language,
}

/// A sign-up whose fields passed every check that does not depend on the address.
pub struct CheckedSignUp {
    email: String,
    name: String,
    password: SecretString,
    municipality: Municipality,
    language: Language,
}

/// Checks a sign-up: the password policy and an enrolled municipality. Nothing here depends on
/// whether the address is known, so neither the answer nor its time tells.
pub async fn check_sign_up(state: &AppState, request: SignUp<'_>) -> AppResult<CheckedSignUp> {
    let email = normalize_email(request.email);
    let name = request.name.trim().to_owned();
    password::check_policy(
        "password",
        request.password.expose_secret(),
        &[&email, &name],
    )?;
    let mut conn = state.pool.get().await?;
    let municipality = orgs::enrolled_municipality(&mut conn, request.municipality_number)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "municipality_number",
                "is not a municipality enrolled in the programme",
            )
        })?;
    Ok(CheckedSignUp {
        email,
        name,
        password: request.password.clone(),
        municipality,
        language: request.language,
    })
}

/// Signs up into an enrolled municipality, after the answer (202) has gone: a new address gets a
/// verification link, one with an account or an open invitation a mail saying so. Each mail
/// counts towards the recipient's limit of requested mail; a limited one stores nothing.
pub async fn sign_up(state: &AppState, checked: CheckedSignUp) -> AppResult<()> {
    let CheckedSignUp {
        email,
        name,
        password,
        municipality,
        language,
    } = checked;
    let password_hash = state.passwords.hash(&password).await?;
    let (email, name, password_hash) = (&email, &name, &password_hash);
    let municipality = &municipality;
    let mut conn = state.pool.get().await?;
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            let now = state.clock.now();
            if let Some(existing) = store::find_user_by_email(conn, email).await? {
                let link = state.config.screen_url("/sign-in");
                // The account's form, not the sign-up's: it is the account's owner who reads.
                let letter = templates::already_registered(&existing.name, &link, existing.language);
                let mail = NewMail::now(&existing.email, Some(existing.id), letter);
                mail::outbox::enqueue_requested(conn, mail, state.clock.now()).await?;
                return Ok(());
            }
            if let Some(invited_in) = orgs::live_invitation_language(conn, email, now).await? {
                // An invitation wins: whoever holds the inbox makes the account from its link.
                // The mail is in the invitation's form, which the account will have.
                let link = state.config.screen_url("/");
                let mail = NewMail::now(email, None, templates::already_invited(&link, invited_in));
                mail::outbox::enqueue_requested(conn, mail, state.clock.now()).await?;
                return Ok(());
            }
            let token = new_opaque_token();
            let link = state.config.screen_link("/verify-email", SECRET_PLACEHOLDER);
            // The form the sign-up was asked in, which the account starts in.
            let letter = templates::email_verification(&link, language);
            let mail = NewMail::now(email, None, letter)
                .with_secret(&state.config.encryption, &token.plain);
            // Over the limit, a waiting sign-up is not replaced by one whose link never goes.
            if !mail::outbox::enqueue_requested(conn, mail, state.clock.now()).await? {
                return Ok(());
            }
            store::replace_signup(
                conn,
                NewSignup {
                    email,
                    name,
                    password_hash,
                    municipality_id: municipality.id,
                    token_hash: &token.hash,
                    expires_at: now + EMAIL_TOKEN_TTL,
                    language,
                },
            )
            .await?;
            tracing::info!(target: "security", event = "signed_up", municipality = %municipality.number, "mentor signed up; address not yet confirmed");
            Ok(())
        }
        .scope_boxed()
    })
    .await
}

/// Confirms a sign-up: whoever has the link from the mail and the password chosen at sign-up
/// gets the account. The password is checked only for a live link, which a wrong one does not
/// spend; an open invitation of the address or an account made meanwhile wins.
pub async fn confirm_signup(
    state: &AppState,
    token: &str,
    password: &SecretString,
) -> AppResult<()> {
    let hash = hash_token(token);
    let mut conn = state.pool.get().await?;
    let found = store::find_signup_by_token(&mut conn, &hash).await?;
    let signup = usable_signup(found, state.clock.now())?;
    drop(conn);
    let verified = state
        .passwords
        .verify(signup.password_hash.as_deref(), password)
        .await?;
    if !verified.valid {
        return Err(AppError::field(
            "password",
            "is not the password chosen at sign-up; sign up again to choose another",
        ));
    }
    let mut conn = state.pool.get().await?;
    let user_id = conn
        .transaction::<Uuid, AppError, _>(|conn| {
            async move {
                let locked = store::lock_signup_by_token(conn, &hash).await?;
                let now = state.clock.now();
                let signup = usable_signup(locked, now)?;
                let email = signup.email.to_lowercase();
                if orgs::has_live_invitation(conn, &email, now).await? {
                    return Err(AppError::rule(
                        StatusCode::CONFLICT,
                        "invitation_pending",
                        "This address has been invited; create the account from the invitation's link.",
                    ));
                }
                let user = store::insert_user(
                    conn,
                    NewUser {
                        email: &signup.email,
                        name: signup.name.as_deref().unwrap_or_default(),
                        role: Role::Mentor,
                        password_hash: signup.password_hash.as_deref(),
                        email_verified_at: Some(now),
                        municipality_id: Some(signup.municipality_id),
                        usht_id: None,
                        self_enrolled: true,
                        language: signup.language,
                    },
                )
                .await
                .map_err(already_a_user)?;
                store::confirm_signup(conn, signup.id).await?;
                Ok(user.id)
            }
            .scope_boxed()
        })
        .await?;
    tracing::info!(target: "security", event = "self_enrolled", %user_id, "sign-up confirmed; account created");
    Ok(())
}

/// The unique address index refused a new account: the address has one already.
pub(crate) fn already_a_user(error: AppError) -> AppError {
    match error {
        AppError::Conflict(_) => AppError::rule(
            StatusCode::CONFLICT,
            "already_a_user",
            "An account with this address already exists; sign in instead.",
        ),
        other => other,
    }
}

/// A sign-up whose link can be used at `now`, or why it cannot (as for every link from a mail).
fn usable_signup(found: Option<Signup>, now: DateTime<Utc>) -> AppResult<Signup> {
    match found {
        None => Err(link_refusal(LinkState::Unknown)),
        Some(s) if s.confirmed_at.is_some() => Err(link_refusal(LinkState::Used)),
        Some(s) if s.expires_at <= now => Err(link_refusal(LinkState::Expired)),
        Some(s) => Ok(s),
    }
}
