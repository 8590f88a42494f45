//! Who may do what: the bearer's place in the channel (member, moderator,
//! AppInstanceAdmin, other user, stranger), and the key's role (admin,
//! chime-user, connect-user, another account's admin).

use super::*;
use aws_sdk_chimesdkidentity::types::AppInstanceUserEndpointType;
use aws_sdk_chimesdkmessaging::types::{ChannelMembershipType, ChannelMode, ChannelPrivacy};

/// An app instance with one user in each role, and a stranger from
/// another app instance.
struct World {
    server: Server,
    c: Chime,
    app: String,
    /// Creates the channels: member and moderator of each.
    creator: String,
    /// A DEFAULT member.
    member: String,
    /// A HIDDEN member.
    hidden: String,
    /// A channel moderator that is not a member.
    moderator: String,
    /// An AppInstanceAdmin that is not a member.
    admin: String,
    /// A user of the app instance with no part in the channels.
    outsider: String,
    /// A user of another app instance.
    stranger: String,
}

async fn world() -> World {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let creator = create_user(&c.id, &app, "creator").await;
    let member = create_user(&c.id, &app, "member").await;
    let hidden = create_user(&c.id, &app, "hidden").await;
    let moderator = create_user(&c.id, &app, "moderator").await;
    let admin = create_user(&c.id, &app, "admin").await;
    let outsider = create_user(&c.id, &app, "outsider").await;
    make_admin(&c.id, &app, &admin).await;
    let other = create_app(&c.id, "b").await;
    let stranger = create_user(&c.id, &other, "stranger").await;
    World {
        server,
        c,
        app,
        creator,
        member,
        hidden,
        moderator,
        admin,
        outsider,
        stranger,
    }
}

impl World {
    /// A channel with the member, the hidden member and the moderator.
    async fn channel(&self, mode: ChannelMode, privacy: ChannelPrivacy) -> String {
        let ch = create_channel(
            &self.c.msg,
            &self.app,
            &self.creator,
            Some(mode),
            Some(privacy),
        )
        .await;
        add_member(&self.c.msg, &ch, &self.creator, &self.member).await;
        add_member_typed(
            &self.c.msg,
            &ch,
            &self.creator,
            &self.hidden,
            ChannelMembershipType::Hidden,
        )
        .await;
        add_moderator(&self.c.msg, &ch, &self.creator, &self.moderator).await;
        ch
    }

    fn everyone(&self) -> Vec<(&'static str, &String)> {
        vec![
            ("creator", &self.creator),
            ("member", &self.member),
            ("hidden", &self.hidden),
            ("moderator", &self.moderator),
            ("admin", &self.admin),
            ("outsider", &self.outsider),
        ]
    }

    async fn members(&self, ch: &str) -> BTreeSet<String> {
        let mut all: BTreeSet<String> = member_arns(&self.c.msg, ch, &self.creator)
            .await
            .into_iter()
            .collect();
        all.extend(
            member_arns_of(
                &self.c.msg,
                ch,
                &self.creator,
                Some(ChannelMembershipType::Hidden),
            )
            .await,
        );
        all
    }
}

