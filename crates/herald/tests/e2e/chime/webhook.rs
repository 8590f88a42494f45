//! `--push-webhook`: deliveries POSTed to a receiver, retried with backoff
//! while it fails or is absent, and delivered after a restart.

use super::*;

/// The record members that do not change between attempts.
const STABLE: &[&str] = &[
    "DeliveryId",
    "MemberArn",
    "EndpointId",
    "DeviceToken",
    "ChannelArn",
    "MessageId",
    "Title",
    "Body",
    "Type",
    "CreatedAt",
];

/// A channel with a sender (preferences NONE, so it is not pushed to) and
/// `n` members with one endpoint each.
struct Setup {
    c: Chime,
    channel: String,
    sender: String,
    /// (MemberArn, EndpointId)
    targets: Vec<(String, String)>,
}

async fn setup(server: &Server, n: usize) -> Setup {
    let c = Chime::new(server);
    let app = create_app(&c.id, "hook").await;
    let sender = create_user(&c.id, &app, "sender").await;
    let channel = public_channel(&c.msg, &app, &sender).await;
    set_prefs(&c.msg, &channel, &sender, AllowNotifications::None, None).await;
    let mut targets = Vec::new();
    for i in 0..n {
        let user = create_user(&c.id, &app, &format!("member{i}")).await;
        let ep = register_endpoint(&c.id, &user, &format!("device-{i}"), None, None).await;
        add_member(&c.msg, &channel, &sender, &user).await;
        targets.push((user, ep));
    }
    Setup {
        c,
        channel,
        sender,
        targets,
    }
}

fn ids_of(ds: &[Value]) -> BTreeSet<String> {
    ds.iter().map(|d| field(d, "DeliveryId")).collect()
}

async fn states(server: &Server, channel: &str, message: &str) -> Vec<String> {
    deliveries(server, channel, message)
        .await
        .iter()
        .map(|d| field(d, "State"))
        .collect()
}

