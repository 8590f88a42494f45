//! The Chime conformance suite against `PgStore`, one scratch database per
//! test, plus what only PostgreSQL has to show: plans that use the indexes,
//! and several stores (nodes) sharing one database without stepping on
//! each other. Runs when `HERALD_TEST_DATABASE_URL` names a PostgreSQL
//! server; without it every test says that it was skipped and passes.

use std::collections::HashSet;
use std::sync::Arc;

use herald_store::Tags;
use herald_store::chime::{
    AppInstanceRecord, AppInstanceUserRecord, ChannelMode, ChannelPrivacy, ChannelRecord,
    ChimeStore, Created, DeliveryState, IdentitySnapshot, MembershipType, NewAppInstance,
    NewAppInstanceUser, NewChannel, NewDelivery, NewMessage, PushType, RequestClaim,
};
use herald_store::postgres::scratch::ScratchDatabase;
use herald_store::postgres::{ExplainTarget, PgStore};
use jiff::Timestamp;
use sqlx::{Connection, PgConnection};

mod postgres_support;

use postgres_support::{connect, fresh};

/// A plain connection, for filling tables in bulk and for ANALYZE.
async fn raw(database: &ScratchDatabase) -> PgConnection {
    PgConnection::connect(database.url())
        .await
        .expect("connect")
}

herald_store::chime_conformance_tests!(fresh);

// --- a small world, through the store ---------------------------------------

/// 2030-01-01T00:00:00Z.
const BASE_MS: i64 = 1_893_456_000_000;

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("time")
}

fn claim(operation: &'static str, token: &str) -> RequestClaim {
    RequestClaim {
        account_id: "acct".to_owned(),
        operation,
        token: token.to_owned(),
        request_digest: "digest".to_owned(),
        claimed_at: at(BASE_MS),
    }
}

fn new_app_instance(id: &str) -> NewAppInstance {
    NewAppInstance {
        account_id: "acct".to_owned(),
        id: id.to_owned(),
        name: id.to_owned(),
        metadata: String::new(),
        tags: Tags::new(),
        created: at(BASE_MS),
    }
}

fn new_user(app: &AppInstanceRecord, user_id: &str) -> NewAppInstanceUser {
    NewAppInstanceUser {
        app_instance_seq: app.seq,
        user_id: user_id.to_owned(),
        name: user_id.to_owned(),
        metadata: String::new(),
        tags: Tags::new(),
        created: at(BASE_MS),
    }
}

fn new_record<T: std::fmt::Debug>(outcome: herald_store::StoreResult<Created<T>>) -> T {
    match outcome {
        Ok(Created::New(record)) => record,
        other => panic!("expected Created::New, got {other:?}"),
    }
}

fn who() -> IdentitySnapshot {
    IdentitySnapshot {
        arn: "arn:creator".to_owned(),
        name: "creator".to_owned(),
    }
}

/// An app instance, a creator and `channels` channels holding the creator.
async fn world(
    store: &PgStore,
    channels: &[&str],
) -> (AppInstanceRecord, AppInstanceUserRecord, Vec<ChannelRecord>) {
    let app = new_record(
        store
            .create_app_instance(new_app_instance("app"), claim("CreateAppInstance", "a"))
            .await,
    );
    let creator = new_record(
        store
            .create_app_instance_user(
                new_user(&app, "creator"),
                claim("CreateAppInstanceUser", "u"),
            )
            .await,
    );
    let mut made = Vec::new();
    for channel_id in channels {
        let spec = NewChannel {
            app_instance_seq: app.seq,
            channel_id: (*channel_id).to_owned(),
            name: (*channel_id).to_owned(),
            mode: ChannelMode::Unrestricted,
            privacy: ChannelPrivacy::Public,
            metadata: String::new(),
            tags: Tags::new(),
            created_by: who(),
            created: at(BASE_MS),
            creator_seq: creator.seq,
            member_seqs: Vec::new(),
            moderator_seqs: Vec::new(),
        };
        let token = format!("c-{channel_id}");
        made.push(new_record(
            store
                .create_channel(spec, claim("CreateChannel", &token))
                .await,
        ));
    }
    (app, creator, made)
}

