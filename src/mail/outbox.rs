//! The outbox: a mail is a row written in the same transaction as the change that causes it.
//! The worker sends it later; nothing is sent from a request handler.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::RenderedMail;
use crate::db::schema::mail_outbox;
use crate::encryption::{row_aad, Keyring};
use crate::error::AppError;

/// A file sent with a mail (calendar invitations).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: String,
}

/// Stands in a stored body where the mail's one-time token goes; the token itself is sealed
/// beside the body and put in only when the mail is sent (so neither a backup nor SQL access
/// nor an export holds a live link). URL- and HTML-safe, so it survives building the link.
pub const SECRET_PLACEHOLDER: &str = "__sealed_token__";

pub struct NewMail<'a> {
    pub id: Uuid,
    pub recipient: &'a str,
    pub user_id: Option<Uuid>,
    pub mail: RenderedMail,
    pub attachments: Vec<Attachment>,
    /// Send no earlier than this (reminders); `None` is now.
    pub send_after: Option<DateTime<Utc>>,
    /// When it was asked for, in the service's time where a rule counts it (the requested mails'
    /// hourly budget); `None` is the system's time.
    pub created_at: Option<DateTime<Utc>>,
    /// A mail with a key already in the outbox is not enqueued again.
    pub dedupe_key: Option<String>,
    /// The sealed one-time token that replaces [`SECRET_PLACEHOLDER`] at send time.
    pub secret: Option<crate::encryption::Sealed>,
}

impl<'a> NewMail<'a> {
    pub fn now(recipient: &'a str, user_id: Option<Uuid>, mail: RenderedMail) -> Self {
        Self {
            id: Uuid::new_v4(),
            recipient,
            user_id,
            mail,
            attachments: Vec::new(),
            send_after: None,
            created_at: None,
            dedupe_key: None,
            secret: None,
        }
    }

    /// Seals the token that the mail's body names by [`SECRET_PLACEHOLDER`].
    pub fn with_secret(mut self, keys: &Keyring, token: &str) -> Self {
        self.secret = Some(keys.seal(token, &secret_aad(self.id)));
        self
    }
}

/// Ties a sealed token to its mail: it opens for no other row.
fn secret_aad(id: Uuid) -> Vec<u8> {
    row_aad("mail_outbox", &[id.as_bytes()])
}

/// Adds a mail to the outbox; returns false when its dedupe key was already there.
pub async fn enqueue(conn: &mut AsyncPgConnection, new: NewMail<'_>) -> Result<bool, AppError> {
    Ok(enqueue_many(conn, vec![new]).await? == 1)
}

/// Mails that anyone can have sent to an address just by asking (a password reset, the answers
/// to a sign-up). One recipient gets at most [`REQUESTED_PER_HOUR`] of them an hour, whoever asks.
pub const REQUESTED_TEMPLATES: &[&str] = &[
    "password_reset",
    "email_verification",
    "already_registered",
    "already_invited",
    "sign_in_link",
];
pub const REQUESTED_PER_HOUR: i64 = 3;

/// Enqueues a mail someone asked for, unless its recipient has had [`REQUESTED_PER_HOUR`] such
/// mails in the last hour; returns whether it was enqueued. Runs in the caller's transaction,
/// which holds a lock on the recipient until it ends, so concurrent requests cannot pass the
/// limit together.
pub async fn enqueue_requested(
    conn: &mut AsyncPgConnection,
    new: NewMail<'_>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    use diesel::dsl::sql;
    use diesel::sql_types::Text;
    let recipient = new.recipient.to_lowercase();
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7470748))")
        .bind::<Text, _>(&recipient)
        .execute(conn)
        .await?;
    let recent: i64 = mail_outbox::table
        .filter(sql::<Text>("lower(recipient)").eq(&recipient))
        .filter(mail_outbox::template.eq_any(REQUESTED_TEMPLATES))
        .filter(mail_outbox::created_at.gt(now - chrono::Duration::hours(1)))
        .count()
        .get_result(conn)
        .await?;
    if recent >= REQUESTED_PER_HOUR {
        tracing::warn!(target: "security", event = "requested_mail_limited", template = new.mail.template, recent, "mail not sent: the recipient had enough of these this hour");
        return Ok(false);
    }
    let new = NewMail {
        created_at: Some(now),
        ..new
    };
    enqueue(conn, new).await
}

