//! Row decoding for every engine. The SQLite and PostgreSQL schemas keep
//! the same columns under the same names (integers as 64-bit, times as
//! epoch milliseconds, JSON as text), so one decoder per record serves the
//! row types of both; each store only says which row it hands over.

use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::{
    InstanceRecord, Notification, Priority, StoreError, StoreResult, UserNotification, UserRecord,
    UserStatus,
};

/// A row that yields a `T` from a named column: every sqlx row, for the
/// types its engine decodes.
pub(crate) trait Decodes<T>: Row {
    fn decode_column(&self, column: &str) -> StoreResult<T>;
}

impl<R, T> Decodes<T> for R
where
    R: Row,
    T: for<'r> Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    fn decode_column(&self, column: &str) -> StoreResult<T> {
        self.try_get(column)
            .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
    }
}

/// The column types Herald's records are made of, as one bound: supertraits
/// are implied wherever `R: HeraldRow` holds, so a decoder need not repeat
/// each engine's `Decode` and `Type` bounds.
pub(crate) trait HeraldRow:
    Decodes<i64> + Decodes<bool> + Decodes<String> + Decodes<Option<String>> + Decodes<Option<i64>>
{
}

impl<R> HeraldRow for R where
    R: Decodes<i64>
        + Decodes<bool>
        + Decodes<String>
        + Decodes<Option<String>>
        + Decodes<Option<i64>>
{
}

/// Columns of `notifications n` in the order [`notification`] expects.
pub(crate) const NOTIFICATION_COLUMNS: &str = "n.seq, n.instance_seq, n.id, n.arn, n.content, \
     n.urgency, n.recipients, n.broadcast, n.tags, n.created_at, n.expires_at, n.modified_at, \
     n.modified_region";

/// The same columns unqualified, for `RETURNING`.
pub(crate) const NOTIFICATION_FIELDS: &str = "seq, instance_seq, id, arn, content, urgency, \
     recipients, broadcast, tags, created_at, expires_at, modified_at, modified_region";

pub(crate) const INSTANCE_COLUMNS: &str = "seq, account_id, id, arn, alias, \
     identity_management_type, inbound_calls_enabled, outbound_calls_enabled, tags, created_at";

pub(crate) const USER_COLUMNS: &str =
    "seq, instance_seq, id, arn, username, settings, tags, modified_at, modified_region";

/// Milliseconds since the epoch, the unit every time column uses.
pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn timestamp(ms: i64, column: &str) -> StoreResult<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Corrupt(format!("{column}: {ms} is not a time: {e}")))
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    // Maps with string keys and plain values always serialise; an error
    // here would be a bug, reported rather than panicking.
    serde_json::to_string(value)
        .map_err(|e| StoreError::Unavailable(format!("cannot encode JSON column: {e}")))
}

pub(crate) fn from_json<T: DeserializeOwned>(text: &str, column: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

pub(crate) fn get<T>(row: &impl Decodes<T>, column: &str) -> StoreResult<T> {
    row.decode_column(column)
}

pub(crate) fn get_time(row: &impl Decodes<i64>, column: &str) -> StoreResult<Timestamp> {
    timestamp(get(row, column)?, column)
}

pub(crate) fn get_json<T: DeserializeOwned>(
    row: &impl Decodes<String>,
    column: &str,
) -> StoreResult<T> {
    let text: String = get(row, column)?;
    from_json(&text, column)
}

pub(crate) fn all<R, T>(rows: &[R], decode: fn(&R) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(decode).collect()
}

pub(crate) fn instance<R: HeraldRow>(row: &R) -> StoreResult<InstanceRecord> {
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

pub(crate) fn user<R: HeraldRow>(row: &R) -> StoreResult<UserRecord> {
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

pub(crate) fn notification<R: HeraldRow>(row: &R) -> StoreResult<Notification> {
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
pub(crate) fn user_notification<R: HeraldRow>(row: &R) -> StoreResult<UserNotification> {
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

/// Both engines' unread-count row: (count, soonest expiry in ms).
pub(crate) fn unread_count(
    count: i64,
    next_expiry: Option<i64>,
) -> StoreResult<crate::UnreadCount> {
    Ok(crate::UnreadCount {
        count: u32::try_from(count)
            .map_err(|_| StoreError::Corrupt(format!("unread count {count} out of range")))?,
        next_expiry: next_expiry
            .map(|at| timestamp(at, "expires_at"))
            .transpose()?,
    })
}
