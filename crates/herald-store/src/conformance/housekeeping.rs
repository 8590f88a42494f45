//! The sweeper's deletes. These reach across instances, so each test lives
//! in a year of its own that no other test uses: whatever else the store
//! holds is neither expired nor claimed before these cutoffs.

use super::{Fixture, HOUR, at_ms, cond, content, criteria, tags};
use crate::{ClientTokenClaim, Comparison, CreateOutcome, SearchField, SearchQuery, Store};

/// 2000-01-01T00:00:00Z.
const Y2000_MS: i64 = 946_684_800_000;
/// 1995-01-01T00:00:00Z.
const Y1995_MS: i64 = 788_918_400_000;
/// 2040-01-01T00:00:00Z: far beyond every cutoff used here.
const Y2040_MS: i64 = 2_208_988_800_000;

pub async fn sweep_expired(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let at = |hours: i64| at_ms(Y2000_MS + hours * HOUR);
    for i in 0..5 {
        let mut spec = fx.note(&format!("e{i}"));
        spec.created_at = at(-24);
        spec.expires_at = at(i);
        spec.content = content(&[("en_US", "sweepable words")]);
        spec.tags = tags(&[("sweep", "me")]);
        fx.create(spec).await;
    }
    let mut live = fx.note("live");
    live.created_at = at(-24);
    live.expires_at = at_ms(Y2040_MS);
    fx.create(live).await;

    // Strictly before the cutoff: e0 and e1 go, e2 (expiring at it) stays.
    assert_eq!(store.sweep_expired(at(2), 100).await.expect("sweep"), 2);
    assert_eq!(fx.get("e0").await, None);
    assert_eq!(fx.get("e1").await, None);
    assert!(fx.get("e2").await.is_some());

    // The limit bounds a batch; the earliest expiries go first.
    assert_eq!(store.sweep_expired(at(10), 1).await.expect("sweep"), 1);
    assert_eq!(fx.get("e2").await, None);
    assert!(fx.get("e3").await.is_some());
    assert_eq!(store.sweep_expired(at(10), 10).await.expect("sweep"), 2);
    assert_eq!(store.sweep_expired(at(10), 10).await.expect("sweep"), 0);
    assert!(fx.get("live").await.is_some());

    // Swept notifications leave search too, even for a reader whose clock
    // says they have not expired.
    let early = at(-1);
    let text = criteria(cond(
        SearchField::Content,
        Comparison::Contains,
        "SWEEPABLE",
    ));
    let tagged = SearchQuery {
        criteria: None,
        tags: Some(vec![vec![("sweep".to_owned(), "me".to_owned())]]),
    };
    for query in [&text, &tagged] {
        let page = store
            .search_notifications(fx.seq(), query, early, None, 10)
            .await
            .expect("search");
        assert_eq!(page.total, 0, "{query:?}");
    }
    let listed = store
        .list_notifications(fx.seq(), early, None, 10)
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
}

pub async fn forget_client_tokens(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let at = |hours: i64| at_ms(Y1995_MS + hours * HOUR);
    let create = |id: &str, token: &str, hours: i64| {
        let mut spec = fx.note(id);
        spec.created_at = at(hours);
        spec.expires_at = at_ms(Y2040_MS);
        spec.client_token = Some(ClientTokenClaim {
            account_id: fx.instance.account_id.clone(),
            token: token.to_owned(),
            request_digest: format!("digest-{id}"),
        });
        store.create_notification(spec)
    };
    for (id, token, hours) in [("n-a", "ta", 0), ("n-b", "tb", 1), ("n-c", "tc", 2)] {
        let outcome = create(id, token, hours).await.expect("create");
        assert!(matches!(outcome, CreateOutcome::Created(_)), "{outcome:?}");
    }

    // Claimed strictly before the cutoff.
    assert_eq!(
        store
            .forget_client_tokens(at(1), 100)
            .await
            .expect("forget"),
        1
    );
    let reused = create("n-a2", "ta", 10).await.expect("create");
    assert!(
        matches!(reused, CreateOutcome::Created(_)),
        "a forgotten token is free: {reused:?}"
    );
    let remembered = create("n-b2", "tb", 10).await.expect("create");
    assert!(
        matches!(remembered, CreateOutcome::TokenSeen { ref notification_id, .. } if notification_id == "n-b"),
        "{remembered:?}"
    );

    // The limit bounds a batch; the oldest claims go first.
    assert_eq!(
        store.forget_client_tokens(at(3), 1).await.expect("forget"),
        1
    );
    let tc = create("n-c2", "tc", 10).await.expect("create");
    assert!(matches!(tc, CreateOutcome::TokenSeen { .. }), "{tc:?}");
    assert_eq!(
        store.forget_client_tokens(at(3), 10).await.expect("forget"),
        1
    );
    assert_eq!(
        store.forget_client_tokens(at(3), 10).await.expect("forget"),
        0
    );
    let again = create("n-a3", "ta", 11).await.expect("create");
    assert!(
        matches!(again, CreateOutcome::TokenSeen { ref notification_id, .. } if notification_id == "n-a2"),
        "{again:?}"
    );
    // Forgetting a token leaves its notification alone.
    assert!(fx.get("n-a").await.is_some());
}
