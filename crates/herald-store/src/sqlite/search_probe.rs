//! SearchNotifications in a large instance: walk the instance's newest
//! notifications (from the page's start) and test each against the query,
//! instead of building the whole match set first.
//!
//! A common word matches a large share of a large instance; building its
//! match set costs what the instance holds, while the newest page of it is
//! found after `limit / share` rows. The walk is bounded: it looks at most
//! at [`PROBE_WINDOW`] rows, and when they do not fill the page the match
//! set is sparse and the caller builds it after all. The total is then an
//! estimate: the share of matches among the rows walked, times the
//! instance's size.

use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite};

use super::notifications::{FIELD_CONTENT, FIELD_ID, push_created_keyset};
use super::{SqliteStore, json_page};
use crate::db_error::db_err;
use crate::rows::{NOTIFICATION_COLUMNS, ms};
use crate::search_text::prefix_successor;
use crate::{
    Comparison, CreatedCursor, SearchExpr, SearchField, SearchPage, SearchQuery, StoreResult,
    TagFilter,
};

/// At most this many of an instance's newest notifications are walked;
/// an instance no larger is searched through its match set, exactly.
pub(super) const PROBE_WINDOW: i64 = 2000;

impl SqliteStore {
    /// The instance's stored notifications, kept by triggers.
    pub(super) async fn instance_size(&self, instance_seq: i64) -> StoreResult<i64> {
        let size: Option<i64> =
            sqlx::query_scalar("SELECT notification_count FROM instances WHERE seq = ?")
                .bind(instance_seq)
                .fetch_optional(&self.readers)
                .await
                .map_err(db_err)?;
        Ok(size.unwrap_or(0))
    }

    /// The page when the window fills it, else `None`.
    pub(super) async fn probe_search(
        &self,
        instance_seq: i64,
        query: &SearchQuery,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
        instance_size: i64,
    ) -> StoreResult<Option<SearchPage>> {
        let mut qb = json_page::open(json_page::Page::Notifications);
        push_probe(&mut qb, instance_seq, query, now, after, limit);
        let notifications = json_page::notifications(&mut qb, &self.readers).await?;
        let Some(last) = notifications.last() else {
            return Ok(None);
        };
        if notifications.len() < limit as usize {
            return Ok(None);
        }

        // How many rows the walk passed to find the page: an index range of
        // at most PROBE_WINDOW entries.
        let mut walked = QueryBuilder::<Sqlite>::new(
            "SELECT count(*) FROM notifications n WHERE n.instance_seq = ",
        );
        walked
            .push_bind(instance_seq)
            .push(" AND (n.created_at, n.seq) >= (")
            .push_bind(ms(last.created_at))
            .push(", ")
            .push_bind(last.seq)
            .push(")");
        push_created_keyset(&mut walked, after);
        let walked: i64 = walked
            .build_query_scalar()
            .fetch_one(&self.readers)
            .await
            .map_err(db_err)?;
        let matched = notifications.len() as u64;
        let estimate = matched as f64 * instance_size as f64 / walked.max(1) as f64;
        Ok(Some(SearchPage {
            notifications,
            total: (estimate.round() as u64).max(matched),
        }))
    }
}

/// The walk: the instance's unexpired notifications newest first from the
/// cursor, no older than the window's last row, each tested by
/// [`push_predicate`]; the ORDER BY is the index's, so SQLite stops at
/// `limit` matches.
pub(super) fn push_probe<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    instance_seq: i64,
    query: &'a SearchQuery,
    now: Timestamp,
    after: Option<CreatedCursor>,
    limit: u32,
) {
    qb.push(format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications n WHERE n.instance_seq = "
    ))
    .push_bind(instance_seq)
    .push(" AND n.expires_at > ")
    .push_bind(ms(now));
    push_created_keyset(qb, after);
    // The window's oldest row, or (-1, -1) when fewer rows remain: two
    // scalar subqueries, each evaluated once.
    for column in ["created_at", "seq"] {
        qb.push(if column == "seq" {
            ", "
        } else {
            " AND (n.created_at, n.seq) >= ("
        });
        qb.push(format!(
            "ifnull((SELECT n.{column} FROM notifications n WHERE n.instance_seq = "
        ))
        .push_bind(instance_seq);
        push_created_keyset(qb, after);
        qb.push(" ORDER BY n.created_at DESC, n.seq DESC LIMIT 1 OFFSET ")
            .push_bind(PROBE_WINDOW - 1)
            .push("), -1)");
    }
    qb.push(")");
    if let Some(expr) = &query.criteria {
        qb.push(" AND ");
        push_predicate(qb, expr);
    }
    if let Some(filter) = &query.tags {
        qb.push(" AND ");
        push_tag_predicate(qb, filter);
    }
    qb.push(" ORDER BY n.created_at DESC, n.seq DESC LIMIT ")
        .push_bind(i64::from(limit));
}

