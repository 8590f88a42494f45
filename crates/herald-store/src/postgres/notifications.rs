//! Notifications: create (with the client-token claim), read, list,
//! content update and delete.

use std::collections::BTreeSet;

use jiff::Timestamp;
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::PgStore;
use super::error::{PgError, PgResult};
use super::nul::{self, text};
use super::tx::{retried, serializable};
use crate::db_error::is_unique_violation;
use crate::rows::{self, NOTIFICATION_COLUMNS, ms, to_json};
use crate::{
    Content, CreateOutcome, CreatedCursor, NewNotification, Notification, Tags, fold_case,
};

pub(super) const FIELD_CONTENT: &str = "content";
pub(super) const FIELD_ID: &str = "id";

impl PgStore {
    /// The token and id checks and the inserts are one SERIALIZABLE
    /// transaction: of two creates racing with one token (or one id), one
    /// commits and the other is retried, and then sees the winner.
    pub(super) async fn create_notification_impl(
        &self,
        new: NewNotification,
    ) -> PgResult<CreateOutcome> {
        let new = &new;
        serializable!(self, |tx| {
            if let Some(claim) = &new.client_token {
                let seen: Option<(String, String, String)> = sqlx::query_as(
                    "SELECT notification_id, notification_arn, request_digest FROM client_tokens \
                     WHERE account_id = $1 AND token = $2 AND claimed_at > $3",
                )
                .bind(text(&claim.account_id))
                .bind(text(&claim.token))
                .bind(ms(new.created_at) - crate::CLIENT_TOKEN_TTL_MS)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((notification_id, notification_arn, request_digest)) = seen {
                    return Ok(CreateOutcome::TokenSeen {
                        notification_id,
                        notification_arn,
                        request_digest,
                    });
                }
            }
            if seq_of(tx, new.instance_seq, &new.id).await?.is_some() {
                return Ok(CreateOutcome::IdTaken);
            }
            let created = insert_notification(tx, new).await?;
            // A broadcast already reaches every user through the instance;
            // direct rows as well would list it twice.
            if !new.broadcast {
                insert_recipients(tx, created.seq, new).await?;
            }
            insert_tags(tx, created.seq, new.instance_seq, &new.tags).await?;
            insert_search_texts(tx, created.seq, new.instance_seq, FIELD_ID, [&new.id]).await?;
            let texts = new.content.values();
            insert_search_texts(tx, created.seq, new.instance_seq, FIELD_CONTENT, texts).await?;
            if let Some(claim) = &new.client_token {
                // An expired claim of the token is replaced.
                sqlx::query(
                    "INSERT INTO client_tokens (account_id, instance_seq, token, request_digest, \
                     notification_id, notification_arn, claimed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, token) DO UPDATE \
                     SET instance_seq = excluded.instance_seq, \
                     request_digest = excluded.request_digest, \
                     notification_id = excluded.notification_id, \
                     notification_arn = excluded.notification_arn, \
                     claimed_at = excluded.claimed_at",
                )
                .bind(text(&claim.account_id))
                .bind(new.instance_seq)
                .bind(text(&claim.token))
                .bind(text(&claim.request_digest))
                .bind(&created.id)
                .bind(&created.arn)
                .bind(ms(new.created_at))
                .execute(&mut *tx)
                .await?;
            }
            CreateOutcome::Created(created)
        })
    }

    pub(super) async fn get_notification_impl(
        &self,
        instance_seq: i64,
        notification_id: &str,
    ) -> PgResult<Option<Notification>> {
        let mut qb = QueryBuilder::new("");
        push_get(&mut qb, instance_seq, notification_id);
        let row = qb.build().fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(rows::notification).transpose()?)
    }

    pub(super) async fn list_notifications_impl(
        &self,
        instance_seq: i64,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    ) -> PgResult<Vec<Notification>> {
        let mut qb = QueryBuilder::new("");
        push_list(&mut qb, instance_seq, now, after, limit);
        let found = qb.build().fetch_all(&self.pool).await?;
        Ok(rows::all(&found, rows::notification)?)
    }

    /// The row and its content search texts change together.
    pub(super) async fn update_notification_content_impl(
        &self,
        instance_seq: i64,
        notification_id: &str,
        content: &Content,
        modified_at: Timestamp,
        modified_region: &str,
    ) -> PgResult<Option<Notification>> {
        let json = to_json(content)?;
        serializable!(self, |tx| {
            let sql = format!(
                "UPDATE notifications n SET content = $1, modified_at = $2, modified_region = $3 \
                 WHERE n.instance_seq = $4 AND n.id = $5 RETURNING {NOTIFICATION_COLUMNS}"
            );
            let row = sqlx::query(&sql)
                .bind(&json)
                .bind(ms(modified_at))
                .bind(text(modified_region))
                .bind(instance_seq)
                .bind(text(notification_id))
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let updated = rows::notification(&row)?;
            sqlx::query("DELETE FROM search_texts WHERE notification_seq = $1 AND field = $2")
                .bind(updated.seq)
                .bind(FIELD_CONTENT)
                .execute(&mut *tx)
                .await?;
            let texts = content.values();
            insert_search_texts(tx, updated.seq, instance_seq, FIELD_CONTENT, texts).await?;
            Some(updated)
        })
    }

    /// Recipients, statuses, tags and search texts go by ON DELETE CASCADE.
    pub(super) async fn delete_notification_impl(
        &self,
        instance_seq: i64,
        notification_id: &str,
    ) -> PgResult<bool> {
        let done = retried!({
            Ok(
                sqlx::query("DELETE FROM notifications WHERE instance_seq = $1 AND id = $2")
                    .bind(instance_seq)
                    .bind(text(notification_id))
                    .execute(&self.pool)
                    .await?,
            )
        })?;
        Ok(done.rows_affected() > 0)
    }
}

