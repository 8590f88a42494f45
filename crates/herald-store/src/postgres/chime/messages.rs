//! Channel messages: sent with their deliveries and claim, read, listed.

use std::collections::HashSet;

use sqlx::{Postgres, QueryBuilder};

use super::claims;
use super::deliveries::insert_deliveries;
use super::identity::conflict;
use crate::StoreError;
use crate::chime::rows::{self, MESSAGE_COLUMNS};
use crate::chime::rules::{audience_changed, to_members};
use crate::chime::{
    Created, MessageCursor, MessageQuery, MessageRecord, NewDelivery, NewMessage, RequestClaim,
};
use crate::postgres::PgStore;
use crate::postgres::error::PgResult;
use crate::postgres::tx::{retried, serializable};
use crate::rows::{all, ms, to_json};

/// Persistent messages of the channel in the query's order and bounds,
/// after the cursor.
pub(super) fn list_messages_query(
    channel_seq: i64,
    query: &MessageQuery,
    after: Option<MessageCursor>,
    limit: u32,
) -> QueryBuilder<'static, Postgres> {
    let mut qb = QueryBuilder::<Postgres>::new("");
    push_list_messages(&mut qb, channel_seq, query, after, limit);
    qb
}

/// [`list_messages_query`]'s SQL and binds, appended to `qb` (which may
/// hold an `EXPLAIN`). `persistent` is a literal condition so that the
/// partial index applies.
pub(super) fn push_list_messages(
    qb: &mut QueryBuilder<'static, Postgres>,
    channel_seq: i64,
    query: &MessageQuery,
    after: Option<MessageCursor>,
    limit: u32,
) {
    qb.push(format!(
        "SELECT {MESSAGE_COLUMNS} FROM chime_messages WHERE channel_seq = "
    ));
    qb.push_bind(channel_seq).push(" AND persistent");
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
}

impl PgStore {
    /// Claim, message and deliveries in one SERIALIZABLE transaction, which
    /// only reads the channel's row: concurrent sends to one channel do not
    /// conflict. The channel's last-message time is raised after the
    /// commit, in a statement of its own (at READ COMMITTED a concurrent
    /// one waits for the row instead of failing the send), never lowered.
    pub(super) async fn send_message_impl(
        &self,
        new: NewMessage,
        deliveries: Vec<NewDelivery>,
        claim: RequestClaim,
    ) -> PgResult<Created<MessageRecord>> {
        let sql = format!(
            "INSERT INTO chime_messages (channel_seq, message_id, content, metadata, type, \
             persistent, content_type, attributes, push_type, push_title, push_body, \
             sender_arn, sender_name, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             RETURNING {MESSAGE_COLUMNS}"
        );
        let attributes = to_json(&new.attributes)?;
        let push = new.push.as_ref();
        let sent = serializable!(self, |tx| {
            if let Some(resource_id) = claims::take(tx, &claim, &new.message_id).await? {
                return Ok(Created::Replayed { resource_id });
            }
            // A delete of the channel committing meanwhile fails the
            // message's foreign-key check, and so the transaction.
            let audience_version: Option<i64> =
                sqlx::query_scalar("SELECT audience_version FROM chime_channels WHERE seq = $1")
                    .bind(new.channel_seq)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(audience_version) = audience_version else {
                return Err(StoreError::Gone(format!(
                    "channel {} no longer exists",
                    new.channel_seq
                ))
                .into());
            };
            // The audience and the sender's standing were read before this
            // transaction; a removal or ban committed since must win (one
            // committing concurrently bumps the version this read, or
            // deletes the sender's row read below: SSI orders the two).
            // The sender is one lookup; the deliveries need the member set
            // only if the audience changed since they were decided.
            let sender_is_member: Option<i64> = sqlx::query_scalar(
                "SELECT user_seq FROM chime_memberships WHERE channel_seq = $1 AND user_seq = $2",
            )
            .bind(new.channel_seq)
            .bind(new.sender_seq)
            .fetch_optional(&mut *tx)
            .await?;
            if sender_is_member.is_none() {
                return Err(StoreError::Gone(format!(
                    "sender {} is no longer a member of channel {}",
                    new.sender.arn, new.channel_seq
                ))
                .into());
            }
            // Only a changed audience costs a copy (the block may run again).
            let kept;
            let current: &[NewDelivery] =
                if audience_changed(&deliveries, new.audience_version, audience_version) {
                    let members: HashSet<i64> = sqlx::query_scalar(
                        "SELECT user_seq FROM chime_memberships WHERE channel_seq = $1",
                    )
                    .bind(new.channel_seq)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .collect();
                    kept = to_members(deliveries.clone(), &members);
                    &kept
                } else {
                    &deliveries
                };
            let row = sqlx::query(&sql)
                .bind(new.channel_seq)
                .bind(&new.message_id)
                .bind(&new.content)
                .bind(&new.metadata)
                .bind(&new.message_type)
                .bind(new.persistent)
                .bind(&new.content_type)
                .bind(&attributes)
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
            insert_deliveries(tx, current, new.created).await?;
            Created::New(created)
        })?;
        if matches!(sent, Created::New(_)) {
            self.raise_last_message_time(new.channel_seq, new.created)
                .await;
        }
        Ok(sent)
    }

    /// Best effort: the message is committed whatever happens here, and
    /// the time is informational, so a failure is logged, not returned
    /// (which would invite a duplicate send).
    async fn raise_last_message_time(&self, channel_seq: i64, at: jiff::Timestamp) {
        let raised = retried!({
            Ok(sqlx::query(
                "UPDATE chime_channels \
                 SET last_message_ms = GREATEST(COALESCE(last_message_ms, $1), $1) WHERE seq = $2",
            )
            .bind(ms(at))
            .bind(channel_seq)
            .execute(&self.pool)
            .await?)
        });
        if let Err(error) = raised {
            tracing::warn!(
                channel_seq,
                ?error,
                "channel's last-message time not raised"
            );
        }
    }

    pub(super) async fn get_message_impl(
        &self,
        channel_seq: i64,
        message_id: &str,
    ) -> PgResult<Option<MessageRecord>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM chime_messages \
             WHERE channel_seq = $1 AND message_id = $2 AND persistent"
        );
        let row = sqlx::query(&sql)
            .bind(channel_seq)
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rows::message).transpose()?)
    }

    pub(super) async fn list_messages_impl(
        &self,
        channel_seq: i64,
        query: &MessageQuery,
        after: Option<MessageCursor>,
        limit: u32,
    ) -> PgResult<Vec<MessageRecord>> {
        let found = list_messages_query(channel_seq, query, after, limit)
            .build()
            .fetch_all(&self.pool)
            .await?;
        Ok(all(&found, rows::message)?)
    }
}
