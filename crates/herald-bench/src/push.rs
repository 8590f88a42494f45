//! The Chime push decision for a large channel, in process on a store
//! (SQLite in a temporary directory): reading the audience (members,
//! preferences, endpoints) and deciding who gets a push, as
//! `SendChannelMessage` does before it writes the deliveries: with the
//! audience read whole (as for the first send after a start), patched with
//! what changed (as for the first send after a member's preference changed)
//! and kept (the channel's audience version read, as for every other send).
//!
//! In process rather than over HTTP: the decision is internal (a send's
//! reply does not wait for pushes), so there is no request to time. Setting
//! up the channel takes a while (every user and endpoint is its own durable
//! write); only the decision is measured.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use herald_domain::chime::push::{AudienceCache, PushContext, RuleCache, decide};
use herald_store::chime::{
    Attributes, ChannelMode, ChannelPrivacy, DeliveryState, IdentitySnapshot, MembershipType,
    NewAppInstance, NewAppInstanceUser, NewChannel, NewEndpoint, PushNotification, PushPreference,
    PushType, RequestClaim,
};
use herald_store::{ChimeStore, Store};
use jiff::Timestamp;

const ROUNDS: usize = 50;
const APP_INSTANCE_ARN: &str = "arn:aws:chime:us-east-1:000000000000:app-instance/bench";

fn claim(token: String) -> RequestClaim {
    RequestClaim {
        account_id: "000000000000".into(),
        operation: "Bench",
        token,
        request_digest: String::new(),
        claimed_at: Timestamp::now(),
    }
}

