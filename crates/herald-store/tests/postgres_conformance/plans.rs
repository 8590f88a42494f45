use std::sync::Arc;

use herald_store::postgres::PgStore;
use herald_store::postgres::plans::Probe;
use herald_store::{
    Comparison, InstanceRecord, NewInstance, NewNotification, NewUser, Notification, Priority,
    SearchExpr, SearchField, SearchQuery, StatusWrite, Store, Tags, UserRecord, UserStatus,
    fold_case,
};
use jiff::Timestamp;
use sqlx::Connection;

use super::fresh;

const INSTANCES: usize = 3;
const NOTIFICATIONS: usize = 2_000;
const USERS: usize = 20;
/// Tables whose size grows with the whole store: no hot statement may
/// read one from end to end.
const GUARDED: [&str; 5] = [
    "notifications",
    "search_texts",
    "notification_recipients",
    "user_statuses",
    "notification_tags",
];
const WORDS: [&str; 40] = [
    "disk",
    "full",
    "quota",
    "network",
    "latency",
    "queue",
    "agent",
    "call",
    "transfer",
    "hold",
    "login",
    "logout",
    "shift",
    "break",
    "schedule",
    "outage",
    "restored",
    "maintenance",
    "update",
    "release",
    "zebra",
    "yak",
    "walrus",
    "vulture",
    "urchin",
    "tapir",
    "salmon",
    "raven",
    "quail",
    "panda",
    "otter",
    "newt",
    "moose",
    "lynx",
    "koala",
    "jackal",
    "ibis",
    "heron",
    "gecko",
    "finch",
];
/// 2030-01-01T00:00:00Z.
const NOW_MS: i64 = 1_893_456_000_000;

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("time")
}

struct Filled {
    instance: InstanceRecord,
    users: Vec<UserRecord>,
    notes: Vec<Notification>,
}

/// One instance with its users and notifications: a quarter broadcast,
/// the rest to two users each; words, tags and priorities vary.
async fn fill(store: Arc<PgStore>, n: usize) -> Filled {
    let id = format!("inst-{n}");
    let instance = store
        .create_instance(NewInstance {
            account_id: format!("acct-{n}"),
            arn: format!("arn:aws:connect:us-east-1:acct-{n}:instance/{id}"),
            id,
            alias: None,
            identity_management_type: "CONNECT_MANAGED".into(),
            inbound_calls_enabled: true,
            outbound_calls_enabled: false,
            tags: Tags::new(),
            created_at: at(NOW_MS - 86_400_000),
        })
        .await
        .expect("instance");
    let mut users = Vec::new();
    for u in 0..USERS {
        let id = format!("user-{n}-{u}");
        let user = store
            .create_user(NewUser {
                instance_seq: instance.seq,
                arn: format!("{}/agent/{id}", instance.arn),
                id,
                username: format!("user{u}"),
                settings: serde_json::json!({}),
                tags: Tags::new(),
                modified_at: at(NOW_MS),
                modified_region: "us-east-1".into(),
            })
            .await
            .expect("user");
        users.push(user);
    }
    let mut notes = Vec::new();
    for i in 0..NOTIFICATIONS {
        let word = |k: usize| WORDS[(i * 7 + k * 13 + n) % WORDS.len()];
        let mut content = vec![(
            "en_US".to_owned(),
            format!("{} {} {} ticket {i}", word(0), word(1), word(2)),
        )];
        if i % 4 == 0 {
            content.push(("de_DE".to_owned(), format!("{} Meldung {i}", word(3))));
        }
        let broadcast = i % 4 == 1;
        let direct: Vec<&UserRecord> = if broadcast {
            Vec::new()
        } else {
            vec![&users[i % USERS], &users[(i * 3 + 1) % USERS]]
        };
        let id = format!("note-{n}-{i}");
        let spec = NewNotification {
            instance_seq: instance.seq,
            arn: format!("{}/notification/{id}", instance.arn),
            id,
            content: content.into_iter().collect(),
            priority: [Priority::Low, Priority::High, Priority::Urgent][i % 3],
            recipients: if broadcast {
                vec![instance.arn.clone()]
            } else {
                direct.iter().map(|u| u.arn.clone()).collect()
            },
            broadcast,
            direct_user_seqs: direct.iter().map(|u| u.seq).collect(),
            tags: [
                ("team".to_owned(), format!("t{}", i % 10)),
                ("env".to_owned(), format!("e{}", i % 3)),
            ]
            .into(),
            created_at: at(NOW_MS - 1_000 * (NOTIFICATIONS - i) as i64),
            expires_at: at(NOW_MS + 86_400_000 + i as i64),
            region: "us-east-1".into(),
            client_token: None,
        };
        match store.create_notification(spec).await.expect("create") {
            herald_store::CreateOutcome::Created(note) => notes.push(note),
            other => panic!("{other:?}"),
        }
        if i % 5 == 0 && !broadcast {
            let status = StatusWrite {
                instance_seq: instance.seq,
                notification_id: notes[i].id.clone(),
                user_id: direct[0].id.clone(),
                status: UserStatus::Read,
                now: at(NOW_MS),
                not_older_than: None,
                modified_at: at(NOW_MS),
                modified_region: "us-east-1".into(),
            };
            store.set_user_status(status).await.expect("status");
        }
    }
    Filled {
        instance,
        users,
        notes,
    }
}

