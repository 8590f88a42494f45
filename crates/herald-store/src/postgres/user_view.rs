//! One user's view: the notifications that reach them and their status.

use jiff::Timestamp;
use sqlx::{Postgres, QueryBuilder};

use super::PgStore;
use super::error::PgResult;
use super::nul::{self, text};
use super::tx::serializable;
use crate::rows::{self, USER_NOTIFICATION_COLUMNS, ms, timestamp};
use crate::{StatusOutcome, StatusWrite, UnreadCount, UserListCursor, UserNotification};

impl PgStore {
    pub(super) async fn list_user_notifications_impl(
        &self,
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        after: Option<UserListCursor>,
        limit: u32,
    ) -> PgResult<Vec<UserNotification>> {
        let mut qb = QueryBuilder::new("");
        push_user_listing(&mut qb, instance_seq, user_seq, now, after, limit);
        let found = qb.build().fetch_all(&self.pool).await?;
        Ok(rows::all(&found, rows::user_notification)?)
    }

    pub(super) async fn unread_count_impl(
        &self,
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        cap: u32,
    ) -> PgResult<UnreadCount> {
        let mut qb = QueryBuilder::new("");
        push_unread_count(&mut qb, instance_seq, user_seq, now, cap);
        let (count, next_expiry): (i64, Option<i64>) =
            qb.build_query_as().fetch_one(&self.pool).await?;
        Ok(rows::unread_count(count, next_expiry)?)
    }

    /// Check and write in one SERIALIZABLE transaction: of two writes
    /// racing for one status, the later one to commit re-checks against
    /// the other's time, so the last-modified rule holds across nodes.
    pub(super) async fn set_user_status_impl(&self, write: StatusWrite) -> PgResult<StatusOutcome> {
        let write = &write;
        serializable!(self, |tx| {
            let user_seq: Option<i64> =
                sqlx::query_scalar("SELECT seq FROM users WHERE instance_seq = $1 AND id = $2")
                    .bind(write.instance_seq)
                    .bind(nul::owned(&write.user_id))
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(user_seq) = user_seq else {
                return Ok(StatusOutcome::UserNotFound);
            };
            let mut target = QueryBuilder::new("");
            push_status_target(&mut target, write, user_seq);
            let seq: Option<i64> = target.build_query_scalar().fetch_optional(&mut *tx).await?;
            let Some(seq) = seq else {
                return Ok(StatusOutcome::NotFound);
            };

            let mut stored = QueryBuilder::new("");
            push_stored_status(&mut stored, user_seq, seq);
            let stored: Option<i64> = stored.build_query_scalar().fetch_optional(&mut *tx).await?;
            if let (Some(stored_ms), Some(limit)) = (stored, write.not_older_than)
                && stored_ms > ms(limit)
            {
                return Ok(StatusOutcome::Stale {
                    stored_at: timestamp(stored_ms, "user_statuses.modified_at")?,
                });
            }

            sqlx::query(
                "INSERT INTO user_statuses (user_seq, notification_seq, status, modified_at, \
                 modified_region) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (user_seq, notification_seq) DO UPDATE SET \
                 status = excluded.status, modified_at = excluded.modified_at, \
                 modified_region = excluded.modified_region",
            )
            .bind(user_seq)
            .bind(seq)
            .bind(write.status.as_str())
            .bind(ms(write.modified_at))
            .bind(text(&write.modified_region))
            .execute(&mut *tx)
            .await?;
            StatusOutcome::Written { user_seq }
        })
    }
}

/// Two ordered index ranges — the user's direct rows and the instance's
/// broadcasts — each cut at `limit`, then merged: the cost follows
/// `limit`, not the number of notifications. Each entry then costs one
/// primary-key lookup (OFFSET 0: not flattened into a join that the
/// planner could serve by reading every notification).
pub(super) fn push_user_listing(
    qb: &mut QueryBuilder<'_, Postgres>,
    instance_seq: i64,
    user_seq: i64,
    now: Timestamp,
    after: Option<UserListCursor>,
    limit: u32,
) {
    let limit = i64::from(limit);
    qb.push(format_args!(
        "SELECT {USER_NOTIFICATION_COLUMNS}, us.status AS status FROM ( \
         (SELECT r.notification_seq AS seq, r.urgency AS urgency, r.created_at AS created_at \
         FROM notification_recipients r WHERE r.user_seq = "
    ))
    .push_bind(user_seq)
    .push(" AND r.expires_at > ")
    .push_bind(ms(now));
    push_keyset(qb, "r.urgency, r.created_at, r.notification_seq", after);
    qb.push(" ORDER BY r.urgency DESC, r.created_at DESC, r.notification_seq DESC LIMIT ")
        .push_bind(limit);
    // `b.broadcast` as the partial index's predicate says it, so it applies.
    qb.push(
        ") UNION ALL (SELECT b.seq AS seq, b.urgency AS urgency, b.created_at AS created_at \
         FROM notifications b WHERE b.instance_seq = ",
    )
    .push_bind(instance_seq)
    .push(" AND b.broadcast AND b.expires_at > ")
    .push_bind(ms(now));
    push_keyset(qb, "b.urgency, b.created_at, b.seq", after);
    qb.push(" ORDER BY b.urgency DESC, b.created_at DESC, b.seq DESC LIMIT ")
        .push_bind(limit);
    qb.push(
        ")) m CROSS JOIN LATERAL \
         (SELECT * FROM notifications WHERE seq = m.seq OFFSET 0) n \
         LEFT JOIN user_statuses us ON us.notification_seq = n.seq AND us.user_seq = ",
    )
    .push_bind(user_seq)
    .push(" WHERE n.instance_seq = ")
    .push_bind(instance_seq)
    .push(" ORDER BY m.urgency DESC, m.created_at DESC, m.seq DESC LIMIT ")
    .push_bind(limit);
}

