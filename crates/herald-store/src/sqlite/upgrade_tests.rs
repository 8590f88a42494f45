//! Migrations that rebuild a table, run on a store that holds rows.

use jiff::Timestamp;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::{SqliteStore, test_instance, test_notification, test_user};
use crate::{CreateOutcome, StatusOutcome, StatusWrite, Store, UserStatus};

/// Runs `sql` on the closed store in `dir`: the schema as it was before a
/// migration, whose record the SQL deletes, so that reopening runs it.
async fn rewind(dir: &std::path::Path, sql: &str) {
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.join(super::DB_FILE))
        .connect()
        .await
        .expect("connect");
    sqlx::raw_sql(sql)
        .execute(&mut conn)
        .await
        .expect("the schema as it was");
    conn.close().await.expect("close");
}

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
    rewind(
        dir.path(),
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
    .await;

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
    rewind(
        dir.path(),
        "BEGIN; \
         DROP INDEX search_texts_in_listing_order; \
         ALTER TABLE search_texts DROP COLUMN created_at; \
         ALTER TABLE search_texts DROP COLUMN expires_at; \
         DROP TRIGGER search_texts_au; \
         CREATE TRIGGER search_texts_au AFTER UPDATE ON search_texts BEGIN \
         INSERT INTO search_texts_fts (search_texts_fts, rowid, folded) \
         VALUES ('delete', old.rowid, old.folded); \
         INSERT INTO search_texts_fts (rowid, folded) VALUES (new.rowid, new.folded); END; \
         DELETE FROM _sqlx_migrations WHERE version = 11; \
         COMMIT;",
    )
    .await;

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
    // The trigram index still holds every text, and only them (its
    // update trigger was replaced to fill the copies).
    sqlx::query("INSERT INTO search_texts_fts (search_texts_fts) VALUES ('integrity-check')")
        .execute(&store.writer)
        .await
        .expect("the trigram index matches its texts");
    let found = store
        .search_notifications(instance.seq, &contains("hallo"), now, None, 10)
        .await
        .expect("search");
    let ids: Vec<&str> = found.notifications.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["n1"]);
}

fn contains(value: &str) -> crate::SearchQuery {
    crate::SearchQuery {
        criteria: Some(crate::SearchExpr::Text {
            field: crate::SearchField::Content,
            comparison: crate::Comparison::Contains,
            value: value.into(),
        }),
        tags: None,
    }
}

/// 0012 copies each member's id onto the membership: a store written
/// before it gives the same audience after it, and filling the copy logs
/// no change to any audience.
#[tokio::test]
async fn memberships_take_their_users_ids() {
    use crate::chime::{ChimeStore, MembershipType};
    use crate::conformance::chime::Fixture;

    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let fixture = Fixture::new(&store).await;
    let creator = fixture.user("creator").await;
    let channel = fixture.channel("c", &creator).await;
    let (ana, bo) = (fixture.user("ana").await, fixture.user("bo").await);
    fixture
        .add(&channel, &[&ana, &bo], MembershipType::Default)
        .await;
    let before = store.push_audience(channel.seq).await.expect("audience");
    let ids: Vec<&str> = before
        .candidates
        .iter()
        .map(|c| c.user_id.as_str())
        .collect();
    assert_eq!(ids, ["creator", "ana", "bo"]);
    store.close().await;

    // Back to the memberships as they were before 0012.
    rewind(
        dir.path(),
        "BEGIN; \
         DROP INDEX chime_memberships_audience; \
         DROP INDEX chime_endpoints_pushable; \
         ALTER TABLE chime_memberships DROP COLUMN user_id; \
         DELETE FROM _sqlx_migrations WHERE version = 12; \
         COMMIT;",
    )
    .await;

    let store = SqliteStore::open(dir.path()).await.expect("reopen");
    let after = store.push_audience(channel.seq).await.expect("audience");
    assert_eq!(after, before);
}
