//! Push delivery records: the log of what was pushed, and the queue the
//! webhook workers of every node lease pending deliveries from.

use jiff::Timestamp;
use sqlx::PgConnection;

use super::identity::conflict;
use crate::chime::rows::{self, DELIVERY_COLUMNS};
use crate::chime::{DeliveryRecord, DeliveryState, NewDelivery};
use crate::postgres::PgStore;
use crate::postgres::error::PgResult;
use crate::rows::{all, get, ms};

/// Binds: channel ARN, message id.
pub(super) fn list_deliveries_sql() -> String {
    format!(
        "SELECT {DELIVERY_COLUMNS} FROM chime_push_deliveries \
         WHERE channel_arn = $1 AND message_id = $2 ORDER BY seq"
    )
}

/// Leases the front of the due queue in one statement. The inner SELECT
/// reads the partial index (`state = 'PENDING'` is literal so that it
/// applies) and locks what it takes; SKIP LOCKED makes a worker on another
/// node pass over rows being leased instead of waiting for them, and a row
/// leased meanwhile fails the recheck of `next_attempt_ms`. The old due
/// time comes back as `due_ms`, for the order. Binds: lease end, now,
/// limit.
pub(super) fn claim_due_sql() -> String {
    format!(
        "UPDATE chime_push_deliveries SET next_attempt_ms = $1 \
         FROM (SELECT seq AS due_seq, next_attempt_ms AS due_ms FROM chime_push_deliveries \
         WHERE state = 'PENDING' AND next_attempt_ms <= $2 \
         ORDER BY next_attempt_ms, seq LIMIT $3 FOR UPDATE SKIP LOCKED) due \
         WHERE seq = due.due_seq RETURNING {DELIVERY_COLUMNS}, due.due_ms"
    )
}

impl PgStore {
    pub(super) async fn list_deliveries_impl(
        &self,
        channel_arn: &str,
        message_id: &str,
    ) -> PgResult<Vec<DeliveryRecord>> {
        let found = sqlx::query(&list_deliveries_sql())
            .bind(channel_arn)
            .bind(message_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(all(&found, rows::delivery)?)
    }

    /// A single statement, so no SERIALIZABLE transaction: the row locks
    /// alone keep two workers from leasing one delivery.
    pub(super) async fn claim_due_deliveries_impl(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> PgResult<Vec<DeliveryRecord>> {
        let found = sqlx::query(&claim_due_sql())
            .bind(ms(lease_until))
            .bind(ms(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        // RETURNING has no order: put the leased rows back in due order.
        let mut due = found
            .iter()
            .map(|row| Ok((get::<i64>(row, "due_ms")?, rows::delivery(row)?)))
            .collect::<crate::StoreResult<Vec<_>>>()?;
        due.sort_unstable_by_key(|(due_ms, d)| (*due_ms, d.seq));
        Ok(due.into_iter().map(|(_, d)| d).collect())
    }

    pub(super) async fn mark_delivered_impl(&self, delivery_seq: i64) -> PgResult<()> {
        sqlx::query(
            "UPDATE chime_push_deliveries SET state = $1, attempts = attempts + 1 \
             WHERE seq = $2",
        )
        .bind(DeliveryState::Delivered.as_str())
        .bind(delivery_seq)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Only a pending delivery is rescheduled: a late failure report from
    /// a worker whose lease expired must not touch one another worker has
    /// delivered meanwhile.
    pub(super) async fn reschedule_delivery_impl(
        &self,
        delivery_seq: i64,
        next_attempt: Timestamp,
    ) -> PgResult<()> {
        sqlx::query(
            "UPDATE chime_push_deliveries SET attempts = attempts + 1, next_attempt_ms = $1 \
             WHERE seq = $2 AND state = 'PENDING'",
        )
        .bind(ms(next_attempt))
        .bind(delivery_seq)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Inserts the deliveries in the order given (their seqs are the order
/// they were decided): no attempts yet, due at the message's creation. One
/// statement, one array per column.
pub(super) async fn insert_deliveries(
    conn: &mut PgConnection,
    deliveries: &[NewDelivery],
    created: Timestamp,
) -> PgResult<()> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&NewDelivery) -> &str| deliveries.iter().map(f).collect::<Vec<_>>();
    let titles: Vec<Option<&str>> = deliveries.iter().map(|d| d.title.as_deref()).collect();
    let bodies: Vec<Option<&str>> = deliveries.iter().map(|d| d.body.as_deref()).collect();
    sqlx::query(
        "INSERT INTO chime_push_deliveries (delivery_id, member_arn, endpoint_id, \
         device_token, channel_arn, message_id, title, body, push_type, created_ms, state, \
         attempts, next_attempt_ms) \
         SELECT d.delivery_id, d.member_arn, d.endpoint_id, d.device_token, d.channel_arn, \
         d.message_id, d.title, d.body, d.push_type, $11, d.state, 0, $11 \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::text[], $9::text[], $10::text[]) WITH ORDINALITY \
         AS d (delivery_id, member_arn, endpoint_id, device_token, channel_arn, message_id, \
         title, body, push_type, state, ord) ORDER BY d.ord",
    )
    .bind(column(|d| &d.delivery_id))
    .bind(column(|d| &d.member_arn))
    .bind(column(|d| &d.endpoint_id))
    .bind(column(|d| &d.device_token))
    .bind(column(|d| &d.channel_arn))
    .bind(column(|d| &d.message_id))
    .bind(titles)
    .bind(bodies)
    .bind(column(|d| d.push_type.as_str()))
    .bind(column(|d| d.state.as_str()))
    .bind(ms(created))
    .execute(conn)
    .await
    // A delivery id is random; a clash is a bug upstream, refused rather
    // than overwritten.
    .map_err(|e| conflict(e, || "delivery id exists".to_owned()))?;
    Ok(())
}
