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

/// Runs `write` on each of `inputs` as queued one after another behind a
/// held writer connection, so that they all wait for, and share, one batch,
/// in this order; their results, in order. (The committing task first takes
/// a job of no set and waits with it for the connection, so the writes
/// queue up behind it, however busy the machine.)
pub(super) async fn queued_in_one_batch<I, T, Fut>(
    store: &std::sync::Arc<SqliteStore>,
    inputs: impl IntoIterator<Item = I>,
    write: impl Fn(std::sync::Arc<SqliteStore>, I) -> Fut,
) -> Vec<T>
where
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let held = store.writer.acquire().await.expect("writer connection");
    let taken_before = store.group_commit.taken();
    let first = {
        let store = store.clone();
        tokio::spawn(async move {
            let nothing = |_: &mut sqlx::SqliteConnection,
                           _: &()|
             -> super::group_commit::JobFuture<'_, ()> {
                Box::pin(async { Ok(()) })
            };
            store.group_commit.submit((), nothing).await
        })
    };
    wait_until(|| store.group_commit.taken() > taken_before).await;
    let submitted_before = store.group_commit.submitted();
    let mut pending = Vec::new();
    for input in inputs {
        pending.push(tokio::spawn(write(store.clone(), input)));
        wait_until(|| store.group_commit.submitted() - submitted_before >= pending.len() as u64)
            .await;
    }
    drop(held);
    first.await.expect("task").expect("the first write");
    let mut results = Vec::new();
    for write in pending {
        results.push(write.await.expect("task"));
    }
    results
}

/// Waits (up to ten seconds, then fails the test) until `done`.
pub(super) async fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    panic!("waited ten seconds in vain");
}
