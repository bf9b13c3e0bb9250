//! Drains the outbox. Each mail is taken with `FOR UPDATE SKIP LOCKED` and marked sent in the
//! same transaction, so several workers never send one mail twice; failures wait with backoff.

use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rand::Rng;
use tokio::sync::watch;

use super::outbox::OutboxMail;
use super::Mailer;
use crate::db::schema::mail_outbox;
use crate::db::DbPool;
use crate::error::AppError;

/// After this many attempts a mail is given up (with the backoff cap, about three days).
pub const MAX_ATTEMPTS: i32 = 450;

#[derive(Clone)]
pub struct Worker {
    pub pool: DbPool,
    pub mailer: Mailer,
    /// Opens the one-time tokens sealed with mails.
    pub keys: std::sync::Arc<crate::encryption::Keyring>,
    /// Bodies of mails sent (or given up) longer ago than this are emptied.
    pub retention: Duration,
    pub poll_interval: Duration,
    pub max_backoff: Duration,
    /// When a mail is due, a reminder is due and a body old enough to empty.
    pub clock: std::sync::Arc<dyn crate::clock::Clock>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Idle,
    Sent,
    Retry,
    GaveUp,
}

impl Worker {
    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("outbox worker started");
        let mut last_housekeeping = std::time::Instant::now() - Duration::from_secs(3600);
        let mut last_reminders = std::time::Instant::now() - Duration::from_secs(3600);
        loop {
            if *shutdown.borrow() {
                break;
            }
            let busy = match self.send_due(50).await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox round failed");
                    false
                }
            };
            if last_reminders.elapsed() > Duration::from_secs(60) {
                last_reminders = std::time::Instant::now();
                if let Err(e) = self.schedule_reminders().await {
                    tracing::warn!(error = %e, "scheduling reminders failed");
                }
            }
            if last_housekeeping.elapsed() > Duration::from_secs(300) {
                last_housekeeping = std::time::Instant::now();
                if let Err(e) = self.housekeeping().await {
                    tracing::warn!(error = %e, "housekeeping failed");
                }
            }
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.poll_interval) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// Sends up to `max` due mails; returns how many were handled (sent or rescheduled).
    pub async fn send_due(&self, max: usize) -> Result<usize, AppError> {
        let mut handled = 0;
        while handled < max {
            match self.send_one().await? {
                Outcome::Idle => break,
                _ => handled += 1,
            }
        }
        Ok(handled)
    }

    pub async fn send_one(&self) -> Result<Outcome, AppError> {
        let mut conn = self.pool.get().await?;
        let mailer = &self.mailer;
        let keys = &self.keys;
        let max_backoff = self.max_backoff;
        let now = self.clock.now();
        conn.transaction::<Outcome, AppError, _>(|conn| {
            async move {
                let Some(mail) = mail_outbox::table
                    .filter(mail_outbox::sent_at.is_null())
                    .filter(mail_outbox::failed_at.is_null())
                    .filter(mail_outbox::send_after.le(now))
                    .order(mail_outbox::send_after)
                    .limit(1)
                    .for_update()
                    .skip_locked()
                    .select(OutboxMail::as_select())
                    .first(conn)
                    .await
                    .optional()?
                else {
                    return Ok(Outcome::Idle);
                };
                let sent = match mail.clone().opened(keys) {
                    Ok(opened) => mailer.send(&opened).await,
                    Err(error) => Err(anyhow::anyhow!("{error}")),
                };
                let outcome = match sent {
                    Ok(()) => {
                        mark(conn, &mail, MarkAs::Sent, now).await?;
                        Outcome::Sent
                    }
                    Err(error) => {
                        let permanent = is_permanent(&error) || mail.attempts + 1 >= MAX_ATTEMPTS;
                        tracing::warn!(mail_id = %mail.id, attempts = mail.attempts + 1, permanent, error = %error, "mail not sent");
                        if permanent {
                            mark(conn, &mail, MarkAs::Failed(error.to_string()), now).await?;
                            Outcome::GaveUp
                        } else {
                            let wait = backoff(mail.attempts + 1, max_backoff);
                            let next =
                                now + chrono::Duration::from_std(wait).unwrap_or_default();
                            mark(conn, &mail, MarkAs::Retry(error.to_string(), next), now)
                                .await?;
                            Outcome::Retry
                        }
                    }
                };
                Ok(outcome)
            }
            .scope_boxed()
        })
        .await
    }

    /// Puts the webinar reminders due within a day into the outbox (each once).
    pub async fn schedule_reminders(&self) -> Result<usize, AppError> {
        let mut conn = self.pool.get().await?;
        crate::webinars::enqueue_reminders(&mut conn, self.clock.now()).await
    }

    async fn housekeeping(&self) -> Result<(), AppError> {
        let mut conn = self.pool.get().await?;
        let now = self.clock.now();
        crate::auth::purge_old_failures(&mut conn, now).await?;
        crate::auth::purge_old_signups(&mut conn, now).await?;
        crate::auth::oidc::store::purge(&mut conn, now).await?;
        crate::http::idempotency::purge_old(&mut conn, now).await?;
        let cutoff = now - chrono::Duration::from_std(self.retention).unwrap_or_default();
        purge_bodies(&mut conn, cutoff).await?;
        Ok(())
    }
}