/// `count` users named `{prefix}-1…`, each with one endpoint that accepts
/// messages, in one statement each; returns their seqs in order.
async fn bulk_users(conn: &mut PgConnection, app_seq: i64, prefix: &str, count: i64) -> Vec<i64> {
    let seqs: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO chime_users (app_instance_seq, user_id, name, metadata, tags, created_ms, \
         updated_ms) SELECT $1, $2 || '-' || i, 'member', '', '{}', 0, 0 \
         FROM generate_series(1, $3) i ORDER BY i RETURNING seq",
    )
    .bind(app_seq)
    .bind(prefix)
    .bind(count)
    .fetch_all(&mut *conn)
    .await
    .expect("users");
    sqlx::query(
        "INSERT INTO chime_endpoints (user_seq, endpoint_id, name, endpoint_type, resource_arn, \
         device_token, voip_device_token, allow_messages, created_ms, updated_ms) \
         SELECT s, 'ep-' || s, 'phone', 'GCM', 'arn:app', 'token-' || s, NULL, true, 0, 0 \
         FROM unnest($1::bigint[]) s",
    )
    .bind(&seqs)
    .execute(&mut *conn)
    .await
    .expect("endpoints");
    seqs
}

// --- plans ------------------------------------------------------------------

/// The tables whose size follows the store's: no hot query may scan one.
const BIG_TABLES: [&str; 6] = [
    "chime_audience_changes",
    "chime_memberships",
    "chime_users",
    "chime_endpoints",
    "chime_messages",
    "chime_push_deliveries",
];

/// Every `(node type, relation)` of a plan tree.
fn plan_nodes(node: &serde_json::Value, out: &mut Vec<(String, String)>) {
    let text = |key: &str| node.get(key).and_then(|v| v.as_str()).unwrap_or("");
    out.push((
        text("Node Type").to_owned(),
        text("Relation Name").to_owned(),
    ));
    for child in node
        .get("Plans")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        plan_nodes(child, out);
    }
}

/// 60,030 users with an endpoint each; two channels of 3,000 members (a
/// tenth hidden) and 5,000 messages each (a fifth non-persistent), 30
/// channels of 1,000 members, a channel of 30, and 20,000 deliveries (a
/// twentieth pending). Every hot query, pointed at a big and at the small
/// channel, reads the big tables through their indexes only. (With a few
/// thousand users the planner rightly prefers scanning the user table to
/// thirty index lookups, for listings of the small channel.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_queries_use_indexes() {
    let Some((database, store)) = fresh("hot_queries_use_indexes").await else {
        return;
    };
    let (app, _, channels) = world(&store, &["big-1", "big-2", "small"]).await;
    let mut conn = raw(&database).await;
    let users = bulk_users(&mut conn, app.seq, "member", 60_030).await;
    let mut groups = vec![
        (channels[0].seq, users[..3000].to_vec()),
        (channels[1].seq, users[3000..6000].to_vec()),
        (channels[2].seq, users[6000..6030].to_vec()),
    ];
    for i in 0..30 {
        let filler = sqlx::query_scalar::<_, i64>(
            "INSERT INTO chime_channels (app_instance_seq, channel_id, name, mode, privacy, \
             metadata, tags, created_by_arn, created_by_name, created_ms, updated_ms) \
             VALUES ($1, $2, 'filler', 'UNRESTRICTED', 'PUBLIC', '', '{}', 'arn:x', 'x', 0, 0) \
             RETURNING seq",
        )
        .bind(app.seq)
        .bind(format!("filler-{i}"))
        .fetch_one(&mut conn)
        .await
        .expect("channel");
        let start = 6_030 + i * 1000;
        groups.push((filler, users[start..start + 1000].to_vec()));
    }
    for (channel_seq, members) in &groups {
        sqlx::query(
            "INSERT INTO chime_memberships (channel_seq, user_seq, type, invited_by_arn, \
             invited_by_name, created_ms, updated_ms) \
             SELECT $1, s, CASE WHEN o % 10 = 0 THEN 'HIDDEN' ELSE 'DEFAULT' END, 'arn:x', 'x', \
             0, 0 FROM unnest($2::bigint[]) WITH ORDINALITY AS n (s, o)",
        )
        .bind(channel_seq)
        .bind(members)
        .execute(&mut conn)
        .await
        .expect("memberships");
    }
    for channel in &channels[..2] {
        sqlx::query(
            "INSERT INTO chime_messages (channel_seq, message_id, content, metadata, type, \
             persistent, content_type, attributes, push_type, push_title, push_body, sender_arn, \
             sender_name, created_ms) SELECT $1, 'm-' || i, 'hello', '', 'STANDARD', i % 5 <> 0, \
             '', '{}', NULL, NULL, NULL, 'arn:x', 'x', $2 + i * 1000 \
             FROM generate_series(1, 5000) i",
        )
        .bind(channel.seq)
        .bind(BASE_MS)
        .execute(&mut conn)
        .await
        .expect("messages");
    }
    sqlx::query(
        "INSERT INTO chime_push_deliveries (delivery_id, member_arn, endpoint_id, device_token, \
         channel_arn, message_id, title, body, push_type, created_ms, state, attempts, \
         next_attempt_ms) SELECT 'd-' || i, 'arn:member', 'ep', 'token', \
         'arn:channel-' || (i % 2), 'm-' || (i / 4), NULL, NULL, 'DEFAULT', $1, \
         CASE WHEN i % 20 = 0 THEN 'PENDING' ELSE 'DELIVERED' END, 0, $1 + i * 1000 \
         FROM generate_series(1, 20000) i",
    )
    .bind(BASE_MS)
    .execute(&mut conn)
    .await
    .expect("deliveries");
    sqlx::query("ANALYZE")
        .execute(&mut conn)
        .await
        .expect("analyze");
    conn.close().await.expect("close");

    for channel in [&channels[0], &channels[2]] {
        let target = ExplainTarget {
            app_instance_seq: app.seq,
            channel_seq: channel.seq,
            user_seq: users[10],
            channel_arn: "arn:channel-0".to_owned(),
            message_id: "m-100".to_owned(),
            now: at(BASE_MS + 2_500_000),
        };
        let plans = store
            .explain_chime_hot_queries(&target)
            .await
            .expect("explain");
        assert!(plans.len() > 6, "{plans:?}");
        for (query, text) in &plans {
            let json: serde_json::Value = serde_json::from_str(text).expect("plan JSON");
            let mut nodes = Vec::new();
            plan_nodes(&json[0]["Plan"], &mut nodes);
            for (node, relation) in &nodes {
                assert!(
                    !(node == "Seq Scan" && BIG_TABLES.contains(&relation.as_str())),
                    "{query} on {} scans {relation}: {nodes:?}\n{text}",
                    channel.channel_id
                );
            }
        }
    }
}

