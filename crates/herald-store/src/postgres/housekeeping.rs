//! The sweeper's deletes: bounded batches taken from the front of a time
//! index, so each call costs `limit` rows however much has piled up.

use jiff::Timestamp;

use super::PgStore;
use super::error::PgResult;
use crate::postgres::tx::retried;
use crate::rows::ms;

impl PgStore {
    /// Cascades take each notification's recipients, statuses, tags and
    /// search texts with it. Nodes sweeping at once may pick the same rows;
    /// a row already gone is simply not counted.
    pub(super) async fn sweep_expired_impl(&self, cutoff: Timestamp, limit: u32) -> PgResult<u64> {
        let done = retried!({
            Ok(sqlx::query(
                "DELETE FROM notifications WHERE seq IN (SELECT seq FROM notifications \
             WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)",
            )
            .bind(ms(cutoff))
            .bind(i64::from(limit))
            .execute(&self.pool)
            .await?)
        })?;
        Ok(done.rows_affected())
    }

    /// `claimed_at < $1` is checked again on the row itself: a claim
    /// renewed by a create meanwhile is re-read by the DELETE and kept.
    pub(super) async fn forget_client_tokens_impl(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> PgResult<u64> {
        let done = retried!({
            Ok(sqlx::query(
                "DELETE FROM client_tokens WHERE claimed_at < $1 AND (account_id, token) IN \
             (SELECT account_id, token FROM client_tokens WHERE claimed_at < $1 \
             ORDER BY claimed_at LIMIT $2)",
            )
            .bind(ms(cutoff))
            .bind(i64::from(limit))
            .execute(&self.pool)
            .await?)
        })?;
        Ok(done.rows_affected())
    }
}
