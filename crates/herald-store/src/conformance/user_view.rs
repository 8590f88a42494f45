//! A user's listing and statuses.

use super::{DAY, Fixture, SECOND, now, t};
use crate::{Priority, StatusOutcome, StatusWrite, Store, UserRecord, UserStatus};

fn write(fx: &Fixture<'_>, id: &str, user: &UserRecord, status: UserStatus) -> StatusWrite {
    StatusWrite {
        instance_seq: fx.seq(),
        notification_id: id.to_owned(),
        user_seq: user.seq,
        status,
        now: now(),
        not_older_than: None,
        modified_at: now(),
        modified_region: "us-east-1".to_owned(),
    }
}

/// Most urgent first, newest first within an urgency, ties by creation
/// order; direct and broadcast deliveries merged; keyset pages stable.
pub async fn user_listing_order_and_paging(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let other = Fixture::new(store).await;
    let u1 = fx.user("u1").await;
    let u2 = fx.user("u2").await;

    let specs: [(&str, Option<&[&UserRecord]>, Priority, i64); 10] = [
        ("d-low-old", Some(&[&u1]), Priority::Low, -100),
        ("d-high", Some(&[&u1]), Priority::High, -80),
        ("b-low-new", None, Priority::Low, -10),
        ("b-high-old", None, Priority::High, -200),
        ("d-u2-only", Some(&[&u2]), Priority::High, -5),
        ("b-urgent", None, Priority::Urgent, -90),
        ("d-both", Some(&[&u1, &u2]), Priority::Low, -50),
        ("tie-first", Some(&[&u1]), Priority::Low, -50),
        ("b-tie-second", None, Priority::Low, -50),
        ("d-expired", Some(&[&u1]), Priority::Urgent, -1),
    ];
    for (id, users, priority, offset) in specs {
        let mut spec = match users {
            Some(users) => fx.direct(id, users),
            None => fx.note(id),
        };
        spec.priority = priority;
        spec.created_at = t(offset * SECOND);
        if id == "d-expired" {
            spec.expires_at = now();
        }
        fx.create(spec).await;
    }
    other.create(other.note("foreign-broadcast")).await;

    let expected = [
        "b-urgent",
        "d-high",
        "b-high-old",
        "b-low-new",
        "b-tie-second",
        "tie-first",
        "d-both",
        "d-low-old",
    ];
    assert_eq!(fx.user_list_ids(&u1).await, expected);
    assert_eq!(
        fx.user_list_ids(&u2).await,
        [
            "b-urgent",
            "d-u2-only",
            "b-high-old",
            "b-low-new",
            "b-tie-second",
            "d-both"
        ]
    );
    // Broadcasts reach users created after them.
    let late = fx.user("late").await;
    assert_eq!(
        fx.user_list_ids(&late).await,
        ["b-urgent", "b-high-old", "b-low-new", "b-tie-second"]
    );

    for page_size in [1u32, 2, 3] {
        // Earlier rounds added notifications; take the listing as it is now.
        let before = fx.user_list_ids(&u1).await;
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            assert!(
                paged.len() <= before.len(),
                "paging does not end: {paged:?}"
            );
            let page = store
                .list_user_notifications(fx.seq(), u1.seq, now(), after, page_size)
                .await
                .expect("list");
            assert!(page.len() <= page_size as usize);
            let Some(last) = page.last() else { break };
            after = Some(last.notification.user_list_cursor());
            paged.extend(page.iter().map(|u| u.notification.id.clone()));
            // An insert ahead of the cursor must not shift later pages.
            let mut ahead = fx.note(&super::unique("ahead"));
            ahead.priority = Priority::Urgent;
            ahead.created_at = t(-SECOND);
            fx.create(ahead).await;
        }
        assert_eq!(paged, before, "pages of {page_size}");
    }
}