/// Adds many mails in a few multi-row statements (bulk invitations); returns how many were
/// enqueued (a dedupe key already present skips its mail).
pub async fn enqueue_many(
    conn: &mut AsyncPgConnection,
    mails: Vec<NewMail<'_>>,
) -> Result<usize, AppError> {
    // PostgreSQL takes at most 65,535 parameters a statement; a row here binds thirteen.
    const ROWS_PER_STATEMENT: usize = 4_000;
    // A mail without a time of its own is due at once: the system's time, which the service's
    // clock never runs behind, so the worker takes it on its next round.
    let now = Utc::now();
    let mut rows = Vec::with_capacity(mails.len());
    for new in &mails {
        let attachments = serde_json::to_value(&new.attachments)
            .map_err(|e| AppError::internal(e.to_string()))?;
        rows.push((
            mail_outbox::id.eq(new.id),
            mail_outbox::recipient.eq(new.recipient),
            mail_outbox::user_id.eq(new.user_id),
            mail_outbox::template.eq(new.mail.template),
            mail_outbox::subject.eq(&new.mail.subject),
            mail_outbox::body_text.eq(&new.mail.text),
            mail_outbox::body_html.eq(&new.mail.html),
            mail_outbox::attachments.eq(attachments),
            mail_outbox::dedupe_key.eq(&new.dedupe_key),
            mail_outbox::send_after.eq(new.send_after.unwrap_or(now)),
            mail_outbox::created_at.eq(new.created_at.unwrap_or(now)),
            mail_outbox::secret_ciphertext.eq(new.secret.as_ref().map(|s| s.ciphertext.clone())),
            mail_outbox::secret_key_id.eq(new.secret.as_ref().map(|s| s.key_id.clone())),
        ));
    }
    let mut inserted = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        inserted += diesel::insert_into(mail_outbox::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(inserted)
}

/// A mail waiting in the outbox, as the worker sends it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxMail {
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attachments: serde_json::Value,
    pub attempts: i32,
    pub secret_ciphertext: Option<Vec<u8>>,
    pub secret_key_id: Option<String>,
}

impl OutboxMail {
    /// The mail as it goes out: the sealed token, if any, in its place in both bodies.
    pub fn opened(mut self, keys: &Keyring) -> Result<Self, AppError> {
        if let (Some(ciphertext), Some(key_id)) = (&self.secret_ciphertext, &self.secret_key_id) {
            let token = keys
                .open(key_id, ciphertext, &secret_aad(self.id))
                .map_err(|e| AppError::internal(format!("mail secret: {e}")))?;
            self.body_text = self.body_text.replace(SECRET_PLACEHOLDER, &token);
            self.body_html = self.body_html.replace(SECRET_PLACEHOLDER, &token);
        }
        Ok(self)
    }
}

/// A mail sent (or to be sent) to the person, as their export shows it: the one-time link, if
/// it had one, is never shown.
#[derive(Debug, Serialize, Queryable)]
pub struct MailRecord {
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The text put where a mail's one-time link was.
pub const LINK_REMOVED: &str = "[lenke fjernet]";

/// The mails to the person, oldest first, for their export.
pub async fn record_of(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> Result<Vec<MailRecord>, AppError> {
    let mails: Vec<MailRecord> = mail_outbox::table
        .filter(mail_outbox::user_id.eq(user_id))
        .order(mail_outbox::created_at)
        .select((
            mail_outbox::recipient,
            mail_outbox::subject,
            mail_outbox::body_text,
            mail_outbox::created_at,
            mail_outbox::sent_at,
        ))
        .load(conn)
        .await?;
    Ok(mails
        .into_iter()
        .map(|mail| MailRecord {
            text: mail.text.replace(SECRET_PLACEHOLDER, LINK_REMOVED),
            ..mail
        })
        .collect())
}
