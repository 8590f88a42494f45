//! Herald's storage layer.
//!
//! One [`Store`] trait, one implementation per engine, and one conformance
//! suite ([`conformance`]) that every implementation must pass. The store
//! knows no rules: it keeps records and answers indexed queries. Every
//! method costs work proportional to what it returns or changes, never to
//! the total size of the store.

pub mod chime;
pub mod conformance;
mod db_error;
pub mod feed;
#[cfg(test)]
mod landed_migrations;
pub mod model;
pub mod postgres;
mod rows;
mod search_text;
pub mod sqlite;

use async_trait::async_trait;
use jiff::Timestamp;

pub use chime::ChimeStore;
pub use model::*;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken (user name taken, …).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Something the write refers to was deleted meanwhile; nothing changed.
    #[error("gone: {0}")]
    Gone(String),
    /// The backend failed or is unreachable; the operation changed nothing.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be decoded, or the database file is damaged
    /// or not a database: a bug or damage.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The disk under the store is full; the write changed nothing, and
    /// writes work again once space is freed.
    #[error("storage full: {0}")]
    Full(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How long a client token is remembered (24 hours): an older claim is
/// ignored at lookup and replaced, whether or not the sweeper removed it.
pub const CLIENT_TOKEN_TTL_MS: i64 = 24 * 60 * 60 * 1000;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Secret for signing pagination tokens; created once per store so that
    /// tokens survive restarts and work on every node sharing the store.
    async fn token_secret(&self) -> StoreResult<Vec<u8>>;

    // --- instances -------------------------------------------------------
    async fn create_instance(&self, instance: NewInstance) -> StoreResult<InstanceRecord>;
    async fn get_instance(&self, account_id: &str, id: &str)
    -> StoreResult<Option<InstanceRecord>>;
    /// Oldest first, after `after_seq`.
    async fn list_instances(
        &self,
        account_id: &str,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<InstanceRecord>>;
    /// Deletes the instance with its users and notifications.
    async fn delete_instance(&self, instance_seq: i64) -> StoreResult<bool>;

    // --- users -----------------------------------------------------------
    /// `Conflict` when the user name is taken in the instance.
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord>;
    async fn get_user(&self, instance_seq: i64, user_id: &str) -> StoreResult<Option<UserRecord>>;
    /// The users among `user_ids` that exist in the instance.
    async fn find_users(
        &self,
        instance_seq: i64,
        user_ids: &[String],
    ) -> StoreResult<Vec<UserRecord>>;
    /// Oldest first, after `after_seq`.
    async fn list_users(
        &self,
        instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<UserRecord>>;
    async fn delete_user(&self, instance_seq: i64, user_id: &str) -> StoreResult<bool>;

    // --- notifications ---------------------------------------------------
    /// Creates the notification atomically with its client-token claim.
    async fn create_notification(
        &self,
        notification: NewNotification,
    ) -> StoreResult<CreateOutcome>;
    /// The notification, expired or not (until swept).
    async fn get_notification(
        &self,
        instance_seq: i64,
        notification_id: &str,
    ) -> StoreResult<Option<Notification>>;
    /// Unexpired notifications of the instance, newest first.
    async fn list_notifications(
        &self,
        instance_seq: i64,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Notification>>;
    /// Replaces the content; `None` when there is no such notification.
    async fn update_notification_content(
        &self,
        instance_seq: i64,
        notification_id: &str,
        content: &Content,
        modified_at: Timestamp,
        modified_region: &str,
    ) -> StoreResult<Option<Notification>>;
    async fn delete_notification(
        &self,
        instance_seq: i64,
        notification_id: &str,
    ) -> StoreResult<bool>;
    /// Adds `add` and removes `remove` in one step, refusing to exceed
    /// `max_tags`.
    async fn update_notification_tags(
        &self,
        instance_seq: i64,
        notification_id: &str,
        add: &Tags,
        remove: &[String],
        max_tags: usize,
    ) -> StoreResult<TagUpdateOutcome>;

    // --- per-user view ---------------------------------------------------
    /// Unexpired notifications sent to the user directly or through the
    /// instance, with the user's status: most urgent first, newest first
    /// within an urgency.
    async fn list_user_notifications(
        &self,
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        after: Option<UserListCursor>,
        limit: u32,
    ) -> StoreResult<Vec<UserNotification>>;
    /// [`Store::list_user_notifications`] of the instance's user with id
    /// `user_id`; `None` when the instance has no such user. An engine
    /// may find the user within the page's own query.
    async fn list_user_notifications_by_id(
        &self,
        instance_seq: i64,
        user_id: &str,
        now: Timestamp,
        after: Option<UserListCursor>,
        limit: u32,
    ) -> StoreResult<Option<Vec<UserNotification>>> {
        let Some(user) = self.get_user(instance_seq, user_id).await? else {
            return Ok(None);
        };
        self.list_user_notifications(instance_seq, user.seq, now, after, limit)
            .await
            .map(Some)
    }
    async fn set_user_status(&self, write: StatusWrite) -> StoreResult<StatusOutcome>;
    /// How many of the user's notifications are UNREAD and unexpired,
    /// counting at most `cap` from each of the direct and the
    /// instance-wide kind (the first ones in listing order), and the
    /// soonest expiry among those counted. As in the listing, a user
    /// asked about in another instance has only its broadcasts.
    async fn unread_count(
        &self,
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        cap: u32,
    ) -> StoreResult<UnreadCount>;

    // --- search ----------------------------------------------------------
    /// Unexpired matches, newest first, with the total number of matches.
    async fn search_notifications(
        &self,
        instance_seq: i64,
        query: &SearchQuery,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    ) -> StoreResult<SearchPage>;

    // --- housekeeping ----------------------------------------------------
    /// Deletes up to `limit` notifications that expired before `cutoff`;
    /// returns how many went.
    async fn sweep_expired(&self, cutoff: Timestamp, limit: u32) -> StoreResult<u64>;
    /// Forgets client tokens claimed before `cutoff`.
    async fn forget_client_tokens(&self, cutoff: Timestamp, limit: u32) -> StoreResult<u64>;
    /// Flushes and closes connections.
    async fn close(&self);
}
