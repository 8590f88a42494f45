//! Chime SDK Identity and Messaging on PostgreSQL: the [`ChimeStore`]
//! implementation, one file per resource, as on SQLite. Every method runs
//! its `_impl` through `PgStore::run` (bounded in time, `PgError` made a
//! `StoreError`). Writes that check and then write run in a SERIALIZABLE
//! transaction (`tx::serializable!`), because several nodes write at once;
//! single-statement writes and reads use the pool directly.

mod audience;
mod channels;
mod claims;
mod deliveries;
mod endpoints;
mod identity;
mod memberships;
mod messages;
mod moderation;
mod plans;

use async_trait::async_trait;
use jiff::Timestamp;

use super::PgStore;
use crate::StoreResult;
use crate::chime::{
    AddOutcome, AdminRecord, AppInstanceRecord, AppInstanceUserRecord, AudienceChanges, BanRecord,
    ChannelPrivacy, ChannelRecord, ChannelStanding, ChimeStore, Created, DeliveryRecord,
    EndpointRecord, EndpointUpdate, IdentitySnapshot, MembershipRecord, MembershipType,
    MessageCursor, MessageQuery, MessageRecord, ModeratorRecord, NewAppInstance,
    NewAppInstanceUser, NewChannel, NewDelivery, NewEndpoint, NewMessage, PushAudience,
    PushPreference, RequestClaim,
};

pub use plans::ExplainTarget;

#[async_trait]
impl ChimeStore for PgStore {
    async fn replayed_claim(&self, claim: &RequestClaim) -> StoreResult<Option<String>> {
        self.run(self.replayed_claim_impl(claim)).await
    }

    async fn create_app_instance(
        &self,
        app_instance: NewAppInstance,
        claim: RequestClaim,
    ) -> StoreResult<Created<AppInstanceRecord>> {
        self.run(self.create_app_instance_impl(app_instance, claim))
            .await
    }

    async fn get_app_instance(
        &self,
        account_id: &str,
        app_instance_id: &str,
    ) -> StoreResult<Option<AppInstanceRecord>> {
        self.run(self.get_app_instance_impl(account_id, app_instance_id))
            .await
    }

