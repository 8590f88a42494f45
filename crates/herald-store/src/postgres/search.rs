//! SearchNotifications: the query becomes a set of notification seqs built
//! with INTERSECT/UNION over indexed lookups; the page and the total are
//! read from that set in one snapshot, so both cost what the set costs.
//!
//! Every value is a bound parameter; only fixed SQL text is pushed.

use jiff::Timestamp;
use sqlx::{Postgres, QueryBuilder};

use super::PgStore;
use super::error::PgResult;
use super::notifications::{FIELD_CONTENT, FIELD_ID, push_created_keyset};
use super::nul;
use crate::rows::{self, NOTIFICATION_COLUMNS, ms};
use crate::search_text::prefix_successor;
use crate::{
    Comparison, CreatedCursor, SearchExpr, SearchField, SearchPage, SearchQuery, StoreError,
    TagFilter,
};

/// The trigram index needs a run of three word characters to look anything
/// up; other CONTAINS values fall back to `strpos` over the instance's texts.
const TRIGRAM: usize = 3;

type Qb<'a> = QueryBuilder<'a, Postgres>;

impl PgStore {
    pub(super) async fn search_notifications_impl(
        &self,
        instance_seq: i64,
        query: &SearchQuery,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    ) -> PgResult<SearchPage> {
        let mut page = Qb::new("");
        push_search_page(&mut page, instance_seq, query, now, after, limit);
        let mut count = Qb::new("");
        push_search_count(&mut count, instance_seq, query, now);

        // One snapshot: the total and the page see the same matches.
        let mut tx = self.begin_snapshot().await?;
        let found = page.build().fetch_all(&mut *tx).await?;
        let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
        tx.commit().await?;

        Ok(SearchPage {
            notifications: rows::all(&found, rows::notification)?,
            total: u64::try_from(total)
                .map_err(|_| StoreError::Corrupt(format!("negative count {total}")))?,
        })
    }
}

/// One page of matches, newest first.
pub(super) fn push_search_page(
    qb: &mut Qb<'_>,
    instance_seq: i64,
    query: &SearchQuery,
    now: Timestamp,
    after: Option<CreatedCursor>,
    limit: u32,
) {
    qb.push(format_args!("SELECT {NOTIFICATION_COLUMNS}"));
    push_matches(qb, instance_seq, query, now);
    push_created_keyset(qb, after);
    qb.push(" ORDER BY n.created_at DESC, n.seq DESC LIMIT ")
        .push_bind(i64::from(limit));
}

/// The number of matches, whatever the page.
pub(super) fn push_search_count(
    qb: &mut Qb<'_>,
    instance_seq: i64,
    query: &SearchQuery,
    now: Timestamp,
) {
    qb.push("SELECT count(*)");
    push_matches(qb, instance_seq, query, now);
}

/// `FROM … WHERE …` shared by the page and the count: the instance's
/// unexpired notifications, and when the query constrains anything, only
/// those in its match set (DISTINCT: a lone condition yields a
/// notification once per matching text).
///
/// The match set drives: each match costs one primary-key lookup, as
/// SQLite's CROSS JOIN has it. A plain join lets the planner hash the set
/// and read every notification of the store instead; OFFSET 0 keeps it
/// from flattening the lookup into such a join.
fn push_matches(qb: &mut Qb<'_>, instance_seq: i64, query: &SearchQuery, now: Timestamp) {
    let criteria = query.criteria.as_ref();
    let tags = query.tags.as_ref();
    if criteria.is_none() && tags.is_none() {
        qb.push(" FROM notifications n");
    } else {
        qb.push(" FROM (SELECT DISTINCT s FROM (");
        match (criteria, tags) {
            (Some(expr), Some(filter)) => {
                qb.push("(");
                push_expr(qb, instance_seq, expr);
                qb.push(") INTERSECT (");
                push_tag_filter(qb, instance_seq, filter);
                qb.push(")");
            }
            (Some(expr), None) => push_expr(qb, instance_seq, expr),
            (None, Some(filter)) => push_tag_filter(qb, instance_seq, filter),
            (None, None) => {}
        }
        qb.push(
            ") x) m CROSS JOIN LATERAL \
             (SELECT * FROM notifications WHERE seq = m.s OFFSET 0) n",
        );
    }
    qb.push(" WHERE n.instance_seq = ")
        .push_bind(instance_seq)
        .push(" AND n.expires_at > ")
        .push_bind(ms(now));
}

