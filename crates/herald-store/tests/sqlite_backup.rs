//! The embedded store's file safety: the data directory's lock, the
//! refusal of files that are not Herald's (bytes untouched), and backup
//! and restore.

use std::path::Path;

use herald_store::sqlite::{self, HERALD_APPLICATION_ID, SqliteStore};
use herald_store::{NewInstance, Store, StoreError, Tags};
use jiff::Timestamp;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

fn instance(id: &str) -> NewInstance {
    NewInstance {
        account_id: "acct".into(),
        id: id.into(),
        arn: format!("arn:aws:connect:us-east-1:acct:instance/{id}"),
        alias: None,
        identity_management_type: "CONNECT_MANAGED".into(),
        inbound_calls_enabled: true,
        outbound_calls_enabled: true,
        tags: Tags::new(),
        created_at: Timestamp::from_millisecond(1_700_000_000_000).unwrap(),
    }
}

async fn instance_ids(store: &SqliteStore) -> Vec<String> {
    let mut ids: Vec<String> = store
        .list_instances("acct", None, 100)
        .await
        .expect("list")
        .into_iter()
        .map(|i| i.id)
        .collect();
    ids.sort();
    ids
}

async fn raw(path: &Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("raw connection")
}

async fn application_id(path: &Path) -> i32 {
    let mut conn = raw(path).await;
    let id = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    id
}

/// A closed store in a fresh directory holding instance "one", with
/// everything checkpointed into herald.db (closing does not always get to
/// checkpoint the log).
async fn closed_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.expect("open");
    store
        .create_instance(instance("one"))
        .await
        .expect("create");
    store.close().await;
    drop(store);
    let mut conn = raw(&dir.path().join("herald.db")).await;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    dir
}

/// Opening `path`'s directory is refused with a message naming the file
/// and containing `expected`, and the file is byte for byte as before.
async fn assert_refused(dir: &Path, expected: &str) -> StoreError {
    let path = dir.join("herald.db");
    let before = std::fs::read(&path).unwrap();
    let error = match SqliteStore::open(dir).await {
        Ok(_) => panic!("a store opened on a file it should refuse ({expected})"),
        Err(error) => error,
    };
    let message = error.to_string();
    assert!(message.contains(expected), "{message}");
    assert!(
        message.contains(&path.display().to_string()),
        "the message names the file: {message}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file changed");
    error
}

#[tokio::test]
async fn new_stores_are_marked_as_heralds() {
    let dir = closed_store().await;
    assert_eq!(
        application_id(&dir.path().join("herald.db")).await,
        HERALD_APPLICATION_ID
    );
}

#[tokio::test]
async fn a_store_from_before_the_mark_is_marked_and_kept() {
    let dir = closed_store().await;
    let path = dir.path().join("herald.db");
    let mut conn = raw(&path).await;
    sqlx::query("PRAGMA application_id = 0")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let store = SqliteStore::open(dir.path()).await.expect("reopen");
    assert_eq!(instance_ids(&store).await, ["one"]);
    store.close().await;
    assert_eq!(application_id(&path).await, HERALD_APPLICATION_ID);
}

#[tokio::test]
async fn one_store_per_directory_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = SqliteStore::open(dir.path()).await.expect("open");
    let refused = SqliteStore::open(dir.path())
        .await
        .err()
        .expect("second open refused");
    assert!(matches!(refused, StoreError::Unavailable(_)), "{refused:?}");
    assert!(
        refused.to_string().contains("another herald is using"),
        "{refused}"
    );
    first.close().await;
    SqliteStore::open(dir.path())
        .await
        .expect("open after close")
        .close()
        .await;
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("herald.db"),
        b"these are not the bytes of a database\n".repeat(200),
    )
    .unwrap();
    let error = assert_refused(dir.path(), "not a SQLite database").await;
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
}

#[tokio::test]
async fn another_programs_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    let mut conn = raw(&path).await;
    sqlx::query("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_refused(dir.path(), "foreign database").await;

    // Marked by another program: refused even without tables.
    std::fs::remove_file(&path).unwrap();
    let mut conn = raw(&path).await;
    sqlx::query("PRAGMA application_id = 42")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_refused(dir.path(), "foreign database").await;
}

#[tokio::test]
async fn a_truncated_store_is_refused_untouched() {
    let dir = closed_store().await;
    let path = dir.path().join("herald.db");
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192, "a store spans several pages");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let error = assert_refused(dir.path(), "truncated").await;
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
}

