//! Notifications: read, list, content update and delete (creates are in
//! `creates.rs`).

use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{SqliteStore, json_page};
use crate::db_error::db_err;
use crate::rows::{self, NOTIFICATION_COLUMNS, ms, to_json};
use crate::{Content, CreatedCursor, Notification, StoreError, StoreResult, Tags, fold_case};

/// Writer transactions take the write lock up front: the single writer
/// connection never competes with itself, and another process sharing the
/// file waits (busy_timeout) at BEGIN rather than failing mid-transaction.
pub(super) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

pub(super) const FIELD_CONTENT: &str = "content";
pub(super) const FIELD_ID: &str = "id";

impl SqliteStore {
    pub(super) async fn get_notification_impl(
        &self,
        instance_seq: i64,
        notification_id: &str,
    ) -> StoreResult<Option<Notification>> {
        let sql = format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications n \
             WHERE n.instance_seq = ? AND n.id = ?"
        );
        let row = sqlx::query(&sql)
            .bind(instance_seq)
            .bind(notification_id)
            .fetch_optional(&self.readers)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::notification).transpose()
    }

    pub(super) async fn list_notifications_impl(
        &self,
        instance_seq: i64,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Notification>> {
        let mut qb = json_page::open(json_page::Page::Notifications);
        qb.push(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications n WHERE n.instance_seq = "
        ))
        .push_bind(instance_seq)
        .push(" AND n.expires_at > ")
        .push_bind(ms(now));
        push_created_keyset(&mut qb, after);
        qb.push(" ORDER BY n.created_at DESC, n.seq DESC LIMIT ")
            .push_bind(i64::from(limit));
        json_page::notifications(&mut qb, &self.readers).await
    }

    pub(super) async fn update_notification_content_impl(
        &self,
        instance_seq: i64,
        notification_id: &str,
        content: &Content,
        modified_at: Timestamp,
        modified_region: &str,
    ) -> StoreResult<Option<Notification>> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        let Some(seq) = seq_of(&mut tx, instance_seq, notification_id).await? else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE notifications SET content = ?, modified_at = ?, modified_region = ? \
             WHERE seq = ?",
        )
        .bind(to_json(content)?)
        .bind(ms(modified_at))
        .bind(modified_region)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("DELETE FROM search_texts WHERE notification_seq = ? AND field = ?")
            .bind(seq)
            .bind(FIELD_CONTENT)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        insert_search_texts(
            &mut tx,
            seq,
            instance_seq,
            content.values().map(|text| (FIELD_CONTENT, text.as_str())),
        )
        .await?;
        let updated = by_seq(&mut tx, seq).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(updated))
    }

    /// Recipients, statuses, tags and search texts go by ON DELETE CASCADE
    /// (the FTS index follows through the search_texts delete trigger).
    pub(super) async fn delete_notification_impl(
        &self,
        instance_seq: i64,
        notification_id: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM notifications WHERE instance_seq = ? AND id = ?")
            .bind(instance_seq)
            .bind(notification_id)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }
}

/// `AND (created_at, seq) < (cursor)` for newest-first keyset pages over
/// `notifications n`.
pub(super) fn push_created_keyset(qb: &mut QueryBuilder<'_, Sqlite>, after: Option<CreatedCursor>) {
    if let Some(cursor) = after {
        qb.push(" AND (n.created_at, n.seq) < (")
            .push_bind(cursor.created_ms)
            .push(", ")
            .push_bind(cursor.seq)
            .push(")");
    }
}

pub(super) async fn seq_of(
    conn: &mut SqliteConnection,
    instance_seq: i64,
    notification_id: &str,
) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT seq FROM notifications WHERE instance_seq = ? AND id = ?")
        .bind(instance_seq)
        .bind(notification_id)
        .fetch_optional(conn)
        .await
        .map_err(db_err)
}

pub(super) async fn by_seq(conn: &mut SqliteConnection, seq: i64) -> StoreResult<Notification> {
    let sql = format!("SELECT {NOTIFICATION_COLUMNS} FROM notifications n WHERE n.seq = ?");
    let row = sqlx::query(&sql)
        .bind(seq)
        .fetch_optional(conn)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::Unavailable(format!("notification {seq} vanished")))?;
    rows::notification(&row)
}

/// Runs what the `push_*` functions pushed onto `qb` (nothing if none
/// did).
async fn execute_statements(
    conn: &mut SqliteConnection,
    mut qb: QueryBuilder<'_, Sqlite>,
) -> StoreResult<()> {
    if qb.sql().is_empty() {
        return Ok(());
    }
    qb.build().execute(conn).await.map_err(db_err)?;
    Ok(())
}

/// Pushes the tags' insert, one statement ending in `;`.
fn push_tags<'a>(qb: &mut QueryBuilder<'a, Sqlite>, seq: i64, instance_seq: i64, tags: &'a Tags) {
    if tags.is_empty() {
        return;
    }
    qb.push("INSERT INTO notification_tags (notification_seq, instance_seq, key, value) ");
    qb.push_values(tags, |mut row, (key, value)| {
        row.push_bind(seq)
            .push_bind(instance_seq)
            .push_bind(key.as_str())
            .push_bind(value.as_str());
    });
    qb.push(";");
}

pub(super) async fn insert_tags(
    conn: &mut SqliteConnection,
    seq: i64,
    instance_seq: i64,
    tags: &Tags,
) -> StoreResult<()> {
    let mut qb = QueryBuilder::new("");
    push_tags(&mut qb, seq, instance_seq, tags);
    execute_statements(conn, qb).await
}

/// Pushes the `(field, text)` rows' insert, one statement ending in `;`.
fn push_search_texts<'t>(
    qb: &mut QueryBuilder<'t, Sqlite>,
    seq: i64,
    instance_seq: i64,
    texts: impl IntoIterator<Item = (&'static str, &'t str)>,
) {
    let texts: Vec<(&str, &str)> = texts.into_iter().collect();
    if texts.is_empty() {
        return;
    }
    qb.push("INSERT INTO search_texts (notification_seq, instance_seq, field, text, folded) ");
    qb.push_values(texts, |mut row, (field, text)| {
        row.push_bind(seq)
            .push_bind(instance_seq)
            .push_bind(field)
            .push_bind(text)
            .push_bind(fold_case(text));
    });
    qb.push(";");
}

async fn insert_search_texts<'t>(
    conn: &mut SqliteConnection,
    seq: i64,
    instance_seq: i64,
    texts: impl IntoIterator<Item = (&'static str, &'t str)>,
) -> StoreResult<()> {
    let mut qb = QueryBuilder::new("");
    push_search_texts(&mut qb, seq, instance_seq, texts);
    execute_statements(conn, qb).await
}
