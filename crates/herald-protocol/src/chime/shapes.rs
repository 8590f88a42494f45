//! Chime's JSON shapes, named as in the service models. Requests keep every
//! member optional so a missing one is reported by the domain by name;
//! members Herald refuses are captured as raw JSON to tell that they were
//! given. Responses are built here from the domain's views.

use std::collections::BTreeMap;

use herald_domain::chime::{
    AppInstanceUserView, AppInstanceView, ChannelRoleView, ChannelView, EndpointView,
    MembershipView, MessageView, PreferencesView,
};
use herald_store::chime::{DeliveryRecord, IdentitySnapshot, PushPreference};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::aws::timestamp::to_epoch_seconds;

// --- requests -------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: Option<String>,
    pub value: Option<String>,
}

pub fn tag_pairs(tags: Option<Vec<Tag>>) -> Option<Vec<(String, String)>> {
    tags.map(|tags| {
        tags.into_iter()
            .map(|tag| (tag.key.unwrap_or_default(), tag.value.unwrap_or_default()))
            .collect()
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAppInstanceRequest {
    pub name: Option<String>,
    pub metadata: Option<String>,
    pub client_request_token: Option<String>,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAppInstanceUserRequest {
    pub app_instance_arn: Option<String>,
    pub app_instance_user_id: Option<String>,
    pub name: Option<String>,
    pub metadata: Option<String>,
    pub client_request_token: Option<String>,
    pub tags: Option<Vec<Tag>>,
    pub expiration_settings: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAppInstanceAdminRequest {
    pub app_instance_admin_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointAttributes {
    pub device_token: Option<String>,
    pub voip_device_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterEndpointRequest {
    pub name: Option<String>,
    #[serde(rename = "Type")]
    pub endpoint_type: Option<String>,
    pub resource_arn: Option<String>,
    pub endpoint_attributes: Option<EndpointAttributes>,
    pub client_request_token: Option<String>,
    pub allow_messages: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateEndpointRequest {
    pub name: Option<String>,
    pub allow_messages: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateChannelRequest {
    pub app_instance_arn: Option<String>,
    pub name: Option<String>,
    pub mode: Option<String>,
    pub privacy: Option<String>,
    pub metadata: Option<String>,
    pub client_request_token: Option<String>,
    pub tags: Option<Vec<Tag>>,
    pub channel_id: Option<String>,
    pub member_arns: Option<Vec<String>>,
    pub moderator_arns: Option<Vec<String>>,
    pub elastic_channel_configuration: Option<Value>,
    pub expiration_settings: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateMembershipRequest {
    pub member_arn: Option<String>,
    #[serde(rename = "Type")]
    pub membership_type: Option<String>,
    pub sub_channel_id: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchCreateMembershipRequest {
    pub member_arns: Option<Vec<String>>,
    #[serde(rename = "Type")]
    pub membership_type: Option<String>,
    pub sub_channel_id: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateModeratorRequest {
    pub channel_moderator_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBanRequest {
    pub member_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PushNotificationConfiguration {
    pub title: Option<String>,
    pub body: Option<String>,
    #[serde(rename = "Type")]
    pub push_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageAttributeValue {
    pub string_values: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageRequest {
    pub content: Option<String>,
    #[serde(rename = "Type")]
    pub message_type: Option<String>,
    pub persistence: Option<String>,
    pub metadata: Option<String>,
    pub client_request_token: Option<String>,
    pub push_notification: Option<PushNotificationConfiguration>,
    pub message_attributes: Option<BTreeMap<String, MessageAttributeValue>>,
    pub sub_channel_id: Option<Value>,
    pub content_type: Option<String>,
    pub target: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PushNotificationPreferences {
    pub allow_notifications: Option<String>,
    pub filter_rule: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChannelMembershipPreferences {
    pub push_notifications: Option<PushNotificationPreferences>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutPreferencesRequest {
    pub preferences: Option<ChannelMembershipPreferences>,
}

// --- responses ------------------------------------------------------------

pub fn identity(identity: &IdentitySnapshot) -> Value {
    json!({ "Arn": identity.arn, "Name": identity.name })
}

pub fn app_instance(view: &AppInstanceView) -> Value {
    json!({
        "AppInstanceArn": view.arn,
        "Name": view.name,
        "Metadata": view.metadata,
        "CreatedTimestamp": to_epoch_seconds(view.created),
        "LastUpdatedTimestamp": to_epoch_seconds(view.updated),
    })
}

pub fn app_instance_summary(view: &AppInstanceView) -> Value {
    json!({ "AppInstanceArn": view.arn, "Name": view.name, "Metadata": view.metadata })
}

pub fn app_instance_user(view: &AppInstanceUserView) -> Value {
    json!({
        "AppInstanceUserArn": view.arn,
        "Name": view.name,
        "Metadata": view.metadata,
        "CreatedTimestamp": to_epoch_seconds(view.created),
        "LastUpdatedTimestamp": to_epoch_seconds(view.updated),
    })
}

pub fn app_instance_user_summary(view: &AppInstanceUserView) -> Value {
    json!({ "AppInstanceUserArn": view.arn, "Name": view.name, "Metadata": view.metadata })
}

fn endpoint_state() -> Value {
    // Herald cannot tell a dead device token: every endpoint is active.
    json!({ "Status": "ACTIVE" })
}

fn allow_messages(allow: bool) -> &'static str {
    if allow { "ALL" } else { "NONE" }
}

pub fn endpoint(view: &EndpointView) -> Value {
    let endpoint = &view.endpoint;
    let mut attributes = Map::new();
    attributes.insert("DeviceToken".into(), json!(endpoint.device_token));
    if let Some(voip) = &endpoint.voip_device_token {
        attributes.insert("VoipDeviceToken".into(), json!(voip));
    }
    json!({
        "AppInstanceUserArn": view.user_arn,
        "EndpointId": endpoint.endpoint_id,
        "Name": endpoint.name,
        "Type": endpoint.endpoint_type.as_str(),
        "ResourceArn": endpoint.resource_arn,
        "EndpointAttributes": attributes,
        "CreatedTimestamp": to_epoch_seconds(endpoint.created),
        "LastUpdatedTimestamp": to_epoch_seconds(endpoint.updated),
        "AllowMessages": allow_messages(endpoint.allow_messages),
        "EndpointState": endpoint_state(),
    })
}

pub fn endpoint_summary(view: &EndpointView) -> Value {
    let endpoint = &view.endpoint;
    json!({
        "AppInstanceUserArn": view.user_arn,
        "EndpointId": endpoint.endpoint_id,
        "Name": endpoint.name,
        "Type": endpoint.endpoint_type.as_str(),
        "AllowMessages": allow_messages(endpoint.allow_messages),
        "EndpointState": endpoint_state(),
    })
}

pub fn channel(view: &ChannelView) -> Value {
    let channel = &view.channel;
    let mut shape = json!({
        "Name": channel.name,
        "ChannelArn": view.arn,
        "Mode": channel.mode.as_str(),
        "Privacy": channel.privacy.as_str(),
        "Metadata": channel.metadata,
        "CreatedBy": identity(&channel.created_by),
        "CreatedTimestamp": to_epoch_seconds(channel.created),
        "LastUpdatedTimestamp": to_epoch_seconds(channel.updated),
    });
    if let (Some(last), Some(map)) = (channel.last_message, shape.as_object_mut()) {
        map.insert("LastMessageTimestamp".into(), json!(to_epoch_seconds(last)));
    }
    shape
}

pub fn channel_summary(view: &ChannelView) -> Value {
    let channel = &view.channel;
    let mut shape = json!({
        "Name": channel.name,
        "ChannelArn": view.arn,
        "Mode": channel.mode.as_str(),
        "Privacy": channel.privacy.as_str(),
        "Metadata": channel.metadata,
    });
    if let (Some(last), Some(map)) = (channel.last_message, shape.as_object_mut()) {
        map.insert("LastMessageTimestamp".into(), json!(to_epoch_seconds(last)));
    }
    shape
}

pub fn membership(view: &MembershipView) -> Value {
    json!({
        "InvitedBy": identity(&view.invited_by),
        "Type": view.membership_type.as_str(),
        "Member": identity(&view.member),
        "ChannelArn": view.channel_arn,
        "CreatedTimestamp": to_epoch_seconds(view.created),
        "LastUpdatedTimestamp": to_epoch_seconds(view.updated),
    })
}

pub fn ban(view: &ChannelRoleView) -> Value {
    json!({
        "Member": identity(&view.user),
        "ChannelArn": view.channel_arn,
        "CreatedTimestamp": to_epoch_seconds(view.created),
        "CreatedBy": identity(&view.created_by),
    })
}

pub fn preferences(view: &PreferencesView) -> Value {
    let mut preferences = Map::new();
    if let Some(push) = &view.push {
        let push = match push {
            PushPreference::All => json!({ "AllowNotifications": "ALL" }),
            PushPreference::None => json!({ "AllowNotifications": "NONE" }),
            PushPreference::Filtered { rule } => {
                json!({ "AllowNotifications": "FILTERED", "FilterRule": rule })
            }
        };
        preferences.insert("PushNotifications".into(), push);
    }
    json!({
        "ChannelArn": view.channel_arn,
        "Member": identity(&view.member),
        "Preferences": preferences,
    })
}

fn attributes(view: &MessageView) -> Value {
    let map: Map<String, Value> = view
        .message
        .attributes
        .iter()
        .map(|(name, values)| (name.clone(), json!({ "StringValues": values })))
        .collect();
    Value::Object(map)
}

fn message_members(view: &MessageView) -> Map<String, Value> {
    let message = &view.message;
    let mut shape = Map::new();
    shape.insert("MessageId".into(), json!(message.message_id));
    shape.insert("Content".into(), json!(message.content));
    shape.insert("Metadata".into(), json!(message.metadata));
    shape.insert("Type".into(), json!(message.message_type));
    shape.insert(
        "CreatedTimestamp".into(),
        json!(to_epoch_seconds(message.created)),
    );
    shape.insert(
        "LastUpdatedTimestamp".into(),
        json!(to_epoch_seconds(message.created)),
    );
    shape.insert("Sender".into(), identity(&message.sender));
    shape.insert("Redacted".into(), json!(false));
    shape.insert("Status".into(), json!({ "Value": "SENT" }));
    if !message.attributes.is_empty() {
        shape.insert("MessageAttributes".into(), attributes(view));
    }
    if !message.content_type.is_empty() {
        shape.insert("ContentType".into(), json!(message.content_type));
    }
    shape
}

pub fn message(view: &MessageView) -> Value {
    let mut shape = message_members(view);
    shape.insert("ChannelArn".into(), json!(view.channel_arn));
    shape.insert(
        "Persistence".into(),
        json!(if view.message.persistent {
            "PERSISTENT"
        } else {
            "NON_PERSISTENT"
        }),
    );
    Value::Object(shape)
}

pub fn message_summary(view: &MessageView) -> Value {
    Value::Object(message_members(view))
}

/// A delivery record as Herald's own endpoint and the webhook show it.
pub fn delivery(record: &DeliveryRecord) -> Value {
    json!({
        "DeliveryId": record.delivery_id,
        "MemberArn": record.member_arn,
        "EndpointId": record.endpoint_id,
        "DeviceToken": record.device_token,
        "ChannelArn": record.channel_arn,
        "MessageId": record.message_id,
        "Title": record.title,
        "Body": record.body,
        "Type": record.push_type.as_str(),
        "CreatedAt": record.created.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "State": record.state.as_str(),
        "Attempts": record.attempts,
    })
}
