//! Push decisions: who is pushed to, on which endpoints, and the delivery
//! records (`GET /_herald/push-deliveries`), without a webhook (RECORDED).

use super::*;
use aws_sdk_chimesdkidentity::types::AllowMessages;
use aws_sdk_chimesdkmessaging::types::{
    ChannelMembershipType, ChannelMessagePersistenceType, PushNotificationType,
};

/// Asserts the common members of each delivery record of one message.
#[track_caller]
fn assert_records(
    ds: &[Value],
    channel: &str,
    message: &str,
    title: &str,
    body: &str,
    kind: &str,
    state: &str,
) {
    let mut ids = BTreeSet::new();
    for d in ds {
        assert!(
            ids.insert(field(d, "DeliveryId")),
            "DeliveryId repeated: {ds:#?}"
        );
        assert!(!field(d, "DeliveryId").is_empty());
        assert_eq!(field(d, "ChannelArn"), channel, "{d}");
        assert_eq!(field(d, "MessageId"), message, "{d}");
        assert_eq!(field(d, "Title"), title, "{d}");
        assert_eq!(field(d, "Body"), body, "{d}");
        assert_eq!(field(d, "Type"), kind, "{d}");
        assert_eq!(field(d, "State"), state, "{d}");
        assert!(is_iso_millis(&field(d, "CreatedAt")), "CreatedAt: {d}");
        assert!(is_hex32(&field(d, "EndpointId")), "EndpointId: {d}");
        assert!(d["Attempts"].is_u64(), "Attempts: {d}");
        if state == "RECORDED" {
            assert_eq!(d["Attempts"], 0, "{d}");
        }
    }
}

/// Everyone the contract distinguishes, in one channel.
struct Matrix {
    server: Server,
    c: Chime,
    channel: String,
    sender: String,
    sender_ep: String,
    all: String,
    all_eps: [String; 2],
    none: String,
    fmatch: String,
    fmatch_ep: String,
    fmiss: String,
    fmiss_ep: String,
    mixed: String,
    mixed_all_ep: String,
    hidden: String,
    hidden_ep: String,
    banned: String,
    outsider: String,
    noep: String,
    moderator: String,
    admin: String,
    /// EndpointId → DeviceToken.
    tokens: std::collections::BTreeMap<String, String>,
}

