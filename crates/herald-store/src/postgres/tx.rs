//! Write transactions.
//!
//! SQLite serialises every write through one connection; on PostgreSQL
//! several nodes write at once, so every multi-statement write runs at
//! SERIALIZABLE isolation instead: each check-then-write behaves as if it
//! had the database to itself, and a transaction that lost a race is rolled
//! back by PostgreSQL (SQLSTATE 40001/40P01) and run again here, from the
//! start, after a short random pause. Single-statement writes need none of
//! this: the statement is atomic and the constraints decide.

use std::time::Duration;

/// Attempts before a lost race is reported as `Unavailable`.
pub(crate) const MAX_ATTEMPTS: u32 = 12;

/// Pauses before attempt `attempt + 1`: a random time up to 2^attempt ms
/// (capped at 100 ms), so that racing transactions spread out.
pub(crate) async fn back_off(attempt: u32, reason: &str) {
    let ceiling_ms = 1u64 << attempt.min(7);
    let pause = Duration::from_micros(rand::random_range(0..ceiling_ms.min(100) * 1_000));
    tracing::debug!(attempt, reason, ?pause, "serializable transaction retried");
    tokio::time::sleep(pause).await;
}

/// `serializable!(store, |tx| { … })` runs the block in a SERIALIZABLE
/// transaction (`tx: &mut PgConnection`) and commits it when the block
/// ends, retrying the whole block when PostgreSQL reports a lost race.
/// The block evaluates to the value; `?` propagates errors (rolling back,
/// and retrying a lost race); `return Ok(v)` ends the block early and
/// still commits, because at SERIALIZABLE even what a transaction only
/// read is certain only once its commit succeeds. Evaluates to
/// `PgResult<T>`. The block may run several times: it must not move what
/// it captures or act outside the transaction.
macro_rules! serializable {
    ($store:expr, |$tx:ident| $body:block) => {{
        let store = &$store;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let outcome = async {
                let mut transaction = store.begin_serializable().await?;
                let value = async {
                    #[allow(clippy::redundant_locals)]
                    let $tx: &mut sqlx::PgConnection = &mut *transaction;
                    Ok::<_, $crate::postgres::error::PgError>($body)
                }
                .await?;
                transaction.commit().await?;
                Ok::<_, $crate::postgres::error::PgError>(value)
            }
            .await;
            match outcome {
                Err($crate::postgres::error::PgError::Retry(reason))
                    if attempt < $crate::postgres::tx::MAX_ATTEMPTS =>
                {
                    $crate::postgres::tx::back_off(attempt, &reason).await;
                }
                other => break other,
            }
        }
    }};
}

/// `retried!({ … })` runs a block of single-statement writes (each atomic
/// on its own, outside any explicit transaction) again when PostgreSQL
/// reports a lost race: a deadlock between a cascading delete and inserts
/// taking foreign-key locks, say. The block evaluates to `PgResult<T>` and
/// may run several times.
macro_rules! retried {
    ($body:block) => {{
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let outcome: $crate::postgres::error::PgResult<_> = async { $body }.await;
            match outcome {
                Err($crate::postgres::error::PgError::Retry(reason))
                    if attempt < $crate::postgres::tx::MAX_ATTEMPTS =>
                {
                    $crate::postgres::tx::back_off(attempt, &reason).await;
                }
                other => break other,
            }
        }
    }};
}

pub(crate) use {retried, serializable};