/// The listing's two ordered index ranges, each cut at `cap` in listing
/// order (so the cost follows `cap`, and which ones are counted is the
/// same on every engine), counted; a status row other than UNREAD takes a
/// notification out. The user must be of the instance, as the listing's
/// join on the notification's instance has it: one primary-key lookup.
pub(super) fn push_unread_count(
    qb: &mut QueryBuilder<'_, Postgres>,
    instance_seq: i64,
    user_seq: i64,
    now: Timestamp,
    cap: u32,
) {
    let cap = i64::from(cap);
    qb.push(
        "SELECT count(*), min(expires_at) FROM ( \
         (SELECT r.expires_at AS expires_at FROM notification_recipients r WHERE r.user_seq = ",
    )
    .push_bind(user_seq)
    .push(" AND r.expires_at > ")
    .push_bind(ms(now))
    .push(" AND EXISTS (SELECT 1 FROM users u WHERE u.seq = ")
    .push_bind(user_seq)
    .push(" AND u.instance_seq = ")
    .push_bind(instance_seq)
    .push(")");
    push_not_dismissed(qb, user_seq, "r.notification_seq");
    qb.push(" ORDER BY r.urgency DESC, r.created_at DESC, r.notification_seq DESC LIMIT ")
        .push_bind(cap);
    qb.push(
        ") UNION ALL (SELECT b.expires_at AS expires_at FROM notifications b \
         WHERE b.instance_seq = ",
    )
    .push_bind(instance_seq)
    .push(" AND b.broadcast AND b.expires_at > ")
    .push_bind(ms(now));
    push_not_dismissed(qb, user_seq, "b.seq");
    qb.push(" ORDER BY b.urgency DESC, b.created_at DESC, b.seq DESC LIMIT ")
        .push_bind(cap);
    qb.push(")) counted");
}

/// `AND` the user has no status other than UNREAD for the notification
/// whose seq is the column `seq`.
fn push_not_dismissed(qb: &mut QueryBuilder<'_, Postgres>, user_seq: i64, seq: &str) {
    qb.push(" AND NOT EXISTS (SELECT 1 FROM user_statuses s WHERE s.user_seq = ")
        .push_bind(user_seq)
        .push(" AND s.notification_seq = ")
        .push(seq)
        .push(" AND s.status <> 'UNREAD')");
}

/// The notification a status write is about, if it exists, is unexpired
/// and reaches the user (`user_seq`, found from the write's user id):
/// one answer for all three.
pub(super) fn push_status_target(
    qb: &mut QueryBuilder<'_, Postgres>,
    write: &StatusWrite,
    user_seq: i64,
) {
    qb.push("SELECT n.seq FROM notifications n WHERE n.instance_seq = ")
        .push_bind(write.instance_seq)
        .push(" AND n.id = ")
        .push_bind(nul::owned(&write.notification_id))
        .push(" AND n.expires_at > ")
        .push_bind(ms(write.now))
        .push(
            " AND (n.broadcast OR EXISTS (SELECT 1 FROM notification_recipients r \
             WHERE r.notification_seq = n.seq AND r.user_seq = ",
        )
        .push_bind(user_seq)
        .push("))");
}

/// When the user's stored status for the notification was last modified.
pub(super) fn push_stored_status(
    qb: &mut QueryBuilder<'_, Postgres>,
    user_seq: i64,
    notification_seq: i64,
) {
    qb.push("SELECT modified_at FROM user_statuses WHERE user_seq = ")
        .push_bind(user_seq)
        .push(" AND notification_seq = ")
        .push_bind(notification_seq);
}

/// `AND (columns) < (cursor)`: strictly after the cursor in the
/// descending (urgency, created, seq) order.
fn push_keyset(qb: &mut QueryBuilder<'_, Postgres>, columns: &str, after: Option<UserListCursor>) {
    if let Some(cursor) = after {
        qb.push(" AND (")
            .push(columns)
            .push(") < (")
            .push_bind(cursor.urgency)
            .push(", ")
            .push_bind(cursor.created_ms)
            .push(", ")
            .push_bind(cursor.seq)
            .push(")");
    }
}
