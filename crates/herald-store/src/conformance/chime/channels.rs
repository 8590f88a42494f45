//! Channels: create (with creator, members and moderators), read, list,
//! delete, and a user's standing.

use super::{Fixture, claim, created, delivery, now, push, replayed, secs, sorted, user_ids};
use crate::StoreError;
use crate::chime::{
    ChannelMode, ChannelPrivacy, ChannelStanding, ChimeStore, DeliveryState, MembershipType,
    PushPreference,
};
use crate::conformance::unique;

pub async fn channels(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let other = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let m1 = fx.user("m1").await;
    let m2 = fx.user("m2").await;
    let mod1 = fx.user("mod1").await;
    let outsider = fx.user("outsider").await;

    let mut spec = fx.new_channel("c1", &creator);
    spec.mode = ChannelMode::Restricted;
    spec.privacy = ChannelPrivacy::Private;
    spec.metadata = "meta".to_owned();
    spec.created = secs(-30);
    // Duplicates, and a user both member and moderator, are harmless.
    spec.member_seqs = vec![m1.seq, m2.seq, m1.seq, creator.seq];
    spec.moderator_seqs = vec![mod1.seq, m1.seq];
    let c1 = fx.create_channel(spec.clone()).await;
    assert_eq!(
        (
            c1.app_instance_seq,
            &c1.channel_id,
            &c1.name,
            c1.mode,
            c1.privacy,
            &c1.metadata,
            &c1.created_by,
            c1.created,
            c1.updated,
            c1.last_message,
        ),
        (
            fx.seq(),
            &spec.channel_id,
            &spec.name,
            ChannelMode::Restricted,
            ChannelPrivacy::Private,
            &spec.metadata,
            &spec.created_by,
            spec.created,
            spec.created,
            None,
        )
    );
    let get = |app: i64, id: &'static str| async move {
        store.get_channel(app, id).await.expect("get_channel")
    };
    assert_eq!(get(fx.seq(), "c1").await.as_ref(), Some(&c1));
    assert_eq!(get(other.seq(), "c1").await, None, "found only in its app");
    assert_eq!(get(fx.seq(), "nope").await, None);

    // Creator, members and moderators are DEFAULT members, invited by the
    // creator; creator and moderators are moderators.
    let members = store
        .list_memberships(c1.seq, MembershipType::Default, None, 50)
        .await
        .expect("members");
    assert_eq!(
        user_ids(members.iter().map(|m| m.member.clone())),
        sorted(&["creator", "m1", "m2", "mod1"])
    );
    for membership in &members {
        assert_eq!(membership.channel_seq, c1.seq);
        assert_eq!(membership.membership_type, MembershipType::Default);
        assert_eq!(membership.invited_by, spec.created_by);
        assert_eq!(
            (membership.created, membership.push_preference.as_ref()),
            (spec.created, None)
        );
    }
    assert!(
        store
            .list_memberships(c1.seq, MembershipType::Hidden, None, 50)
            .await
            .expect("hidden")
            .is_empty()
    );
    let moderators = store
        .list_moderators(c1.seq, None, 50)
        .await
        .expect("moderators");
    assert_eq!(
        user_ids(moderators.iter().map(|m| m.moderator.clone())),
        sorted(&["creator", "m1", "mod1"])
    );
    for moderator in &moderators {
        assert_eq!(
            (
                &moderator.created_by,
                moderator.created,
                moderator.channel_seq
            ),
            (&spec.created_by, spec.created, c1.seq)
        );
    }

    // A taken channel id is a conflict (with a fresh token) and changes
    // nothing: the users it lists do not join.
    let mut clash = fx.new_channel("c1", &outsider);
    clash.member_seqs = vec![outsider.seq];
    match store.create_channel(clash, fx.claim("CreateChannel")).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("taken channel id: expected Conflict, got {other:?}"),
    }
    assert_eq!(get(fx.seq(), "c1").await.as_ref(), Some(&c1));
    assert_eq!(fx.membership(&c1, &outsider).await, None);
    // Channel ids are unique per app instance only.
    let other_creator = other.user("creator").await;
    other.channel("c1", &other_creator).await;

    // A retried create names the first channel and writes nothing; the
    // token with another request is a conflict.
    let token = unique("token");
    let mut first = fx.new_channel("c2", &creator);
    first.member_seqs = vec![m1.seq];
    let c2 = created(
        store
            .create_channel(
                first,
                claim(fx.account(), "CreateChannel", &token, "a", now()),
            )
            .await,
        "create with token",
    );
    let mut retry = fx.new_channel("c3", &creator);
    retry.member_seqs = vec![outsider.seq];
    let again = store
        .create_channel(
            retry.clone(),
            claim(fx.account(), "CreateChannel", &token, "a", secs(1)),
        )
        .await;
    assert_eq!(replayed(again), c2.channel_id);
    assert_eq!(get(fx.seq(), "c3").await, None);
    let conflict = store
        .create_channel(
            retry,
            claim(fx.account(), "CreateChannel", &token, "b", secs(2)),
        )
        .await;
    assert!(
        matches!(conflict, Err(StoreError::Conflict(_))),
        "{conflict:?}"
    );
    assert_eq!(get(fx.seq(), "c3").await, None);

    // A user deleted meanwhile: Gone, and no channel.
    let doomed = fx.user("doomed").await;
    assert!(
        store
            .delete_app_instance_user(doomed.seq)
            .await
            .expect("del")
    );
    let mut late = fx.new_channel("c4", &creator);
    late.member_seqs = vec![m1.seq, doomed.seq];
    match store.create_channel(late, fx.claim("CreateChannel")).await {
        Err(StoreError::Gone(_)) => {}
        other => panic!("deleted member: expected Gone, got {other:?}"),
    }
    assert_eq!(get(fx.seq(), "c4").await, None);
    let mut late = fx.new_channel("c5", &creator);
    late.moderator_seqs = vec![doomed.seq];
    match store.create_channel(late, fx.claim("CreateChannel")).await {
        Err(StoreError::Gone(_)) => {}
        other => panic!("deleted moderator: expected Gone, got {other:?}"),
    }
    assert_eq!(get(fx.seq(), "c5").await, None);

    // A deleted app instance takes no channels.
    assert!(store.delete_app_instance(other.seq()).await.expect("del"));
    match store
        .create_channel(
            other.new_channel("late", &other_creator),
            other.claim("CreateChannel"),
        )
        .await
    {
        Err(StoreError::Gone(_)) => {}
        other => panic!("channel in a deleted app instance: expected Gone, got {other:?}"),
    }
}

