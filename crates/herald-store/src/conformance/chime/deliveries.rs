//! Push delivery records and the store-wide housekeeping: leasing due
//! deliveries and forgetting request claims. The last two reach across the
//! whole store, so each lives in a year of its own (see the suite's doc).

use jiff::Timestamp;

use super::{Fixture, claim, created, delivery, new_app_instance, replayed};
use crate::chime::{ChimeStore, DeliveryRecord, DeliveryState};
use crate::conformance::{HOUR, SECOND, at_ms, unique};

/// 2010-01-01T00:00:00Z.
const Y2010_MS: i64 = 1_262_304_000_000;
/// 2005-01-01T00:00:00Z.
const Y2005_MS: i64 = 1_104_537_600_000;

pub async fn list_deliveries(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let sender = fx.user("sender").await;
    let channel = fx.channel("c", &sender).await;
    let arn = fx.channel_arn(&channel);
    // Endpoint ids in no sorted order: the listing keeps the given one.
    let decided =
        ["e3", "e1", "e2"].map(|e| delivery(&arn, "m1", e, &sender, DeliveryState::Recorded));
    fx.send(fx.new_message(&channel, "m1", &sender), decided.to_vec())
        .await;
    fx.send(
        fx.new_message(&channel, "m2", &sender),
        vec![delivery(&arn, "m2", "e1", &sender, DeliveryState::Recorded)],
    )
    .await;

    let listed = store.list_deliveries(&arn, "m1").await.expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|d| d.delivery_id.as_str())
            .collect::<Vec<_>>(),
        decided
            .iter()
            .map(|d| d.delivery_id.as_str())
            .collect::<Vec<_>>(),
        "in the order they were decided"
    );
    assert!(listed.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        store.list_deliveries(&arn, "m2").await.expect("list").len(),
        1
    );
    assert!(
        store
            .list_deliveries(&arn, "nope")
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .list_deliveries(&format!("{arn}-other"), "m1")
            .await
            .expect("list")
            .is_empty(),
        "scoped to the channel ARN"
    );
}

