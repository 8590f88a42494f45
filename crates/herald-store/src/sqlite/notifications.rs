//! Notifications: read, list, content update and delete (creates are in
//! `creates.rs`).

use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::dependent_rows::DependentRows;
use super::{SqliteStore, json_page};
use crate::db_error::db_err;
use crate::rows::{self, NOTIFICATION_COLUMNS, ms, to_json};
use crate::{Content, CreatedCursor, Notification, StoreError, StoreResult};

/// Writer transactions take the write lock up front: the single writer
/// connection never competes with itself, and another process sharing the
/// file waits (busy_timeout) at BEGIN rather than failing mid-transaction.
pub(super) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

pub(super) const FIELD_CONTENT: &str = "content";
pub(super) const FIELD_ID: &str = "id";

/// The `field` value of a search field's texts.
pub(super) fn field_name(field: crate::SearchField) -> &'static str {
    match field {
        crate::SearchField::Id => FIELD_ID,
        crate::SearchField::Content => FIELD_CONTENT,
    }
}

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
        let mut texts = DependentRows::default();
        texts.add_content(seq, instance_seq, content);
        texts.insert(&mut tx).await?;
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
    push_keyset_on(qb, "n.created_at, n.seq", after);
}

/// The same cut on other columns holding (creation, notification seq).
pub(super) fn push_keyset_on(
    qb: &mut QueryBuilder<'_, Sqlite>,
    columns: &str,
    after: Option<CreatedCursor>,
) {
    if let Some(cursor) = after {
        qb.push(format!(" AND ({columns}) < ("))
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
