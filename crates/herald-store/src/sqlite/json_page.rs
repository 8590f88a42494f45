//! Pages of notifications as one JSON value.
//!
//! The sqlx SQLite driver hands each result row from its worker thread to
//! the caller as a message of its own, copying every column value
//! (`sqlite3_value_dup`), and a column is then found by name. For a page
//! of 50 notifications that cost far more than the query: in profiles of
//! the listing the driver's per-row work and the thread hand-offs were
//! most of the time, SQLite's own execution about a sixth. So a page is
//! selected as a single row of one text value, built by SQLite's JSON
//! functions in C, and decoded in one `serde_json` pass.

use std::cmp::Reverse;

use serde::de::DeserializeOwned;
use sqlx::{Executor, QueryBuilder, Sqlite};

use crate::db_error::db_err;
use crate::rows::{NotificationColumns, UserNotificationColumns, from_json};
use crate::{Notification, StoreResult, UserNotification};

/// The columns of [`crate::rows::NOTIFICATION_COLUMNS`], unqualified (as
/// the inner query names them), as one JSON array in the field order of
/// [`NotificationColumns`]; the JSON-text columns are embedded as JSON,
/// `broadcast` as a boolean.
pub(super) const NOTIFICATION_ARRAY: &str = "json_array(seq, instance_seq, id, arn, json(content), urgency, \
     json(recipients), iif(broadcast, json('true'), json('false')), json(tags), created_at, \
     expires_at, modified_at, modified_region)";

/// The columns of [`crate::rows::USER_NOTIFICATION_COLUMNS`] and `status`,
/// unqualified, as one JSON array in the field order of
/// [`UserNotificationColumns`].
const USER_NOTIFICATION_ARRAY: &str = "json_array(seq, instance_seq, id, json(content), urgency, \
     created_at, expires_at, modified_at, status)";

/// Which page, and so its order and whether a `status` column follows
/// the notification's. A subquery's order does not carry into an
/// aggregate by any rule SQLite promises, and an `ORDER BY` inside the
/// aggregate costs a temporary B-tree holding every element's text (in
/// profiles of the listing, its inserts and page splits were a fifth of
/// SQLite's work): so the page is put in its order here, after decoding,
/// from the columns that define it.
#[derive(Clone, Copy)]
pub(super) enum Page {
    /// Newest first, notifications only: the instance listing and search.
    Notifications,
    /// Most urgent, then newest first: a user's listing entries, each
    /// with the user's status.
    UserNotifications,
}

/// Starts a page query of `page`'s kind: push the inner query (selecting
/// `NOTIFICATION_COLUMNS`, or for a user's page `USER_NOTIFICATION_COLUMNS`
/// and `status`) after it, then
/// fetch it with [`notifications`] or [`user_notifications`], which close
/// it.
pub(super) fn open<'a>(page: Page) -> QueryBuilder<'a, Sqlite> {
    let mut qb = QueryBuilder::new("");
    push_open(&mut qb, page);
    qb
}

/// [`open`], onto a query begun already (the page as a subquery).
pub(super) fn push_open(qb: &mut QueryBuilder<'_, Sqlite>, page: Page) {
    let element = match page {
        Page::Notifications => NOTIFICATION_ARRAY,
        Page::UserNotifications => USER_NOTIFICATION_ARRAY,
    };
    qb.push(format!("SELECT json_group_array({element}) FROM ("));
}

/// Ends the query [`open`] began (the fetchers do it; the plan tests too).
pub(super) fn close(qb: &mut QueryBuilder<'_, Sqlite>) {
    qb.push(")");
}

/// Closes the query [`open`] began and fetches its one text value.
async fn fetch<'e, E>(qb: &mut QueryBuilder<'_, Sqlite>, executor: E) -> StoreResult<String>
where
    E: Executor<'e, Database = Sqlite>,
{
    close(qb);
    qb.build_query_scalar()
        .fetch_one(executor)
        .await
        .map_err(db_err)
}

