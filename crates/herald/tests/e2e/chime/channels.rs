//! CreateChannel, DescribeChannel, ListChannels, DeleteChannel.

use super::*;
use aws_sdk_chimesdkmessaging::types::{
    ChannelMode, ChannelPrivacy, ElasticChannelConfiguration, ExpirationCriterion,
    ExpirationSettings, Tag,
};

struct World {
    server: Server,
    c: Chime,
    app: String,
    alice: String,
    bob: String,
    carol: String,
}

async fn world() -> World {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let alice = create_user(&c.id, &app, "alice").await;
    let bob = create_user(&c.id, &app, "bob").await;
    let carol = create_user(&c.id, &app, "carol").await;
    World {
        server,
        c,
        app,
        alice,
        bob,
        carol,
    }
}

fn set(items: &[&String]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn as_set(items: Vec<String>) -> BTreeSet<String> {
    let n = items.len();
    let set: BTreeSet<String> = items.into_iter().collect();
    assert_eq!(set.len(), n, "listed twice: {set:?}");
    set
}

#[tokio::test(flavor = "multi_thread")]
async fn create_then_describe_echoes_every_member() {
    let w = world().await;
    let before = now().as_secs_f64();
    let out = ok(w
        .c
        .msg
        .create_channel()
        .app_instance_arn(&w.app)
        .name("Ops room")
        .mode(ChannelMode::Restricted)
        .privacy(ChannelPrivacy::Private)
        .metadata("m1")
        .channel_id("ops-room")
        .tags(Tag::builder().key("k").value("v").build().unwrap())
        .chime_bearer(&w.alice)
        .send()
        .await);
    let after = now().as_secs_f64();
    let arn = out.channel_arn().expect("ChannelArn").to_string();
    assert_eq!(arn, format!("{}/channel/ops-room", w.app));

    let d = ok(w
        .c
        .msg
        .describe_channel()
        .channel_arn(&arn)
        .chime_bearer(&w.alice)
        .send()
        .await);
    let ch = d.channel().expect("Channel");
    assert_eq!(ch.channel_arn(), Some(arn.as_str()));
    assert_eq!(ch.name(), Some("Ops room"));
    assert_eq!(ch.mode(), Some(&ChannelMode::Restricted));
    assert_eq!(ch.privacy(), Some(&ChannelPrivacy::Private));
    assert_eq!(ch.metadata(), Some("m1"));
    let by = ch.created_by().expect("CreatedBy");
    assert_eq!(by.arn(), Some(w.alice.as_str()));
    assert_eq!(by.name(), Some("alice"));
    let created = ch
        .created_timestamp()
        .expect("CreatedTimestamp")
        .as_secs_f64();
    assert!(
        created >= before - 2.0 && created <= after + 2.0,
        "CreatedTimestamp {created} not within [{before}, {after}]"
    );
    assert!(ch.last_updated_timestamp().is_some());
    assert!(ch.elastic_channel_configuration().is_none());
    assert!(ch.expiration_settings().is_none());

    // The creator is a member and a moderator.
    assert_eq!(
        member_arns(&w.c.msg, &arn, &w.alice).await,
        vec![w.alice.clone()]
    );
    assert_eq!(
        moderator_arns(&w.c.msg, &arn, &w.alice).await,
        vec![w.alice.clone()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_channel_id_herald_makes_a_uuid_and_defaults_apply() {
    let w = world().await;
    let arn = ok(w
        .c
        .msg
        .create_channel()
        .app_instance_arn(&w.app)
        .name("general")
        .chime_bearer(&w.alice)
        .send()
        .await)
    .channel_arn()
    .unwrap()
    .to_string();
    let id = arn
        .strip_prefix(&format!("{}/channel/", w.app))
        .unwrap_or_else(|| panic!("channel ARN {arn}"));
    assert!(is_uuid(id), "channel id {id:?} is not a UUID");
    let d = ok(w
        .c
        .msg
        .describe_channel()
        .channel_arn(&arn)
        .chime_bearer(&w.bob)
        .send()
        .await);
    let ch = d.channel().unwrap();
    // The AWS defaults.
    assert_eq!(ch.mode(), Some(&ChannelMode::Unrestricted));
    assert_eq!(ch.privacy(), Some(&ChannelPrivacy::Public));
    // A second channel gets another id.
    let other = public_channel(&w.c.msg, &w.app, &w.alice).await;
    assert_ne!(other, arn);
}

#[tokio::test(flavor = "multi_thread")]
async fn member_and_moderator_arns_become_members_and_moderators() {
    let w = world().await;
    let dave = create_user(&w.c.id, &w.app, "dave").await;
    let arn = ok(w
        .c
        .msg
        .create_channel()
        .app_instance_arn(&w.app)
        .name("team")
        .member_arns(&w.bob)
        .member_arns(&w.carol)
        .moderator_arns(&dave)
        .chime_bearer(&w.alice)
        .send()
        .await)
    .channel_arn()
    .unwrap()
    .to_string();
    assert_eq!(
        as_set(member_arns(&w.c.msg, &arn, &w.alice).await),
        set(&[&w.alice, &w.bob, &w.carol, &dave])
    );
    assert_eq!(
        as_set(moderator_arns(&w.c.msg, &arn, &w.alice).await),
        set(&[&w.alice, &dave])
    );
    // Members added this way are DEFAULT members.
    let m = ok(w
        .c
        .msg
        .describe_channel_membership()
        .channel_arn(&arn)
        .member_arn(&w.bob)
        .chime_bearer(&w.bob)
        .send()
        .await);
    assert_eq!(
        m.channel_membership().and_then(|m| m.r#type()),
        Some(&aws_sdk_chimesdkmessaging::types::ChannelMembershipType::Default)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_channel_refusals_create_nothing() {
    let w = world().await;
    let other_app = create_app(&w.c.id, "b").await;
    let stranger = create_user(&w.c.id, &other_app, "stranger").await;
    let create = || {
        w.c.msg
            .create_channel()
            .app_instance_arn(&w.app)
            .name("x")
            .chime_bearer(&w.alice)
    };
    let ghost = format!("{}/user/ghost", w.app);
    assert_bad_request(create().member_arns(&ghost).send().await, "MemberArns");
    assert_bad_request(create().member_arns(&stranger).send().await, "MemberArns");
    assert_bad_request(
        create().moderator_arns(&ghost).send().await,
        "ModeratorArns",
    );
    let mut eleven = create();
    for i in 0..11 {
        let u = create_user(&w.c.id, &w.app, &format!("u{i}")).await;
        eleven = eleven.member_arns(u);
    }
    assert_bad_request(eleven.send().await, "MemberArns");
    assert_bad_request(create().name("").send().await, "Name");
    assert_bad_request(create().name("n".repeat(257)).send().await, "Name");
    assert_bad_request(create().metadata("m".repeat(1025)).send().await, "Metadata");
    assert_bad_request(create().channel_id("-bad").send().await, "ChannelId");
    assert_bad_request(
        create().channel_id("c".repeat(65)).send().await,
        "ChannelId",
    );
    assert_bad_request(
        create()
            .tags(
                Tag::builder()
                    .key("k".repeat(129))
                    .value("v")
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "Tag",
    );
    // Not implemented: refused, naming the member.
    assert_bad_request(
        create()
            .elastic_channel_configuration(
                ElasticChannelConfiguration::builder()
                    .maximum_sub_channels(2)
                    .target_memberships_per_sub_channel(2)
                    .minimum_membership_percentage(1)
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "ElasticChannelConfiguration",
    );
    assert_bad_request(
        create()
            .expiration_settings(
                ExpirationSettings::builder()
                    .expiration_days(1)
                    .expiration_criterion(ExpirationCriterion::CreatedTimestamp)
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "ExpirationSettings",
    );
    // A bearer of another app instance is not a user of this one.
    assert_unauthorized(
        w.c.msg
            .create_channel()
            .app_instance_arn(&w.app)
            .name("x")
            .chime_bearer(&stranger)
            .send()
            .await,
    );
    assert_unauthorized(
        w.c.msg
            .create_channel()
            .app_instance_arn(&w.app)
            .name("x")
            .chime_bearer(&ghost)
            .send()
            .await,
    );
    assert!(
        channel_arns(&w.c.msg, &w.app, &w.alice, None)
            .await
            .is_empty()
    );
    make_admin(&w.c.id, &w.app, &w.carol).await;
    assert!(
        channel_arns(&w.c.msg, &w.app, &w.carol, Some(ChannelPrivacy::Private))
            .await
            .is_empty()
    );
}

/// A retried CreateChannel answers with the first channel even after a
/// member it listed was deleted (a new request naming them is refused).
#[tokio::test(flavor = "multi_thread")]
async fn a_retried_create_answers_as_the_first_after_a_listed_member_went() {
    let w = world().await;
    let t = token();
    let create = || {
        w.c.msg
            .create_channel()
            .app_instance_arn(&w.app)
            .name("with carol")
            .member_arns(&w.carol)
            .client_request_token(&t)
            .chime_bearer(&w.alice)
    };
    let first = ok(create().send().await);
    ok(w.c
        .id
        .delete_app_instance_user()
        .app_instance_user_arn(&w.carol)
        .send()
        .await);
    let again = ok(create().send().await);
    assert_eq!(first.channel_arn(), again.channel_arn());
    let fresh = expect_err(
        w.c.msg
            .create_channel()
            .app_instance_arn(&w.app)
            .name("with carol")
            .member_arns(&w.carol)
            .chime_bearer(&w.alice)
            .send()
            .await,
    );
    assert!(fresh.status >= 400 && fresh.status < 500, "{fresh:?}");
    assert_eq!(
        channel_arns(&w.c.msg, &w.app, &w.alice, None).await,
        vec![first.channel_arn().unwrap().to_string()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn channel_ids_conflict_unless_the_request_is_retried() {
    let w = world().await;
    let t = token();
    let create = |bearer: &str, name: &str| {
        w.c.msg
            .create_channel()
            .app_instance_arn(&w.app)
            .name(name)
            .channel_id("fixed")
            .client_request_token(&t)
            .chime_bearer(bearer)
    };
    let first = ok(create(&w.alice, "one").send().await);
    let again = ok(create(&w.alice, "one").send().await);
    assert_eq!(first.channel_arn(), again.channel_arn());
    let arn = first.channel_arn().unwrap().to_string();
    // The same token from another bearer is another request.
    assert_conflict(create(&w.bob, "one").send().await);
    // A different name with the same token.
    assert_conflict(create(&w.alice, "two").send().await);
    // The id is taken: a new request for it conflicts.
    assert_conflict(
        w.c.msg
            .create_channel()
            .app_instance_arn(&w.app)
            .name("one")
            .channel_id("fixed")
            .chime_bearer(&w.alice)
            .send()
            .await,
    );
    assert_eq!(
        channel_arns(&w.c.msg, &w.app, &w.alice, None).await,
        vec![arn.clone()]
    );
    let d = ok(w
        .c
        .msg
        .describe_channel()
        .channel_arn(&arn)
        .chime_bearer(&w.alice)
        .send()
        .await);
    assert_eq!(d.channel().and_then(|c| c.name()), Some("one"));
    assert_eq!(
        d.channel()
            .and_then(|c| c.created_by())
            .and_then(|b| b.arn()),
        Some(w.alice.as_str())
    );
    // The same ChannelId in another app instance is another channel.
    let other_app = create_app(&w.c.id, "b").await;
    let zed = create_user(&w.c.id, &other_app, "zed").await;
    let other = ok(w
        .c
        .msg
        .create_channel()
        .app_instance_arn(&other_app)
        .name("one")
        .channel_id("fixed")
        .chime_bearer(&zed)
        .send()
        .await);
    assert_eq!(
        other.channel_arn(),
        Some(format!("{other_app}/channel/fixed").as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_channels_public_by_default_private_for_admins_only() {
    let w = world().await;
    let mut public = Vec::new();
    let mut private = Vec::new();
    for _ in 0..5 {
        public.push(public_channel(&w.c.msg, &w.app, &w.alice).await);
        private.push(
            create_channel(
                &w.c.msg,
                &w.app,
                &w.alice,
                Some(ChannelMode::Restricted),
                Some(ChannelPrivacy::Private),
            )
            .await,
        );
    }
    // Any user lists the public ones, oldest first, paged.
    let (listed, pages) = all_pages(|token| {
        let req =
            w.c.msg
                .list_channels()
                .app_instance_arn(&w.app)
                .chime_bearer(&w.bob)
                .max_results(2)
                .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.channels()
                    .iter()
                    .map(|c| c.channel_arn().unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(listed, public);
    assert_eq!(pages, 3);
    let explicit = channel_arns(&w.c.msg, &w.app, &w.bob, Some(ChannelPrivacy::Public)).await;
    assert_eq!(explicit, public);
    // Summaries carry Name, Mode, Privacy, Metadata.
    let out = ok(w
        .c
        .msg
        .list_channels()
        .app_instance_arn(&w.app)
        .chime_bearer(&w.bob)
        .max_results(1)
        .send()
        .await);
    let s = &out.channels()[0];
    assert_eq!(s.name(), Some("e2e channel"));
    assert_eq!(s.mode(), Some(&ChannelMode::Unrestricted));
    assert_eq!(s.privacy(), Some(&ChannelPrivacy::Public));

    // PRIVATE: only AppInstanceAdmins, even the creator may not.
    for bearer in [&w.alice, &w.bob] {
        assert_forbidden(
            w.c.msg
                .list_channels()
                .app_instance_arn(&w.app)
                .privacy(ChannelPrivacy::Private)
                .chime_bearer(bearer)
                .send()
                .await,
        );
    }
    make_admin(&w.c.id, &w.app, &w.carol).await;
    assert_eq!(
        channel_arns(&w.c.msg, &w.app, &w.carol, Some(ChannelPrivacy::Private)).await,
        private
    );
    // Bad paging parameters.
    assert_err(
        w.c.msg
            .list_channels()
            .app_instance_arn(&w.app)
            .chime_bearer(&w.bob)
            .max_results(51)
            .send()
            .await,
        "BadRequestException",
        400,
    );
    assert_err(
        w.c.msg
            .list_channels()
            .app_instance_arn(&w.app)
            .chime_bearer(&w.bob)
            .next_token("garbage")
            .send()
            .await,
        "BadRequestException",
        400,
    );
    // A token for PUBLIC is not one for PRIVATE.
    let token = ok(w
        .c
        .msg
        .list_channels()
        .app_instance_arn(&w.app)
        .chime_bearer(&w.carol)
        .max_results(1)
        .send()
        .await)
    .next_token()
    .expect("NextToken")
    .to_string();
    assert_err(
        w.c.msg
            .list_channels()
            .app_instance_arn(&w.app)
            .privacy(ChannelPrivacy::Private)
            .chime_bearer(&w.carol)
            .max_results(1)
            .next_token(token)
            .send()
            .await,
        "BadRequestException",
        400,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_channel_deletes_memberships_moderators_bans_and_messages() {
    let w = world().await;
    let create = || {
        w.c.msg
            .create_channel()
            .app_instance_arn(&w.app)
            .name("room")
            .channel_id("room")
            .chime_bearer(&w.alice)
    };
    let arn = ok(create().send().await).channel_arn().unwrap().to_string();
    add_member(&w.c.msg, &arn, &w.alice, &w.bob).await;
    add_moderator(&w.c.msg, &arn, &w.alice, &w.bob).await;
    ban(&w.c.msg, &arn, &w.alice, &w.carol).await;
    set_prefs(&w.c.msg, &arn, &w.bob, AllowNotifications::None, None).await;
    let m = ok(message(&w.c.msg, &arn, &w.bob, "hi").send().await)
        .message_id()
        .unwrap()
        .to_string();

    ok(w.c
        .msg
        .delete_channel()
        .channel_arn(&arn)
        .chime_bearer(&w.alice)
        .send()
        .await);
    assert_not_found(
        w.c.msg
            .describe_channel()
            .channel_arn(&arn)
            .chime_bearer(&w.alice)
            .send()
            .await,
    );
    assert_not_found(
        w.c.msg
            .get_channel_message()
            .channel_arn(&arn)
            .message_id(&m)
            .chime_bearer(&w.alice)
            .send()
            .await,
    );
    assert_not_found(
        w.c.msg
            .delete_channel()
            .channel_arn(&arn)
            .chime_bearer(&w.alice)
            .send()
            .await,
    );
    assert!(
        channel_arns(&w.c.msg, &w.app, &w.alice, None)
            .await
            .is_empty()
    );

    // The same ChannelId again: a new, empty channel with the same ARN.
    let again = ok(create().send().await).channel_arn().unwrap().to_string();
    assert_eq!(again, arn);
    assert_eq!(
        member_arns(&w.c.msg, &arn, &w.alice).await,
        vec![w.alice.clone()]
    );
    assert_eq!(
        moderator_arns(&w.c.msg, &arn, &w.alice).await,
        vec![w.alice.clone()]
    );
    assert!(ban_arns(&w.c.msg, &arn, &w.alice).await.is_empty());
    assert!(message_ids(&w.c.msg, &arn, &w.alice).await.is_empty());
    // Carol is no longer banned; bob's old preferences are gone.
    add_member(&w.c.msg, &arn, &w.alice, &w.carol).await;
    add_member(&w.c.msg, &arn, &w.alice, &w.bob).await;
    assert_eq!(get_prefs(&w.c.msg, &arn, &w.bob).await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn channel_arns_of_another_app_account_or_kind_name_nothing() {
    let w = world().await;
    let ch = public_channel(&w.c.msg, &w.app, &w.alice).await;
    let (prefix, id) = ch.rsplit_once("/channel/").unwrap();
    let app_id = app_instance_id(prefix, ACCOUNT);
    for other in [
        format!("{prefix}/channel/{id}x"),
        format!("arn:aws:chime:{REGION}:111111111111:app-instance/{app_id}/channel/{id}"),
        format!("arn:aws:chime:eu-west-1:{ACCOUNT}:app-instance/{app_id}/channel/{id}"),
        format!("{prefix}/user/{id}"),
    ] {
        let r =
            w.c.msg
                .describe_channel()
                .channel_arn(&other)
                .chime_bearer(&w.alice)
                .send()
                .await;
        assert_not_found(r);
    }
    let _ = &w.server;
}