    async fn list_app_instances(
        &self,
        account_id: &str,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AppInstanceRecord>> {
        self.run(self.list_app_instances_impl(account_id, after_seq, limit))
            .await
    }

    async fn delete_app_instance(&self, app_instance_seq: i64) -> StoreResult<bool> {
        self.run(self.delete_app_instance_impl(app_instance_seq))
            .await
    }

    async fn create_app_instance_user(
        &self,
        user: NewAppInstanceUser,
        claim: RequestClaim,
    ) -> StoreResult<Created<AppInstanceUserRecord>> {
        self.run(self.create_app_instance_user_impl(user, claim))
            .await
    }

    async fn get_app_instance_user(
        &self,
        app_instance_seq: i64,
        user_id: &str,
    ) -> StoreResult<Option<AppInstanceUserRecord>> {
        self.run(self.get_app_instance_user_impl(app_instance_seq, user_id))
            .await
    }

    async fn find_app_instance_users(
        &self,
        app_instance_seq: i64,
        user_ids: &[String],
    ) -> StoreResult<Vec<AppInstanceUserRecord>> {
        self.run(self.find_app_instance_users_impl(app_instance_seq, user_ids))
            .await
    }

    async fn list_app_instance_users(
        &self,
        app_instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AppInstanceUserRecord>> {
        self.run(self.list_app_instance_users_impl(app_instance_seq, after_seq, limit))
            .await
    }

    async fn delete_app_instance_user(&self, user_seq: i64) -> StoreResult<bool> {
        self.run(self.delete_app_instance_user_impl(user_seq)).await
    }

    async fn add_app_instance_admin(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
        created: Timestamp,
    ) -> StoreResult<()> {
        self.run(self.add_app_instance_admin_impl(app_instance_seq, user_seq, created))
            .await
    }

    async fn list_app_instance_admins(
        &self,
        app_instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AdminRecord>> {
        self.run(self.list_app_instance_admins_impl(app_instance_seq, after_seq, limit))
            .await
    }

    async fn is_app_instance_admin(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
    ) -> StoreResult<bool> {
        self.run(self.is_app_instance_admin_impl(app_instance_seq, user_seq))
            .await
    }

    async fn remove_app_instance_admin(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
    ) -> StoreResult<bool> {
        self.run(self.remove_app_instance_admin_impl(app_instance_seq, user_seq))
            .await
    }

    async fn register_endpoint(
        &self,
        endpoint: NewEndpoint,
        claim: RequestClaim,
    ) -> StoreResult<Created<EndpointRecord>> {
        self.run(self.register_endpoint_impl(endpoint, claim)).await
    }

    async fn get_endpoint(
        &self,
        user_seq: i64,
        endpoint_id: &str,
    ) -> StoreResult<Option<EndpointRecord>> {
        self.run(self.get_endpoint_impl(user_seq, endpoint_id))
            .await
    }

    async fn update_endpoint(
        &self,
        user_seq: i64,
        endpoint_id: &str,
        update: &EndpointUpdate,
        updated: Timestamp,
    ) -> StoreResult<Option<EndpointRecord>> {
        self.run(self.update_endpoint_impl(user_seq, endpoint_id, update, updated))
            .await
    }

    async fn list_endpoints(
        &self,
        user_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<EndpointRecord>> {
        self.run(self.list_endpoints_impl(user_seq, after_seq, limit))
            .await
    }

    async fn deregister_endpoint(&self, user_seq: i64, endpoint_id: &str) -> StoreResult<bool> {
        self.run(self.deregister_endpoint_impl(user_seq, endpoint_id))
            .await
    }

    async fn create_channel(
        &self,
        channel: NewChannel,
        claim: RequestClaim,
    ) -> StoreResult<Created<ChannelRecord>> {
        self.run(self.create_channel_impl(channel, claim)).await
    }

    async fn get_channel(
        &self,
        app_instance_seq: i64,
        channel_id: &str,
    ) -> StoreResult<Option<ChannelRecord>> {
        self.run(self.get_channel_impl(app_instance_seq, channel_id))
            .await
    }

    async fn list_channels(
        &self,
        app_instance_seq: i64,
        privacy: ChannelPrivacy,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<ChannelRecord>> {
        self.run(self.list_channels_impl(app_instance_seq, privacy, after_seq, limit))
            .await
    }

    async fn delete_channel(&self, channel_seq: i64) -> StoreResult<bool> {
        self.run(self.delete_channel_impl(channel_seq)).await
    }

    async fn channel_standing(
        &self,
        app_instance_seq: i64,
        channel_seq: i64,
        user_seq: i64,
    ) -> StoreResult<ChannelStanding> {
        self.run(self.channel_standing_impl(app_instance_seq, channel_seq, user_seq))
            .await
    }

    async fn add_members(
        &self,
        channel_seq: i64,
        user_seqs: &[i64],
        membership_type: MembershipType,
        invited_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> StoreResult<Vec<AddOutcome>> {
        self.run(self.add_members_impl(
            channel_seq,
            user_seqs,
            membership_type,
            invited_by,
            created,
        ))
        .await
    }

    async fn get_membership(
        &self,
        channel_seq: i64,
        user_seq: i64,
    ) -> StoreResult<Option<MembershipRecord>> {
        self.run(self.get_membership_impl(channel_seq, user_seq))
            .await
    }

    async fn list_memberships(
        &self,
        channel_seq: i64,
        membership_type: MembershipType,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<MembershipRecord>> {
        self.run(self.list_memberships_impl(channel_seq, membership_type, after_seq, limit))
            .await
    }

    async fn remove_membership(&self, channel_seq: i64, user_seq: i64) -> StoreResult<bool> {
        self.run(self.remove_membership_impl(channel_seq, user_seq))
            .await
    }

    async fn set_push_preference(
        &self,
        channel_seq: i64,
        user_seq: i64,
        preference: &PushPreference,
        updated: Timestamp,
    ) -> StoreResult<bool> {
        self.run(self.set_push_preference_impl(channel_seq, user_seq, preference, updated))
            .await
    }

    async fn add_moderator(
        &self,
        channel_seq: i64,
        user_seq: i64,
        created_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> StoreResult<AddOutcome> {
        self.run(self.add_moderator_impl(channel_seq, user_seq, created_by, created))
            .await
    }

    async fn list_moderators(
        &self,
        channel_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<ModeratorRecord>> {
        self.run(self.list_moderators_impl(channel_seq, after_seq, limit))
            .await
    }

    async fn remove_moderator(&self, channel_seq: i64, user_seq: i64) -> StoreResult<bool> {
        self.run(self.remove_moderator_impl(channel_seq, user_seq))
            .await
    }

    async fn ban(
        &self,
        channel_seq: i64,
        user_seq: i64,
        created_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> StoreResult<()> {
        self.run(self.ban_impl(channel_seq, user_seq, created_by, created))
            .await
    }

    async fn get_ban(&self, channel_seq: i64, user_seq: i64) -> StoreResult<Option<BanRecord>> {
        self.run(self.get_ban_impl(channel_seq, user_seq)).await
    }

    async fn list_bans(
        &self,
        channel_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<BanRecord>> {
        self.run(self.list_bans_impl(channel_seq, after_seq, limit))
            .await
    }

    async fn unban(&self, channel_seq: i64, user_seq: i64) -> StoreResult<bool> {
        self.run(self.unban_impl(channel_seq, user_seq)).await
    }

    async fn push_audience(&self, channel_seq: i64) -> StoreResult<PushAudience> {
        self.run(self.push_audience_impl(channel_seq)).await
    }

    async fn push_audience_changes(
        &self,
        channel_seq: i64,
        since_version: i64,
    ) -> StoreResult<Option<AudienceChanges>> {
        self.run(self.push_audience_changes_impl(channel_seq, since_version))
            .await
    }

    async fn send_message(
        &self,
        message: NewMessage,
        deliveries: Vec<NewDelivery>,
        claim: RequestClaim,
    ) -> StoreResult<Created<MessageRecord>> {
        self.run(self.send_message_impl(message, deliveries, claim))
            .await
    }

    async fn get_message(
        &self,
        channel_seq: i64,
        message_id: &str,
    ) -> StoreResult<Option<MessageRecord>> {
        self.run(self.get_message_impl(channel_seq, message_id))
            .await
    }

    async fn list_messages(
        &self,
        channel_seq: i64,
        query: &MessageQuery,
        after: Option<MessageCursor>,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>> {
        self.run(self.list_messages_impl(channel_seq, query, after, limit))
            .await
    }

    async fn list_deliveries(
        &self,
        channel_arn: &str,
        message_id: &str,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        self.run(self.list_deliveries_impl(channel_arn, message_id))
            .await
    }

    async fn claim_due_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        self.run(self.claim_due_deliveries_impl(now, lease_until, limit))
            .await
    }

    async fn mark_delivered(&self, delivery_seq: i64) -> StoreResult<()> {
        self.run(self.mark_delivered_impl(delivery_seq)).await
    }

    async fn reschedule_delivery(
        &self,
        delivery_seq: i64,
        next_attempt: Timestamp,
    ) -> StoreResult<()> {
        self.run(self.reschedule_delivery_impl(delivery_seq, next_attempt))
            .await
    }

    async fn forget_request_claims(&self, cutoff: Timestamp, limit: u32) -> StoreResult<u64> {
        self.run(self.forget_request_claims_impl(cutoff, limit))
            .await
    }
}
