//! CreateChannelModerator, ListChannelModerators, DeleteChannelModerator,
//! CreateChannelBan, DescribeChannelBan, ListChannelBans, DeleteChannelBan.

use super::*;
use aws_sdk_chimesdkmessaging::types::{ChannelMembershipType, ErrorCode};

#[tokio::test(flavor = "multi_thread")]
async fn moderators_create_list_delete() {
    let w = world().await;
    let out = ok(w
        .c
        .msg
        .create_channel_moderator()
        .channel_arn(&w.channel)
        .channel_moderator_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(out.channel_arn(), Some(w.channel.as_str()));
    assert_eq!(
        out.channel_moderator().and_then(|m| m.arn()),
        Some(w.bob.as_str())
    );
    assert_eq!(out.channel_moderator().and_then(|m| m.name()), Some("bob"));
    add_moderator(&w.c.msg, &w.channel, &w.owner, &w.carol).await;
    // Again: succeeds, changes nothing.
    add_moderator(&w.c.msg, &w.channel, &w.owner, &w.bob).await;
    let listed = ok(w
        .c
        .msg
        .list_channel_moderators()
        .channel_arn(&w.channel)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(listed.channel_arn(), Some(w.channel.as_str()));
    assert_eq!(
        listed
            .channel_moderators()
            .iter()
            .map(|m| (
                m.moderator()
                    .and_then(|i| i.arn())
                    .unwrap_or("")
                    .to_string(),
                m.moderator()
                    .and_then(|i| i.name())
                    .unwrap_or("")
                    .to_string()
            ))
            .collect::<Vec<_>>(),
        vec![
            (w.owner.clone(), "owner".to_string()),
            (w.bob.clone(), "bob".to_string()),
            (w.carol.clone(), "carol".to_string()),
        ],
        "oldest first"
    );
    // Making a moderator does not make a member.
    assert_eq!(
        member_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone()]
    );

    // A moderator acts as one: bob (not a member) adds a member.
    add_member(&w.c.msg, &w.channel, &w.bob, &w.carol).await;

    ok(w.c
        .msg
        .delete_channel_moderator()
        .channel_arn(&w.channel)
        .channel_moderator_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(
        moderator_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone(), w.carol.clone()]
    );
    // No longer one (nor a member): bob may not make moderators.
    assert_forbidden(
        w.c.msg
            .create_channel_moderator()
            .channel_arn(&w.channel)
            .channel_moderator_arn(&w.bob)
            .chime_bearer(&w.bob)
            .send()
            .await,
    );
    // Removing a moderator that is not one: 204.
    ok(w.c
        .msg
        .delete_channel_moderator()
        .channel_arn(&w.channel)
        .channel_moderator_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);
    // The user must exist in the channel's app instance.
    let other_app = create_app(&w.c.id, "b").await;
    let stranger = create_user(&w.c.id, &other_app, "stranger").await;
    for who in [format!("{}/user/ghost", w.app), stranger] {
        assert_bad_request(
            w.c.msg
                .create_channel_moderator()
                .channel_arn(&w.channel)
                .channel_moderator_arn(&who)
                .chime_bearer(&w.owner)
                .send()
                .await,
            "ChannelModeratorArn",
        );
    }
    assert_eq!(
        moderator_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone(), w.carol.clone()]
    );
    let _ = &w.server;
}

