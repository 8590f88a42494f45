//! Creating, reading, listing, changing and deleting notifications.

use super::{
    DAY, Fixture, HOUR, SECOND, cond, content, criteria, ids, join_all, now, strings, t,
    tag_filter, tags,
};
use crate::{
    ClientTokenClaim, Comparison, CreateOutcome, Priority, SearchField, SearchQuery, StatusOutcome,
    StatusWrite, Store, TagUpdateOutcome, UserStatus,
};

fn claim(fx: &Fixture<'_>, token: &str, digest: &str) -> Option<ClientTokenClaim> {
    Some(ClientTokenClaim {
        account_id: fx.instance.account_id.clone(),
        token: token.to_owned(),
        request_digest: digest.to_owned(),
    })
}

pub async fn create_direct_and_broadcast(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let u1 = fx.user("u1").await;
    let u2 = fx.user("u2").await;

    let mut spec = fx.direct("direct", &[&u1, &u2]);
    spec.content = content(&[("en_US", "Hi"), ("de_DE", "Hallo")]);
    spec.priority = Priority::High;
    spec.tags = tags(&[("a", "1"), ("b", "2")]);
    spec.created_at = t(-5 * SECOND + 123);
    spec.expires_at = t(3 * DAY + 456);
    spec.region = "eu-central-1".to_owned();
    let direct = fx.create(spec.clone()).await;
    assert_eq!(direct.instance_seq, fx.seq());
    assert_eq!(
        (&direct.id, &direct.arn, &direct.content, direct.priority),
        (&spec.id, &spec.arn, &spec.content, spec.priority)
    );
    assert_eq!(
        (&direct.recipients, direct.broadcast),
        (&spec.recipients, false)
    );
    assert_eq!(&direct.tags, &spec.tags);
    assert_eq!(
        (direct.created_at, direct.expires_at),
        (spec.created_at, spec.expires_at)
    );
    assert_eq!(
        (direct.modified_at, direct.modified_region.as_str()),
        (spec.created_at, "eu-central-1"),
        "a new notification was last modified when created, where created"
    );
    assert_eq!(fx.get("direct").await.as_ref(), Some(&direct));

    let broadcast = fx.create(fx.note("broadcast")).await;
    assert!(broadcast.broadcast);
    assert_eq!(broadcast.recipients, vec![fx.instance.arn.clone()]);
    assert_ne!(broadcast.seq, direct.seq);
    assert_eq!(fx.get("broadcast").await.as_ref(), Some(&broadcast));

    assert_eq!(fx.user_list_ids(&u1).await, vec!["direct", "broadcast"]);
    assert_eq!(fx.user_list_ids(&u2).await, vec!["direct", "broadcast"]);
    let u3 = fx.user("u3").await;
    assert_eq!(fx.user_list_ids(&u3).await, vec!["broadcast"]);
    assert_eq!(fx.get("missing").await, None);
}

pub async fn client_token_seen(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let other = Fixture::new(store).await;

    let mut first = fx.note("first");
    first.client_token = claim(&fx, "token-1", "digest-1");
    let created = fx.create(first).await;

    let mut again = fx.note("second");
    again.client_token = claim(&fx, "token-1", "digest-2");
    again.content = content(&[("en_US", "something else")]);
    let outcome = store.create_notification(again).await.expect("create");
    assert_eq!(
        outcome,
        CreateOutcome::TokenSeen {
            notification_id: created.id.clone(),
            notification_arn: created.arn.clone(),
            request_digest: "digest-1".to_owned(),
        }
    );
    assert_eq!(fx.get("second").await, None, "a seen token creates nothing");
    assert_eq!(fx.list_ids().await, vec!["first"]);

    // Tokens are scoped to the account (each fixture has its own).
    let mut elsewhere = other.note("first");
    elsewhere.client_token = claim(&other, "token-1", "digest-1");
    other.create(elsewhere).await;

    // A claim older than a day is forgotten at lookup, swept or not: the
    // token is free again and now names the new notification.
    let mut next_day = fx.note("next-day");
    next_day.created_at =
        created.created_at + jiff::SignedDuration::from_millis(crate::CLIENT_TOKEN_TTL_MS + 1);
    next_day.client_token = claim(&fx, "token-1", "digest-3");
    let renewed = fx.create(next_day).await;
    let mut retry = fx.note("retry");
    retry.created_at = renewed.created_at;
    retry.client_token = claim(&fx, "token-1", "digest-3");
    assert_eq!(
        store.create_notification(retry).await.expect("create"),
        CreateOutcome::TokenSeen {
            notification_id: renewed.id.clone(),
            notification_arn: renewed.arn.clone(),
            request_digest: "digest-3".to_owned(),
        }
    );
}

