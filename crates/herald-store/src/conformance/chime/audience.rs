//! The push audience's version and its change log: every write that
//! changes who a push reaches is seen, and an audience kept from an older
//! version is brought up to date from what changed alone.

use super::{Fixture, candidate_ids, now};
use crate::chime::{
    AUDIENCE_CHANGES_KEPT, ChimeStore, EndpointUpdate, MembershipType, PushAudience, PushPreference,
};

/// An audience kept as a node keeps it, and brought up to date after each
/// change from the change log alone.
struct Kept<'a> {
    store: &'a dyn ChimeStore,
    channel_seq: i64,
    audience: PushAudience,
}

impl<'a> Kept<'a> {
    async fn read(store: &'a dyn ChimeStore, channel_seq: i64) -> Kept<'a> {
        let audience = store.push_audience(channel_seq).await.expect("audience");
        Kept {
            store,
            channel_seq,
            audience,
        }
    }

    /// After `what`: the version moved on, and the kept audience patched
    /// with the logged changes is what a whole read gives.
    async fn catch_up(&mut self, what: &str) {
        let whole = self
            .store
            .push_audience(self.channel_seq)
            .await
            .expect("audience");
        assert!(
            whole.version > self.audience.version,
            "{what} did not bump the audience version"
        );
        let changes = self
            .store
            .push_audience_changes(self.channel_seq, self.audience.version)
            .await
            .expect("push_audience_changes")
            .unwrap_or_else(|| panic!("after {what}, the change log does not reach back"));
        let patched = self.audience.patched(changes);
        assert_eq!(patched, whole, "patched after {what}");
        self.audience = patched;
    }
}

/// Every write that changes who a push reaches bumps the channel's
/// audience version (and only its own channels'), the audience is read
/// with the version it is as of, and the change log brings an audience
/// kept from before each write up to date.
pub async fn audience_version_follows_the_audience(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let bob = fx.user("bob").await;
    let carol = fx.user("carol").await;
    let channel = fx.channel("c", &creator).await;
    fx.channel("elsewhere", &carol).await;
    let app_seq = fx.seq();
    let version = move |channel_id: &'static str| async move {
        store
            .get_channel(app_seq, channel_id)
            .await
            .expect("get_channel")
            .expect("channel")
            .audience_version
    };
    let mut kept = Kept::read(store, channel.seq).await;
    assert_eq!(
        kept.audience.version,
        version("c").await,
        "read with its version"
    );
    let untouched = version("elsewhere").await;

    fx.add(&channel, &[&bob], MembershipType::Default).await;
    kept.catch_up("adding a member").await;
    store
        .set_push_preference(channel.seq, bob.seq, &PushPreference::None, now())
        .await
        .expect("set_push_preference");
    kept.catch_up("a preference").await;
    let endpoint = fx.endpoint(&bob, "bob-1", true).await;
    kept.catch_up("registering an endpoint").await;
    fx.endpoint(&bob, "bob-2", true).await;
    kept.catch_up("a second endpoint").await;
    let update = EndpointUpdate {
        name: None,
        allow_messages: Some(false),
    };
    store
        .update_endpoint(bob.seq, &endpoint.endpoint_id, &update, now())
        .await
        .expect("update_endpoint");
    kept.catch_up("an endpoint's AllowMessages").await;
    assert!(
        store
            .deregister_endpoint(bob.seq, &endpoint.endpoint_id)
            .await
            .expect("deregister_endpoint")
    );
    kept.catch_up("deregistering an endpoint").await;
    assert!(
        store
            .remove_membership(channel.seq, bob.seq)
            .await
            .expect("remove_membership")
    );
    kept.catch_up("removing a member").await;
    fx.add(&channel, &[&bob], MembershipType::Default).await;
    kept.catch_up("adding again").await;
    fx.add(&channel, &[&carol], MembershipType::Hidden).await;
    kept.catch_up("adding carol").await;
    store
        .ban(channel.seq, bob.seq, &fx.identity(&creator), now())
        .await
        .expect("ban");
    kept.catch_up("a ban").await;
    assert!(
        store
            .delete_app_instance_user(carol.seq)
            .await
            .expect("delete_app_instance_user")
    );
    kept.catch_up("deleting a member's user").await;

    // Nothing of this touched the other channel but carol's own leaving it.
    assert!(version("elsewhere").await > untouched);
    assert_eq!(kept.audience.version, version("c").await);
    assert_eq!(candidate_ids(&kept.audience.candidates), vec!["creator"]);
}

/// The change log answers for the last [`AUDIENCE_CHANGES_KEPT`] versions
/// of a channel and for no other: an older audience, a version the channel
/// never had and a deleted channel must be read whole.
pub async fn audience_changes_reach_back_a_bounded_way(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let creator = fx.user("creator").await;
    let member = fx.user("member").await;
    let channel = fx.channel("c", &creator).await;
    fx.add(&channel, &[&member], MembershipType::Default).await;
    fx.endpoint(&member, "member-1", true).await;
    let changes = |since: i64| async move {
        store
            .push_audience_changes(channel.seq, since)
            .await
            .expect("push_audience_changes")
    };
    let start = store.push_audience(channel.seq).await.expect("audience");
    let unchanged = changes(start.version).await.expect("current");
    assert_eq!(
        (
            unchanged.version,
            unchanged.users.len(),
            unchanged.candidates.len()
        ),
        (start.version, 0, 0),
        "nothing changed at the current version"
    );
    assert!(
        changes(start.version + 1).await.is_none(),
        "a version to come"
    );

    // One version per write, membership and endpoint writes taking turns
    // (each kind of trigger drops what falls out of the window); the last
    // KEPT - 1 leave the start inside it, one more pushes it out.
    let preferences = [PushPreference::None, PushPreference::All];
    for i in 0..AUDIENCE_CHANGES_KEPT - 1 {
        if i % 2 == 0 {
            store
                .set_push_preference(
                    channel.seq,
                    member.seq,
                    &preferences[i as usize % 4 / 2],
                    now(),
                )
                .await
                .expect("set_push_preference");
        } else {
            let update = EndpointUpdate {
                name: None,
                allow_messages: Some(i % 4 == 1),
            };
            store
                .update_endpoint(member.seq, "member-1", &update, now())
                .await
                .expect("update_endpoint")
                .expect("the endpoint");
        }
    }
    let whole = store.push_audience(channel.seq).await.expect("audience");
    assert_eq!(whole.version, start.version + AUDIENCE_CHANGES_KEPT - 1);
    let changes_since_start = changes(start.version).await.expect("still kept");
    assert_eq!(changes_since_start.users, vec![member.seq]);
    assert_eq!(start.patched(changes_since_start), whole);
    // An endpoint's write, which drops exactly the version now too old.
    let update = EndpointUpdate {
        name: None,
        allow_messages: Some(true),
    };
    store
        .update_endpoint(member.seq, "member-1", &update, now())
        .await
        .expect("update_endpoint")
        .expect("the endpoint");
    // Every version up to the start has fallen out, whichever kind of
    // write dropped it.
    for version in 1..=start.version {
        assert!(
            changes(version).await.is_none(),
            "{version} is still logged"
        );
    }
    assert!(
        changes(start.version + 1).await.is_some(),
        "the oldest kept"
    );

    let version = store
        .push_audience(channel.seq)
        .await
        .expect("audience")
        .version;
    assert!(
        store
            .delete_channel(channel.seq)
            .await
            .expect("delete_channel")
    );
    assert!(
        store
            .push_audience_changes(channel.seq, version)
            .await
            .expect("push_audience_changes")
            .is_none(),
        "a deleted channel has no log"
    );
}
