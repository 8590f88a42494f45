//! Chime records as they cross the store boundary. ARNs and names that a
//! record shows of *other* resources (who created a channel, who sent a
//! message) are kept as text snapshots, so deleting a user rewrites nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use crate::Tags;

/// Attribute name to its string values, as a message carries them.
pub type Attributes = BTreeMap<String, Vec<String>>;

/// An idempotency claim: `token` for `operation` in `account_id`, bound to
/// a digest of the whole request. Stored in the same transaction as what
/// the request creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestClaim {
    pub account_id: String,
    pub operation: &'static str,
    pub token: String,
    pub request_digest: String,
    pub claimed_at: Timestamp,
}

/// What a create with a [`RequestClaim`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Created<T> {
    New(T),
    /// The same token and request were seen before (within
    /// [`crate::CLIENT_TOKEN_TTL_MS`]); nothing was written. Carries the id
    /// the first request created.
    Replayed {
        resource_id: String,
    },
}

/// An identity as the wire shows it (`{"Arn", "Name"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySnapshot {
    pub arn: String,
    pub name: String,
}

// --- identity ---------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct NewAppInstance {
    pub account_id: String,
    pub id: String,
    pub name: String,
    pub metadata: String,
    pub tags: Tags,
    pub created: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppInstanceRecord {
    pub seq: i64,
    pub account_id: String,
    pub id: String,
    pub name: String,
    pub metadata: String,
    pub created: Timestamp,
    pub updated: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAppInstanceUser {
    pub app_instance_seq: i64,
    pub user_id: String,
    pub name: String,
    pub metadata: String,
    pub tags: Tags,
    pub created: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppInstanceUserRecord {
    pub seq: i64,
    pub app_instance_seq: i64,
    pub user_id: String,
    pub name: String,
    pub metadata: String,
    pub created: Timestamp,
    pub updated: Timestamp,
}

/// One AppInstanceAdmin: the row's own `seq` orders the listing.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminRecord {
    pub seq: i64,
    pub user: AppInstanceUserRecord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointType {
    Apns,
    ApnsSandbox,
    Gcm,
}

impl EndpointType {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointType::Apns => "APNS",
            EndpointType::ApnsSandbox => "APNS_SANDBOX",
            EndpointType::Gcm => "GCM",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "APNS" => Some(EndpointType::Apns),
            "APNS_SANDBOX" => Some(EndpointType::ApnsSandbox),
            "GCM" => Some(EndpointType::Gcm),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEndpoint {
    pub user_seq: i64,
    pub endpoint_id: String,
    pub name: String,
    pub endpoint_type: EndpointType,
    pub resource_arn: String,
    pub device_token: String,
    pub voip_device_token: Option<String>,
    pub allow_messages: bool,
    pub created: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EndpointRecord {
    pub seq: i64,
    pub user_seq: i64,
    pub endpoint_id: String,
    pub name: String,
    pub endpoint_type: EndpointType,
    pub resource_arn: String,
    pub device_token: String,
    pub voip_device_token: Option<String>,
    /// `AllowMessages`: `ALL` is true, `NONE` false.
    pub allow_messages: bool,
    pub created: Timestamp,
    pub updated: Timestamp,
}

/// The fields `UpdateAppInstanceUserEndpoint` may change; `None` keeps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndpointUpdate {
    pub name: Option<String>,
    pub allow_messages: Option<bool>,
}

// --- channels ---------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelMode {
    Unrestricted,
    Restricted,
}

impl ChannelMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelMode::Unrestricted => "UNRESTRICTED",
            ChannelMode::Restricted => "RESTRICTED",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "UNRESTRICTED" => Some(ChannelMode::Unrestricted),
            "RESTRICTED" => Some(ChannelMode::Restricted),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelPrivacy {
    Public,
    Private,
}

impl ChannelPrivacy {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelPrivacy::Public => "PUBLIC",
            ChannelPrivacy::Private => "PRIVATE",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "PUBLIC" => Some(ChannelPrivacy::Public),
            "PRIVATE" => Some(ChannelPrivacy::Private),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MembershipType {
    Default,
    Hidden,
}

impl MembershipType {
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipType::Default => "DEFAULT",
            MembershipType::Hidden => "HIDDEN",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "DEFAULT" => Some(MembershipType::Default),
            "HIDDEN" => Some(MembershipType::Hidden),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewChannel {
    pub app_instance_seq: i64,
    pub channel_id: String,
    pub name: String,
    pub mode: ChannelMode,
    pub privacy: ChannelPrivacy,
    pub metadata: String,
    pub tags: Tags,
    pub created_by: IdentitySnapshot,
    pub created: Timestamp,
    /// The creator's user seq: becomes a member and a moderator.
    pub creator_seq: i64,
    /// Further members (`MemberArns`), and users who become members and
    /// moderators (`ModeratorArns`); duplicates are harmless.
    pub member_seqs: Vec<i64>,
    pub moderator_seqs: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRecord {
    pub seq: i64,
    pub app_instance_seq: i64,
    pub channel_id: String,
    pub name: String,
    pub mode: ChannelMode,
    pub privacy: ChannelPrivacy,
    pub metadata: String,
    pub created_by: IdentitySnapshot,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub last_message: Option<Timestamp>,
    /// Changes whenever who a push in the channel reaches may change: a
    /// push audience read at this version is still current.
    pub audience_version: i64,
}

/// A user's standing in one channel, read in one query for permission
/// checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChannelStanding {
    pub membership: Option<MembershipType>,
    pub moderator: bool,
    pub banned: bool,
    /// AppInstanceAdmin of the channel's app instance.
    pub admin: bool,
}

/// `Preferences.PushNotifications` as stored: `AllowNotifications` and the
/// rule text (present exactly when `Filtered`; validated by the domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushPreference {
    All,
    None,
    Filtered { rule: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct MembershipRecord {
    /// The membership row's seq: orders the listing.
    pub seq: i64,
    pub channel_seq: i64,
    pub member: AppInstanceUserRecord,
    pub membership_type: MembershipType,
    pub invited_by: IdentitySnapshot,
    pub created: Timestamp,
    pub updated: Timestamp,
    /// `None` until the member sets preferences.
    pub push_preference: Option<PushPreference>,
}

/// What adding one user as a member (or moderator) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    AlreadyThere,
    /// The user is banned from the channel; nothing changed.
    Banned,
    /// The user was deleted meanwhile; nothing changed.
    NoSuchUser,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModeratorRecord {
    pub seq: i64,
    pub channel_seq: i64,
    pub moderator: AppInstanceUserRecord,
    pub created_by: IdentitySnapshot,
    pub created: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BanRecord {
    pub seq: i64,
    pub channel_seq: i64,
    pub member: AppInstanceUserRecord,
    pub created_by: IdentitySnapshot,
    pub created: Timestamp,
}

// --- messages and pushes ----------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushType {
    Default,
    Voip,
}

impl PushType {
    pub fn as_str(self) -> &'static str {
        match self {
            PushType::Default => "DEFAULT",
            PushType::Voip => "VOIP",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "DEFAULT" => Some(PushType::Default),
            "VOIP" => Some(PushType::Voip),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushNotification {
    pub title: Option<String>,
    pub body: Option<String>,
    pub push_type: PushType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub channel_seq: i64,
    pub message_id: String,
    pub content: String,
    pub metadata: String,
    /// `STANDARD` or `CONTROL`, as on the wire.
    pub message_type: String,
    /// `NON_PERSISTENT` messages are kept only for idempotency and are
    /// neither listed nor returned by `get_message`.
    pub persistent: bool,
    pub content_type: String,
    pub attributes: Attributes,
    pub push: Option<PushNotification>,
    pub sender: IdentitySnapshot,
    /// The sender's user seq: the message is stored only if they are still
    /// a member when it is.
    pub sender_seq: i64,
    /// The channel's audience version the deliveries were decided at
    /// (`PushAudience::version`); `None` when none was read.
    pub audience_version: Option<i64>,
    pub created: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    pub seq: i64,
    pub channel_seq: i64,
    pub message_id: String,
    pub content: String,
    pub metadata: String,
    pub message_type: String,
    pub persistent: bool,
    pub content_type: String,
    pub attributes: Attributes,
    pub push: Option<PushNotification>,
    pub sender: IdentitySnapshot,
    pub created: Timestamp,
}

/// Keyset cursor of a message listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageCursor {
    pub created_ms: i64,
    pub seq: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageQuery {
    pub ascending: bool,
    /// Inclusive bounds on the creation time.
    pub not_before: Option<Timestamp>,
    pub not_after: Option<Timestamp>,
}

/// Everyone a push in a channel may reach, as of the channel's
/// `audience_version` (read in the same snapshot), oldest membership first.
/// The candidates are shared so that an audience kept in memory is patched
/// (see [`PushAudience::patched`]) without copying its members.
#[derive(Debug, Clone, PartialEq)]
pub struct PushAudience {
    pub version: i64,
    pub candidates: Vec<Arc<PushCandidate>>,
}

/// One member who might receive a push: the member's preference and the
/// endpoints that accept messages (`AllowMessages` `ALL`).
#[derive(Debug, Clone, PartialEq)]
pub struct PushCandidate {
    /// The membership's seq: the audience's order.
    pub membership_seq: i64,
    pub member_seq: i64,
    pub user_id: String,
    pub push_preference: Option<PushPreference>,
    pub endpoints: Vec<PushEndpoint>,
}

/// What changed in a channel's push audience after some version, up to
/// `version`: every user whose place in it changed, and the candidates
/// those users now are (none for a user who is no longer a member), oldest
/// membership first.
#[derive(Debug, Clone, PartialEq)]
pub struct AudienceChanges {
    pub version: i64,
    pub users: Vec<i64>,
    pub candidates: Vec<PushCandidate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEndpoint {
    /// Shared with every delivery to the endpoint: a kept audience decides
    /// thousands of pushes per message without copying them.
    pub endpoint_id: Arc<str>,
    pub device_token: Arc<str>,
    pub voip_device_token: Option<Arc<str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting for the webhook to acknowledge it.
    Pending,
    Delivered,
    /// No webhook is configured: the record is the whole delivery.
    Recorded,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "PENDING",
            DeliveryState::Delivered => "DELIVERED",
            DeliveryState::Recorded => "RECORDED",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "PENDING" => Some(DeliveryState::Pending),
            "DELIVERED" => Some(DeliveryState::Delivered),
            "RECORDED" => Some(DeliveryState::Recorded),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub delivery_id: String,
    /// The recipient's user seq: the delivery is stored only if they are
    /// still a member when the message is.
    pub member_seq: i64,
    /// Shared by the member's deliveries, and the endpoint's values with
    /// the audience the push was decided from.
    pub member_arn: Arc<str>,
    pub endpoint_id: Arc<str>,
    pub device_token: Arc<str>,
    /// The message's own values, shared by all of its deliveries (a
    /// large channel's message has thousands).
    pub channel_arn: Arc<str>,
    pub message_id: Arc<str>,
    pub title: Option<Arc<str>>,
    pub body: Option<Arc<str>>,
    pub push_type: PushType,
    pub state: DeliveryState,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    pub seq: i64,
    pub delivery_id: String,
    pub member_arn: String,
    pub endpoint_id: String,
    pub device_token: String,
    pub channel_arn: String,
    pub message_id: String,
    pub title: Option<String>,
    pub body: Option<String>,
    pub push_type: PushType,
    pub created: Timestamp,
    pub state: DeliveryState,
    pub attempts: u32,
    /// When a pending delivery is next due (or its lease ends).
    pub next_attempt: Timestamp,
}