pub async fn id_taken(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let other = Fixture::new(store).await;
    fx.create(fx.note("fixed")).await;

    let mut clash = fx.note("fixed");
    clash.client_token = claim(&fx, "fresh-token", "d");
    clash.content = content(&[("en_US", "clash")]);
    let outcome = store.create_notification(clash).await.expect("create");
    assert_eq!(outcome, CreateOutcome::IdTaken);
    assert_eq!(
        fx.get("fixed").await.map(|n| n.content),
        Some(content(&[("en_US", "hello")])),
        "the existing notification is untouched"
    );

    // The refused create claimed no token.
    let mut retry = fx.note("other");
    retry.client_token = claim(&fx, "fresh-token", "d");
    fx.create(retry).await;
    // Ids are scoped to the instance.
    other.create(other.note("fixed")).await;
}

/// Identical creates racing with one token: exactly one wins.
pub async fn concurrent_client_tokens(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let attempts = (0..8)
        .map(|i| {
            let mut spec = fx.note(&format!("racer-{i}"));
            spec.client_token = claim(&fx, "race", "digest");
            store.create_notification(spec)
        })
        .collect();
    let outcomes = join_all(attempts).await;
    let mut winners = Vec::new();
    let mut seen = Vec::new();
    for outcome in outcomes {
        match outcome.expect("create") {
            CreateOutcome::Created(n) => winners.push(n.id),
            CreateOutcome::TokenSeen {
                notification_id, ..
            } => seen.push(notification_id),
            CreateOutcome::IdTaken => panic!("ids were distinct"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create wins: {winners:?}");
    assert!(seen.iter().all(|id| *id == winners[0]), "{seen:?}");
    assert_eq!(fx.list_ids().await, winners);
}

/// Newest first with ties broken by creation order, and keyset pages that
/// neither repeat nor skip whatever is inserted between them.
pub async fn list_order_and_paging(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    // Several share a creation time: the later-created sorts first.
    let offsets = [-50, -40, -40, -40, -30, -20, -20, -10, -5, -1];
    let mut created = Vec::new();
    for (i, offset) in offsets.iter().enumerate() {
        let mut spec = fx.note(&format!("n{i}"));
        spec.created_at = t(offset * SECOND);
        created.push(fx.create(spec).await);
    }
    let mut expected = created.clone();
    expected.sort_by_key(|n| std::cmp::Reverse((n.created_at, n.seq)));
    let expected_ids = ids(&expected);
    assert_eq!(fx.list_ids().await, expected_ids, "newest first");

    let mut paged = Vec::new();
    let mut after = None;
    let mut inserted = 0;
    loop {
        assert!(inserted < 100, "paging does not end: {paged:?}");
        let page = store
            .list_notifications(fx.seq(), now(), after, 3)
            .await
            .expect("list");
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = Some(last.created_cursor());
        paged.extend(page.iter().map(|n| n.id.clone()));
        // Newer, tied and older inserts while paging.
        for offset in [0, -40, -45] {
            let mut spec = fx.note(&format!("late{inserted}"));
            spec.created_at = t(offset * SECOND);
            fx.create(spec).await;
            inserted += 1;
        }
    }
    let originals: Vec<String> = paged
        .iter()
        .filter(|id| id.starts_with('n'))
        .cloned()
        .collect();
    assert_eq!(originals, expected_ids, "no repeats, no skips, in order");
    let mut unique = paged.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), paged.len(), "no item twice: {paged:?}");
}

pub async fn expired_are_hidden(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let user = fx.user("u").await;
    let mut live = fx.direct("live", &[&user]);
    live.expires_at = t(1);
    fx.create(live).await;
    let mut at_now = fx.direct("at-now", &[&user]);
    at_now.expires_at = now();
    fx.create(at_now).await;
    let mut past = fx.note("past");
    past.expires_at = t(-1);
    let past = fx.create(past).await;

    assert_eq!(
        fx.list_ids().await,
        vec!["live"],
        "expires_at <= now is expired"
    );
    assert_eq!(fx.user_list_ids(&user).await, vec!["live"]);
    assert_eq!(fx.search_ids(&SearchQuery::default()).await, vec!["live"]);
    let by_text = criteria(cond(SearchField::Content, Comparison::Contains, "hello"));
    assert_eq!(fx.search_ids(&by_text).await, vec!["live"]);
    assert_eq!(
        fx.get("past").await,
        Some(past),
        "expired notifications can be read until swept"
    );
    let write = StatusWrite {
        instance_seq: fx.seq(),
        notification_id: "at-now".to_owned(),
        user_id: user.id.clone(),
        status: UserStatus::Read,
        now: now(),
        not_older_than: None,
        modified_at: now(),
        modified_region: "us-east-1".to_owned(),
    };
    assert_eq!(
        store.set_user_status(write).await.expect("status"),
        StatusOutcome::NotFound
    );
    // Earlier, the same notifications are all listed.
    let earlier = store
        .list_notifications(fx.seq(), t(-2), None, 10)
        .await
        .expect("list");
    assert_eq!(ids(&earlier), vec!["past", "at-now", "live"]);
}

pub async fn content_update(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let user = fx.user("u").await;
    let mut spec = fx.direct("changing", &[&user]);
    spec.content = content(&[("en_US", "old words")]);
    let before = fx.create(spec).await;

    let new_content = content(&[("de_DE", "neue Wörter"), ("fr_FR", "mots nouveaux")]);
    let updated = store
        .update_notification_content(fx.seq(), "changing", &new_content, t(HOUR), "eu-west-1")
        .await
        .expect("update")
        .expect("the notification exists");
    assert_eq!(updated.content, new_content);
    assert_eq!(
        (updated.modified_at, updated.modified_region.as_str()),
        (t(HOUR), "eu-west-1")
    );
    assert_eq!(
        (updated.created_at, updated.expires_at, updated.seq),
        (before.created_at, before.expires_at, before.seq),
        "only content and modification change"
    );
    assert_eq!(fx.get("changing").await.as_ref(), Some(&updated));
    let listed = fx.user_list(&user).await;
    assert_eq!(listed.len(), 1);
    let entry = &listed[0];
    assert_eq!(
        (&entry.id, &entry.content, entry.priority, entry.modified_at),
        (
            &updated.id,
            &updated.content,
            updated.priority,
            updated.modified_at
        ),
        "recipients see the new text"
    );

    let search = |c, v: &str| criteria(cond(SearchField::Content, c, v));
    assert!(
        fx.search_ids(&search(Comparison::Contains, "old"))
            .await
            .is_empty()
    );
    assert!(
        fx.search_ids(&search(Comparison::Contains, "wo"))
            .await
            .is_empty()
    );
    assert!(
        fx.search_ids(&search(Comparison::Exact, "old words"))
            .await
            .is_empty()
    );
    let hit = vec!["changing".to_owned()];
    assert_eq!(
        fx.search_ids(&search(Comparison::Contains, "WÖRTER")).await,
        hit
    );
    assert_eq!(
        fx.search_ids(&search(Comparison::Exact, "mots nouveaux"))
            .await,
        hit
    );
    assert_eq!(
        fx.search_ids(&search(Comparison::StartsWith, "NEUE")).await,
        hit
    );
    let by_id = criteria(cond(SearchField::Id, Comparison::Exact, "changing"));
    assert_eq!(fx.search_ids(&by_id).await, hit, "the id stays searchable");

    let missing = store
        .update_notification_content(fx.seq(), "missing", &new_content, t(HOUR), "eu-west-1")
        .await
        .expect("update");
    assert_eq!(missing, None);
}

pub async fn delete_notification_cascades(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let user = fx.user("u").await;
    let mut spec = fx.direct("doomed", &[&user]);
    spec.content = content(&[("en_US", "zebra crossing"), ("de_DE", "Zebrastreifen")]);
    spec.tags = tags(&[("kind", "doomed")]);
    fx.create(spec).await;
    let status = StatusWrite {
        instance_seq: fx.seq(),
        notification_id: "doomed".to_owned(),
        user_id: user.id.clone(),
        status: UserStatus::Read,
        now: now(),
        not_older_than: None,
        modified_at: now(),
        modified_region: "us-east-1".to_owned(),
    };
    let written = store.set_user_status(status.clone()).await.expect("status");
    assert_eq!(written, StatusOutcome::Written { user_seq: user.seq });

    assert!(
        store
            .delete_notification(fx.seq(), "doomed")
            .await
            .expect("delete")
    );
    assert!(
        !store
            .delete_notification(fx.seq(), "doomed")
            .await
            .expect("again")
    );
    assert_eq!(fx.get("doomed").await, None);
    assert!(fx.list_ids().await.is_empty());
    assert!(fx.user_list(&user).await.is_empty());
    let zebra = criteria(cond(SearchField::Content, Comparison::Contains, "zebra"));
    let by_id = criteria(cond(SearchField::Id, Comparison::Exact, "doomed"));
    let by_tag = SearchQuery {
        criteria: None,
        tags: Some(tag_filter(&[&[("kind", "doomed")]])),
    };
    for query in [&zebra, &by_id, &by_tag] {
        assert_eq!(fx.search(query).await.total, 0, "{query:?} after delete");
    }
    assert_eq!(
        store.set_user_status(status.clone()).await.expect("status"),
        StatusOutcome::NotFound
    );
    let tag_update = store
        .update_notification_tags(fx.seq(), "doomed", &tags(&[("a", "b")]), &[], 50)
        .await
        .expect("tags");
    assert_eq!(tag_update, TagUpdateOutcome::NotFound);

    // The id is free again, and the new notification inherits nothing: no
    // search hit from the old texts or tags, no status.
    let mut reborn = fx.direct("doomed", &[&user]);
    reborn.content = content(&[("en_US", "plain text")]);
    fx.create(reborn).await;
    assert_eq!(fx.search(&zebra).await.total, 0, "stale text index entries");
    assert_eq!(fx.search(&by_tag).await.total, 0, "stale tag rows");
    let listed = fx.user_list(&user).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, UserStatus::Unread, "stale status");
}

