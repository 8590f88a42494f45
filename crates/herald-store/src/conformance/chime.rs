//! The conformance suite every [`ChimeStore`] implementation must pass.
//!
//! As for Connect: each test is a `pub async fn(&dyn ChimeStore)`, to run
//! one by one on fresh stores or all in sequence on one store with
//! [`run_all`]. Every test makes its own app instances in an account of its
//! own, so tests do not see each other's records, and the suite passes
//! every time around 2030-01-01. Two operations reach across the whole
//! store, so their tests live in years no other test uses:
//! `forget_request_claims` (2005) and `claim_due_deliveries` (2010). Every
//! other test sends its pending deliveries in 2030, after every cutoff used
//! there, and the 2010 test leaves nothing pending behind.
//!
//! Conventions the suite pins down beyond the trait's doc comments:
//! - records created together (a channel's creator, members and
//!   moderators) are listed in some order, each once; the suite compares
//!   them as sets;
//! - adding the same user twice in one `add_members` call adds it once:
//!   the second outcome is `AlreadyThere`;
//! - a delivery is due when its `next_attempt` is at or before `now`.

mod audience;
mod cascades;
mod channels;
mod deliveries;
mod endpoints;
mod identity;
mod memberships;
mod messages;

use std::fmt::Debug;

use jiff::Timestamp;

use super::{BASE_MS, SECOND, at_ms, t, unique};
use crate::chime::{
    AppInstanceRecord, AppInstanceUserRecord, Attributes, ChannelMode, ChannelPrivacy,
    ChannelRecord, ChimeStore, Created, DeliveryState, EndpointRecord, EndpointType,
    IdentitySnapshot, MembershipRecord, MembershipType, MessageQuery, MessageRecord,
    NewAppInstance, NewAppInstanceUser, NewChannel, NewDelivery, NewEndpoint, NewMessage,
    PushNotification, PushType, RequestClaim,
};
use crate::{StoreResult, Tags};

pub use audience::{
    audience_changes_reach_back_a_bounded_way, audience_version_follows_the_audience,
};
pub use cascades::{delete_app_instance_cascades, delete_user_cascades};
pub use channels::{channel_standing, channels, delete_channel_cascades, list_channels};
pub use deliveries::{delivery_leases, forget_request_claims, list_deliveries};
pub use endpoints::endpoints;
pub use identity::{
    admins, app_instance_users, app_instances, concurrent_request_claims, request_claims,
};
pub use memberships::{
    add_members_outcomes, bans, list_memberships_by_type, moderators, push_preferences,
};
pub use messages::{
    list_messages, non_persistent_messages, push_audience, send_message,
    send_message_rechecks_membership,
};

/// Every test of the suite, in sequence, on one store.
pub async fn run_all<S: ChimeStore>(store: &S) {
    let store: &dyn ChimeStore = store;
    crate::__chime_conformance!(run(store));
}

/// As [`crate::connect_conformance_tests!`], for the Chime suite: one
/// `#[tokio::test]` per test on a fresh store from `$fresh`, and
/// `run_all_on_one_store`.
#[macro_export]
macro_rules! chime_conformance_tests {
    ($fresh:path) => {
        $crate::__chime_conformance!(tests($fresh));
    };
}

/// The one list of the Chime suite's tests, in run order, handed to
/// [`run_all`] and [`chime_conformance_tests!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __chime_conformance {
    ($mode:ident $args:tt) => {
        $crate::__chime_conformance!(@$mode $args
            app_instances,
            app_instance_users,
            request_claims,
            concurrent_request_claims,
            admins,
            delete_app_instance_cascades,
            delete_user_cascades,
            endpoints,
            channels,
            list_channels,
            channel_standing,
            delete_channel_cascades,
            add_members_outcomes,
            list_memberships_by_type,
            push_preferences,
            moderators,
            bans,
            push_audience,
            send_message,
            send_message_rechecks_membership,
            audience_version_follows_the_audience,
            audience_changes_reach_back_a_bounded_way,
            non_persistent_messages,
            list_messages,
            list_deliveries,
            delivery_leases,
            forget_request_claims,
        );
    };
    (@run($store:expr) $($name:ident,)*) => {
        $($crate::conformance::chime::$name($store).await;)*
    };
    (@tests($fresh:path) $($name:ident,)*) => {
        $crate::__conformance_test!(
            $fresh,
            run_all_on_one_store,
            $crate::conformance::chime::run_all
        );
        $($crate::__conformance_test!($fresh, $name, $crate::conformance::chime::$name);)*
    };
}

/// 2030-01-01T00:00:00Z, the suite's "now", as [`super::now`].
fn now() -> Timestamp {
    at_ms(BASE_MS)
}