/// `members` joined by `operator`; an empty list adds no constraint, as
/// in the match-set form.
fn push_joined<'a, T>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    operator: &str,
    members: &'a [T],
    push: impl Fn(&mut QueryBuilder<'a, Sqlite>, &'a T),
) {
    if members.is_empty() {
        qb.push("1");
        return;
    }
    qb.push("(");
    for (i, member) in members.iter().enumerate() {
        if i > 0 {
            qb.push(operator);
        }
        push(qb, member);
    }
    qb.push(")");
}

/// The criteria as a test of notification `n`: each condition is an
/// `EXISTS` over that notification's own texts (one or two rows).
fn push_predicate<'a>(qb: &mut QueryBuilder<'a, Sqlite>, expr: &'a SearchExpr) {
    match expr {
        SearchExpr::All(members) => push_joined(qb, " AND ", members, push_predicate),
        SearchExpr::Any(members) => push_joined(qb, " OR ", members, push_predicate),
        SearchExpr::Text {
            field,
            comparison,
            value,
        } => {
            let field = match field {
                SearchField::Id => FIELD_ID,
                SearchField::Content => FIELD_CONTENT,
            };
            qb.push("EXISTS (SELECT 1 FROM search_texts t WHERE t.notification_seq = n.seq AND t.field = ")
                .push_bind(field);
            // The same comparisons as the match-set form (values arrive
            // folded where the comparison is case-insensitive).
            match comparison {
                Comparison::Exact => {
                    qb.push(" AND t.text = ").push_bind(value.as_str());
                }
                Comparison::StartsWith => {
                    qb.push(" AND t.folded >= ").push_bind(value.as_str());
                    if let Some(upper) = prefix_successor(value) {
                        qb.push(" AND t.folded < ").push_bind(upper);
                    }
                }
                Comparison::Contains => {
                    qb.push(" AND instr(t.folded, ")
                        .push_bind(value.as_str())
                        .push(") > 0");
                }
            }
            qb.push(")");
        }
    }
}

fn push_tag_predicate<'a>(qb: &mut QueryBuilder<'a, Sqlite>, filter: &'a TagFilter) {
    push_joined(qb, " OR ", filter, |qb, group| {
        push_joined(qb, " AND ", group, |qb, (key, value)| {
            qb.push(
                "EXISTS (SELECT 1 FROM notification_tags g WHERE g.notification_seq = n.seq \
                 AND g.key = ",
            )
            .push_bind(key.as_str())
            .push(" AND g.value = ")
            .push_bind(value.as_str())
            .push(")");
        })
    });
}

#[cfg(test)]
mod tests {
    use jiff::{SignedDuration, Timestamp};

    use super::super::SqliteStore;
    use crate::{NewInstance, NewNotification, Priority, Store, Tags};

    /// The triggers keep the count through creates, deletes, the sweeper
    /// and a taken id (which inserts nothing): without them every instance
    /// would look small and never be walked.
    #[tokio::test]
    async fn instance_size_follows_inserts_and_deletes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path()).await.expect("open");
        let now = Timestamp::now();
        let instance = store
            .create_instance(NewInstance {
                account_id: "000000000000".into(),
                id: "i".into(),
                arn: "arn:aws:connect:us-east-1:000000000000:instance/i".into(),
                alias: None,
                identity_management_type: "CONNECT_MANAGED".into(),
                inbound_calls_enabled: true,
                outbound_calls_enabled: true,
                tags: Tags::new(),
                created_at: now,
            })
            .await
            .expect("instance");
        let note = |id: &str, expires_at: Timestamp| NewNotification {
            instance_seq: instance.seq,
            id: id.into(),
            arn: format!("{}/notification/{id}", instance.arn),
            content: [("en_US".to_owned(), "hello".to_owned())].into(),
            priority: Priority::Low,
            recipients: vec![instance.arn.clone()],
            broadcast: true,
            direct_user_seqs: Vec::new(),
            tags: Tags::new(),
            created_at: now - SignedDuration::from_hours(2),
            expires_at,
            region: "us-east-1".into(),
            client_token: None,
        };
        let later = now + SignedDuration::from_hours(1);
        for id in ["a", "b", "c"] {
            store
                .create_notification(note(id, later))
                .await
                .expect("create");
        }
        store
            .create_notification(note("old", now - SignedDuration::from_hours(1)))
            .await
            .expect("create");
        store
            .create_notification(note("a", later))
            .await
            .expect("taken id");
        assert_eq!(store.instance_size(instance.seq).await.expect("size"), 4);

        assert!(
            store
                .delete_notification(instance.seq, "b")
                .await
                .expect("delete")
        );
        assert_eq!(store.sweep_expired(now, 100).await.expect("sweep"), 1);
        assert_eq!(store.instance_size(instance.seq).await.expect("size"), 2);

        assert!(store.delete_instance(instance.seq).await.expect("delete"));
        assert_eq!(store.instance_size(instance.seq).await.expect("size"), 0);
    }
}