async fn matrix() -> Matrix {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "push").await;
    let mut tokens = std::collections::BTreeMap::new();
    let mut user = async |name: &str, endpoints: &[Option<AllowMessages>]| {
        let arn = create_user(&c.id, &app, name).await;
        let mut eps = Vec::new();
        for (i, allow) in endpoints.iter().enumerate() {
            let token = format!("{name}-device-{i}");
            let ep = register_endpoint(&c.id, &arn, &token, None, allow.clone()).await;
            tokens.insert(ep.clone(), token);
            eps.push(ep);
        }
        (arn, eps)
    };
    let (sender, s) = user("sender", &[None]).await;
    let (all, a) = user("all", &[Some(AllowMessages::All), None]).await;
    let (none, _) = user("none", &[None]).await;
    let (fmatch, fm) = user("fmatch", &[None]).await;
    let (fmiss, fx) = user("fmiss", &[None]).await;
    let (mixed, mx) = user(
        "mixed",
        &[Some(AllowMessages::None), Some(AllowMessages::All)],
    )
    .await;
    let (hidden, h) = user("hidden", &[None]).await;
    let (banned, _) = user("banned", &[None]).await;
    let (outsider, _) = user("outsider", &[None]).await;
    let (noep, _) = user("noep", &[]).await;
    let (moderator, _) = user("moderator", &[None]).await;
    let (admin, _) = user("admin", &[None]).await;
    make_admin(&c.id, &app, &admin).await;

    let channel = public_channel(&c.msg, &app, &sender).await;
    for m in [&all, &none, &fmatch, &fmiss, &mixed, &banned, &noep] {
        add_member(&c.msg, &channel, &sender, m).await;
    }
    add_member_typed(
        &c.msg,
        &channel,
        &sender,
        &hidden,
        ChannelMembershipType::Hidden,
    )
    .await;
    // A moderator who is not a member; an admin who is not a member.
    add_moderator(&c.msg, &channel, &sender, &moderator).await;

    set_prefs(&c.msg, &channel, &all, AllowNotifications::All, None).await;
    set_prefs(&c.msg, &channel, &none, AllowNotifications::None, None).await;
    set_prefs(
        &c.msg,
        &channel,
        &fmatch,
        AllowNotifications::Filtered,
        Some(r#"{"mention":["fmatch"]}"#),
    )
    .await;
    set_prefs(
        &c.msg,
        &channel,
        &fmiss,
        AllowNotifications::Filtered,
        Some(r#"{"mention":["fmiss"]}"#),
    )
    .await;
    // The banned user had ALL before the ban.
    set_prefs(&c.msg, &channel, &banned, AllowNotifications::All, None).await;
    ban(&c.msg, &channel, &sender, &banned).await;

    Matrix {
        server,
        c,
        channel,
        sender,
        sender_ep: s[0].clone(),
        all,
        all_eps: [a[0].clone(), a[1].clone()],
        none,
        fmatch,
        fmatch_ep: fm[0].clone(),
        fmiss,
        fmiss_ep: fx[0].clone(),
        mixed,
        mixed_all_ep: mx[1].clone(),
        hidden,
        hidden_ep: h[0].clone(),
        banned,
        outsider,
        noep,
        moderator,
        admin,
        tokens,
    }
}

impl Matrix {
    /// The recipients every message gets, whatever its attributes.
    fn always(&self) -> Vec<(&str, &str)> {
        vec![
            (self.sender.as_str(), self.sender_ep.as_str()),
            (self.all.as_str(), self.all_eps[0].as_str()),
            (self.all.as_str(), self.all_eps[1].as_str()),
            (self.mixed.as_str(), self.mixed_all_ep.as_str()),
            (self.hidden.as_str(), self.hidden_ep.as_str()),
        ]
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_allowed_member_gets_one_push_per_allowed_endpoint() {
    let m = matrix().await;
    let title = "New message";
    let body = "You have a new message";

    // Mentioning fmatch: the FILTERED member whose rule matches is added.
    let id = send_push(&m.c.msg, &m.channel, &m.sender, &[("mention", &["fmatch"])]).await;
    let ds = deliveries(&m.server, &m.channel, &id).await;
    let mut expected = m.always();
    expected.push((m.fmatch.as_str(), m.fmatch_ep.as_str()));
    assert_eq!(recipients(&ds), pairs(&expected), "{ds:#?}");
    assert_records(&ds, &m.channel, &id, title, body, "DEFAULT", "RECORDED");
    for d in &ds {
        assert_eq!(
            field(d, "DeviceToken"),
            m.tokens[&field(d, "EndpointId")],
            "DeviceToken of {d}"
        );
    }
    // Nobody else: not NONE, not the non-matching filter, not the banned
    // user, not a non-member (outsider, moderator, admin), not the NONE
    // endpoint; the member without endpoints has nothing to push to.
    let pushed: BTreeSet<String> = ds.iter().map(|d| field(d, "MemberArn")).collect();
    for nobody in [
        &m.none,
        &m.fmiss,
        &m.banned,
        &m.outsider,
        &m.noep,
        &m.moderator,
        &m.admin,
    ] {
        assert!(!pushed.contains(nobody.as_str()), "{nobody} was pushed to");
    }

    // Mentioning fmiss instead.
    let id = send_push(
        &m.c.msg,
        &m.channel,
        &m.sender,
        &[("mention", &["fmiss", "zed"])],
    )
    .await;
    let mut expected = m.always();
    expected.push((m.fmiss.as_str(), m.fmiss_ep.as_str()));
    assert_eq!(
        recipients(&deliveries(&m.server, &m.channel, &id).await),
        pairs(&expected)
    );

    // No attributes: an empty map, which neither inclusive rule matches.
    let id = send_push(&m.c.msg, &m.channel, &m.sender, &[]).await;
    assert_eq!(
        recipients(&deliveries(&m.server, &m.channel, &id).await),
        pairs(&m.always())
    );

    // Another member sends: the sender is pushed to too (here: "all").
    let id = send_push(
        &m.c.msg,
        &m.channel,
        &m.all,
        &[("mention", &["fmatch", "fmiss"])],
    )
    .await;
    let mut expected = m.always();
    expected.push((m.fmatch.as_str(), m.fmatch_ep.as_str()));
    expected.push((m.fmiss.as_str(), m.fmiss_ep.as_str()));
    assert_eq!(
        recipients(&deliveries(&m.server, &m.channel, &id).await),
        pairs(&expected)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_without_push_notification_pushes_nothing() {
    let m = matrix().await;
    let id = ok(message(&m.c.msg, &m.channel, &m.sender, "quiet")
        .message_attributes("mention", attr(&["fmatch"]))
        .send()
        .await)
    .message_id()
    .unwrap()
    .to_string();
    assert!(deliveries(&m.server, &m.channel, &id).await.is_empty());
    // A message id that does not exist has no deliveries either.
    assert!(
        deliveries(&m.server, &m.channel, "0123456789abcdef0123456789abcdef")
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_and_membership_changes_change_the_next_push() {
    let m = matrix().await;
    // A push first, so that the channel's audience is kept in memory:
    // every change below must still reach the next one.
    let warm = send_push(&m.c.msg, &m.channel, &m.sender, &[]).await;
    assert!(
        recipients(&deliveries(&m.server, &m.channel, &warm).await)
            .contains(&(m.mixed.clone(), m.mixed_all_ep.clone()))
    );
    // The ALL endpoint of "mixed" switched off, the NONE one on.
    ok(m.c
        .id
        .update_app_instance_user_endpoint()
        .app_instance_user_arn(&m.mixed)
        .endpoint_id(&m.mixed_all_ep)
        .allow_messages(AllowMessages::None)
        .send()
        .await);
    let mixed_none_ep = endpoint_ids(&m.c.id, &m.mixed)
        .await
        .into_iter()
        .find(|e| e != &m.mixed_all_ep)
        .unwrap();
    ok(m.c
        .id
        .update_app_instance_user_endpoint()
        .app_instance_user_arn(&m.mixed)
        .endpoint_id(&mixed_none_ep)
        .allow_messages(AllowMessages::All)
        .send()
        .await);
    // One of "all"'s endpoints deregistered.
    ok(m.c
        .id
        .deregister_app_instance_user_endpoint()
        .app_instance_user_arn(&m.all)
        .endpoint_id(&m.all_eps[1])
        .send()
        .await);
    // The NONE member switches to ALL; hidden leaves; the ban is lifted
    // and the user re-added (preferences gone: pushed as ALL); noep
    // registers an endpoint.
    set_prefs(&m.c.msg, &m.channel, &m.none, AllowNotifications::All, None).await;
    ok(m.c
        .msg
        .delete_channel_membership()
        .channel_arn(&m.channel)
        .member_arn(&m.hidden)
        .chime_bearer(&m.hidden)
        .send()
        .await);
    ok(m.c
        .msg
        .delete_channel_ban()
        .channel_arn(&m.channel)
        .member_arn(&m.banned)
        .chime_bearer(&m.sender)
        .send()
        .await);
    add_member(&m.c.msg, &m.channel, &m.sender, &m.banned).await;
    let noep_ep = register_endpoint(&m.c.id, &m.noep, "noep-device", None, None).await;
    let none_ep = endpoint_ids(&m.c.id, &m.none).await[0].clone();
    let banned_ep = endpoint_ids(&m.c.id, &m.banned).await[0].clone();

    let id = send_push(&m.c.msg, &m.channel, &m.sender, &[]).await;
    assert_eq!(
        recipients(&deliveries(&m.server, &m.channel, &id).await),
        pairs(&[
            (&m.sender, &m.sender_ep),
            (&m.all, &m.all_eps[0]),
            (&m.mixed, &mixed_none_ep),
            (&m.none, &none_ep),
            (&m.banned, &banned_ep),
            (&m.noep, &noep_ep),
        ])
    );
}

/// Message attributes: name and values.
type Attrs<'a> = &'a [(&'a str, &'a [&'a str])];

#[tokio::test(flavor = "multi_thread")]
async fn each_rule_form_decides_the_push() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "rules").await;
    let sender = create_user(&c.id, &app, "sender").await;
    // Sender: NONE, so only the rule holders are pushed to.
    let channel = public_channel(&c.msg, &app, &sender).await;
    set_prefs(&c.msg, &channel, &sender, AllowNotifications::None, None).await;
    let rules: &[(&str, &str)] = &[
        ("incl", r#"{"mention":["bob","carol"]}"#),
        ("excl", r#"{"type":[{"anything-but":["Room"]}]}"#),
        ("excl1", r#"{"type":[{"anything-but":"Room"}]}"#),
        ("and", r#"{"mention":["bob"],"priority":["high"]}"#),
        (
            "or",
            r#"{"$or":[{"mention":["bob"]},{"priority":["high"]}]}"#,
        ),
        (
            "orand",
            r#"{"team":["blue"],"$or":[{"mention":["bob"]},{"priority":["high"]}]}"#,
        ),
        (
            "nested",
            r#"{"$or":[{"a":["1"]},{"$or":[{"b":["2"]},{"c":[{"anything-but":"3"}],"d":["4"]}]}]}"#,
        ),
    ];
    let mut eps = std::collections::BTreeMap::new();
    for (name, rule) in rules {
        let user = create_user(&c.id, &app, name).await;
        let ep = register_endpoint(&c.id, &user, name, None, None).await;
        add_member(&c.msg, &channel, &sender, &user).await;
        set_prefs(
            &c.msg,
            &channel,
            &user,
            AllowNotifications::Filtered,
            Some(rule),
        )
        .await;
        eps.insert(name.to_string(), (user, ep));
    }
    let cases: &[(Attrs, &[&str])] = &[
        (&[], &["excl", "excl1"]),
        (&[("mention", &["bob"])], &["incl", "excl", "excl1", "or"]),
        (&[("mention", &["Bob"])], &["excl", "excl1"]),
        (
            &[("mention", &["dave", "carol"])],
            &["incl", "excl", "excl1"],
        ),
        (&[("mention", &[])], &["excl", "excl1"]),
        (&[("type", &["Room"])], &[]),
        (&[("type", &["room"])], &["excl", "excl1"]),
        (&[("type", &["Room", "DM"])], &[]),
        (&[("type", &["DM"])], &["excl", "excl1"]),
        (
            &[("mention", &["bob"]), ("priority", &["high"])],
            &["incl", "excl", "excl1", "and", "or"],
        ),
        (&[("priority", &["high"])], &["excl", "excl1", "or"]),
        (
            &[("priority", &["high"]), ("team", &["blue"])],
            &["excl", "excl1", "or", "orand"],
        ),
        (
            &[
                ("mention", &["bob"]),
                ("team", &["blue"]),
                ("type", &["Room"]),
            ],
            &["incl", "or", "orand"],
        ),
        (&[("team", &["blue"])], &["excl", "excl1"]),
        (&[("a", &["1"])], &["excl", "excl1", "nested"]),
        (&[("b", &["2"])], &["excl", "excl1", "nested"]),
        (&[("d", &["4"])], &["excl", "excl1", "nested"]),
        (&[("d", &["4"]), ("c", &["3"])], &["excl", "excl1"]),
        (
            &[("d", &["4"]), ("c", &["5"])],
            &["excl", "excl1", "nested"],
        ),
    ];
    for (attrs, expected) in cases {
        let id = send_push(&c.msg, &channel, &sender, attrs).await;
        let got = recipients(&deliveries(&server, &channel, &id).await);
        let want: BTreeSet<(String, String)> =
            expected.iter().map(|name| eps[*name].clone()).collect();
        assert_eq!(got, want, "attributes {attrs:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn voip_pushes_use_the_voip_token_where_there_is_one() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "voip").await;
    let sender = create_user(&c.id, &app, "sender").await;
    let bob = create_user(&c.id, &app, "bob").await;
    let with_voip = register_endpoint(&c.id, &bob, "apns-bob", Some("voip-bob"), None).await;
    let without = register_endpoint(&c.id, &bob, "gcm-bob", None, None).await;
    let channel = public_channel(&c.msg, &app, &sender).await;
    add_member(&c.msg, &channel, &sender, &bob).await;

    let send = |kind: Option<PushNotificationType>| {
        message(&c.msg, &channel, &sender, "ring").push_notification(push_config(
            "Call",
            "Incoming call",
            kind,
        ))
    };
    let voip = ok(send(Some(PushNotificationType::Voip)).send().await)
        .message_id()
        .unwrap()
        .to_string();
    let ds = deliveries(&server, &channel, &voip).await;
    assert_records(
        &ds,
        &channel,
        &voip,
        "Call",
        "Incoming call",
        "VOIP",
        "RECORDED",
    );
    let tokens: BTreeSet<(String, String)> = ds
        .iter()
        .map(|d| (field(d, "EndpointId"), field(d, "DeviceToken")))
        .collect();
    assert_eq!(
        tokens,
        BTreeSet::from([
            (with_voip.clone(), "voip-bob".to_string()),
            (without.clone(), "gcm-bob".to_string()),
        ])
    );

    // DEFAULT (explicit or not) uses the DeviceToken.
    for kind in [Some(PushNotificationType::Default), None] {
        let id = ok(send(kind).send().await)
            .message_id()
            .unwrap()
            .to_string();
        let ds = deliveries(&server, &channel, &id).await;
        assert_records(
            &ds,
            &channel,
            &id,
            "Call",
            "Incoming call",
            "DEFAULT",
            "RECORDED",
        );
        let tokens: BTreeSet<(String, String)> = ds
            .iter()
            .map(|d| (field(d, "EndpointId"), field(d, "DeviceToken")))
            .collect();
        assert_eq!(
            tokens,
            BTreeSet::from([
                (with_voip.clone(), "apns-bob".to_string()),
                (without.clone(), "gcm-bob".to_string()),
            ])
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retried_sends_push_nothing_more_and_non_persistent_messages_push() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let sender = create_user(&c.id, &app, "sender").await;
    let bob = create_user(&c.id, &app, "bob").await;
    let ep = register_endpoint(&c.id, &bob, "bob-phone", None, None).await;
    let channel = public_channel(&c.msg, &app, &sender).await;
    add_member(&c.msg, &channel, &sender, &bob).await;

    let t = token();
    let send = || {
        message(&c.msg, &channel, &sender, "once")
            .client_request_token(&t)
            .push_notification(push_config("T", "B", None))
    };
    let id = ok(send().send().await).message_id().unwrap().to_string();
    let first = deliveries(&server, &channel, &id).await;
    assert_eq!(recipients(&first), pairs(&[(&bob, &ep)]));
    let again = ok(send().send().await);
    assert_eq!(again.message_id(), Some(id.as_str()));
    let after = deliveries(&server, &channel, &id).await;
    assert_eq!(
        after
            .iter()
            .map(|d| field(d, "DeliveryId"))
            .collect::<Vec<_>>(),
        first
            .iter()
            .map(|d| field(d, "DeliveryId"))
            .collect::<Vec<_>>()
    );

    // NON_PERSISTENT: pushed, not kept.
    let fleeting = ok(message(&c.msg, &channel, &sender, "fleeting")
        .persistence(ChannelMessagePersistenceType::NonPersistent)
        .push_notification(push_config("T", "B", None))
        .send()
        .await)
    .message_id()
    .unwrap()
    .to_string();
    assert_eq!(
        recipients(&deliveries(&server, &channel, &fleeting).await),
        pairs(&[(&bob, &ep)])
    );
    assert_not_found(
        c.msg
            .get_channel_message()
            .channel_arn(&channel)
            .message_id(&fleeting)
            .chime_bearer(&bob)
            .send()
            .await,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delivery_records_outlive_the_channel_and_survive_restarts() {
    let mut server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let sender = create_user(&c.id, &app, "sender").await;
    let bob = create_user(&c.id, &app, "bob").await;
    let ep = register_endpoint(&c.id, &bob, "bob-phone", None, None).await;
    let channel = public_channel(&c.msg, &app, &sender).await;
    add_member(&c.msg, &channel, &sender, &bob).await;
    let id = send_push(&c.msg, &channel, &sender, &[]).await;
    let before = deliveries(&server, &channel, &id).await;
    assert_eq!(recipients(&before), pairs(&[(&bob, &ep)]));

    ok(c.msg
        .delete_channel()
        .channel_arn(&channel)
        .chime_bearer(&sender)
        .send()
        .await);
    assert_eq!(deliveries(&server, &channel, &id).await, before);
    // Written before SendChannelMessage returned: they survive a crash.
    server.kill9().await;
    assert_eq!(deliveries(&server, &channel, &id).await, before);
    server.restart().await;
    assert_eq!(deliveries(&server, &channel, &id).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn push_deliveries_is_for_admin_keys_signed_for_herald() {
    let admin = TestKey::admin(ACCOUNT);
    let file = KeyFile::new(&[&admin]);
    let server = Server::start_with_keys(&file).await;
    let c = Chime::key(&server, &admin);
    let app = create_app(&c.id, "a").await;
    let sender = create_user(&c.id, &app, "sender").await;
    let bob = create_user(&c.id, &app, "bob").await;
    register_endpoint(&c.id, &bob, "bob-phone", None, None).await;
    let channel = public_channel(&c.msg, &app, &sender).await;
    add_member(&c.msg, &channel, &sender, &bob).await;
    let id = send_push(&c.msg, &channel, &sender, &[]).await;

    let chime_user = TestKey::chime_user(ACCOUNT, &bob);
    let connect_user = TestKey::connect_user(
        ACCOUNT,
        &format!(
            "arn:aws:connect:{REGION}:{ACCOUNT}:instance/00000000-0000-0000-0000-000000000000/agent/x"
        ),
    );
    reload_keys(&server, &file, &[&admin, &chime_user, &connect_user]).await;

    assert_eq!(
        deliveries_as(&server, &admin.signer(), &channel, &id)
            .await
            .len(),
        1
    );
    for key in [&chime_user, &connect_user] {
        let r = deliveries_raw(&server, &key.signer(), &channel, &id).await;
        assert_eq!(r.status.as_u16(), 403, "{:?}: {}", key.role, r.text());
        assert!(!r.text().contains("DeliveryId"), "{}", r.text());
    }
    // Signed for another service.
    let path = format!(
        "/_herald/push-deliveries?channelArn={}&messageId={id}",
        enc(&channel)
    );
    let r = server
        .send_signed(
            &admin.signer().service("chime"),
            Method::GET,
            &path,
            &[],
            None,
        )
        .await;
    r.assert_error(403, "InvalidSignatureException");
    // Unsigned.
    let r = server
        .send_raw(Method::GET, server.url(&path), &[], None)
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.text());
}