pub async fn list_channels(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let other = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let mut public = Vec::new();
    let mut private = Vec::new();
    for i in 0..5 {
        let mut spec = fx.new_channel(&format!("c{i}"), &creator);
        spec.privacy = if i % 2 == 0 {
            ChannelPrivacy::Public
        } else {
            ChannelPrivacy::Private
        };
        let channel = fx.create_channel(spec).await;
        match channel.privacy {
            ChannelPrivacy::Public => public.push(channel),
            ChannelPrivacy::Private => private.push(channel),
        }
    }
    let other_creator = other.user("creator").await;
    other.channel("elsewhere", &other_creator).await;

    let list = |privacy: ChannelPrivacy, after: Option<i64>, limit: u32| async move {
        store
            .list_channels(fx.app.seq, privacy, after, limit)
            .await
            .expect("list_channels")
    };
    assert_eq!(list(ChannelPrivacy::Public, None, 50).await, public);
    assert_eq!(list(ChannelPrivacy::Private, None, 50).await, private);
    let page = list(ChannelPrivacy::Public, None, 2).await;
    assert_eq!(page, public[..2].to_vec(), "oldest first, limited");
    assert_eq!(
        list(ChannelPrivacy::Public, Some(page[1].seq), 2).await,
        public[2..].to_vec()
    );
    assert!(
        list(ChannelPrivacy::Public, Some(public[2].seq), 2)
            .await
            .is_empty()
    );
}

