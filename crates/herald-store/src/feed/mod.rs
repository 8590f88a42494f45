//! Announcements of committed changes to notifications, heard by the live
//! event streams of every node.
//!
//! An announcement carries ids only (which notification, which users);
//! each node reads what it needs from the store. That keeps announcements
//! small enough for PostgreSQL's NOTIFY (8000 bytes) and never lets one
//! node's stale copy of a notification reach another node's subscribers.

mod local;
pub mod postgres;

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::StoreResult;

pub use local::LocalFeed;
pub use postgres::PgFeed;

/// A change that has been committed: to a notification, or the deletion
/// of a user or instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    #[serde(rename = "i")]
    pub instance_seq: i64,
    #[serde(rename = "n")]
    pub notification_id: String,
    #[serde(rename = "k")]
    pub kind: ChangeKind,
    #[serde(rename = "a")]
    pub audience: ChangeAudience,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    Created,
    ContentUpdated,
    Deleted,
    /// The audience's (one user's) status is now this (`READ`, …).
    Status(String),
    /// The audience (one user, or the whole instance) was deleted: its
    /// streams end. `notification_id` is empty.
    SubjectDeleted,
}

/// Whose view of the notification changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeAudience {
    /// Every user of the instance.
    Instance,
    /// These users (by seq); at most 200, the recipient limit.
    Users(Vec<i64>),
}

/// What a subscriber hears.
#[derive(Debug, Clone)]
pub enum FeedSignal {
    Change(Arc<Change>),
    /// Announcements may have been missed (the listener lost its
    /// connection): subscribers must refresh what they show.
    Gap,
}

#[async_trait]
pub trait ChangeFeed: Send + Sync + 'static {
    /// Announces a committed change to every node, this one included.
    async fn publish(&self, change: &Change) -> StoreResult<()>;
    /// Announcements from now on. A receiver that falls behind gets
    /// `RecvError::Lagged`, which means the same as [`FeedSignal::Gap`].
    fn subscribe(&self) -> broadcast::Receiver<FeedSignal>;
}

/// How many announcements a slow subscriber may fall behind before it
/// is told it lagged.
pub const FEED_CAPACITY: usize = 4096;
