//! Storage for Chime SDK Identity and Messaging: one trait, implemented by
//! every engine and held to [`crate::conformance::chime`].
//!
//! As for Connect, the store knows no rules: who may do what is decided in
//! `herald-domain`. What it does guarantee is atomicity where a rule would
//! otherwise race: a ban and an add of the same user, a preference write and
//! the membership's removal, a message and its delivery records.

pub(crate) mod audience;
mod model;
pub(crate) mod rows;
pub(crate) mod rules;

use async_trait::async_trait;
use jiff::Timestamp;

pub use audience::AUDIENCE_CHANGES_KEPT;
pub use model::*;

use crate::StoreResult;

#[async_trait]
pub trait ChimeStore: Send + Sync + 'static {
    // --- request claims --------------------------------------------------
    /// The id the claim's first request created when this is a replay of
    /// it; `Conflict` when the token was used for a different request;
    /// `None` when it is free. Read-only: the create it guards still
    /// stores (and re-checks) the claim in its own transaction.
    async fn replayed_claim(&self, claim: &RequestClaim) -> StoreResult<Option<String>>;

    // --- app instances ---------------------------------------------------
    /// Creates the app instance with its claim; a replayed claim creates
    /// nothing, a claim reused with another digest is `Conflict`.
    async fn create_app_instance(
        &self,
        app_instance: NewAppInstance,
        claim: RequestClaim,
    ) -> StoreResult<Created<AppInstanceRecord>>;
    async fn get_app_instance(
        &self,
        account_id: &str,
        app_instance_id: &str,
    ) -> StoreResult<Option<AppInstanceRecord>>;
    /// Oldest first, after `after_seq`.
    async fn list_app_instances(
        &self,
        account_id: &str,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AppInstanceRecord>>;
    /// Deletes the app instance and everything in it (not push deliveries).
    async fn delete_app_instance(&self, app_instance_seq: i64) -> StoreResult<bool>;

    // --- app instance users ---------------------------------------------
    /// `Conflict` when the user id is taken in the app instance (and the
    /// claim is not a replay); `Gone` when the app instance was deleted.
    async fn create_app_instance_user(
        &self,
        user: NewAppInstanceUser,
        claim: RequestClaim,
    ) -> StoreResult<Created<AppInstanceUserRecord>>;
    async fn get_app_instance_user(
        &self,
        app_instance_seq: i64,
        user_id: &str,
    ) -> StoreResult<Option<AppInstanceUserRecord>>;
    /// The users among `user_ids` that exist in the app instance.
    async fn find_app_instance_users(
        &self,
        app_instance_seq: i64,
        user_ids: &[String],
    ) -> StoreResult<Vec<AppInstanceUserRecord>>;
    /// Oldest first, after `after_seq`.
    async fn list_app_instance_users(
        &self,
        app_instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AppInstanceUserRecord>>;
    /// Deletes the user with its endpoints, admin role, memberships (and
    /// preferences), moderator roles and bans.
    async fn delete_app_instance_user(&self, user_seq: i64) -> StoreResult<bool>;

    // --- app instance admins ---------------------------------------------
    /// Idempotent; `Gone` when the user was deleted meanwhile.
    async fn add_app_instance_admin(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
        created: Timestamp,
    ) -> StoreResult<()>;
    /// Oldest first, after `after_seq` (the admin row's seq).
    async fn list_app_instance_admins(
        &self,
        app_instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AdminRecord>>;
    async fn is_app_instance_admin(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
    ) -> StoreResult<bool>;
    async fn remove_app_instance_admin(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
    ) -> StoreResult<bool>;

    // --- endpoints -------------------------------------------------------
    /// `Gone` when the user was deleted meanwhile.
    async fn register_endpoint(
        &self,
        endpoint: NewEndpoint,
        claim: RequestClaim,
    ) -> StoreResult<Created<EndpointRecord>>;
    async fn get_endpoint(
        &self,
        user_seq: i64,
        endpoint_id: &str,
    ) -> StoreResult<Option<EndpointRecord>>;
    /// `None` when there is no such endpoint.
    async fn update_endpoint(
        &self,
        user_seq: i64,
        endpoint_id: &str,
        update: &EndpointUpdate,
        updated: Timestamp,
    ) -> StoreResult<Option<EndpointRecord>>;
    /// Oldest first, after `after_seq`.
    async fn list_endpoints(
        &self,
        user_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<EndpointRecord>>;
    async fn deregister_endpoint(&self, user_seq: i64, endpoint_id: &str) -> StoreResult<bool>;

    // --- channels --------------------------------------------------------
    /// Creates the channel, its creator's membership and moderator role and
    /// the listed members and moderators, with the claim. `Conflict` when
    /// the channel id is taken; `Gone` when the app instance or one of the
    /// users was deleted meanwhile.
    async fn create_channel(
        &self,
        channel: NewChannel,
        claim: RequestClaim,
    ) -> StoreResult<Created<ChannelRecord>>;
    async fn get_channel(
        &self,
        app_instance_seq: i64,
        channel_id: &str,
    ) -> StoreResult<Option<ChannelRecord>>;
    /// Channels of one privacy, oldest first, after `after_seq`.
    async fn list_channels(
        &self,
        app_instance_seq: i64,
        privacy: ChannelPrivacy,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<ChannelRecord>>;
    /// Deletes the channel with its memberships, moderators, bans and
    /// messages.
    async fn delete_channel(&self, channel_seq: i64) -> StoreResult<bool>;
    /// The user's standing in the channel (membership, moderator, ban,
    /// AppInstanceAdmin of `app_instance_seq`), in one read.
    async fn channel_standing(
        &self,
        app_instance_seq: i64,
        channel_seq: i64,
        user_seq: i64,
    ) -> StoreResult<ChannelStanding>;

    // --- memberships -----------------------------------------------------
    /// Adds each user as a member, in one transaction; banned users and
    /// existing members are left as they are. One outcome per user, in
    /// order. `Gone` when the channel was deleted meanwhile.
    async fn add_members(
        &self,
        channel_seq: i64,
        user_seqs: &[i64],
        membership_type: MembershipType,
        invited_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> StoreResult<Vec<AddOutcome>>;
    async fn get_membership(
        &self,
        channel_seq: i64,
        user_seq: i64,
    ) -> StoreResult<Option<MembershipRecord>>;
    /// Memberships of one type, oldest first, after `after_seq`.
    async fn list_memberships(
        &self,
        channel_seq: i64,
        membership_type: MembershipType,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<MembershipRecord>>;
    async fn remove_membership(&self, channel_seq: i64, user_seq: i64) -> StoreResult<bool>;
    /// Sets the member's push preference; `false` (nothing written) when the
    /// user is not a member at the moment of the write.
    async fn set_push_preference(
        &self,
        channel_seq: i64,
        user_seq: i64,
        preference: &PushPreference,
        updated: Timestamp,
    ) -> StoreResult<bool>;

    // --- moderators ------------------------------------------------------
    async fn add_moderator(
        &self,
        channel_seq: i64,
        user_seq: i64,
        created_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> StoreResult<AddOutcome>;
    /// Oldest first, after `after_seq`.
    async fn list_moderators(
        &self,
        channel_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<ModeratorRecord>>;
    async fn remove_moderator(&self, channel_seq: i64, user_seq: i64) -> StoreResult<bool>;

    // --- bans ------------------------------------------------------------
    /// Bans the user, removing membership (with preferences) and moderator
    /// role in the same transaction. Idempotent; `Gone` when the channel or
    /// user was deleted meanwhile.
    async fn ban(
        &self,
        channel_seq: i64,
        user_seq: i64,
        created_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> StoreResult<()>;
    async fn get_ban(&self, channel_seq: i64, user_seq: i64) -> StoreResult<Option<BanRecord>>;
    /// Oldest first, after `after_seq`.
    async fn list_bans(
        &self,
        channel_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<BanRecord>>;
    async fn unban(&self, channel_seq: i64, user_seq: i64) -> StoreResult<bool>;

    // --- messages and pushes ---------------------------------------------
    /// Every member of the channel (both types) with preference and the
    /// endpoints whose `AllowMessages` is `ALL`, with the channel's
    /// audience version, in one indexed read.
    async fn push_audience(&self, channel_seq: i64) -> StoreResult<PushAudience>;
    /// What changed in the channel's push audience after `since_version`
    /// (an audience's version read earlier), from the log the audience
    /// triggers keep, in one indexed read whose cost follows the changes,
    /// not the channel. `None` when the log no longer reaches back to it
    /// (more than [`AUDIENCE_CHANGES_KEPT`] versions ago, from before the
    /// log, or no version of this channel): read the audience whole.
    async fn push_audience_changes(
        &self,
        channel_seq: i64,
        since_version: i64,
    ) -> StoreResult<Option<AudienceChanges>>;
    /// Stores the message, its deliveries and its claim in one transaction
    /// and sets the channel's last-message time. A replayed claim writes
    /// nothing. `Gone` when the channel was deleted meanwhile or the sender
    /// is no longer a member. Deliveries to users who are no longer members
    /// (removed or banned since the audience was read) are left out, so a
    /// ban committed before the message is never pushed past.
    async fn send_message(
        &self,
        message: NewMessage,
        deliveries: Vec<NewDelivery>,
        claim: RequestClaim,
    ) -> StoreResult<Created<MessageRecord>>;
    /// A persistent message.
    async fn get_message(
        &self,
        channel_seq: i64,
        message_id: &str,
    ) -> StoreResult<Option<MessageRecord>>;
    /// Persistent messages in the query's order and bounds, after `after`.
    async fn list_messages(
        &self,
        channel_seq: i64,
        query: &MessageQuery,
        after: Option<MessageCursor>,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>>;
    /// The deliveries of one message, in the order they were decided.
    async fn list_deliveries(
        &self,
        channel_arn: &str,
        message_id: &str,
    ) -> StoreResult<Vec<DeliveryRecord>>;
    /// Up to `limit` pending deliveries due at `now`, oldest due first, each
    /// leased until `lease_until` (its `next_attempt` moves there) so that
    /// no other worker takes it meanwhile.
    async fn claim_due_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRecord>>;
    /// Records the acknowledged attempt: `attempts` grows by one.
    async fn mark_delivered(&self, delivery_seq: i64) -> StoreResult<()>;
    /// Records a failed attempt: `attempts` grows by one and the delivery
    /// is due again at `next_attempt`.
    async fn reschedule_delivery(
        &self,
        delivery_seq: i64,
        next_attempt: Timestamp,
    ) -> StoreResult<()>;
    /// Forgets request claims made before `cutoff`.
    async fn forget_request_claims(&self, cutoff: Timestamp, limit: u32) -> StoreResult<u64>;
}
