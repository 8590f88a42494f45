//! Messages, and the audience of their pushes.

use super::{Fixture, candidate_ids, claim, created, delivery, now, push, replayed, secs, sorted};
use crate::StoreError;
use crate::chime::{
    Attributes, ChimeStore, DeliveryState, EndpointUpdate, MembershipType, MessageCursor,
    MessageQuery, MessageRecord, PushCandidate, PushNotification, PushPreference, PushType,
};
use crate::conformance::unique;

pub async fn push_audience(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let plain = fx.user("plain").await;
    let hidden = fx.user("hidden").await;
    let muted = fx.user("muted").await;
    let banned = fx.user("banned").await;
    let outsider = fx.user("outsider").await;
    let channel = fx.channel("c", &creator).await;
    fx.add(
        &channel,
        &[&plain, &muted, &banned],
        MembershipType::Default,
    )
    .await;
    fx.add(&channel, &[&hidden], MembershipType::Hidden).await;

    fx.endpoint(&creator, "creator-1", true).await;
    let voip = crate::chime::NewEndpoint {
        voip_device_token: Some("voip-plain".to_owned()),
        ..fx.new_endpoint(&plain, "plain-1")
    };
    store
        .register_endpoint(voip, fx.claim("RegisterAppInstanceUserEndpoint"))
        .await
        .expect("register");
    fx.endpoint(&plain, "plain-off", false).await;
    fx.endpoint(&plain, "plain-2", true).await;
    fx.endpoint(&hidden, "hidden-1", true).await;
    fx.endpoint(&banned, "banned-1", true).await;
    fx.endpoint(&outsider, "outsider-1", true).await;

    let rule = PushPreference::Filtered {
        rule: r#"{"kind": ["alert"]}"#.to_owned(),
    };
    for (user, preference) in [
        (&hidden, rule.clone()),
        (&muted, PushPreference::None),
        (&creator, PushPreference::All),
    ] {
        assert!(
            store
                .set_push_preference(channel.seq, user.seq, &preference, now())
                .await
                .expect("preference")
        );
    }
    store
        .ban(channel.seq, banned.seq, &fx.identity(&creator), now())
        .await
        .expect("ban");

    let audience = |channel_seq: i64| async move {
        let mut candidates = store
            .push_audience(channel_seq)
            .await
            .expect("audience")
            .candidates;
        candidates.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        candidates
    };
    let found = audience(channel.seq).await;
    // Every member, hidden ones included, whatever their preference;
    // banned users and outsiders are no members.
    assert_eq!(
        candidate_ids(&found),
        sorted(&["creator", "hidden", "muted", "plain"])
    );
    let by_id = |id: &str| -> PushCandidate {
        found
            .iter()
            .find(|c| c.user_id == id)
            .map(|c| PushCandidate::clone(c))
            .expect("candidate")
    };
    let endpoint_ids = |c: &PushCandidate| {
        let mut ids: Vec<String> = c
            .endpoints
            .iter()
            .map(|e| e.endpoint_id.to_string())
            .collect();
        ids.sort();
        ids
    };
    let c = by_id("creator");
    assert_eq!((c.member_seq, c.user_id.as_str()), (creator.seq, "creator"));
    assert_eq!(c.push_preference, Some(PushPreference::All));
    assert_eq!(endpoint_ids(&c), vec!["creator-1"]);
    let p = by_id("plain");
    assert_eq!(p.push_preference, None, "never set");
    assert_eq!(
        endpoint_ids(&p),
        vec!["plain-1", "plain-2"],
        "only endpoints that allow messages"
    );
    let plain_1 = p
        .endpoints
        .iter()
        .find(|e| &*e.endpoint_id == "plain-1")
        .expect("plain-1");
    assert_eq!(
        (&*plain_1.device_token, plain_1.voip_device_token.as_deref()),
        ("token-plain-1", Some("voip-plain"))
    );
    let h = by_id("hidden");
    assert_eq!(h.push_preference, Some(rule));
    assert_eq!(endpoint_ids(&h), vec!["hidden-1"]);
    let m = by_id("muted");
    assert_eq!(m.push_preference, Some(PushPreference::None));
    assert!(m.endpoints.is_empty());

    // An endpoint that stops allowing messages leaves the audience.
    store
        .update_endpoint(
            plain.seq,
            "plain-2",
            &EndpointUpdate {
                name: None,
                allow_messages: Some(false),
            },
            secs(1),
        )
        .await
        .expect("update")
        .expect("exists");
    let found = audience(channel.seq).await;
    let p = found.iter().find(|c| c.user_id == "plain").expect("plain");
    assert_eq!(endpoint_ids(p), vec!["plain-1"]);

    let empty = fx.channel("empty", &outsider).await;
    assert!(
        store
            .remove_membership(empty.seq, outsider.seq)
            .await
            .expect("rm")
    );
    assert!(audience(empty.seq).await.is_empty());
    assert!(audience(i64::MAX).await.is_empty(), "no such channel");
}

