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

use super::notifications::{field_name, push_created_keyset, push_keyset_on};
use super::{SqliteStore, json_page};
use crate::db_error::db_err;
use crate::fold_case;
use crate::rows::{NOTIFICATION_COLUMNS, ms};
use crate::search_text::prefix_successor;
use crate::{
    Comparison, CreatedCursor, SearchExpr, SearchPage, SearchQuery, StoreResult, TagFilter,
};

/// At most this many of an instance's newest notifications are walked;
/// an instance no larger is searched through its match set, exactly.
pub(super) const PROBE_WINDOW: i64 = 2000;

impl SqliteStore {
    /// The page when the instance is larger than the window and the
    /// window fills the page, else `None` (the caller builds the match
    /// set). One statement: the page, how many rows the walk passed to
    /// find it and the instance's size.
    pub(super) async fn probe_search(
        &self,
        instance_seq: i64,
        query: &SearchQuery,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    ) -> StoreResult<Option<SearchPage>> {
        let mut qb = QueryBuilder::new("");
        push_probe(&mut qb, instance_seq, query, now, after, limit);
        let (page, walked, instance_size): (String, i64, i64) = qb
            .build_query_as()
            .fetch_one(&self.readers)
            .await
            .map_err(db_err)?;
        if instance_size <= PROBE_WINDOW {
            return Ok(None);
        }
        let notifications = json_page::decode_notifications(&page)?;
        if notifications.len() < limit as usize {
            return Ok(None);
        }
        let matched = notifications.len() as u64;
        let estimate = matched as f64 * instance_size as f64 / walked.max(1) as f64;
        Ok(Some(SearchPage {
            notifications,
            total: (estimate.round() as u64).max(matched),
        }))
    }
}

/// The walk, as one statement of three columns: the page (as
/// [`json_page`] builds it), the rows walked to find it, the instance's
/// size.
///
/// The walk `m` is the instance's newest [`PROBE_WINDOW`] rows from the
/// cursor, read from an index alone that carries `expires_at`: the texts'
/// listing-order index when the query is one folded test of one field
/// ([`push_text_walk`]), else the created index, each notification tested
/// by [`push_predicate`] against its own texts. A notification's row is
/// read only when it matches, and the page stops at `limit` matches. No
/// ORDER BY outside the walk: the join keeps the walk's order (SQLite's
/// nested loop over a co-routine), and one would cost a sort of the whole
/// window. The page is put in order after decoding, as every page is.
pub(super) fn push_probe<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    instance_seq: i64,
    query: &'a SearchQuery,
    now: Timestamp,
    after: Option<CreatedCursor>,
    limit: u32,
) {
    qb.push(format!(
        "WITH page AS MATERIALIZED (SELECT {NOTIFICATION_COLUMNS} FROM ("
    ));
    match folded_test(query) {
        Some(test) => push_text_walk(qb, instance_seq, query, test, now, after, limit),
        None => push_created_walk(qb, instance_seq, query, now, after, limit),
    }
    qb.push(format!(
        ") SELECT (SELECT json_group_array({}) FROM page), \
         ifnull((SELECT count(*) FROM notifications n WHERE n.instance_seq = ",
        json_page::NOTIFICATION_ARRAY
    ))
    .push_bind(instance_seq)
    .push(
        " AND (n.created_at, n.seq) >= (SELECT created_at, seq FROM page \
         ORDER BY created_at, seq LIMIT 1)",
    );
    push_created_keyset(qb, after);
    qb.push("), 0), ifnull((SELECT notification_count FROM instances WHERE seq = ")
        .push_bind(instance_seq)
        .push("), 0)");
}

/// The comparisons that read a text's folding alone (an exact one reads
/// the text as well), so that a text index can answer them without the
/// text's row.
#[derive(Clone, Copy)]
enum FoldedComparison {
    Contains,
    StartsWith,
}

impl FoldedComparison {
    fn of(comparison: Comparison) -> Option<FoldedComparison> {
        match comparison {
            Comparison::Contains => Some(FoldedComparison::Contains),
            Comparison::StartsWith => Some(FoldedComparison::StartsWith),
            Comparison::Exact => None,
        }
    }
}

/// One folded test of one field.
struct FoldedTest<'a> {
    field: &'static str,
    comparison: FoldedComparison,
    value: &'a str,
}

/// The query's criteria when they are one folded test.
fn folded_test(query: &SearchQuery) -> Option<FoldedTest<'_>> {
    match &query.criteria {
        Some(SearchExpr::Text {
            field,
            comparison,
            value,
        }) => Some(FoldedTest {
            field: field_name(*field),
            comparison: FoldedComparison::of(*comparison)?,
            value,
        }),
        _ => None,
    }
}

/// A small instance is not walked at all (its match set is built, and
/// counted exactly): a constant subquery, evaluated once.
fn push_large_instance_only(qb: &mut QueryBuilder<'_, Sqlite>, instance_seq: i64) {
    qb.push(" AND (SELECT notification_count FROM instances WHERE seq = ")
        .push_bind(instance_seq)
        .push(") > ")
        .push_bind(PROBE_WINDOW);
}

