//! The Chime push decision for a large channel, in process on a store
//! (SQLite in a temporary directory): reading the audience (members,
//! preferences, endpoints) and deciding who gets a push, as
//! `SendChannelMessage` does before it writes the deliveries — cold (the
//! audience read, as after a change to it) and warm (the channel's audience
//! version read and the audience kept in memory, as for every other send).
//!
//! In process rather than over HTTP: the decision is internal (a send's
//! reply does not wait for pushes), so there is no request to time. Setting
//! up the channel takes a while (every user and endpoint is its own durable
//! write); only the decision is measured.

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
    /// Reading the audience from the store.
    pub read: Quantiles,
    /// Deciding, the audience in hand.
    pub decide: Quantiles,
    /// Both: as after a change to the audience.
    pub cold: Quantiles,
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
    // One rule cache for the process, as the server keeps it.
    let rules = RuleCache::new(herald_domain::chime::push::RULE_CACHE_CAPACITY);
    // Cold: the audience read from the store, as after any change to it.
    let mut read_times = Vec::with_capacity(ROUNDS);
    let mut decide_times = Vec::with_capacity(ROUNDS);
    let mut total_times = Vec::with_capacity(ROUNDS);
    // Warm: the channel row read (its audience version) and the audience
    // kept in memory, as for every send while the audience is unchanged.
    let audiences = AudienceCache::new(herald_domain::chime::push::AUDIENCE_CACHE_CAPACITY);
    let mut warm_times = Vec::with_capacity(ROUNDS);
    let mut pushes = 0;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let audience = store.push_audience(channel.seq).await?;
        let read = start.elapsed();
        let deliveries = decide(&audience.candidates, &context, &rules);
        let total = start.elapsed();
        pushes = deliveries.len();
        read_times.push(read);
        decide_times.push(total - read);
        total_times.push(total);

        let current = store
            .get_channel(app.seq, "big")
            .await?
            .context("the channel is gone")?;
        audiences.keep(&current, std::sync::Arc::new(audience));
        let start = Instant::now();
        let current = store
            .get_channel(app.seq, "big")
            .await?
            .context("the channel is gone")?;
        let kept = audiences
            .current(&current)
            .context("the audience was not kept")?;
        let deliveries = decide(&kept.candidates, &context, &rules);
        warm_times.push(start.elapsed());
        anyhow::ensure!(
            deliveries.len() == pushes,
            "warm and cold decisions differ: {} and {pushes} deliveries",
            deliveries.len()
        );
    }
    for times in [
        &mut read_times,
        &mut decide_times,
        &mut total_times,
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
        cold: Quantiles::of(&total_times),
        warm: Quantiles::of(&warm_times),
    })
}
