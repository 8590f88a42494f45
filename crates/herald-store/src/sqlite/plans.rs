//! The Connect queries whose cost must not follow the store's size,
//! checked with `EXPLAIN QUERY PLAN` on SQLite's own planner (the Chime
//! ones are in `chime/plans.rs`). Here rather than in `tests/` because the
//! SQL is private.

use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite};

use super::search_probe::push_probe;
use super::user_view::{UserKey, push_user_listing};
use super::{SqliteStore, json_page};
use super::{creates, search, status_writes};
use crate::{Comparison, CreatedCursor, SearchExpr, SearchField, SearchQuery, UserListCursor};

async fn plan(store: &SqliteStore, mut qb: QueryBuilder<'_, Sqlite>) -> Vec<String> {
    let rows: Vec<(i64, i64, i64, String)> = qb
        .build_query_as()
        .fetch_all(&store.readers)
        .await
        .expect("explain");
    rows.into_iter().map(|(_, _, _, detail)| detail).collect()
}

/// The plan of a page query as it runs: wrapped by `json_page` (the
/// inner query's plan is part of it). Planned with its parameters unbound.
async fn page_plan(store: &SqliteStore, mut page: QueryBuilder<'_, Sqlite>) -> Vec<String> {
    json_page::close(&mut page);
    let explain = QueryBuilder::new(format!("EXPLAIN QUERY PLAN {}", page.sql()));
    plan(store, explain).await
}

#[tokio::test]
async fn user_listing_is_driven_by_its_two_ranges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let cursor = UserListCursor {
        urgency: 1,
        created_ms: 1,
        seq: 1,
    };
    let users = [UserKey::Seq(1), UserKey::Id("agent")];
    for (after, user) in [None, Some(cursor)]
        .into_iter()
        .flat_map(|a| users.map(|u| (a, u)))
    {
        let mut qb = json_page::open(json_page::Page::UserNotifications);
        push_user_listing(&mut qb, 1, user, Timestamp::UNIX_EPOCH, after, 51);
        let lines = page_plan(&store, qb).await;
        // Each notification of the page is one rowid lookup; walking the
        // instance's notifications (any index of theirs) would cost what
        // the instance holds.
        assert!(
            lines
                .iter()
                .any(|l| l == "SEARCH n USING INTEGER PRIMARY KEY (rowid=?)"),
            "{lines:#?}"
        );
        for line in &lines {
            let scans_a_table =
                line.starts_with("SCAN") && !line.starts_with("SCAN (subquery") && line != "SCAN m";
            let walks_the_instance =
                line.contains("notifications_by_instance") || line.contains("AUTOMATIC");
            assert!(
                !scans_a_table && !walks_the_instance,
                "the listing walks more than its page: {lines:#?}"
            );
        }
        // Both ranges are walked in their indexes alone (expired rows
        // are skipped there): a notification's row is read only for the
        // page's own entries, after the merge.
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("SEARCH r USING PRIMARY KEY (user_seq=?"))
                && lines
                    .iter()
                    .any(|l| l.contains("COVERING INDEX notifications_broadcast_by_urgency")),
            "{lines:#?}"
        );
        assert!(lines.iter().any(|l| l == "MERGE (UNION ALL)"), "{lines:#?}");
        // The ranges come out of their keys in listing order: the only
        // sorts are the merge's, one of each range's page.
        let sorts = lines.iter().filter(|l| l.contains("TEMP B-TREE")).count();
        assert!(sorts <= 2, "{lines:#?}");
    }
}

#[tokio::test]
async fn search_probe_walks_the_created_index_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let query = SearchQuery {
        criteria: Some(SearchExpr::Any(vec![
            SearchExpr::Text {
                field: SearchField::Content,
                comparison: Comparison::Contains,
                value: "failed".into(),
            },
            SearchExpr::Text {
                field: SearchField::Id,
                comparison: Comparison::StartsWith,
                value: "deploy".into(),
            },
        ])),
        tags: Some(vec![vec![("team".into(), "a".into())]]),
    };
    let cursor = CreatedCursor {
        created_ms: 1,
        seq: 1,
    };
    for after in [None, Some(cursor)] {
        let mut qb = QueryBuilder::new("EXPLAIN QUERY PLAN ");
        push_probe(&mut qb, 1, &query, Timestamp::UNIX_EPOCH, after, 51);
        let lines = plan(&store, qb).await;
        // Walked newest first in the created index alone (it carries the
        // expiry), so the walk stops at the page's last match.
        assert!(
            lines.iter().any(|l| l
                .starts_with("SEARCH n USING COVERING INDEX notifications_by_instance_created")),
            "{lines:#?}"
        );
        // No sort of the window: a temporary B-tree is allowed only for
        // the page's own rows (at most `limit`), to find its oldest.
        let sorts = lines.iter().filter(|l| l.contains("TEMP B-TREE")).count();
        assert!(sorts <= 1, "{lines:#?}");
        // Each test reads an index alone.
        assert!(
            lines
                .iter()
                .any(|l| l.contains("COVERING INDEX search_texts_by_notification"))
                && lines
                    .iter()
                    .any(|l| l.starts_with("SEARCH g USING PRIMARY KEY")),
            "{lines:#?}"
        );
        assert_walk_reads_matches_only(&lines);
    }
}