pub async fn send_message(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let sender = fx.user("sender").await;
    let channel = fx.channel("c", &sender).await;
    let arn = fx.channel_arn(&channel);

    let mut spec = fx.new_message(&channel, "m1", &sender);
    spec.content = "Hello **world**".to_owned();
    spec.metadata = "meta".to_owned();
    spec.message_type = "CONTROL".to_owned();
    spec.content_type = "text/markdown".to_owned();
    spec.attributes = Attributes::from([
        ("kind".to_owned(), vec!["alert".to_owned(), "ä".to_owned()]),
        ("empty".to_owned(), Vec::new()),
    ]);
    spec.push = Some(PushNotification {
        title: Some("Title".to_owned()),
        body: None,
        push_type: PushType::Voip,
    });
    spec.created = secs(10);
    let mut first = delivery(&arn, "m1", "e1", &sender, DeliveryState::Pending);
    first.push_type = PushType::Voip;
    first.body = None;
    let second = delivery(&arn, "m1", "e2", &sender, DeliveryState::Recorded);
    let token = unique("token");
    let sent = created(
        store
            .send_message(
                spec.clone(),
                vec![first.clone(), second.clone()],
                claim(fx.account(), "SendChannelMessage", &token, "a", secs(10)),
            )
            .await,
        "send_message",
    );
    assert_eq!(
        (
            sent.channel_seq,
            &sent.message_id,
            &sent.content,
            &sent.metadata,
            &sent.message_type,
            sent.persistent,
            &sent.content_type,
            &sent.attributes,
            &sent.push,
            &sent.sender,
            sent.created,
        ),
        (
            channel.seq,
            &spec.message_id,
            &spec.content,
            &spec.metadata,
            &spec.message_type,
            true,
            &spec.content_type,
            &spec.attributes,
            &spec.push,
            &spec.sender,
            spec.created,
        )
    );
    assert_eq!(
        store.get_message(channel.seq, "m1").await.expect("get"),
        Some(sent.clone())
    );
    let last_message = |channel_id: &'static str| async move {
        store
            .get_channel(fx.app.seq, channel_id)
            .await
            .expect("get_channel")
            .expect("channel")
            .last_message
    };
    assert_eq!(last_message("c").await, Some(secs(10)));

    // The deliveries as given, due when the message was created.
    let deliveries = store.list_deliveries(&arn, "m1").await.expect("list");
    assert_eq!(deliveries.len(), 2);
    for (stored, given) in deliveries.iter().zip([&first, &second]) {
        assert_eq!(
            (
                stored.delivery_id.as_str(),
                stored.member_arn.as_str(),
                stored.endpoint_id.as_str(),
                stored.device_token.as_str(),
                stored.channel_arn.as_str(),
                stored.message_id.as_str(),
                stored.title.as_deref(),
                stored.body.as_deref(),
                stored.push_type,
                stored.state,
            ),
            (
                given.delivery_id.as_str(),
                &*given.member_arn,
                &*given.endpoint_id,
                &*given.device_token,
                &*given.channel_arn,
                &*given.message_id,
                given.title.as_deref(),
                given.body.as_deref(),
                given.push_type,
                given.state,
            )
        );
        assert_eq!(
            (stored.created, stored.attempts, stored.next_attempt),
            (secs(10), 0, secs(10))
        );
    }

    // A retry replays: no message, no deliveries, no new last-message time.
    let mut retry = fx.new_message(&channel, "m1-retry", &sender);
    retry.created = secs(20);
    let again = store
        .send_message(
            retry.clone(),
            vec![delivery(
                &arn,
                "m1-retry",
                "e1",
                &sender,
                DeliveryState::Pending,
            )],
            claim(fx.account(), "SendChannelMessage", &token, "a", secs(20)),
        )
        .await;
    assert_eq!(replayed(again), "m1");
    assert_eq!(
        store
            .get_message(channel.seq, "m1-retry")
            .await
            .expect("get"),
        None
    );
    assert!(
        store
            .list_deliveries(&arn, "m1-retry")
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store.list_deliveries(&arn, "m1").await.expect("list").len(),
        2
    );
    assert_eq!(last_message("c").await, Some(secs(10)));
    let conflict = store
        .send_message(
            retry,
            vec![],
            claim(fx.account(), "SendChannelMessage", &token, "b", secs(20)),
        )
        .await;
    assert!(
        matches!(conflict, Err(StoreError::Conflict(_))),
        "{conflict:?}"
    );
    assert_eq!(fx.messages(&channel).await, vec!["m1"]);

    // Without a push, without deliveries.
    let mut plain = fx.new_message(&channel, "m2", &sender);
    plain.created = secs(30);
    let plain = fx.send(plain, vec![]).await;
    assert_eq!(plain.push, None);
    assert_eq!(
        store.get_message(channel.seq, "m2").await.expect("get"),
        Some(plain)
    );
    assert_eq!(last_message("c").await, Some(secs(30)));
    assert_eq!(fx.messages(&channel).await, vec!["m1", "m2"]);

    // Message ids are per channel.
    let other = fx.channel("other", &sender).await;
    fx.send(fx.new_message(&other, "m1", &sender), vec![]).await;
    assert_eq!(
        store.get_message(channel.seq, "m1").await.expect("get"),
        Some(sent)
    );
    assert_eq!(last_message("other").await, Some(now()));

    // A deleted channel takes no messages.
    assert!(store.delete_channel(other.seq).await.expect("del"));
    match store
        .send_message(
            fx.new_message(&other, "late", &sender),
            vec![delivery(
                &arn,
                "late",
                "e1",
                &sender,
                DeliveryState::Pending,
            )],
            fx.claim("SendChannelMessage"),
        )
        .await
    {
        Err(StoreError::Gone(_)) => {}
        other => panic!("message to a deleted channel: expected Gone, got {other:?}"),
    }
    assert!(
        store
            .list_deliveries(&arn, "late")
            .await
            .expect("list")
            .is_empty()
    );
}

