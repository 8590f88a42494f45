//! The Chime queries whose cost must not follow the store's size, checked
//! with `EXPLAIN QUERY PLAN`: each searches an index (or the rowid), none
//! scans a table. Here rather than in `tests/` because the SQL is private.

use jiff::Timestamp;

use super::audience::{AUDIENCE_BOUNDS_SQL, PUSH_AUDIENCE_CHANGES_SQL, PUSH_AUDIENCE_SQL};
use super::channels::STANDING_SQL;
use super::claims::FORGET_SQL;
use super::deliveries::{due_deliveries_sql, list_deliveries_sql};
use super::memberships::list_memberships_sql;
use super::messages::list_messages_query;
use super::moderation::list_sql;
use crate::chime::rules::Role;
use crate::chime::{
    ChannelMode, ChannelPrivacy, ChimeStore, Created, IdentitySnapshot, MembershipType,
    MessageCursor, MessageQuery, NewAppInstance, NewAppInstanceUser, NewChannel, PushCandidate,
    RequestClaim,
};
use crate::sqlite::SqliteStore;
use crate::{Store, Tags};

async fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    (dir, store)
}

/// The `detail` lines of the plan. Unbound parameters are NULL, which does
/// not change the plan.
async fn plan(store: &SqliteStore, sql: &str) -> Vec<String> {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
        .fetch_all(&store.readers)
        .await
        .unwrap_or_else(|e| panic!("explain {sql}: {e}"));
    rows.into_iter().map(|(_, _, _, detail)| detail).collect()
}

/// No line scans a table; `CONSTANT ROW` (a SELECT without FROM) is no
/// table.
async fn assert_indexed(store: &SqliteStore, what: &str, sql: &str) -> Vec<String> {
    let lines = plan(store, sql).await;
    for line in &lines {
        assert!(
            !line.starts_with("SCAN") || line == "SCAN CONSTANT ROW",
            "{what} scans a table: {lines:#?}"
        );
    }
    lines
}

fn uses(lines: &[String], index: &str) -> bool {
    lines.iter().any(|line| line.contains(index))
}

#[tokio::test]
async fn hot_queries_search_indexes() {
    let (_dir, store) = fresh().await;

    let audience = assert_indexed(&store, "push_audience", PUSH_AUDIENCE_SQL).await;
    // Two covering indexes: no membership, user or endpoint row is read.
    assert!(
        uses(&audience, "COVERING INDEX chime_memberships_audience"),
        "{audience:#?}"
    );
    assert!(
        uses(&audience, "COVERING INDEX chime_endpoints_pushable"),
        "{audience:#?}"
    );
    assert!(!uses(&audience, "chime_users"), "{audience:#?}");
    // A half of a large audience is a range of the same index.
    assert!(
        uses(
            &audience,
            "chime_memberships_audience (channel_seq=? AND user_seq>? AND user_seq<?)"
        ),
        "{audience:#?}"
    );
    // Its bounds are a seek each.
    let bounds = assert_indexed(&store, "audience_bounds", AUDIENCE_BOUNDS_SQL).await;
    assert_eq!(
        bounds
            .iter()
            .filter(|l| l.contains("USING COVERING INDEX") && l.contains("(channel_seq=?)"))
            .count(),
        2,
        "{bounds:#?}"
    );
    assert!(!uses(&audience, "TEMP B-TREE"), "{audience:#?}");
    // What changed: a primary-key range of the log, and the changed users'
    // memberships by key; the one temporary B-tree is DISTINCT's, over the
    // changed users only.
    let changes = assert_indexed(&store, "push_audience_changes", PUSH_AUDIENCE_CHANGES_SQL).await;
    assert!(
        uses(
            &changes,
            "chime_audience_changes USING PRIMARY KEY (channel_seq=? AND version>?)"
        ),
        "{changes:#?}"
    );
    assert!(
        uses(
            &changes,
            "COVERING INDEX chime_memberships_audience (channel_seq=? AND user_seq=?)"
        ),
        "{changes:#?}"
    );
    assert!(
        changes.iter().filter(|l| l.contains("TEMP B-TREE")).count() <= 1,
        "{changes:#?}"
    );

    let cursor = MessageCursor {
        created_ms: 1,
        seq: 1,
    };
    let at = Timestamp::UNIX_EPOCH;
    for ascending in [true, false] {
        for bounds in [(None, None), (Some(at), None), (Some(at), Some(at))] {
            for after in [None, Some(cursor)] {
                let query = MessageQuery {
                    ascending,
                    not_before: bounds.0,
                    not_after: bounds.1,
                };
                let qb = list_messages_query(1, &query, after, 10);
                let lines = assert_indexed(&store, "list_messages", qb.sql()).await;
                assert!(uses(&lines, "chime_messages_by_created"), "{lines:#?}");
                assert!(
                    !uses(&lines, "TEMP B-TREE"),
                    "the index gives the order: {lines:#?}"
                );
            }
        }
    }

    let deliveries = assert_indexed(&store, "list_deliveries", &list_deliveries_sql()).await;
    assert!(
        uses(&deliveries, "chime_push_deliveries_by_message"),
        "{deliveries:#?}"
    );
    assert!(!uses(&deliveries, "TEMP B-TREE"), "{deliveries:#?}");

    let due = assert_indexed(&store, "claim_due_deliveries", &due_deliveries_sql()).await;
    assert!(uses(&due, "chime_push_deliveries_due"), "{due:#?}");
    assert!(!uses(&due, "TEMP B-TREE"), "{due:#?}");

    let memberships = assert_indexed(&store, "list_memberships", &list_memberships_sql()).await;
    assert!(!uses(&memberships, "TEMP B-TREE"), "{memberships:#?}");
    for role in [Role::Moderator, Role::Ban] {
        let lines = assert_indexed(&store, "list moderators/bans", &list_sql(role)).await;
        assert!(!uses(&lines, "TEMP B-TREE"), "{lines:#?}");
    }
    assert_indexed(&store, "channel_standing", STANDING_SQL).await;
    assert_indexed(&store, "forget_request_claims", FORGET_SQL).await;
    store.close().await;
}

