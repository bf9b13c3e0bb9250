//! Invitations into a municipality (mentors: a list or a CSV file) or a USHT (coordinators),
//! listing them with their status, and sending one again with a new link.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use chrono::{DateTime, Duration, Utc};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use super::municipalities::municipality_in;
use super::{page_of, scope_of, PageAsked};
use crate::auth::{new_opaque_token, AuthUser, Role};
use crate::error::{AppError, AppResult};
use crate::http::pagination::Page;
use crate::language::Language;
use crate::mail::{self, templates, NewMail, SECRET_PLACEHOLDER};
use crate::orgs::roster::{self, Invitee, SkipReason, Skipped};
use crate::orgs::scope::{self, Scope};
use crate::orgs::store::invitations::{self as store, Invitation, InvitationFilter, NewInvitation};
use crate::orgs::store::municipalities::{find_municipality, Municipality};
use crate::orgs::store::ushts::{find_usht, Usht};
use crate::orgs::InvitationStatus;
use crate::AppState;

/// How long an invitation link works.
pub const INVITATION_TTL: Duration = Duration::days(14);
/// Invitees of one JSON request: at the longest address and name, 100 fit in the 64 KiB body.
pub const MAX_JSON_INVITEES: usize = 100;

/// An invitation with its status at the time it was read.
#[derive(Debug, Clone)]
pub struct InvitationWithStatus {
    pub invitation: Invitation,
    pub status: InvitationStatus,
}

/// An invitation as the one who sent it sees it at `now`.
pub fn status_at(invitation: &Invitation, now: DateTime<Utc>) -> InvitationStatus {
    if invitation.accepted_at.is_some() {
        InvitationStatus::Accepted
    } else if invitation.expires_at <= now {
        InvitationStatus::Expired
    } else {
        InvitationStatus::Pending
    }
}

fn with_status(invitation: Invitation, now: DateTime<Utc>) -> InvitationWithStatus {
    InvitationWithStatus {
        status: status_at(&invitation, now),
        invitation,
    }
}

/// What an invitation run did: who was invited, who was left out and why.
#[derive(Debug, Default)]
pub struct InvitationOutcome {
    pub created: Vec<Invitation>,
    pub skipped: Vec<Skipped>,
}

/// Invites the mentors of a JSON list (1 to 100 entries) into a municipality in the caller's
/// scope.
pub async fn invite_mentors(
    state: &AppState,
    caller: &AuthUser,
    municipality_id: Uuid,
    invitees: Vec<Invitee>,
    language: Language,
) -> AppResult<InvitationOutcome> {
    if invitees.is_empty() || invitees.len() > MAX_JSON_INVITEES {
        return Err(AppError::field(
            "invitees",
            "must hold 1 to 100 entries; upload a CSV file for more",
        ));
    }
    invite_into(
        state,
        caller,
        municipality_id,
        invitees,
        Vec::new(),
        language,
    )
    .await
}

/// Invites the mentors of a CSV file into a municipality in the caller's scope. The file is
/// read only once the municipality is found: an unknown or foreign one is 404 whatever it holds.
pub async fn invite_mentors_from_csv(
    state: &AppState,
    caller: &AuthUser,
    municipality_id: Uuid,
    file: impl Future<Output = AppResult<Bytes>>,
    language: Language,
) -> AppResult<InvitationOutcome> {
    {
        let mut conn = state.pool.get().await?;
        let scope = scope::resolve(&mut conn, caller).await?;
        municipality_in(&mut conn, &scope, municipality_id).await?;
    }
    let bytes = file.await?;
    let (invitees, skipped) =
        roster::parse_csv(&bytes).map_err(|problem| AppError::field("body", problem.0))?;
    invite_into(state, caller, municipality_id, invitees, skipped, language).await
}

