//! Amazon Connect: the directory (instances, users), notifications, the
//! per-user view, search and tags. One file per group of operations.

mod announce;
mod instance_cache;
mod instances;
mod notifications;
pub mod search;
mod tags;
mod user_notifications;
mod users;
pub mod validate;
mod widget;

use std::sync::Arc;

use herald_store::feed::ChangeFeed;
use herald_store::{InstanceRecord, Store, UserRecord};

use crate::Caller;
use crate::clock::Clock;
use crate::error::{ConnectError, ConnectResult};
use crate::live::SessionTokens;
use crate::pagination::TokenCodec;

pub use instances::CreateInstanceInput;
pub use notifications::CreateNotificationInput;
pub use search::{AttributeFilterInput, CriteriaInput, SearchInput, StringConditionInput, TagPair};
pub use user_notifications::StatusUpdateInput;
pub use users::CreateUserInput;
pub use widget::{WidgetAccess, WidgetSession};

/// The Connect operations over one store.
pub struct ConnectService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    region: String,
    tokens: TokenCodec,
    sessions: SessionTokens,
    /// Where committed changes are announced to live streams.
    feed: Arc<dyn ChangeFeed>,
    instances: Arc<instance_cache::InstanceCache>,
}

impl ConnectService {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        region: String,
        token_secret: Vec<u8>,
        feed: Arc<dyn ChangeFeed>,
    ) -> Self {
        ConnectService {
            store,
            clock,
            region,
            sessions: SessionTokens::new(&token_secret),
            tokens: TokenCodec::new(token_secret),
            instances: instance_cache::InstanceCache::new(&feed),
            feed,
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The caller's instance, or `ResourceNotFoundException`.
    async fn instance(
        &self,
        caller: &Caller,
        instance_id: &str,
    ) -> ConnectResult<Arc<InstanceRecord>> {
        if let Some(kept) = self.instances.get(&caller.account_id, instance_id) {
            return Ok(kept);
        }
        let ticket = self.instances.before_read();
        let record = self
            .store
            .get_instance(&caller.account_id, instance_id)
            .await?
            .map(Arc::new)
            .ok_or_else(|| not_found(format!("Instance {instance_id} was not found.")))?;
        self.instances.keep(record.clone(), ticket);
        Ok(record)
    }

    async fn user(&self, instance: &InstanceRecord, user_id: &str) -> ConnectResult<UserRecord> {
        self.store
            .get_user(instance.seq, user_id)
            .await?
            .ok_or_else(|| user_not_found(instance, user_id))
    }
}

fn user_not_found(instance: &InstanceRecord, user_id: &str) -> ConnectError {
    not_found(format!(
        "User {user_id} was not found in instance {}.",
        instance.id
    ))
}

/// The token form of a newest-first cursor.
fn created_token_cursor(notification: &herald_store::Notification) -> (i64, i64) {
    let cursor = notification.created_cursor();
    (cursor.created_ms, cursor.seq)
}

fn not_found(message: String) -> ConnectError {
    ConnectError::ResourceNotFound(message)
}