pub async fn channel_standing(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let member = fx.user("member").await;
    let hidden = fx.user("hidden").await;
    let admin = fx.user("admin").await;
    let admin_member = fx.user("admin-member").await;
    let banned = fx.user("banned").await;
    let stranger = fx.user("stranger").await;
    let mut spec = fx.new_channel("c", &creator);
    spec.member_seqs = vec![member.seq, admin_member.seq];
    let channel = fx.create_channel(spec).await;
    let elsewhere = fx.channel("elsewhere", &stranger).await;
    fx.add(&channel, &[&hidden], MembershipType::Hidden).await;
    for user in [&admin, &admin_member] {
        store
            .add_app_instance_admin(fx.seq(), user.seq, now())
            .await
            .expect("admin");
    }
    store
        .ban(channel.seq, banned.seq, &fx.identity(&creator), now())
        .await
        .expect("ban");

    let standing = |channel_seq: i64, user_seq: i64| async move {
        store
            .channel_standing(fx.app.seq, channel_seq, user_seq)
            .await
            .expect("standing")
    };
    let expect = |membership, moderator, banned, admin| ChannelStanding {
        membership,
        moderator,
        banned,
        admin,
    };
    let default = Some(MembershipType::Default);
    assert_eq!(
        standing(channel.seq, creator.seq).await,
        expect(default, true, false, false)
    );
    assert_eq!(
        standing(channel.seq, member.seq).await,
        expect(default, false, false, false)
    );
    assert_eq!(
        standing(channel.seq, hidden.seq).await,
        expect(Some(MembershipType::Hidden), false, false, false)
    );
    assert_eq!(
        standing(channel.seq, admin.seq).await,
        expect(None, false, false, true)
    );
    assert_eq!(
        standing(channel.seq, admin_member.seq).await,
        expect(default, false, false, true)
    );
    assert_eq!(
        standing(channel.seq, banned.seq).await,
        expect(None, false, true, false)
    );
    assert_eq!(
        standing(channel.seq, stranger.seq).await,
        ChannelStanding::default()
    );
    // Standing is per channel; admin is per app instance.
    assert_eq!(
        standing(elsewhere.seq, creator.seq).await,
        ChannelStanding::default()
    );
    assert_eq!(
        standing(elsewhere.seq, stranger.seq).await,
        expect(default, true, false, false)
    );
    assert_eq!(
        standing(elsewhere.seq, admin.seq).await,
        expect(None, false, false, true)
    );
    let other = Fixture::new(store).await;
    assert!(
        !store
            .channel_standing(other.seq(), channel.seq, admin.seq)
            .await
            .expect("standing")
            .admin,
        "an admin of another app instance is no admin here"
    );
    assert_eq!(
        standing(channel.seq, i64::MAX).await,
        ChannelStanding::default(),
        "no such user"
    );
}

/// Deleting a channel takes its memberships (with preferences),
/// moderators, bans and messages; push deliveries stay, as do the users.
pub async fn delete_channel_cascades(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let member = fx.user("member").await;
    let banned = fx.user("banned").await;
    let mut spec = fx.new_channel("c", &creator);
    spec.member_seqs = vec![member.seq];
    let channel = fx.create_channel(spec.clone()).await;
    let mut kept_spec = fx.new_channel("kept", &creator);
    kept_spec.member_seqs = vec![member.seq];
    let kept = fx.create_channel(kept_spec).await;
    assert!(
        store
            .set_push_preference(channel.seq, member.seq, &PushPreference::None, now())
            .await
            .expect("preference")
    );
    store
        .ban(channel.seq, banned.seq, &fx.identity(&creator), now())
        .await
        .expect("ban");
    let arn = fx.channel_arn(&channel);
    let mut message = fx.new_message(&channel, "m1", &creator);
    message.push = push();
    fx.send(
        message,
        vec![delivery(&arn, "m1", "e", &creator, DeliveryState::Recorded)],
    )
    .await;
    fx.send(fx.new_message(&kept, "k1", &creator), vec![]).await;

    assert!(store.delete_channel(channel.seq).await.expect("delete"));
    assert!(!store.delete_channel(channel.seq).await.expect("again"));
    assert_eq!(store.get_channel(fx.seq(), "c").await.expect("get"), None);
    for membership_type in [MembershipType::Default, MembershipType::Hidden] {
        assert!(
            store
                .list_memberships(channel.seq, membership_type, None, 10)
                .await
                .expect("list")
                .is_empty()
        );
    }
    assert_eq!(fx.membership(&channel, &member).await, None);
    assert!(
        store
            .list_moderators(channel.seq, None, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .list_bans(channel.seq, None, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store.get_message(channel.seq, "m1").await.expect("get"),
        None
    );
    assert!(fx.messages(&channel).await.is_empty());
    assert!(
        store
            .push_audience(channel.seq)
            .await
            .expect("audience")
            .candidates
            .is_empty()
    );
    for user in [&creator, &member, &banned] {
        assert_eq!(
            store
                .channel_standing(fx.seq(), channel.seq, user.seq)
                .await
                .expect("standing"),
            ChannelStanding::default()
        );
    }
    assert_eq!(
        store.list_deliveries(&arn, "m1").await.expect("list").len(),
        1,
        "push deliveries outlive the channel"
    );
    // A deleted channel takes no preference.
    assert!(
        !store
            .set_push_preference(channel.seq, member.seq, &PushPreference::All, now())
            .await
            .expect("preference")
    );

    // The users and the other channel are untouched.
    assert!(
        store
            .get_app_instance_user(fx.seq(), "member")
            .await
            .expect("get")
            .is_some()
    );
    assert!(fx.membership(&kept, &member).await.is_some());
    assert_eq!(fx.messages(&kept).await, vec!["k1"]);

    // The id is free again, with nothing of the old channel.
    let again = fx.create_channel(spec).await;
    assert_ne!(again.seq, channel.seq);
    assert!(fx.messages(&again).await.is_empty());
    assert_eq!(
        fx.membership(&again, &member)
            .await
            .map(|m| m.push_preference),
        Some(None)
    );
}
