//! Connect's JSON shapes, named as in the service model. Requests keep
//! every member optional so that a missing one is reported by the domain
//! with its name; responses omit absent members.

use std::collections::BTreeMap;

use herald_store::{InstanceRecord, Notification, UserNotification, UserRecord};
use serde::{Deserialize, Serialize};

use crate::aws::timestamp::to_epoch_seconds;

pub type StringMap = BTreeMap<String, String>;

fn tags_if_any(tags: &StringMap) -> Option<StringMap> {
    (!tags.is_empty()).then(|| tags.clone())
}

// --- requests -------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateInstanceRequest {
    pub client_token: Option<String>,
    pub identity_management_type: Option<String>,
    pub instance_alias: Option<String>,
    pub directory_id: Option<String>,
    pub inbound_calls_enabled: Option<bool>,
    pub outbound_calls_enabled: Option<bool>,
    pub tags: Option<StringMap>,
}

/// The members of CreateUser that DescribeUser echoes back, with the JSON
/// kind each must have.
pub const USER_ECHOED_MEMBERS: [(&str, JsonKind); 9] = [
    ("IdentityInfo", JsonKind::Object),
    ("PhoneConfig", JsonKind::Object),
    ("DirectoryUserId", JsonKind::String),
    ("HierarchyGroupId", JsonKind::String),
    ("AutoAcceptConfigs", JsonKind::Array),
    ("AfterContactWorkConfigs", JsonKind::Array),
    ("PhoneNumberConfigs", JsonKind::Array),
    ("PersistentConnectionConfigs", JsonKind::Array),
    ("VoiceEnhancementConfigs", JsonKind::Array),
];

#[derive(Debug, Clone, Copy)]
pub enum JsonKind {
    Object,
    Array,
    String,
}

