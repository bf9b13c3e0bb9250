//! Organisations and follow-up: USHTs, enrolment of municipalities, invitations (single, bulk,
//! CSV), accepting them, self-enrolment, progress views, reports and nudges.

use std::collections::{HashMap, HashSet};

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::roster::{self, Invitee, SkipReason, Skipped};
use super::scope::{self, Scope};
use super::store::{self, Invitation, Municipality, NewInvitation, ProgressFilter, ProgressRow};
use crate::auth::service::TokenPair;
use crate::auth::store::{self as users, NewUser};
use crate::auth::tokens::{hash_token, new_opaque_token};
use crate::auth::{AuthUser, Role};
use crate::error::{AppError, AppResult};
use crate::mail::{self, templates, NewMail, SECRET_PLACEHOLDER};
use crate::privacy::service::{record_access, Access};
use crate::AppState;

/// How long an invitation link works.
pub const INVITATION_TTL: Duration = Duration::days(14);
/// A mentor gets at most one nudge within this period.
pub const NUDGE_INTERVAL: Duration = Duration::days(7);

/// The scope of a staff caller, on a fresh connection.
pub async fn scope_of(state: &AppState, caller: &AuthUser) -> AppResult<Scope> {
    let mut conn = state.pool.get().await?;
    scope::resolve(&mut conn, caller).await
}

// ---- USHTs and municipalities ---------------------------------------------------------------

pub async fn create_usht(state: &AppState, name: &str, county: &str) -> AppResult<store::Usht> {
    let mut conn = state.pool.get().await?;
    store::insert_usht(&mut conn, name.trim(), county.trim()).await
}

