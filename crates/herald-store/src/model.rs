//! Records that cross the store boundary. They carry no rules: validation
//! lives in `herald-domain`, wire shapes in `herald-protocol`.

use std::collections::BTreeMap;

use jiff::Timestamp;

/// Tags as stored: ordered so that equal tag sets compare and hash equally.
pub type Tags = BTreeMap<String, String>;

/// Localized content, keyed by the `LocaleCode` wire value (`en_US`, …).
pub type Content = BTreeMap<String, String>;

/// Notification priority. Ordered by urgency so that listings can sort on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Low,
    High,
    Urgent,
}

impl Priority {
    /// Higher is more urgent; stored so that one descending index orders
    /// a user's listing (`URGENT`, `HIGH`, `LOW`, then newest first).
    pub fn urgency(self) -> i64 {
        match self {
            Priority::Low => 0,
            Priority::High => 1,
            Priority::Urgent => 2,
        }
    }

    pub fn from_urgency(value: i64) -> Option<Self> {
        match value {
            0 => Some(Priority::Low),
            1 => Some(Priority::High),
            2 => Some(Priority::Urgent),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "LOW",
            Priority::High => "HIGH",
            Priority::Urgent => "URGENT",
        }
    }
}

/// A user's status for one notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    Unread,
    Read,
    Hidden,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unread => "UNREAD",
            UserStatus::Read => "READ",
            UserStatus::Hidden => "HIDDEN",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "UNREAD" => Some(UserStatus::Unread),
            "READ" => Some(UserStatus::Read),
            "HIDDEN" => Some(UserStatus::Hidden),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewInstance {
    pub account_id: String,
    pub id: String,
    pub arn: String,
    pub alias: Option<String>,
    pub identity_management_type: String,
    pub inbound_calls_enabled: bool,
    pub outbound_calls_enabled: bool,
    pub tags: Tags,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRecord {
    /// Internal key; never leaves the server.
    pub seq: i64,
    pub account_id: String,
    pub id: String,
    pub arn: String,
    pub alias: Option<String>,
    pub identity_management_type: String,
    pub inbound_calls_enabled: bool,
    pub outbound_calls_enabled: bool,
    pub tags: Tags,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub instance_seq: i64,
    pub id: String,
    pub arn: String,
    pub username: String,
    /// The optional members of `CreateUser` that `DescribeUser` echoes
    /// (identity info, phone config, …), kept as the client sent them.
    pub settings: serde_json::Value,
    pub tags: Tags,
    pub modified_at: Timestamp,
    pub modified_region: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub seq: i64,
    pub instance_seq: i64,
    pub id: String,
    pub arn: String,
    pub username: String,
    pub settings: serde_json::Value,
    pub tags: Tags,
    pub modified_at: Timestamp,
    pub modified_region: String,
}

/// Idempotency key of a create: the client token and a digest of the
/// request it came with, so a replay can be told from a conflicting reuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTokenClaim {
    /// Tokens are unique per account, as AWS scopes them: a token reused
    /// in another instance of the account is a conflicting request.
    pub account_id: String,
    pub token: String,
    pub request_digest: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub instance_seq: i64,
    pub id: String,
    pub arn: String,
    pub content: Content,
    pub priority: Priority,
    /// Recipient ARNs as the client gave them (deduplicated), for echoing.
    pub recipients: Vec<String>,
    /// True when the instance ARN is among the recipients: the notification
    /// reaches every user of the instance and is stored once.
    pub broadcast: bool,
    /// Users addressed directly (empty when `broadcast`).
    pub direct_user_seqs: Vec<i64>,
    pub tags: Tags,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub region: String,
    pub client_token: Option<ClientTokenClaim>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub seq: i64,
    pub instance_seq: i64,
    pub id: String,
    pub arn: String,
    pub content: Content,
    pub priority: Priority,
    pub recipients: Vec<String>,
    pub broadcast: bool,
    pub tags: Tags,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub modified_at: Timestamp,
    pub modified_region: String,
}

/// What `create_notification` did.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateOutcome {
    Created(Notification),
    /// The client token was used before; the domain decides whether this
    /// is a replay (same digest) or a conflict.
    TokenSeen {
        notification_id: String,
        notification_arn: String,
        request_digest: String,
    },
    /// `PredefinedNotificationId` names a notification that exists.
    IdTaken,
}