// --- several nodes ----------------------------------------------------------

/// Workers on two nodes drain one queue together: each pending delivery is
/// leased by exactly one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_delivery_claims_never_overlap() {
    const MESSAGES: usize = 6;
    const PER_MESSAGE: usize = 50;
    let Some((database, store)) = fresh("concurrent_delivery_claims_never_overlap").await else {
        return;
    };
    let (_, creator, channels) = world(&store, &["c"]).await;
    for m in 0..MESSAGES {
        let message_id = format!("m{m}");
        let deliveries = (0..PER_MESSAGE)
            .map(|d| NewDelivery {
                delivery_id: format!("{message_id}-{d}"),
                member_seq: creator.seq,
                member_arn: "arn:member".into(),
                endpoint_id: format!("ep-{d}").into(),
                device_token: "token".into(),
                channel_arn: "arn:channel".into(),
                message_id: message_id.as_str().into(),
                title: None,
                body: None,
                push_type: PushType::Default,
                state: DeliveryState::Pending,
            })
            .collect();
        let message = NewMessage {
            channel_seq: channels[0].seq,
            message_id: message_id.clone(),
            content: "hello".to_owned(),
            metadata: String::new(),
            message_type: "STANDARD".to_owned(),
            persistent: true,
            content_type: String::new(),
            attributes: Default::default(),
            push: None,
            sender: IdentitySnapshot {
                arn: format!("arn:user/{}", creator.user_id),
                name: creator.name.clone(),
            },
            sender_seq: creator.seq,
            audience_version: None,
            created: at(BASE_MS + m as i64),
        };
        let token = format!("send-{m}");
        new_record(
            store
                .send_message(message, deliveries, claim("SendChannelMessage", &token))
                .await,
        );
    }

    let other = connect(&database).await;
    let drain = |store: PgStore| {
        tokio::spawn(async move {
            let mut leased = Vec::new();
            loop {
                let batch = store
                    .claim_due_deliveries(at(BASE_MS + 60_000), at(BASE_MS + 3_600_000), 7)
                    .await
                    .expect("claim");
                if batch.is_empty() {
                    return leased;
                }
                assert!(
                    batch
                        .windows(2)
                        .all(|w| (w[0].created, w[0].seq) < (w[1].created, w[1].seq)),
                    "a batch comes in due order"
                );
                leased.extend(batch.into_iter().map(|d| d.seq));
            }
        })
    };
    let (a, b) = tokio::join!(drain(store), drain(other));
    let (a, b) = (a.expect("worker a"), b.expect("worker b"));
    let all: Vec<i64> = a.iter().chain(&b).copied().collect();
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a delivery leased twice");
    assert_eq!(all.len(), MESSAGES * PER_MESSAGE, "every delivery leased");
    eprintln!("leased {} and {}", a.len(), b.len());
}

