//! Tag changes on a notification: the JSON column for reads and the
//! `notification_tags` rows for search are rewritten together.

use super::PgStore;
use super::error::PgResult;
use super::notifications::insert_tags;
use super::nul::text;
use super::tx::serializable;
use crate::rows::{from_json, to_json};
use crate::{TagUpdateOutcome, Tags};

impl PgStore {
    /// Read, change and write back in one SERIALIZABLE transaction, so two
    /// concurrent updates cannot both pass the `max_tags` check on the
    /// same old tags, nor lose each other's changes.
    pub(super) async fn update_notification_tags_impl(
        &self,
        instance_seq: i64,
        notification_id: &str,
        add: &Tags,
        remove: &[String],
        max_tags: usize,
    ) -> PgResult<TagUpdateOutcome> {
        serializable!(self, |tx| {
            let found: Option<(i64, String)> = sqlx::query_as(
                "SELECT seq, tags FROM notifications WHERE instance_seq = $1 AND id = $2",
            )
            .bind(instance_seq)
            .bind(text(notification_id))
            .fetch_optional(&mut *tx)
            .await?;
            let Some((seq, stored)) = found else {
                return Ok(TagUpdateOutcome::NotFound);
            };
            let mut tags: Tags = from_json(&stored, &format!("tags of notification {seq}"))?;

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

            sqlx::query("UPDATE notifications SET tags = $1 WHERE seq = $2")
                .bind(to_json(&tags)?)
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            // At most a few dozen rows: rewriting them all is simpler than
            // a diff and costs the same order.
            sqlx::query("DELETE FROM notification_tags WHERE notification_seq = $1")
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            insert_tags(tx, seq, instance_seq, &tags).await?;
            TagUpdateOutcome::Updated(tags)
        })
    }
}