/// A walk's plan: a notification's row is read only for a match, by its
/// rowid, and no table is scanned (only the walk's own co-routine, the
/// materialised page and the one-row SELECT).
fn assert_walk_reads_matches_only(lines: &[String]) {
    assert!(
        lines
            .iter()
            .any(|l| l == "SEARCH n USING INTEGER PRIMARY KEY (rowid=?)"),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("SCAN")
            && !matches!(l.as_str(), "SCAN m" | "SCAN page" | "SCAN CONSTANT ROW")),
        "{lines:#?}"
    );
}

/// One CONTAINS or STARTS_WITH test walks the field's texts in listing
/// order, in one index that holds the folding and the expiry: no seek into
/// each notification's texts, no sort of the window.
#[tokio::test]
async fn a_search_for_one_test_walks_the_texts_in_listing_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let cursor = CreatedCursor {
        created_ms: 1,
        seq: 1,
    };
    for comparison in [Comparison::Contains, Comparison::StartsWith] {
        for tags in [None, Some(vec![vec![("team".into(), "a".into())]])] {
            let query = SearchQuery {
                criteria: Some(SearchExpr::Text {
                    field: SearchField::Content,
                    comparison,
                    value: "failed".into(),
                }),
                tags,
            };
            for after in [None, Some(cursor)] {
                let mut qb = QueryBuilder::new("EXPLAIN QUERY PLAN ");
                push_probe(&mut qb, 1, &query, Timestamp::UNIX_EPOCH, after, 51);
                let lines = plan(&store, qb).await;
                assert!(
                    lines.iter().any(|l| l.starts_with(
                        "SEARCH t USING COVERING INDEX search_texts_in_listing_order"
                    )),
                    "{lines:#?}"
                );
                assert!(
                    !lines
                        .iter()
                        .any(|l| l.contains("search_texts_by_notification")),
                    "{lines:#?}"
                );
                // The only sort is of the page's own rows, to find its
                // oldest; DISTINCT keeps a set of the page's matches.
                let sorts = lines
                    .iter()
                    .filter(|l| l.contains("TEMP B-TREE FOR ORDER BY"))
                    .count();
                assert!(sorts <= 1, "{lines:#?}");
                assert_walk_reads_matches_only(&lines);
            }
        }
    }
}

/// An exact comparison is one seek in the folded index, whose key ends
/// with the text (0010 dropped the exact index).
#[tokio::test]
async fn an_exact_search_reads_the_folded_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let query = SearchQuery {
        criteria: Some(SearchExpr::Text {
            field: SearchField::Content,
            comparison: Comparison::Exact,
            value: "Deploy failed".into(),
        }),
        tags: None,
    };
    let mut qb = QueryBuilder::new("EXPLAIN QUERY PLAN SELECT count(*)");
    search::push_matches(&mut qb, 1, &query, Timestamp::UNIX_EPOCH);
    let lines = plan(&store, qb).await;
    assert!(
        lines.iter().any(|l| l
            == "SEARCH t USING INDEX search_texts_prefix (instance_seq=? AND field=? AND folded=? AND text=?)"),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn a_set_of_status_writes_looks_each_up_by_key() {
    // The set's array is the only thing walked; each write's user,
    // notification, recipient row and status is one lookup by key.
    assert_each_looked_up_by_key(
        status_writes::LOOKUP,
        &[
            "SEARCH u USING COVERING INDEX users_by_instance_id (instance_seq=? AND id=?) LEFT-JOIN",
            "SEARCH n USING INDEX notifications_by_instance_id (instance_seq=? AND id=?) LEFT-JOIN",
            "SEARCH r USING COVERING INDEX recipients_by_notification (notification_seq=? AND user_seq=?)",
            "SEARCH s USING PRIMARY KEY (user_seq=? AND notification_seq=?)",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_set_of_creates_looks_each_token_up_by_key() {
    assert_each_looked_up_by_key(
        creates::TOKEN_LOOKUP,
        &["SEARCH t USING INDEX sqlite_autoindex_client_tokens_1 (account_id=? AND token=?)"],
    )
    .await;
}

/// `sql`, a set's statement over its JSON array `j`, walks nothing else:
/// its plan has every `expected` line, and no scan or temporary tree.
async fn assert_each_looked_up_by_key(sql: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let explain = QueryBuilder::new(format!("EXPLAIN QUERY PLAN {sql}"));
    let lines = plan(&store, explain).await;
    for expected in expected {
        assert!(
            lines.iter().any(|l| l == expected),
            "{expected}: {lines:#?}"
        );
    }
    assert!(
        !lines
            .iter()
            .any(|l| (l.starts_with("SCAN") && !l.starts_with("SCAN j ")) || l.contains("TEMP")),
        "{lines:#?}"
    );
}
