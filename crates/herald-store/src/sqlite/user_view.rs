//! One user's view: the notifications that reach them and their status.

use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite};

use super::{SqliteStore, json_page};
use crate::db_error::db_err;
use crate::rows::{self, USER_NOTIFICATION_COLUMNS, ms};
use crate::{StoreResult, UnreadCount, UserListCursor, UserNotification};

impl SqliteStore {
    /// Two ordered index ranges — the user's direct rows and the
    /// instance's broadcasts — each cut at `limit`, then merged: the cost
    /// follows `limit`, not the number of notifications.
    pub(super) async fn list_user_notifications_impl(
        &self,
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        after: Option<UserListCursor>,
        limit: u32,
    ) -> StoreResult<Vec<UserNotification>> {
        let mut qb = json_page::open(json_page::Page::UserNotifications);
        let user = UserKey::Seq(user_seq);
        push_user_listing(&mut qb, instance_seq, user, now, after, limit);
        json_page::user_notifications(&mut qb, &self.readers).await
    }

    /// The user is found by the page's own statement (one reader round
    /// trip, where a lookup first was two): its second column is the
    /// user's seq, NULL when the instance has no such user.
    pub(super) async fn list_user_notifications_by_id_impl(
        &self,
        instance_seq: i64,
        user_id: &str,
        now: Timestamp,
        after: Option<UserListCursor>,
        limit: u32,
    ) -> StoreResult<Option<Vec<UserNotification>>> {
        let user = UserKey::Id(user_id);
        let mut qb = QueryBuilder::new("SELECT (");
        json_page::push_open(&mut qb, json_page::Page::UserNotifications);
        push_user_listing(&mut qb, instance_seq, user, now, after, limit);
        json_page::close(&mut qb);
        qb.push("), ");
        push_user_seq(&mut qb, instance_seq, user);
        let (page, user_seq): (String, Option<i64>) = qb
            .build_query_as()
            .fetch_one(&self.readers)
            .await
            .map_err(db_err)?;
        match user_seq {
            None => Ok(None),
            Some(_) => json_page::decode_user_notifications(&page).map(Some),
        }
    }

    /// Two ordered index ranges, each cut at `cap` in listing order (so
    /// the cost follows `cap`, and which ones are counted is the same on
    /// every engine); a status row other than UNREAD takes a notification
    /// out. The user must be of the instance, as the listing's join on
    /// the notification's instance has it.
    pub(super) async fn unread_count_impl(
        &self,
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        cap: u32,
    ) -> StoreResult<UnreadCount> {
        // `b.broadcast = 1` literally, so the partial index applies.
        let (count, next_expiry): (i64, Option<i64>) = sqlx::query_as(
            "SELECT count(*), min(expires_at) FROM ( \
             SELECT * FROM (SELECT r.expires_at AS expires_at FROM notification_recipients r \
             WHERE r.user_seq = ?1 AND r.expires_at > ?2 \
             AND EXISTS (SELECT 1 FROM users u WHERE u.seq = ?1 AND u.instance_seq = ?3) \
             AND NOT EXISTS (SELECT 1 FROM user_statuses s WHERE s.user_seq = ?1 \
             AND s.notification_seq = r.notification_seq AND s.status <> 'UNREAD') \
             ORDER BY r.urgency DESC, r.created_at DESC, r.notification_seq DESC LIMIT ?4) \
             UNION ALL SELECT * FROM (SELECT b.expires_at AS expires_at FROM notifications b \
             WHERE b.instance_seq = ?3 AND b.broadcast = 1 AND b.expires_at > ?2 \
             AND NOT EXISTS (SELECT 1 FROM user_statuses s WHERE s.user_seq = ?1 \
             AND s.notification_seq = b.seq AND s.status <> 'UNREAD') \
             ORDER BY b.urgency DESC, b.created_at DESC, b.seq DESC LIMIT ?4))",
        )
        .bind(user_seq)
        .bind(ms(now))
        .bind(instance_seq)
        .bind(i64::from(cap))
        .fetch_one(&self.readers)
        .await
        .map_err(db_err)?;
        rows::unread_count(count, next_expiry)
    }
}

