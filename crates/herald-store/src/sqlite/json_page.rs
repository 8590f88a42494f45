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
const NOTIFICATION_ARRAY: &str = "json_array(seq, instance_seq, id, arn, json(content), urgency, \
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
    let element = match page {
        Page::Notifications => NOTIFICATION_ARRAY,
        Page::UserNotifications => USER_NOTIFICATION_ARRAY,
    };
    QueryBuilder::new(format!("SELECT json_group_array({element}) FROM ("))
}

/// Ends the query [`open`] began (the fetchers do it; the plan tests too).
pub(super) fn close(qb: &mut QueryBuilder<'_, Sqlite>) {
    qb.push(")");
}

async fn fetch<'e, T, E>(qb: &mut QueryBuilder<'_, Sqlite>, executor: E) -> StoreResult<Vec<T>>
where
    T: DeserializeOwned,
    E: Executor<'e, Database = Sqlite>,
{
    close(qb);
    let page: String = qb
        .build_query_scalar()
        .fetch_one(executor)
        .await
        .map_err(db_err)?;
    from_json(&page, "page")
}

/// The page of a query opened as [`Page::Notifications`].
pub(super) async fn notifications<'e, E>(
    qb: &mut QueryBuilder<'_, Sqlite>,
    executor: E,
) -> StoreResult<Vec<Notification>>
where
    E: Executor<'e, Database = Sqlite>,
{
    let mut page = fetch::<NotificationColumns, _>(qb, executor).await?;
    // Newest first (`seq` is unique: no two elements compare equal).
    page.sort_unstable_by_key(|c| Reverse((c.created_at, c.seq)));
    page.into_iter()
        .map(NotificationColumns::into_notification)
        .collect()
}

/// The page of a query opened as [`Page::UserNotifications`].
pub(super) async fn user_notifications<'e, E>(
    qb: &mut QueryBuilder<'_, Sqlite>,
    executor: E,
) -> StoreResult<Vec<UserNotification>>
where
    E: Executor<'e, Database = Sqlite>,
{
    let mut page = fetch::<UserNotificationColumns, _>(qb, executor).await?;
    // Most urgent, then newest first.
    page.sort_unstable_by_key(|c| Reverse((c.urgency, c.created_at, c.seq)));
    page.into_iter()
        .map(UserNotificationColumns::into_user_notification)
        .collect()
}
