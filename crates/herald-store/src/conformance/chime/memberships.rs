//! Memberships, push preferences, moderators and bans.

use super::{Fixture, now, secs, sorted, user_ids};
use crate::StoreError;
use crate::chime::{AddOutcome, ChannelStanding, ChimeStore, MembershipType, PushPreference};

pub async fn add_members_outcomes(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let a = fx.user("a").await;
    let b = fx.user("b").await;
    let banned = fx.user("banned").await;
    let deleted = fx.user("deleted").await;
    let channel = fx.channel("c", &creator).await;
    store
        .ban(channel.seq, banned.seq, &fx.identity(&creator), now())
        .await
        .expect("ban");
    assert!(
        store
            .delete_app_instance_user(deleted.seq)
            .await
            .expect("del")
    );

    let inviter = fx.identity(&creator);
    let outcomes = store
        .add_members(
            channel.seq,
            &[a.seq, creator.seq, banned.seq, deleted.seq, b.seq, a.seq],
            MembershipType::Hidden,
            &inviter,
            secs(5),
        )
        .await
        .expect("add_members");
    assert_eq!(
        outcomes,
        vec![
            AddOutcome::Added,
            AddOutcome::AlreadyThere,
            AddOutcome::Banned,
            AddOutcome::NoSuchUser,
            AddOutcome::Added,
            AddOutcome::AlreadyThere,
        ],
        "one outcome per user, in order"
    );
    let added = fx.membership(&channel, &a).await.expect("a is a member");
    assert_eq!(
        (
            added.channel_seq,
            &added.member,
            added.membership_type,
            &added.invited_by,
            added.created,
            added.updated,
            added.push_preference.as_ref(),
        ),
        (
            channel.seq,
            &a,
            MembershipType::Hidden,
            &inviter,
            secs(5),
            secs(5),
            None,
        )
    );
    let kept = fx.membership(&channel, &creator).await.expect("creator");
    assert_eq!(
        kept.membership_type,
        MembershipType::Default,
        "an existing member is left as it is"
    );
    assert_eq!(fx.membership(&channel, &banned).await, None);
    assert_eq!(
        store
            .get_ban(channel.seq, banned.seq)
            .await
            .expect("ban")
            .map(|b| b.member),
        Some(banned.clone()),
        "the ban stays"
    );
    assert!(
        store
            .add_members(channel.seq, &[], MembershipType::Default, &inviter, now())
            .await
            .expect("nobody")
            .is_empty()
    );

    assert!(store.delete_channel(channel.seq).await.expect("del"));
    match store
        .add_members(
            channel.seq,
            &[b.seq],
            MembershipType::Default,
            &inviter,
            now(),
        )
        .await
    {
        Err(StoreError::Gone(_)) => {}
        other => panic!("deleted channel: expected Gone, got {other:?}"),
    }
}

