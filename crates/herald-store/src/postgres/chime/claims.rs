//! ClientRequestToken claims, looked up and stored inside the SERIALIZABLE
//! transaction of the create they guard.
//!
//! Unlike SQLite, where the single writer makes the order irrelevant, the
//! claim is written *before* the resource: two nodes racing with one token
//! then meet on the claim's primary key, and the loser gets a serialization
//! failure, is retried and replays. Written after the resource, a create
//! whose id is part of the request (a user id, an endpoint id) would meet
//! on that id first and report a `Conflict` instead of the replay.

use jiff::Timestamp;
use sqlx::PgConnection;

use crate::chime::RequestClaim;
use crate::postgres::PgStore;
use crate::postgres::error::PgResult;
use crate::postgres::tx::retried;
use crate::rows::ms;
use crate::{CLIENT_TOKEN_TTL_MS, StoreError};

/// Takes the claim for `resource_id` (the id the create is about to use):
/// `Some(first id)` when this is a replay, and nothing is stored; otherwise
/// the claim is stored and the caller goes on to create.
pub(super) async fn take(
    conn: &mut PgConnection,
    claim: &RequestClaim,
    resource_id: &str,
) -> PgResult<Option<String>> {
    if let Some(first) = replayed(conn, claim).await? {
        return Ok(Some(first));
    }
    store(conn, claim, resource_id).await?;
    Ok(None)
}

/// The id the claim's first request created, when this is a replay of it;
/// `Conflict` when the token was claimed for a different request; `None`
/// when the token is free (never claimed, or claimed longer ago than the
/// TTL, whether or not the sweeper has forgotten it yet).
async fn replayed(conn: &mut PgConnection, claim: &RequestClaim) -> PgResult<Option<String>> {
    let seen: Option<(String, String)> = sqlx::query_as(
        "SELECT request_digest, resource_id FROM chime_request_claims \
         WHERE account_id = $1 AND operation = $2 AND token = $3 AND claimed_ms > $4",
    )
    .bind(&claim.account_id)
    .bind(claim.operation)
    .bind(&claim.token)
    .bind(ms(claim.claimed_at) - CLIENT_TOKEN_TTL_MS)
    .fetch_optional(conn)
    .await?;
    match seen {
        None => Ok(None),
        Some((digest, resource_id)) if digest == claim.request_digest => Ok(Some(resource_id)),
        Some(_) => Err(StoreError::Conflict(format!(
            "client request token {} was used for a different {} request",
            claim.token, claim.operation
        ))
        .into()),
    }
}

/// Records the claim for `resource_id`, replacing an expired one. The
/// transaction's rollback takes it back when the create fails.
async fn store(conn: &mut PgConnection, claim: &RequestClaim, resource_id: &str) -> PgResult<()> {
    sqlx::query(
        "INSERT INTO chime_request_claims \
         (account_id, operation, token, request_digest, resource_id, claimed_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (account_id, operation, token) DO UPDATE SET \
         request_digest = EXCLUDED.request_digest, resource_id = EXCLUDED.resource_id, \
         claimed_ms = EXCLUDED.claimed_ms",
    )
    .bind(&claim.account_id)
    .bind(claim.operation)
    .bind(&claim.token)
    .bind(&claim.request_digest)
    .bind(resource_id)
    .bind(ms(claim.claimed_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The oldest claims first, `limit` at a time, from the front of the
/// claimed-time index, deleted by primary key. `claimed_ms < $1` is checked
/// again on the row itself: a claim renewed by a create meanwhile is
/// re-read by the DELETE and kept. Binds: cutoff, limit.
pub(super) const FORGET_SQL: &str = "DELETE FROM chime_request_claims \
     WHERE claimed_ms < $1 AND (account_id, operation, token) IN (SELECT account_id, operation, token \
     FROM chime_request_claims WHERE claimed_ms < $1 ORDER BY claimed_ms LIMIT $2)";

impl PgStore {
    pub(super) async fn replayed_claim_impl(
        &self,
        claim: &RequestClaim,
    ) -> PgResult<Option<String>> {
        let mut conn = self.pool.acquire().await?;
        replayed(&mut conn, claim).await
    }

    pub(super) async fn forget_request_claims_impl(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> PgResult<u64> {
        let done = retried!({
            Ok(sqlx::query(FORGET_SQL)
                .bind(ms(cutoff))
                .bind(i64::from(limit))
                .execute(&self.pool)
                .await?)
        })?;
        Ok(done.rows_affected())
    }
}
