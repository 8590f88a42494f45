//! The embedded SQLite store (WAL, synchronous=FULL).
//!
//! One writer connection serialises every write, so a check-then-insert
//! inside a writer transaction cannot race with another write; a small pool
//! of readers serves queries concurrently from WAL snapshots.

mod backup;
#[cfg(test)]
mod build_tests;
mod chime;
mod creates;
mod dependent_rows;
mod dir_lock;
mod group_commit;
mod housekeeping;
mod identity;
mod instances;
mod json_page;
mod notifications;
#[cfg(test)]
mod plans;
mod search;
mod search_probe;
#[cfg(test)]
mod search_probe_tests;
mod status_writes;
mod tags;
#[cfg(test)]
mod test_fixtures;
#[cfg(test)]
mod upgrade_tests;
mod user_view;
mod users;

pub use backup::{Written, backup, restore};
pub use dir_lock::DirLock;
pub use identity::HERALD_APPLICATION_ID;
#[cfg(test)]
use test_fixtures::{queued_in_one_batch, test_instance, test_notification, test_user};

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::db_error::db_err;
use crate::{
    Content, CreateOutcome, CreatedCursor, InstanceRecord, NewInstance, NewNotification, NewUser,
    Notification, SearchPage, SearchQuery, StatusOutcome, StatusWrite, Store, StoreError,
    StoreResult, TagUpdateOutcome, Tags, UnreadCount, UserListCursor, UserNotification, UserRecord,
};

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

const DB_FILE: &str = "herald.db";
const READER_CONNECTIONS: u32 = 4;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Each connection's page cache (SQLite's default is 2 MiB). A page found
/// there costs no read from the kernel's cache; with five connections this
/// bounds the caches at 40 MiB, inside Herald's memory budget.
const PAGE_CACHE_KIB: u32 = 8 * 1024;
const TOKEN_SECRET_KEY: &str = "token_secret";

pub struct SqliteStore {
    /// Exactly one connection: writes are serialised, transactions begin
    /// IMMEDIATE and never meet a competing writer.
    writer: SqlitePool,
    /// The hot writes (creates, status changes) go through this queue on
    /// `writer`, to share commits; the rest use `writer` directly.
    group_commit: group_commit::GroupCommit,
    readers: SqlitePool,
    token_secret: Vec<u8>,
    /// Released by `close` (or on drop), so the directory can be reopened.
    lock: std::sync::Mutex<Option<DirLock>>,
}

impl SqliteStore {
    /// Opens (creating if needed) `data_dir/herald.db`, brings its schema up
    /// to date and makes sure the token secret exists. Holds the
    /// directory's lock until closed: a second store on the same directory,
    /// in this process or another, is refused. So is a file that is not a
    /// Herald database, untouched.
    pub async fn open(data_dir: &Path) -> StoreResult<SqliteStore> {
        tokio::fs::create_dir_all(data_dir).await.map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        ensure_writable(data_dir).await?;
        let lock = DirLock::acquire(data_dir)?;
        let path = data_dir.join(DB_FILE);
        // Under the lock: nothing else of Herald's changes the file between
        // this look and the writer's first write.
        let found = identity::inspect(&path).await?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: every acknowledged commit is fsynced to the WAL, so it
            // survives kill -9 and power loss (NORMAL would not in WAL mode).
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("cache_size", format!("-{PAGE_CACHE_KIB}"));

        // Neither pool pings a connection before lending it (sqlx's
        // default does): a ping is a round trip to the connection's worker
        // thread, one for every statement, and a connection to a local
        // file does not go stale the way a network one does.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone().create_if_missing(true))
            .await
            .map_err(db_err)?;
        // Before anything is written to the file.
        ensure_json_keeps_nul(&writer).await?;
        if found != (identity::Found::Herald { marked: true }) {
            // New files, and those of Herald versions before the mark.
            sqlx::query(&format!("PRAGMA application_id = {HERALD_APPLICATION_ID}"))
                .execute(&writer)
                .await
                .map_err(db_err)?;
        }
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))?;
        let token_secret = ensure_token_secret(&writer).await?;

        // query_only turns a write slipping onto a reader into an error
        // instead of a second writer competing for the lock.
        let readers = SqlitePoolOptions::new()
            .max_connections(READER_CONNECTIONS)
            .test_before_acquire(false)
            .connect_with(options.pragma("query_only", "ON"))
            .await
            .map_err(db_err)?;

        Ok(SqliteStore {
            group_commit: group_commit::GroupCommit::start(writer.clone()),
            writer,
            readers,
            token_secret,
            lock: std::sync::Mutex::new(Some(lock)),
        })
    }
}