/// Leasing due deliveries, delivering and rescheduling them, in 2010.
pub async fn delivery_leases(store: &dyn ChimeStore) {
    let at = |seconds: i64| at_ms(Y2010_MS + seconds * SECOND);
    let fx = Fixture::new(store).await;
    let sender = fx.user("sender").await;
    let channel = fx.channel("c", &sender).await;
    let arn = fx.channel_arn(&channel);
    let send = |message_id: &'static str, seconds: i64, states: &[DeliveryState]| {
        let mut spec = fx.new_message(&channel, message_id, &sender);
        spec.created = at(seconds);
        let deliveries = states
            .iter()
            .enumerate()
            .map(|(i, state)| delivery(&arn, message_id, &format!("e{i}"), &sender, *state))
            .collect();
        fx.send(spec, deliveries)
    };
    let pending = DeliveryState::Pending;
    send("m1", 0, &[pending, pending, DeliveryState::Recorded]).await;
    send("m2", 1, &[pending]).await;
    send("m3", 600, &[pending]).await;
    let m1 = store.list_deliveries(&arn, "m1").await.expect("list");
    let m2 = store.list_deliveries(&arn, "m2").await.expect("list");
    let m3 = store.list_deliveries(&arn, "m3").await.expect("list");
    let ids = |records: &[DeliveryRecord]| -> Vec<String> {
        records.iter().map(|d| d.delivery_id.clone()).collect()
    };
    let claim_due = |now: Timestamp, lease_until: Timestamp, limit: u32| async move {
        store
            .claim_due_deliveries(now, lease_until, limit)
            .await
            .expect("claim_due_deliveries")
    };

    // Oldest due first, limited; each leased until the lease ends.
    let first = claim_due(at(5), at(65), 2).await;
    assert_eq!(ids(&first), ids(&m1[..2]));
    for leased in &first {
        assert_eq!(leased.next_attempt, at(65));
        assert_eq!((leased.state, leased.attempts), (pending, 0));
    }
    assert_eq!(ids(&claim_due(at(5), at(65), 10).await), ids(&m2));
    // Leased deliveries are nobody else's until the lease ends; recorded
    // ones and those not yet due are never taken.
    assert!(claim_due(at(5), at(65), 10).await.is_empty());
    assert!(claim_due(at(64), at(124), 10).await.is_empty());
    let listed = store.list_deliveries(&arn, "m1").await.expect("list");
    assert_eq!(listed[0].next_attempt, at(65), "the lease is stored");

    // A delivered one is done; a failed one is due again when rescheduled.
    store.mark_delivered(first[0].seq).await.expect("mark");
    store
        .reschedule_delivery(first[1].seq, at(100))
        .await
        .expect("reschedule");
    let listed = store.list_deliveries(&arn, "m1").await.expect("list");
    assert_eq!(
        (listed[0].state, listed[0].attempts),
        (DeliveryState::Delivered, 1),
        "the acknowledged attempt counts"
    );
    assert_eq!(
        (listed[1].state, listed[1].attempts, listed[1].next_attempt),
        (pending, 1, at(100))
    );
    assert_eq!(listed[2].state, DeliveryState::Recorded);

    // At the end of its lease m2's delivery is due again; m1's second
    // waits for its new time.
    assert_eq!(ids(&claim_due(at(66), at(126), 10).await), ids(&m2));
    let retried = claim_due(at(100), at(160), 10).await;
    assert_eq!(ids(&retried), ids(&m1[1..2]));
    assert_eq!(retried[0].attempts, 1);
    store
        .reschedule_delivery(retried[0].seq, at(200))
        .await
        .expect("reschedule");
    assert_eq!(
        store.list_deliveries(&arn, "m1").await.expect("list")[1].attempts,
        2
    );

    // Later due times come later; then everything is delivered, so nothing
    // is left pending for any other test.
    let due: Vec<DeliveryRecord> = claim_due(at(700), at(760), 10).await;
    let mut expected = ids(&m2);
    expected.extend(ids(&m1[1..2]));
    expected.extend(ids(&m3));
    assert_eq!(ids(&due), expected, "ordered by due time: 126, 200, 600");
    for delivery in &due {
        store.mark_delivered(delivery.seq).await.expect("mark");
    }
    assert!(claim_due(at(10_000), at(10_060), 10).await.is_empty());
    // A failure report arriving after delivery changes nothing.
    store
        .reschedule_delivery(m1[1].seq, at(20_000))
        .await
        .expect("reschedule");
    let listed = store.list_deliveries(&arn, "m1").await.expect("list");
    assert_eq!(
        (listed[1].state, listed[1].attempts),
        (DeliveryState::Delivered, 3),
        "two failed attempts, one acknowledged; the late report changes nothing"
    );
}

/// Forgetting request claims, in 2005.
pub async fn forget_request_claims(store: &dyn ChimeStore) {
    let at = |hours: i64| at_ms(Y2005_MS + hours * HOUR);
    let account = unique("acct");
    let create = |token: &'static str, digest: &'static str, hours: i64| {
        store.create_app_instance(
            new_app_instance(&account, at(hours)),
            claim(&account, "CreateAppInstance", token, digest, at(hours)),
        )
    };
    let a = created(create("ta", "a", 0).await, "ta");
    let b = created(create("tb", "b", 1).await, "tb");
    let c = created(create("tc", "c", 2).await, "tc");

    // Claimed strictly before the cutoff.
    assert_eq!(
        store
            .forget_request_claims(at(1), 100)
            .await
            .expect("forget"),
        1
    );
    let reused = created(create("ta", "other", 10).await, "a forgotten token is free");
    assert_eq!(replayed(create("tb", "b", 10).await), b.id);

    // The limit bounds a batch; the oldest claims go first.
    assert_eq!(
        store.forget_request_claims(at(3), 1).await.expect("forget"),
        1
    );
    assert_eq!(replayed(create("tc", "c", 10).await), c.id);
    assert_eq!(
        store
            .forget_request_claims(at(3), 10)
            .await
            .expect("forget"),
        1
    );
    assert_eq!(
        store
            .forget_request_claims(at(3), 10)
            .await
            .expect("forget"),
        0
    );
    assert_eq!(replayed(create("ta", "other", 11).await), reused.id);

    // Forgetting a claim leaves what it created alone.
    assert_eq!(
        store
            .get_app_instance(&account, &a.id)
            .await
            .expect("get")
            .map(|r| r.seq),
        Some(a.seq)
    );
}