/// One entry of a user's listing: what the listing and the widget show of
/// a notification, and that user's status. Not its recipients, tags, ARN
/// or region, which neither returns: a page reads and decodes only these.
#[derive(Debug, Clone, PartialEq)]
pub struct UserNotification {
    pub seq: i64,
    pub instance_seq: i64,
    pub id: String,
    pub content: Content,
    pub priority: Priority,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub modified_at: Timestamp,
    pub status: UserStatus,
}

impl UserNotification {
    /// The listing's order key of this entry (the same as its
    /// notification's [`Notification::user_list_cursor`]).
    pub fn user_list_cursor(&self) -> UserListCursor {
        UserListCursor::of(self.priority, self.created_at, self.seq)
    }
}

/// See [`crate::Store::unread_count`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnreadCount {
    pub count: u32,
    /// The soonest expiry among those counted: the count does not drop by
    /// itself before then (under a binding cap it may not drop then
    /// either; counting again is always right).
    pub next_expiry: Option<Timestamp>,
}

/// Position after the last item of a page of a user's listing
/// (urgency, created, seq; all descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserListCursor {
    pub urgency: i64,
    pub created_ms: i64,
    pub seq: i64,
}

impl UserListCursor {
    /// The position of a notification of this priority, creation and seq.
    pub fn of(priority: Priority, created_at: Timestamp, seq: i64) -> Self {
        UserListCursor {
            urgency: priority.urgency(),
            created_ms: created_at.as_millisecond(),
            seq,
        }
    }
}

/// Position after the last item of a newest-first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatedCursor {
    pub created_ms: i64,
    pub seq: i64,
}

impl Notification {
    pub fn created_cursor(&self) -> CreatedCursor {
        CreatedCursor {
            created_ms: self.created_at.as_millisecond(),
            seq: self.seq,
        }
    }

    pub fn user_list_cursor(&self) -> UserListCursor {
        UserListCursor::of(self.priority, self.created_at, self.seq)
    }
}

/// A write of one user's status for one notification.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusWrite {
    pub instance_seq: i64,
    pub notification_id: String,
    /// The user, by id within the instance: the write finds them itself,
    /// inside its own transaction (no lookup beforehand, one statement
    /// fewer, and no window for the user to go meanwhile).
    pub user_id: String,
    pub status: UserStatus,
    /// Listings and writes ignore notifications expired at this moment.
    pub now: Timestamp,
    /// Refuse the write if the stored last-modified time is later than this.
    pub not_older_than: Option<Timestamp>,
    pub modified_at: Timestamp,
    pub modified_region: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StatusOutcome {
    /// Written for the user of this seq.
    Written { user_seq: i64 },
    /// No user of that id in the instance.
    UserNotFound,
    /// No such notification, expired, or not sent to that user.
    NotFound,
    /// The stored status is newer than the write's `not_older_than`.
    Stale { stored_at: Timestamp },
}

#[derive(Debug, Clone, PartialEq)]
pub enum TagUpdateOutcome {
    Updated(Tags),
    NotFound,
    /// Applying the change would leave more tags than allowed.
    TooMany {
        would_have: usize,
    },
}

/// Which text of a notification a search condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchField {
    Id,
    Content,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// Case-sensitive equality.
    Exact,
    /// Case-insensitive substring.
    Contains,
    /// Case-insensitive prefix.
    StartsWith,
}

/// A validated search expression. Case-insensitive comparisons carry the
/// value already folded with [`fold_case`].
#[derive(Debug, Clone, PartialEq)]
pub enum SearchExpr {
    All(Vec<SearchExpr>),
    Any(Vec<SearchExpr>),
    Text {
        field: SearchField,
        comparison: Comparison,
        value: String,
    },
}

/// Tag filter in disjunctive normal form: an OR of ANDs of exact
/// key/value pairs.
pub type TagFilter = Vec<Vec<(String, String)>>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    pub criteria: Option<SearchExpr>,
    pub tags: Option<TagFilter>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub notifications: Vec<Notification>,
    pub total: u64,
}

/// The one case folding used for case-insensitive search, both when text
/// is stored and when a query value is prepared.
pub fn fold_case(text: &str) -> String {
    text.to_lowercase()
}