/// Non-persistent messages are pushed (their deliveries kept) and
/// remembered for retries, but never read back.
pub async fn non_persistent_messages(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let sender = fx.user("sender").await;
    let channel = fx.channel("c", &sender).await;
    let arn = fx.channel_arn(&channel);
    fx.send(fx.new_message(&channel, "kept", &sender), vec![])
        .await;

    let mut fleeting = fx.new_message(&channel, "fleeting", &sender);
    fleeting.persistent = false;
    fleeting.push = push();
    let token = unique("token");
    let sent = created(
        store
            .send_message(
                fleeting.clone(),
                vec![delivery(
                    &arn,
                    "fleeting",
                    "e1",
                    &sender,
                    DeliveryState::Recorded,
                )],
                claim(fx.account(), "SendChannelMessage", &token, "a", now()),
            )
            .await,
        "send",
    );
    assert!(!sent.persistent);
    assert_eq!(
        store
            .get_message(channel.seq, "fleeting")
            .await
            .expect("get"),
        None
    );
    assert_eq!(fx.messages(&channel).await, vec!["kept"]);
    let newest_first = MessageQuery {
        ascending: false,
        not_before: None,
        not_after: None,
    };
    let listed = store
        .list_messages(channel.seq, &newest_first, None, 10)
        .await
        .expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|m| m.message_id.as_str())
            .collect::<Vec<_>>(),
        vec!["kept"]
    );
    assert_eq!(
        store
            .list_deliveries(&arn, "fleeting")
            .await
            .expect("list")
            .len(),
        1
    );
    let again = store
        .send_message(
            fleeting,
            vec![delivery(
                &arn,
                "fleeting",
                "e1",
                &sender,
                DeliveryState::Recorded,
            )],
            claim(fx.account(), "SendChannelMessage", &token, "a", secs(1)),
        )
        .await;
    assert_eq!(replayed(again), "fleeting");
    assert_eq!(
        store
            .list_deliveries(&arn, "fleeting")
            .await
            .expect("list")
            .len(),
        1,
        "a replay pushes nothing more"
    );
}