/// The record a create made, failing the test on anything else.
fn created<T: Debug>(outcome: StoreResult<Created<T>>, what: &str) -> T {
    match outcome {
        Ok(Created::New(record)) => record,
        other => panic!("{what}: expected Created::New, got {other:?}"),
    }
}

fn replayed<T: Debug>(outcome: StoreResult<Created<T>>) -> String {
    match outcome {
        Ok(Created::Replayed { resource_id }) => resource_id,
        other => panic!("expected Created::Replayed, got {other:?}"),
    }
}

/// One fresh app instance in an account of its own, with helpers that fail
/// the test on any store error. (Also the SQLite upgrade tests' Chime
/// setup.)
pub(crate) struct Fixture<'s> {
    store: &'s dyn ChimeStore,
    app: AppInstanceRecord,
}

impl<'s> Fixture<'s> {
    pub(crate) async fn new(store: &'s dyn ChimeStore) -> Self {
        Self::in_account(store, &unique("acct")).await
    }

    async fn in_account(store: &'s dyn ChimeStore, account_id: &str) -> Self {
        let app = created(
            store
                .create_app_instance(
                    new_app_instance(account_id, now()),
                    claim(
                        account_id,
                        "CreateAppInstance",
                        &unique("token"),
                        "d",
                        now(),
                    ),
                )
                .await,
            "create_app_instance",
        );
        Fixture { store, app }
    }

    fn seq(&self) -> i64 {
        self.app.seq
    }

    fn account(&self) -> &str {
        &self.app.account_id
    }

    fn arn(&self) -> String {
        format!(
            "arn:aws:chime:us-east-1:{}:app-instance/{}",
            self.app.account_id, self.app.id
        )
    }

    /// A claim with a token of its own, made now.
    fn claim(&self, operation: &'static str) -> RequestClaim {
        claim(self.account(), operation, &unique("token"), "digest", now())
    }

    fn new_user(&self, user_id: &str) -> NewAppInstanceUser {
        NewAppInstanceUser {
            app_instance_seq: self.app.seq,
            user_id: user_id.to_owned(),
            name: format!("name of {user_id}"),
            metadata: format!("metadata of {user_id}"),
            tags: Tags::new(),
            created: now(),
        }
    }

    pub(crate) async fn user(&self, user_id: &str) -> AppInstanceUserRecord {
        created(
            self.store
                .create_app_instance_user(
                    self.new_user(user_id),
                    self.claim("CreateAppInstanceUser"),
                )
                .await,
            "create_app_instance_user",
        )
    }

    fn identity(&self, user: &AppInstanceUserRecord) -> IdentitySnapshot {
        IdentitySnapshot {
            arn: format!("{}/user/{}", self.arn(), user.user_id),
            name: user.name.clone(),
        }
    }

    fn new_endpoint(&self, user: &AppInstanceUserRecord, endpoint_id: &str) -> NewEndpoint {
        NewEndpoint {
            user_seq: user.seq,
            endpoint_id: endpoint_id.to_owned(),
            name: format!("device {endpoint_id}"),
            endpoint_type: EndpointType::Gcm,
            resource_arn: "arn:aws:mobiletargeting:us-east-1:000000000000:apps/app".to_owned(),
            device_token: format!("token-{endpoint_id}"),
            voip_device_token: None,
            allow_messages: true,
            created: now(),
        }
    }

    async fn endpoint(
        &self,
        user: &AppInstanceUserRecord,
        endpoint_id: &str,
        allow_messages: bool,
    ) -> EndpointRecord {
        let spec = NewEndpoint {
            allow_messages,
            ..self.new_endpoint(user, endpoint_id)
        };
        created(
            self.store
                .register_endpoint(spec, self.claim("RegisterAppInstanceUserEndpoint"))
                .await,
            "register_endpoint",
        )
    }

    /// A public, unrestricted channel with only its creator.
    fn new_channel(&self, channel_id: &str, creator: &AppInstanceUserRecord) -> NewChannel {
        NewChannel {
            app_instance_seq: self.app.seq,
            channel_id: channel_id.to_owned(),
            name: format!("channel {channel_id}"),
            mode: ChannelMode::Unrestricted,
            privacy: ChannelPrivacy::Public,
            metadata: String::new(),
            tags: Tags::new(),
            created_by: self.identity(creator),
            created: now(),
            creator_seq: creator.seq,
            member_seqs: Vec::new(),
            moderator_seqs: Vec::new(),
        }
    }

    async fn create_channel(&self, spec: NewChannel) -> ChannelRecord {
        created(
            self.store
                .create_channel(spec, self.claim("CreateChannel"))
                .await,
            "create_channel",
        )
    }

    pub(crate) async fn channel(
        &self,
        channel_id: &str,
        creator: &AppInstanceUserRecord,
    ) -> ChannelRecord {
        self.create_channel(self.new_channel(channel_id, creator))
            .await
    }

