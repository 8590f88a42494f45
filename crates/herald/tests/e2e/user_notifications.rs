//! ListUserNotifications and UpdateUserNotificationStatus.

use crate::common::*;
use aws_sdk_connect::Client;
use aws_sdk_connect::types::{
    ConfigurableNotificationPriority, LocaleCode, NotificationPriority, NotificationSource,
    NotificationStatus,
};

async fn create_with_priority(
    client: &Client,
    instance_id: &str,
    recipient: &str,
    text: &str,
    priority: ConfigurableNotificationPriority,
) -> String {
    ok(client
        .create_notification()
        .instance_id(instance_id)
        .recipients(recipient)
        .content(LocaleCode::EnUs, text)
        .priority(priority)
        .send()
        .await)
    .notification_id()
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn ordered_by_priority_then_newest_first() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let u = create_user(&c, &inst.id, "alice").await;
    use ConfigurableNotificationPriority::{High, Low};
    let l1 = create_with_priority(&c, &inst.id, &u.arn, "l1", Low).await;
    let h1 = create_with_priority(&c, &inst.id, &u.arn, "h1", High).await;
    let l2 = create_with_priority(&c, &inst.id, &inst.arn, "l2", Low).await;
    let h2 = create_with_priority(&c, &inst.id, &inst.arn, "h2", High).await;
    let l3 = create_with_priority(&c, &inst.id, &u.arn, "l3", Low).await;
    let h3 = create_with_priority(&c, &inst.id, &u.arn, "h3", High).await;

    let listed = list_user_notifications_all(&c, &inst.id, &u.id).await;
    let ids: Vec<_> = listed
        .iter()
        .map(|n| n.notification_id().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec![h3, h2, h1, l3, l2, l1]);
    let priorities: Vec<_> = listed
        .iter()
        .map(|n| n.priority().cloned().unwrap())
        .collect();
    assert_eq!(
        priorities,
        [
            vec![NotificationPriority::High; 3],
            vec![NotificationPriority::Low; 3]
        ]
        .concat()
    );

    // Reading or hiding does not reorder.
    set_status(&c, &inst.id, &u.id, &ids[0], NotificationStatus::Read).await;
    set_status(&c, &inst.id, &u.id, &ids[4], NotificationStatus::Hidden).await;
    let again: Vec<_> = list_user_notifications_all(&c, &inst.id, &u.id)
        .await
        .iter()
        .map(|n| n.notification_id().unwrap().to_string())
        .collect();
    assert_eq!(again, ids);
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_members_and_status_round_trip() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let alice = create_user(&c, &inst.id, "alice").await;
    let bob = create_user(&c, &inst.id, "bob").await;
    let expires = secs_from_now(3.0 * DAY);
    let out = ok(c
        .create_notification()
        .instance_id(&inst.id)
        .recipients(&alice.arn)
        .recipients(&bob.arn)
        .content(LocaleCode::EnUs, "hello")
        .content(LocaleCode::EsEs, "hola")
        .priority(ConfigurableNotificationPriority::High)
        .expires_at(expires)
        .send()
        .await);
    let id = out.notification_id().to_string();
    let described = ok(c
        .describe_notification()
        .instance_id(&inst.id)
        .notification_id(&id)
        .send()
        .await)
    .notification
    .unwrap();

    let listed = list_user_notifications_all(&c, &inst.id, &alice.id).await;
    assert_eq!(listed.len(), 1);
    let s = &listed[0];
    assert_eq!(s.notification_id(), Some(id.as_str()));
    assert_eq!(s.notification_status(), Some(&NotificationStatus::Unread));
    assert_eq!(s.source(), Some(&NotificationSource::Customer));
    assert_eq!(s.recipient_id(), Some(alice.id.as_str()));
    assert_eq!(s.instance_id(), Some(inst.id.as_str()));
    assert_eq!(s.content(), described.content());
    assert_eq!(s.priority(), Some(&NotificationPriority::High));
    assert_same_instant(
        s.created_at().unwrap(),
        described.created_at().unwrap(),
        "CreatedAt",
    );
    assert_same_instant(s.expires_at().unwrap(), &expires, "ExpiresAt");

    // Bob's summary names Bob.
    let bobs = list_user_notifications_all(&c, &inst.id, &bob.id).await;
    assert_eq!(bobs[0].recipient_id(), Some(bob.id.as_str()));

    // Round trip through every status; each user has their own.
    for status in [
        NotificationStatus::Read,
        NotificationStatus::Unread,
        NotificationStatus::Hidden,
        NotificationStatus::Read,
        NotificationStatus::Hidden,
    ] {
        set_status(&c, &inst.id, &alice.id, &id, status.clone()).await;
        assert_eq!(status_of(&c, &inst.id, &alice.id, &id).await, status);
        assert_eq!(
            status_of(&c, &inst.id, &bob.id, &id).await,
            NotificationStatus::Unread,
            "Alice's status leaked to Bob"
        );
    }
    // HIDDEN is still listed, with status HIDDEN.
    let listed = list_user_notifications_all(&c, &inst.id, &alice.id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].notification_status(),
        Some(&NotificationStatus::Hidden)
    );
    // Setting the same status twice is fine.
    set_status(&c, &inst.id, &alice.id, &id, NotificationStatus::Hidden).await;
    assert_eq!(
        status_of(&c, &inst.id, &alice.id, &id).await,
        NotificationStatus::Hidden
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_status_value_is_refused() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let u = create_user(&c, &inst.id, "alice").await;
    let n = notify(&c, &inst.id, &[&u.arn], "x").await;
    for bad in ["ARCHIVED", "read", ""] {
        let err = assert_err(
            c.update_user_notification_status()
                .instance_id(&inst.id)
                .user_id(&u.id)
                .notification_id(&n.id)
                .status(NotificationStatus::from(bad))
                .send()
                .await,
            "InvalidParameterException",
            400,
        );
        assert!(err.message.contains("Status"), "{err:?}");
    }
    assert_eq!(
        status_of(&c, &inst.id, &u.id, &n.id).await,
        NotificationStatus::Unread
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn instance_arn_reaches_current_and_future_users() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let other = create_instance(&c).await;
    let outsider = create_user(&c, &other.id, "outsider").await;
    let u1 = create_user(&c, &inst.id, "u1").await;
    let u2 = create_user(&c, &inst.id, "u2").await;
    let broadcast = notify(&c, &inst.id, &[&inst.arn], "to everyone").await;
    let direct = notify(&c, &inst.id, &[&u1.arn], "to u1").await;

    assert_eq!(
        user_notification_ids(&c, &inst.id, &u1.id).await,
        vec![direct.id.clone(), broadcast.id.clone()]
    );
    assert_eq!(
        user_notification_ids(&c, &inst.id, &u2.id).await,
        vec![broadcast.id.clone()]
    );

    let late = create_user(&c, &inst.id, "latecomer").await;
    let seen = list_user_notifications_all(&c, &inst.id, &late.id).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].notification_id(), Some(broadcast.id.as_str()));
    assert_eq!(seen[0].recipient_id(), Some(late.id.as_str()));
    assert_eq!(
        seen[0].notification_status(),
        Some(&NotificationStatus::Unread)
    );
    set_status(
        &c,
        &inst.id,
        &late.id,
        &broadcast.id,
        NotificationStatus::Read,
    )
    .await;
    assert_eq!(
        status_of(&c, &inst.id, &late.id, &broadcast.id).await,
        NotificationStatus::Read
    );
    assert_eq!(
        status_of(&c, &inst.id, &u2.id, &broadcast.id).await,
        NotificationStatus::Unread
    );

    // An instance ARN reaches only that instance's users.
    assert!(
        user_notification_ids(&c, &other.id, &outsider.id)
            .await
            .is_empty()
    );
    assert_err(
        c.update_user_notification_status()
            .instance_id(&other.id)
            .user_id(&outsider.id)
            .notification_id(&broadcast.id)
            .status(NotificationStatus::Read)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unaddressed_user_neither_sees_nor_updates() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let alice = create_user(&c, &inst.id, "alice").await;
    let bob = create_user(&c, &inst.id, "bob").await;
    let for_alice = notify(&c, &inst.id, &[&alice.arn], "only alice").await;

    assert!(
        user_notification_ids(&c, &inst.id, &bob.id)
            .await
            .is_empty()
    );
    let not_sent = assert_err(
        c.update_user_notification_status()
            .instance_id(&inst.id)
            .user_id(&bob.id)
            .notification_id(&for_alice.id)
            .status(NotificationStatus::Read)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    // Bob's failed attempt created nothing for him.
    assert!(
        user_notification_ids(&c, &inst.id, &bob.id)
            .await
            .is_empty()
    );
    assert_eq!(
        status_of(&c, &inst.id, &alice.id, &for_alice.id).await,
        NotificationStatus::Unread
    );

    // The same message as for a notification that does not exist at all.
    let ghost_id = "00000000-0000-4000-8000-000000000000";
    let missing = assert_err(
        c.update_user_notification_status()
            .instance_id(&inst.id)
            .user_id(&bob.id)
            .notification_id(ghost_id)
            .status(NotificationStatus::Read)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_eq!(
        not_sent.message.replace(&for_alice.id, "<id>"),
        missing.message.replace(ghost_id, "<id>"),
        "'not sent to you' must be indistinguishable from 'does not exist'"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_user_or_instance_is_404() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let u = create_user(&c, &inst.id, "alice").await;
    let n = notify(&c, &inst.id, &[&inst.arn], "x").await;
    let ghost = "00000000-0000-4000-8000-000000000000";
    let other = create_instance(&c).await;

    for (instance_id, user_id) in [
        (&inst.id[..], ghost),
        (ghost, &u.id[..]),
        (&other.id[..], &u.id[..]),
    ] {
        assert_err(
            c.list_user_notifications()
                .instance_id(instance_id)
                .user_id(user_id)
                .send()
                .await,
            "ResourceNotFoundException",
            404,
        );
        assert_err(
            c.update_user_notification_status()
                .instance_id(instance_id)
                .user_id(user_id)
                .notification_id(&n.id)
                .status(NotificationStatus::Read)
                .send()
                .await,
            "ResourceNotFoundException",
            404,
        );
    }
    assert_eq!(
        status_of(&c, &inst.id, &u.id, &n.id).await,
        NotificationStatus::Unread
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_write_is_refused_and_changes_nothing() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let u = create_user(&c, &inst.id, "alice").await;
    let n = notify(&c, &inst.id, &[&u.arn], "x").await;

    set_status(&c, &inst.id, &u.id, &n.id, NotificationStatus::Read).await;
    let hour_ago = whole_secs_from_now(-3600);
    let err = assert_err(
        c.update_user_notification_status()
            .instance_id(&inst.id)
            .user_id(&u.id)
            .notification_id(&n.id)
            .status(NotificationStatus::Hidden)
            .last_modified_time(hour_ago)
            .send()
            .await,
        "InvalidRequestException",
        400,
    );
    assert!(!err.message.is_empty());
    assert_eq!(
        status_of(&c, &inst.id, &u.id, &n.id).await,
        NotificationStatus::Read
    );

    // A write carrying a newer time is accepted.
    ok(c.update_user_notification_status()
        .instance_id(&inst.id)
        .user_id(&u.id)
        .notification_id(&n.id)
        .status(NotificationStatus::Hidden)
        .last_modified_time(whole_secs_from_now(5))
        .send()
        .await);
    assert_eq!(
        status_of(&c, &inst.id, &u.id, &n.id).await,
        NotificationStatus::Hidden
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replicated_write_sets_the_stored_time() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let alice = create_user(&c, &inst.id, "alice").await;
    let bob = create_user(&c, &inst.id, "bob").await;
    let n = notify(&c, &inst.id, &[&inst.arn], "x").await;

    // A replicated write stamped ten minutes in the future.
    let t = whole_secs_from_now(600);
    ok(c.update_user_notification_status()
        .instance_id(&inst.id)
        .user_id(&alice.id)
        .notification_id(&n.id)
        .status(NotificationStatus::Read)
        .last_modified_time(t)
        .last_modified_region("us-west-2")
        .send()
        .await);
    assert_eq!(
        status_of(&c, &inst.id, &alice.id, &n.id).await,
        NotificationStatus::Read
    );

    // A plain write stamped a minute before `t` (still in the future) is stale.
    assert_err(
        c.update_user_notification_status()
            .instance_id(&inst.id)
            .user_id(&alice.id)
            .notification_id(&n.id)
            .status(NotificationStatus::Hidden)
            .last_modified_time(whole_secs_from_now(540))
            .send()
            .await,
        "InvalidRequestException",
        400,
    );
    // So is an older replicated write.
    assert_err(
        c.update_user_notification_status()
            .instance_id(&inst.id)
            .user_id(&alice.id)
            .notification_id(&n.id)
            .status(NotificationStatus::Hidden)
            .last_modified_time(whole_secs_from_now(300))
            .last_modified_region("eu-west-1")
            .send()
            .await,
        "InvalidRequestException",
        400,
    );
    assert_eq!(
        status_of(&c, &inst.id, &alice.id, &n.id).await,
        NotificationStatus::Read
    );

    // A write stamped exactly `t` is not older, so it is not stale.
    ok(c.update_user_notification_status()
        .instance_id(&inst.id)
        .user_id(&alice.id)
        .notification_id(&n.id)
        .status(NotificationStatus::Unread)
        .last_modified_time(t)
        .send()
        .await);
    assert_eq!(
        status_of(&c, &inst.id, &alice.id, &n.id).await,
        NotificationStatus::Unread
    );

    // Bob's status has its own clock: the same time is fine for him.
    ok(c.update_user_notification_status()
        .instance_id(&inst.id)
        .user_id(&bob.id)
        .notification_id(&n.id)
        .status(NotificationStatus::Hidden)
        .last_modified_time(whole_secs_from_now(60))
        .send()
        .await);
    assert_eq!(
        status_of(&c, &inst.id, &bob.id, &n.id).await,
        NotificationStatus::Hidden
    );

    // A write after `t` goes through.
    ok(c.update_user_notification_status()
        .instance_id(&inst.id)
        .user_id(&alice.id)
        .notification_id(&n.id)
        .status(NotificationStatus::Hidden)
        .last_modified_time(whole_secs_from_now(3700))
        .send()
        .await);
    assert_eq!(
        status_of(&c, &inst.id, &alice.id, &n.id).await,
        NotificationStatus::Hidden
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replicated_write_requires_a_time() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let u = create_user(&c, &inst.id, "alice").await;
    let n = notify(&c, &inst.id, &[&u.arn], "x").await;
    let err = assert_err(
        c.update_user_notification_status()
            .instance_id(&inst.id)
            .user_id(&u.id)
            .notification_id(&n.id)
            .status(NotificationStatus::Read)
            .last_modified_region("us-west-2")
            .send()
            .await,
        "InvalidParameterException",
        400,
    );
    assert!(err.message.contains("LastModifiedTime"), "{err:?}");
    assert_eq!(
        status_of(&c, &inst.id, &u.id, &n.id).await,
        NotificationStatus::Unread
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn max_results_bounds_and_paging() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let u = create_user(&c, &inst.id, "alice").await;
    for i in 0..3 {
        notify(&c, &inst.id, &[&u.arn], &format!("n{i}")).await;
    }
    for bad in [0, 1001, -5] {
        let err = assert_err(
            c.list_user_notifications()
                .instance_id(&inst.id)
                .user_id(&u.id)
                .max_results(bad)
                .send()
                .await,
            "InvalidParameterException",
            400,
        );
        assert!(err.message.to_lowercase().contains("maxresults"), "{err:?}");
    }
    let all = ok(c
        .list_user_notifications()
        .instance_id(&inst.id)
        .user_id(&u.id)
        .max_results(1000)
        .send()
        .await);
    assert_eq!(all.user_notifications().len(), 3);
    assert!(all.next_token().is_none());
    let first = ok(c
        .list_user_notifications()
        .instance_id(&inst.id)
        .user_id(&u.id)
        .max_results(1)
        .send()
        .await);
    assert_eq!(first.user_notifications().len(), 1);
    assert!(first.next_token().is_some());
}