/// Asserts an outcome: allowed (any success) or ForbiddenException.
#[track_caller]
fn expect<T: std::fmt::Debug, E>(
    what: &str,
    res: Result<T, aws_sdk_chimesdkmessaging::error::SdkError<E, HttpResponseAlias>>,
    allowed: bool,
) where
    E: aws_sdk_chimesdkmessaging::error::ProvideErrorMetadata + std::fmt::Debug,
{
    match (allowed, res) {
        (true, Ok(_)) => {}
        (true, Err(e)) => {
            let e = api_error(&e);
            panic!("{what}: expected to be allowed, got {e:?}");
        }
        (false, Ok(out)) => panic!("{what}: expected ForbiddenException, succeeded: {out:?}"),
        (false, Err(e)) => {
            let e = api_error(&e);
            assert_eq!(
                (e.code.as_str(), e.status),
                ("ForbiddenException", 403),
                "{what}: {e:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_a_channel_public_to_all_users_private_to_its_people() {
    let w = world().await;
    for privacy in [ChannelPrivacy::Public, ChannelPrivacy::Private] {
        let ch = w.channel(ChannelMode::Restricted, privacy.clone()).await;
        for (role, bearer) in w.everyone() {
            let allowed = privacy == ChannelPrivacy::Public || role != "outsider";
            let what = |op: &str| format!("{op} by {role} in a {privacy:?} channel");
            expect(
                &what("DescribeChannel"),
                w.c.msg
                    .describe_channel()
                    .channel_arn(&ch)
                    .chime_bearer(bearer)
                    .send()
                    .await,
                allowed,
            );
            expect(
                &what("DescribeChannelMembership"),
                w.c.msg
                    .describe_channel_membership()
                    .channel_arn(&ch)
                    .member_arn(&w.member)
                    .chime_bearer(bearer)
                    .send()
                    .await,
                allowed,
            );
            expect(
                &what("ListChannelMemberships"),
                w.c.msg
                    .list_channel_memberships()
                    .channel_arn(&ch)
                    .chime_bearer(bearer)
                    .send()
                    .await,
                allowed,
            );
            expect(
                &what("ListChannelModerators"),
                w.c.msg
                    .list_channel_moderators()
                    .channel_arn(&ch)
                    .chime_bearer(bearer)
                    .send()
                    .await,
                allowed,
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_are_sent_by_members_and_read_by_members_moderators_admins() {
    let w = world().await;
    let ch = w
        .channel(ChannelMode::Unrestricted, ChannelPrivacy::Public)
        .await;
    let mut sent = Vec::new();
    for (role, bearer) in w.everyone() {
        let member = matches!(role, "creator" | "member" | "hidden");
        let res = message(&w.c.msg, &ch, bearer, role).send().await;
        if let Ok(out) = &res {
            sent.push(out.message_id().unwrap().to_string());
        }
        expect(&format!("SendChannelMessage by {role}"), res, member);
    }
    assert_eq!(sent.len(), 3);
    for (role, bearer) in w.everyone() {
        let allowed = role != "outsider";
        expect(
            &format!("GetChannelMessage by {role}"),
            w.c.msg
                .get_channel_message()
                .channel_arn(&ch)
                .message_id(&sent[0])
                .chime_bearer(bearer)
                .send()
                .await,
            allowed,
        );
        expect(
            &format!("ListChannelMessages by {role}"),
            w.c.msg
                .list_channel_messages()
                .channel_arn(&ch)
                .chime_bearer(bearer)
                .send()
                .await,
            allowed,
        );
    }
    // The refused sends sent nothing.
    assert_eq!(message_ids(&w.c.msg, &ch, &w.creator).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_members_depends_on_mode_and_privacy() {
    let w = world().await;
    let newcomer = create_user(&w.c.id, &w.app, "newcomer").await;
    let add = |ch: &str, bearer: &str, who: &str| {
        w.c.msg
            .create_channel_membership()
            .channel_arn(ch)
            .member_arn(who)
            .r#type(ChannelMembershipType::Default)
            .chime_bearer(bearer)
    };
    let batch = |ch: &str, bearer: &str, who: &str| {
        w.c.msg
            .batch_create_channel_membership()
            .channel_arn(ch)
            .member_arns(who)
            .chime_bearer(bearer)
    };
    let leave = async |ch: &str, who: &str| {
        ok(w.c
            .msg
            .delete_channel_membership()
            .channel_arn(ch)
            .member_arn(who)
            .chime_bearer(&w.creator)
            .send()
            .await);
    };
    for (mode, privacy) in [
        (ChannelMode::Restricted, ChannelPrivacy::Public),
        (ChannelMode::Restricted, ChannelPrivacy::Private),
        (ChannelMode::Unrestricted, ChannelPrivacy::Private),
        (ChannelMode::Unrestricted, ChannelPrivacy::Public),
    ] {
        let ch = w.channel(mode.clone(), privacy.clone()).await;
        let kind = format!("{mode:?} {privacy:?}");
        let unrestricted = mode == ChannelMode::Unrestricted;
        for (role, bearer) in w.everyone() {
            let allowed = match role {
                "creator" | "moderator" | "admin" => true,
                "member" | "hidden" => unrestricted,
                _ => false,
            };
            let before = w.members(&ch).await;
            expect(
                &format!("CreateChannelMembership of another user by {role}, {kind}"),
                add(&ch, bearer, &newcomer).send().await,
                allowed,
            );
            let after = w.members(&ch).await;
            if allowed {
                assert!(after.contains(&newcomer), "{kind}: {role} added nobody");
                leave(&ch, &newcomer).await;
            } else {
                assert_eq!(
                    after, before,
                    "{kind}: refused add by {role} changed members"
                );
            }
            let res = batch(&ch, bearer, &newcomer).send().await;
            expect(
                &format!("BatchCreateChannelMembership by {role}, {kind}"),
                res,
                allowed,
            );
            let after = w.members(&ch).await;
            if allowed {
                assert!(
                    after.contains(&newcomer),
                    "{kind}: {role} batch added nobody"
                );
                leave(&ch, &newcomer).await;
            } else {
                assert_eq!(after, before);
            }
        }
        // Adding oneself: only in a PUBLIC UNRESTRICTED channel.
        let self_allowed = unrestricted && privacy == ChannelPrivacy::Public;
        expect(
            &format!("the outsider adding themselves, {kind}"),
            add(&ch, &w.outsider, &w.outsider).send().await,
            self_allowed,
        );
        assert_eq!(
            w.members(&ch).await.contains(&w.outsider),
            self_allowed,
            "{kind}"
        );
        if self_allowed {
            leave(&ch, &w.outsider).await;
            expect(
                &format!("the outsider batch-adding themselves, {kind}"),
                batch(&ch, &w.outsider, &w.outsider).send().await,
                true,
            );
            assert!(w.members(&ch).await.contains(&w.outsider));
            // Now a member of an UNRESTRICTED channel, they may add others.
            expect(
                &format!("a self-added member adding someone else, {kind}"),
                add(&ch, &w.outsider, &newcomer).send().await,
                true,
            );
            leave(&ch, &newcomer).await;
            leave(&ch, &w.outsider).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_members_moderators_admins_and_the_member_themselves() {
    let w = world().await;
    let ch = w
        .channel(ChannelMode::Unrestricted, ChannelPrivacy::Public)
        .await;
    let victim = create_user(&w.c.id, &w.app, "victim").await;
    for (role, bearer) in w.everyone() {
        add_member(&w.c.msg, &ch, &w.creator, &victim).await;
        let allowed = matches!(role, "creator" | "moderator" | "admin");
        expect(
            &format!("DeleteChannelMembership of another by {role}"),
            w.c.msg
                .delete_channel_membership()
                .channel_arn(&ch)
                .member_arn(&victim)
                .chime_bearer(bearer)
                .send()
                .await,
            allowed,
        );
        assert_eq!(w.members(&ch).await.contains(&victim), !allowed, "{role}");
    }
    // Everyone may leave.
    for who in [&w.member, &w.hidden] {
        ok(w.c
            .msg
            .delete_channel_membership()
            .channel_arn(&ch)
            .member_arn(who)
            .chime_bearer(who)
            .send()
            .await);
        assert!(!w.members(&ch).await.contains(who));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn moderators_and_bans_are_managed_by_moderators_and_admins() {
    let w = world().await;
    let ch = w
        .channel(ChannelMode::Unrestricted, ChannelPrivacy::Public)
        .await;
    let target = create_user(&w.c.id, &w.app, "target").await;
    for (role, bearer) in w.everyone() {
        let allowed = matches!(role, "creator" | "moderator" | "admin");
        let what = |op: &str| format!("{op} by {role}");

        expect(
            &what("CreateChannelModerator"),
            w.c.msg
                .create_channel_moderator()
                .channel_arn(&ch)
                .channel_moderator_arn(&target)
                .chime_bearer(bearer)
                .send()
                .await,
            allowed,
        );
        assert_eq!(
            moderator_arns(&w.c.msg, &ch, &w.creator)
                .await
                .contains(&target),
            allowed,
            "{role}"
        );
        if !allowed {
            add_moderator(&w.c.msg, &ch, &w.creator, &target).await;
        }
        expect(
            &what("DeleteChannelModerator"),
            w.c.msg
                .delete_channel_moderator()
                .channel_arn(&ch)
                .channel_moderator_arn(&target)
                .chime_bearer(bearer)
                .send()
                .await,
            allowed,
        );
        assert_eq!(
            moderator_arns(&w.c.msg, &ch, &w.creator)
                .await
                .contains(&target),
            !allowed,
            "{role}"
        );
        ok(w.c
            .msg
            .delete_channel_moderator()
            .channel_arn(&ch)
            .channel_moderator_arn(&target)
            .chime_bearer(&w.creator)
            .send()
            .await);

        expect(
            &what("CreateChannelBan"),
            w.c.msg
                .create_channel_ban()
                .channel_arn(&ch)
                .member_arn(&target)
                .chime_bearer(bearer)
                .send()
                .await,
            allowed,
        );
        assert_eq!(
            ban_arns(&w.c.msg, &ch, &w.creator).await.contains(&target),
            allowed,
            "{role}"
        );
        if !allowed {
            ban(&w.c.msg, &ch, &w.creator, &target).await;
        }
        expect(
            &what("DescribeChannelBan"),
            w.c.msg
                .describe_channel_ban()
                .channel_arn(&ch)
                .member_arn(&target)
                .chime_bearer(bearer)
                .send()
                .await,
            allowed,
        );
        expect(
            &what("ListChannelBans"),
            w.c.msg
                .list_channel_bans()
                .channel_arn(&ch)
                .chime_bearer(bearer)
                .send()
                .await,
            allowed,
        );
        expect(
            &what("DeleteChannelBan"),
            w.c.msg
                .delete_channel_ban()
                .channel_arn(&ch)
                .member_arn(&target)
                .chime_bearer(bearer)
                .send()
                .await,
            allowed,
        );
        assert_eq!(
            ban_arns(&w.c.msg, &ch, &w.creator).await.contains(&target),
            !allowed,
            "{role}"
        );
        ok(w.c
            .msg
            .delete_channel_ban()
            .channel_arn(&ch)
            .member_arn(&target)
            .chime_bearer(&w.creator)
            .send()
            .await);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn channels_are_deleted_by_moderators_and_admins_only() {
    let w = world().await;
    for (role, bearer) in w.everyone() {
        let ch = w
            .channel(ChannelMode::Unrestricted, ChannelPrivacy::Public)
            .await;
        let allowed = matches!(role, "creator" | "moderator" | "admin");
        expect(
            &format!("DeleteChannel by {role}"),
            w.c.msg
                .delete_channel()
                .channel_arn(&ch)
                .chime_bearer(bearer)
                .send()
                .await,
            allowed,
        );
        let exists =
            w.c.msg
                .describe_channel()
                .channel_arn(&ch)
                .chime_bearer(&w.creator)
                .send()
                .await
                .is_ok();
        assert_eq!(exists, !allowed, "{role}");
    }
    // Any user of the app instance may create a channel.
    for (role, bearer) in w.everyone() {
        let ch = ok(w
            .c
            .msg
            .create_channel()
            .app_instance_arn(&w.app)
            .name(role)
            .chime_bearer(bearer)
            .send()
            .await)
        .channel_arn()
        .unwrap()
        .to_string();
        assert_eq!(
            moderator_arns(&w.c.msg, &ch, bearer).await,
            vec![bearer.clone()]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bearer_outside_the_channels_app_instance_is_unauthorized() {
    let w = world().await;
    let ch = w
        .channel(ChannelMode::Unrestricted, ChannelPrivacy::Public)
        .await;
    let app_id = app_instance_id(&w.app, ACCOUNT);
    let ghost = format!("{}/user/ghost", w.app);
    let other_account =
        format!("arn:aws:chime:{REGION}:111111111111:app-instance/{app_id}/user/member");
    let other_region =
        format!("arn:aws:chime:eu-west-1:{ACCOUNT}:app-instance/{app_id}/user/member");
    for (what, bearer) in [
        ("a user of another app instance", &w.stranger),
        ("a user that does not exist", &ghost),
        ("a user ARN of another account", &other_account),
        ("a user ARN of another region", &other_region),
        ("the app instance ARN", &w.app),
        ("the channel ARN", &ch),
    ] {
        let check = |op: &str, e: ApiError| {
            assert_eq!(
                (e.code.as_str(), e.status),
                ("UnauthorizedClientException", 401),
                "{op} with {what} as bearer: {e:?}"
            );
        };
        check(
            "DescribeChannel",
            expect_err(
                w.c.msg
                    .describe_channel()
                    .channel_arn(&ch)
                    .chime_bearer(bearer)
                    .send()
                    .await,
            ),
        );
        check(
            "SendChannelMessage",
            expect_err(message(&w.c.msg, &ch, bearer, "x").send().await),
        );
        check(
            "CreateChannelMembership",
            expect_err(
                w.c.msg
                    .create_channel_membership()
                    .channel_arn(&ch)
                    .member_arn(&w.outsider)
                    .r#type(ChannelMembershipType::Default)
                    .chime_bearer(bearer)
                    .send()
                    .await,
            ),
        );
        check(
            "ListChannels",
            expect_err(
                w.c.msg
                    .list_channels()
                    .app_instance_arn(&w.app)
                    .chime_bearer(bearer)
                    .send()
                    .await,
            ),
        );
        check(
            "CreateChannel",
            expect_err(
                w.c.msg
                    .create_channel()
                    .app_instance_arn(&w.app)
                    .name("x")
                    .chime_bearer(bearer)
                    .send()
                    .await,
            ),
        );
    }
    assert!(message_ids(&w.c.msg, &ch, &w.creator).await.is_empty());
    assert!(!w.members(&ch).await.contains(&w.outsider));
    assert_eq!(
        channel_arns(&w.c.msg, &w.app, &w.creator, None).await,
        vec![ch]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_of_an_app_instance_moderates_every_channel_in_it() {
    let w = world().await;
    let ch = w
        .channel(ChannelMode::Restricted, ChannelPrivacy::Private)
        .await;
    // Removing the admin role takes the powers away.
    ok(w.c
        .id
        .delete_app_instance_admin()
        .app_instance_arn(&w.app)
        .app_instance_admin_arn(&w.admin)
        .send()
        .await);
    assert_forbidden(
        w.c.msg
            .describe_channel()
            .channel_arn(&ch)
            .chime_bearer(&w.admin)
            .send()
            .await,
    );
    assert_forbidden(
        w.c.msg
            .list_channels()
            .app_instance_arn(&w.app)
            .privacy(ChannelPrivacy::Private)
            .chime_bearer(&w.admin)
            .send()
            .await,
    );
    make_admin(&w.c.id, &w.app, &w.admin).await;
    ok(w.c
        .msg
        .describe_channel()
        .channel_arn(&ch)
        .chime_bearer(&w.admin)
        .send()
        .await);
    assert_eq!(
        channel_arns(&w.c.msg, &w.app, &w.admin, Some(ChannelPrivacy::Private)).await,
        vec![ch.clone()]
    );
    // An admin of another app instance is nobody here.
    let other = create_app(&w.c.id, "c").await;
    let foreign_admin = create_user(&w.c.id, &other, "fadmin").await;
    make_admin(&w.c.id, &other, &foreign_admin).await;
    assert_unauthorized(
        w.c.msg
            .describe_channel()
            .channel_arn(&ch)
            .chime_bearer(&foreign_admin)
            .send()
            .await,
    );
}

// ---------------------------------------------------------------------------
// Keys

struct Keys {
    server: Server,
    admin: TestKey,
    file: KeyFile,
    app: String,
    alice: String,
    bob: String,
    channel: String,
    alice_ep: String,
    bob_ep: String,
}

/// A server with an admin key, an app instance with alice and bob (both in
/// a channel, each with an endpoint).
async fn keys() -> Keys {
    let admin = TestKey::admin(ACCOUNT);
    let file = KeyFile::new(&[&admin]);
    let server = Server::start_with_keys(&file).await;
    let c = Chime::key(&server, &admin);
    let app = create_app(&c.id, "a").await;
    let alice = create_user(&c.id, &app, "alice").await;
    let bob = create_user(&c.id, &app, "bob").await;
    let channel = public_channel(&c.msg, &app, &alice).await;
    add_member(&c.msg, &channel, &alice, &bob).await;
    let alice_ep = register_endpoint(&c.id, &alice, "alice-phone", None, None).await;
    let bob_ep = register_endpoint(&c.id, &bob, "bob-phone", None, None).await;
    Keys {
        server,
        admin,
        file,
        app,
        alice,
        bob,
        channel,
        alice_ep,
        bob_ep,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chime_user_key_speaks_only_as_its_own_bearer() {
    let k = keys().await;
    let key = TestKey::chime_user(ACCOUNT, &k.alice);
    reload_keys(&k.server, &k.file, &[&k.admin, &key]).await;
    let a = Chime::key(&k.server, &key);
    let admin = Chime::key(&k.server, &k.admin);

    // Messaging, as alice: allowed.
    ok(message(&a.msg, &k.channel, &k.alice, "as alice")
        .send()
        .await);
    ok(a.msg
        .describe_channel()
        .channel_arn(&k.channel)
        .chime_bearer(&k.alice)
        .send()
        .await);
    set_prefs(&a.msg, &k.channel, &k.alice, AllowNotifications::None, None).await;
    let ch2 = public_channel(&a.msg, &k.app, &k.alice).await;
    // As bob: forbidden, and nothing happens.
    assert_forbidden(message(&a.msg, &k.channel, &k.bob, "as bob").send().await);
    assert_forbidden(
        a.msg
            .describe_channel()
            .channel_arn(&k.channel)
            .chime_bearer(&k.bob)
            .send()
            .await,
    );
    assert_forbidden(
        a.msg
            .put_channel_membership_preferences()
            .channel_arn(&k.channel)
            .member_arn(&k.bob)
            .chime_bearer(&k.bob)
            .preferences(prefs(AllowNotifications::None, None))
            .send()
            .await,
    );
    assert_forbidden(
        a.msg
            .create_channel()
            .app_instance_arn(&k.app)
            .name("as bob")
            .chime_bearer(&k.bob)
            .send()
            .await,
    );
    assert_eq!(message_ids(&admin.msg, &k.channel, &k.alice).await.len(), 1);
    assert_eq!(get_prefs(&admin.msg, &k.channel, &k.bob).await, None);
    assert_eq!(
        channel_arns(&admin.msg, &k.app, &k.alice, None).await,
        vec![k.channel.clone(), ch2]
    );

    // Identity: DescribeAppInstanceUser of itself, and its own endpoints.
    ok(a.id
        .describe_app_instance_user()
        .app_instance_user_arn(&k.alice)
        .send()
        .await);
    assert_eq!(
        endpoint_ids(&a.id, &k.alice).await,
        vec![k.alice_ep.clone()]
    );
    ok(a.id
        .describe_app_instance_user_endpoint()
        .app_instance_user_arn(&k.alice)
        .endpoint_id(&k.alice_ep)
        .send()
        .await);
    ok(a.id
        .update_app_instance_user_endpoint()
        .app_instance_user_arn(&k.alice)
        .endpoint_id(&k.alice_ep)
        .name("renamed")
        .send()
        .await);
    let new_ep = register_endpoint(&a.id, &k.alice, "alice-tablet", None, None).await;
    ok(a.id
        .deregister_app_instance_user_endpoint()
        .app_instance_user_arn(&k.alice)
        .endpoint_id(&new_ep)
        .send()
        .await);

    // Bob's user and endpoints: forbidden.
    assert_forbidden(
        a.id.describe_app_instance_user()
            .app_instance_user_arn(&k.bob)
            .send()
            .await,
    );
    assert_forbidden(
        a.id.list_app_instance_user_endpoints()
            .app_instance_user_arn(&k.bob)
            .send()
            .await,
    );
    assert_forbidden(
        a.id.describe_app_instance_user_endpoint()
            .app_instance_user_arn(&k.bob)
            .endpoint_id(&k.bob_ep)
            .send()
            .await,
    );
    assert_forbidden(
        a.id.update_app_instance_user_endpoint()
            .app_instance_user_arn(&k.bob)
            .endpoint_id(&k.bob_ep)
            .name("hijacked")
            .send()
            .await,
    );
    assert_forbidden(
        a.id.deregister_app_instance_user_endpoint()
            .app_instance_user_arn(&k.bob)
            .endpoint_id(&k.bob_ep)
            .send()
            .await,
    );
    assert_forbidden(
        a.id.register_app_instance_user_endpoint()
            .app_instance_user_arn(&k.bob)
            .r#type(AppInstanceUserEndpointType::Gcm)
            .resource_arn(PUSH_APP_ARN)
            .endpoint_attributes(attributes("evil", None))
            .send()
            .await,
    );
    // Everything else in Identity: forbidden.
    assert_forbidden(a.id.create_app_instance().name("x").send().await);
    assert_forbidden(a.id.list_app_instances().send().await);
    assert_forbidden(
        a.id.describe_app_instance()
            .app_instance_arn(&k.app)
            .send()
            .await,
    );
    assert_forbidden(
        a.id.delete_app_instance()
            .app_instance_arn(&k.app)
            .send()
            .await,
    );
    assert_forbidden(
        a.id.create_app_instance_user()
            .app_instance_arn(&k.app)
            .app_instance_user_id("mallory")
            .name("m")
            .send()
            .await,
    );
    assert_forbidden(
        a.id.list_app_instance_users()
            .app_instance_arn(&k.app)
            .send()
            .await,
    );
    assert_forbidden(
        a.id.delete_app_instance_user()
            .app_instance_user_arn(&k.alice)
            .send()
            .await,
    );
    assert_forbidden(
        a.id.delete_app_instance_user()
            .app_instance_user_arn(&k.bob)
            .send()
            .await,
    );
    assert_forbidden(
        a.id.create_app_instance_admin()
            .app_instance_arn(&k.app)
            .app_instance_admin_arn(&k.alice)
            .send()
            .await,
    );
    assert_forbidden(
        a.id.list_app_instance_admins()
            .app_instance_arn(&k.app)
            .send()
            .await,
    );
    assert_forbidden(
        a.id.delete_app_instance_admin()
            .app_instance_arn(&k.app)
            .app_instance_admin_arn(&k.alice)
            .send()
            .await,
    );
    // Nothing changed.
    let endpoint = ok(admin
        .id
        .describe_app_instance_user_endpoint()
        .app_instance_user_arn(&k.bob)
        .endpoint_id(&k.bob_ep)
        .send()
        .await);
    assert_eq!(
        endpoint.app_instance_user_endpoint().and_then(|e| e.name()),
        Some("device bob-phone")
    );
    assert_eq!(
        endpoint_ids(&admin.id, &k.bob).await,
        vec![k.bob_ep.clone()]
    );
    assert_eq!(app_arns(&admin.id).await, vec![k.app.clone()]);
    assert_eq!(
        user_arns(&admin.id, &k.app).await,
        vec![k.alice.clone(), k.bob.clone()]
    );
    assert!(admin_arns(&admin.id, &k.app).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connect_user_key_may_not_call_chime() {
    let k = keys().await;
    let key = TestKey::connect_user(
        ACCOUNT,
        &format!(
            "arn:aws:connect:{REGION}:{ACCOUNT}:instance/00000000-0000-0000-0000-000000000000/agent/alice"
        ),
    );
    reload_keys(&k.server, &k.file, &[&k.admin, &key]).await;
    let u = Chime::key(&k.server, &key);
    assert_forbidden(u.id.list_app_instances().send().await);
    assert_forbidden(u.id.create_app_instance().name("x").send().await);
    assert_forbidden(
        u.id.describe_app_instance_user()
            .app_instance_user_arn(&k.alice)
            .send()
            .await,
    );
    assert_forbidden(
        u.id.list_app_instance_user_endpoints()
            .app_instance_user_arn(&k.alice)
            .send()
            .await,
    );
    assert_forbidden(message(&u.msg, &k.channel, &k.alice, "x").send().await);
    assert_forbidden(
        u.msg
            .describe_channel()
            .channel_arn(&k.channel)
            .chime_bearer(&k.alice)
            .send()
            .await,
    );
    assert_forbidden(
        u.msg
            .list_channels()
            .app_instance_arn(&k.app)
            .chime_bearer(&k.alice)
            .send()
            .await,
    );
    let admin = Chime::key(&k.server, &k.admin);
    assert!(
        message_ids(&admin.msg, &k.channel, &k.alice)
            .await
            .is_empty()
    );
    assert_eq!(app_arns(&admin.id).await, vec![k.app.clone()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_accounts_admin_finds_nothing() {
    let k = keys().await;
    let other = TestKey::admin("999999999999");
    reload_keys(&k.server, &k.file, &[&k.admin, &other]).await;
    let o = Chime::key(&k.server, &other);
    assert!(app_arns(&o.id).await.is_empty());
    assert_not_found(
        o.id.describe_app_instance()
            .app_instance_arn(&k.app)
            .send()
            .await,
    );
    assert_not_found(
        o.id.describe_app_instance_user()
            .app_instance_user_arn(&k.alice)
            .send()
            .await,
    );
    assert_not_found(
        o.id.list_app_instance_users()
            .app_instance_arn(&k.app)
            .send()
            .await,
    );
    assert_not_found(
        o.id.describe_app_instance_user_endpoint()
            .app_instance_user_arn(&k.alice)
            .endpoint_id(&k.alice_ep)
            .send()
            .await,
    );
    assert_not_found(
        o.id.delete_app_instance_user()
            .app_instance_user_arn(&k.bob)
            .send()
            .await,
    );
    assert_not_found(
        o.id.delete_app_instance()
            .app_instance_arn(&k.app)
            .send()
            .await,
    );
    // The channel names nothing for it either.
    let e = expect_err(
        o.msg
            .describe_channel()
            .channel_arn(&k.channel)
            .chime_bearer(&k.alice)
            .send()
            .await,
    );
    assert!(
        matches!(
            (e.code.as_str(), e.status),
            ("NotFoundException", 404) | ("UnauthorizedClientException", 401)
        ),
        "{e:?}"
    );
    let e = expect_err(message(&o.msg, &k.channel, &k.alice, "x").send().await);
    assert!(
        matches!(
            (e.code.as_str(), e.status),
            ("NotFoundException", 404) | ("UnauthorizedClientException", 401)
        ),
        "{e:?}"
    );
    // Nothing changed.
    let admin = Chime::key(&k.server, &k.admin);
    assert_eq!(
        user_arns(&admin.id, &k.app).await,
        vec![k.alice.clone(), k.bob.clone()]
    );
    assert!(
        message_ids(&admin.msg, &k.channel, &k.alice)
            .await
            .is_empty()
    );
}