/// GetNotification's statement.
pub(super) fn push_get(qb: &mut QueryBuilder<'_, Postgres>, instance_seq: i64, id: &str) {
    qb.push(format_args!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications n WHERE n.instance_seq = "
    ))
    .push_bind(instance_seq)
    .push(" AND n.id = ")
    .push_bind(nul::owned(id));
}

/// ListNotifications' statement: unexpired, newest first, after `after`.
pub(super) fn push_list(
    qb: &mut QueryBuilder<'_, Postgres>,
    instance_seq: i64,
    now: Timestamp,
    after: Option<CreatedCursor>,
    limit: u32,
) {
    qb.push(format_args!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications n WHERE n.instance_seq = "
    ))
    .push_bind(instance_seq)
    .push(" AND n.expires_at > ")
    .push_bind(ms(now));
    push_created_keyset(qb, after);
    qb.push(" ORDER BY n.created_at DESC, n.seq DESC LIMIT ")
        .push_bind(i64::from(limit));
}

/// `AND (created_at, seq) < (cursor)` for newest-first keyset pages over
/// `notifications n`.
pub(super) fn push_created_keyset(
    qb: &mut QueryBuilder<'_, Postgres>,
    after: Option<CreatedCursor>,
) {
    if let Some(cursor) = after {
        qb.push(" AND (n.created_at, n.seq) < (")
            .push_bind(cursor.created_ms)
            .push(", ")
            .push_bind(cursor.seq)
            .push(")");
    }
}

pub(super) async fn seq_of(
    conn: &mut PgConnection,
    instance_seq: i64,
    notification_id: &str,
) -> PgResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT seq FROM notifications WHERE instance_seq = $1 AND id = $2")
            .bind(instance_seq)
            .bind(text(notification_id))
            .fetch_optional(conn)
            .await?,
    )
}

/// Returns the row as stored, as later reads will return it.
async fn insert_notification(
    conn: &mut PgConnection,
    new: &NewNotification,
) -> PgResult<Notification> {
    let sql = format!(
        "INSERT INTO notifications AS n (instance_seq, id, arn, content, urgency, recipients, \
         broadcast, tags, created_at, expires_at, modified_at, modified_region) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         RETURNING {NOTIFICATION_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(new.instance_seq)
        .bind(text(&new.id))
        .bind(text(&new.arn))
        .bind(to_json(&new.content)?)
        .bind(new.priority.urgency())
        .bind(to_json(&new.recipients)?)
        .bind(new.broadcast)
        .bind(to_json(&new.tags)?)
        .bind(ms(new.created_at))
        .bind(ms(new.expires_at))
        .bind(ms(new.created_at))
        .bind(text(&new.region))
        .fetch_one(conn)
        .await
        .map_err(|e| {
            // The id check above saw no such id, so a concurrent create
            // took it since: run again, and the check will say IdTaken.
            if is_unique_violation(&e) {
                PgError::Retry(e.to_string())
            } else {
                e.into()
            }
        })?;
    Ok(rows::notification(&row)?)
}

async fn insert_recipients(
    conn: &mut PgConnection,
    seq: i64,
    new: &NewNotification,
) -> PgResult<()> {
    let users: BTreeSet<i64> = new.direct_user_seqs.iter().copied().collect();
    if users.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO notification_recipients \
         (user_seq, notification_seq, urgency, created_at, expires_at) \
         SELECT u, $2, $3, $4, $5 FROM unnest($1::bigint[]) AS u",
    )
    .bind(users.into_iter().collect::<Vec<i64>>())
    .bind(seq)
    .bind(new.priority.urgency())
    .bind(ms(new.created_at))
    .bind(ms(new.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn insert_tags(
    conn: &mut PgConnection,
    seq: i64,
    instance_seq: i64,
    tags: &Tags,
) -> PgResult<()> {
    if tags.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = tags.keys().map(|k| nul::owned(k)).collect();
    let values: Vec<String> = tags.values().map(|v| nul::owned(v)).collect();
    sqlx::query(
        "INSERT INTO notification_tags (notification_seq, instance_seq, key, value) \
         SELECT $1, $2, k, v FROM unnest($3::text[], $4::text[]) AS t (k, v)",
    )
    .bind(seq)
    .bind(instance_seq)
    .bind(keys)
    .bind(values)
    .execute(conn)
    .await?;
    Ok(())
}

async fn insert_search_texts<'t>(
    conn: &mut PgConnection,
    seq: i64,
    instance_seq: i64,
    field: &'static str,
    texts: impl IntoIterator<Item = &'t String>,
) -> PgResult<()> {
    let (texts, folded): (Vec<String>, Vec<String>) = texts
        .into_iter()
        .map(|t| (nul::owned(t), nul::owned(&fold_case(t))))
        .unzip();
    if texts.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO search_texts (notification_seq, instance_seq, field, text, folded) \
         SELECT $1, $2, $3, t, f FROM unnest($4::text[], $5::text[]) AS s (t, f)",
    )
    .bind(seq)
    .bind(instance_seq)
    .bind(field)
    .bind(texts)
    .bind(folded)
    .execute(conn)
    .await?;
    Ok(())
}
