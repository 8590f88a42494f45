//! Row decoding, JSON columns and error mapping.

use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::sqlite::{Sqlite, SqliteRow};
use sqlx::{Decode, Row, Type};

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

/// Undecodable values are damage or a bug (`Corrupt`); anything else the
/// engine reports means it could not do the work (`Unavailable`).
pub(super) fn db_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(e.to_string()),
        // A write referring to a row deleted meanwhile (a user removed
        // while a notification to them is created).
        ref other
            if other
                .as_database_error()
                .is_some_and(|d| d.is_foreign_key_violation()) =>
        {
            StoreError::Gone(other.to_string())
        }
        other => StoreError::Unavailable(other.to_string()),
    }
}

pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Milliseconds since the epoch, the unit every time column uses.
pub(super) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(super) fn timestamp(ms: i64, column: &str) -> StoreResult<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Corrupt(format!("{column}: {ms} is not a time: {e}")))
}

pub(super) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    // Maps with string keys and plain values always serialise; an error
    // here would be a bug, reported rather than panicking.
    serde_json::to_string(value)
        .map_err(|e| StoreError::Unavailable(format!("cannot encode JSON column: {e}")))
}

fn from_json<T: DeserializeOwned>(text: &str, column: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

pub(super) fn get<'r, T>(row: &'r SqliteRow, column: &str) -> StoreResult<T>
where
    T: Decode<'r, Sqlite> + Type<Sqlite>,
{
    row.try_get(column)
        .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

pub(super) fn get_time(row: &SqliteRow, column: &str) -> StoreResult<Timestamp> {
    timestamp(get(row, column)?, column)
}

pub(super) fn get_json<T: DeserializeOwned>(row: &SqliteRow, column: &str) -> StoreResult<T> {
    let text: String = get(row, column)?;
    from_json(&text, column)
}

pub(super) fn instance(row: &SqliteRow) -> StoreResult<InstanceRecord> {
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

pub(super) fn user(row: &SqliteRow) -> StoreResult<UserRecord> {
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

pub(super) fn notification(row: &SqliteRow) -> StoreResult<Notification> {
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
pub(super) fn user_notification(row: &SqliteRow) -> StoreResult<UserNotification> {
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

pub(super) fn all<T>(
    rows: &[SqliteRow],
    decode: fn(&SqliteRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    rows.iter().map(decode).collect()
}
