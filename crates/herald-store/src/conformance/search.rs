//! SearchNotifications: each field and comparison, nesting, tag filters,
//! totals and paging.

use super::{Fixture, SECOND, cond, content, criteria, now, t, tag_filter, tags};
use crate::{
    Comparison::{Contains, Exact, StartsWith},
    SearchExpr::{self, All, Any},
    SearchField::{Content, Id},
    SearchQuery, Store, TagFilter,
};

/// Creates `(id, content)` notifications one second apart, so the newest
/// first order is the reverse of `notes`.
async fn seed(fx: &Fixture<'_>, notes: &[(&str, &[(&str, &str)])]) {
    for (i, (id, texts)) in notes.iter().enumerate() {
        let mut spec = fx.note(id);
        spec.content = content(texts);
        spec.created_at = t((i as i64 - 100) * SECOND);
        fx.create(spec).await;
    }
}

pub async fn search_fields_and_comparisons(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let other = Fixture::new(store).await;
    seed(
        &fx,
        &[
            (
                "alpha-1",
                &[
                    ("en_US", "Ärger im Büro"),
                    ("de_DE", "Trouble at the office"),
                ],
            ),
            ("beta-2", &[("en_US", "Straße gesperrt")]),
            ("gamma-3", &[("en_US", "ärgerlich"), ("fr_FR", "xy z")]),
            ("Alpha-4", &[("en_US", r#"Quote "this" please"#)]),
            ("delta-5", &[("en_US", "50% off* (NEAR) OR x")]),
        ],
    )
    .await;
    seed(&other, &[("alpha-1", &[("en_US", "Ärger im Büro")])]).await;

    let cases: Vec<(SearchExpr, &[&str])> = vec![
        // EXACT is case-sensitive, on the whole text of any locale.
        (cond(Id, Exact, "alpha-1"), &["alpha-1"]),
        (cond(Id, Exact, "ALPHA-1"), &[]),
        (cond(Id, Exact, "alpha"), &[]),
        (cond(Content, Exact, "Ärger im Büro"), &["alpha-1"]),
        (cond(Content, Exact, "ärger im büro"), &[]),
        (cond(Content, Exact, "Trouble at the office"), &["alpha-1"]),
        (cond(Content, Exact, "Ärger"), &[]),
        // CONTAINS folds case, three or more characters…
        (cond(Content, Contains, "ÄRGER"), &["gamma-3", "alpha-1"]),
        (cond(Content, Contains, "ärger"), &["gamma-3", "alpha-1"]),
        (cond(Content, Contains, "BÜRO"), &["alpha-1"]),
        (cond(Content, Contains, "the office"), &["alpha-1"]),
        (cond(Content, Contains, "xyz"), &[]),
        (cond(Content, Contains, r#""this""#), &["Alpha-4"]),
        (cond(Content, Contains, r#"is" p"#), &["Alpha-4"]),
        (cond(Content, Contains, "* (near) or"), &["delta-5"]),
        (cond(Id, Contains, "PHA-"), &["Alpha-4", "alpha-1"]),
        // …and fewer.
        (cond(Content, Contains, "RG"), &["gamma-3", "alpha-1"]),
        (cond(Content, Contains, "ß"), &["beta-2"]),
        (cond(Content, Contains, "y "), &["gamma-3"]),
        (cond(Content, Contains, "\""), &["Alpha-4"]),
        (
            cond(Id, Contains, "a-"),
            &["delta-5", "Alpha-4", "gamma-3", "beta-2", "alpha-1"],
        ),
        (cond(Id, Contains, "TA"), &["delta-5", "beta-2"]),
        (cond(Id, Contains, "Q"), &[]),
        // STARTS_WITH folds case and looks at the start of each text.
        (cond(Content, StartsWith, "ÄRG"), &["gamma-3", "alpha-1"]),
        (cond(Content, StartsWith, "Ärger im Büro"), &["alpha-1"]),
        (cond(Content, StartsWith, "TROUBLE"), &["alpha-1"]),
        (cond(Content, StartsWith, "office"), &[]),
        (cond(Content, StartsWith, "s"), &["beta-2"]),
        (cond(Id, StartsWith, "ALPHA"), &["Alpha-4", "alpha-1"]),
        (cond(Id, StartsWith, "alpha-1-"), &[]),
        // An empty value matches every notification.
        (
            cond(Content, Contains, ""),
            &["delta-5", "Alpha-4", "gamma-3", "beta-2", "alpha-1"],
        ),
        (
            cond(Id, StartsWith, ""),
            &["delta-5", "Alpha-4", "gamma-3", "beta-2", "alpha-1"],
        ),
    ];
    for (expr, expected) in cases {
        let found = fx.search_ids(&criteria(expr.clone())).await;
        assert_eq!(found, expected, "{expr:?}");
    }
}

pub async fn search_nested(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    seed(
        &fx,
        &[
            ("n1", &[("en_US", "red apple")]),
            ("n2", &[("en_US", "green apple")]),
            ("n3", &[("en_US", "red cherry")]),
            ("n4", &[("en_US", "yellow banana")]),
        ],
    )
    .await;
    let has = |v: &str| cond(Content, Contains, v);
    let starts = |v: &str| cond(Content, StartsWith, v);
    let cases: Vec<(SearchExpr, &[&str])> = vec![
        (All(vec![has("apple"), has("red")]), &["n1"]),
        (Any(vec![has("cherry"), has("banana")]), &["n4", "n3"]),
        (
            All(vec![Any(vec![starts("red"), starts("yellow")]), has("a")]),
            &["n4", "n1"],
        ),
        (
            Any(vec![
                All(vec![has("apple"), has("green")]),
                All(vec![starts("red"), has("rr")]),
            ]),
            &["n3", "n2"],
        ),
        (
            All(vec![
                Any(vec![has("apple"), has("cherry")]),
                Any(vec![cond(Id, Exact, "n1"), cond(Id, Exact, "n3")]),
                All(vec![has("e"), Any(vec![has("d")])]),
            ]),
            &["n3", "n1"],
        ),
        (All(vec![has("apple"), has("banana")]), &[]),
        (Any(vec![All(vec![has("zzz")])]), &[]),
        // Empty lists add no constraint.
        (All(vec![]), &["n4", "n3", "n2", "n1"]),
        (Any(vec![]), &["n4", "n3", "n2", "n1"]),
        (All(vec![Any(vec![]), has("cherry")]), &["n3"]),
    ];
    for (expr, expected) in cases {
        let found = fx.search_ids(&criteria(expr.clone())).await;
        assert_eq!(found, expected, "{expr:?}");
    }
}

pub async fn search_tag_filters(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let other = Fixture::new(store).await;
    type Pairs<'a> = &'a [(&'a str, &'a str)];
    let notes: [(&str, Pairs<'_>, &str); 4] = [
        ("t1", &[("team", "a"), ("env", "prod")], "disk full"),
        ("t2", &[("team", "a"), ("env", "dev")], "disk ok"),
        ("t3", &[("team", "b"), ("env", "prod")], "disk full"),
        ("t4", &[], "disk full"),
    ];
    for (i, (id, pairs, text)) in notes.into_iter().enumerate() {
        let mut spec = fx.note(id);
        spec.tags = tags(pairs);
        spec.content = content(&[("en_US", text)]);
        spec.created_at = t(i as i64 * SECOND - 100 * SECOND);
        fx.create(spec).await;
    }
    let mut foreign = other.note("t1");
    foreign.tags = tags(&[("team", "a"), ("env", "prod")]);
    other.create(foreign).await;

    let only_tags = |filter: TagFilter| SearchQuery {
        criteria: None,
        tags: Some(filter),
    };
    let cases: Vec<(SearchQuery, &[&str])> = vec![
        (only_tags(tag_filter(&[&[("team", "a")]])), &["t2", "t1"]),
        (
            only_tags(tag_filter(&[&[("team", "a"), ("env", "prod")]])),
            &["t1"],
        ),
        (
            only_tags(tag_filter(&[
                &[("team", "a"), ("env", "prod")],
                &[("team", "b")],
            ])),
            &["t3", "t1"],
        ),
        (
            only_tags(tag_filter(&[&[("env", "dev")], &[("env", "prod")]])),
            &["t3", "t2", "t1"],
        ),
        (only_tags(tag_filter(&[&[("team", "c")]])), &[]),
        (only_tags(tag_filter(&[&[("team", "A")]])), &[]),
        (only_tags(tag_filter(&[&[("TEAM", "a")]])), &[]),
        (
            only_tags(tag_filter(&[&[("env", "prod"), ("env", "dev")]])),
            &[],
        ),
        // Empty filters add no constraint.
        (only_tags(vec![]), &["t4", "t3", "t2", "t1"]),
        (only_tags(vec![vec![]]), &["t4", "t3", "t2", "t1"]),
        // Criteria and tags together are ANDed.
        (
            SearchQuery {
                criteria: Some(cond(Content, Contains, "FULL")),
                tags: Some(tag_filter(&[&[("env", "prod")]])),
            },
            &["t3", "t1"],
        ),
        (
            SearchQuery {
                criteria: Some(cond(Content, Contains, "ok")),
                tags: Some(tag_filter(&[&[("env", "prod")]])),
            },
            &[],
        ),
        (SearchQuery::default(), &["t4", "t3", "t2", "t1"]),
    ];
    for (query, expected) in cases {
        let found = fx.search_ids(&query).await;
        assert_eq!(found, expected, "{query:?}");
    }
}

/// `total` counts every unexpired match, whatever the page; keyset pages
/// neither repeat nor skip what existed when paging began.
pub async fn search_totals_and_paging(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let mut matching = Vec::new();
    for i in 0..25 {
        let mut spec = fx.note(&format!("match-{i:02}"));
        spec.content = content(&[("en_US", "page me")]);
        // Pairs share a creation time, so ties are crossed by pages.
        spec.created_at = t((i / 2 - 100) * SECOND);
        matching.push(fx.create(spec).await);
    }
    for i in 0..5 {
        fx.create(fx.note(&format!("other-{i}"))).await;
    }
    for i in 0..3 {
        let mut spec = fx.note(&format!("expired-{i}"));
        spec.content = content(&[("en_US", "page me")]);
        spec.expires_at = t(-SECOND);
        fx.create(spec).await;
    }
    matching.sort_by_key(|n| std::cmp::Reverse((n.created_at, n.seq)));
    let expected: Vec<String> = matching.iter().map(|n| n.id.clone()).collect();
    let query = criteria(cond(Content, Contains, "PAGE"));

    let mut paged = Vec::new();
    let mut totals = Vec::new();
    let mut after = None;
    let mut round = 0;
    loop {
        assert!(round <= 5, "paging does not end: {paged:?}");
        let page = store
            .search_notifications(fx.seq(), &query, now(), after, 10)
            .await
            .expect("search");
        assert!(page.notifications.len() <= 10);
        totals.push(page.total);
        let Some(last) = page.notifications.last() else {
            break;
        };
        after = Some(last.created_cursor());
        paged.extend(page.notifications.iter().map(|n| n.id.clone()));
        // A newer match (never reached) and a tie with the cursor (sorts
        // ahead of it) arrive between pages.
        for created in [t(0), last.created_at] {
            let mut spec = fx.note(&format!("late-{round}-{}", created.as_millisecond()));
            spec.content = content(&[("en_US", "page me too")]);
            spec.created_at = created;
            fx.create(spec).await;
        }
        round += 1;
    }
    assert_eq!(paged, expected, "no repeats, no skips, no late arrivals");
    assert_eq!(totals[0], 25, "expired and non-matching are not counted");
    assert_eq!(
        totals,
        [25, 27, 29, 31],
        "the total counts current matches on every page"
    );
}