pub async fn list_messages(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let sender = fx.user("sender").await;
    let channel = fx.channel("c", &sender).await;
    let other = fx.channel("other", &sender).await;
    // Several share a creation time: creation order breaks the tie.
    let offsets = [10, 20, 20, 30, 40, 40, 40, 50];
    let mut sent = Vec::new();
    for (i, offset) in offsets.iter().enumerate() {
        let mut spec = fx.new_message(&channel, &format!("m{i}"), &sender);
        spec.created = secs(*offset);
        sent.push(fx.send(spec, vec![]).await);
    }
    let mut hidden = fx.new_message(&channel, "not-kept", &sender);
    hidden.persistent = false;
    hidden.created = secs(30);
    fx.send(hidden, vec![]).await;
    let mut elsewhere = fx.new_message(&other, "elsewhere", &sender);
    elsewhere.created = secs(30);
    fx.send(elsewhere, vec![]).await;

    let mut ascending = sent.clone();
    ascending.sort_by_key(|m| (m.created, m.seq));
    let mut descending = ascending.clone();
    descending.reverse();
    let query = |ascending: bool, bounds: Option<(i64, i64)>| MessageQuery {
        ascending,
        not_before: bounds.map(|b| secs(b.0)),
        not_after: bounds.map(|b| secs(b.1)),
    };
    let list = |query: MessageQuery, after: Option<MessageCursor>, limit: u32| async move {
        store
            .list_messages(channel.seq, &query, after, limit)
            .await
            .expect("list_messages")
    };
    assert_eq!(list(query(true, None), None, 50).await, ascending);
    assert_eq!(list(query(false, None), None, 50).await, descending);

    // Bounds are inclusive.
    let within = |m: &&MessageRecord| m.created >= secs(20) && m.created <= secs(40);
    let bounded: Vec<MessageRecord> = ascending.iter().filter(within).cloned().collect();
    assert_eq!(bounded.len(), 6);
    assert_eq!(list(query(true, Some((20, 40))), None, 50).await, bounded);
    let mut reversed = bounded.clone();
    reversed.reverse();
    assert_eq!(list(query(false, Some((20, 40))), None, 50).await, reversed);
    let only_before = MessageQuery {
        ascending: true,
        not_before: None,
        not_after: Some(secs(20)),
    };
    assert_eq!(
        list(only_before, None, 50).await,
        ascending[..3].to_vec(),
        "not_after alone"
    );
    let only_after = MessageQuery {
        ascending: false,
        not_before: Some(secs(40)),
        not_after: None,
    };
    assert_eq!(
        list(only_after, None, 50).await,
        descending[..4].to_vec(),
        "not_before alone"
    );
    assert!(list(query(true, Some((41, 49))), None, 50).await.is_empty());

    // Keyset pages in both orders neither repeat nor skip what existed
    // when the listing began, whatever is sent meanwhile (in the past, at
    // a tie, in the future).
    for (asc, expected) in [(true, &ascending), (false, &descending)] {
        let mut paged = Vec::new();
        let mut after = None;
        let mut extra = 0;
        for pages in 0.. {
            assert!(pages < 50, "paging does not end: {paged:?}");
            let page = list(query(asc, None), after, 3).await;
            assert!(page.len() <= 3);
            let Some(last) = page.last() else { break };
            after = Some(MessageCursor {
                created_ms: last.created.as_millisecond(),
                seq: last.seq,
            });
            paged.extend(page.iter().map(|m| m.message_id.clone()));
            // On the first pages only: an ascending listing reaches what
            // is sent after its cursor, so inserting on every page would
            // never let it end.
            if extra >= 9 {
                continue;
            }
            for offset in [5, 40, 60] {
                let mut spec = fx.new_message(&channel, &format!("late-{asc}-{extra}"), &sender);
                spec.created = secs(offset);
                fx.send(spec, vec![]).await;
                extra += 1;
            }
        }
        let originals: Vec<String> = paged
            .iter()
            .filter(|id| !id.starts_with("late"))
            .cloned()
            .collect();
        let expected: Vec<String> = expected.iter().map(|m| m.message_id.clone()).collect();
        assert_eq!(originals, expected, "no repeats, no skips, in order");
        let mut distinct = paged.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), paged.len(), "no message twice: {paged:?}");
    }
}