/// The listing's SQL, pushed onto `qb` (so that the plan test can put
/// `EXPLAIN QUERY PLAN` in front of exactly this query).
///
/// The page is chosen from keys alone: the two ranges' (seq, urgency,
/// created) rows, merged and cut at `limit`; only then is each of its
/// notifications read, with the user's status. (Joining before the cut
/// read, and sorted with all their columns, up to twice `limit`.)
pub(super) fn push_user_listing<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    instance_seq: i64,
    user: UserKey<'a>,
    now: Timestamp,
    after: Option<UserListCursor>,
    limit: u32,
) {
    let limit = i64::from(limit);
    qb.push(format!(
        "SELECT {USER_NOTIFICATION_COLUMNS}, us.status AS status FROM ( \
             SELECT * FROM (SELECT r.notification_seq AS seq, r.urgency AS urgency, \
             r.created_at AS created_at FROM notification_recipients r WHERE r.user_seq = "
    ));
    push_user_seq(qb, instance_seq, user);
    qb.push(" AND r.expires_at > ").push_bind(ms(now));
    push_keyset(qb, "r.urgency, r.created_at, r.notification_seq", after);
    // The user must be of the instance (a user's direct rows are all of
    // their own instance's notifications): one lookup, not one per row.
    qb.push(" AND EXISTS (SELECT 1 FROM users u WHERE u.seq = ");
    push_user_seq(qb, instance_seq, user);
    qb.push(" AND u.instance_seq = ")
        .push_bind(instance_seq)
        .push(")");
    qb.push(" ORDER BY r.urgency DESC, r.created_at DESC, r.notification_seq DESC LIMIT ")
        .push_bind(limit);
    // `broadcast = 1` literally, so the partial index applies.
    qb.push(
        ") UNION ALL SELECT * FROM (SELECT b.seq AS seq, b.urgency AS urgency, \
             b.created_at AS created_at FROM notifications b WHERE b.instance_seq = ",
    )
    .push_bind(instance_seq)
    .push(" AND b.broadcast = 1 AND b.expires_at > ")
    .push_bind(ms(now));
    push_keyset(qb, "b.urgency, b.created_at, b.seq", after);
    qb.push(" ORDER BY b.urgency DESC, b.created_at DESC, b.seq DESC LIMIT ")
        .push_bind(limit);
    // CROSS JOIN fixes the join order (SQLite's documented way): with
    // a bound LIMIT the planner would otherwise drive the join from the
    // instance's whole `notifications` range, probing `m`.
    qb.push(") ORDER BY urgency DESC, created_at DESC, seq DESC LIMIT ")
        .push_bind(limit)
        .push(
            ") m CROSS JOIN notifications n ON n.seq = m.seq \
             LEFT JOIN user_statuses us ON us.notification_seq = n.seq AND us.user_seq = ",
        );
    push_user_seq(qb, instance_seq, user);
}

/// Whose listing: a user already found, or one to find by id in the
/// instance (within the listing's own statement).
#[derive(Clone, Copy)]
pub(super) enum UserKey<'a> {
    Seq(i64),
    Id(&'a str),
}

/// The user's seq as an SQL value: bound, or looked up by id (a
/// subquery of constants, which SQLite evaluates once per statement).
fn push_user_seq<'a>(qb: &mut QueryBuilder<'a, Sqlite>, instance_seq: i64, user: UserKey<'a>) {
    match user {
        UserKey::Seq(seq) => {
            qb.push_bind(seq);
        }
        UserKey::Id(id) => {
            qb.push("(SELECT k.seq FROM users k WHERE k.instance_seq = ")
                .push_bind(instance_seq)
                .push(" AND k.id = ")
                .push_bind(id)
                .push(")");
        }
    }
}

/// `AND (columns) < (cursor)`: strictly after the cursor in the
/// descending (urgency, created, seq) order.
fn push_keyset(qb: &mut QueryBuilder<'_, Sqlite>, columns: &str, after: Option<UserListCursor>) {
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