/// The page of a query opened as [`Page::Notifications`].
pub(super) async fn notifications<'e, E>(
    qb: &mut QueryBuilder<'_, Sqlite>,
    executor: E,
) -> StoreResult<Vec<Notification>>
where
    E: Executor<'e, Database = Sqlite>,
{
    decode_notifications(&fetch(qb, executor).await?)
}

/// A page of [`NOTIFICATION_ARRAY`] elements, newest first (`seq` is
/// unique: no two elements compare equal).
pub(super) fn decode_notifications(page: &str) -> StoreResult<Vec<Notification>> {
    decode(
        page,
        |c: &NotificationColumns| Reverse((c.created_at, c.seq)),
        NotificationColumns::into_notification,
    )
}

/// A page's elements decoded as `C`, put in the order of `key`, and
/// made records.
fn decode<C: DeserializeOwned, K: Ord, T>(
    page: &str,
    key: impl Fn(&C) -> K,
    into: impl Fn(C) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut page: Vec<C> = from_json(page, "page")?;
    page.sort_unstable_by_key(key);
    page.into_iter().map(into).collect()
}

/// The page of a query opened as [`Page::UserNotifications`].
pub(super) async fn user_notifications<'e, E>(
    qb: &mut QueryBuilder<'_, Sqlite>,
    executor: E,
) -> StoreResult<Vec<UserNotification>>
where
    E: Executor<'e, Database = Sqlite>,
{
    decode_user_notifications(&fetch(qb, executor).await?)
}

/// A page of [`USER_NOTIFICATION_ARRAY`] elements, most urgent, then
/// newest first.
pub(super) fn decode_user_notifications(page: &str) -> StoreResult<Vec<UserNotification>> {
    decode(
        page,
        |c: &UserNotificationColumns| Reverse((c.urgency, c.created_at, c.seq)),
        UserNotificationColumns::into_user_notification,
    )
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqlitePool;

    use super::*;

    /// Rows of notification columns in the given (seq, urgency, created)
    /// order, as an inner query.
    fn rows(qb: &mut QueryBuilder<'_, Sqlite>, rows: &[(i64, i64, i64)], status: bool) {
        let selects: Vec<String> = rows
            .iter()
            .map(|(seq, urgency, created)| {
                let common = format!(
                    "{seq} AS seq, 1 AS instance_seq, 'n{seq}' AS id, '{{}}' AS content, \
                     {urgency} AS urgency, {created} AS created_at, 9000 AS expires_at, \
                     {created} AS modified_at"
                );
                if status {
                    format!("SELECT {common}, NULL AS status")
                } else {
                    format!(
                        "SELECT {common}, 'arn' AS arn, '[]' AS recipients, 0 AS broadcast, \
                         '{{}}' AS tags, 'us-east-1' AS modified_region"
                    )
                }
            })
            .collect();
        qb.push(selects.join(" UNION ALL "));
    }

    /// The page's order is the fetchers' doing, whatever order the inner
    /// query's rows arrive in.
    #[tokio::test]
    async fn pages_come_back_in_listing_order_whatever_order_rows_arrive_in() {
        let pool = SqlitePool::connect("sqlite::memory:").await.expect("pool");
        let arrival = [(1, 1, 100), (2, 1, 300), (3, 2, 100), (4, 1, 300)];

        let mut qb = open(Page::Notifications);
        rows(&mut qb, &arrival, false);
        let newest_first: Vec<String> = notifications(&mut qb, &pool)
            .await
            .expect("page")
            .into_iter()
            .map(|n| n.id)
            .collect();
        assert_eq!(newest_first, ["n4", "n2", "n3", "n1"]);

        let mut qb = open(Page::UserNotifications);
        rows(&mut qb, &arrival, true);
        let most_urgent_first: Vec<String> = user_notifications(&mut qb, &pool)
            .await
            .expect("page")
            .into_iter()
            .map(|n| n.id)
            .collect();
        assert_eq!(most_urgent_first, ["n3", "n4", "n2", "n1"]);
    }
}
