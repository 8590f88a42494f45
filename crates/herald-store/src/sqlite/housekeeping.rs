//! The sweeper's deletes: bounded batches taken from the front of a time
//! index, so each call costs `limit` rows however much has piled up.

use jiff::Timestamp;

use super::SqliteStore;
use crate::StoreResult;
use crate::db_error::db_err;
use crate::rows::ms;

impl SqliteStore {
    /// Cascades take each notification's recipients, statuses, tags and
    /// search texts with it.
    pub(super) async fn sweep_expired_impl(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM notifications WHERE seq IN (SELECT seq FROM notifications \
             WHERE expires_at < ? ORDER BY expires_at LIMIT ?)",
        )
        .bind(ms(cutoff))
        .bind(i64::from(limit))
        .execute(&self.writer)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected())
    }

    pub(super) async fn forget_client_tokens_impl(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM client_tokens WHERE rowid IN (SELECT rowid FROM client_tokens \
             WHERE claimed_at < ? ORDER BY claimed_at LIMIT ?)",
        )
        .bind(ms(cutoff))
        .bind(i64::from(limit))
        .execute(&self.writer)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected())
    }
}