/// A mix of preferences: a fifth set nothing, a fifth ALL, a tenth NONE,
/// the rest FILTERED by one of several rules (some matching the message).
fn preference(i: usize) -> Option<PushPreference> {
    const RULES: [&str; 4] = [
        r#"{"mention":["user-1","user-2","user-3"]}"#,
        r#"{"type":[{"anything-but":["Room"]}]}"#,
        r#"{"$or":[{"mention":["nobody"]},{"priority":["high"]}]}"#,
        r#"{"team":["red"],"type":["Direct"]}"#,
    ];
    match i % 10 {
        0 | 1 => None,
        2 | 3 => Some(PushPreference::All),
        4 => Some(PushPreference::None),
        n => Some(PushPreference::Filtered {
            rule: RULES[n % RULES.len()].into(),
        }),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

/// p50 and p99 of a sorted sample.
#[derive(Debug, Clone, Copy)]
pub struct Quantiles {
    pub p50: Duration,
    pub p99: Duration,
}

impl Quantiles {
    fn of(sorted: &[Duration]) -> Quantiles {
        Quantiles {
            p50: percentile(sorted, 0.5),
            p99: percentile(sorted, 0.99),
        }
    }
}

/// The decision's timings on one store.
#[derive(Debug, Clone)]
pub struct PushOutcome {
    pub members: usize,
    pub deliveries: usize,
    pub rounds: usize,
    pub setup_seconds: f64,
    /// Reading the audience from the store, whole.
    pub read: Quantiles,
    /// Deciding, the audience in hand.
    pub decide: Quantiles,
    /// Both: as for the first send to the channel after a start.
    pub whole: Quantiles,
    /// The channel's audience version read, the one member changed since
    /// read, the kept audience patched, and the decision: as for the first
    /// send after a change to the audience.
    pub changed: Quantiles,
    /// The channel's audience version read, the audience kept in memory: as
    /// for every other send.
    pub warm: Quantiles,
}

/// Sets up the channel on `store`, then measures the decision.
pub async fn measure<S: Store + ChimeStore>(
    store: &S,
    members: usize,
) -> anyhow::Result<PushOutcome> {
    let now = Timestamp::now();
    let setup = Instant::now();
    let app = match store
        .create_app_instance(
            NewAppInstance {
                account_id: "000000000000".into(),
                id: "bench".into(),
                name: "bench".into(),
                metadata: String::new(),
                tags: Default::default(),
                created: now,
            },
            claim("app".into()),
        )
        .await?
    {
        herald_store::chime::Created::New(app) => app,
        herald_store::chime::Created::Replayed { .. } => {
            anyhow::bail!("a fresh store replayed a claim")
        }
    };
    let mut user_seqs = Vec::with_capacity(members);
    for i in 0..members {
        let created = store
            .create_app_instance_user(
                NewAppInstanceUser {
                    app_instance_seq: app.seq,
                    user_id: format!("user-{i}"),
                    name: format!("User {i}"),
                    metadata: String::new(),
                    tags: Default::default(),
                    created: now,
                },
                claim(format!("user-{i}")),
            )
            .await?;
        let herald_store::chime::Created::New(user) = created else {
            anyhow::bail!("a fresh store replayed a claim")
        };
        store
            .register_endpoint(
                NewEndpoint {
                    user_seq: user.seq,
                    endpoint_id: format!("endpoint-{i}"),
                    name: String::new(),
                    endpoint_type: herald_store::chime::EndpointType::Gcm,
                    resource_arn: "arn:aws:mobiletargeting:us-east-1:0:apps/bench".into(),
                    device_token: format!("device-{i}"),
                    voip_device_token: None,
                    // Every seventh user has turned pushes off on the device.
                    allow_messages: i % 7 != 0,
                    created: now,
                },
                claim(format!("endpoint-{i}")),
            )
            .await?;
        user_seqs.push(user.seq);
    }
    let creator = IdentitySnapshot {
        arn: format!("{APP_INSTANCE_ARN}/user/user-0"),
        name: "User 0".into(),
    };
    let channel = match store
        .create_channel(
            NewChannel {
                app_instance_seq: app.seq,
                channel_id: "big".into(),
                name: "big".into(),
                mode: ChannelMode::Restricted,
                privacy: ChannelPrivacy::Private,
                metadata: String::new(),
                tags: Default::default(),
                created_by: creator.clone(),
                created: now,
                creator_seq: user_seqs[0],
                member_seqs: Vec::new(),
                moderator_seqs: Vec::new(),
            },
            claim("channel".into()),
        )
        .await?
    {
        herald_store::chime::Created::New(channel) => channel,
        herald_store::chime::Created::Replayed { .. } => {
            anyhow::bail!("a fresh store replayed a claim")
        }
    };
    for chunk in user_seqs.chunks(1000) {
        store
            .add_members(channel.seq, chunk, MembershipType::Default, &creator, now)
            .await?;
    }
    for (i, seq) in user_seqs.iter().enumerate() {
        if let Some(preference) = preference(i) {
            store
                .set_push_preference(channel.seq, *seq, &preference, now)
                .await?;
        }
    }
    let setup_seconds = setup.elapsed().as_secs_f64();

    let attributes = Attributes::from([
        ("mention".to_owned(), vec!["user-2".to_owned()]),
        ("type".to_owned(), vec!["Direct".to_owned()]),
        ("team".to_owned(), vec!["red".to_owned()]),
    ]);
    let push = PushNotification {
        title: Some("New message".into()),
        body: Some("You were mentioned".into()),
        push_type: PushType::Default,
    };
    let channel_arn = format!("{APP_INSTANCE_ARN}/channel/big");
    let context = PushContext {
        app_instance_arn: APP_INSTANCE_ARN,
        channel_arn: &channel_arn,
        message_id: "m",
        attributes: &attributes,
        push: &push,
        state: DeliveryState::Pending,
    };
    // One rule cache and one audience cache for the process, as the server
    // keeps them.
    let rules = RuleCache::new(herald_domain::chime::push::RULE_CACHE_CAPACITY);
    let audiences = AudienceCache::new(herald_domain::chime::push::AUDIENCE_CACHE_CAPACITY);
    let mut read_times = Vec::with_capacity(ROUNDS);
    let mut decide_times = Vec::with_capacity(ROUNDS);
    let mut whole_times = Vec::with_capacity(ROUNDS);
    let mut changed_times = Vec::with_capacity(ROUNDS);
    let mut warm_times = Vec::with_capacity(ROUNDS);
    let mut pushes = 0;
    // The members whose preference each round writes again: the same
    // value, so every round decides the same pushes, but a write all the
    // same (it bumps the audience version and is logged as a change).
    let mut rewritten = (0..members).filter_map(|i| Some((user_seqs[i], preference(i)?)));
    for round in 0..ROUNDS {
        // As for the first send after a start: the audience read whole.
        let start = Instant::now();
        let audience = store.push_audience(channel.seq).await?;
        let read = start.elapsed();
        let deliveries = decide(&audience.candidates, &context, &rules);
        let total = start.elapsed();
        pushes = deliveries.len();
        read_times.push(read);
        decide_times.push(total - read);
        whole_times.push(total);
        if round == 0 {
            let current = current_channel(store, app.seq).await?;
            audiences.audience(store, &current).await?;
        }

        // As for the first send after one member's preference changed: the
        // channel's version read, the changed member read, the audience kept
        // patched.
        let (member_seq, preference) = rewritten.next().context("too few members")?;
        let before = audiences
            .audience(store, &current_channel(store, app.seq).await?)
            .await?;
        store
            .set_push_preference(channel.seq, member_seq, &preference, now)
            .await?;
        let start = Instant::now();
        let current = current_channel(store, app.seq).await?;
        let patched = audiences.audience(store, &current).await?;
        let deliveries = decide(&patched.candidates, &context, &rules);
        changed_times.push(start.elapsed());
        anyhow::ensure!(
            patched.version == current.audience_version && deliveries.len() == pushes,
            "the patched audience decides {} deliveries at version {}, the whole read \
             {pushes} (channel at {})",
            deliveries.len(),
            patched.version,
            current.audience_version
        );
        // Patched, not read whole: every member but the one written is the
        // kept audience's own.
        let shared = patched
            .candidates
            .iter()
            .zip(&before.candidates)
            .filter(|(now, then)| Arc::ptr_eq(now, then))
            .count();
        anyhow::ensure!(
            shared + 1 == before.candidates.len(),
            "{shared} of {} candidates were kept after one member's change",
            before.candidates.len()
        );

        // As for every other send: the version read, the audience kept.
        let start = Instant::now();
        let current = current_channel(store, app.seq).await?;
        let kept = audiences.audience(store, &current).await?;
        let deliveries = decide(&kept.candidates, &context, &rules);
        warm_times.push(start.elapsed());
        anyhow::ensure!(
            Arc::ptr_eq(&kept, &patched) && deliveries.len() == pushes,
            "the kept audience was read again, or decides {} deliveries, not {pushes}",
            deliveries.len()
        );
    }
    for times in [
        &mut read_times,
        &mut decide_times,
        &mut whole_times,
        &mut changed_times,
        &mut warm_times,
    ] {
        times.sort();
    }
    store.close().await;
    Ok(PushOutcome {
        members,
        deliveries: pushes,
        rounds: ROUNDS,
        setup_seconds,
        read: Quantiles::of(&read_times),
        decide: Quantiles::of(&decide_times),
        whole: Quantiles::of(&whole_times),
        changed: Quantiles::of(&changed_times),
        warm: Quantiles::of(&warm_times),
    })
}

async fn current_channel<S: ChimeStore>(
    store: &S,
    app_instance_seq: i64,
) -> anyhow::Result<herald_store::chime::ChannelRecord> {
    store
        .get_channel(app_instance_seq, "big")
        .await?
        .context("the channel is gone")
}
