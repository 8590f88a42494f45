//! What deleting an app instance or a user takes with it, and what it
//! leaves.

use super::{Fixture, candidate_ids, delivery, now, push, sorted, user_ids};
use crate::chime::{
    ChannelPrivacy, ChannelStanding, ChimeStore, DeliveryState, MembershipType, MessageQuery,
    PushPreference,
};

/// Deleting an app instance takes everything in it except push deliveries,
/// and nothing of other app instances.
pub async fn delete_app_instance_cascades(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let keep = Fixture::new(store).await;
    let mut seqs = Vec::new();
    for f in [&fx, &keep] {
        let creator = f.user("creator").await;
        let member = f.user("member").await;
        let banned = f.user("banned").await;
        f.endpoint(&member, "e1", true).await;
        store
            .add_app_instance_admin(f.seq(), creator.seq, now())
            .await
            .expect("admin");
        let mut spec = f.new_channel("c", &creator);
        spec.member_seqs = vec![member.seq];
        let channel = f.create_channel(spec).await;
        store
            .ban(channel.seq, banned.seq, &f.identity(&creator), now())
            .await
            .expect("ban");
        let arn = f.channel_arn(&channel);
        let mut message = f.new_message(&channel, "m1", &creator);
        message.push = push();
        f.send(
            message,
            vec![delivery(
                &arn,
                "m1",
                "e1",
                &creator,
                DeliveryState::Recorded,
            )],
        )
        .await;
        seqs.push((creator, member, banned, channel, arn));
    }

    let (creator, member, banned, channel, arn) = &seqs[0];
    assert!(store.delete_app_instance(fx.seq()).await.expect("delete"));
    assert!(!store.delete_app_instance(fx.seq()).await.expect("again"));
    check_cascaded(store, &fx, creator.seq, member.seq, banned.seq, channel.seq).await;
    assert_eq!(
        store.list_deliveries(arn, "m1").await.expect("list").len(),
        1,
        "push deliveries outlive the app instance"
    );

    let (creator, member, banned, channel, _) = &seqs[1];
    let standing = store
        .channel_standing(keep.seq(), channel.seq, creator.seq)
        .await
        .expect("standing");
    assert_eq!(
        standing,
        ChannelStanding {
            membership: Some(MembershipType::Default),
            moderator: true,
            banned: false,
            admin: true,
        }
    );
    assert!(keep.membership(channel, member).await.is_some());
    assert!(
        store
            .get_ban(channel.seq, banned.seq)
            .await
            .expect("get_ban")
            .is_some()
    );
    assert_eq!(keep.messages(channel).await, vec!["m1"]);
    assert_eq!(
        store
            .list_endpoints(member.seq, None, 10)
            .await
            .expect("list")
            .len(),
        1
    );
}

async fn check_cascaded(
    store: &dyn ChimeStore,
    fx: &Fixture<'_>,
    creator: i64,
    member: i64,
    banned: i64,
    channel: i64,
) {
    assert_eq!(
        store
            .get_app_instance(fx.account(), &fx.app.id)
            .await
            .expect("get"),
        None
    );
    assert_eq!(
        store
            .get_app_instance_user(fx.seq(), "creator")
            .await
            .expect("get"),
        None
    );
    assert!(
        store
            .list_app_instance_users(fx.seq(), None, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .list_app_instance_admins(fx.seq(), None, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .list_endpoints(member, None, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(store.get_channel(fx.seq(), "c").await.expect("get"), None);
    for privacy in [ChannelPrivacy::Public, ChannelPrivacy::Private] {
        assert!(
            store
                .list_channels(fx.seq(), privacy, None, 10)
                .await
                .expect("list")
                .is_empty()
        );
    }
    assert!(
        store
            .list_memberships(channel, MembershipType::Default, None, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .list_moderators(channel, None, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(store.get_ban(channel, banned).await.expect("get"), None);
    assert_eq!(store.get_message(channel, "m1").await.expect("get"), None);
    let query = MessageQuery {
        ascending: false,
        not_before: None,
        not_after: None,
    };
    assert!(
        store
            .list_messages(channel, &query, None, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .push_audience(channel)
            .await
            .expect("audience")
            .candidates
            .is_empty()
    );
    assert_eq!(
        store
            .channel_standing(fx.seq(), channel, creator)
            .await
            .expect("standing"),
        ChannelStanding::default()
    );
}

/// Deleting a user takes its endpoints, admin role, memberships (with
/// preferences), moderator roles and bans; its messages stay.
pub async fn delete_user_cascades(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let gone = fx.user("gone").await;
    let stays = fx.user("stays").await;
    fx.endpoint(&gone, "e-gone", true).await;
    fx.endpoint(&stays, "e-stays", true).await;
    for user in [&gone, &stays] {
        store
            .add_app_instance_admin(fx.seq(), user.seq, now())
            .await
            .expect("admin");
    }
    let mut spec = fx.new_channel("c1", &stays);
    spec.moderator_seqs = vec![gone.seq];
    let c1 = fx.create_channel(spec).await;
    assert!(
        store
            .set_push_preference(c1.seq, gone.seq, &PushPreference::None, now())
            .await
            .expect("preference")
    );
    let c2 = fx.channel("c2", &stays).await;
    store
        .ban(c2.seq, gone.seq, &fx.identity(&stays), now())
        .await
        .expect("ban");
    let sent = fx
        .send(fx.new_message(&c1, "from-gone", &gone), vec![])
        .await;

    assert!(store.delete_app_instance_user(gone.seq).await.expect("del"));
    assert!(
        !store
            .delete_app_instance_user(gone.seq)
            .await
            .expect("again")
    );

    assert_eq!(
        store
            .get_app_instance_user(fx.seq(), "gone")
            .await
            .expect("get"),
        None
    );
    assert_eq!(
        store.get_endpoint(gone.seq, "e-gone").await.expect("get"),
        None
    );
    assert!(
        store
            .list_endpoints(gone.seq, None, 10)
            .await
            .expect("list")
            .is_empty()
    );
    let admins = store
        .list_app_instance_admins(fx.seq(), None, 10)
        .await
        .expect("admins");
    assert_eq!(user_ids(admins.into_iter().map(|a| a.user)), vec!["stays"]);
    assert_eq!(fx.membership(&c1, &gone).await, None);
    let members = store
        .list_memberships(c1.seq, MembershipType::Default, None, 10)
        .await
        .expect("members");
    assert_eq!(
        user_ids(members.into_iter().map(|m| m.member)),
        vec!["stays"]
    );
    let moderators = store
        .list_moderators(c1.seq, None, 10)
        .await
        .expect("moderators");
    assert_eq!(
        user_ids(moderators.into_iter().map(|m| m.moderator)),
        sorted(&["stays"])
    );
    assert_eq!(store.get_ban(c2.seq, gone.seq).await.expect("ban"), None);
    assert!(
        store
            .list_bans(c2.seq, None, 10)
            .await
            .expect("bans")
            .is_empty()
    );
    for channel in [&c1, &c2] {
        assert_eq!(
            store
                .channel_standing(fx.seq(), channel.seq, gone.seq)
                .await
                .expect("standing"),
            ChannelStanding::default()
        );
    }
    let audience = store.push_audience(c1.seq).await.expect("audience");
    assert_eq!(candidate_ids(&audience.candidates), vec!["stays"]);
    assert_eq!(
        store
            .get_message(c1.seq, "from-gone")
            .await
            .expect("message"),
        Some(sent),
        "messages keep their sender"
    );
    assert!(
        store
            .get_endpoint(stays.seq, "e-stays")
            .await
            .expect("get")
            .is_some()
    );
}