pub async fn user_status(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let other = Fixture::new(store).await;
    let u1 = fx.user("u1").await;
    let u2 = fx.user("u2").await;
    fx.create(fx.direct("direct", &[&u1])).await;
    fx.create(fx.note("broadcast")).await;
    let mut expired = fx.direct("expired", &[&u1]);
    expired.expires_at = t(-1);
    fx.create(expired).await;
    other.create(other.note("foreign")).await;
    let status_of = |list: Vec<crate::UserNotification>, id: &str| {
        list.into_iter()
            .find(|u| u.notification.id == id)
            .map(|u| u.status)
    };

    assert_eq!(
        status_of(fx.user_list(&u1).await, "direct"),
        Some(UserStatus::Unread),
        "no status yet means UNREAD"
    );
    let mut read = write(&fx, "direct", &u1, UserStatus::Read);
    read.modified_at = t(10 * SECOND);
    let outcome = store.set_user_status(read.clone()).await.expect("status");
    assert_eq!(outcome, StatusOutcome::Written);
    assert_eq!(
        status_of(fx.user_list(&u1).await, "direct"),
        Some(UserStatus::Read)
    );

    for (what, write) in [
        (
            "not a recipient",
            write(&fx, "direct", &u2, UserStatus::Read),
        ),
        ("no such id", write(&fx, "nope", &u1, UserStatus::Read)),
        ("expired", write(&fx, "expired", &u1, UserStatus::Read)),
        (
            "other instance",
            write(&fx, "foreign", &u1, UserStatus::Read),
        ),
    ] {
        let outcome = store.set_user_status(write).await.expect("status");
        assert_eq!(outcome, StatusOutcome::NotFound, "{what}");
    }

    // A write that has not seen the stored change is refused.
    let mut stale = write(&fx, "direct", &u1, UserStatus::Hidden);
    stale.not_older_than = Some(t(5 * SECOND));
    stale.modified_at = t(20 * SECOND);
    let outcome = store.set_user_status(stale).await.expect("status");
    assert_eq!(
        outcome,
        StatusOutcome::Stale {
            stored_at: t(10 * SECOND)
        }
    );
    assert_eq!(
        status_of(fx.user_list(&u1).await, "direct"),
        Some(UserStatus::Read),
        "a stale write changes nothing"
    );

    // Equal times are not stale; the stored time becomes the write's.
    let mut current = write(&fx, "direct", &u1, UserStatus::Hidden);
    current.not_older_than = Some(t(10 * SECOND));
    current.modified_at = t(30 * SECOND);
    current.modified_region = "ap-south-1".to_owned();
    let outcome = store.set_user_status(current).await.expect("status");
    assert_eq!(outcome, StatusOutcome::Written);
    assert_eq!(
        status_of(fx.user_list(&u1).await, "direct"),
        Some(UserStatus::Hidden),
        "HIDDEN is still listed"
    );
    let mut check = write(&fx, "direct", &u1, UserStatus::Unread);
    check.not_older_than = Some(t(29 * SECOND));
    let outcome = store.set_user_status(check).await.expect("status");
    assert_eq!(
        outcome,
        StatusOutcome::Stale {
            stored_at: t(30 * SECOND)
        },
        "the accepted write's time was stored"
    );

    // Without a precondition, or with no stored status, a write goes in.
    let outcome = store
        .set_user_status(write(&fx, "direct", &u1, UserStatus::Unread))
        .await
        .expect("status");
    assert_eq!(outcome, StatusOutcome::Written);
    let mut first = write(&fx, "broadcast", &u2, UserStatus::Read);
    first.not_older_than = Some(t(-DAY));
    let outcome = store.set_user_status(first).await.expect("status");
    assert_eq!(
        outcome,
        StatusOutcome::Written,
        "any user may mark a broadcast"
    );

    // Statuses are per user.
    assert_eq!(
        status_of(fx.user_list(&u2).await, "broadcast"),
        Some(UserStatus::Read)
    );
    assert_eq!(
        status_of(fx.user_list(&u1).await, "broadcast"),
        Some(UserStatus::Unread)
    );
    assert_eq!(
        status_of(fx.user_list(&u1).await, "direct"),
        Some(UserStatus::Unread)
    );
}