pub async fn tags_update(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let mut spec = fx.note("tagged");
    spec.tags = tags(&[("a", "1"), ("b", "2")]);
    fx.create(spec).await;
    let seq = fx.seq();
    let update = |add: &[(&str, &str)], remove: &[&str], max| {
        let add = tags(add);
        let remove = strings(remove);
        async move {
            store
                .update_notification_tags(seq, "tagged", &add, &remove, max)
                .await
                .expect("update tags")
        }
    };
    let by_tag = |k: &str, v: &str| SearchQuery {
        criteria: None,
        tags: Some(vec![vec![(k.to_owned(), v.to_owned())]]),
    };

    let outcome = update(&[("c", "3")], &["a"], 50).await;
    assert_eq!(
        outcome,
        TagUpdateOutcome::Updated(tags(&[("b", "2"), ("c", "3")]))
    );
    assert_eq!(
        fx.get("tagged").await.map(|n| n.tags),
        Some(tags(&[("b", "2"), ("c", "3")]))
    );
    assert!(fx.search_ids(&by_tag("a", "1")).await.is_empty());
    assert_eq!(fx.search_ids(&by_tag("c", "3")).await, vec!["tagged"]);

    // Overwriting a value; removing an absent key changes nothing.
    let outcome = update(&[("b", "20")], &["absent"], 50).await;
    assert_eq!(
        outcome,
        TagUpdateOutcome::Updated(tags(&[("b", "20"), ("c", "3")]))
    );
    assert!(fx.search_ids(&by_tag("b", "2")).await.is_empty());
    assert_eq!(fx.search_ids(&by_tag("b", "20")).await, vec!["tagged"]);

    // Removal counts before the limit is checked, and before additions.
    let outcome = update(&[("d", "4"), ("c", "30")], &["c"], 3).await;
    assert_eq!(
        outcome,
        TagUpdateOutcome::Updated(tags(&[("b", "20"), ("c", "30"), ("d", "4")]))
    );
    let outcome = update(&[("e", "5"), ("f", "6")], &["b"], 3).await;
    assert_eq!(outcome, TagUpdateOutcome::TooMany { would_have: 4 });
    assert_eq!(
        fx.get("tagged").await.map(|n| n.tags),
        Some(tags(&[("b", "20"), ("c", "30"), ("d", "4")])),
        "a refused update changes nothing"
    );
    assert_eq!(fx.search_ids(&by_tag("b", "20")).await, vec!["tagged"]);
    assert!(fx.search_ids(&by_tag("e", "5")).await.is_empty());

    let outcome = update(&[], &["b", "c", "d"], 3).await;
    assert_eq!(outcome, TagUpdateOutcome::Updated(tags(&[])));
    assert!(fx.search_ids(&by_tag("d", "4")).await.is_empty());

    let missing = store
        .update_notification_tags(fx.seq(), "missing", &tags(&[("a", "1")]), &[], 50)
        .await
        .expect("update tags");
    assert_eq!(missing, TagUpdateOutcome::NotFound);
}