/// Waits until the receiver has acknowledged every one of `ids`; on
/// timeout, panics with what the receiver got, the records and the log.
async fn wait_acked(
    hook: &Hook,
    server: &Server,
    ids: &BTreeSet<String>,
    channel: &str,
    message: &str,
    timeout: Duration,
) {
    let deadline = Instant::now() + timeout;
    while !ids.is_subset(&hook.acknowledged()) {
        if Instant::now() >= deadline {
            let records = deliveries(server, channel, message).await;
            panic!(
                "the webhook did not acknowledge {ids:?} within {timeout:?}\n\
                 posts: {:#?}\nrecords: {records:#?}\n--- server log ---\n{}",
                hook.posts(),
                server.recent_log()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until every delivery of the message is DELIVERED.
async fn wait_delivered(server: &Server, channel: &str, message: &str) -> Vec<Value> {
    eventually(DELIVERY_TIMEOUT, "every delivery DELIVERED", || async {
        let ds = deliveries(server, channel, message).await;
        ds.iter()
            .all(|d| field(d, "State") == "DELIVERED")
            .then_some(ds)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn each_delivery_is_posted_as_its_record_and_acknowledged() {
    let hook = Hook::start().await;
    let server = server_with_webhook(&hook.url()).await;
    let s = setup(&server, 3).await;
    let id = send_push(&s.c.msg, &s.channel, &s.sender, &[]).await;
    let records = deliveries(&server, &s.channel, &id).await;
    assert_eq!(recipients(&records), pairs(&s.targets));
    for d in &records {
        let state = field(d, "State");
        assert!(state == "PENDING" || state == "DELIVERED", "{d}");
    }
    let ids = ids_of(&records);
    wait_acked(&hook, &server, &ids, &s.channel, &id, DELIVERY_TIMEOUT).await;

    for post in hook.posts() {
        assert_eq!(post.status, 200);
        assert_eq!(post.path, "/push");
        assert!(
            post.content_type
                .as_deref()
                .is_some_and(|t| t.starts_with("application/json")),
            "content-type {:?}",
            post.content_type
        );
        assert!(post.body.is_object(), "one JSON object: {:?}", post.body);
        let delivery_id = post.body["DeliveryId"].as_str().unwrap_or("").to_string();
        assert_eq!(
            post.delivery_id_header.as_deref(),
            Some(delivery_id.as_str())
        );
        let record = records
            .iter()
            .find(|d| field(d, "DeliveryId") == delivery_id)
            .unwrap_or_else(|| panic!("posted an unknown delivery: {}", post.body));
        for name in STABLE {
            assert_eq!(post.body[*name], record[*name], "{name} of {}", post.body);
        }
        assert!(
            post.body["State"].is_string() && post.body["Attempts"].is_u64(),
            "{}",
            post.body
        );
    }
    let delivered = wait_delivered(&server, &s.channel, &id).await;
    for d in &delivered {
        assert!(d["Attempts"].as_u64().unwrap_or(0) >= 1, "{d}");
    }
    // Acknowledged deliveries are not posted again.
    let count = hook.posts().len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(hook.posts().len(), count, "posted again after the 2xx");

    // A message without PushNotification posts nothing.
    ok(message(&s.c.msg, &s.channel, &s.sender, "quiet")
        .send()
        .await);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(hook.posts().len(), count);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_webhook_is_retried_with_doubling_backoff() {
    let hook = Hook::start().await;
    hook.fail_next(2);
    let server = server_with_webhook(&hook.url()).await;
    let s = setup(&server, 1).await;
    let id = send_push(&s.c.msg, &s.channel, &s.sender, &[]).await;
    let records = deliveries(&server, &s.channel, &id).await;
    assert_eq!(records.len(), 1);
    let delivery = field(&records[0], "DeliveryId");

    // After the first (failed) attempt it is still PENDING.
    eventually(Duration::from_secs(10), "a first attempt", || {
        let n = hook.posts().len();
        async move { (n >= 1).then_some(()) }
    })
    .await;
    assert_eq!(states(&server, &s.channel, &id).await, vec!["PENDING"]);

    wait_acked(
        &hook,
        &server,
        &BTreeSet::from([delivery.clone()]),
        &s.channel,
        &id,
        DELIVERY_TIMEOUT,
    )
    .await;
    let posts: Vec<Post> = hook
        .posts()
        .into_iter()
        .filter(|p| p.body["DeliveryId"] == delivery.as_str())
        .collect();
    assert_eq!(
        posts.iter().map(|p| p.status).collect::<Vec<_>>(),
        vec![500, 500, 200],
        "attempts"
    );
    for p in &posts {
        assert_eq!(p.delivery_id_header.as_deref(), Some(delivery.as_str()));
    }
    let gap1 = posts[1].at - posts[0].at;
    let gap2 = posts[2].at - posts[1].at;
    assert!(
        gap1 >= Duration::from_millis(900),
        "first retry after {gap1:?}"
    );
    assert!(
        gap2 >= Duration::from_millis(1800),
        "second retry after {gap2:?}"
    );
    assert!(
        gap1 <= Duration::from_secs(5) && gap2 <= Duration::from_secs(8),
        "{gap1:?} {gap2:?}"
    );

    let delivered = wait_delivered(&server, &s.channel, &id).await;
    assert_eq!(delivered[0]["Attempts"], 3, "{}", delivered[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_absent_webhook_gets_the_deliveries_once_it_listens() {
    let hook = Hook::reserve();
    let server = server_with_webhook(&hook.url()).await;
    let s = setup(&server, 2).await;
    let id = send_push(&s.c.msg, &s.channel, &s.sender, &[]).await;
    let ids = ids_of(&deliveries(&server, &s.channel, &id).await);
    assert_eq!(ids.len(), 2);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        states(&server, &s.channel, &id).await,
        vec!["PENDING", "PENDING"]
    );
    hook.run().await;
    wait_acked(&hook, &server, &ids, &s.channel, &id, DELIVERY_TIMEOUT).await;
    wait_delivered(&server, &s.channel, &id).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_deliveries_survive_a_restart() {
    let hook = Hook::reserve();
    let mut server = server_with_webhook(&hook.url()).await;
    let s = setup(&server, 2).await;
    let id = send_push(&s.c.msg, &s.channel, &s.sender, &[]).await;
    let ids = ids_of(&deliveries(&server, &s.channel, &id).await);
    assert_eq!(ids.len(), 2);
    tokio::time::sleep(Duration::from_millis(1500)).await;

    server.restart().await;
    assert_eq!(
        states(&server, &s.channel, &id).await,
        vec!["PENDING", "PENDING"]
    );
    hook.run().await;
    wait_acked(&hook, &server, &ids, &s.channel, &id, DELIVERY_TIMEOUT).await;
    wait_delivered(&server, &s.channel, &id).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_deliveries_survive_a_crash() {
    let hook = Hook::reserve();
    let mut server = server_with_webhook(&hook.url()).await;
    let s = setup(&server, 1).await;
    let id = send_push(&s.c.msg, &s.channel, &s.sender, &[]).await;
    let ids = ids_of(&deliveries(&server, &s.channel, &id).await);
    assert_eq!(ids.len(), 1);
    // Between attempts: the first (refused) one at once, the second about
    // a second later, the third about two seconds after that.
    tokio::time::sleep(Duration::from_millis(2200)).await;

    server.kill9().await;
    hook.run().await;
    wait_acked(&hook, &server, &ids, &s.channel, &id, DELIVERY_TIMEOUT).await;
    wait_delivered(&server, &s.channel, &id).await;
}

/// A crash in the middle of an attempt (here: right after the send, when
/// the worker has just taken the delivery) loses nothing either. The
/// attempt's outcome was never recorded, so the delivery may wait for the
/// worker's lease on it (Herald's is 60 s) before it is retried: the
/// contract bounds the wait between attempts at 5 minutes only.
#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_interrupted_by_a_crash_is_still_delivered() {
    let hook = Hook::reserve();
    let mut server = server_with_webhook(&hook.url()).await;
    let s = setup(&server, 1).await;
    let id = send_push(&s.c.msg, &s.channel, &s.sender, &[]).await;
    let ids = ids_of(&deliveries(&server, &s.channel, &id).await);
    assert_eq!(ids.len(), 1);

    server.kill9().await;
    hook.run().await;
    wait_acked(
        &hook,
        &server,
        &ids,
        &s.channel,
        &id,
        Duration::from_secs(100),
    )
    .await;
    wait_delivered(&server, &s.channel, &id).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_can_be_given_in_the_environment() {
    let hook = Hook::start().await;
    let server = Server::launch(Launch {
        env: vec![("HERALD_PUSH_WEBHOOK".to_string(), hook.url())],
        ..Launch::default()
    })
    .await;
    let s = setup(&server, 1).await;
    let id = send_push(&s.c.msg, &s.channel, &s.sender, &[]).await;
    let ids = ids_of(&deliveries(&server, &s.channel, &id).await);
    wait_acked(&hook, &server, &ids, &s.channel, &id, DELIVERY_TIMEOUT).await;
    wait_delivered(&server, &s.channel, &id).await;
}