/// A 10,000-member channel, each member with an endpoint: the audience is
/// one read, in membership order. (How fast: `herald-bench` measures
/// the push decision.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_audience_of_a_large_channel_is_one_read() {
    const MEMBERS: i64 = 10_000;
    let (_dir, store) = fresh().await;
    let at = Timestamp::from_millisecond(1_893_456_000_000).expect("time");
    let claim = |operation: &'static str, token: &str| RequestClaim {
        account_id: "acct".to_owned(),
        operation,
        token: token.to_owned(),
        request_digest: "d".to_owned(),
        claimed_at: at,
    };
    let Created::New(app_instance) = store
        .create_app_instance(
            NewAppInstance {
                account_id: "acct".to_owned(),
                id: "big".to_owned(),
                name: "big".to_owned(),
                metadata: String::new(),
                tags: Tags::new(),
                created: at,
            },
            claim("CreateAppInstance", "a"),
        )
        .await
        .expect("app instance")
    else {
        panic!("fresh claim replayed")
    };
    let Created::New(creator) = store
        .create_app_instance_user(
            NewAppInstanceUser {
                app_instance_seq: app_instance.seq,
                user_id: "creator".to_owned(),
                name: "creator".to_owned(),
                metadata: String::new(),
                tags: Tags::new(),
                created: at,
            },
            claim("CreateAppInstanceUser", "u"),
        )
        .await
        .expect("user")
    else {
        panic!("fresh claim replayed")
    };
    let who = IdentitySnapshot {
        arn: "arn:creator".to_owned(),
        name: "creator".to_owned(),
    };
    let Created::New(channel) = store
        .create_channel(
            NewChannel {
                app_instance_seq: app_instance.seq,
                channel_id: "big".to_owned(),
                name: "big".to_owned(),
                mode: ChannelMode::Unrestricted,
                privacy: ChannelPrivacy::Public,
                metadata: String::new(),
                tags: Tags::new(),
                created_by: who.clone(),
                created: at,
                creator_seq: creator.seq,
                member_seqs: Vec::new(),
                moderator_seqs: Vec::new(),
            },
            claim("CreateChannel", "c"),
        )
        .await
        .expect("channel")
    else {
        panic!("fresh claim replayed")
    };

    // Users and endpoints in one transaction: one create call each would
    // fsync ten thousand times.
    let mut tx = store.writer.begin().await.expect("begin");
    sqlx::query(
        "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) \
         INSERT INTO chime_users (app_instance_seq, user_id, name, metadata, tags, created_ms, \
         updated_ms) SELECT ?, 'member-' || i, 'member', '', '{}', 0, 0 FROM n",
    )
    .bind(MEMBERS)
    .bind(app_instance.seq)
    .execute(&mut *tx)
    .await
    .expect("users");
    sqlx::query(
        "INSERT INTO chime_endpoints (user_seq, endpoint_id, name, endpoint_type, resource_arn, \
         device_token, voip_device_token, allow_messages, created_ms, updated_ms) \
         SELECT seq, 'ep-' || seq, 'phone', 'GCM', 'arn:app', 'token-' || seq, NULL, 1, 0, 0 \
         FROM chime_users WHERE app_instance_seq = ? AND seq != ?",
    )
    .bind(app_instance.seq)
    .bind(creator.seq)
    .execute(&mut *tx)
    .await
    .expect("endpoints");
    let mut seqs: Vec<i64> = sqlx::query_scalar(
        "SELECT seq FROM chime_users WHERE app_instance_seq = ? AND seq != ? ORDER BY seq",
    )
    .bind(app_instance.seq)
    .bind(creator.seq)
    .fetch_all(&mut *tx)
    .await
    .expect("seqs");
    tx.commit().await.expect("commit");
    // Joined newest user first, so that membership order is not user
    // order.
    seqs.reverse();
    let outcomes = store
        .add_members(channel.seq, &seqs, MembershipType::Default, &who, at)
        .await
        .expect("add_members");
    assert_eq!(outcomes.len(), seqs.len());
    let joined: Vec<i64> = std::iter::once(creator.seq).chain(seqs).collect();

    let audience = store
        .push_audience(channel.seq)
        .await
        .expect("audience")
        .candidates;
    assert_eq!(audience.len() as i64, MEMBERS + 1);
    let order: Vec<i64> = audience.iter().map(|c| c.member_seq).collect();
    assert!(order == joined, "membership order");
    assert!(audience[0].endpoints.is_empty());
    assert!(audience[1..].iter().all(|c| c.endpoints.len() == 1));
    // It was read as two halves (its members' seqs span ten thousand),
    // which give what one statement gives.
    let (_, whole) = store
        .audience_part(channel.seq, i64::MIN, i64::MAX)
        .await
        .expect("whole");
    let halves: Vec<&PushCandidate> = audience.iter().map(|c| c.as_ref()).collect();
    assert!(halves == whole.iter().collect::<Vec<_>>(), "halves differ");
    store.close().await;
}
