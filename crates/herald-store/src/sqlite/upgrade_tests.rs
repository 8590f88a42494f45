//! Migrations that rebuild a table, run on a store that holds rows.

use jiff::Timestamp;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::{SqliteStore, test_instance, test_notification, test_user};
use crate::{CreateOutcome, StatusOutcome, StatusWrite, Store, UserStatus};

/// 0009 rekeys the recipients in listing order: a store written with the
/// table as 0001 made it keeps every recipient, lists them in order, and
/// the status write's and delete's lookups by notification still find
/// them.
#[tokio::test]
async fn recipients_keyed_in_listing_order_keep_every_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).expect("now");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let instance = test_instance(&store, now).await;
    let user = test_user(&store, &instance, "u", now).await;
    let other = test_user(&store, &instance, "v", now).await;
    for (index, id) in ["n0", "n1", "n2"].into_iter().enumerate() {
        let mut new = test_notification(&instance, &user, user.seq, id, now);
        new.direct_user_seqs.push(other.seq);
        new.created_at = now + jiff::SignedDuration::from_secs(index as i64);
        let outcome = store.create_notification(new).await.expect("create");
        assert!(matches!(outcome, CreateOutcome::Created(_)), "{outcome:?}");
    }
    store.close().await;

    // Back to the table as it was before 0009, rows and all.
    let path = dir.path().join(super::DB_FILE);
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .expect("connect");
    sqlx::raw_sql(
        "BEGIN; \
         CREATE TABLE old_recipients (user_seq INTEGER NOT NULL REFERENCES users (seq) \
         ON DELETE CASCADE, notification_seq INTEGER NOT NULL REFERENCES notifications (seq) \
         ON DELETE CASCADE, urgency INTEGER NOT NULL, created_at INTEGER NOT NULL, \
         expires_at INTEGER NOT NULL, PRIMARY KEY (user_seq, notification_seq)) \
         STRICT, WITHOUT ROWID; \
         INSERT INTO old_recipients SELECT * FROM notification_recipients; \
         DROP TABLE notification_recipients; \
         ALTER TABLE old_recipients RENAME TO notification_recipients; \
         CREATE INDEX recipients_by_user_order ON notification_recipients \
         (user_seq, urgency, created_at, notification_seq, expires_at); \
         CREATE INDEX recipients_by_notification ON notification_recipients (notification_seq); \
         DELETE FROM _sqlx_migrations WHERE version = 9; \
         COMMIT;",
    )
    .execute(&mut conn)
    .await
    .expect("the old table");
    conn.close().await.expect("close");

    let store = SqliteStore::open(dir.path()).await.expect("reopen");
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE tbl_name = 'notification_recipients' \
         AND type = 'index' ORDER BY name",
    )
    .fetch_all(&store.readers)
    .await
    .expect("indexes");
    assert_eq!(indexes, ["recipients_by_notification"]);
    let table: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'notification_recipients'")
            .fetch_one(&store.readers)
            .await
            .expect("table");
    assert!(
        table.contains("PRIMARY KEY (user_seq, urgency, created_at, notification_seq)"),
        "{table}"
    );
    for reader in [&user, &other] {
        let listed = store
            .list_user_notifications(instance.seq, reader.seq, now, None, 10)
            .await
            .expect("list");
        let ids: Vec<&str> = listed.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["n2", "n1", "n0"], "{}", reader.id);
    }
    let write = StatusWrite {
        instance_seq: instance.seq,
        notification_id: "n1".into(),
        user_id: "v".into(),
        status: UserStatus::Read,
        now,
        not_older_than: None,
        modified_at: now,
        modified_region: "us-east-1".into(),
    };
    let written = store.set_user_status(write).await.expect("status");
    assert_eq!(
        written,
        StatusOutcome::Written {
            user_seq: other.seq
        }
    );
    assert!(
        store
            .delete_notification(instance.seq, "n0")
            .await
            .expect("delete")
    );
    let left: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT user_seq, notification_seq FROM notification_recipients ORDER BY 2, 1",
    )
    .fetch_all(&store.readers)
    .await
    .expect("rows");
    assert_eq!(left.len(), 4, "{left:?}");
}

