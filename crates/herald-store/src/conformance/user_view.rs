//! A user's listing and statuses.

use jiff::Timestamp;

use super::{DAY, Fixture, HOUR, SECOND, now, t};
use crate::{Priority, StatusOutcome, StatusWrite, Store, UnreadCount, UserRecord, UserStatus};

fn write(fx: &Fixture<'_>, id: &str, user: &UserRecord, status: UserStatus) -> StatusWrite {
    StatusWrite {
        instance_seq: fx.seq(),
        notification_id: id.to_owned(),
        user_id: user.id.clone(),
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

    // Found by id, the same listing; no such user in the instance (or
    // another instance's user), none at all.
    for user in [&u1, &u2, &late] {
        let by_seq = store
            .list_user_notifications(fx.seq(), user.seq, now(), None, 3)
            .await
            .expect("list");
        let by_id = store
            .list_user_notifications_by_id(fx.seq(), &user.id, now(), None, 3)
            .await
            .expect("list by id");
        assert_eq!(by_id.as_ref(), Some(&by_seq), "{}", user.id);
        let after = by_seq.last().map(|last| last.user_list_cursor());
        let rest = store
            .list_user_notifications_by_id(fx.seq(), &user.id, now(), after, 100)
            .await
            .expect("list by id")
            .expect("the user");
        let rest_by_seq = store
            .list_user_notifications(fx.seq(), user.seq, now(), after, 100)
            .await
            .expect("list");
        assert_eq!(rest, rest_by_seq, "{} after a cursor", user.id);
    }
    let stranger = other.user("stranger").await;
    for missing in ["nobody", stranger.id.as_str()] {
        let listed = store
            .list_user_notifications_by_id(fx.seq(), missing, now(), None, 10)
            .await
            .expect("list by id");
        assert_eq!(listed, None, "{missing}");
    }

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
            after = Some(last.user_list_cursor());
            paged.extend(page.iter().map(|u| u.id.clone()));
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
        list.into_iter().find(|u| u.id == id).map(|u| u.status)
    };

    assert_eq!(
        status_of(fx.user_list(&u1).await, "direct"),
        Some(UserStatus::Unread),
        "no status yet means UNREAD"
    );
    let mut read = write(&fx, "direct", &u1, UserStatus::Read);
    read.modified_at = t(10 * SECOND);
    let outcome = store.set_user_status(read.clone()).await.expect("status");
    assert_eq!(outcome, StatusOutcome::Written { user_seq: u1.seq });
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

    // The write finds its user by id within the instance: an unknown id,
    // or the id of another instance's user, is no user (and the stale
    // check below sees that nothing was written).
    let stranger = other.user("stranger").await;
    for (what, user_id) in [
        ("no such user", "nobody"),
        ("another instance's user", stranger.id.as_str()),
    ] {
        let mut write = write(&fx, "direct", &u1, UserStatus::Hidden);
        write.user_id = user_id.to_owned();
        let outcome = store.set_user_status(write).await.expect("status");
        assert_eq!(outcome, StatusOutcome::UserNotFound, "{what}");
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
    assert_eq!(outcome, StatusOutcome::Written { user_seq: u1.seq });
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
    assert_eq!(outcome, StatusOutcome::Written { user_seq: u1.seq });
    let mut first = write(&fx, "broadcast", &u2, UserStatus::Read);
    first.not_older_than = Some(t(-DAY));
    let outcome = store.set_user_status(first).await.expect("status");
    assert_eq!(
        outcome,
        StatusOutcome::Written { user_seq: u2.seq },
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

async fn unread(
    store: &dyn Store,
    instance_seq: i64,
    user: &UserRecord,
    at: Timestamp,
    cap: u32,
) -> UnreadCount {
    store
        .unread_count(instance_seq, user.seq, at, cap)
        .await
        .expect("unread_count")
}

/// `count`, with the soonest expiry `next_expiry` after the suite's now.
fn counted(count: u32, next_expiry: Option<i64>) -> UnreadCount {
    UnreadCount {
        count,
        next_expiry: next_expiry.map(t),
    }
}

async fn set_status(fx: &Fixture<'_>, id: &str, user: &UserRecord, status: UserStatus) {
    let outcome = fx
        .store
        .set_user_status(write(fx, id, user, status))
        .await
        .expect("status");
    assert_eq!(
        outcome,
        StatusOutcome::Written { user_seq: user.seq },
        "{id}: {status:?}"
    );
}

/// UNREAD (no status, or an explicit UNREAD) and unexpired, direct and
/// broadcast, per user and instance; the soonest expiry of those counted.
pub async fn unread_count(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let other = Fixture::new(store).await;
    let u1 = fx.user("u1").await;
    let u2 = fx.user("u2").await;
    let stranger = other.user("u1").await;
    let big = 1000;

    assert_eq!(
        unread(store, fx.seq(), &u1, now(), big).await,
        counted(0, None),
        "nothing yet"
    );

    let specs: [(&str, Option<&[&UserRecord]>, i64); 8] = [
        ("d1", Some(&[&u1]), 5 * HOUR),
        ("d2", Some(&[&u1]), 3 * HOUR),
        ("d-both", Some(&[&u1, &u2]), 4 * HOUR),
        ("d-u2", Some(&[&u2]), HOUR),
        ("d-expired", Some(&[&u1]), 0),
        ("b1", None, 6 * HOUR),
        ("b2", None, 2 * HOUR),
        ("b-expired", None, -SECOND),
    ];
    for (id, users, expires) in specs {
        let mut spec = match users {
            Some(users) => fx.direct(id, users),
            None => fx.note(id),
        };
        spec.expires_at = t(expires);
        fx.create(spec).await;
    }
    let mut foreign_broadcast = other.note("foreign-b");
    foreign_broadcast.expires_at = t(HOUR / 2);
    other.create(foreign_broadcast).await;
    let mut foreign_direct = other.direct("foreign-d", &[&stranger]);
    foreign_direct.expires_at = t(HOUR / 4);
    other.create(foreign_direct).await;

    // Expiring exactly now is expired.
    assert_eq!(
        unread(store, fx.seq(), &u1, now(), big).await,
        counted(5, Some(2 * HOUR)),
        "u1: d1, d2, d-both, b1, b2"
    );
    assert_eq!(
        unread(store, fx.seq(), &u2, now(), big).await,
        counted(4, Some(HOUR)),
        "u2: d-both, d-u2, b1, b2"
    );
    assert_eq!(
        unread(store, other.seq(), &stranger, now(), big).await,
        counted(2, Some(HOUR / 4)),
        "the other instance's user: its own only"
    );
    // The clock is the caller's: b2 expires at 2 h.
    assert_eq!(
        unread(store, fx.seq(), &u1, t(2 * HOUR), big).await,
        counted(4, Some(3 * HOUR))
    );
    assert_eq!(
        unread(store, fx.seq(), &u1, t(6 * HOUR), big).await,
        counted(0, None),
        "all expired"
    );
    // A user asked about in another instance has that instance's
    // broadcasts only, as in the listing.
    assert_eq!(
        unread(store, other.seq(), &u1, now(), big).await,
        counted(1, Some(HOUR / 2))
    );

    set_status(&fx, "d1", &u1, UserStatus::Read).await;
    set_status(&fx, "b1", &u1, UserStatus::Hidden).await;
    set_status(&fx, "d2", &u1, UserStatus::Unread).await;
    set_status(&fx, "b2", &u1, UserStatus::Unread).await;
    assert_eq!(
        unread(store, fx.seq(), &u1, now(), big).await,
        counted(3, Some(2 * HOUR)),
        "READ and HIDDEN are out, an explicit UNREAD stays: d2, d-both, b2"
    );
    set_status(&fx, "b2", &u1, UserStatus::Read).await;
    assert_eq!(
        unread(store, fx.seq(), &u1, now(), big).await,
        counted(2, Some(3 * HOUR)),
        "the soonest of those counted: d2, d-both"
    );
    assert_eq!(
        unread(store, fx.seq(), &u2, now(), big).await,
        counted(4, Some(HOUR)),
        "statuses are per user"
    );
    set_status(&fx, "d1", &u1, UserStatus::Unread).await;
    assert_eq!(
        unread(store, fx.seq(), &u1, now(), big).await,
        counted(3, Some(3 * HOUR)),
        "marked UNREAD again: d1, d2, d-both"
    );
    // The count is the listing's UNREAD entries.
    for user in [&u1, &u2] {
        let listed = fx
            .user_list(user)
            .await
            .iter()
            .filter(|u| u.status == UserStatus::Unread)
            .count();
        let count = unread(store, fx.seq(), user, now(), big).await.count;
        assert_eq!(count as usize, listed, "{}", user.username);
    }
}

/// `cap` bounds each kind on its own, after statuses are applied; the
/// first `cap` of each kind in listing order are the ones counted.
pub async fn unread_count_cap(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let user = fx.user("u").await;
    // Listing order is newest first: c-d3, c-d2, c-d1 and c-b3, c-b2, c-b1.
    for (i, expires) in [(1, 7 * HOUR), (2, 2 * HOUR), (3, 5 * HOUR)] {
        let mut direct = fx.direct(&format!("c-d{i}"), &[&user]);
        direct.created_at = t(-(10 - i) * SECOND);
        direct.expires_at = t(expires);
        fx.create(direct).await;
        let mut broadcast = fx.note(&format!("c-b{i}"));
        broadcast.created_at = t(-(10 - i) * SECOND);
        broadcast.expires_at = t(expires + HOUR);
        fx.create(broadcast).await;
    }

    assert_eq!(
        unread(store, fx.seq(), &user, now(), 3).await,
        counted(6, Some(2 * HOUR))
    );
    assert_eq!(
        unread(store, fx.seq(), &user, now(), 2).await,
        counted(4, Some(2 * HOUR)),
        "c-d3, c-d2, c-b3, c-b2"
    );
    assert_eq!(
        unread(store, fx.seq(), &user, now(), 1).await,
        counted(2, Some(5 * HOUR)),
        "c-d3, c-b3"
    );
    assert_eq!(
        unread(store, fx.seq(), &user, now(), 0).await,
        counted(0, None)
    );
    // A read one takes no room under the cap.
    set_status(&fx, "c-d3", &user, UserStatus::Read).await;
    set_status(&fx, "c-b2", &user, UserStatus::Hidden).await;
    assert_eq!(
        unread(store, fx.seq(), &user, now(), 1).await,
        counted(2, Some(2 * HOUR)),
        "c-d2, c-b3"
    );
    assert_eq!(
        unread(store, fx.seq(), &user, now(), 2).await,
        counted(4, Some(2 * HOUR)),
        "c-d2, c-d1, c-b3, c-b1"
    );
}