/// Sends to one channel through two nodes at once all succeed: a send only
/// reads the channel's row, so no send loses a race to another, and the
/// channel's last-message time ends at the latest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_to_one_channel_all_succeed() {
    const SENDS: usize = 32;
    let Some((database, store)) = fresh("concurrent_sends_to_one_channel_all_succeed").await else {
        return;
    };
    let (app, creator, channels) = world(&store, &["busy"]).await;
    let stores = [Arc::new(store), Arc::new(connect(&database).await)];
    let sends = (0..SENDS).map(|i| {
        let store = Arc::clone(&stores[i % 2]);
        let message = NewMessage {
            channel_seq: channels[0].seq,
            message_id: format!("m{i}"),
            content: "hello".to_owned(),
            metadata: String::new(),
            message_type: "STANDARD".to_owned(),
            persistent: true,
            content_type: String::new(),
            attributes: Default::default(),
            push: None,
            sender: who(),
            sender_seq: creator.seq,
            audience_version: None,
            created: at(BASE_MS + i as i64),
        };
        async move {
            store
                .send_message(
                    message,
                    Vec::new(),
                    claim("SendChannelMessage", &format!("s{i}")),
                )
                .await
        }
    });
    for outcome in futures_join(sends.collect()).await {
        new_record(outcome);
    }
    let query = herald_store::chime::MessageQuery {
        ascending: true,
        not_before: None,
        not_after: None,
    };
    let listed = stores[1]
        .list_messages(channels[0].seq, &query, None, 50)
        .await
        .expect("list_messages");
    assert_eq!(listed.len(), SENDS);
    let channel = stores[0]
        .get_channel(app.seq, "busy")
        .await
        .expect("get_channel")
        .expect("channel");
    assert_eq!(channel.last_message, Some(at(BASE_MS + SENDS as i64 - 1)));
}

/// Retries of one create reaching two nodes at once: one creates, the rest
/// replay it, whether or not the create's own id could clash first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_request_claims_across_stores_create_once() {
    let Some((database, store)) = fresh("racing_request_claims_across_stores_create_once").await
    else {
        return;
    };
    let stores = [Arc::new(store), Arc::new(connect(&database).await)];
    for round in 0..4 {
        // Each retry makes a new app instance id, as the service does.
        let token = format!("app-{round}");
        let attempts = (0..8).map(|i| {
            let token = token.clone();
            let store = Arc::clone(&stores[i % 2]);
            async move {
                store
                    .create_app_instance(
                        new_app_instance(&format!("app-{round}-{i}")),
                        claim("CreateAppInstance", &token),
                    )
                    .await
            }
        });
        let outcomes = futures_join(attempts.collect()).await;
        let app = exactly_one_created(outcomes, |a| a.id.clone());
        assert_eq!(
            stores[0]
                .list_app_instances("acct", None, 100)
                .await
                .expect("list")
                .len(),
            round + 1,
            "one app instance per token"
        );

        // The user id is the request's own: the racers meet on the claim,
        // not on the id (which would be a Conflict).
        let token = format!("user-{round}");
        let attempts = (0..8).map(|i| {
            let token = token.clone();
            let spec = new_user(&app, "same-user");
            let store = Arc::clone(&stores[i % 2]);
            async move {
                store
                    .create_app_instance_user(spec, claim("CreateAppInstanceUser", &token))
                    .await
            }
        });
        let outcomes = futures_join(attempts.collect()).await;
        exactly_one_created(outcomes, |u| u.user_id.clone());
    }
}

/// Asserts that one outcome is a create and every other replays it;
/// returns the created record.
fn exactly_one_created<T: std::fmt::Debug>(
    outcomes: Vec<herald_store::StoreResult<Created<T>>>,
    id: impl Fn(&T) -> String,
) -> T {
    let mut created = Vec::new();
    let mut replayed = Vec::new();
    for outcome in outcomes {
        match outcome.expect("create") {
            Created::New(record) => created.push(record),
            Created::Replayed { resource_id } => replayed.push(resource_id),
        }
    }
    assert_eq!(created.len(), 1, "exactly one create: {created:?}");
    let winner = created.pop().expect("one");
    assert!(replayed.iter().all(|r| *r == id(&winner)), "{replayed:?}");
    winner
}

/// Runs the futures concurrently, each on a task of its own.
async fn futures_join<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.expect("task"));
    }
    outputs
}

// --- a large channel --------------------------------------------------------