/// The walk over the created index; the page's rows joined as `n`.
fn push_created_walk<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    instance_seq: i64,
    query: &'a SearchQuery,
    now: Timestamp,
    after: Option<CreatedCursor>,
    limit: u32,
) {
    qb.push(
        "SELECT n.seq AS seq, n.expires_at AS expires_at FROM notifications n \
         WHERE n.instance_seq = ",
    )
    .push_bind(instance_seq);
    push_created_keyset(qb, after);
    push_large_instance_only(qb, instance_seq);
    qb.push(" ORDER BY n.created_at DESC, n.seq DESC LIMIT ")
        .push_bind(PROBE_WINDOW)
        .push(") m CROSS JOIN notifications n ON n.seq = m.seq WHERE m.expires_at > ")
        .push_bind(ms(now));
    if let Some(expr) = &query.criteria {
        qb.push(" AND ");
        push_predicate(qb, expr);
    }
    push_tags(qb, query);
    qb.push(" LIMIT ").push_bind(i64::from(limit));
}

/// The walk over the texts of one field in listing order (migration
/// 0011's index), the test on each text's folding in the index itself;
/// DISTINCT because a notification may match in more than one locale
/// (its texts are next to each other in the walk). The window counts
/// texts, which bounds the work the same way.
fn push_text_walk<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    instance_seq: i64,
    query: &'a SearchQuery,
    test: FoldedTest<'a>,
    now: Timestamp,
    after: Option<CreatedCursor>,
    limit: u32,
) {
    qb.push(
        "SELECT DISTINCT m.seq AS seq FROM (SELECT t.notification_seq AS seq, \
         t.expires_at AS expires_at, t.folded AS folded FROM search_texts t \
         WHERE t.instance_seq = ",
    )
    .push_bind(instance_seq)
    .push(" AND t.field = ")
    .push_bind(test.field);
    push_keyset_on(qb, "t.created_at, t.notification_seq", after);
    push_large_instance_only(qb, instance_seq);
    qb.push(" ORDER BY t.created_at DESC, t.notification_seq DESC LIMIT ")
        .push_bind(PROBE_WINDOW)
        .push(") m WHERE m.expires_at > ")
        .push_bind(ms(now))
        .push(" AND ");
    push_folded_comparison(qb, "m.folded", test.comparison, test.value);
    push_tags(qb, query);
    qb.push(" LIMIT ")
        .push_bind(i64::from(limit))
        .push(") m CROSS JOIN notifications n ON n.seq = m.seq");
}

fn push_tags<'a>(qb: &mut QueryBuilder<'a, Sqlite>, query: &'a SearchQuery) {
    if let Some(filter) = &query.tags {
        qb.push(" AND ");
        push_tag_predicate(qb, filter);
    }
}

/// `comparison` of the search text `t` with `value`, for the match set
/// and the walk alike (values arrive folded where the comparison is
/// case-insensitive).
pub(super) fn push_text_comparison<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    comparison: Comparison,
    value: &'a str,
) {
    match FoldedComparison::of(comparison) {
        Some(folded) => push_folded_comparison(qb, "t.folded", folded, value),
        None => {
            // Exact: one seek in the folded index, whose key ends with
            // the text (a text equal to `value` has its folding).
            qb.push("t.folded = ")
                .push_bind(fold_case(value))
                .push(" AND t.text = ")
                .push_bind(value);
        }
    }
}

/// A test of `column`, a folded text.
fn push_folded_comparison<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    column: &str,
    comparison: FoldedComparison,
    value: &'a str,
) {
    match comparison {
        FoldedComparison::StartsWith => {
            // BINARY collation compares UTF-8 bytes, i.e. code points, so
            // the strings starting with `value` are exactly
            // [value, successor).
            qb.push(format!("{column} >= ")).push_bind(value);
            if let Some(upper) = prefix_successor(value) {
                qb.push(format!(" AND {column} < ")).push_bind(upper);
            }
        }
        FoldedComparison::Contains => {
            qb.push(format!("instr({column}, "))
                .push_bind(value)
                .push(") > 0");
        }
    }
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
            qb.push("EXISTS (SELECT 1 FROM search_texts t WHERE t.notification_seq = m.seq AND t.field = ")
                .push_bind(field_name(*field))
                .push(" AND ");
            push_text_comparison(qb, *comparison, value);
            qb.push(")");
        }
    }
}

fn push_tag_predicate<'a>(qb: &mut QueryBuilder<'a, Sqlite>, filter: &'a TagFilter) {
    push_joined(qb, " OR ", filter, |qb, group| {
        push_joined(qb, " AND ", group, |qb, (key, value)| {
            qb.push(
                "EXISTS (SELECT 1 FROM notification_tags g WHERE g.notification_seq = m.seq \
                 AND g.key = ",
            )
            .push_bind(key.as_str())
            .push(" AND g.value = ")
            .push_bind(value.as_str())
            .push(")");
        })
    });
}
