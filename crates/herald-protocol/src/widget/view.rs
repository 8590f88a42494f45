//! The JSON the widget reads: notifications as one user sees them, with
//! content rendered from markdown once per version, not once per stream.

use std::sync::Arc;

use herald_domain::live::{HubBody, LiveEvent, Unread};
use herald_store::{Notification, UserNotification, UserStatus};
use quick_cache::sync::Cache;
use serde_json::{Value, json};

use super::markdown;

/// What an item shows of a notification, from a listing's entry or from a
/// live change's whole notification.
#[derive(Clone, Copy)]
struct Shown<'a> {
    instance_seq: i64,
    seq: i64,
    id: &'a str,
    content: &'a herald_store::Content,
    priority: herald_store::Priority,
    created_at: jiff::Timestamp,
    expires_at: jiff::Timestamp,
    modified_at: jiff::Timestamp,
}

/// `Shown` from each record that has its fields, under the same names.
macro_rules! shown_from {
    ($($record:ty),+) => {$(
        impl<'a> From<&'a $record> for Shown<'a> {
            fn from(n: &'a $record) -> Self {
                Shown {
                    instance_seq: n.instance_seq,
                    seq: n.seq,
                    id: &n.id,
                    content: &n.content,
                    priority: n.priority,
                    created_at: n.created_at,
                    expires_at: n.expires_at,
                    modified_at: n.modified_at,
                }
            }
        }
    )+};
}

shown_from!(Notification, UserNotification);

/// Serialised items by (instance, notification, last modified, status):
/// a change seen by thousands of streams is rendered and serialised once.
pub struct RenderCache {
    rendered: Cache<(i64, String, i64, Option<UserStatus>), Arc<str>>,
}

impl RenderCache {
    pub fn new() -> Self {
        RenderCache {
            rendered: Cache::new(4096),
        }
    }

    fn item(&self, notification: Shown<'_>, status: Option<UserStatus>) -> Arc<str> {
        let key = (
            notification.instance_seq,
            notification.id.to_owned(),
            notification.modified_at.as_millisecond(),
            status,
        );
        let render = || -> Result<Arc<str>, std::convert::Infallible> {
            let content: serde_json::Map<String, Value> = notification
                .content
                .iter()
                .map(|(locale, text)| (locale.clone(), Value::String(markdown::render(text))))
                .collect();
            let item = json!({
                "NotificationId": notification.id,
                "Priority": notification.priority.as_str(),
                "CreatedAt": notification.created_at.as_millisecond(),
                "ExpiresAt": notification.expires_at.as_millisecond(),
                "Status": status.map(UserStatus::as_str),
                "Content": content,
                "Order": [
                    notification.priority.urgency(),
                    notification.created_at.as_millisecond(),
                    notification.seq,
                ],
            });
            Ok(Arc::from(item.to_string()))
        };
        match self.rendered.get_or_insert_with(&key, render) {
            Ok(item) => item,
            Err(never) => match never {},
        }
    }

    /// The SSE event name, id and JSON data of a live event.
    pub fn event(&self, event: &LiveEvent) -> (&'static str, String, String) {
        match event {
            LiveEvent::Snapshot { id, items, unread } => ("snapshot", id.clone(), {
                let items: Vec<Arc<str>> = items
                    .iter()
                    .map(|item: &UserNotification| self.item(Shown::from(item), Some(item.status)))
                    .collect();
                format!(
                    "{{\"Items\":[{}],\"Unread\":{}}}",
                    items.join(","),
                    unread_json(*unread)
                )
            }),
            LiveEvent::Change { id, event } => match &event.body {
                HubBody::Upsert {
                    notification,
                    created,
                    ..
                } => (
                    "notification",
                    id.clone(),
                    // A new notification is UNREAD for everyone; after a
                    // content change the client keeps the status it has.
                    // A stream sends the event only once it has read the
                    // notification.
                    format!(
                        "{{\"Item\":{},\"Created\":{created}}}",
                        notification.get().map_or_else(
                            || "null".to_owned(),
                            |notification| self
                                .item(notification.into(), created.then_some(UserStatus::Unread))
                                .to_string()
                        )
                    ),
                ),
                HubBody::Deleted { notification_id } => (
                    "removed",
                    id.clone(),
                    json!({ "NotificationId": notification_id, "Reason": "DELETED" }).to_string(),
                ),
                HubBody::Status {
                    notification_id,
                    status,
                    notification,
                } => {
                    // With the item, a client that hid it can show it again.
                    let item = match notification.get() {
                        Some(notification) if *status != UserStatus::Hidden => {
                            self.item(notification.into(), Some(*status)).to_string()
                        }
                        _ => "null".to_owned(),
                    };
                    (
                        "status",
                        id.clone(),
                        format!(
                            "{{\"NotificationId\":{},\"Status\":\"{}\",\"Item\":{item}}}",
                            Value::String(notification_id.clone()),
                            status.as_str()
                        ),
                    )
                }
            },
            LiveEvent::Expired {
                id,
                notification_id,
            } => (
                "removed",
                id.clone(),
                json!({ "NotificationId": notification_id, "Reason": "EXPIRED" }).to_string(),
            ),
            LiveEvent::Unread { id, unread } => {
                ("unread", id.clone(), unread_json(*unread).to_string())
            }
        }
    }
}

impl Default for RenderCache {
    fn default() -> Self {
        Self::new()
    }
}

fn unread_json(unread: Unread) -> Value {
    json!({ "Count": unread.count, "Capped": unread.capped })
}
