//! EXPLAIN of the store's own hot statements, built by the same code that
//! runs them, so that tests can check which indexes serve them. Not part
//! of the store's interface.

use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};

use super::PgStore;
use super::notifications::{push_get, push_list};
use super::search::{push_search_count, push_search_page};
use super::user_view::{
    push_status_target, push_stored_status, push_unread_count, push_user_listing,
};
use crate::{CreatedCursor, SearchQuery, StatusWrite, StoreError, StoreResult, UserListCursor};

/// A statement of a hot path, with its arguments.
#[derive(Debug, Clone)]
pub enum Probe {
    GetNotification {
        instance_seq: i64,
        id: String,
    },
    ListNotifications {
        instance_seq: i64,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    },
    UserListing {
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        after: Option<UserListCursor>,
        limit: u32,
    },
    UnreadCount {
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        cap: u32,
    },
    /// set_user_status: the notification the write is about, for the
    /// user of `user_seq`.
    StatusTarget {
        write: StatusWrite,
        user_seq: i64,
    },
    /// set_user_status: the stored status's time.
    StoredStatus {
        user_seq: i64,
        notification_seq: i64,
    },
    SearchPage {
        instance_seq: i64,
        query: SearchQuery,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    },
    SearchCount {
        instance_seq: i64,
        query: SearchQuery,
        now: Timestamp,
    },
}

impl PgStore {
    /// The plan PostgreSQL chooses for `probe` with these arguments
    /// (`EXPLAIN (FORMAT JSON)`: planned, not run).
    pub async fn explain(&self, probe: &Probe) -> StoreResult<serde_json::Value> {
        let mut qb = QueryBuilder::new("EXPLAIN (FORMAT JSON) ");
        match probe {
            Probe::GetNotification { instance_seq, id } => push_get(&mut qb, *instance_seq, id),
            Probe::ListNotifications {
                instance_seq,
                now,
                after,
                limit,
            } => push_list(&mut qb, *instance_seq, *now, *after, *limit),
            Probe::UserListing {
                instance_seq,
                user_seq,
                now,
                after,
                limit,
            } => push_user_listing(&mut qb, *instance_seq, *user_seq, *now, *after, *limit),
            Probe::UnreadCount {
                instance_seq,
                user_seq,
                now,
                cap,
            } => push_unread_count(&mut qb, *instance_seq, *user_seq, *now, *cap),
            Probe::StatusTarget { write, user_seq } => {
                push_status_target(&mut qb, write, *user_seq)
            }
            Probe::StoredStatus {
                user_seq,
                notification_seq,
            } => push_stored_status(&mut qb, *user_seq, *notification_seq),
            Probe::SearchPage {
                instance_seq,
                query,
                now,
                after,
                limit,
            } => push_search_page(&mut qb, *instance_seq, query, *now, *after, *limit),
            Probe::SearchCount {
                instance_seq,
                query,
                now,
            } => push_search_count(&mut qb, *instance_seq, query, *now),
        }
        let plan = self.run(async {
            let row = qb.build().fetch_one(&self.pool).await?;
            // EXPLAIN's column is `json`, whose wire form is its text.
            Ok(row.try_get_unchecked::<String, _>(0)?)
        });
        let plan = plan.await?;
        serde_json::from_str(&plan).map_err(|e| StoreError::Corrupt(format!("plan: {e}")))
    }
}