pub async fn list_memberships_by_type(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let channel = fx.channel("c", &creator).await;
    let other = fx.channel("other", &creator).await;
    let mut users = Vec::new();
    for name in ["d1", "h1", "d2", "h2", "d3"] {
        let user = fx.user(name).await;
        let membership_type = if name.starts_with('d') {
            MembershipType::Default
        } else {
            MembershipType::Hidden
        };
        fx.add(&channel, &[&user], membership_type).await;
        users.push(user);
    }
    fx.add(&other, &[&users[0]], MembershipType::Hidden).await;

    let list = |membership_type: MembershipType, after: Option<i64>, limit: u32| async move {
        store
            .list_memberships(channel.seq, membership_type, after, limit)
            .await
            .expect("list_memberships")
    };
    let ids = |records: Vec<crate::chime::MembershipRecord>| {
        records
            .into_iter()
            .map(|m| m.member.user_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(list(MembershipType::Default, None, 50).await),
        vec!["creator", "d1", "d2", "d3"],
        "DEFAULT members only, oldest first"
    );
    assert_eq!(
        ids(list(MembershipType::Hidden, None, 50).await),
        vec!["h1", "h2"]
    );
    let page = list(MembershipType::Default, None, 2).await;
    assert_eq!(ids(page.clone()), vec!["creator", "d1"]);
    let rest = list(MembershipType::Default, Some(page[1].seq), 2).await;
    assert_eq!(ids(rest.clone()), vec!["d2", "d3"]);
    assert!(
        list(MembershipType::Default, Some(rest[1].seq), 2)
            .await
            .is_empty()
    );
    let full = list(MembershipType::Default, None, 50).await;
    assert_eq!(
        fx.membership(&channel, &users[2]).await.as_ref(),
        Some(&full[2]),
        "get and list agree"
    );
    let stranger = fx.user("stranger").await;
    assert_eq!(fx.membership(&channel, &stranger).await, None);

    // Removing and adding back puts the member last.
    assert!(
        store
            .remove_membership(channel.seq, users[0].seq)
            .await
            .expect("remove")
    );
    assert!(
        !store
            .remove_membership(channel.seq, users[0].seq)
            .await
            .expect("again")
    );
    assert!(
        !store
            .remove_membership(channel.seq, stranger.seq)
            .await
            .expect("never a member")
    );
    assert_eq!(
        ids(list(MembershipType::Default, None, 50).await),
        vec!["creator", "d2", "d3"]
    );
    fx.add(&channel, &[&users[0]], MembershipType::Default)
        .await;
    assert_eq!(
        ids(list(MembershipType::Default, None, 50).await),
        vec!["creator", "d2", "d3", "d1"]
    );
    assert!(
        fx.membership(&other, &users[0]).await.is_some(),
        "other channels are untouched"
    );
}

pub async fn push_preferences(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let member = fx.user("member").await;
    let stranger = fx.user("stranger").await;
    let channel = fx.channel("c", &creator).await;
    let other = fx.channel("other", &creator).await;
    fx.add(&channel, &[&member], MembershipType::Hidden).await;
    fx.add(&other, &[&member], MembershipType::Default).await;

    let set = |user_seq: i64, preference: PushPreference| async move {
        store
            .set_push_preference(channel.seq, user_seq, &preference, secs(10))
            .await
            .expect("set_push_preference")
    };
    let filtered = PushPreference::Filtered {
        rule: r#"{"urgent": ["yes"]}"#.to_owned(),
    };
    for preference in [PushPreference::All, filtered.clone(), PushPreference::None] {
        assert!(set(member.seq, preference.clone()).await);
        let membership = fx.membership(&channel, &member).await.expect("member");
        assert_eq!(membership.push_preference, Some(preference));
        assert_eq!(membership.membership_type, MembershipType::Hidden);
    }
    assert_eq!(
        fx.membership(&other, &member)
            .await
            .expect("member")
            .push_preference,
        None,
        "preferences are per channel"
    );

    // Not a member: nothing written.
    assert!(!set(stranger.seq, PushPreference::All).await);
    assert_eq!(fx.membership(&channel, &stranger).await, None);

    // Leaving takes the preference; joining again starts without one.
    assert!(set(member.seq, filtered).await);
    assert!(
        store
            .remove_membership(channel.seq, member.seq)
            .await
            .expect("remove")
    );
    assert!(!set(member.seq, PushPreference::All).await);
    fx.add(&channel, &[&member], MembershipType::Default).await;
    assert_eq!(
        fx.membership(&channel, &member)
            .await
            .expect("member")
            .push_preference,
        None
    );
}

pub async fn moderators(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let a = fx.user("a").await;
    let b = fx.user("b").await;
    let banned = fx.user("banned").await;
    let deleted = fx.user("deleted").await;
    let channel = fx.channel("c", &creator).await;
    let by = fx.identity(&creator);
    store
        .ban(channel.seq, banned.seq, &by, now())
        .await
        .expect("ban");
    assert!(
        store
            .delete_app_instance_user(deleted.seq)
            .await
            .expect("del")
    );

    let add = |user_seq: i64| {
        let by = by.clone();
        async move {
            store
                .add_moderator(channel.seq, user_seq, &by, secs(3))
                .await
                .expect("add_moderator")
        }
    };
    assert_eq!(add(a.seq).await, AddOutcome::Added);
    assert_eq!(add(a.seq).await, AddOutcome::AlreadyThere);
    assert_eq!(add(creator.seq).await, AddOutcome::AlreadyThere);
    assert_eq!(add(banned.seq).await, AddOutcome::Banned);
    assert_eq!(add(deleted.seq).await, AddOutcome::NoSuchUser);
    assert_eq!(add(b.seq).await, AddOutcome::Added);

    let list = |after: Option<i64>, limit: u32| async move {
        store
            .list_moderators(channel.seq, after, limit)
            .await
            .expect("list_moderators")
    };
    let all = list(None, 50).await;
    assert_eq!(
        all.iter()
            .map(|m| m.moderator.user_id.as_str())
            .collect::<Vec<_>>(),
        vec!["creator", "a", "b"],
        "oldest first"
    );
    let a_role = &all[1];
    assert_eq!(
        (
            a_role.channel_seq,
            &a_role.moderator,
            &a_role.created_by,
            a_role.created
        ),
        (channel.seq, &a, &by, secs(3))
    );
    assert_eq!(list(None, 1).await, all[..1].to_vec());
    assert_eq!(list(Some(all[0].seq), 5).await, all[1..].to_vec());

    // A moderator role alone does not make a member.
    let standing = store
        .channel_standing(fx.seq(), channel.seq, a.seq)
        .await
        .expect("standing");
    assert_eq!(
        standing,
        ChannelStanding {
            membership: None,
            moderator: true,
            banned: false,
            admin: false,
        }
    );

    assert!(
        store
            .remove_moderator(channel.seq, a.seq)
            .await
            .expect("remove")
    );
    assert!(
        !store
            .remove_moderator(channel.seq, a.seq)
            .await
            .expect("again")
    );
    assert_eq!(
        user_ids(list(None, 50).await.into_iter().map(|m| m.moderator)),
        sorted(&["b", "creator"])
    );
    assert!(fx.membership(&channel, &creator).await.is_some());
}

pub async fn bans(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let moderator = fx.user("moderator").await;
    let passerby = fx.user("passerby").await;
    let mut spec = fx.new_channel("c", &creator);
    spec.moderator_seqs = vec![moderator.seq];
    let channel = fx.create_channel(spec).await;
    assert!(
        store
            .set_push_preference(channel.seq, moderator.seq, &PushPreference::None, now())
            .await
            .expect("preference")
    );
    let by = fx.identity(&creator);

    // A ban takes membership (with preference) and moderator role.
    store
        .ban(channel.seq, moderator.seq, &by, secs(1))
        .await
        .expect("ban");
    assert_eq!(fx.membership(&channel, &moderator).await, None);
    assert_eq!(
        store
            .channel_standing(fx.seq(), channel.seq, moderator.seq)
            .await
            .expect("standing"),
        ChannelStanding {
            membership: None,
            moderator: false,
            banned: true,
            admin: false,
        }
    );
    let moderators = store
        .list_moderators(channel.seq, None, 10)
        .await
        .expect("moderators");
    assert_eq!(
        user_ids(moderators.into_iter().map(|m| m.moderator)),
        vec!["creator"]
    );
    let ban = store
        .get_ban(channel.seq, moderator.seq)
        .await
        .expect("get_ban")
        .expect("banned");
    assert_eq!(
        (ban.channel_seq, &ban.member, &ban.created_by, ban.created),
        (channel.seq, &moderator, &by, secs(1))
    );

    // Banning again keeps the first ban.
    store
        .ban(channel.seq, moderator.seq, &fx.identity(&passerby), secs(2))
        .await
        .expect("ban again");
    assert_eq!(
        store
            .get_ban(channel.seq, moderator.seq)
            .await
            .expect("get_ban")
            .as_ref(),
        Some(&ban)
    );
    // Non-members can be banned too.
    store
        .ban(channel.seq, passerby.seq, &by, secs(3))
        .await
        .expect("ban");
    let list = |after: Option<i64>, limit: u32| async move {
        store
            .list_bans(channel.seq, after, limit)
            .await
            .expect("list_bans")
    };
    let all = list(None, 10).await;
    assert_eq!(
        all.iter()
            .map(|b| b.member.user_id.as_str())
            .collect::<Vec<_>>(),
        vec!["moderator", "passerby"],
        "oldest first"
    );
    assert_eq!(all[0], ban);
    assert_eq!(list(None, 1).await, all[..1].to_vec());
    assert_eq!(list(Some(all[0].seq), 1).await, all[1..].to_vec());

    // Banned users cannot join, be made moderators or set preferences.
    let outcomes = store
        .add_members(
            channel.seq,
            &[moderator.seq],
            MembershipType::Default,
            &by,
            now(),
        )
        .await
        .expect("add");
    assert_eq!(outcomes, vec![AddOutcome::Banned]);
    assert_eq!(
        store
            .add_moderator(channel.seq, moderator.seq, &by, now())
            .await
            .expect("add_moderator"),
        AddOutcome::Banned
    );
    assert!(
        !store
            .set_push_preference(channel.seq, moderator.seq, &PushPreference::All, now())
            .await
            .expect("preference")
    );

    // Until unbanned; the old preference does not come back.
    assert!(
        store
            .unban(channel.seq, moderator.seq)
            .await
            .expect("unban")
    );
    assert!(
        !store
            .unban(channel.seq, moderator.seq)
            .await
            .expect("again")
    );
    assert_eq!(
        store
            .get_ban(channel.seq, moderator.seq)
            .await
            .expect("get_ban"),
        None
    );
    assert_eq!(list(None, 10).await, all[1..].to_vec());
    fx.add(&channel, &[&moderator], MembershipType::Default)
        .await;
    assert_eq!(
        fx.membership(&channel, &moderator)
            .await
            .expect("member")
            .push_preference,
        None
    );

    // Bans refer to live users and channels.
    let deleted = fx.user("deleted").await;
    assert!(
        store
            .delete_app_instance_user(deleted.seq)
            .await
            .expect("del")
    );
    match store.ban(channel.seq, deleted.seq, &by, now()).await {
        Err(StoreError::Gone(_)) => {}
        other => panic!("ban of a deleted user: expected Gone, got {other:?}"),
    }
    assert!(store.delete_channel(channel.seq).await.expect("del"));
    match store.ban(channel.seq, passerby.seq, &by, now()).await {
        Err(StoreError::Gone(_)) => {}
        other => panic!("ban in a deleted channel: expected Gone, got {other:?}"),
    }
}
