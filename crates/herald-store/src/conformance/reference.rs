//! Generated notifications and queries, with results compared against a
//! plain in-memory evaluation of the search semantics.

use super::{DAY, Fixture, SECOND, cond, now, t};
use crate::{
    Comparison, Notification, SearchExpr, SearchField, SearchQuery, Store, TagFilter, Tags,
    fold_case,
};

/// Words chosen to stress case folding (ß, İ, final sigma, accents),
/// multi-byte text, query-syntax characters and short values.
const WORDS: &[&str] = &[
    "Ärger",
    "ärgerlich",
    "Straße",
    "STRASSE",
    "abc",
    "xabcx",
    "İstanbul",
    "office",
    "Office",
    "zz",
    "a",
    "résumé",
    "RÉSUMÉ",
    "日本語テキスト",
    "naïve",
    "\"quoted\"",
    "50%*",
    "ΣΊΣΥΦΟΣ",
    "σίσυφος",
    "AND",
    "(near)",
];
const ID_STEMS: &[&str] = &["Alpha", "beta", "GAMMA", "Ärger", "straße", "n"];
const LOCALES: &[&str] = &["en_US", "de_DE", "fr_FR", "ja_JP"];
const TAG_KEYS: &[&str] = &["team", "env", "tier"];
const TAG_VALUES: &[&str] = &["a", "b", "c"];
const NOTIFICATIONS: usize = 48;
const QUERIES: usize = 80;
const LARGE_NOTIFICATIONS: usize = 2_100;
const LARGE_QUERIES: usize = 40;

/// splitmix64: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

pub async fn search_matches_reference(store: &dyn Store) {
    check_against_reference(store, Size::Small).await;
}

/// An instance larger than any window a store may walk instead of building
/// the match set (SQLite's is 2,000 rows): pages must still be exactly the
/// reference's, and the (approximate) total plausible.
pub async fn search_large_instance_matches_reference(store: &dyn Store) {
    check_against_reference(store, Size::Large).await;
}

#[derive(Clone, Copy, PartialEq)]
enum Size {
    /// Totals are exact.
    Small,
    /// Totals may be estimated.
    Large,
}

async fn check_against_reference(store: &dyn Store, size: Size) {
    let (notifications, queries) = match size {
        Size::Small => (NOTIFICATIONS, QUERIES),
        Size::Large => (LARGE_NOTIFICATIONS, LARGE_QUERIES),
    };
    let fx = Fixture::new(store).await;
    let mut rng = Rng(0x5EED_F00D);
    let mut notes = Vec::new();
    for i in 0..notifications {
        let mut spec = fx.note(&format!("{}-{i}", rng.pick(ID_STEMS)));
        spec.content = (0..1 + rng.below(3))
            .map(|_| {
                let words: Vec<&str> = (0..1 + rng.below(4)).map(|_| rng.pick(WORDS)).collect();
                (rng.pick(LOCALES).to_owned(), words.join(" "))
            })
            .collect();
        spec.tags = Tags::new();
        for key in TAG_KEYS {
            if rng.chance(40) {
                spec.tags
                    .insert((*key).to_owned(), rng.pick(TAG_VALUES).to_owned());
            }
        }
        // Few distinct times: ties must be broken the same way.
        spec.created_at = t((rng.below(notifications / 2 - 4) as i64 - 10_000) * SECOND);
        spec.expires_at = if rng.chance(15) {
            t(-(rng.below(3) as i64) * SECOND)
        } else {
            t(DAY)
        };
        notes.push(fx.create(spec).await);
    }

    let live = reference(&notes, &SearchQuery::default()).len();
    // Queries whose answer is neither nothing nor everything: the ones
    // that can tell a right store from a wrong one.
    let mut selective = 0;
    for q in 0..queries {
        let query = SearchQuery {
            criteria: rng.chance(90).then(|| expr(&mut rng, &notes, 0)),
            tags: rng.chance(35).then(|| tag_filter(&mut rng)),
        };
        let expected = reference(&notes, &query);
        if !expected.is_empty() && expected.len() < live {
            selective += 1;
        }

        let page = store
            .search_notifications(fx.seq(), &query, now(), None, 100)
            .await
            .expect("search");
        let found: Vec<&str> = page.notifications.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(
            found,
            expected[..expected.len().min(100)],
            "query {q}: {query:?}"
        );
        check_total(size, page.total, &expected, notes.len(), q);

        if size == Size::Large || q % 4 == 0 {
            // A large instance's queries are paged through their first
            // twenty pages: enough to cross its window more than once.
            let pages = if size == Size::Large { 20 } else { usize::MAX };
            let mut paged = Vec::new();
            let mut after = None;
            for _ in 0..pages {
                assert!(
                    paged.len() <= expected.len(),
                    "paging does not end, query {q}"
                );
                let page = store
                    .search_notifications(fx.seq(), &query, now(), after, 7)
                    .await
                    .expect("search");
                check_total(size, page.total, &expected, notes.len(), q);
                let Some(last) = page.notifications.last() else {
                    break;
                };
                after = Some(last.created_cursor());
                paged.extend(page.notifications.iter().map(|n| n.id.clone()));
            }
            let shown = if pages == usize::MAX {
                &expected[..]
            } else {
                &expected[..expected.len().min(7 * pages)]
            };
            assert_eq!(paged, shown, "pages of query {q}: {query:?}");
        }
    }
    assert!(
        selective >= queries / 3,
        "only {selective} of {queries} generated queries were selective"
    );
}

