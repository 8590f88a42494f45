//! What the Chime operations return: store records with the ARNs the wire
//! shows filled in.

use herald_store::chime::{
    ChannelRecord, DeliveryRecord, EndpointRecord, IdentitySnapshot, MembershipType, MessageRecord,
    PushPreference,
};
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct AppInstanceView {
    pub arn: String,
    pub name: String,
    pub metadata: String,
    pub created: Timestamp,
    pub updated: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppInstanceUserView {
    pub arn: String,
    pub name: String,
    pub metadata: String,
    pub created: Timestamp,
    pub updated: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EndpointView {
    pub user_arn: String,
    pub endpoint: EndpointRecord,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelView {
    pub arn: String,
    pub channel: ChannelRecord,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MembershipView {
    pub channel_arn: String,
    pub member: IdentitySnapshot,
    pub membership_type: MembershipType,
    pub invited_by: IdentitySnapshot,
    pub created: Timestamp,
    pub updated: Timestamp,
}

/// A moderator, or a banned member, of a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRoleView {
    pub channel_arn: String,
    pub user: IdentitySnapshot,
    pub created_by: IdentitySnapshot,
    pub created: Timestamp,
}

/// The outcome of `BatchCreateChannelMembership`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchMembershipView {
    pub channel_arn: String,
    pub membership_type: MembershipType,
    pub invited_by: IdentitySnapshot,
    pub members: Vec<IdentitySnapshot>,
    pub errors: Vec<BatchMemberError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchMemberError {
    pub member_arn: String,
    /// An `ErrorCode` of the model: `NotFound`, `Forbidden`, `BadRequest`.
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PreferencesView {
    pub channel_arn: String,
    pub member: IdentitySnapshot,
    pub push: Option<PushPreference>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageView {
    pub channel_arn: String,
    pub message: MessageRecord,
}

/// What `SendChannelMessage` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub channel_arn: String,
    pub message_id: String,
}

pub type DeliveryView = DeliveryRecord;
