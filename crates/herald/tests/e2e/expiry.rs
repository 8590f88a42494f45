//! Expiry and the sweeper.

use std::time::Duration;

use crate::common::*;
use aws_sdk_connect::Client;
use aws_sdk_connect::types::{
    LocaleCode, NotificationSearchCriteria, NotificationStatus, StringComparisonType,
    StringCondition,
};

fn contains(v: &str) -> NotificationSearchCriteria {
    NotificationSearchCriteria::builder()
        .string_condition(
            StringCondition::builder()
                .field_name("Content")
                .value(v)
                .comparison_type(StringComparisonType::Contains)
                .build(),
        )
        .build()
}

async fn create_expiring(
    client: &Client,
    instance_id: &str,
    recipients: &[&str],
    text: &str,
    in_secs: f64,
) -> (NotificationRef, f64) {
    let expires = secs_from_now(in_secs);
    let mut req = client
        .create_notification()
        .instance_id(instance_id)
        .content(LocaleCode::EnUs, text)
        .expires_at(expires);
    for r in recipients {
        req = req.recipients(*r);
    }
    let out = ok(req.send().await);
    (
        NotificationRef {
            id: out.notification_id().to_string(),
            arn: out.notification_arn().to_string(),
        },
        expires.as_secs_f64(),
    )
}

/// Sleeps until the wall clock is past `epoch_secs`.
async fn sleep_until_epoch(epoch_secs: f64) {
    let wait = epoch_secs - now().as_secs_f64();
    if wait > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_notifications_leave_every_listing_at_once() {
    // Default grace (an hour): expired notifications stay describable.
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let u = create_user(&c, &inst.id, "alice").await;
    let keep = notify(&c, &inst.id, &[&u.arn], "ephemeral? no, kept").await;
    let started = now().as_secs_f64();
    let (short, expires) =
        create_expiring(&c, &inst.id, &[&u.arn, &inst.arn], "ephemeral", 2.0).await;

    // Before expiry it is everywhere (checked only if we are clearly early).
    if now().as_secs_f64() < expires - 1.0 {
        assert!(
            list_notification_ids(&c, &inst.id)
                .await
                .contains(&short.id)
        );
        assert!(
            user_notification_ids(&c, &inst.id, &u.id)
                .await
                .contains(&short.id)
        );
        assert!(
            search_ids(&c, &inst.id, Some(contains("ephemeral")), None)
                .await
                .contains(&short.id)
        );
    }
    assert!(started < expires);

    sleep_until_epoch(expires + 1.0).await;

    assert_eq!(
        list_notification_ids(&c, &inst.id).await,
        vec![keep.id.clone()]
    );
    assert_eq!(
        user_notification_ids(&c, &inst.id, &u.id).await,
        vec![keep.id.clone()]
    );
    let (found, total) = search_all(&c, &inst.id, Some(contains("ephemeral")), None).await;
    let found: Vec<String> = found.into_iter().map(|n| n.id.unwrap()).collect();
    assert_eq!(found, vec![keep.id.clone()]);
    assert_eq!(
        total,
        Some(1),
        "ApproximateTotalCount must not count expired ones"
    );
    // A user created after expiry is not reached through the instance ARN.
    let late = create_user(&c, &inst.id, "late").await;
    assert!(
        user_notification_ids(&c, &inst.id, &late.id)
            .await
            .is_empty()
    );

    // Still describable within the grace period.
    let n = ok(c
        .describe_notification()
        .instance_id(&inst.id)
        .notification_id(&short.id)
        .send()
        .await);
    assert_eq!(n.notification().unwrap().id(), short.id);

    // Status updates on an expired notification are 404, with the same
    // message as for one that never existed.
    let expired_err = assert_err(
        c.update_user_notification_status()
            .instance_id(&inst.id)
            .user_id(&u.id)
            .notification_id(&short.id)
            .status(NotificationStatus::Read)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    let ghost = "00000000-0000-4000-8000-000000000000";
    let missing_err = assert_err(
        c.update_user_notification_status()
            .instance_id(&inst.id)
            .user_id(&u.id)
            .notification_id(ghost)
            .status(NotificationStatus::Read)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_eq!(
        expired_err.message.replace(&short.id, "<id>"),
        missing_err.message.replace(ghost, "<id>")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sweeper_deletes_after_the_grace_period() {
    let server = Server::start_with(&[
        "--sweep-interval-seconds",
        "1",
        "--expiry-grace-seconds",
        "0",
    ])
    .await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let u = create_user(&c, &inst.id, "alice").await;
    let keep = notify(&c, &inst.id, &[&u.arn], "long lived").await;
    let (short, expires) = create_expiring(&c, &inst.id, &[&u.arn], "short lived", 2.0).await;

    sleep_until_epoch(expires).await;
    eventually(
        Duration::from_secs(30),
        "the sweeper to delete the expired notification",
        || {
            let c = c.clone();
            let (inst_id, id) = (inst.id.clone(), short.id.clone());
            async move {
                match c
                    .describe_notification()
                    .instance_id(&inst_id)
                    .notification_id(&id)
                    .send()
                    .await
                {
                    Ok(_) => None,
                    Err(e) => {
                        let err = api_error(&e);
                        assert_eq!(
                            (err.code.as_str(), err.status),
                            ("ResourceNotFoundException", 404),
                            "{err:?}"
                        );
                        Some(())
                    }
                }
            }
        },
    )
    .await;

    // Gone for every operation, the tags included.
    assert_err(
        c.list_tags_for_resource()
            .resource_arn(&short.arn)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        c.update_notification_content()
            .instance_id(&inst.id)
            .notification_id(&short.id)
            .content(LocaleCode::EnUs, "x")
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        c.delete_notification()
            .instance_id(&inst.id)
            .notification_id(&short.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    // The unexpired one is untouched.
    ok(c.describe_notification()
        .instance_id(&inst.id)
        .notification_id(&keep.id)
        .send()
        .await);
    assert_eq!(
        list_notification_ids(&c, &inst.id).await,
        vec![keep.id.clone()]
    );
    assert_eq!(
        user_notification_ids(&c, &inst.id, &u.id).await,
        vec![keep.id]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn grace_period_is_honoured_by_the_sweeper() {
    // A sweeper running every second with an hour of grace must not delete
    // a notification that expired a few seconds ago.
    let server = Server::start_with(&["--sweep-interval-seconds", "1"]).await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let u = create_user(&c, &inst.id, "alice").await;
    let (short, expires) = create_expiring(&c, &inst.id, &[&u.arn], "short lived", 1.0).await;
    sleep_until_epoch(expires + 3.5).await;
    ok(c.describe_notification()
        .instance_id(&inst.id)
        .notification_id(&short.id)
        .send()
        .await);
    assert!(list_notification_ids(&c, &inst.id).await.is_empty());
}