/// SQLite on a read-only filesystem fails later and less clearly (or opens
/// the file read-only); say it before anything is opened.
async fn ensure_writable(data_dir: &Path) -> StoreResult<()> {
    let probe = data_dir.join(".herald-write-check");
    match tokio::fs::write(&probe, b"").await {
        Ok(()) => {
            let _ = tokio::fs::remove_file(&probe).await;
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem => {
            Err(StoreError::Unavailable(format!(
                "the data directory {} is on a read-only filesystem",
                data_dir.display()
            )))
        }
        Err(e) => Err(StoreError::Unavailable(format!(
            "the data directory {} is not writable: {e}",
            data_dir.display()
        ))),
    }
}

/// Creates the secret on first open; later opens read the stored one.
async fn ensure_token_secret(writer: &SqlitePool) -> StoreResult<Vec<u8>> {
    let fresh: [u8; 32] = rand::random();
    sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
        .bind(TOKEN_SECRET_KEY)
        .bind(fresh.to_vec())
        .execute(writer)
        .await
        .map_err(db_err)?;
    let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
        .bind(TOKEN_SECRET_KEY)
        .fetch_one(writer)
        .await
        .map_err(db_err)?;
    if stored.len() < 32 {
        return Err(StoreError::Corrupt(format!(
            "token secret has {} bytes",
            stored.len()
        )));
    }
    Ok(stored)
}

#[async_trait]
impl Store for SqliteStore {
    async fn token_secret(&self) -> StoreResult<Vec<u8>> {
        Ok(self.token_secret.clone())
    }

    async fn create_instance(&self, instance: NewInstance) -> StoreResult<InstanceRecord> {
        self.create_instance_impl(instance).await
    }

    async fn get_instance(
        &self,
        account_id: &str,
        id: &str,
    ) -> StoreResult<Option<InstanceRecord>> {
        self.get_instance_impl(account_id, id).await
    }

    async fn list_instances(
        &self,
        account_id: &str,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<InstanceRecord>> {
        self.list_instances_impl(account_id, after_seq, limit).await
    }

    async fn delete_instance(&self, instance_seq: i64) -> StoreResult<bool> {
        self.delete_instance_impl(instance_seq).await
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        self.create_user_impl(user).await
    }

    async fn get_user(&self, instance_seq: i64, user_id: &str) -> StoreResult<Option<UserRecord>> {
        self.get_user_impl(instance_seq, user_id).await
    }

    async fn find_users(
        &self,
        instance_seq: i64,
        user_ids: &[String],
    ) -> StoreResult<Vec<UserRecord>> {
        self.find_users_impl(instance_seq, user_ids).await
    }

    async fn list_users(
        &self,
        instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<UserRecord>> {
        self.list_users_impl(instance_seq, after_seq, limit).await
    }

    async fn delete_user(&self, instance_seq: i64, user_id: &str) -> StoreResult<bool> {
        self.delete_user_impl(instance_seq, user_id).await
    }

    async fn create_notification(
        &self,
        notification: NewNotification,
    ) -> StoreResult<CreateOutcome> {
        self.create_notification_impl(notification).await
    }

    async fn get_notification(
        &self,
        instance_seq: i64,
        notification_id: &str,
    ) -> StoreResult<Option<Notification>> {
        self.get_notification_impl(instance_seq, notification_id)
            .await
    }

    async fn list_notifications(
        &self,
        instance_seq: i64,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Notification>> {
        self.list_notifications_impl(instance_seq, now, after, limit)
            .await
    }

    async fn update_notification_content(
        &self,
        instance_seq: i64,
        notification_id: &str,
        content: &Content,
        modified_at: Timestamp,
        modified_region: &str,
    ) -> StoreResult<Option<Notification>> {
        self.update_notification_content_impl(
            instance_seq,
            notification_id,
            content,
            modified_at,
            modified_region,
        )
        .await
    }

    async fn delete_notification(
        &self,
        instance_seq: i64,
        notification_id: &str,
    ) -> StoreResult<bool> {
        self.delete_notification_impl(instance_seq, notification_id)
            .await
    }

    async fn update_notification_tags(
        &self,
        instance_seq: i64,
        notification_id: &str,
        add: &Tags,
        remove: &[String],
        max_tags: usize,
    ) -> StoreResult<TagUpdateOutcome> {
        self.update_notification_tags_impl(instance_seq, notification_id, add, remove, max_tags)
            .await
    }

    async fn list_user_notifications(
        &self,
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        after: Option<UserListCursor>,
        limit: u32,
    ) -> StoreResult<Vec<UserNotification>> {
        self.list_user_notifications_impl(instance_seq, user_seq, now, after, limit)
            .await
    }

    async fn list_user_notifications_by_id(
        &self,
        instance_seq: i64,
        user_id: &str,
        now: Timestamp,
        after: Option<UserListCursor>,
        limit: u32,
    ) -> StoreResult<Option<Vec<UserNotification>>> {
        self.list_user_notifications_by_id_impl(instance_seq, user_id, now, after, limit)
            .await
    }

    async fn unread_count(
        &self,
        instance_seq: i64,
        user_seq: i64,
        now: Timestamp,
        cap: u32,
    ) -> StoreResult<UnreadCount> {
        self.unread_count_impl(instance_seq, user_seq, now, cap)
            .await
    }

    async fn set_user_status(&self, write: StatusWrite) -> StoreResult<StatusOutcome> {
        self.set_user_status_impl(write).await
    }

    async fn search_notifications(
        &self,
        instance_seq: i64,
        query: &SearchQuery,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    ) -> StoreResult<SearchPage> {
        self.search_notifications_impl(instance_seq, query, now, after, limit)
            .await
    }

    async fn sweep_expired(&self, cutoff: Timestamp, limit: u32) -> StoreResult<u64> {
        self.sweep_expired_impl(cutoff, limit).await
    }

    async fn forget_client_tokens(&self, cutoff: Timestamp, limit: u32) -> StoreResult<u64> {
        self.forget_client_tokens_impl(cutoff, limit).await
    }

    async fn close(&self) {
        // Readers first; closing the last writer connection checkpoints the
        // WAL into the main file.
        self.readers.close().await;
        self.writer.close().await;
        let lock = self.lock.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(lock);
    }
}

/// The set writes pass ids and texts through JSON arrays (`->>`). SQLite
/// before 3.45 ended a JSON string at an escaped NUL, which would cut such
/// a value short without an error; the bundled SQLite (3.46) keeps it. A
/// build linked against an older one is refused rather than trusted.
async fn ensure_json_keeps_nul(writer: &SqlitePool) -> StoreResult<()> {
    let bytes: i64 = sqlx::query_scalar("SELECT length(CAST('[\"a\\u0000b\"]' ->> 0 AS BLOB))")
        .fetch_one(writer)
        .await
        .map_err(db_err)?;
    if bytes == 3 {
        Ok(())
    } else {
        Err(StoreError::Unavailable(
            "this SQLite cuts JSON strings at a NUL; Herald needs SQLite 3.45 or later".to_owned(),
        ))
    }
}