/// Invites mentors into a municipality in the caller's scope. Entries that fail a check are
/// listed, the rest are invited.
async fn invite_into(
    state: &AppState,
    caller: &AuthUser,
    municipality_id: Uuid,
    invitees: Vec<Invitee>,
    mut skipped: Vec<Skipped>,
    language: Language,
) -> AppResult<InvitationOutcome> {
    let (invitees, mut invalid) = roster::check(invitees);
    skipped.append(&mut invalid);
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    let target = Target::Municipality(municipality_in(&mut conn, &scope, municipality_id).await?);
    let inviter = Inviter {
        scope: &scope,
        id: caller.id,
        language,
    };
    let mut outcome = invite(&mut conn, state, inviter, &target, invitees).await?;
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
    language: Language,
) -> AppResult<InvitationWithStatus> {
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
    let usht = find_usht(&mut conn, &scope, usht_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = Target::Usht(usht);
    let invitee = good
        .pop()
        .ok_or_else(|| AppError::field("email", "is required"))?;
    let inviter = Inviter {
        scope: &scope,
        id: caller.id,
        language,
    };
    let mut outcome = invite(&mut conn, state, inviter, &target, vec![invitee]).await?;
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
    let invitation = outcome
        .created
        .pop()
        .ok_or_else(|| AppError::internal("coordinator invitation not created"))?;
    Ok(with_status(invitation, state.clock.now()))
}

/// Where an invitation leads.
enum Target {
    Municipality(Municipality),
    Usht(Usht),
}

impl Target {
    /// The role and place (municipality, USHT) of an account made from the invitation.
    fn place(&self) -> (Role, Option<Uuid>, Option<Uuid>) {
        match self {
            Target::Municipality(m) => (Role::Mentor, Some(m.id), None),
            Target::Usht(u) => (Role::Coordinator, None, Some(u.id)),
        }
    }

    /// The USHT the invitation is into.
    fn usht_id(&self) -> Uuid {
        match self {
            Target::Municipality(m) => m.usht_id,
            Target::Usht(u) => u.id,
        }
    }
}

/// Who invites: their scope and id, and the written form the invitations are sent in.
#[derive(Clone, Copy)]
struct Inviter<'a> {
    scope: &'a Scope,
    id: Uuid,
    language: Language,
}

/// Addresses that are not invited again, by why.
struct Known {
    /// With an account in the inviter's scope.
    users: HashSet<String>,
    /// With an open, unexpired invitation of the inviter's USHT.
    invited: HashSet<String>,
}

impl Known {
    fn reason(&self, email: &str) -> Option<SkipReason> {
        if self.users.contains(email) {
            Some(SkipReason::AlreadyAUser)
        } else if self.invited.contains(email) {
            Some(SkipReason::AlreadyInvited)
        } else {
            None
        }
    }
}

/// Who among these (lower-cased) addresses the inviter may not invite again; closes expired
/// invitations of them on the way, so new ones can be made.
///
/// An address with an account in the inviter's scope is `already_a_user`, one with an open
/// invitation of the inviter's USHT `already_invited`. One with an account or an open invitation
/// elsewhere is invited like a new one, so a coordinator learns nothing of people beyond their
/// USHT; an owner with an account is told on accepting that it exists.
async fn known_addresses(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    emails: &[String],
    now: DateTime<Utc>,
) -> AppResult<Known> {
    let users = store::existing_accounts(conn, emails)
        .await?
        .into_iter()
        .filter(|a| scope.is_admin() || a.usht_id.is_some_and(|u| scope.covers(u)))
        .map(|a| a.email)
        .collect();
    // Only the inviter's USHT's invitations count, and only those are closed when expired:
    // another USHT may invite the same person, who accepts the one they choose (the other link
    // then says the account exists), and nothing of that other invitation changes here.
    let (expired, open): (Vec<_>, Vec<_>) = store::open_invitations_in(conn, scope, emails)
        .await?
        .into_iter()
        .partition(|i| i.expires_at <= now);
    let expired: Vec<Uuid> = expired.iter().map(|i| i.id).collect();
    store::supersede(conn, &expired, now).await?;
    let invited = open.into_iter().map(|i| i.email).collect();
    Ok(Known { users, invited })
}

/// Checks the (already normalised) invitees against the database, inserts the invitations and
/// their mails, all in one transaction (a database error leaves nothing).
async fn invite(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    inviter: Inviter<'_>,
    target: &Target,
    invitees: Vec<Invitee>,
) -> AppResult<InvitationOutcome> {
    let now = state.clock.now();
    conn.transaction::<InvitationOutcome, AppError, _>(|conn| {
        async move { invite_now(conn, state, inviter, target, invitees, now).await }.scope_boxed()
    })
    .await
}

