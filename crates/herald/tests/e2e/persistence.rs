//! Durability across graceful restarts and crashes.

use std::collections::HashMap;

use crate::common::*;
use aws_sdk_connect::types::{
    ConfigurableNotificationPriority, DirectoryType, LocaleCode, Notification, NotificationStatus,
    UserIdentityInfo,
};
use tokio::task::JoinSet;

#[track_caller]
fn assert_same_notification(a: &Notification, b: &Notification) {
    assert_eq!(a.id(), b.id());
    assert_eq!(a.arn(), b.arn());
    assert_eq!(a.content(), b.content());
    assert_eq!(a.priority(), b.priority());
    assert_eq!(
        sorted(a.recipients().to_vec()),
        sorted(b.recipients().to_vec())
    );
    assert_same_instant(
        a.created_at().unwrap(),
        b.created_at().unwrap(),
        "CreatedAt",
    );
    assert_same_instant(
        a.expires_at().unwrap(),
        b.expires_at().unwrap(),
        "ExpiresAt",
    );
    assert_same_instant(
        a.last_modified_time(),
        b.last_modified_time(),
        "LastModifiedTime",
    );
    assert_eq!(a.last_modified_region(), b.last_modified_region());
    assert_eq!(a.tags(), b.tags());
}

fn statuses(
    list: &[aws_sdk_connect::types::UserNotificationSummary],
) -> HashMap<String, NotificationStatus> {
    list.iter()
        .map(|n| {
            (
                n.notification_id().unwrap().to_string(),
                n.notification_status().cloned().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn everything_survives_a_graceful_restart() {
    let mut server = Server::start().await;
    let client = server.client();
    let inst_out = ok(client
        .create_instance()
        .identity_management_type(DirectoryType::ConnectManaged)
        .instance_alias("durable")
        .inbound_calls_enabled(true)
        .outbound_calls_enabled(true)
        .tags("k", "v")
        .send()
        .await);
    let inst = InstanceRef {
        id: inst_out.id().unwrap().to_string(),
        arn: inst_out.arn().unwrap().to_string(),
    };
    let alice = ok(client
        .create_user()
        .instance_id(&inst.id)
        .username("alice")
        .identity_info(
            UserIdentityInfo::builder()
                .first_name("Alice")
                .email("a@example.com")
                .build(),
        )
        .security_profile_ids("sp-1")
        .routing_profile_id("rp-1")
        .tags("team", "blue")
        .send()
        .await);
    let alice_id = alice.user_id().unwrap().to_string();
    let bob = create_user(&client, &inst.id, "bob").await;

    let n1 = ok(client
        .create_notification()
        .instance_id(&inst.id)
        .recipients(alice.user_arn().unwrap())
        .content(LocaleCode::EnUs, "durable one")
        .content(LocaleCode::ZhCn, "持久")
        .priority(ConfigurableNotificationPriority::High)
        .tags("a", "1")
        .client_token("durable-token")
        .send()
        .await);
    let n2 = notify(&client, &inst.id, &[&inst.arn], "to everyone").await;
    let gone = notify(&client, &inst.id, &[&inst.arn], "deleted before restart").await;
    ok(client
        .update_notification_content()
        .instance_id(&inst.id)
        .notification_id(&n2.id)
        .content(LocaleCode::EnUs, "to everyone, edited")
        .send()
        .await);
    ok(client
        .tag_resource()
        .resource_arn(&n2.arn)
        .tags("b", "2")
        .send()
        .await);
    ok(client
        .delete_notification()
        .instance_id(&inst.id)
        .notification_id(&gone.id)
        .send()
        .await);
    ok(client
        .update_user_notification_status()
        .instance_id(&inst.id)
        .user_id(&alice_id)
        .notification_id(n1.notification_id())
        .status(NotificationStatus::Read)
        .send()
        .await);
    // A replicated status write stamped ten minutes ahead.
    ok(client
        .update_user_notification_status()
        .instance_id(&inst.id)
        .user_id(&bob.id)
        .notification_id(&n2.id)
        .status(NotificationStatus::Hidden)
        .last_modified_time(whole_secs_from_now(600))
        .last_modified_region("us-west-2")
        .send()
        .await);

    let before_instance = ok(client
        .describe_instance()
        .instance_id(&inst.id)
        .send()
        .await)
    .instance
    .unwrap();
    let before_alice = ok(client
        .describe_user()
        .instance_id(&inst.id)
        .user_id(&alice_id)
        .send()
        .await)
    .user
    .unwrap();
    let before_n1 = describe(&client, &inst.id, n1.notification_id()).await;
    let before_n2 = describe(&client, &inst.id, &n2.id).await;
    let before_list = list_notification_ids(&client, &inst.id).await;
    let before_alice_view = list_user_notifications_all(&client, &inst.id, &alice_id).await;
    let before_bob_view = list_user_notifications_all(&client, &inst.id, &bob.id).await;

    server.restart().await;
    let client = server.client();

    let after_instance = ok(client
        .describe_instance()
        .instance_id(&inst.id)
        .send()
        .await)
    .instance
    .unwrap();
    assert_eq!(after_instance.arn(), before_instance.arn());
    assert_eq!(after_instance.instance_alias(), Some("durable"));
    assert_eq!(after_instance.tags(), before_instance.tags());
    assert_same_instant(
        after_instance.created_time().unwrap(),
        before_instance.created_time().unwrap(),
        "CreatedTime",
    );
    let after_alice = ok(client
        .describe_user()
        .instance_id(&inst.id)
        .user_id(&alice_id)
        .send()
        .await)
    .user
    .unwrap();
    assert_eq!(after_alice.username(), before_alice.username());
    assert_eq!(after_alice.identity_info(), before_alice.identity_info());
    assert_eq!(after_alice.tags(), before_alice.tags());
    assert_eq!(
        after_alice.security_profile_ids(),
        before_alice.security_profile_ids()
    );

    assert_same_notification(
        &describe(&client, &inst.id, n1.notification_id()).await,
        &before_n1,
    );
    assert_same_notification(&describe(&client, &inst.id, &n2.id).await, &before_n2);
    assert_eq!(list_notification_ids(&client, &inst.id).await, before_list);
    assert_err(
        client
            .describe_notification()
            .instance_id(&inst.id)
            .notification_id(&gone.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    let after_alice_view = list_user_notifications_all(&client, &inst.id, &alice_id).await;
    assert_eq!(statuses(&after_alice_view), statuses(&before_alice_view));
    assert_eq!(
        statuses(&after_alice_view)[n1.notification_id()],
        NotificationStatus::Read
    );
    let after_bob_view = list_user_notifications_all(&client, &inst.id, &bob.id).await;
    assert_eq!(statuses(&after_bob_view), statuses(&before_bob_view));
    assert_eq!(
        statuses(&after_bob_view)[&n2.id],
        NotificationStatus::Hidden
    );

    // The replicated time was persisted: an older write is still stale.
    assert_err(
        client
            .update_user_notification_status()
            .instance_id(&inst.id)
            .user_id(&bob.id)
            .notification_id(&n2.id)
            .status(NotificationStatus::Read)
            .last_modified_time(whole_secs_from_now(300))
            .send()
            .await,
        "InvalidRequestException",
        400,
    );
    // The client token is still remembered.
    let replay = ok(client
        .create_notification()
        .instance_id(&inst.id)
        .recipients(alice.user_arn().unwrap())
        .content(LocaleCode::EnUs, "durable one")
        .content(LocaleCode::ZhCn, "持久")
        .priority(ConfigurableNotificationPriority::High)
        .tags("a", "1")
        .client_token("durable-token")
        .send()
        .await);
    assert_eq!(replay.notification_id(), n1.notification_id());
    assert_eq!(list_notification_ids(&client, &inst.id).await, before_list);
    // Uniqueness rules still hold.
    assert_err(
        client
            .create_user()
            .instance_id(&inst.id)
            .username("alice")
            .security_profile_ids("sp-1")
            .routing_profile_id("rp-1")
            .send()
            .await,
        "DuplicateResourceException",
        409,
    );
    // A user created after the restart still gets the instance-wide one.
    let carol = create_user(&client, &inst.id, "carol").await;
    assert_eq!(
        user_notification_ids(&client, &inst.id, &carol.id).await,
        vec![n2.id.clone()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_writes_survive_sigkill() {
    let mut server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let users = create_users(&client, &inst.id, 3).await;

    // 50 notifications, created concurrently.
    let mut tasks = JoinSet::new();
    for i in 0..50 {
        let (client, inst_id) = (client.clone(), inst.id.clone());
        let recipient = if i % 5 == 0 {
            inst.arn.clone()
        } else {
            users[i % 3].arn.clone()
        };
        tasks.spawn(async move {
            let out = ok(client
                .create_notification()
                .instance_id(&inst_id)
                .recipients(&recipient)
                .recipients(&recipient)
                .content(LocaleCode::EnUs, format!("crash test {i}"))
                .tags("n", i.to_string())
                .send()
                .await);
            (i, recipient, out.notification_id().to_string())
        });
    }
    let mut created = Vec::new();
    while let Some(r) = tasks.join_next().await {
        created.push(r.expect("create task"));
    }
    created.sort();
    assert_eq!(created.len(), 50);

    // One deletion.
    let deleted = created[7].2.clone();
    ok(client
        .delete_notification()
        .instance_id(&inst.id)
        .notification_id(&deleted)
        .send()
        .await);

    // Status updates, also concurrent: READ or HIDDEN for whoever received it.
    let mut expected: HashMap<(String, String), NotificationStatus> = HashMap::new();
    let mut tasks = JoinSet::new();
    for (i, recipient, id) in &created {
        if *id == deleted {
            continue;
        }
        let receivers: Vec<&UserRef> = if *recipient == inst.arn {
            users.iter().collect()
        } else {
            users.iter().filter(|u| &u.arn == recipient).collect()
        };
        for u in receivers {
            let status = if i % 2 == 0 {
                NotificationStatus::Read
            } else {
                NotificationStatus::Hidden
            };
            expected.insert((u.id.clone(), id.clone()), status.clone());
            let (client, inst_id, user_id, id) =
                (client.clone(), inst.id.clone(), u.id.clone(), id.clone());
            tasks.spawn(async move {
                ok(client
                    .update_user_notification_status()
                    .instance_id(&inst_id)
                    .user_id(&user_id)
                    .notification_id(&id)
                    .status(status)
                    .send()
                    .await);
            });
        }
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("update task");
    }
    // SIGKILL right after the last acknowledgement.
    server.kill9().await;
    let client = server.client();

    let listed = list_notification_ids(&client, &inst.id).await;
    let want: Vec<String> = created
        .iter()
        .map(|(_, _, id)| id.clone())
        .filter(|id| *id != deleted)
        .collect();
    assert_eq!(
        sorted(listed.clone()),
        sorted(want.clone()),
        "notifications lost or resurrected"
    );
    assert_eq!(listed.len(), 49);
    for (i, _, id) in &created {
        if *id == deleted {
            continue;
        }
        let n = describe(&client, &inst.id, id).await;
        assert_eq!(n.content(), Some(&en(&format!("crash test {i}"))));
        assert_eq!(
            n.tags(),
            Some(&HashMap::from([("n".to_string(), i.to_string())]))
        );
    }
    for u in &users {
        let view = statuses(&list_user_notifications_all(&client, &inst.id, &u.id).await);
        for ((user_id, id), status) in &expected {
            if user_id != &u.id || *id == deleted {
                continue;
            }
            assert_eq!(
                view.get(id),
                Some(status),
                "status of {id} for {} lost",
                u.username
            );
        }
        let expected_count = expected
            .keys()
            .filter(|(user_id, id)| user_id == &u.id && *id != deleted)
            .count();
        assert_eq!(
            view.len(),
            expected_count,
            "user {} sees the wrong number",
            u.username
        );
    }

    // And it keeps working after the crash.
    let after = notify(&client, &inst.id, &[&users[0].arn], "after the crash").await;
    assert_eq!(list_notification_ids(&client, &inst.id).await[0], after.id);
}