/// `operator` joins the members, each in parentheses. An empty list adds
/// no constraint (the contract says so of every empty condition list): it
/// stands for every notification of the instance.
fn push_compound<T>(
    qb: &mut Qb<'_>,
    instance_seq: i64,
    operator: &str,
    members: &[T],
    push: impl Fn(&mut Qb<'_>, &T),
) {
    match members {
        [] => {
            qb.push("SELECT seq AS s FROM notifications WHERE instance_seq = ")
                .push_bind(instance_seq);
        }
        [only] => push(qb, only),
        _ => {
            for (i, member) in members.iter().enumerate() {
                if i > 0 {
                    qb.push(operator);
                }
                qb.push("(");
                push(qb, member);
                qb.push(")");
            }
        }
    }
}

fn push_expr(qb: &mut Qb<'_>, instance_seq: i64, expr: &SearchExpr) {
    match expr {
        SearchExpr::All(members) => {
            push_compound(qb, instance_seq, " INTERSECT ", members, |qb, e| {
                push_expr(qb, instance_seq, e)
            })
        }
        SearchExpr::Any(members) => push_compound(qb, instance_seq, " UNION ", members, |qb, e| {
            push_expr(qb, instance_seq, e)
        }),
        SearchExpr::Text {
            field,
            comparison,
            value,
        } => push_text(qb, instance_seq, *field, *comparison, value),
    }
}

/// One condition on one field; a notification matches if any of its texts
/// in that field does (any locale of the content).
fn push_text(
    qb: &mut Qb<'_>,
    instance_seq: i64,
    field: SearchField,
    comparison: Comparison,
    value: &str,
) {
    let field = match field {
        SearchField::Id => FIELD_ID,
        SearchField::Content => FIELD_CONTENT,
    };
    // Stored texts went through the same mapping (no NUL in PostgreSQL).
    let value = nul::owned(value);
    qb.push("SELECT t.notification_seq AS s FROM search_texts t WHERE t.instance_seq = ")
        .push_bind(instance_seq)
        .push(" AND t.field = ")
        .push_bind(field);
    match comparison {
        Comparison::Exact => {
            qb.push(" AND t.text = ").push_bind(value);
        }
        Comparison::StartsWith => {
            // A range on the (instance, field, folded) index. The column is
            // COLLATE "C", which compares code points, so the strings
            // starting with `value` are exactly [value, successor).
            let upper = prefix_successor(&value);
            qb.push(" AND t.folded >= ").push_bind(value);
            if let Some(upper) = upper {
                qb.push(" AND t.folded < ").push_bind(upper);
            }
        }
        Comparison::Contains if has_trigram(&value) => {
            // The trigram index, which (custom plans, see `PgStore::connect`)
            // the planner sees this very pattern for.
            qb.push(" AND t.folded LIKE ")
                .push_bind(format!("%{}%", like_escape(&value)));
        }
        Comparison::Contains => {
            qb.push(" AND strpos(t.folded, ")
                .push_bind(value)
                .push(") > 0");
        }
    }
}

/// Whether pg_trgm finds a trigram to look up in `value`: it splits text
/// into words of alphanumeric characters, so a pattern of punctuation, or
/// of words shorter than three, has none, and the index would have to be
/// read whole. Those take the `strpos` path over the instance's texts.
fn has_trigram(value: &str) -> bool {
    let mut run = 0;
    value.chars().any(|c| {
        run = if c.is_alphanumeric() { run + 1 } else { 0 };
        run >= TRIGRAM
    })
}

/// OR of ANDs of exact key/value pairs.
fn push_tag_filter(qb: &mut Qb<'_>, instance_seq: i64, filter: &TagFilter) {
    push_compound(qb, instance_seq, " UNION ", filter, |qb, group| {
        push_compound(
            qb,
            instance_seq,
            " INTERSECT ",
            group,
            |qb, (key, value)| {
                qb.push(
                    "SELECT notification_seq AS s FROM notification_tags WHERE instance_seq = ",
                )
                .push_bind(instance_seq)
                .push(" AND key = ")
                .push_bind(nul::owned(key))
                .push(" AND value = ")
                .push_bind(nul::owned(value));
            },
        )
    });
}

/// The value with LIKE's wildcards and escape character taken literally
/// (backslash is LIKE's default escape).
fn like_escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_alphanumeric_runs_of_three_are_trigrams() {
        assert!(has_trigram("abc"));
        assert!(has_trigram("x 日本語"));
        assert!(has_trigram("a.b-cde"));
        assert!(!has_trigram("..."));
        assert!(!has_trigram("ab cd"));
        assert!(!has_trigram("a-b-c"));
    }

    #[test]
    fn wildcards_are_literal() {
        assert_eq!(like_escape(r"50%_a\b"), r"50\%\_a\\b");
    }
}
