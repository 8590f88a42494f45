//! The rows a notification has in tables of their own (direct recipients,
//! tags, search texts, its client-token claim), written by one command: one
//! statement per table, each taking its rows as one JSON array parameter.
//! A create writes them for a whole set of notifications; a tag or content
//! change rewrites one notification's tags or texts the same way. The
//! statements' texts do not depend on how many rows there are, and no count
//! of rows can reach SQLite's limit on bound parameters.

use std::collections::BTreeSet;

use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::notifications::{FIELD_CONTENT, FIELD_ID};
use crate::db_error::db_err;
use crate::rows::{ms, to_json};
use crate::{Content, NewNotification, StoreResult, Tags, fold_case};

/// Each statement up to its array (`push_rows` binds it and closes it).
const INSERT_RECIPIENTS: &str = "INSERT INTO notification_recipients \
     (user_seq, notification_seq, urgency, created_at, expires_at) SELECT j.value ->> 0, \
     j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4 FROM json_each(";
const INSERT_TAGS: &str = "INSERT INTO notification_tags (notification_seq, instance_seq, key, \
     value) SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3 \
     FROM json_each(";
/// A text carries its notification's creation and expiry (the walk's index
/// orders and filters by them), read from the notification's row, which is
/// written first.
const INSERT_TEXTS: &str = "INSERT INTO search_texts (notification_seq, instance_seq, field, \
     text, folded, created_at, expires_at) SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, \
     j.value ->> 3, j.value ->> 4, n.created_at, n.expires_at FROM json_each(";
const CLAIM_TOKENS: &str = "INSERT OR REPLACE INTO client_tokens (account_id, instance_seq, \
     token, request_digest, notification_id, notification_arn, claimed_at) SELECT \
     j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, \
     j.value ->> 6 FROM json_each(";

/// Rows to write, as arrays in their columns' order.
#[derive(Default)]
pub(super) struct DependentRows<'a> {
    recipients: Vec<(i64, i64, i64, i64, i64)>,
    tags: Vec<(i64, i64, &'a str, &'a str)>,
    texts: Vec<(i64, i64, &'static str, &'a str, String)>,
    tokens: Vec<(&'a str, i64, &'a str, &'a str, &'a str, &'a str, i64)>,
}

impl<'a> DependentRows<'a> {
    /// Every row a new notification, stored as `seq`, has besides its own.
    pub(super) fn add_created(&mut self, new: &'a NewNotification, seq: i64) {
        let instance = new.instance_seq;
        // A broadcast already reaches every user through the instance;
        // direct rows as well would list it twice.
        if !new.broadcast {
            let users: BTreeSet<i64> = new.direct_user_seqs.iter().copied().collect();
            let (urgency, created, expires) = (
                new.priority.urgency(),
                ms(new.created_at),
                ms(new.expires_at),
            );
            self.recipients.extend(
                users
                    .into_iter()
                    .map(|user| (user, seq, urgency, created, expires)),
            );
        }
        self.add_tags(seq, instance, &new.tags);
        self.add_texts(seq, instance, std::iter::once((FIELD_ID, new.id.as_str())));
        self.add_content(seq, instance, &new.content);
        if let Some(claim) = &new.client_token {
            self.tokens.push((
                &claim.account_id,
                instance,
                &claim.token,
                &claim.request_digest,
                &new.id,
                &new.arn,
                ms(new.created_at),
            ));
        }
    }

    /// The tag rows of notification `seq`.
    pub(super) fn add_tags(&mut self, seq: i64, instance_seq: i64, tags: &'a Tags) {
        self.tags.extend(
            tags.iter()
                .map(|(key, value)| (seq, instance_seq, key.as_str(), value.as_str())),
        );
    }

    /// The search texts of notification `seq`'s content, one per locale.
    pub(super) fn add_content(&mut self, seq: i64, instance_seq: i64, content: &'a Content) {
        let texts = content.values().map(|text| (FIELD_CONTENT, text.as_str()));
        self.add_texts(seq, instance_seq, texts);
    }

    fn add_texts(
        &mut self,
        seq: i64,
        instance_seq: i64,
        texts: impl Iterator<Item = (&'static str, &'a str)>,
    ) {
        self.texts
            .extend(texts.map(|(field, text)| (seq, instance_seq, field, text, fold_case(text))));
    }

    /// One command, one message to the writer's thread (sqlx's SQLite
    /// driver runs it statement by statement and stops at a failing one);
    /// nothing when there are no rows.
    pub(super) async fn insert(self, conn: &mut SqliteConnection) -> StoreResult<()> {
        let mut command = QueryBuilder::<Sqlite>::new("");
        push_rows(&mut command, INSERT_RECIPIENTS, &self.recipients, ROWS_END)?;
        push_rows(&mut command, INSERT_TAGS, &self.tags, ROWS_END)?;
        push_rows(&mut command, INSERT_TEXTS, &self.texts, TEXTS_END)?;
        push_rows(&mut command, CLAIM_TOKENS, &self.tokens, ROWS_END)?;
        if command.sql().is_empty() {
            return Ok(());
        }
        command.build().execute(conn).await.map_err(db_err)?;
        Ok(())
    }
}

/// What follows a statement's array: nothing, or for the texts the join
/// to their notifications (CROSS JOIN: the array drives, one rowid lookup
/// per text).
const ROWS_END: &str = ") j;";
const TEXTS_END: &str = ") j CROSS JOIN notifications n ON n.seq = j.value ->> 0;";

/// Appends the statement `head` begins, `rows` as its array, then `end`,
/// unless there are no rows.
fn push_rows<T: Serialize>(
    command: &mut QueryBuilder<'_, Sqlite>,
    head: &str,
    rows: &[T],
    end: &str,
) -> StoreResult<()> {
    if !rows.is_empty() {
        command.push(head).push_bind(to_json(&rows)?).push(end);
    }
    Ok(())
}
