//! Tag changes on a notification: the JSON column for reads and the
//! `notification_tags` rows for search are rewritten together.

use super::SqliteStore;
use super::dependent_rows::DependentRows;
use super::notifications::BEGIN_WRITE;
use crate::db_error::db_err;
use crate::rows::to_json;
use crate::{StoreError, StoreResult, TagUpdateOutcome, Tags};

impl SqliteStore {
    pub(super) async fn update_notification_tags_impl(
        &self,
        instance_seq: i64,
        notification_id: &str,
        add: &Tags,
        remove: &[String],
        max_tags: usize,
    ) -> StoreResult<TagUpdateOutcome> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        let found: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, tags FROM notifications WHERE instance_seq = ? AND id = ?")
                .bind(instance_seq)
                .bind(notification_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        let Some((seq, stored)) = found else {
            return Ok(TagUpdateOutcome::NotFound);
        };
        let mut tags: Tags = serde_json::from_str(&stored)
            .map_err(|e| StoreError::Corrupt(format!("tags of notification {seq}: {e}")))?;

        // Removal first, then addition: a key in both ends up with the
        // added value.
        for key in remove {
            tags.remove(key);
        }
        tags.extend(add.iter().map(|(k, v)| (k.clone(), v.clone())));
        if tags.len() > max_tags {
            return Ok(TagUpdateOutcome::TooMany {
                would_have: tags.len(),
            });
        }

        sqlx::query("UPDATE notifications SET tags = ? WHERE seq = ?")
            .bind(to_json(&tags)?)
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // At most a few dozen rows: rewriting them all is simpler than a diff
        // and costs the same order.
        sqlx::query("DELETE FROM notification_tags WHERE notification_seq = ?")
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut rows = DependentRows::default();
        rows.add_tags(seq, instance_seq, &tags);
        rows.insert(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(TagUpdateOutcome::Updated(tags))
    }
}