/// Enrolls a municipality into a USHT. A coordinator enrolls into their own USHT only: another
/// USHT's id is answered as if it did not exist.
pub async fn enroll_municipality(
    state: &AppState,
    caller: &AuthUser,
    number: &str,
    name: &str,
    usht_id: Option<Uuid>,
) -> AppResult<Municipality> {
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    let usht_id = match (usht_id, scope) {
        (Some(id), _) => id,
        (None, Scope::Usht(own)) => own,
        (None, Scope::All) => return Err(AppError::field("usht_id", "is required")),
    };
    if store::find_usht(&mut conn, &scope, usht_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    let enrolled = store::insert_municipality(&mut conn, number, name.trim(), usht_id, caller.id)
        .await?
        .ok_or_else(|| {
            AppError::rule(
                StatusCode::CONFLICT,
                "municipality_exists",
                "A municipality with this number is already enrolled.",
            )
        })?;
    tracing::info!(municipality = %enrolled.number, usht_id = %usht_id, by = %caller.id, "municipality enrolled");
    Ok(enrolled)
}

/// How many mentors of a municipality are at each stage, and how many invitations are open.
#[derive(Debug, Default, Clone)]
pub struct MentorCounts {
    pub by_stage: HashMap<super::Stage, i64>,
    pub pending_invitations: i64,
    pub pending_signups: i64,
}

/// The municipality, if it is in the caller's scope; otherwise 404.
pub async fn require_municipality(
    state: &AppState,
    caller: &AuthUser,
    id: Uuid,
) -> AppResult<Municipality> {
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    store::find_municipality(&mut conn, &scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn list_municipalities(
    state: &AppState,
    scope: &Scope,
    usht_id: Option<Uuid>,
    after: Option<&str>,
    limit: i64,
) -> AppResult<Vec<(Municipality, MentorCounts)>> {
    let mut conn = state.pool.get().await?;
    let found = store::list_municipalities(&mut conn, scope, usht_id, after, limit).await?;
    with_counts(&mut conn, found).await
}

pub async fn get_municipality(
    state: &AppState,
    scope: &Scope,
    id: Uuid,
) -> AppResult<(Municipality, MentorCounts)> {
    let mut conn = state.pool.get().await?;
    let found = store::find_municipality(&mut conn, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    with_counts(&mut conn, vec![found])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

async fn with_counts(
    conn: &mut AsyncPgConnection,
    found: Vec<Municipality>,
) -> AppResult<Vec<(Municipality, MentorCounts)>> {
    let ids: Vec<Uuid> = found.iter().map(|m| m.id).collect();
    let mut counts: HashMap<Uuid, MentorCounts> = HashMap::new();
    for (id, stage, n) in store::stage_counts(conn, &ids).await? {
        counts.entry(id).or_default().by_stage.insert(stage, n);
    }
    for (id, n) in store::pending_invitation_counts(conn, &ids, Utc::now()).await? {
        if let Some(id) = id {
            counts.entry(id).or_default().pending_invitations = n;
        }
    }
    for (id, n) in store::pending_signup_counts(conn, &ids).await? {
        counts.entry(id).or_default().pending_signups = n;
    }
    Ok(found
        .into_iter()
        .map(|m| {
            let c = counts.remove(&m.id).unwrap_or_default();
            (m, c)
        })
        .collect())
}

// ---- invitations ----------------------------------------------------------------------------

/// What an invitation run did: who was invited, who was left out and why.
#[derive(Debug, Default)]
pub struct InvitationOutcome {
    pub created: Vec<Invitation>,
    pub skipped: Vec<Skipped>,
}

/// Invites mentors into a municipality in the caller's scope. Entries that fail a check are
/// listed, the rest are invited, all in one transaction (a database error leaves nothing).
pub async fn invite_mentors(
    state: &AppState,
    caller: &AuthUser,
    municipality_id: Uuid,
    invitees: Vec<Invitee>,
    mut skipped: Vec<Skipped>,
) -> AppResult<InvitationOutcome> {
    let (invitees, mut invalid) = roster::check(invitees);
    skipped.append(&mut invalid);
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    let municipality = store::find_municipality(&mut conn, &scope, municipality_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = Target::Municipality(municipality);
    let mut outcome = conn
        .transaction::<InvitationOutcome, AppError, _>(|conn| {
            async move { invite(conn, state, (&scope, caller.id), &target, invitees).await }
                .scope_boxed()
        })
        .await?;
    outcome.skipped.append(&mut skipped);
    outcome.skipped.sort_by_key(|s| s.row);
    tracing::info!(%municipality_id, by = %caller.id, created = outcome.created.len(), skipped = outcome.skipped.len(), "mentors invited");
    Ok(outcome)
}

/// Invites a coordinator to a USHT (administrators).
pub async fn invite_coordinator(
    state: &AppState,
    caller: &AuthUser,
    usht_id: Uuid,
    email: &str,
    name: &str,
) -> AppResult<Invitation> {
    let (mut good, skipped) = roster::check(vec![Invitee {
        row: 1,
        email: email.to_owned(),
        name: Some(name.to_owned()),
    }]);
    if let Some(skip) = skipped.first() {
        return Err(AppError::field("email", skip.reason.message()));
    }
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    let usht = store::find_usht(&mut conn, &scope, usht_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = Target::Usht(usht);
    let invitee = good
        .pop()
        .ok_or_else(|| AppError::field("email", "is required"))?;
    let mut outcome = conn
        .transaction::<InvitationOutcome, AppError, _>(|conn| {
            async move { invite(conn, state, (&scope, caller.id), &target, vec![invitee]).await }
                .scope_boxed()
        })
        .await?;
    if let Some(skip) = outcome.skipped.first() {
        let code = match skip.reason {
            SkipReason::AlreadyAUser => "already_a_user",
            _ => "already_invited",
        };
        return Err(AppError::rule(
            StatusCode::CONFLICT,
            code,
            format!("This address {}.", skip.reason.message()),
        ));
    }
    outcome
        .created
        .pop()
        .ok_or_else(|| AppError::internal("coordinator invitation not created"))
}

/// Where an invitation leads.
enum Target {
    Municipality(Municipality),
    Usht(store::Usht),
}

/// Checks the (already normalised) invitees against the database, inserts the invitations and
/// their mails. Runs inside the caller's transaction.
///
/// An address with an account in the caller's scope is skipped as `already_a_user`, one with an
/// open invitation of the caller's USHT as `already_invited`. One with an account or an open
/// invitation elsewhere is invited like a new one, so a coordinator learns nothing of people
/// beyond their USHT; an owner with an account is told on accepting that it exists.
async fn invite(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    caller: (&Scope, Uuid),
    target: &Target,
    invitees: Vec<Invitee>,
) -> AppResult<InvitationOutcome> {
    let (scope, invited_by) = caller;
    let now = Utc::now();
    let emails: Vec<String> = invitees.iter().map(|i| i.email.clone()).collect();
    let users: HashSet<String> = store::existing_user_emails(conn, &emails)
        .await?
        .into_iter()
        .filter(|(_, usht)| scope.is_admin() || usht.is_some_and(|u| scope.covers(u)))
        .map(|(email, _)| email)
        .collect();
    let open = store::open_invitations_for(conn, &emails).await?;
    let expired: Vec<Uuid> = open
        .iter()
        .filter(|i| i.expires_at <= now)
        .map(|i| i.id)
        .collect();
    store::supersede(conn, &expired).await?;
    // Only the caller's USHT's invitations are named: another USHT may invite the same person,
    // who accepts the one they choose (the other link then says the account exists).
    let pending: HashSet<String> = store::open_invitations_in(conn, scope, &emails)
        .await?
        .into_iter()
        .filter(|(id, _)| !expired.contains(id))
        .map(|(_, email)| email)
        .collect();

    let mut outcome = InvitationOutcome::default();
    let mut rows = Vec::new();
    let mut tokens = HashMap::new();
    let mut rows_by_email = HashMap::new();
    for invitee in invitees {
        let reason = if users.contains(&invitee.email) {
            Some(SkipReason::AlreadyAUser)
        } else if pending.contains(&invitee.email) {
            Some(SkipReason::AlreadyInvited)
        } else {
            None
        };
        if let Some(reason) = reason {
            outcome.skipped.push(Skipped {
                row: invitee.row,
                email: invitee.email,
                reason,
            });
            continue;
        }
        let token = new_opaque_token();
        let (role, municipality_id, usht_id) = match target {
            Target::Municipality(m) => (Role::Mentor, Some(m.id), None),
            Target::Usht(u) => (Role::Coordinator, None, Some(u.id)),
        };
        tokens.insert(invitee.email.clone(), token.plain);
        rows_by_email.insert(invitee.email.clone(), invitee.row);
        rows.push(NewInvitation {
            email: invitee.email,
            name: invitee.name,
            role,
            municipality_id,
            usht_id,
            token_hash: token.hash,
            invited_by: Some(invited_by),
            expires_at: now + INVITATION_TTL,
        });
    }
    let created = store::insert_invitations(conn, &rows).await?;
    // A concurrent request may have invited some of the same addresses first.
    let inserted: HashSet<&str> = created.iter().map(|i| i.email.as_str()).collect();
    for row in &rows {
        if !inserted.contains(row.email.as_str()) {
            outcome.skipped.push(Skipped {
                row: rows_by_email.get(&row.email).copied().unwrap_or(0),
                email: row.email.clone(),
                reason: SkipReason::AlreadyInvited,
            });
        }
    }
    let mut mails = Vec::with_capacity(created.len());
    for invitation in &created {
        let token = tokens
            .get(&invitation.email)
            .ok_or_else(|| AppError::internal("invitation token missing"))?;
        let letter = invitation_mail(state, invitation, target);
        mails.push(
            NewMail::now(&invitation.email, None, letter)
                .with_secret(&state.config.encryption, token),
        );
    }
    mail::outbox::enqueue_many(conn, mails).await?;
    outcome.created = created;
    Ok(outcome)
}

fn invitation_mail(
    state: &AppState,
    invitation: &Invitation,
    target: &Target,
) -> templates::RenderedMail {
    // The token is sealed with the mail and put in at send time (see `mail::outbox`).
    let link = state.config.screen_link("/invitation", SECRET_PLACEHOLDER);
    let valid_until = templates::oslo_time(invitation.expires_at);
    let name = invitation.name.as_deref().unwrap_or("");
    match target {
        Target::Municipality(m) => templates::mentor_invitation(name, &m.name, &link, &valid_until),
        Target::Usht(u) => templates::coordinator_invitation(name, &u.name, &link, &valid_until),
    }
}

/// Sends an invitation again with a new link; the old link stops working. An expired
/// invitation becomes pending again; an accepted one cannot be resent.
pub async fn resend_invitation(
    state: &AppState,
    caller: &AuthUser,
    id: Uuid,
) -> AppResult<Invitation> {
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    conn.transaction::<Invitation, AppError, _>(|conn| {
        async move {
            let invitation = store::lock_invitation(conn, &scope, id)
                .await?
                .filter(|i| i.superseded_at.is_none())
                .ok_or(AppError::NotFound)?;
            if invitation.accepted_at.is_some() {
                return Err(AppError::rule(
                    StatusCode::CONFLICT,
                    "invitation_accepted",
                    "This invitation has already been accepted.",
                ));
            }
            let target = match (invitation.municipality_id, invitation.usht_id) {
                (Some(m), _) => Target::Municipality(
                    store::find_municipality(conn, &Scope::All, m)
                        .await?
                        .ok_or(AppError::NotFound)?,
                ),
                (None, Some(u)) => Target::Usht(
                    store::find_usht(conn, &Scope::All, u)
                        .await?
                        .ok_or(AppError::NotFound)?,
                ),
                (None, None) => return Err(AppError::internal("invitation without a place")),
            };
            let token = new_opaque_token();
            let renewed =
                store::renew_invitation(conn, id, &token.hash, Utc::now() + INVITATION_TTL).await?;
            let mail = NewMail::now(
                &renewed.email,
                None,
                invitation_mail(state, &renewed, &target),
            )
            .with_secret(&state.config.encryption, &token.plain);
            mail::enqueue(conn, mail).await?;
            Ok(renewed)
        }
        .scope_boxed()
    })
    .await
}

pub async fn list_invitations(
    state: &AppState,
    scope: &Scope,
    filter: &store::InvitationFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> AppResult<Vec<Invitation>> {
    let mut conn = state.pool.get().await?;
    store::list_invitations(&mut conn, scope, filter, Utc::now(), after, limit).await
}

/// Why an invitation link cannot be accepted: 404 `invitation_not_found` (never issued, or
/// replaced by a newer link), 410 `invitation_used`, `invitation_replaced` or
/// `invitation_expired`.
fn invitation_refusal(invitation: Option<&Invitation>, now: DateTime<Utc>) -> Option<AppError> {
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
    let found = store::find_invitation_by_token(&mut conn, &hash).await?;
    if let Some(refusal) = invitation_refusal(found.as_ref(), Utc::now()) {
        return Err(refusal);
    }
    let email = found.map(|i| i.email).unwrap_or_default();
    crate::auth::password::check_policy("password", password.expose_secret(), &[&email, &name])?;
    let password_hash = state.passwords.hash(password).await?;
    let (pair, user_id, role) = conn
        .transaction::<(TokenPair, Uuid, Role), AppError, _>(|conn| {
            async move {
                let locked = store::lock_invitation_by_token(conn, &hash).await?;
                if let Some(refusal) = invitation_refusal(locked.as_ref(), Utc::now()) {
                    return Err(refusal);
                }
                let invitation = locked.ok_or_else(|| AppError::internal("invitation went"))?;
                let role = invitation.role;
                let user = users::insert_user(
                    conn,
                    NewUser {
                        email: &invitation.email,
                        name: &name,
                        role,
                        password_hash: Some(&password_hash),
                        // The link came by mail: the address is proven.
                        email_verified_at: Some(Utc::now()),
                        municipality_id: invitation.municipality_id,
                        usht_id: invitation.usht_id,
                        self_enrolled: false,
                    },
                )
                .await
                .map_err(already_a_user)?;
                store::mark_accepted(conn, invitation.id, user.id).await?;
                // The invitation wins over any sign-up of the address still waiting.
                users::drop_pending_signups(conn, &invitation.email.to_lowercase()).await?;
                users::touch_last_active(conn, user.id).await?;
                let pair = crate::auth::service::start_session(conn, state, &user).await?;
                Ok((pair, user.id, role))
            }
            .scope_boxed()
        })
        .await?;
    tracing::info!(target: "security", event = "invitation_accepted", %user_id, role = role.as_str(), "account created from invitation");
    Ok(pair)
}

/// A self-enrollment request.
pub struct Registration<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a SecretString,
    pub municipality_number: &'a str,
}

/// A self-enrollment whose fields passed every check that does not depend on the address.
pub struct CheckedRegistration {
    email: String,
    name: String,
    password: SecretString,
    municipality: Municipality,
}

/// Checks a self-enrollment: the password policy and an enrolled municipality. Nothing here
/// depends on whether the address is known, so neither the answer nor its time tells.
pub async fn check_registration(
    state: &AppState,
    request: Registration<'_>,
) -> AppResult<CheckedRegistration> {
    let email = crate::auth::service::normalize_email(request.email);
    let name = request.name.trim().to_owned();
    crate::auth::password::check_policy(
        "password",
        request.password.expose_secret(),
        &[&email, &name],
    )?;
    let mut conn = state.pool.get().await?;
    let municipality = store::find_municipality_by_number(&mut conn, request.municipality_number)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "municipality_number",
                "is not a municipality enrolled in the programme",
            )
        })?;
    Ok(CheckedRegistration {
        email,
        name,
        password: request.password.clone(),
        municipality,
    })
}

/// Self-enrollment into an enrolled municipality, after the answer (202) has gone: a new address
/// gets a verification link, one with an account or an open invitation a mail saying so. Each
/// mail counts towards the recipient's limit of requested mail; a limited one stores nothing.
pub async fn register(state: &AppState, checked: CheckedRegistration) -> AppResult<()> {
    let CheckedRegistration {
        email,
        name,
        password,
        municipality,
    } = checked;
    let password_hash = state.passwords.hash(&password).await?;
    let (email, name, password_hash) = (&email, &name, &password_hash);
    let municipality = &municipality;
    let mut conn = state.pool.get().await?;
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            if let Some(existing) = users::find_user_by_email(conn, email).await? {
                let link = state.config.screen_url("/login");
                let letter = templates::already_registered(&existing.name, &link);
                let mail = NewMail::now(&existing.email, Some(existing.id), letter);
                mail::outbox::enqueue_requested(conn, mail, state.clock.now()).await?;
                return Ok(());
            }
            if store::has_live_invitation(conn, email).await? {
                // An invitation wins: whoever holds the inbox makes the account from its link.
                let link = state.config.screen_url("/");
                let mail = NewMail::now(email, None, templates::already_invited(&link));
                mail::outbox::enqueue_requested(conn, mail, state.clock.now()).await?;
                return Ok(());
            }
            let token = new_opaque_token();
            let link = state.config.screen_link("/verify-email", SECRET_PLACEHOLDER);
            let letter = templates::email_verification(&link);
            let mail = NewMail::now(email, None, letter)
                .with_secret(&state.config.encryption, &token.plain);
            // Over the limit, a waiting sign-up is not replaced by one whose link never goes.
            if !mail::outbox::enqueue_requested(conn, mail, state.clock.now()).await? {
                return Ok(());
            }
            users::replace_signup(
                conn,
                users::NewSignup {
                    email,
                    name,
                    password_hash,
                    municipality_id: municipality.id,
                    token_hash: &token.hash,
                    expires_at: Utc::now() + crate::auth::service::EMAIL_TOKEN_TTL,
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

/// Confirms a self-sign-up: whoever has the link from the mail and the password chosen at
/// sign-up gets the account. The password is checked only for a live link, which a wrong one
/// does not spend; an open invitation of the address or an account made meanwhile wins.
pub async fn confirm_signup(
    state: &AppState,
    token: &str,
    password: &SecretString,
) -> AppResult<()> {
    let hash = hash_token(token);
    let mut conn = state.pool.get().await?;
    let found = users::find_signup_by_token(&mut conn, &hash).await?;
    let signup = usable_signup(found, Utc::now())?;
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
                let locked = users::lock_signup_by_token(conn, &hash).await?;
                let signup = usable_signup(locked, Utc::now())?;
                let email = signup.email.to_lowercase();
                if store::has_live_invitation(conn, &email).await? {
                    return Err(AppError::rule(
                        StatusCode::CONFLICT,
                        "invitation_pending",
                        "This address has been invited; create the account from the invitation's link.",
                    ));
                }
                let user = users::insert_user(
                    conn,
                    NewUser {
                        email: &signup.email,
                        name: signup.name.as_deref().unwrap_or_default(),
                        role: Role::Mentor,
                        password_hash: signup.password_hash.as_deref(),
                        email_verified_at: Some(Utc::now()),
                        municipality_id: Some(signup.municipality_id),
                        usht_id: None,
                        self_enrolled: true,
                    },
                )
                .await
                .map_err(already_a_user)?;
                users::confirm_signup(conn, signup.id).await?;
                Ok(user.id)
            }
            .scope_boxed()
        })
        .await?;
    tracing::info!(target: "security", event = "self_enrolled", %user_id, "sign-up confirmed; account created");
    Ok(())
}

/// The unique address index refused a new account: the address has one already.
fn already_a_user(error: AppError) -> AppError {
    match error {
        AppError::Conflict(_) => AppError::rule(
            StatusCode::CONFLICT,
            "already_a_user",
            "An account with this address already exists; sign in instead.",
        ),
        other => other,
    }
}

/// A sign-up whose link can be used, or why it cannot (as for every link from a mail).
fn usable_signup(found: Option<users::Signup>, now: DateTime<Utc>) -> AppResult<users::Signup> {
    use crate::auth::service::link_refusal;
    use crate::auth::store::LinkState;
    match found {
        None => Err(link_refusal(LinkState::Unknown)),
        Some(s) if s.confirmed_at.is_some() => Err(link_refusal(LinkState::Used)),
        Some(s) if s.expires_at <= now => Err(link_refusal(LinkState::Expired)),
        Some(s) => Ok(s),
    }
}

// ---- progress, reports, nudges --------------------------------------------------------------

/// A page of mentors' progress in scope; every mentor shown is recorded in their access log.
pub async fn progress_page(
    state: &AppState,
    caller: &AuthUser,
    scope: &Scope,
    filter: &ProgressFilter,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> AppResult<Vec<ProgressRow>> {
    let mut conn = state.pool.get().await?;
    let rows = store::progress_page(&mut conn, scope, filter, after, limit).await?;
    let seen: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    record_access(&mut conn, caller, Access::ViewProgress, &seen, None).await?;
    Ok(rows)
}

/// Every mentor in scope for the CSV report, in one query; each is recorded in their access log.
pub async fn progress_report(
    state: &AppState,
    caller: &AuthUser,
    scope: &Scope,
    filter: &ProgressFilter,
) -> AppResult<Vec<ProgressRow>> {
    let mut conn = state.pool.get().await?;
    let rows = store::progress_report(&mut conn, scope, filter).await?;
    let seen: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    record_access(&mut conn, caller, Access::ExportProgress, &seen, None).await?;
    Ok(rows)
}

/// The outcome of a nudge request.
#[derive(Debug, Clone, Copy)]
pub struct NudgeOutcome {
    pub nudged: usize,
    pub skipped_recently_nudged: i64,
}

/// Mails every mentor of the municipality who has been inactive for `inactive_days`, except
/// those nudged within the last week. Requests for the same municipality take turns, so a
/// repeated request nudges nobody twice.
pub async fn nudge(
    state: &AppState,
    caller: &AuthUser,
    municipality_id: Uuid,
    inactive_days: i32,
) -> AppResult<NudgeOutcome> {
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    store::find_municipality(&mut conn, &scope, municipality_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let link = state.config.screen_url("/path");
    let outcome = conn
        .transaction::<NudgeOutcome, AppError, _>(|conn| {
            async move {
                store::lock_municipality(conn, municipality_id).await?;
                let now = Utc::now();
                let (targets, recently) = store::nudge_candidates(
                    conn,
                    municipality_id,
                    now - Duration::days(i64::from(inactive_days)),
                    now - NUDGE_INTERVAL,
                )
                .await?;
                let ids: Vec<Uuid> = targets.iter().map(|t| t.user_id).collect();
                store::record_nudges(conn, caller.id, &ids).await?;
                let letters: Vec<_> = targets
                    .iter()
                    .map(|t| templates::nudge(&t.name, inactive_days, &link))
                    .collect();
                let mails = targets
                    .iter()
                    .zip(letters)
                    .map(|(t, letter)| NewMail::now(&t.email, Some(t.user_id), letter))
                    .collect();
                mail::outbox::enqueue_many(conn, mails).await?;
                Ok(NudgeOutcome {
                    nudged: targets.len(),
                    skipped_recently_nudged: recently,
                })
            }
            .scope_boxed()
        })
        .await?;
    tracing::info!(%municipality_id, by = %caller.id, nudged = outcome.nudged, "mentors nudged");
    Ok(outcome)
}

// ---- roles ----------------------------------------------------------------------------------

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
        store::find_usht(&mut conn, &Scope::All, id)
            .await?
            .ok_or_else(|| AppError::field("usht_id", "is not a USHT"))?;
    }
    if let Some(id) = municipality_id {
        store::find_municipality(&mut conn, &Scope::All, id)
            .await?
            .ok_or_else(|| AppError::field("municipality_id", "is not an enrolled municipality"))?;
    }
    conn.transaction::<(), AppError, _>(|conn| {
        async move {
            if !store::set_role(conn, user_id, role, municipality_id, usht_id).await? {
                return Err(AppError::NotFound);
            }
            users::revoke_all_refresh_tokens(conn, user_id).await?;
            users::end_access_tokens(conn, user_id).await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await?;
    state.forget_user(&user_id);
    tracing::info!(target: "security", event = "role_changed", %user_id, role = role.as_str(), by = %caller.id, "role changed");
    Ok(())
}