fn text(field: SearchField, comparison: Comparison, raw: &str) -> SearchQuery {
    let value = match comparison {
        Comparison::Exact => raw.to_owned(),
        _ => fold_case(raw),
    };
    SearchQuery {
        criteria: Some(SearchExpr::Text {
            field,
            comparison,
            value,
        }),
        tags: None,
    }
}

/// Every `Seq Scan` node of the plan on a guarded table.
fn guarded_seq_scans(node: &serde_json::Value, found: &mut Vec<String>) {
    match node {
        serde_json::Value::Array(items) => items.iter().for_each(|i| guarded_seq_scans(i, found)),
        serde_json::Value::Object(map) => {
            let relation = map.get("Relation Name").and_then(|r| r.as_str());
            if map.get("Node Type").and_then(|t| t.as_str()) == Some("Seq Scan")
                && let Some(relation) = relation.filter(|r| GUARDED.contains(r))
            {
                found.push(relation.to_owned());
            }
            map.values().for_each(|v| guarded_seq_scans(v, found));
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_statements_use_indexes() {
    let Some((database, store)) = fresh("hot_statements_use_indexes").await else {
        return;
    };
    let store = Arc::new(store);
    let fillers: Vec<_> = (0..INSTANCES)
        .map(|n| tokio::spawn(fill(store.clone(), n)))
        .collect();
    let mut filled = Vec::new();
    for filler in fillers {
        filled.push(filler.await.expect("fill"));
    }
    let mut admin = sqlx::PgConnection::connect(database.url())
        .await
        .expect("connect");
    sqlx::query("ANALYZE")
        .execute(&mut admin)
        .await
        .expect("analyze");
    admin.close().await.expect("close");

    let f = &filled[1];
    let seq = f.instance.seq;
    let now = at(NOW_MS);
    let user = &f.users[3];
    let note = &f.notes[42];
    let tags = SearchQuery {
        criteria: None,
        tags: Some(vec![vec![("team".into(), "t3".into())]]),
    };
    let searches = [
        (
            "CONTAINS",
            text(SearchField::Content, Comparison::Contains, "WALRUS"),
        ),
        (
            "STARTS_WITH",
            text(SearchField::Content, Comparison::StartsWith, "Zeb"),
        ),
        ("EXACT", text(SearchField::Id, Comparison::Exact, &note.id)),
        ("tag filter", tags),
    ];
    let mut probes = vec![
        (
            "get_notification",
            Probe::GetNotification {
                instance_seq: seq,
                id: note.id.clone(),
            },
        ),
        (
            "list_notifications",
            Probe::ListNotifications {
                instance_seq: seq,
                now,
                after: None,
                limit: 100,
            },
        ),
        (
            "list_notifications, page 2",
            Probe::ListNotifications {
                instance_seq: seq,
                now,
                after: Some(f.notes[1_500].created_cursor()),
                limit: 100,
            },
        ),
        (
            "user listing",
            Probe::UserListing {
                instance_seq: seq,
                user_seq: user.seq,
                now,
                after: None,
                limit: 100,
            },
        ),
        (
            "user listing, page 2",
            Probe::UserListing {
                instance_seq: seq,
                user_seq: user.seq,
                now,
                after: Some(f.notes[1_000].user_list_cursor()),
                limit: 100,
            },
        ),
        (
            "unread count",
            Probe::UnreadCount {
                instance_seq: seq,
                user_seq: user.seq,
                now,
                cap: 100,
            },
        ),
        (
            "unread count, small cap",
            Probe::UnreadCount {
                instance_seq: seq,
                user_seq: user.seq,
                now,
                cap: 5,
            },
        ),
        (
            "set_user_status target",
            Probe::StatusTarget {
                write: StatusWrite {
                    instance_seq: seq,
                    notification_id: note.id.clone(),
                    user_id: user.id.clone(),
                    status: UserStatus::Hidden,
                    now,
                    not_older_than: None,
                    modified_at: now,
                    modified_region: "us-east-1".into(),
                },
                user_seq: user.seq,
            },
        ),
        (
            "set_user_status stored",
            Probe::StoredStatus {
                user_seq: user.seq,
                notification_seq: note.seq,
            },
        ),
    ];
    for (name, query) in searches {
        probes.push((
            name,
            Probe::SearchPage {
                instance_seq: seq,
                query: query.clone(),
                now,
                after: None,
                limit: 100,
            },
        ));
        probes.push((
            name,
            Probe::SearchCount {
                instance_seq: seq,
                query,
                now,
            },
        ));
    }

    let mut failures = Vec::new();
    for (name, probe) in &probes {
        let plan = store.explain(probe).await.expect("explain");
        let mut scans = Vec::new();
        guarded_seq_scans(&plan, &mut scans);
        if !scans.is_empty() {
            failures.push(format!("{name}: Seq Scan on {scans:?}\n{plan:#}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    store.close().await;
}