#[tokio::test]
async fn a_backup_of_an_open_store_restores_its_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.expect("open");
    store.create_instance(instance("one")).await.unwrap();
    store.create_instance(instance("two")).await.unwrap();

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("backup.db");
    let written = sqlite::backup(dir.path(), &file).await.expect("backup");
    assert_eq!(written.path, file);
    assert_eq!(written.bytes, std::fs::metadata(&file).unwrap().len());
    // Written after the backup: not in it.
    store.create_instance(instance("three")).await.unwrap();
    assert_eq!(application_id(&file).await, HERALD_APPLICATION_ID);
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["backup.db"], "no temporary file is left");

    // Refused while the store is open.
    let refused = sqlite::restore(&file, dir.path(), true)
        .await
        .expect_err("restore under a running store");
    assert!(
        refused.to_string().contains("another herald is using"),
        "{refused}"
    );
    store.close().await;
    drop(store);

    // Refused over an existing store without force.
    let refused = sqlite::restore(&file, dir.path(), false)
        .await
        .expect_err("restore without force");
    assert!(refused.to_string().contains("--force"), "{refused}");

    sqlite::restore(&file, dir.path(), true)
        .await
        .expect("restore");
    let store = SqliteStore::open(dir.path()).await.expect("open restored");
    assert_eq!(instance_ids(&store).await, ["one", "two"]);
    store.close().await;

    // Into a fresh directory, no force needed.
    let fresh = tempfile::tempdir().unwrap();
    let target = fresh.path().join("data");
    sqlite::restore(&file, &target, false)
        .await
        .expect("restore into a new directory");
    let store = SqliteStore::open(&target).await.expect("open restored");
    assert_eq!(instance_ids(&store).await, ["one", "two"]);
    store.close().await;
}

#[tokio::test]
async fn restore_replaces_the_old_log_too() {
    let dir = closed_store().await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("backup.db");
    sqlite::backup(dir.path(), &file).await.expect("backup");

    // Commits after the backup, left in the log by a "crash" (no close).
    let store = SqliteStore::open(dir.path()).await.unwrap();
    store.create_instance(instance("later")).await.unwrap();
    drop(store);
    let wal = dir.path().join("herald.db-wal");
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "the log holds the commit"
    );

    sqlite::restore(&file, dir.path(), true)
        .await
        .expect("restore");
    assert!(!wal.exists(), "the old log is gone");
    let store = SqliteStore::open(dir.path()).await.unwrap();
    assert_eq!(instance_ids(&store).await, ["one"]);
    store.close().await;
}

#[tokio::test]
async fn backup_refuses_an_existing_file_and_a_missing_store() {
    let dir = closed_store().await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("taken");
    std::fs::write(&file, b"keep me").unwrap();
    let refused = sqlite::backup(dir.path(), &file)
        .await
        .expect_err("backup over a file");
    assert!(refused.to_string().contains("already exists"), "{refused}");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");

    let empty = tempfile::tempdir().unwrap();
    let refused = sqlite::backup(empty.path(), &out.path().join("new"))
        .await
        .expect_err("backup of nothing");
    assert!(
        refused.to_string().contains("holds no Herald store"),
        "{refused}"
    );
    assert!(!out.path().join("new").exists());
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_whole_herald_backup() {
    let out = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();

    let garbage = out.path().join("garbage");
    std::fs::write(&garbage, b"no database here".repeat(100)).unwrap();
    let foreign = out.path().join("foreign.db");
    let mut conn = raw(&foreign).await;
    sqlx::query("CREATE TABLE t (x)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let dir = closed_store().await;
    let truncated = out.path().join("truncated.db");
    let whole = std::fs::read(dir.path().join("herald.db")).unwrap();
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();

    for (file, expected) in [
        (&garbage, "not a SQLite database"),
        (&foreign, "foreign database"),
        (&truncated, "truncated"),
    ] {
        let refused = sqlite::restore(file, target.path(), true)
            .await
            .expect_err("restore of a bad backup");
        let message = refused.to_string();
        assert!(message.contains(expected), "{message}");
        assert!(message.contains(&file.display().to_string()), "{message}");
    }
    let left: Vec<_> = std::fs::read_dir(target.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "herald.lock")
        .collect();
    assert!(left.is_empty(), "nothing but the lock is left: {left:?}");
}

#[tokio::test]
async fn restore_refuses_a_backup_with_a_damaged_page() {
    let dir = closed_store().await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("backup.db");
    sqlite::backup(dir.path(), &file).await.expect("backup");
    let mut bytes = std::fs::read(&file).unwrap();
    let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    assert!(bytes.len() >= 4 * page_size, "a backup spans several pages");
    // The b-tree header of the third page: the length stays right, only
    // reading every page can tell.
    bytes[2 * page_size..2 * page_size + 64].fill(0xA5);
    std::fs::write(&file, &bytes).unwrap();

    let target = tempfile::tempdir().unwrap();
    let refused = sqlite::restore(&file, target.path(), false)
        .await
        .expect_err("restore of a damaged backup");
    assert!(matches!(refused, StoreError::Corrupt(_)), "{refused:?}");
    assert!(refused.to_string().contains("damaged"), "{refused}");
    assert!(!target.path().join("herald.db").exists());
}
