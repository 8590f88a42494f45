//! Several nodes on one PostgreSQL database: what a client sees through
//! any node is what it would see through one.

use std::sync::Arc;

use aws_sdk_connect::types::{LocaleCode, NotificationStatus};

use crate::chime::{Chime, add_member, create_app, public_channel, register_endpoint, send_push};
use crate::common::*;

/// Two servers on one fresh database.
async fn two_nodes() -> (Server, Server) {
    let a = Server::start().await;
    let b = Server::launch_sharing(Launch::default(), &a).await;
    (a, b)
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_starting_together_on_an_empty_database_both_serve() {
    let database = Arc::new(scratch_database().await);
    // Both migrate at once; the migrator's advisory lock lets one apply the
    // schema while the other waits, then finds it applied.
    let starting: Vec<_> = (0..3)
        .map(|_| {
            let database = database.clone();
            tokio::spawn(async move { Server::launch_on(Launch::default(), Some(database)).await })
        })
        .collect();
    let mut nodes = Vec::new();
    for node in starting {
        nodes.push(node.await.expect("node started"));
    }
    let instance = create_instance(&nodes[0].client()).await;
    for node in &nodes {
        ok(node
            .client()
            .describe_instance()
            .instance_id(&instance.id)
            .send()
            .await);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_notification_created_on_one_node_is_seen_on_the_other() {
    let (a, b) = two_nodes().await;
    let (ca, cb) = (a.client(), b.client());
    let instance = create_instance(&ca).await;
    let alice = create_user(&ca, &instance.id, "alice").await;
    let note = notify(&ca, &instance.id, &[&alice.arn], "made on A").await;

    let described = ok(cb
        .describe_notification()
        .instance_id(&instance.id)
        .notification_id(&note.id)
        .send()
        .await);
    let n = described.notification().expect("Notification");
    assert_eq!(
        n.content()
            .and_then(|c| c.get(&LocaleCode::EnUs))
            .map(String::as_str),
        Some("made on A")
    );
    assert_eq!(
        list_notification_ids(&cb, &instance.id).await,
        vec![note.id.clone()]
    );
    assert_eq!(
        user_notification_ids(&cb, &instance.id, &alice.id).await,
        vec![note.id.clone()]
    );

    // And the other way round: a status set on B is what A lists.
    ok(cb
        .update_user_notification_status()
        .instance_id(&instance.id)
        .user_id(&alice.id)
        .notification_id(&note.id)
        .status(NotificationStatus::Read)
        .send()
        .await);
    let listed = list_user_notifications_all(&ca, &instance.id, &alice.id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].notification_status(),
        Some(&NotificationStatus::Read)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_token_sent_to_both_nodes_at_once_creates_one_notification() {
    let (a, b) = two_nodes().await;
    let instance = create_instance(&a.client()).await;
    let alice = create_user(&a.client(), &instance.id, "alice").await;
    let token = crate::chime::token();

    let mut racing = Vec::new();
    for i in 0..12 {
        let client = if i % 2 == 0 { a.client() } else { b.client() };
        let (instance_id, recipient, token) =
            (instance.id.clone(), alice.arn.clone(), token.clone());
        racing.push(tokio::spawn(async move {
            let out = ok(client
                .create_notification()
                .instance_id(instance_id)
                .recipients(recipient)
                .content(LocaleCode::EnUs, "once")
                .client_token(token)
                .send()
                .await);
            out.notification_id().to_string()
        }));
    }
    let mut ids = Vec::new();
    for task in racing {
        ids.push(task.await.expect("request task"));
    }
    ids.dedup();
    assert_eq!(
        ids.len(),
        1,
        "every request answers with the same notification: {ids:?}"
    );
    assert_eq!(list_notification_ids(&b.client(), &instance.id).await, ids);
    assert_eq!(
        user_notification_ids(&a.client(), &instance.id, &alice.id).await,
        ids
    );
}

/// Replicated writes stamped t1 < … < t8 arrive through both nodes at once
/// in scrambled order: whatever the interleaving, the write stamped last
/// is the one that stays, and every older one that lost is refused.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_status_writes_through_both_nodes_keep_the_newest() {
    let (a, b) = two_nodes().await;
    let instance = create_instance(&a.client()).await;
    let alice = create_user(&a.client(), &instance.id, "alice").await;
    let note = notify(&a.client(), &instance.id, &[&alice.arn], "contended").await;

    let statuses = [
        NotificationStatus::Read,
        NotificationStatus::Hidden,
        NotificationStatus::Unread,
    ];
    let base = now().secs() + 60;
    // A fixed scramble of the eight stamps, alternating nodes.
    let order = [5_i64, 2, 7, 0, 3, 6, 1, 4];
    let mut racing = Vec::new();
    for (i, step) in order.into_iter().enumerate() {
        let client = if i % 2 == 0 { a.client() } else { b.client() };
        let status = statuses[step as usize % statuses.len()].clone();
        let (instance_id, user_id, note_id) =
            (instance.id.clone(), alice.id.clone(), note.id.clone());
        racing.push(tokio::spawn(async move {
            let result = client
                .update_user_notification_status()
                .instance_id(instance_id)
                .user_id(user_id)
                .notification_id(note_id)
                .status(status)
                .last_modified_time(aws_sdk_connect::primitives::DateTime::from_secs(
                    base + step,
                ))
                .last_modified_region("us-west-2")
                .send()
                .await;
            (step, result.map(|_| ()).map_err(|e| api_error(&e)))
        }));
    }
    for task in racing {
        let (step, result) = task.await.expect("request task");
        match result {
            Ok(()) => {}
            Err(err) => {
                assert_eq!(
                    (err.code.as_str(), err.status),
                    ("InvalidRequestException", 400),
                    "{err:?}"
                );
                assert!(step < 7, "the newest write was refused: {err:?}");
            }
        }
    }
    let newest = statuses[7 % statuses.len()].clone();
    for node in [&a, &b] {
        let listed = list_user_notifications_all(&node.client(), &instance.id, &alice.id).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].notification_status(), Some(&newest));
    }
    // The stored time is the newest stamp: a write a second older is stale.
    let err = expect_err(
        b.client()
            .update_user_notification_status()
            .instance_id(&instance.id)
            .user_id(&alice.id)
            .notification_id(&note.id)
            .status(NotificationStatus::Read)
            .last_modified_time(aws_sdk_connect::primitives::DateTime::from_secs(base + 6))
            .send()
            .await,
    );
    assert_eq!(err.code, "InvalidRequestException", "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pagination_tokens_from_one_node_work_on_the_other() {
    let (a, b) = two_nodes().await;
    let instance = create_instance(&a.client()).await;
    let mut made = Vec::new();
    for i in 0..7 {
        made.push(
            notify(
                &a.client(),
                &instance.id,
                &[&instance.arn],
                &format!("n{i}"),
            )
            .await
            .id,
        );
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for page in 0.. {
        // Alternate nodes page by page.
        let client = if page % 2 == 0 {
            a.client()
        } else {
            b.client()
        };
        let out = ok(client
            .list_notifications()
            .instance_id(&instance.id)
            .max_results(2)
            .set_next_token(token.clone())
            .send()
            .await);
        seen.extend(
            out.notification_summary_list()
                .iter()
                .map(|n| n.id().to_string()),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
        assert!(page < 10, "paging does not end");
    }
    let mut expected = made;
    expected.reverse(); // newest first
    assert_eq!(seen, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_sent_through_one_node_is_listed_by_the_other() {
    let (a, b) = two_nodes().await;
    let ca = Chime::new(&a);
    let app = create_app(&ca.id, "nodes").await;
    let owner = crate::chime::create_user(&ca.id, &app, "owner").await;
    let bob = crate::chime::create_user(&ca.id, &app, "bob").await;
    let endpoint = register_endpoint(&ca.id, &bob, "bob-phone", None, None).await;
    let channel = public_channel(&ca.msg, &app, &owner).await;
    add_member(&ca.msg, &channel, &owner, &bob).await;
    let message = send_push(&Chime::new(&b).msg, &channel, &owner, &[]).await;

    let listed = crate::chime::deliveries(&a, &channel, &message).await;
    let to_bob: Vec<_> = listed
        .iter()
        .filter(|d| d["MemberArn"] == bob.as_str())
        .collect();
    assert_eq!(to_bob.len(), 1, "{listed:?}");
    assert_eq!(to_bob[0]["EndpointId"], endpoint.as_str());
    assert_eq!(to_bob[0]["DeviceToken"], "bob-phone");
}

/// Each node keeps push audiences in memory; a change made through the
/// other node still reaches its next push.
#[tokio::test(flavor = "multi_thread")]
async fn a_preference_set_through_one_node_reaches_the_next_push_of_the_other() {
    let (a, b) = two_nodes().await;
    let (ca, cb) = (Chime::new(&a), Chime::new(&b));
    let app = create_app(&ca.id, "nodes").await;
    let owner = crate::chime::create_user(&ca.id, &app, "owner").await;
    let bob = crate::chime::create_user(&ca.id, &app, "bob").await;
    let endpoint = register_endpoint(&ca.id, &bob, "bob-phone", None, None).await;
    let channel = public_channel(&ca.msg, &app, &owner).await;
    add_member(&ca.msg, &channel, &owner, &bob).await;
    let bob_got = |listed: Vec<serde_json::Value>| {
        listed
            .iter()
            .filter(|d| d["MemberArn"] == bob.as_str() && d["EndpointId"] == endpoint.as_str())
            .count()
    };
    let first = send_push(&ca.msg, &channel, &owner, &[]).await;
    assert_eq!(
        bob_got(crate::chime::deliveries(&a, &channel, &first).await),
        1
    );

    crate::chime::set_prefs(
        &cb.msg,
        &channel,
        &bob,
        aws_sdk_chimesdkmessaging::types::AllowNotifications::None,
        None,
    )
    .await;
    let second = send_push(&ca.msg, &channel, &owner, &[]).await;
    assert_eq!(
        bob_got(crate::chime::deliveries(&a, &channel, &second).await),
        0,
        "node A pushed past a preference set through node B"
    );
}

/// `--database-max-connections` bounds what a node holds, however many
/// requests arrive at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_opens_no_more_connections_than_allowed() {
    let server = Server::start_with(&["--database-max-connections", "1"]).await;
    let client = server.client();
    let instance = create_instance(&client).await;
    let mut racing = Vec::new();
    for i in 0..24 {
        let (client, instance) = (client.clone(), instance.clone());
        racing.push(tokio::spawn(async move {
            notify(&client, &instance.id, &[&instance.arn], &format!("n{i}")).await
        }));
    }
    for task in racing {
        task.await.expect("request task");
    }
    assert_eq!(list_notification_ids(&client, &instance.id).await.len(), 24);
    let database = server.database().expect("PostgreSQL");
    let held = database
        .herald_connections()
        .await
        .expect("pg_stat_activity");
    assert_eq!(
        held, 1,
        "connections held with --database-max-connections 1"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn live_events_reach_streams_on_every_node() {
    use crate::widget::{sse::EventStream, token};
    let (a, b) = two_nodes().await;
    let ca = a.client();
    let instance = create_instance(&ca).await;
    let alice = create_user(&ca, &instance.id, "alice").await;
    // Issued by A, honoured by B: the key comes from the shared store.
    let token = token(&a, &instance.id, &alice.id).await;
    let mut on_b = EventStream::open(&b, &token, None).await;
    let snapshot = on_b.expect("snapshot").await;
    assert_eq!(snapshot.data["Unread"]["Count"], 0);

    let note = notify(&ca, &instance.id, &[&alice.arn], "made on A").await;
    let heard = on_b.expect("notification").await;
    assert_eq!(heard.data["Item"]["NotificationId"], note.id.as_str());
    assert_eq!(on_b.expect("unread").await.data["Count"], 1);

    let everyone = notify(&ca, &instance.id, &[&instance.arn], "to all, on A").await;
    let heard = on_b.expect("notification").await;
    assert_eq!(heard.data["Item"]["NotificationId"], everyone.id.as_str());
    assert_eq!(on_b.expect("unread").await.data["Count"], 2);

    ok(ca
        .update_user_notification_status()
        .instance_id(&instance.id)
        .user_id(&alice.id)
        .notification_id(&note.id)
        .status(NotificationStatus::Read)
        .send()
        .await);
    let status = on_b.expect("status").await;
    assert_eq!(status.data["Status"], "READ");
    assert_eq!(on_b.expect("unread").await.data["Count"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_listener_refreshes_every_stream_and_no_replay_reaches_past_it() {
    use crate::widget::{sse::EventStream, token};
    let server = Server::start().await;
    let c = server.client();
    let instance = create_instance(&c).await;
    let alice = create_user(&c, &instance.id, "alice").await;
    let token = token(&server, &instance.id, &alice.id).await;
    let mut stream = EventStream::open(&server, &token, None).await;
    let before = stream.expect("snapshot").await;
    notify(&c, &instance.id, &[&alice.arn], "before the cut").await;
    let seen = stream.expect("notification").await;

    // The node's LISTEN connection is cut: changes meanwhile may be lost,
    // so every stream gets a fresh snapshot once it listens again.
    let database = server.database().expect("a PostgreSQL server");
    assert_eq!(database.terminate("herald-feed-listener").await.unwrap(), 1);
    let refreshed = loop {
        let event = stream
            .next_within(std::time::Duration::from_secs(15))
            .await
            .expect("a snapshot after the listener came back");
        if event.name == "snapshot" {
            break event;
        }
    };
    assert_eq!(refreshed.data["Unread"]["Count"], 1);

    // A client that last saw an event from before the cut is not replayed
    // to (what happened during the cut was never heard): a snapshot.
    for last in [before.id.unwrap(), seen.id.unwrap()] {
        let mut resumed = EventStream::open(&server, &token, Some(&last)).await;
        assert_eq!(
            resumed.next().await.name,
            "snapshot",
            "resuming from {last}"
        );
    }
}

/// Each node keeps the instances it has read: a deletion through one node
/// must reach the other's copy through the feed, well before that copy
/// would be read again anyway (5 s).
#[tokio::test(flavor = "multi_thread")]
async fn an_instance_deleted_through_one_node_is_gone_on_the_other() {
    let (a, b) = two_nodes().await;
    let (ca, cb) = (a.client(), b.client());
    let instance = create_instance(&ca).await;
    let alice = create_user(&ca, &instance.id, "alice").await;
    // B reads (and keeps) the instance.
    assert_eq!(
        user_notification_ids(&cb, &instance.id, &alice.id).await,
        Vec::<String>::new()
    );

    let deleted_at = std::time::Instant::now();
    ok(ca.delete_instance().instance_id(&instance.id).send().await);
    loop {
        let found = cb
            .describe_instance()
            .instance_id(&instance.id)
            .send()
            .await;
        if found.is_err() {
            assert_err(found, "ResourceNotFoundException", 404);
            break;
        }
        assert!(
            deleted_at.elapsed() < std::time::Duration::from_secs(4),
            "node B still serves the deleted instance"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_err(
        cb.list_user_notifications()
            .instance_id(&instance.id)
            .user_id(&alice.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
}