/// 0011 copies each notification's creation and expiry onto its texts: a
/// store written before it keeps its texts, each with its notification's
/// times, and a content change rewrites them with the same.
#[tokio::test]
async fn texts_take_their_notifications_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).expect("now");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let instance = test_instance(&store, now).await;
    let user = test_user(&store, &instance, "u", now).await;
    for (index, id) in ["n0", "n1"].into_iter().enumerate() {
        let mut new = test_notification(&instance, &user, user.seq, id, now);
        new.created_at = now - jiff::SignedDuration::from_secs(10 + index as i64);
        new.expires_at = now + jiff::SignedDuration::from_secs(100 + index as i64);
        let outcome = store.create_notification(new).await.expect("create");
        assert!(matches!(outcome, CreateOutcome::Created(_)), "{outcome:?}");
    }
    store.close().await;

    // Back to the texts as they were before 0011.
    let path = dir.path().join(super::DB_FILE);
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .expect("connect");
    sqlx::raw_sql(
        "BEGIN; \
         DROP INDEX search_texts_in_listing_order; \
         ALTER TABLE search_texts DROP COLUMN created_at; \
         ALTER TABLE search_texts DROP COLUMN expires_at; \
         DELETE FROM _sqlx_migrations WHERE version = 11; \
         COMMIT;",
    )
    .execute(&mut conn)
    .await
    .expect("the old texts");
    conn.close().await.expect("close");

    let store = SqliteStore::open(dir.path()).await.expect("reopen");
    let times = |store: &SqliteStore| {
        let readers = store.readers.clone();
        async move {
            sqlx::query_as::<_, (String, String, i64, i64, i64, i64)>(
                "SELECT n.id, t.field, t.created_at, n.created_at, t.expires_at, n.expires_at \
                 FROM search_texts t JOIN notifications n ON n.seq = t.notification_seq \
                 ORDER BY n.id, t.field",
            )
            .fetch_all(&readers)
            .await
            .expect("texts")
        }
    };
    let texts = times(&store).await;
    // An id and a content text each.
    assert_eq!(texts.len(), 4, "{texts:?}");
    for (id, field, text_created, created, text_expires, expires) in &texts {
        assert_eq!(
            (text_created, text_expires),
            (created, expires),
            "{id} {field}"
        );
    }
    let content = [("de_DE".to_owned(), "hallo".to_owned())].into();
    store
        .update_notification_content(instance.seq, "n1", &content, now, "us-east-1")
        .await
        .expect("update")
        .expect("found");
    let texts = times(&store).await;
    assert_eq!(texts.len(), 4, "{texts:?}");
    for (id, field, text_created, created, text_expires, expires) in &texts {
        assert_eq!(
            (text_created, text_expires),
            (created, expires),
            "{id} {field}"
        );
    }
}

/// 0012 copies each member's id onto the membership: a store written
/// before it gives the same audience after it, and filling the copy logs
/// no change to any audience.
#[tokio::test]
async fn memberships_take_their_users_ids() {
    use crate::chime::{
        ChannelMode, ChannelPrivacy, ChimeStore, Created, IdentitySnapshot, NewAppInstance,
        NewAppInstanceUser, NewChannel, RequestClaim,
    };

    let dir = tempfile::tempdir().expect("tempdir");
    let at = Timestamp::from_millisecond(1_893_456_000_000).expect("time");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let claim = |operation: &'static str, token: &str| RequestClaim {
        account_id: "acct".to_owned(),
        operation,
        token: token.to_owned(),
        request_digest: "d".to_owned(),
        claimed_at: at,
    };
    let Created::New(app) = store
        .create_app_instance(
            NewAppInstance {
                account_id: "acct".to_owned(),
                id: "app".to_owned(),
                name: "app".to_owned(),
                metadata: String::new(),
                tags: crate::Tags::new(),
                created: at,
            },
            claim("CreateAppInstance", "a"),
        )
        .await
        .expect("app instance")
    else {
        panic!("fresh claim replayed")
    };
    let mut user_seqs = Vec::new();
    for id in ["creator", "ana", "bo"] {
        let Created::New(user) = store
            .create_app_instance_user(
                NewAppInstanceUser {
                    app_instance_seq: app.seq,
                    user_id: id.to_owned(),
                    name: id.to_owned(),
                    metadata: String::new(),
                    tags: crate::Tags::new(),
                    created: at,
                },
                claim("CreateAppInstanceUser", id),
            )
            .await
            .expect("user")
        else {
            panic!("fresh claim replayed")
        };
        user_seqs.push(user.seq);
    }
    let Created::New(channel) = store
        .create_channel(
            NewChannel {
                app_instance_seq: app.seq,
                channel_id: "c".to_owned(),
                name: "c".to_owned(),
                mode: ChannelMode::Unrestricted,
                privacy: ChannelPrivacy::Public,
                metadata: String::new(),
                tags: crate::Tags::new(),
                created_by: IdentitySnapshot {
                    arn: "arn:creator".to_owned(),
                    name: "creator".to_owned(),
                },
                created: at,
                creator_seq: user_seqs[0],
                member_seqs: user_seqs[1..].to_vec(),
                moderator_seqs: Vec::new(),
            },
            claim("CreateChannel", "c"),
        )
        .await
        .expect("channel")
    else {
        panic!("fresh claim replayed")
    };
    let before = store.push_audience(channel.seq).await.expect("audience");
    let ids: Vec<&str> = before
        .candidates
        .iter()
        .map(|c| c.user_id.as_str())
        .collect();
    assert_eq!(ids, ["creator", "ana", "bo"]);
    store.close().await;

    // Back to the memberships as they were before 0012.
    let path = dir.path().join(super::DB_FILE);
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .expect("connect");
    sqlx::raw_sql(
        "BEGIN; \
         DROP INDEX chime_memberships_audience; \
         DROP INDEX chime_endpoints_pushable; \
         ALTER TABLE chime_memberships DROP COLUMN user_id; \
         DELETE FROM _sqlx_migrations WHERE version = 12; \
         COMMIT;",
    )
    .execute(&mut conn)
    .await
    .expect("the old memberships");
    conn.close().await.expect("close");

    let store = SqliteStore::open(dir.path()).await.expect("reopen");
    let after = store.push_audience(channel.seq).await.expect("audience");
    assert_eq!(after, before);
}