    fn channel_arn(&self, channel: &ChannelRecord) -> String {
        format!("{}/channel/{}", self.arn(), channel.channel_id)
    }

    /// Adds the users as members, checking that each was added.
    pub(crate) async fn add(
        &self,
        channel: &ChannelRecord,
        users: &[&AppInstanceUserRecord],
        membership_type: MembershipType,
    ) {
        let seqs: Vec<i64> = users.iter().map(|u| u.seq).collect();
        let outcomes = self
            .store
            .add_members(
                channel.seq,
                &seqs,
                membership_type,
                &IdentitySnapshot {
                    arn: "arn:inviter".to_owned(),
                    name: "inviter".to_owned(),
                },
                now(),
            )
            .await
            .expect("add_members");
        assert!(
            outcomes
                .iter()
                .all(|o| *o == crate::chime::AddOutcome::Added),
            "{outcomes:?}"
        );
    }

    async fn membership(
        &self,
        channel: &ChannelRecord,
        user: &AppInstanceUserRecord,
    ) -> Option<MembershipRecord> {
        self.store
            .get_membership(channel.seq, user.seq)
            .await
            .expect("get_membership")
    }

    /// A persistent STANDARD message from `sender`, created now, without a
    /// push.
    fn new_message(
        &self,
        channel: &ChannelRecord,
        message_id: &str,
        sender: &AppInstanceUserRecord,
    ) -> NewMessage {
        NewMessage {
            channel_seq: channel.seq,
            message_id: message_id.to_owned(),
            content: format!("content of {message_id}"),
            metadata: String::new(),
            message_type: "STANDARD".to_owned(),
            persistent: true,
            content_type: String::new(),
            attributes: Attributes::new(),
            push: None,
            sender: self.identity(sender),
            sender_seq: sender.seq,
            audience_version: None,
            created: now(),
        }
    }

    async fn send(&self, message: NewMessage, deliveries: Vec<NewDelivery>) -> MessageRecord {
        created(
            self.store
                .send_message(message, deliveries, self.claim("SendChannelMessage"))
                .await,
            "send_message",
        )
    }

    /// All persistent messages, oldest first.
    async fn messages(&self, channel: &ChannelRecord) -> Vec<String> {
        let query = MessageQuery {
            ascending: true,
            not_before: None,
            not_after: None,
        };
        let listed = self
            .store
            .list_messages(channel.seq, &query, None, 1000)
            .await
            .expect("list_messages");
        listed.into_iter().map(|m| m.message_id).collect()
    }
}

fn new_app_instance(account_id: &str, created: Timestamp) -> NewAppInstance {
    let id = unique("app");
    NewAppInstance {
        account_id: account_id.to_owned(),
        name: format!("name of {id}"),
        metadata: format!("metadata of {id}"),
        id,
        tags: Tags::from([("team".to_owned(), "blue".to_owned())]),
        created,
    }
}

fn claim(
    account_id: &str,
    operation: &'static str,
    token: &str,
    digest: &str,
    claimed_at: Timestamp,
) -> RequestClaim {
    RequestClaim {
        account_id: account_id.to_owned(),
        operation,
        token: token.to_owned(),
        request_digest: digest.to_owned(),
        claimed_at,
    }
}

/// A delivery of `message_id` in `channel_arn` to one endpoint of `member`.
fn delivery(
    channel_arn: &str,
    message_id: &str,
    endpoint_id: &str,
    member: &AppInstanceUserRecord,
    state: DeliveryState,
) -> NewDelivery {
    NewDelivery {
        delivery_id: unique("delivery"),
        member_seq: member.seq,
        member_arn: format!("{channel_arn}/member-of-{endpoint_id}").into(),
        endpoint_id: endpoint_id.into(),
        device_token: format!("token-{endpoint_id}").into(),
        channel_arn: channel_arn.into(),
        message_id: message_id.into(),
        title: Some("title".into()),
        body: Some("body".into()),
        push_type: PushType::Default,
        state,
    }
}

fn push() -> Option<PushNotification> {
    Some(PushNotification {
        title: Some("title".to_owned()),
        body: Some("body".to_owned()),
        push_type: PushType::Default,
    })
}

/// `offset` seconds after the suite's now.
fn secs(offset: i64) -> Timestamp {
    t(offset * SECOND)
}

fn user_ids(users: impl IntoIterator<Item = AppInstanceUserRecord>) -> Vec<String> {
    let mut ids: Vec<String> = users.into_iter().map(|u| u.user_id).collect();
    ids.sort();
    ids
}

/// The candidates' user ids, sorted.
fn candidate_ids(candidates: &[std::sync::Arc<crate::chime::PushCandidate>]) -> Vec<String> {
    let mut ids: Vec<String> = candidates.iter().map(|c| c.user_id.clone()).collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    ids.sort();
    ids
}