/// A 10,000-member channel, each member with an endpoint: the audience is
/// one read, in membership order. (How fast: `herald-bench` measures
/// the push decision.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_audience_of_a_large_channel_is_one_read() {
    const MEMBERS: i64 = 10_000;
    let Some((database, store)) = fresh("push_audience_of_a_large_channel_is_one_read").await
    else {
        return;
    };
    let (app, creator, channels) = world(&store, &["big"]).await;
    let mut conn = raw(&database).await;
    let mut seqs = bulk_users(&mut conn, app.seq, "member", MEMBERS).await;
    sqlx::query("ANALYZE")
        .execute(&mut conn)
        .await
        .expect("analyze");
    conn.close().await.expect("close");
    // Joined newest user first, so that membership order is not user
    // order.
    seqs.reverse();
    let outcomes = store
        .add_members(
            channels[0].seq,
            &seqs,
            MembershipType::Default,
            &who(),
            at(BASE_MS),
        )
        .await
        .expect("add_members");
    assert_eq!(outcomes.len(), seqs.len());
    let joined: Vec<i64> = std::iter::once(creator.seq).chain(seqs).collect();

    let audience = store
        .push_audience(channels[0].seq)
        .await
        .expect("audience")
        .candidates;
    assert_eq!(audience.len() as i64, MEMBERS + 1);
    let order: Vec<i64> = audience.iter().map(|c| c.member_seq).collect();
    assert!(order == joined, "membership order");
    assert!(audience[0].endpoints.is_empty());
    assert!(audience[1..].iter().all(|c| c.endpoints.len() == 1));
}

// --- the audience change log under concurrency ------------------------------

/// Runs `sql` on `conn`; the SQLSTATE of its error, if any.
async fn sqlstate(conn: &mut PgConnection, sql: &str) -> Option<String> {
    match sqlx::query(sql).execute(&mut *conn).await {
        Ok(_) => None,
        Err(error) => Some(
            error
                .as_database_error()
                .and_then(|e| e.code())
                .map(|code| code.into_owned())
                .unwrap_or_else(|| panic!("{sql}: {error}")),
        ),
    }
}

/// An endpoint registered while its user joins a channel, in two
/// SERIALIZABLE transactions that cannot see each other: the endpoint's
/// write does not bump the channel (the user is no member in its view),
/// and the join logs the user once. A node reading the audience between
/// the two commits would keep the new member without the new endpoint for
/// good, so PostgreSQL must roll one of them back (the store retries it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_written_while_its_user_joins_cannot_both_commit() {
    let Some((database, store)) =
        fresh("an_endpoint_written_while_its_user_joins_cannot_both_commit").await
    else {
        return;
    };
    let (app, _creator, channels) = world(&store, &["c"]).await;
    let mut setup = raw(&database).await;
    let user = bulk_users(&mut setup, app.seq, "joiner", 1).await[0];
    // Two connections, 0 writing the endpoint and 1 the membership, each
    // step on one of them in this order.
    let mut conns = [raw(&database).await, raw(&database).await];
    let (endpoint, join) = (0, 1);
    let steps: [(usize, String); 6] = [
        (endpoint, "BEGIN ISOLATION LEVEL SERIALIZABLE".to_owned()),
        (join, "BEGIN ISOLATION LEVEL SERIALIZABLE".to_owned()),
        (
            endpoint,
            format!(
                "INSERT INTO chime_endpoints (user_seq, endpoint_id, name, endpoint_type, \
                 resource_arn, device_token, allow_messages, created_ms, updated_ms) \
                 VALUES ({user}, 'racing', '', 'GCM', 'arn:app', 'token-racing', true, 0, 0)"
            ),
        ),
        (
            join,
            format!(
                "INSERT INTO chime_memberships (channel_seq, user_seq, type, invited_by_arn, \
                 invited_by_name, created_ms, updated_ms) \
                 VALUES ({}, {user}, 'DEFAULT', 'arn:creator', 'creator', 0, 0)",
                channels[0].seq
            ),
        ),
        (join, "COMMIT".to_owned()),
        (endpoint, "COMMIT".to_owned()),
    ];
    let mut failures = Vec::new();
    for (conn, sql) in steps {
        if let Some(code) = sqlstate(&mut conns[conn], &sql).await {
            failures.push((sql, code));
        }
    }
    assert!(
        failures.iter().any(|(_, code)| code == "40001"),
        "both committed: {failures:?}"
    );
    assert!(
        failures.iter().all(|(_, code)| code == "40001"),
        "{failures:?}"
    );
}
