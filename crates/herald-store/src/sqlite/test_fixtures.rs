//! Records for the SQLite store's own unit tests.

use jiff::{SignedDuration, Timestamp};

use super::SqliteStore;
use crate::{InstanceRecord, NewNotification, NewUser, Priority, Store, Tags, UserRecord};

/// An instance of account 000000000000 with id `i`.
pub(super) async fn test_instance(store: &SqliteStore, now: Timestamp) -> InstanceRecord {
    store
        .create_instance(crate::NewInstance {
            account_id: "000000000000".into(),
            id: "i".into(),
            arn: "arn:aws:connect:us-east-1:000000000000:instance/i".into(),
            alias: None,
            identity_management_type: "CONNECT_MANAGED".into(),
            inbound_calls_enabled: true,
            outbound_calls_enabled: true,
            tags: Tags::new(),
            created_at: now,
        })
        .await
        .expect("instance")
}

/// A user of `instance` whose id and username are `id`.
pub(super) async fn test_user(
    store: &SqliteStore,
    instance: &InstanceRecord,
    id: &str,
    now: Timestamp,
) -> UserRecord {
    store
        .create_user(NewUser {
            instance_seq: instance.seq,
            id: id.into(),
            arn: format!("{}/agent/{id}", instance.arn),
            username: id.into(),
            settings: serde_json::json!({}),
            tags: Tags::new(),
            modified_at: now,
            modified_region: "us-east-1".into(),
        })
        .await
        .expect("user")
}

/// A notification `id` to the user of `user_seq` (who need not exist),
/// expiring in an hour.
pub(super) fn test_notification(
    instance: &InstanceRecord,
    user: &UserRecord,
    user_seq: i64,
    id: &str,
    now: Timestamp,
) -> NewNotification {
    NewNotification {
        instance_seq: instance.seq,
        arn: format!("{}/notification/{id}", instance.arn),
        id: id.into(),
        content: [("en_US".to_owned(), "hello".to_owned())].into(),
        priority: Priority::Low,
        recipients: vec![user.arn.clone()],
        broadcast: false,
        direct_user_seqs: vec![user_seq],
        tags: Tags::new(),
        created_at: now,
        expires_at: now + SignedDuration::from_hours(1),
        region: "us-east-1".into(),
        client_token: None,
    }
}
