//! Channel messages: sent with their deliveries and claim, read, listed.

use std::collections::HashSet;

use sqlx::{QueryBuilder, Sqlite};

use super::claims;
use super::deliveries::insert_deliveries;
use super::identity::conflict;
use crate::chime::rows::{self, MESSAGE_COLUMNS};
use crate::chime::rules::{audience_changed, to_members};
use crate::chime::{
    Created, MessageCursor, MessageQuery, MessageRecord, NewDelivery, NewMessage, RequestClaim,
};
use crate::db_error::db_err;
use crate::rows::{all, ms, to_json};
use crate::sqlite::SqliteStore;
use crate::sqlite::notifications::BEGIN_WRITE;
use crate::{StoreError, StoreResult};

/// Persistent messages of the channel in the query's order and bounds,
/// after the cursor. `persistent = 1` is literal so that the partial index
/// applies.
pub(super) fn list_messages_query(
    channel_seq: i64,
    query: &MessageQuery,
    after: Option<MessageCursor>,
    limit: u32,
) -> QueryBuilder<'static, Sqlite> {
    let mut qb = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {MESSAGE_COLUMNS} FROM chime_messages WHERE channel_seq = "
    ));
    qb.push_bind(channel_seq).push(" AND persistent = 1");
    if let Some(not_before) = query.not_before {
        qb.push(" AND created_ms >= ").push_bind(ms(not_before));
    }
    if let Some(not_after) = query.not_after {
        qb.push(" AND created_ms <= ").push_bind(ms(not_after));
    }
    let (past, direction) = if query.ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    if let Some(cursor) = after {
        qb.push(format!(" AND (created_ms, seq) {past} ("))
            .push_bind(cursor.created_ms)
            .push(", ")
            .push_bind(cursor.seq)
            .push(")");
    }
    qb.push(format!(
        " ORDER BY created_ms {direction}, seq {direction} LIMIT "
    ))
    .push_bind(i64::from(limit));
    qb
}

impl SqliteStore {
    pub(super) async fn send_message_impl(
        &self,
        new: NewMessage,
        mut deliveries: Vec<NewDelivery>,
        claim: RequestClaim,
    ) -> StoreResult<Created<MessageRecord>> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        if let Some(resource_id) = claims::replayed(&mut tx, &claim).await? {
            return Ok(Created::Replayed { resource_id });
        }
        let audience_version: Option<i64> = sqlx::query_scalar(
            "UPDATE chime_channels SET last_message_ms = ? WHERE seq = ? RETURNING audience_version",
        )
        .bind(ms(new.created))
        .bind(new.channel_seq)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(audience_version) = audience_version else {
            return Err(StoreError::Gone(format!(
                "channel {} no longer exists",
                new.channel_seq
            )));
        };
        // The audience and the sender's standing were read before this
        // transaction; a removal or ban committed since must win. The
        // sender is one lookup; the deliveries need the member set only if
        // the audience changed since they were decided.
        let sender_is_member = sqlx::query_scalar::<_, i64>(
            "SELECT 1 FROM chime_memberships WHERE channel_seq = ? AND user_seq = ?",
        )
        .bind(new.channel_seq)
        .bind(new.sender_seq)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .is_some();
        if !sender_is_member {
            return Err(StoreError::Gone(format!(
                "sender {} is no longer a member of channel {}",
                new.sender.arn, new.channel_seq
            )));
        }
        if audience_changed(&deliveries, new.audience_version, audience_version) {
            let members: HashSet<i64> =
                sqlx::query_scalar("SELECT user_seq FROM chime_memberships WHERE channel_seq = ?")
                    .bind(new.channel_seq)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .into_iter()
                    .collect();
            deliveries = to_members(deliveries, &members);
        }
        let push = new.push.as_ref();
        let sql = format!(
            "INSERT INTO chime_messages (channel_seq, message_id, content, metadata, type, \
             persistent, content_type, attributes, push_type, push_title, push_body, \
             sender_arn, sender_name, created_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {MESSAGE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.channel_seq)
            .bind(&new.message_id)
            .bind(&new.content)
            .bind(&new.metadata)
            .bind(&new.message_type)
            .bind(new.persistent)
            .bind(&new.content_type)
            .bind(to_json(&new.attributes)?)
            .bind(push.map(|p| p.push_type.as_str()))
            .bind(push.and_then(|p| p.title.as_deref()))
            .bind(push.and_then(|p| p.body.as_deref()))
            .bind(&new.sender.arn)
            .bind(&new.sender.name)
            .bind(ms(new.created))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict(e, || format!("message {} exists", new.message_id)))?;
        let created = rows::message(&row)?;
        insert_deliveries(&mut tx, &deliveries, new.created).await?;
        claims::store(&mut tx, &claim, &created.message_id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Created::New(created))
    }

    pub(super) async fn get_message_impl(
        &self,
        channel_seq: i64,
        message_id: &str,
    ) -> StoreResult<Option<MessageRecord>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM chime_messages \
             WHERE channel_seq = ? AND message_id = ? AND persistent = 1"
        );
        let row = sqlx::query(&sql)
            .bind(channel_seq)
            .bind(message_id)
            .fetch_optional(&self.readers)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::message).transpose()
    }

    pub(super) async fn list_messages_impl(
        &self,
        channel_seq: i64,
        query: &MessageQuery,
        after: Option<MessageCursor>,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>> {
        let found = list_messages_query(channel_seq, query, after, limit)
            .build()
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        all(&found, rows::message)
    }
}