#[tokio::test(flavor = "multi_thread")]
async fn moderators_page_oldest_first() {
    let w = world().await;
    let mut expected = vec![w.owner.clone()];
    for i in 0..4 {
        let u = create_user(&w.c.id, &w.app, &format!("mod{i}")).await;
        add_moderator(&w.c.msg, &w.channel, &w.owner, &u).await;
        expected.push(u);
    }
    let (listed, pages) = all_pages(|token| {
        let req =
            w.c.msg
                .list_channel_moderators()
                .channel_arn(&w.channel)
                .chime_bearer(&w.owner)
                .max_results(2)
                .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.channel_moderators()
                    .iter()
                    .map(|m| {
                        m.moderator()
                            .and_then(|i| i.arn())
                            .unwrap_or("")
                            .to_string()
                    })
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(listed, expected);
    assert_eq!(pages, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn bans_create_describe_list_delete() {
    let w = world().await;
    let before = now().as_secs_f64();
    let out = ok(w
        .c
        .msg
        .create_channel_ban()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(out.channel_arn(), Some(w.channel.as_str()));
    assert_eq!(out.member().and_then(|m| m.arn()), Some(w.bob.as_str()));
    assert_eq!(out.member().and_then(|m| m.name()), Some("bob"));
    // Banning a non-member is allowed; banning again changes nothing.
    ban(&w.c.msg, &w.channel, &w.owner, &w.carol).await;
    ban(&w.c.msg, &w.channel, &w.owner, &w.bob).await;

    let d = ok(w
        .c
        .msg
        .describe_channel_ban()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);
    let b = d.channel_ban().expect("ChannelBan");
    assert_eq!(b.channel_arn(), Some(w.channel.as_str()));
    assert_eq!(b.member().and_then(|m| m.arn()), Some(w.bob.as_str()));
    assert_eq!(b.member().and_then(|m| m.name()), Some("bob"));
    assert_eq!(b.created_by().and_then(|m| m.arn()), Some(w.owner.as_str()));
    let created = b
        .created_timestamp()
        .expect("CreatedTimestamp")
        .as_secs_f64();
    assert!((created - before).abs() < 5.0, "CreatedTimestamp {created}");

    let listed = ok(w
        .c
        .msg
        .list_channel_bans()
        .channel_arn(&w.channel)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(listed.channel_arn(), Some(w.channel.as_str()));
    assert_eq!(
        listed
            .channel_bans()
            .iter()
            .map(|b| (
                b.member().and_then(|i| i.arn()).unwrap_or("").to_string(),
                b.member().and_then(|i| i.name()).unwrap_or("").to_string()
            ))
            .collect::<Vec<_>>(),
        vec![
            (w.bob.clone(), "bob".to_string()),
            (w.carol.clone(), "carol".to_string())
        ],
        "oldest first, each once"
    );

    ok(w.c
        .msg
        .delete_channel_ban()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(
        ban_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.carol.clone()]
    );
    assert_not_found(
        w.c.msg
            .describe_channel_ban()
            .channel_arn(&w.channel)
            .member_arn(&w.bob)
            .chime_bearer(&w.owner)
            .send()
            .await,
    );
    // Removing a ban that does not exist: 204.
    ok(w.c
        .msg
        .delete_channel_ban()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);

    // The user must exist in the channel's app instance.
    let other_app = create_app(&w.c.id, "b").await;
    let stranger = create_user(&w.c.id, &other_app, "stranger").await;
    for who in [format!("{}/user/ghost", w.app), stranger] {
        assert_bad_request(
            w.c.msg
                .create_channel_ban()
                .channel_arn(&w.channel)
                .member_arn(&who)
                .chime_bearer(&w.owner)
                .send()
                .await,
            "MemberArn",
        );
    }
    assert_eq!(
        ban_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.carol.clone()]
    );

    // Paging.
    let mut expected = vec![w.carol.clone()];
    for i in 0..4 {
        let u = create_user(&w.c.id, &w.app, &format!("banned{i}")).await;
        ban(&w.c.msg, &w.channel, &w.owner, &u).await;
        expected.push(u);
    }
    let (listed, pages) = all_pages(|token| {
        let req =
            w.c.msg
                .list_channel_bans()
                .channel_arn(&w.channel)
                .chime_bearer(&w.owner)
                .max_results(2)
                .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.channel_bans()
                    .iter()
                    .map(|m| m.member().and_then(|i| i.arn()).unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(listed, expected);
    assert_eq!(pages, 3);
    let _ = &w.server;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ban_removes_membership_preferences_and_moderator_role_until_lifted() {
    let w = world().await;
    add_member(&w.c.msg, &w.channel, &w.owner, &w.bob).await;
    add_moderator(&w.c.msg, &w.channel, &w.owner, &w.bob).await;
    set_prefs(&w.c.msg, &w.channel, &w.bob, AllowNotifications::None, None).await;
    // Bob's membership in another channel is untouched.
    let other = public_channel(&w.c.msg, &w.app, &w.owner).await;
    add_member(&w.c.msg, &other, &w.owner, &w.bob).await;

    ban(&w.c.msg, &w.channel, &w.owner, &w.bob).await;
    assert_eq!(
        member_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone()]
    );
    assert_eq!(
        moderator_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone()]
    );
    assert_eq!(
        member_arns(&w.c.msg, &other, &w.owner).await,
        vec![w.owner.clone(), w.bob.clone()]
    );
    // Bob is no moderator any more, and no member: he can do neither.
    assert_forbidden(
        w.c.msg
            .create_channel_ban()
            .channel_arn(&w.channel)
            .member_arn(&w.carol)
            .chime_bearer(&w.bob)
            .send()
            .await,
    );
    assert_forbidden(message(&w.c.msg, &w.channel, &w.bob, "hi").send().await);
    assert_forbidden(
        w.c.msg
            .get_channel_membership_preferences()
            .channel_arn(&w.channel)
            .member_arn(&w.bob)
            .chime_bearer(&w.bob)
            .send()
            .await,
    );

    // While banned, he cannot be added, as a member (even adding himself to
    // this PUBLIC UNRESTRICTED channel, even as HIDDEN) or as a moderator.
    for (bearer, kind) in [
        (&w.owner, ChannelMembershipType::Default),
        (&w.owner, ChannelMembershipType::Hidden),
        (&w.bob, ChannelMembershipType::Default),
    ] {
        assert_forbidden(
            w.c.msg
                .create_channel_membership()
                .channel_arn(&w.channel)
                .member_arn(&w.bob)
                .r#type(kind)
                .chime_bearer(bearer)
                .send()
                .await,
        );
    }
    assert_forbidden(
        w.c.msg
            .create_channel_moderator()
            .channel_arn(&w.channel)
            .channel_moderator_arn(&w.bob)
            .chime_bearer(&w.owner)
            .send()
            .await,
    );
    let out = ok(w
        .c
        .msg
        .batch_create_channel_membership()
        .channel_arn(&w.channel)
        .member_arns(&w.bob)
        .member_arns(&w.carol)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(
        out.errors()
            .iter()
            .map(|e| (
                e.member_arn().unwrap_or("").to_string(),
                e.error_code().cloned()
            ))
            .collect::<Vec<_>>(),
        vec![(w.bob.clone(), Some(ErrorCode::Forbidden))]
    );
    assert_eq!(
        out.batch_channel_memberships().map(|b| b
            .members()
            .iter()
            .filter_map(|m| m.arn())
            .map(str::to_string)
            .collect::<Vec<_>>()),
        Some(vec![w.carol.clone()])
    );
    assert_eq!(
        member_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone(), w.carol.clone()]
    );
    assert_eq!(
        moderator_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone()]
    );

    // Lifted: he can be added again, without his old preferences or role.
    ok(w.c
        .msg
        .delete_channel_ban()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);
    add_member(&w.c.msg, &w.channel, &w.owner, &w.bob).await;
    assert_eq!(get_prefs(&w.c.msg, &w.channel, &w.bob).await, None);
    assert_eq!(
        moderator_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone()]
    );
    add_moderator(&w.c.msg, &w.channel, &w.owner, &w.bob).await;
    let _ = &w.server;
}
