//! CreateChannelMembership, BatchCreateChannelMembership,
//! DescribeChannelMembership, ListChannelMemberships, DeleteChannelMembership.

use super::*;
use aws_sdk_chimesdkmessaging::types::{ChannelMembershipType, ErrorCode};

#[tokio::test(flavor = "multi_thread")]
async fn create_describe_list_delete_membership() {
    let w = world().await;
    let out = ok(w
        .c
        .msg
        .create_channel_membership()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .r#type(ChannelMembershipType::Default)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(out.channel_arn(), Some(w.channel.as_str()));
    let member = out.member().expect("Member");
    assert_eq!(member.arn(), Some(w.bob.as_str()));
    assert_eq!(member.name(), Some("bob"));
    assert!(out.sub_channel_id().is_none());

    let d = ok(w
        .c
        .msg
        .describe_channel_membership()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .chime_bearer(&w.carol)
        .send()
        .await);
    let m = d.channel_membership().expect("ChannelMembership");
    assert_eq!(m.channel_arn(), Some(w.channel.as_str()));
    assert_eq!(m.r#type(), Some(&ChannelMembershipType::Default));
    assert_eq!(m.member().and_then(|i| i.arn()), Some(w.bob.as_str()));
    assert_eq!(m.member().and_then(|i| i.name()), Some("bob"));
    assert_eq!(m.invited_by().and_then(|i| i.arn()), Some(w.owner.as_str()));
    assert_eq!(m.invited_by().and_then(|i| i.name()), Some("owner"));
    assert!(m.created_timestamp().is_some());
    assert!(m.last_updated_timestamp().is_some());

    // Adding again: succeeds, changes nothing (not even the type).
    add_member_typed(
        &w.c.msg,
        &w.channel,
        &w.owner,
        &w.bob,
        ChannelMembershipType::Hidden,
    )
    .await;
    let listed = ok(w
        .c
        .msg
        .list_channel_memberships()
        .channel_arn(&w.channel)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(listed.channel_arn(), Some(w.channel.as_str()));
    assert_eq!(
        listed
            .channel_memberships()
            .iter()
            .map(|m| (
                m.member().and_then(|i| i.arn()).unwrap_or("").to_string(),
                m.member().and_then(|i| i.name()).unwrap_or("").to_string()
            ))
            .collect::<Vec<_>>(),
        vec![
            (w.owner.clone(), "owner".to_string()),
            (w.bob.clone(), "bob".to_string())
        ]
    );
    let d = ok(w
        .c
        .msg
        .describe_channel_membership()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .chime_bearer(&w.bob)
        .send()
        .await);
    assert_eq!(
        d.channel_membership().and_then(|m| m.r#type()),
        Some(&ChannelMembershipType::Default)
    );

    // Not a member: the membership the path names does not exist.
    assert_not_found(
        w.c.msg
            .describe_channel_membership()
            .channel_arn(&w.channel)
            .member_arn(&w.carol)
            .chime_bearer(&w.owner)
            .send()
            .await,
    );

    ok(w.c
        .msg
        .delete_channel_membership()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(
        member_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone()]
    );
    assert_not_found(
        w.c.msg
            .describe_channel_membership()
            .channel_arn(&w.channel)
            .member_arn(&w.bob)
            .chime_bearer(&w.owner)
            .send()
            .await,
    );
    // Removing a membership that does not exist: 204.
    ok(w.c
        .msg
        .delete_channel_membership()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);
    // In a channel that does not exist: NotFound.
    assert_not_found(
        w.c.msg
            .delete_channel_membership()
            .channel_arn(format!("{}/channel/nope", w.app))
            .member_arn(&w.bob)
            .chime_bearer(&w.owner)
            .send()
            .await,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_user_to_add_must_exist_in_the_channels_app_instance() {
    let w = world().await;
    let other_app = create_app(&w.c.id, "b").await;
    let stranger = create_user(&w.c.id, &other_app, "stranger").await;
    for who in [format!("{}/user/ghost", w.app), stranger] {
        assert_not_found(
            w.c.msg
                .create_channel_membership()
                .channel_arn(&w.channel)
                .member_arn(&who)
                .r#type(ChannelMembershipType::Default)
                .chime_bearer(&w.owner)
                .send()
                .await,
        );
    }
    assert_eq!(
        member_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone()]
    );
    // A channel that does not exist.
    assert_not_found(
        w.c.msg
            .create_channel_membership()
            .channel_arn(format!("{}/channel/nope", w.app))
            .member_arn(&w.bob)
            .r#type(ChannelMembershipType::Default)
            .chime_bearer(&w.owner)
            .send()
            .await,
    );
    let _ = &w.server;
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_members_are_listed_only_with_type_hidden() {
    let w = world().await;
    add_member_typed(
        &w.c.msg,
        &w.channel,
        &w.owner,
        &w.bob,
        ChannelMembershipType::Hidden,
    )
    .await;
    add_member(&w.c.msg, &w.channel, &w.owner, &w.carol).await;
    assert_eq!(
        member_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone(), w.carol.clone()]
    );
    assert_eq!(
        member_arns_of(
            &w.c.msg,
            &w.channel,
            &w.owner,
            Some(ChannelMembershipType::Default)
        )
        .await,
        vec![w.owner.clone(), w.carol.clone()]
    );
    assert_eq!(
        member_arns_of(
            &w.c.msg,
            &w.channel,
            &w.owner,
            Some(ChannelMembershipType::Hidden)
        )
        .await,
        vec![w.bob.clone()]
    );
    let d = ok(w
        .c
        .msg
        .describe_channel_membership()
        .channel_arn(&w.channel)
        .member_arn(&w.bob)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(
        d.channel_membership().and_then(|m| m.r#type()),
        Some(&ChannelMembershipType::Hidden)
    );
    // A hidden member is a member: it may send.
    ok(message(&w.c.msg, &w.channel, &w.bob, "from the shadows")
        .send()
        .await);
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_adds_the_users_it_can_and_reports_the_others() {
    let w = world().await;
    let dave = create_user(&w.c.id, &w.app, "dave").await;
    let erin = create_user(&w.c.id, &w.app, "erin").await;
    ban(&w.c.msg, &w.channel, &w.owner, &erin).await;
    let other_app = create_app(&w.c.id, "b").await;
    let stranger = create_user(&w.c.id, &other_app, "stranger").await;
    let ghost = format!("{}/user/ghost", w.app);
    // Carol is already a member: added again, nothing changes.
    add_member(&w.c.msg, &w.channel, &w.owner, &w.carol).await;

    let out = ok(w
        .c
        .msg
        .batch_create_channel_membership()
        .channel_arn(&w.channel)
        .member_arns(&w.bob)
        .member_arns(&ghost)
        .member_arns(&w.carol)
        .member_arns(&erin)
        .member_arns(&stranger)
        .member_arns(&dave)
        .chime_bearer(&w.owner)
        .send()
        .await);
    let b = out
        .batch_channel_memberships()
        .expect("BatchChannelMemberships");
    assert_eq!(b.channel_arn(), Some(w.channel.as_str()));
    assert_eq!(b.invited_by().and_then(|i| i.arn()), Some(w.owner.as_str()));
    assert_eq!(b.r#type(), Some(&ChannelMembershipType::Default));
    let added: BTreeSet<String> = b
        .members()
        .iter()
        .map(|m| m.arn().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        added,
        [&w.bob, &w.carol, &dave]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        "Members"
    );
    let errors: BTreeSet<(String, Option<ErrorCode>)> = out
        .errors()
        .iter()
        .map(|e| {
            assert!(e.error_message().is_some_and(|m| !m.is_empty()), "{e:?}");
            (
                e.member_arn().unwrap_or("").to_string(),
                e.error_code().cloned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        BTreeSet::from([
            (ghost.clone(), Some(ErrorCode::NotFound)),
            (stranger.clone(), Some(ErrorCode::NotFound)),
            (erin.clone(), Some(ErrorCode::Forbidden)),
        ])
    );
    let members: BTreeSet<String> = member_arns(&w.c.msg, &w.channel, &w.owner)
        .await
        .into_iter()
        .collect();
    assert_eq!(
        members,
        [&w.owner, &w.bob, &w.carol, &dave]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );

    // Type HIDDEN.
    let frank = create_user(&w.c.id, &w.app, "frank").await;
    let out = ok(w
        .c
        .msg
        .batch_create_channel_membership()
        .channel_arn(&w.channel)
        .member_arns(&frank)
        .r#type(ChannelMembershipType::Hidden)
        .chime_bearer(&w.owner)
        .send()
        .await);
    assert_eq!(
        out.batch_channel_memberships().and_then(|b| b.r#type()),
        Some(&ChannelMembershipType::Hidden)
    );
    assert!(out.errors().is_empty());
    assert_eq!(
        member_arns_of(
            &w.c.msg,
            &w.channel,
            &w.owner,
            Some(ChannelMembershipType::Hidden)
        )
        .await,
        vec![frank]
    );

    // 1-100 MemberArns.
    assert_bad_request(
        w.c.msg
            .batch_create_channel_membership()
            .channel_arn(&w.channel)
            .set_member_arns(Some(vec![]))
            .chime_bearer(&w.owner)
            .send()
            .await,
        "MemberArns",
    );
    let many: Vec<String> = (0..101).map(|i| format!("{}/user/u{i}", w.app)).collect();
    assert_bad_request(
        w.c.msg
            .batch_create_channel_membership()
            .channel_arn(&w.channel)
            .set_member_arns(Some(many))
            .chime_bearer(&w.owner)
            .send()
            .await,
        "MemberArns",
    );
    let _ = &w.server;
}

#[tokio::test(flavor = "multi_thread")]
async fn memberships_page_oldest_first() {
    let w = world().await;
    let mut expected = vec![w.owner.clone()];
    for i in 0..6 {
        let u = create_user(&w.c.id, &w.app, &format!("m{i}")).await;
        add_member(&w.c.msg, &w.channel, &w.owner, &u).await;
        expected.push(u);
    }
    let (listed, pages) = all_pages(|token| {
        let req =
            w.c.msg
                .list_channel_memberships()
                .channel_arn(&w.channel)
                .chime_bearer(&w.owner)
                .max_results(3)
                .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            assert!(out.channel_memberships().len() <= 3);
            (
                out.channel_memberships()
                    .iter()
                    .map(|m| m.member().and_then(|i| i.arn()).unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(listed, expected);
    assert!((3..=4).contains(&pages), "{pages} pages");
    // A token of one channel is no good for another, nor for moderators.
    let token = ok(w
        .c
        .msg
        .list_channel_memberships()
        .channel_arn(&w.channel)
        .chime_bearer(&w.owner)
        .max_results(1)
        .send()
        .await)
    .next_token()
    .expect("NextToken")
    .to_string();
    let other = public_channel(&w.c.msg, &w.app, &w.owner).await;
    add_member(&w.c.msg, &other, &w.owner, &w.bob).await;
    assert_err(
        w.c.msg
            .list_channel_memberships()
            .channel_arn(&other)
            .chime_bearer(&w.owner)
            .max_results(1)
            .next_token(&token)
            .send()
            .await,
        "BadRequestException",
        400,
    );
    assert_err(
        w.c.msg
            .list_channel_moderators()
            .channel_arn(&w.channel)
            .chime_bearer(&w.owner)
            .max_results(1)
            .next_token(&token)
            .send()
            .await,
        "BadRequestException",
        400,
    );
    // Nor for the HIDDEN listing.
    assert_err(
        w.c.msg
            .list_channel_memberships()
            .channel_arn(&w.channel)
            .r#type(ChannelMembershipType::Hidden)
            .chime_bearer(&w.owner)
            .max_results(1)
            .next_token(&token)
            .send()
            .await,
        "BadRequestException",
        400,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sub_channels_are_refused_naming_the_member() {
    let w = world().await;
    let err = assert_err(
        w.c.msg
            .create_channel_membership()
            .channel_arn(&w.channel)
            .member_arn(&w.bob)
            .r#type(ChannelMembershipType::Default)
            .sub_channel_id("sub1")
            .chime_bearer(&w.owner)
            .send()
            .await,
        "BadRequestException",
        400,
    );
    assert_names(&err, "SubChannelId");
    let err = assert_err(
        w.c.msg
            .batch_create_channel_membership()
            .channel_arn(&w.channel)
            .member_arns(&w.bob)
            .sub_channel_id("sub1")
            .chime_bearer(&w.owner)
            .send()
            .await,
        "BadRequestException",
        400,
    );
    assert_names(&err, "SubChannelId");
    assert_eq!(
        member_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone()]
    );

    // The query parameter, on the reads and the delete.
    let named = |e: &ApiError| {
        assert!(
            e.message.contains("SubChannelId") || e.message.contains("sub-channel-id"),
            "{e:?}"
        )
    };
    named(&assert_err(
        w.c.msg
            .list_channel_memberships()
            .channel_arn(&w.channel)
            .sub_channel_id("sub1")
            .chime_bearer(&w.owner)
            .send()
            .await,
        "BadRequestException",
        400,
    ));
    named(&assert_err(
        w.c.msg
            .describe_channel_membership()
            .channel_arn(&w.channel)
            .member_arn(&w.owner)
            .sub_channel_id("sub1")
            .chime_bearer(&w.owner)
            .send()
            .await,
        "BadRequestException",
        400,
    ));
    add_member(&w.c.msg, &w.channel, &w.owner, &w.carol).await;
    named(&assert_err(
        w.c.msg
            .delete_channel_membership()
            .channel_arn(&w.channel)
            .member_arn(&w.carol)
            .sub_channel_id("sub1")
            .chime_bearer(&w.owner)
            .send()
            .await,
        "BadRequestException",
        400,
    ));
    // The refused delete changed nothing.
    assert_eq!(
        member_arns(&w.c.msg, &w.channel, &w.owner).await,
        vec![w.owner.clone(), w.carol.clone()]
    );
    named(&assert_err(
        w.c.msg
            .list_channel_messages()
            .channel_arn(&w.channel)
            .sub_channel_id("sub1")
            .chime_bearer(&w.owner)
            .send()
            .await,
        "BadRequestException",
        400,
    ));
}
