use herald_store::postgres::PgStore;
use herald_store::{
    InstanceRecord, NewInstance, NewNotification, NewUser, Priority, Store, Tags, UserRecord,
};
use jiff::Timestamp;

/// 2030-01-01T00:00:00Z, the conformance suite's "now".
pub const NOW_MS: i64 = 1_893_456_000_000;
pub const DAY_MS: i64 = 24 * 3_600 * 1_000;

pub fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("time")
}

pub async fn instance(store: &PgStore, id: &str) -> InstanceRecord {
    store
        .create_instance(NewInstance {
            account_id: "acct".into(),
            id: id.into(),
            arn: format!("arn:aws:connect:us-east-1:acct:instance/{id}"),
            alias: None,
            identity_management_type: "CONNECT_MANAGED".into(),
            inbound_calls_enabled: true,
            outbound_calls_enabled: false,
            tags: Tags::new(),
            created_at: at(NOW_MS - DAY_MS),
        })
        .await
        .expect("instance")
}

pub async fn user(store: &PgStore, instance: &InstanceRecord, username: &str) -> UserRecord {
    store
        .create_user(NewUser {
            instance_seq: instance.seq,
            id: format!("user-{username}"),
            arn: format!("{}/agent/user-{username}", instance.arn),
            username: username.into(),
            settings: serde_json::json!({}),
            tags: Tags::new(),
            modified_at: at(NOW_MS - DAY_MS),
            modified_region: "us-east-1".into(),
        })
        .await
        .expect("user")
}

/// A broadcast LOW notification created a minute before now, expiring in
/// a day.
pub fn note(instance: &InstanceRecord, id: &str) -> NewNotification {
    NewNotification {
        instance_seq: instance.seq,
        id: id.into(),
        arn: format!("{}/notification/{id}", instance.arn),
        content: [("en_US".to_owned(), "hello".to_owned())].into(),
        priority: Priority::Low,
        recipients: vec![instance.arn.clone()],
        broadcast: true,
        direct_user_seqs: Vec::new(),
        tags: Tags::new(),
        created_at: at(NOW_MS - 60_000),
        expires_at: at(NOW_MS + DAY_MS),
        region: "us-east-1".into(),
        client_token: None,
    }
}