/// A removal or ban committed after the audience was read still wins:
/// deliveries to users who are no longer members are left out, and a
/// sender who is no longer a member stores nothing.
pub async fn send_message_rechecks_membership(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let sender = fx.user("sender").await;
    let stays = fx.user("stays").await;
    let removed = fx.user("removed").await;
    let banned = fx.user("banned").await;
    let channel = fx.channel("c", &sender).await;
    fx.add(
        &channel,
        &[&stays, &removed, &banned],
        MembershipType::Default,
    )
    .await;
    let arn = fx.channel_arn(&channel);
    let recorded = DeliveryState::Recorded;
    // Decided from the audience as it was…
    let decided = vec![
        delivery(&arn, "m1", "e-sender", &sender, recorded),
        delivery(&arn, "m1", "e-stays", &stays, recorded),
        delivery(&arn, "m1", "e-removed", &removed, recorded),
        delivery(&arn, "m1", "e-banned", &banned, recorded),
    ];
    let decided_at = store
        .get_channel(fx.seq(), "c")
        .await
        .expect("get_channel")
        .expect("channel")
        .audience_version;
    // …then one member leaves and one is banned before the message is stored.
    assert!(
        store
            .remove_membership(channel.seq, removed.seq)
            .await
            .expect("remove_membership")
    );
    store
        .ban(channel.seq, banned.seq, &fx.identity(&sender), now())
        .await
        .expect("ban");
    let mut message = fx.new_message(&channel, "m1", &sender);
    message.push = push();
    // Decided at a version the removal and the ban have since moved past.
    message.audience_version = Some(decided_at);
    fx.send(message, decided.clone()).await;
    let listed: Vec<String> = store
        .list_deliveries(&arn, "m1")
        .await
        .expect("list_deliveries")
        .into_iter()
        .map(|d| d.delivery_id)
        .collect();
    assert_eq!(
        listed,
        vec![
            decided[0].delivery_id.clone(),
            decided[1].delivery_id.clone()
        ],
        "only current members get the push"
    );

    // Decided at the current version, every delivery is stored as decided.
    let current = store
        .get_channel(fx.seq(), "c")
        .await
        .expect("get_channel")
        .expect("channel")
        .audience_version;
    let now_decided = vec![
        delivery(&arn, "m4", "e-sender", &sender, recorded),
        delivery(&arn, "m4", "e-stays", &stays, recorded),
    ];
    let mut message = fx.new_message(&channel, "m4", &sender);
    message.push = push();
    message.audience_version = Some(current);
    fx.send(message, now_decided).await;
    assert_eq!(
        store
            .list_deliveries(&arn, "m4")
            .await
            .expect("list_deliveries")
            .len(),
        2
    );

    // A sender who left meanwhile stores nothing, with or without a push.
    assert!(
        store
            .remove_membership(channel.seq, stays.seq)
            .await
            .expect("remove_membership")
    );
    let mut pushed = fx.new_message(&channel, "m2", &stays);
    pushed.push = push();
    let attempts = [
        (pushed, vec![delivery(&arn, "m2", "e", &sender, recorded)]),
        (fx.new_message(&channel, "m3", &banned), Vec::new()),
    ];
    for (message, deliveries) in attempts {
        let id = message.message_id.clone();
        match store
            .send_message(message, deliveries, fx.claim("SendChannelMessage"))
            .await
        {
            Err(StoreError::Gone(_)) => {}
            other => panic!("send by a non-member {id}: expected Gone, got {other:?}"),
        }
        assert!(
            store
                .list_deliveries(&arn, &id)
                .await
                .expect("list_deliveries")
                .is_empty()
        );
    }
    assert_eq!(
        fx.messages(&channel).await,
        vec!["m1".to_owned(), "m4".to_owned()]
    );
}
