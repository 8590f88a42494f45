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

/// Columns of `notifications n` that a user's listing shows, in the order
/// of [`UserNotificationColumns`] (a `status` column follows them).
pub(crate) const USER_NOTIFICATION_COLUMNS: &str = "n.seq, n.instance_seq, n.id, n.content, \
     n.urgency, n.created_at, n.expires_at, n.modified_at";

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

/// A notification's stored columns, before their values are checked: the
/// one place where stored numbers become priorities and times, whichever
/// way the row arrived (a driver row, or SQLite's JSON page below).
#[derive(serde::Deserialize)]
pub(crate) struct NotificationColumns {
    pub seq: i64,
    pub instance_seq: i64,
    pub id: String,
    pub arn: String,
    pub content: crate::Content,
    pub urgency: i64,
    pub recipients: Vec<String>,
    pub broadcast: bool,
    pub tags: crate::Tags,
    pub created_at: i64,
    pub expires_at: i64,
    pub modified_at: i64,
    pub modified_region: String,
}

impl NotificationColumns {
    pub(crate) fn into_notification(self) -> StoreResult<Notification> {
        let priority = priority(self.urgency)?;
        Ok(Notification {
            seq: self.seq,
            instance_seq: self.instance_seq,
            id: self.id,
            arn: self.arn,
            content: self.content,
            priority,
            recipients: self.recipients,
            broadcast: self.broadcast,
            tags: self.tags,
            created_at: timestamp(self.created_at, "created_at")?,
            expires_at: timestamp(self.expires_at, "expires_at")?,
            modified_at: timestamp(self.modified_at, "modified_at")?,
            modified_region: self.modified_region,
        })
    }
}

fn priority(urgency: i64) -> StoreResult<Priority> {
    Priority::from_urgency(urgency)
        .ok_or_else(|| StoreError::Corrupt(format!("urgency: unknown value {urgency}")))
}

pub(crate) fn notification<R: HeraldRow>(row: &R) -> StoreResult<Notification> {
    NotificationColumns {
        seq: get(row, "seq")?,
        instance_seq: get(row, "instance_seq")?,
        id: get(row, "id")?,
        arn: get(row, "arn")?,
        content: get_json(row, "content")?,
        urgency: get(row, "urgency")?,
        recipients: get_json(row, "recipients")?,
        broadcast: get(row, "broadcast")?,
        tags: get_json(row, "tags")?,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        modified_at: get(row, "modified_at")?,
        modified_region: get(row, "modified_region")?,
    }
    .into_notification()
}

/// A stored status (`None`: no row, so UNREAD).
pub(crate) fn user_status(stored: Option<&str>) -> StoreResult<UserStatus> {
    match stored {
        None => Ok(UserStatus::Unread),
        Some(text) => UserStatus::parse(text)
            .ok_or_else(|| StoreError::Corrupt(format!("status: unknown value {text:?}"))),
    }
}

/// A listing entry's stored columns ([`USER_NOTIFICATION_COLUMNS`] and the
/// status), before their values are checked, as [`NotificationColumns`].
#[derive(serde::Deserialize)]
pub(crate) struct UserNotificationColumns {
    pub seq: i64,
    pub instance_seq: i64,
    pub id: String,
    pub content: crate::Content,
    pub urgency: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub modified_at: i64,
    pub status: Option<String>,
}

impl UserNotificationColumns {
    pub(crate) fn into_user_notification(self) -> StoreResult<UserNotification> {
        Ok(UserNotification {
            seq: self.seq,
            instance_seq: self.instance_seq,
            id: self.id,
            content: self.content,
            priority: priority(self.urgency)?,
            created_at: timestamp(self.created_at, "created_at")?,
            expires_at: timestamp(self.expires_at, "expires_at")?,
            modified_at: timestamp(self.modified_at, "modified_at")?,
            status: user_status(self.status.as_deref())?,
        })
    }
}

/// A row of [`USER_NOTIFICATION_COLUMNS`] and a nullable `status` column.
pub(crate) fn user_notification<R: HeraldRow>(row: &R) -> StoreResult<UserNotification> {
    UserNotificationColumns {
        seq: get(row, "seq")?,
        instance_seq: get(row, "instance_seq")?,
        id: get(row, "id")?,
        content: get_json(row, "content")?,
        urgency: get(row, "urgency")?,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        modified_at: get(row, "modified_at")?,
        status: get(row, "status")?,
    }
    .into_user_notification()
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
