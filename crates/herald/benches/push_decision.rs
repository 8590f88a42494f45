//! The push decision for a 10,000-member channel: reading the audience
//! from the store (members, preferences, endpoints) and deciding who gets
//! a push, as `SendChannelMessage` does before it writes the deliveries —
//! cold (the audience read, as after a change to it) and warm (the
//! channel's audience version read and the audience kept in memory, as
//! for every other send).
//!
//! Run with `cargo bench -p herald --bench push_decision`; with
//! `HERALD_TEST_DATABASE_URL` set it measures PostgreSQL as well (on a
//! scratch database of that server). Setting up the
//! channel takes a while (every user and endpoint is its own durable
//! write); the measured part is printed at the end. This is a benchmark,
//! not a test: it asserts nothing about speed.

use std::time::{Duration, Instant};

use herald_domain::chime::push::{AudienceCache, PushContext, RuleCache, decide};
use herald_store::chime::{
    Attributes, ChannelMode, ChannelPrivacy, DeliveryState, IdentitySnapshot, MembershipType,
    NewAppInstance, NewAppInstanceUser, NewChannel, NewEndpoint, PushNotification, PushPreference,
    PushType, RequestClaim,
};
use herald_store::postgres::scratch::{ScratchDatabase, TEST_DATABASE_URL_ENV, test_server_url};
use herald_store::postgres::{PgOptions, PgStore};
use herald_store::sqlite::SqliteStore;
use herald_store::{ChimeStore, Store};
use jiff::Timestamp;

const MEMBERS: usize = 10_000;
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let sqlite = SqliteStore::open(dir.path()).await?;
    println!("== SQLite");
    measure(&sqlite).await?;
    match test_server_url() {
        Some(server) => {
            let database = ScratchDatabase::create(&server).await?;
            let postgres = PgStore::connect(&PgOptions::new(database.url())).await?;
            println!("== PostgreSQL ({server})");
            measure(&postgres).await?;
        }
        None => println!("== PostgreSQL skipped: set {TEST_DATABASE_URL_ENV} to measure it too"),
    }
    Ok(())
}

/// Sets up the channel on `store`, then measures the decision.
async fn measure<S: Store + ChimeStore>(store: &S) -> Result<(), Box<dyn std::error::Error>> {
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
        herald_store::chime::Created::Replayed { .. } => unreachable!("fresh store"),
    };
    let mut user_seqs = Vec::with_capacity(MEMBERS);
    for i in 0..MEMBERS {
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
            unreachable!("fresh store")
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
        herald_store::chime::Created::Replayed { .. } => unreachable!("fresh store"),
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
    println!(
        "setup: {MEMBERS} members with endpoints and preferences in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

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
            .ok_or("the channel is gone")?;
        audiences.keep(&current, std::sync::Arc::new(audience));
        let start = Instant::now();
        let current = store
            .get_channel(app.seq, "big")
            .await?
            .ok_or("the channel is gone")?;
        let kept = audiences
            .current(&current)
            .ok_or("the audience was not kept")?;
        let deliveries = decide(&kept.candidates, &context, &rules);
        warm_times.push(start.elapsed());
        assert_eq!(deliveries.len(), pushes);
    }
    for times in [
        &mut read_times,
        &mut decide_times,
        &mut total_times,
        &mut warm_times,
    ] {
        times.sort();
    }
    println!("push decision for {MEMBERS} members -> {pushes} deliveries, {ROUNDS} rounds:");
    for (what, times) in [
        ("read audience", &read_times),
        ("decide", &decide_times),
        ("total (cold)", &total_times),
        ("total (warm)", &warm_times),
    ] {
        println!(
            "  {what:<14} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
            percentile(times, 0.5).as_secs_f64() * 1e3,
            percentile(times, 0.99).as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
        );
    }
    store.close().await;
    Ok(())
}
