//! Push delivery records: the log of what was pushed, and the queue the
//! webhook worker leases pending deliveries from.

use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{IN_CHUNK, INSERT_CHUNK};
use crate::StoreResult;
use crate::chime::rows::{self, DELIVERY_COLUMNS};
use crate::chime::{DeliveryRecord, DeliveryState, NewDelivery};
use crate::db_error::db_err;
use crate::rows::{all, ms};
use crate::sqlite::SqliteStore;
use crate::sqlite::notifications::BEGIN_WRITE;

/// Binds: channel ARN, message id.
pub(super) fn list_deliveries_sql() -> String {
    format!(
        "SELECT {DELIVERY_COLUMNS} FROM chime_push_deliveries \
         WHERE channel_arn = ? AND message_id = ? ORDER BY seq"
    )
}

/// The front of the due queue. `state = 'PENDING'` is literal so that the
/// partial index applies. Binds: now, limit.
pub(super) fn due_deliveries_sql() -> String {
    format!(
        "SELECT {DELIVERY_COLUMNS} FROM chime_push_deliveries \
         WHERE state = 'PENDING' AND next_attempt_ms <= ? \
         ORDER BY next_attempt_ms, seq LIMIT ?"
    )
}

impl SqliteStore {
    pub(super) async fn list_deliveries_impl(
        &self,
        channel_arn: &str,
        message_id: &str,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        let found = sqlx::query(&list_deliveries_sql())
            .bind(channel_arn)
            .bind(message_id)
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        all(&found, rows::delivery)
    }

    /// Reads the due rows and moves them to the lease in one writer
    /// transaction: a second worker sees them only once the lease ends.
    pub(super) async fn claim_due_deliveries_impl(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        let found = sqlx::query(&due_deliveries_sql())
            .bind(ms(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut due = all(&found, rows::delivery)?;
        let seqs: Vec<i64> = due.iter().map(|d| d.seq).collect();
        for chunk in seqs.chunks(IN_CHUNK) {
            let mut qb =
                QueryBuilder::<Sqlite>::new("UPDATE chime_push_deliveries SET next_attempt_ms = ");
            qb.push_bind(ms(lease_until)).push(" WHERE seq IN (");
            let mut list = qb.separated(", ");
            for seq in chunk {
                list.push_bind(*seq);
            }
            qb.push(")");
            qb.build().execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        // What the store now holds: leased until `lease_until`.
        for delivery in &mut due {
            delivery.next_attempt = lease_until;
        }
        Ok(due)
    }

    pub(super) async fn mark_delivered_impl(&self, delivery_seq: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE chime_push_deliveries SET state = ?, attempts = attempts + 1 WHERE seq = ?",
        )
        .bind(DeliveryState::Delivered.as_str())
        .bind(delivery_seq)
        .execute(&self.writer)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Only a pending delivery is rescheduled: a late failure report from
    /// a worker whose lease expired must not touch one another worker has
    /// delivered meanwhile.
    pub(super) async fn reschedule_delivery_impl(
        &self,
        delivery_seq: i64,
        next_attempt: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE chime_push_deliveries SET attempts = attempts + 1, next_attempt_ms = ? \
             WHERE seq = ? AND state = 'PENDING'",
        )
        .bind(ms(next_attempt))
        .bind(delivery_seq)
        .execute(&self.writer)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}

/// Inserts the deliveries in the order given (their seqs are the order
/// they were decided): no attempts yet, due at the message's creation.
pub(super) async fn insert_deliveries(
    conn: &mut SqliteConnection,
    deliveries: &[NewDelivery],
    created: Timestamp,
) -> StoreResult<()> {
    for chunk in deliveries.chunks(INSERT_CHUNK) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO chime_push_deliveries (delivery_id, member_arn, endpoint_id, \
             device_token, channel_arn, message_id, title, body, push_type, created_ms, state, \
             attempts, next_attempt_ms) ",
        );
        qb.push_values(chunk, |mut row, d| {
            row.push_bind(d.delivery_id.as_str())
                .push_bind(&*d.member_arn)
                .push_bind(&*d.endpoint_id)
                .push_bind(&*d.device_token)
                .push_bind(&*d.channel_arn)
                .push_bind(&*d.message_id)
                .push_bind(d.title.as_deref())
                .push_bind(d.body.as_deref())
                .push_bind(d.push_type.as_str())
                .push_bind(ms(created))
                .push_bind(d.state.as_str())
                .push_bind(0_i64)
                .push_bind(ms(created));
        });
        // A delivery id is random; a clash is a bug upstream, refused
        // rather than overwritten.
        qb.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| super::identity::conflict(e, || "delivery id exists".to_owned()))?;
    }
    Ok(())
}
