//! Decoders for the Connect records and the column lists they expect.

use sqlx::postgres::PgRow;

use super::rows::{get, get_json, get_time};
use crate::{
    InstanceRecord, Notification, Priority, StoreError, StoreResult, UserNotification, UserRecord,
    UserStatus,
};

/// Columns of `notifications n` in the order [`notification`] expects.
pub(super) const NOTIFICATION_COLUMNS: &str = "n.seq, n.instance_seq, n.id, n.arn, n.content, \
     n.urgency, n.recipients, n.broadcast, n.tags, n.created_at, n.expires_at, n.modified_at, \
     n.modified_region";

pub(super) const INSTANCE_COLUMNS: &str = "seq, account_id, id, arn, alias, \
     identity_management_type, inbound_calls_enabled, outbound_calls_enabled, tags, created_at";

pub(super) const USER_COLUMNS: &str =
    "seq, instance_seq, id, arn, username, settings, tags, modified_at, modified_region";

pub(super) fn instance(row: &PgRow) -> StoreResult<InstanceRecord> {
    Ok(InstanceRecord {
        seq: get(row, "seq")?,
        account_id: get(row, "account_id")?,
        id: get(row, "id")?,
        arn: get(row, "arn")?,
        alias: get(row, "alias")?,
        identity_management_type: get(row, "identity_management_type")?,
        inbound_calls_enabled: get(row, "inbound_calls_enabled")?,
        outbound_calls_enabled: get(row, "outbound_calls_enabled")?,
        tags: get_json(row, "tags")?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(super) fn user(row: &PgRow) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        seq: get(row, "seq")?,
        instance_seq: get(row, "instance_seq")?,
        id: get(row, "id")?,
        arn: get(row, "arn")?,
        username: get(row, "username")?,
        settings: get_json(row, "settings")?,
        tags: get_json(row, "tags")?,
        modified_at: get_time(row, "modified_at")?,
        modified_region: get(row, "modified_region")?,
    })
}

pub(super) fn notification(row: &PgRow) -> StoreResult<Notification> {
    let urgency: i64 = get(row, "urgency")?;
    let priority = Priority::from_urgency(urgency)
        .ok_or_else(|| StoreError::Corrupt(format!("urgency: unknown value {urgency}")))?;
    Ok(Notification {
        seq: get(row, "seq")?,
        instance_seq: get(row, "instance_seq")?,
        id: get(row, "id")?,
        arn: get(row, "arn")?,
        content: get_json(row, "content")?,
        priority,
        recipients: get_json(row, "recipients")?,
        broadcast: get(row, "broadcast")?,
        tags: get_json(row, "tags")?,
        created_at: get_time(row, "created_at")?,
        expires_at: get_time(row, "expires_at")?,
        modified_at: get_time(row, "modified_at")?,
        modified_region: get(row, "modified_region")?,
    })
}

/// A notification row followed by a nullable `status` column.
pub(super) fn user_notification(row: &PgRow) -> StoreResult<UserNotification> {
    let status = match get::<Option<String>>(row, "status")? {
        None => UserStatus::Unread,
        Some(text) => UserStatus::parse(&text)
            .ok_or_else(|| StoreError::Corrupt(format!("status: unknown value {text:?}")))?,
    };
    Ok(UserNotification {
        notification: notification(row)?,
        status,
    })
}