/// Exact for a small instance; for a large one at least what a page shows
/// and at most what the instance holds.
fn check_total(size: Size, total: u64, expected: &[&str], stored: usize, q: usize) {
    match size {
        Size::Small => assert_eq!(total, expected.len() as u64, "total of query {q}"),
        Size::Large => assert!(
            (expected.len().min(7) as u64..=stored as u64).contains(&total),
            "total {total} of query {q}: {} match, {stored} stored",
            expected.len()
        ),
    }
}

/// A random expression, at most three levels deep, whose leaves mostly use
/// pieces of the stored texts so that they match something.
fn expr(rng: &mut Rng, notes: &[Notification], depth: usize) -> SearchExpr {
    if depth >= 2 || rng.chance(55) {
        return leaf(rng, notes);
    }
    let members = (0..1 + rng.below(3))
        .map(|_| expr(rng, notes, depth + 1))
        .collect();
    if rng.chance(50) {
        SearchExpr::All(members)
    } else {
        SearchExpr::Any(members)
    }
}

fn leaf(rng: &mut Rng, notes: &[Notification]) -> SearchExpr {
    let field = if rng.chance(30) {
        SearchField::Id
    } else {
        SearchField::Content
    };
    let comparison = match rng.below(3) {
        0 => Comparison::Exact,
        1 => Comparison::Contains,
        _ => Comparison::StartsWith,
    };
    let source: String = if rng.chance(15) || notes.is_empty() {
        rng.pick(WORDS).to_owned()
    } else {
        let note = &notes[rng.below(notes.len())];
        match field {
            SearchField::Id => note.id.clone(),
            SearchField::Content => {
                let texts: Vec<&String> = note.content.values().collect();
                texts[rng.below(texts.len())].clone()
            }
        }
    };
    let chars: Vec<char> = source.chars().collect();
    // Mostly non-empty pieces; now and then an empty one, which matches
    // every text.
    let len = |rng: &mut Rng, room: usize| {
        if rng.chance(5) {
            0
        } else {
            1 + rng.below(room.min(6))
        }
    };
    let raw: String = match comparison {
        Comparison::Exact if rng.chance(60) => source.clone(),
        Comparison::StartsWith => {
            let n = len(rng, chars.len());
            chars[..n.min(chars.len())].iter().collect()
        }
        _ => {
            let start = rng.below(chars.len());
            let n = len(rng, chars.len() - start);
            chars[start..(start + n).min(chars.len())].iter().collect()
        }
    };
    // Sometimes change the case, so folding matters.
    let raw = if rng.chance(30) {
        raw.to_uppercase()
    } else {
        raw
    };
    cond(field, comparison, &raw)
}

fn tag_filter(rng: &mut Rng) -> TagFilter {
    (0..1 + rng.below(2))
        .map(|_| {
            (0..1 + rng.below(2))
                .map(|_| {
                    (
                        rng.pick(TAG_KEYS).to_owned(),
                        rng.pick(TAG_VALUES).to_owned(),
                    )
                })
                .collect()
        })
        .collect()
}

/// The semantics, written out: unexpired, criteria and tags both hold,
/// newest first with later creations first among equal times.
fn reference<'n>(notes: &'n [Notification], query: &SearchQuery) -> Vec<&'n str> {
    let mut hits: Vec<&Notification> = notes
        .iter()
        .filter(|n| n.expires_at > now())
        .filter(|n| query.criteria.as_ref().is_none_or(|e| matches(n, e)))
        .filter(|n| query.tags.as_ref().is_none_or(|f| tags_match(n, f)))
        .collect();
    hits.sort_by_key(|n| std::cmp::Reverse((n.created_at, n.seq)));
    hits.into_iter().map(|n| n.id.as_str()).collect()
}

fn matches(n: &Notification, expr: &SearchExpr) -> bool {
    match expr {
        SearchExpr::All(members) => members.iter().all(|e| matches(n, e)),
        // An empty list adds no constraint.
        SearchExpr::Any(members) => members.is_empty() || members.iter().any(|e| matches(n, e)),
        SearchExpr::Text {
            field,
            comparison,
            value,
        } => {
            let texts: Vec<&str> = match field {
                SearchField::Id => vec![n.id.as_str()],
                SearchField::Content => n.content.values().map(String::as_str).collect(),
            };
            texts.into_iter().any(|text| match comparison {
                Comparison::Exact => text == value,
                Comparison::Contains => fold_case(text).contains(value.as_str()),
                Comparison::StartsWith => fold_case(text).starts_with(value.as_str()),
            })
        }
    }
}

fn tags_match(n: &Notification, filter: &TagFilter) -> bool {
    filter.is_empty()
        || filter
            .iter()
            .any(|group| group.iter().all(|(k, v)| n.tags.get(k) == Some(v)))
}
