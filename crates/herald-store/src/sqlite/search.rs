//! SearchNotifications: the query becomes a set of notification seqs built
//! with INTERSECT/UNION over indexed lookups; the page and the total are
//! read from that set in one snapshot, so both cost what the set costs.
//!
//! In an instance of more than `PROBE_WINDOW` notifications, a page that
//! its newest rows fill is found by walking them instead
//! (`search_probe.rs`), and the total is then estimated.
//!
//! Every value is a bound parameter; only fixed SQL text is pushed.

use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite};

use super::notifications::{field_name, push_created_keyset};
use super::search_probe::push_text_comparison;
use super::{SqliteStore, json_page};
use crate::db_error::db_err;
use crate::rows::{NOTIFICATION_COLUMNS, ms};
use crate::{
    Comparison, CreatedCursor, SearchExpr, SearchField, SearchPage, SearchQuery, StoreError,
    StoreResult, TagFilter,
};

/// The trigram index needs at least three characters to look anything up;
/// shorter CONTAINS values fall back to `instr` over the instance's texts.
const TRIGRAM: usize = 3;

impl SqliteStore {
    pub(super) async fn search_notifications_impl(
        &self,
        instance_seq: i64,
        query: &SearchQuery,
        now: Timestamp,
        after: Option<CreatedCursor>,
        limit: u32,
    ) -> StoreResult<SearchPage> {
        // A large instance is walked newest first (`search_probe`); only
        // when its newest rows do not fill the page, or the instance is
        // small (its total is then counted exactly), is the match set
        // built.
        if let Some(page) = self
            .probe_search(instance_seq, query, now, after, limit)
            .await?
        {
            return Ok(page);
        }

        let mut page = json_page::open(json_page::Page::Notifications);
        page.push(format!("SELECT {NOTIFICATION_COLUMNS}"));
        push_matches(&mut page, instance_seq, query, now);
        push_created_keyset(&mut page, after);
        page.push(" ORDER BY n.created_at DESC, n.seq DESC LIMIT ")
            .push_bind(i64::from(limit));

        let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*)");
        push_matches(&mut count, instance_seq, query, now);

        // One read transaction: the total and the page see the same
        // snapshot.
        let mut tx = self.readers.begin().await.map_err(db_err)?;
        let notifications = json_page::notifications(&mut page, &mut *tx).await?;
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;

        Ok(SearchPage {
            notifications,
            total: u64::try_from(total)
                .map_err(|_| StoreError::Corrupt(format!("negative count {total}")))?,
        })
    }
}

/// `FROM … WHERE …` shared by the page and the count: the instance's
/// unexpired notifications, and when the query constrains anything, only
/// those in its match set.
///
/// The match set drives the join (CROSS JOIN fixes the loop order in
/// SQLite): each match costs one rowid lookup, where `seq IN (set)` let the
/// planner walk every notification of the instance instead. DISTINCT
/// because a lone condition yields a notification once per matching text.
pub(super) fn push_matches<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    instance_seq: i64,
    query: &'a SearchQuery,
    now: Timestamp,
) {
    let criteria = query.criteria.as_ref();
    let tags = query.tags.as_ref();
    if criteria.is_none() && tags.is_none() {
        qb.push(" FROM notifications n");
    } else {
        qb.push(" FROM (SELECT DISTINCT s FROM (");
        match (criteria, tags) {
            (Some(expr), Some(filter)) => {
                push_member(qb, |qb| push_expr(qb, instance_seq, expr));
                qb.push(" INTERSECT ");
                push_member(qb, |qb| push_tag_filter(qb, instance_seq, filter));
            }
            (Some(expr), None) => push_expr(qb, instance_seq, expr),
            (None, Some(filter)) => push_tag_filter(qb, instance_seq, filter),
            (None, None) => {}
        }
        qb.push(")) m CROSS JOIN notifications n ON n.seq = m.s");
    }
    qb.push(" WHERE n.instance_seq = ")
        .push_bind(instance_seq)
        .push(" AND n.expires_at > ")
        .push_bind(ms(now));
}

/// SQLite allows no parentheses around the members of a compound SELECT, so
/// each nested set becomes `SELECT s FROM (…)`.
fn push_member<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    inner: impl FnOnce(&mut QueryBuilder<'a, Sqlite>),
) {
    qb.push("SELECT s FROM (");
    inner(qb);
    qb.push(")");
}

/// `operator` joins the members. An empty list adds no constraint (the
/// contract says so of every empty condition list): it stands for every
/// notification of the instance.
fn push_compound<'a, T>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    instance_seq: i64,
    operator: &str,
    members: &'a [T],
    push: impl Fn(&mut QueryBuilder<'a, Sqlite>, &'a T),
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
                push_member(qb, |qb| push(qb, member));
            }
        }
    }
}

fn push_expr<'a>(qb: &mut QueryBuilder<'a, Sqlite>, instance_seq: i64, expr: &'a SearchExpr) {
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
fn push_text<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    instance_seq: i64,
    field: SearchField,
    comparison: Comparison,
    value: &'a str,
) {
    let field = field_name(field);
    // FTS5 query strings cannot carry NUL; such values take the instr path.
    if comparison == Comparison::Contains
        && value.chars().count() >= TRIGRAM
        && !value.contains('\0')
    {
        qb.push(
            // CROSS JOIN: the trigram index must drive, not the instance's
            // texts each probing it.
            "SELECT t.notification_seq AS s FROM search_texts_fts \
             CROSS JOIN search_texts t ON t.rowid = search_texts_fts.rowid \
             WHERE search_texts_fts MATCH ",
        )
        .push_bind(fts_phrase(value))
        .push(" AND t.instance_seq = ")
        .push_bind(instance_seq)
        .push(" AND t.field = ")
        .push_bind(field);
        return;
    }
    qb.push("SELECT t.notification_seq AS s FROM search_texts t WHERE t.instance_seq = ")
        .push_bind(instance_seq)
        .push(" AND t.field = ")
        .push_bind(field)
        .push(" AND ");
    // On the (instance, field, folded, text) index: an exact value is one
    // seek, a prefix one range.
    push_text_comparison(qb, comparison, value);
}

/// OR of ANDs of exact key/value pairs.
fn push_tag_filter<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    instance_seq: i64,
    filter: &'a TagFilter,
) {
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
                .push_bind(key.as_str())
                .push(" AND value = ")
                .push_bind(value.as_str());
            },
        )
    });
}

/// The value as one FTS5 phrase: quoted, inner quotes doubled, so no
/// character of it is read as query syntax.
fn fts_phrase(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrase_quotes_quotes() {
        assert_eq!(fts_phrase(r#"a"b"#), r#""a""b""#);
    }
}