/// The work of [`invite`], inside its transaction.
async fn invite_now(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    inviter: Inviter<'_>,
    target: &Target,
    invitees: Vec<Invitee>,
    now: DateTime<Utc>,
) -> AppResult<InvitationOutcome> {
    let emails: Vec<String> = invitees.iter().map(|i| i.email.clone()).collect();
    store::lock_invitations_of(conn, target.usht_id()).await?;
    let known = known_addresses(conn, inviter.scope, &emails, now).await?;
    let (role, municipality_id, usht_id) = target.place();

    let mut outcome = InvitationOutcome::default();
    let mut rows = Vec::new();
    let mut tokens = HashMap::new();
    let mut rows_by_email = HashMap::new();
    for invitee in invitees {
        if let Some(reason) = known.reason(&invitee.email) {
            outcome.skipped.push(Skipped {
                row: invitee.row,
                email: invitee.email,
                reason,
            });
            continue;
        }
        let token = new_opaque_token();
        tokens.insert(invitee.email.clone(), token.plain);
        rows_by_email.insert(invitee.email.clone(), invitee.row);
        rows.push(NewInvitation {
            email: invitee.email,
            name: invitee.name,
            role,
            municipality_id,
            usht_id,
            token_hash: token.hash,
            invited_by: Some(inviter.id),
            sent_at: now,
            expires_at: now + INVITATION_TTL,
            language: inviter.language,
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
    // In the form the invitation was sent in (resent in the same), which the account keeps.
    let language = invitation.language;
    let valid_until = templates::oslo_time(invitation.expires_at, language);
    let name = invitation.name.as_deref().unwrap_or("");
    match target {
        Target::Municipality(m) => {
            templates::mentor_invitation(name, &m.name, &link, &valid_until, language)
        }
        Target::Usht(u) => {
            templates::coordinator_invitation(name, &u.name, &link, &valid_until, language)
        }
    }
}

/// Sends an invitation again with a new link; the old link stops working. An expired
/// invitation becomes pending again; an accepted one cannot be resent.
pub async fn resend_invitation(
    state: &AppState,
    caller: &AuthUser,
    id: Uuid,
) -> AppResult<InvitationWithStatus> {
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    let now = state.clock.now();
    let renewed = conn
        .transaction::<Invitation, AppError, _>(|conn| {
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
                let target = target_of(conn, &invitation).await?;
                let token = new_opaque_token();
                let renewed =
                    store::renew_invitation(conn, id, &token.hash, now, now + INVITATION_TTL)
                        .await?;
                let letter = invitation_mail(state, &renewed, &target);
                let mail = NewMail::now(&renewed.email, None, letter)
                    .with_secret(&state.config.encryption, &token.plain);
                mail::enqueue(conn, mail).await?;
                Ok(renewed)
            }
            .scope_boxed()
        })
        .await?;
    Ok(with_status(renewed, now))
}

/// Withdraws an invitation that has not been accepted: its link stops working (and says it was
/// withdrawn), it leaves the list, and the address may be invited again.
pub async fn withdraw_invitation(state: &AppState, caller: &AuthUser, id: Uuid) -> AppResult<()> {
    let mut conn = state.pool.get().await?;
    let scope = scope::resolve(&mut conn, caller).await?;
    let now = state.clock.now();
    conn.transaction::<(), AppError, _>(|conn| {
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
            store::withdraw(conn, id, now).await
        }
        .scope_boxed()
    })
    .await?;
    tracing::info!(invitation = %id, by = %caller.id, "invitation withdrawn");
    Ok(())
}

/// The place an invitation leads to, as it is now.
async fn target_of(conn: &mut AsyncPgConnection, invitation: &Invitation) -> AppResult<Target> {
    Ok(match (invitation.municipality_id, invitation.usht_id) {
        (Some(m), _) => Target::Municipality(
            find_municipality(conn, &Scope::All, m)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        (None, Some(u)) => Target::Usht(
            find_usht(conn, &Scope::All, u)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        (None, None) => return Err(AppError::internal("invitation without a place")),
    })
}

/// A page of the invitations in the caller's scope, newest first. A municipality out of scope
/// is 404, and so is asking for a USHT's coordinator invitations unless an administrator asks.
pub async fn list_invitations(
    state: &AppState,
    caller: &AuthUser,
    filter: InvitationFilter,
    page: PageAsked<'_>,
) -> AppResult<Page<InvitationWithStatus>> {
    let (limit, after): (_, Option<(DateTime<Utc>, Uuid)>) = page.read()?;
    let scope = scope_of(state, caller).await?;
    let mut conn = state.pool.get().await?;
    if let Some(id) = filter.municipality_id {
        municipality_in(&mut conn, &scope, id).await?;
    }
    if filter.usht_id.is_some() && !scope.is_admin() {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now();
    let found = store::list_invitations(&mut conn, &scope, &filter, now, after, limit).await?;
    let page = page_of(found, limit, |i| (i.created_at, i.id));
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|i| with_status(i, now))
            .collect(),
        next_cursor: page.next_cursor,
    })
}

#[cfg(test)]
#[path = "invitations_tests.rs"]
mod tests;
