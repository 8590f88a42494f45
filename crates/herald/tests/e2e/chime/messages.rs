//! SendChannelMessage, GetChannelMessage, ListChannelMessages.

use super::*;
use aws_sdk_chimesdkmessaging::primitives::DateTime;
use aws_sdk_chimesdkmessaging::types::{
    ChannelMessagePersistenceType, ChannelMessageStatus, ChannelMessageType, SortOrder, Target,
};

/// The shared world, with bob a member of the channel.
async fn world() -> World {
    let w = super::world().await;
    add_member(&w.c.msg, &w.channel, &w.owner, &w.bob).await;
    w
}

#[tokio::test(flavor = "multi_thread")]
async fn send_then_get_echoes_every_member() {
    let w = world().await;
    let before = now().as_secs_f64();
    let out = ok(w
        .c
        .msg
        .send_channel_message()
        .channel_arn(&w.channel)
        .chime_bearer(&w.bob)
        .content("Hello, world")
        .r#type(ChannelMessageType::Control)
        .persistence(ChannelMessagePersistenceType::Persistent)
        .metadata("meta")
        .content_type("text/plain")
        .message_attributes("mention", attr(&["alice", "carol"]))
        .message_attributes("kind", attr(&["greeting"]))
        .send()
        .await);
    let after = now().as_secs_f64();
    assert_eq!(out.channel_arn(), Some(w.channel.as_str()));
    let id = out.message_id().expect("MessageId").to_string();
    assert!(is_hex32(&id), "MessageId {id:?}");
    assert_eq!(
        out.status().and_then(|s| s.value()),
        Some(&ChannelMessageStatus::Sent)
    );
    assert!(out.sub_channel_id().is_none());

    let got = ok(w
        .c
        .msg
        .get_channel_message()
        .channel_arn(&w.channel)
        .message_id(&id)
        .chime_bearer(&w.owner)
        .send()
        .await);
    let m = got.channel_message().expect("ChannelMessage");
    assert_eq!(m.channel_arn(), Some(w.channel.as_str()));
    assert_eq!(m.message_id(), Some(id.as_str()));
    assert_eq!(m.content(), Some("Hello, world"));
    assert_eq!(m.metadata(), Some("meta"));
    assert_eq!(m.content_type(), Some("text/plain"));
    assert_eq!(m.r#type(), Some(&ChannelMessageType::Control));
    assert_eq!(
        m.persistence(),
        Some(&ChannelMessagePersistenceType::Persistent)
    );
    assert_eq!(m.sender().and_then(|s| s.arn()), Some(w.bob.as_str()));
    assert_eq!(m.sender().and_then(|s| s.name()), Some("bob"));
    assert_eq!(
        m.status().and_then(|s| s.value()),
        Some(&ChannelMessageStatus::Sent)
    );
    assert!(!m.redacted());
    let created = m
        .created_timestamp()
        .expect("CreatedTimestamp")
        .as_secs_f64();
    assert!(
        created >= before - 2.0 && created <= after + 2.0,
        "CreatedTimestamp {created} not within [{before}, {after}]"
    );
    let attrs = m.message_attributes().expect("MessageAttributes");
    assert_eq!(attrs.len(), 2);
    assert_eq!(
        attrs["mention"].string_values(),
        &["alice".to_string(), "carol".to_string()]
    );
    assert_eq!(attrs["kind"].string_values(), &["greeting".to_string()]);

    // Listed with the same members.
    let listed = ok(w
        .c
        .msg
        .list_channel_messages()
        .channel_arn(&w.channel)
        .chime_bearer(&w.bob)
        .send()
        .await);
    assert_eq!(listed.channel_arn(), Some(w.channel.as_str()));
    let s = &listed.channel_messages()[0];
    assert_eq!(listed.channel_messages().len(), 1);
    assert_eq!(s.message_id(), Some(id.as_str()));
    assert_eq!(s.content(), Some("Hello, world"));
    assert_eq!(s.metadata(), Some("meta"));
    assert_eq!(s.r#type(), Some(&ChannelMessageType::Control));
    assert_eq!(s.sender().and_then(|s| s.arn()), Some(w.bob.as_str()));
    assert_eq!(s.content_type(), Some("text/plain"));
    assert!(s.created_timestamp().is_some());
    assert_eq!(s.message_attributes().map(|a| a.len()), Some(2));

    // A message that does not exist; a channel that does not exist.
    assert_not_found(
        w.c.msg
            .get_channel_message()
            .channel_arn(&w.channel)
            .message_id("0123456789abcdef0123456789abcdef")
            .chime_bearer(&w.owner)
            .send()
            .await,
    );
    assert_not_found(
        message(&w.c.msg, &format!("{}/channel/nope", w.app), &w.owner, "x")
            .send()
            .await,
    );
    let _ = &w.server;
}

#[tokio::test(flavor = "multi_thread")]
async fn message_limits_are_enforced_and_refusals_send_nothing() {
    let w = world().await;
    let send = |content: &str| message(&w.c.msg, &w.channel, &w.bob, content);
    // At the limits: accepted.
    ok(send(&"c".repeat(4096)).send().await);
    // Characters, not bytes.
    ok(send(&"é".repeat(4096)).send().await);
    ok(send("m").metadata("m".repeat(1024)).send().await);
    ok(send("t").content_type("t".repeat(45)).send().await);
    // 4 + 500 + 500 + 20 = 1024 bytes of names plus values (each value
    // within the model's 1-512).
    ok(send("a")
        .message_attributes(
            "name",
            attr(&[&"v".repeat(500), &"u".repeat(500), &"w".repeat(20)]),
        )
        .send()
        .await);
    ok(send("p")
        .push_notification(push_config(&"T".repeat(50), &"B".repeat(150), None))
        .send()
        .await);
    let accepted = message_ids(&w.c.msg, &w.channel, &w.bob).await;
    assert_eq!(accepted.len(), 6);

    // Over them: refused, naming the member.
    assert_bad_request(send("").send().await, "Content");
    assert_bad_request(send(&"c".repeat(4097)).send().await, "Content");
    assert_bad_request(
        send("m").metadata("m".repeat(1025)).send().await,
        "Metadata",
    );
    assert_bad_request(
        send("t").content_type("t".repeat(46)).send().await,
        "ContentType",
    );
    assert_bad_request(
        send("a")
            .message_attributes(
                "name",
                attr(&[&"v".repeat(500), &"u".repeat(500), &"w".repeat(21)]),
            )
            .send()
            .await,
        "MessageAttributes",
    );
    assert_bad_request(
        send("a")
            .message_attributes(
                "name",
                attr(&[&"v".repeat(500), &"u".repeat(500), &"w".repeat(20)]),
            )
            .message_attributes("x", attr(&[]))
            .send()
            .await,
        "MessageAttributes",
    );
    // The model's limits: values 1-512 characters, names 1-64.
    assert_bad_request(
        send("a")
            .message_attributes("k", attr(&[&"v".repeat(513)]))
            .send()
            .await,
        "MessageAttributes",
    );
    assert_bad_request(
        send("a").message_attributes("k", attr(&[""])).send().await,
        "MessageAttributes",
    );
    assert_bad_request(
        send("a")
            .message_attributes("n".repeat(65), attr(&["v"]))
            .send()
            .await,
        "MessageAttributes",
    );
    // Bytes, not characters: 1 + 2 * 512 = 1025 bytes in 513 characters.
    assert_bad_request(
        send("a")
            .message_attributes("k", attr(&["é"; 512]))
            .send()
            .await,
        "MessageAttributes",
    );
    for (title, body, named) in [
        ("T".repeat(51), "B".to_string(), "Title"),
        (String::new(), "B".to_string(), "Title"),
        ("T".to_string(), "B".repeat(151), "Body"),
        ("T".to_string(), String::new(), "Body"),
    ] {
        assert_bad_request(
            send("p")
                .push_notification(push_config(&title, &body, None))
                .send()
                .await,
            named,
        );
    }
    assert_bad_request(
        send("x").client_request_token("x").send().await,
        "ClientRequestToken",
    );
    // Not implemented: refused, naming the member.
    assert_bad_request(
        send("targeted")
            .target(Target::builder().member_arn(&w.owner).build())
            .send()
            .await,
        "Target",
    );
    assert_bad_request(
        send("sub").sub_channel_id("sub1").send().await,
        "SubChannelId",
    );
    assert_eq!(message_ids(&w.c.msg, &w.channel, &w.bob).await, accepted);
}

#[tokio::test(flavor = "multi_thread")]
async fn non_persistent_messages_are_not_kept() {
    let w = world().await;
    let kept = ok(message(&w.c.msg, &w.channel, &w.bob, "kept").send().await)
        .message_id()
        .unwrap()
        .to_string();
    let out = ok(message(&w.c.msg, &w.channel, &w.bob, "fleeting")
        .persistence(ChannelMessagePersistenceType::NonPersistent)
        .send()
        .await);
    assert_eq!(
        out.status().and_then(|s| s.value()),
        Some(&ChannelMessageStatus::Sent)
    );
    let fleeting = out.message_id().expect("MessageId").to_string();
    assert!(is_hex32(&fleeting));
    assert_not_found(
        w.c.msg
            .get_channel_message()
            .channel_arn(&w.channel)
            .message_id(&fleeting)
            .chime_bearer(&w.bob)
            .send()
            .await,
    );
    assert_eq!(message_ids(&w.c.msg, &w.channel, &w.bob).await, vec![kept]);
    let _ = &w.server;
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_is_newest_first_or_ascending_bounded_inclusively_and_paged() {
    let w = world().await;
    let mut ids = Vec::new();
    let mut times = Vec::new();
    for i in 0..6 {
        let id = ok(message(&w.c.msg, &w.channel, &w.bob, &format!("m{i}"))
            .send()
            .await)
        .message_id()
        .unwrap()
        .to_string();
        let created = *ok(w
            .c
            .msg
            .get_channel_message()
            .channel_arn(&w.channel)
            .message_id(&id)
            .chime_bearer(&w.bob)
            .send()
            .await)
        .channel_message()
        .unwrap()
        .created_timestamp()
        .unwrap();
        ids.push(id);
        // Exactly the milliseconds on the wire (no float residue).
        times.push(DateTime::from_millis(
            (created.as_secs_f64() * 1000.0).round() as i64,
        ));
        // Distinct milliseconds.
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    for pair in times.windows(2) {
        assert!(pair[0].as_secs_f64() < pair[1].as_secs_f64(), "{times:?}");
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(
        message_ids(&w.c.msg, &w.channel, &w.bob).await,
        newest_first
    );

    let list = |order: Option<SortOrder>,
                not_before: Option<DateTime>,
                not_after: Option<DateTime>,
                max: Option<i32>| {
        let c = w.c.msg.clone();
        let channel = w.channel.clone();
        let bob = w.bob.clone();
        async move {
            all_pages(|token| {
                let req = c
                    .list_channel_messages()
                    .channel_arn(&channel)
                    .chime_bearer(&bob)
                    .set_sort_order(order.clone())
                    .set_not_before(not_before)
                    .set_not_after(not_after)
                    .set_max_results(max)
                    .set_next_token(token);
                async move {
                    let out = ok(req.send().await);
                    (
                        out.channel_messages()
                            .iter()
                            .map(|m| m.message_id().unwrap_or("").to_string())
                            .collect(),
                        out.next_token().map(str::to_string),
                    )
                }
            })
            .await
        }
    };
    assert_eq!(
        list(Some(SortOrder::Descending), None, None, None).await.0,
        newest_first
    );
    assert_eq!(
        list(Some(SortOrder::Ascending), None, None, None).await.0,
        ids
    );
    // Paged, both ways.
    let (desc, pages) = list(None, None, None, Some(4)).await;
    assert_eq!((desc, pages), (newest_first.clone(), 2));
    let (asc, pages) = list(Some(SortOrder::Ascending), None, None, Some(1)).await;
    assert_eq!((asc, pages), (ids.clone(), 6));
    // Bounds are inclusive.
    assert_eq!(
        list(
            Some(SortOrder::Ascending),
            Some(times[1]),
            Some(times[3]),
            None
        )
        .await
        .0,
        ids[1..=3].to_vec()
    );
    assert_eq!(
        list(None, Some(times[1]), Some(times[3]), Some(2)).await.0,
        vec![ids[3].clone(), ids[2].clone(), ids[1].clone()]
    );
    assert_eq!(
        list(None, Some(times[4]), None, None).await.0,
        vec![ids[5].clone(), ids[4].clone()]
    );
    assert_eq!(
        list(Some(SortOrder::Ascending), None, Some(times[0]), None)
            .await
            .0,
        vec![ids[0].clone()]
    );

    // A token is bound to its parameters.
    let token = ok(w
        .c
        .msg
        .list_channel_messages()
        .channel_arn(&w.channel)
        .chime_bearer(&w.bob)
        .max_results(1)
        .send()
        .await)
    .next_token()
    .expect("NextToken")
    .to_string();
    assert_err(
        w.c.msg
            .list_channel_messages()
            .channel_arn(&w.channel)
            .chime_bearer(&w.bob)
            .sort_order(SortOrder::Ascending)
            .max_results(1)
            .next_token(&token)
            .send()
            .await,
        "BadRequestException",
        400,
    );
    for bad in [0, 51] {
        assert_err(
            w.c.msg
                .list_channel_messages()
                .channel_arn(&w.channel)
                .chime_bearer(&w.bob)
                .max_results(bad)
                .send()
                .await,
            "BadRequestException",
            400,
        );
    }
    let _ = &w.server;
}

/// A retry is recognised before the sender's standing is checked: it
/// answers as the first send did even after the sender left the channel.
#[tokio::test(flavor = "multi_thread")]
async fn a_retried_send_answers_as_the_first_after_the_sender_left() {
    let w = world().await;
    let t = token();
    let send = || message(&w.c.msg, &w.channel, &w.bob, "before I left").client_request_token(&t);
    let first = ok(send().send().await);
    ok(w.c
        .msg
        .delete_channel_membership()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);
    // A new send from Bob is refused now…
    assert_forbidden(message(&w.c.msg, &w.channel, &w.bob, "new").send().await);
    // …but the retry of the one that succeeded answers as it did.
    let again = ok(send().send().await);
    assert_eq!(first.message_id(), again.message_id());
    assert_eq!(
        message_ids(&w.c.msg, &w.channel, &w.owner).await,
        vec![first.message_id().unwrap().to_string()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_send_returns_the_first_message_id() {
    let w = world().await;
    let t = token();
    let send =
        |content: &str| message(&w.c.msg, &w.channel, &w.bob, content).client_request_token(&t);
    let first = ok(send("once").send().await);
    let again = ok(send("once").send().await);
    assert_eq!(first.message_id(), again.message_id());
    let id = first.message_id().unwrap().to_string();
    assert_eq!(
        message_ids(&w.c.msg, &w.channel, &w.bob).await,
        vec![id.clone()]
    );
    // The same token for another content, sender or channel: a conflict.
    assert_conflict(send("twice").send().await);
    assert_conflict(
        message(&w.c.msg, &w.channel, &w.owner, "once")
            .client_request_token(&t)
            .send()
            .await,
    );
    let other = public_channel(&w.c.msg, &w.app, &w.bob).await;
    assert_conflict(
        message(&w.c.msg, &other, &w.bob, "once")
            .client_request_token(&t)
            .send()
            .await,
    );
    assert_eq!(message_ids(&w.c.msg, &w.channel, &w.bob).await, vec![id]);
    assert!(message_ids(&w.c.msg, &other, &w.bob).await.is_empty());
    // Tokens are scoped to the operation: CreateChannel may use it.
    ok(w.c
        .msg
        .create_channel()
        .app_instance_arn(&w.app)
        .name("n")
        .client_request_token(&t)
        .chime_bearer(&w.bob)
        .send()
        .await);
}