impl JsonKind {
    pub fn accepts(self, value: &serde_json::Value) -> bool {
        match self {
            JsonKind::Object => value.is_object(),
            JsonKind::Array => value.is_array(),
            JsonKind::String => value.is_string(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateUserRequest {
    pub username: Option<String>,
    pub password: Option<String>,
    pub security_profile_ids: Option<Vec<String>>,
    pub routing_profile_id: Option<String>,
    pub tags: Option<StringMap>,
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateNotificationRequest {
    pub expires_at: Option<f64>,
    pub recipients: Option<Vec<String>>,
    pub priority: Option<String>,
    pub content: Option<StringMap>,
    pub tags: Option<StringMap>,
    pub predefined_notification_id: Option<String>,
    pub client_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateNotificationContentRequest {
    pub content: Option<StringMap>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateUserNotificationStatusRequest {
    pub status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TagResourceRequest {
    pub tags: Option<StringMap>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StringCondition {
    pub field_name: Option<String>,
    pub value: Option<String>,
    pub comparison_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchCriteria {
    pub or_conditions: Option<Vec<SearchCriteria>>,
    pub and_conditions: Option<Vec<SearchCriteria>>,
    pub string_condition: Option<StringCondition>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagCondition {
    pub tag_key: Option<String>,
    pub tag_value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagAndCondition {
    pub tag_conditions: Option<Vec<TagCondition>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeFilter {
    pub or_conditions: Option<Vec<TagAndCondition>>,
    pub and_condition: Option<TagAndCondition>,
    pub tag_condition: Option<TagCondition>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchFilter {
    pub attribute_filter: Option<AttributeFilter>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchNotificationsRequest {
    pub instance_id: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub search_filter: Option<SearchFilter>,
    pub search_criteria: Option<SearchCriteria>,
}

// --- responses ------------------------------------------------------------

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceShape {
    pub id: String,
    pub arn: String,
    pub identity_management_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_alias: Option<String>,
    pub created_time: f64,
    pub instance_status: &'static str,
    pub inbound_calls_enabled: bool,
    pub outbound_calls_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<StringMap>,
}

impl InstanceShape {
    pub fn from_record(instance: &InstanceRecord, with_tags: bool) -> Self {
        InstanceShape {
            id: instance.id.clone(),
            arn: instance.arn.clone(),
            identity_management_type: instance.identity_management_type.clone(),
            instance_alias: instance.alias.clone(),
            created_time: to_epoch_seconds(instance.created_at),
            instance_status: "ACTIVE",
            inbound_calls_enabled: instance.inbound_calls_enabled,
            outbound_calls_enabled: instance.outbound_calls_enabled,
            tags: if with_tags {
                tags_if_any(&instance.tags)
            } else {
                None
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserSummaryShape {
    pub id: String,
    pub arn: String,
    pub username: String,
    pub last_modified_time: f64,
    pub last_modified_region: String,
}

impl From<&UserRecord> for UserSummaryShape {
    fn from(user: &UserRecord) -> Self {
        UserSummaryShape {
            id: user.id.clone(),
            arn: user.arn.clone(),
            username: user.username.clone(),
            last_modified_time: to_epoch_seconds(user.modified_at),
            last_modified_region: user.modified_region.clone(),
        }
    }
}

/// `User` of DescribeUser: the summary members, the echoed settings and tags.
pub fn user_shape(user: &UserRecord) -> serde_json::Value {
    let mut shape = match &user.settings {
        serde_json::Value::Object(settings) => settings.clone(),
        _ => serde_json::Map::new(),
    };
    if let Ok(serde_json::Value::Object(summary)) =
        serde_json::to_value(UserSummaryShape::from(user))
    {
        shape.extend(summary);
    }
    if let Some(tags) = tags_if_any(&user.tags) {
        shape.insert("Tags".into(), serde_json::json!(tags));
    }
    serde_json::Value::Object(shape)
}

/// `Notification` (Describe, List) and `NotificationSearchSummary` (Search,
/// which adds `InstanceId`), borrowed from the stored notification: a page
/// is serialised straight from the store's records.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationShape<'a> {
    pub id: &'a str,
    pub arn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<&'a str>,
    pub content: &'a StringMap,
    pub priority: &'static str,
    pub recipients: &'a [String],
    pub created_at: f64,
    pub expires_at: f64,
    pub last_modified_time: f64,
    pub last_modified_region: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<&'a StringMap>,
}

impl<'a> NotificationShape<'a> {
    pub fn new(notification: &'a Notification, instance_id: Option<&'a str>) -> Self {
        NotificationShape {
            id: &notification.id,
            arn: &notification.arn,
            instance_id,
            content: &notification.content,
            priority: notification.priority.as_str(),
            recipients: &notification.recipients,
            created_at: to_epoch_seconds(notification.created_at),
            expires_at: to_epoch_seconds(notification.expires_at),
            last_modified_time: to_epoch_seconds(notification.modified_at),
            last_modified_region: &notification.modified_region,
            tags: (!notification.tags.is_empty()).then_some(&notification.tags),
        }
    }
}

/// One entry of a user's listing, borrowed from the stored notification
/// (a page is serialised straight from the store's records).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserNotificationShape<'a> {
    pub notification_id: &'a str,
    pub notification_status: &'static str,
    pub instance_id: &'a str,
    pub recipient_id: &'a str,
    pub content: &'a StringMap,
    pub priority: &'static str,
    pub source: &'static str,
    pub created_at: f64,
    pub expires_at: f64,
}

impl<'a> UserNotificationShape<'a> {
    pub fn new(entry: &'a UserNotification, instance_id: &'a str, user_id: &'a str) -> Self {
        UserNotificationShape {
            notification_id: &entry.id,
            notification_status: entry.status.as_str(),
            instance_id,
            recipient_id: user_id,
            content: &entry.content,
            priority: entry.priority.as_str(),
            source: "CUSTOMER",
            created_at: to_epoch_seconds(entry.created_at),
            expires_at: to_epoch_seconds(entry.expires_at),
        }
    }
}
