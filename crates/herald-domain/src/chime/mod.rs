//! Amazon Chime SDK Identity and Messaging: app instances, users, admins,
//! endpoints, channels and their members, moderators, bans, messages,
//! membership push preferences, and the push decisions they drive.

pub mod arn;
mod channels;
pub mod deliveries;
mod endpoints;
pub mod error;
pub mod filter_rule;
mod identity;
mod memberships;
mod messages;
mod moderation;
mod preferences;
pub mod push;
mod standing;
pub mod validate;
mod views;

use std::sync::Arc;

use herald_store::ChimeStore;
use herald_store::chime::{AppInstanceRecord, AppInstanceUserRecord, RequestClaim};

use crate::Caller;
use crate::clock::Clock;
use crate::pagination::TokenCodec;
use arn::ChimeResource;
use error::{ChimeResult, not_found};

pub use channels::CreateChannelInput;
pub use endpoints::{RegisterEndpointInput, UpdateEndpointInput};
pub use error::ChimeError;
pub use identity::{CreateAppInstanceInput, CreateAppInstanceUserInput};
pub use messages::{ListMessagesInput, PushNotificationInput, SendMessageInput};
pub use preferences::PreferencesInput;
pub use push::{AudienceCache, RuleCache};
pub use views::*;

/// Called after deliveries were stored, so a delivery worker can start at
/// once instead of at its next poll.
pub type DeliveryWaker = Arc<dyn Fn() + Send + Sync>;

/// The Chime operations over one store.
pub struct ChimeService {
    store: Arc<dyn ChimeStore>,
    clock: Arc<dyn Clock>,
    region: String,
    tokens: TokenCodec,
    rules: RuleCache,
    audiences: AudienceCache,
    /// Whether deliveries wait for a webhook (`PENDING`) or are only
    /// recorded (`RECORDED`).
    webhook_configured: bool,
    wake_deliveries: DeliveryWaker,
}

impl ChimeService {
    pub fn new(
        store: Arc<dyn ChimeStore>,
        clock: Arc<dyn Clock>,
        region: String,
        token_secret: Vec<u8>,
        webhook_configured: bool,
        wake_deliveries: DeliveryWaker,
    ) -> Self {
        ChimeService {
            store,
            clock,
            region,
            tokens: TokenCodec::new(token_secret),
            rules: RuleCache::new(push::RULE_CACHE_CAPACITY),
            audiences: AudienceCache::new(push::AUDIENCE_CACHE_CAPACITY),
            webhook_configured,
            wake_deliveries,
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    fn app_instance_arn(&self, app_instance: &AppInstanceRecord) -> String {
        arn::app_instance_arn(&self.region, &app_instance.account_id, &app_instance.id)
    }

    /// Reads `value` (the member `member`) as an ARN of this region and the
    /// caller's account. `Ok(None)` when it is well formed but names
    /// nothing Herald could hold.
    fn own_arn<'a>(
        &self,
        caller: &Caller,
        value: &'a str,
        member: &str,
    ) -> ChimeResult<Option<ChimeResource<'a>>> {
        validate::arn_shape(value, member)?;
        Ok(arn::parse(value)
            .filter(|parsed| parsed.region == self.region && parsed.account_id == caller.account_id)
            .map(|parsed| parsed.resource))
    }

    /// The app instance `value` names, or `NotFoundException`.
    async fn app_instance(
        &self,
        caller: &Caller,
        value: &str,
        member: &str,
    ) -> ChimeResult<AppInstanceRecord> {
        let missing = || not_found(format!("AppInstance {value} was not found."));
        let Some(ChimeResource::AppInstance { app_instance_id }) =
            self.own_arn(caller, value, member)?
        else {
            // An ARN of another kind, service, account or region names
            // nothing Herald holds.
            return Err(missing());
        };
        self.store
            .get_app_instance(&caller.account_id, app_instance_id)
            .await?
            .ok_or_else(missing)
    }

    /// The app instance and user `value` names, or `NotFoundException`.
    async fn user(
        &self,
        caller: &Caller,
        value: &str,
        member: &str,
    ) -> ChimeResult<(AppInstanceRecord, AppInstanceUserRecord)> {
        let missing = || not_found(format!("AppInstanceUser {value} was not found."));
        let Some(ChimeResource::User {
            app_instance_id,
            user_id,
        }) = self.own_arn(caller, value, member)?
        else {
            return Err(missing());
        };
        let app_instance = self
            .store
            .get_app_instance(&caller.account_id, app_instance_id)
            .await?
            .ok_or_else(missing)?;
        let user = self
            .store
            .get_app_instance_user(app_instance.seq, user_id)
            .await?
            .ok_or_else(missing)?;
        Ok((app_instance, user))
    }

    fn claim(
        &self,
        caller: &Caller,
        operation: &'static str,
        token: String,
        digest_parts: &[&str],
    ) -> RequestClaim {
        let mut parts = vec![operation];
        parts.extend_from_slice(digest_parts);
        RequestClaim {
            account_id: caller.account_id.clone(),
            operation,
            token,
            request_digest: validate::request_digest(&parts),
            claimed_at: self.clock.now(),
        }
    }
}