/// Empties the bodies of mails sent or given up before `cutoff`; recipient, subject and times
/// stay for the record (and go with the person at erasure). Returns how many were emptied.
pub async fn purge_bodies(
    conn: &mut AsyncPgConnection,
    cutoff: chrono::DateTime<Utc>,
) -> Result<usize, AppError> {
    Ok(diesel::update(
        mail_outbox::table
            .filter(
                mail_outbox::sent_at
                    .lt(cutoff)
                    .or(mail_outbox::failed_at.lt(cutoff)),
            )
            .filter(
                mail_outbox::body_text
                    .ne("")
                    .or(mail_outbox::body_html.ne(""))
                    .or(mail_outbox::attachments.ne(serde_json::json!([]))),
            ),
    )
    .set((
        mail_outbox::body_text.eq(""),
        mail_outbox::body_html.eq(""),
        mail_outbox::attachments.eq(serde_json::json!([])),
        mail_outbox::secret_ciphertext.eq(None::<Vec<u8>>),
        mail_outbox::secret_key_id.eq(None::<String>),
    ))
    .execute(conn)
    .await?)
}

enum MarkAs {
    Sent,
    /// Tried again from the given time.
    Retry(String, chrono::DateTime<Utc>),
    Failed(String),
}

async fn mark(
    conn: &mut AsyncPgConnection,
    mail: &OutboxMail,
    outcome: MarkAs,
    now: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    let row = mail_outbox::table.find(mail.id);
    let attempts = mail_outbox::attempts.eq(mail.attempts + 1);
    match outcome {
        MarkAs::Sent => {
            diesel::update(row)
                .set((
                    attempts,
                    mail_outbox::sent_at.eq(now),
                    mail_outbox::last_error.eq(None::<String>),
                    // The link is in the recipient's inbox; nothing here opens it again.
                    mail_outbox::secret_ciphertext.eq(None::<Vec<u8>>),
                    mail_outbox::secret_key_id.eq(None::<String>),
                ))
                .execute(conn)
                .await?
        }
        MarkAs::Retry(error, next) => {
            diesel::update(row)
                .set((
                    attempts,
                    mail_outbox::send_after.eq(next),
                    mail_outbox::last_error.eq(truncate(&error)),
                ))
                .execute(conn)
                .await?
        }
        MarkAs::Failed(error) => {
            diesel::update(row)
                .set((
                    attempts,
                    mail_outbox::failed_at.eq(now),
                    mail_outbox::last_error.eq(truncate(&error)),
                    mail_outbox::secret_ciphertext.eq(None::<Vec<u8>>),
                    mail_outbox::secret_key_id.eq(None::<String>),
                ))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

fn truncate(error: &str) -> String {
    error.chars().take(500).collect()
}

/// Exponential backoff from 5 s, capped, with up to 20 % jitter so workers do not march together.
pub fn backoff(attempt: i32, cap: Duration) -> Duration {
    let exponent = attempt.clamp(1, 20) as u32 - 1;
    let base = Duration::from_secs(5)
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(cap);
    let jitter = rand::thread_rng().gen_range(0.0..0.2);
    base.mul_f64(1.0 + jitter)
        .min(cap.max(Duration::from_millis(1)))
}

/// Errors retrying cannot fix: an address or message we cannot build, or a 5xx from the server.
fn is_permanent(error: &anyhow::Error) -> bool {
    if let Some(smtp) = error.downcast_ref::<lettre::transport::smtp::Error>() {
        return smtp.is_permanent();
    }
    error
        .downcast_ref::<lettre::address::AddressError>()
        .is_some()
        || error.downcast_ref::<lettre::error::Error>().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let cap = Duration::from_secs(600);
        let first = backoff(1, cap);
        assert!(first >= Duration::from_secs(5) && first <= Duration::from_secs(6));
        assert!(backoff(3, cap) >= Duration::from_secs(20));
        assert!(backoff(30, cap) <= cap);
    }
}
