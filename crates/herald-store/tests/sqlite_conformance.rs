//! The conformance suite against `SqliteStore`, one fresh database per
//! test, plus checks only SQLite has: durability across reopen and the
//! consistency of the full-text index.

use std::path::Path;

use herald_store::conformance;
use herald_store::sqlite::SqliteStore;
use herald_store::{
    ClientTokenClaim, Comparison, CreateOutcome, NewInstance, NewNotification, NewUser, Priority,
    SearchExpr, SearchField, SearchQuery, StatusOutcome, StatusWrite, Store, Tags, UserStatus,
};
use jiff::Timestamp;
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;

async fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    (dir, store)
}

/// [`fresh`] as the shared test lists take it: SQLite needs no server, so
/// no test is skipped.
async fn fresh_for(_test: &str) -> Option<(tempfile::TempDir, SqliteStore)> {
    Some(fresh().await)
}

herald_store::connect_conformance_tests!(fresh_for);

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("time")
}

/// Writes one of everything and returns (instance seq, user seq).
async fn write_sample(store: &SqliteStore) -> (i64, i64) {
    let instance = store
        .create_instance(NewInstance {
            account_id: "acct".into(),
            id: "inst".into(),
            arn: "arn:aws:connect:us-east-1:acct:instance/inst".into(),
            alias: Some("alias".into()),
            identity_management_type: "CONNECT_MANAGED".into(),
            inbound_calls_enabled: true,
            outbound_calls_enabled: true,
            tags: Tags::new(),
            created_at: ts(1_700_000_000_000),
        })
        .await
        .expect("instance");
    let user = store
        .create_user(NewUser {
            instance_seq: instance.seq,
            id: "user".into(),
            arn: format!("{}/agent/user", instance.arn),
            username: "alice".into(),
            settings: serde_json::json!({"SecurityProfileIds": ["p"]}),
            tags: Tags::new(),
            modified_at: ts(1_700_000_000_000),
            modified_region: "us-east-1".into(),
        })
        .await
        .expect("user");
    let created = store
        .create_notification(NewNotification {
            instance_seq: instance.seq,
            id: "note".into(),
            arn: format!("{}/notification/note", instance.arn),
            content: [("en_US".to_owned(), "durable words".to_owned())].into(),
            priority: Priority::High,
            recipients: vec![user.arn.clone()],
            broadcast: false,
            direct_user_seqs: vec![user.seq],
            tags: [("k".to_owned(), "v".to_owned())].into(),
            created_at: ts(1_700_000_001_000),
            expires_at: ts(1_800_000_000_000),
            region: "us-east-1".into(),
            client_token: Some(ClientTokenClaim {
                account_id: instance.account_id.clone(),
                token: "tok".into(),
                request_digest: "dig".into(),
            }),
        })
        .await
        .expect("notification");
    assert!(matches!(created, CreateOutcome::Created(_)));
    let status = store
        .set_user_status(StatusWrite {
            instance_seq: instance.seq,
            notification_id: "note".into(),
            user_id: user.id.clone(),
            status: UserStatus::Read,
            now: ts(1_700_000_002_000),
            not_older_than: None,
            modified_at: ts(1_700_000_002_000),
            modified_region: "us-east-1".into(),
        })
        .await
        .expect("status");
    assert_eq!(status, StatusOutcome::Written { user_seq: user.seq });
    (instance.seq, user.seq)
}

async fn read_sample(store: &SqliteStore, instance_seq: i64, user_seq: i64) {
    let now = ts(1_700_000_003_000);
    let instance = store.get_instance("acct", "inst").await.expect("get");
    assert_eq!(instance.map(|i| i.alias), Some(Some("alias".to_owned())));
    let user = store.get_user(instance_seq, "user").await.expect("get");
    assert_eq!(user.map(|u| u.username), Some("alice".to_owned()));
    let listed = store
        .list_user_notifications(instance_seq, user_seq, now, None, 10)
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, UserStatus::Read);
    assert_eq!(listed[0].id, "note");
    let query = SearchQuery {
        criteria: Some(SearchExpr::Text {
            field: SearchField::Content,
            comparison: Comparison::Contains,
            value: "durable".into(),
        }),
        tags: Some(vec![vec![("k".into(), "v".into())]]),
    };
    let page = store
        .search_notifications(instance_seq, &query, now, None, 10)
        .await
        .expect("search");
    assert_eq!(page.total, 1);
}

#[tokio::test]
async fn survives_close_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let secret = store.token_secret().await.expect("secret");
    let (instance_seq, user_seq) = write_sample(&store).await;
    store.close().await;
    drop(store);

    let store = SqliteStore::open(dir.path()).await.expect("reopen");
    read_sample(&store, instance_seq, user_seq).await;
    assert_eq!(
        store.token_secret().await.expect("secret"),
        secret,
        "the token secret survives restarts"
    );
    store.close().await;
}

/// Dropped without `close`, as after a crash of the process: acknowledged
/// writes are in the WAL and read back on the next open.
#[tokio::test]
async fn survives_drop_without_close() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let (instance_seq, user_seq) = write_sample(&store).await;
    drop(store);

    let store = SqliteStore::open(dir.path()).await.expect("reopen");
    read_sample(&store, instance_seq, user_seq).await;
    store.close().await;
}

async fn raw_connection(dir: &Path) -> SqliteConnection {
    let url = format!("sqlite://{}", dir.join("herald.db").display());
    SqliteConnection::connect(&url).await.expect("connect")
}

/// Every path that removes search texts (content update, delete, user and
/// instance cascades, sweep) must keep the trigram index in step with its
/// content table; FTS5's integrity check compares them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_text_index_stays_consistent() {
    let (dir, store) = fresh().await;
    conformance::content_update(&store).await;
    conformance::delete_notification_cascades(&store).await;
    conformance::delete_instance_cascades(&store).await;
    conformance::sweep_expired(&store).await;
    let (instance_seq, _) = write_sample(&store).await;
    assert!(store.delete_instance(instance_seq).await.expect("delete"));
    store.close().await;

    let mut conn = raw_connection(dir.path()).await;
    sqlx::query("INSERT INTO search_texts_fts (search_texts_fts) VALUES ('integrity-check')")
        .execute(&mut conn)
        .await
        .expect("the FTS index matches search_texts");
    let orphans: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM search_texts t \
         WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.seq = t.notification_seq)",
    )
    .fetch_one(&mut conn)
    .await
    .expect("count");
    assert_eq!(orphans, 0, "search texts outlived their notification");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("pragma");
    assert_eq!(mode, "wal");
    conn.close().await.expect("close");
}

/// The Chime suite ([`conformance::chime`]): one fresh database per test,
/// then all of it on one store.
mod chime_suite {
    use super::fresh_for;

    herald_store::chime_conformance_tests!(fresh_for);
}
