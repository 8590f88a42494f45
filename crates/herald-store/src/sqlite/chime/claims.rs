//! ClientRequestToken claims. Looked up and stored inside the writer
//! transaction of the create they guard, so a retry racing its original
//! sees either nothing or the committed claim, never half of it.

use jiff::Timestamp;
use sqlx::SqliteConnection;

use crate::chime::RequestClaim;
use crate::db_error::db_err;
use crate::rows::ms;
use crate::sqlite::SqliteStore;
use crate::{CLIENT_TOKEN_TTL_MS, StoreError, StoreResult};

/// The id the claim's first request created, when this is a replay of it;
/// `Conflict` when the token was claimed for a different request; `None`
/// when the token is free (never claimed, or claimed longer ago than the
/// TTL, whether or not the sweeper has forgotten it yet).
pub(super) async fn replayed(
    conn: &mut SqliteConnection,
    claim: &RequestClaim,
) -> StoreResult<Option<String>> {
    let seen: Option<(String, String)> = sqlx::query_as(
        "SELECT request_digest, resource_id FROM chime_request_claims \
         WHERE account_id = ? AND operation = ? AND token = ? AND claimed_ms > ?",
    )
    .bind(&claim.account_id)
    .bind(claim.operation)
    .bind(&claim.token)
    .bind(ms(claim.claimed_at) - CLIENT_TOKEN_TTL_MS)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    match seen {
        None => Ok(None),
        Some((digest, resource_id)) if digest == claim.request_digest => Ok(Some(resource_id)),
        Some(_) => Err(StoreError::Conflict(format!(
            "client request token {} was used for a different {} request",
            claim.token, claim.operation
        ))),
    }
}

/// Records the claim for `resource_id`, replacing an expired one.
pub(super) async fn store(
    conn: &mut SqliteConnection,
    claim: &RequestClaim,
    resource_id: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT OR REPLACE INTO chime_request_claims \
         (account_id, operation, token, request_digest, resource_id, claimed_ms) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&claim.account_id)
    .bind(claim.operation)
    .bind(&claim.token)
    .bind(&claim.request_digest)
    .bind(resource_id)
    .bind(ms(claim.claimed_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The oldest claims first, `limit` at a time, from the front of the
/// claimed-time index.
pub(super) const FORGET_SQL: &str = "DELETE FROM chime_request_claims WHERE rowid IN \
     (SELECT rowid FROM chime_request_claims WHERE claimed_ms < ? ORDER BY claimed_ms LIMIT ?)";

impl SqliteStore {
    pub(super) async fn replayed_claim_impl(
        &self,
        claim: &RequestClaim,
    ) -> StoreResult<Option<String>> {
        let mut conn = self.readers.acquire().await.map_err(db_err)?;
        replayed(&mut conn, claim).await
    }

    pub(super) async fn forget_request_claims_impl(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> StoreResult<u64> {
        let done = sqlx::query(FORGET_SQL)
            .bind(ms(cutoff))
            .bind(i64::from(limit))
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected())
    }
}
