//! Passes over every sealed text in batches: sealing leftover plaintext, rotating to the current
//! key, or decrypting. Each batch is its own transaction, and a row a batch has handled no longer
//! matches the pass's filter, so a pass can be stopped at any point and simply run again.

use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::AsyncConnection;

use super::{Keyring, Reseal};
use crate::db::DbPool;
use crate::error::AppError;

/// Rows changed per table by one pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ResealReport {
    pub answers: usize,
    pub notes: usize,
}

pub const DEFAULT_BATCH: i64 = 200;

pub async fn run(
    pool: &DbPool,
    keys: &Keyring,
    mode: Reseal,
    batch: i64,
) -> Result<ResealReport, AppError> {
    let mut report = ResealReport::default();
    loop {
        let mut conn = pool.get().await?;
        let done = conn
            .transaction::<usize, AppError, _>(|conn| {
                async move { crate::learning::store::reseal_answers(conn, keys, mode, batch).await }
                    .scope_boxed()
            })
            .await?;
        report.answers += done;
        if done == 0 {
            break;
        }
    }
    loop {
        let mut conn = pool.get().await?;
        let done = conn
            .transaction::<usize, AppError, _>(|conn| {
                async move { crate::reflection::store::reseal_notes(conn, keys, mode, batch).await }
                    .scope_boxed()
            })
            .await?;
        report.notes += done;
        if done == 0 {
            break;
        }
    }
    if mode != Reseal::SealPlaintext {
        let mut conn = pool.get().await?;
        crate::http::idempotency::drop_sealed_with_other_keys(
            &mut conn,
            keys,
            mode == Reseal::Decrypt,
        )
        .await?;
    }
    Ok(report)
}
