//! The walk of a large instance's search (`search_probe.rs`): its pages
//! are the match set's, and its estimate follows the instance's size.

use jiff::{SignedDuration, Timestamp};

use std::collections::HashMap;
use std::sync::Arc;

use super::SqliteStore;
use super::search_probe::PROBE_WINDOW;
use crate::{
    Comparison, Content, CreateOutcome, CreatedCursor, InstanceRecord, NewNotification,
    Notification, Priority, SearchExpr, SearchField, SearchQuery, Store, Tags,
};

fn contains(value: &str) -> SearchQuery {
    SearchQuery {
        criteria: Some(SearchExpr::Text {
            field: SearchField::Content,
            comparison: Comparison::Contains,
            value: value.into(),
        }),
        tags: None,
    }
}

/// The instance's stored notifications, kept by triggers (which the
/// walk reads for the instance's size).
async fn instance_size(store: &SqliteStore, instance_seq: i64) -> crate::StoreResult<i64> {
    let size: Option<i64> =
        sqlx::query_scalar("SELECT notification_count FROM instances WHERE seq = ?")
            .bind(instance_seq)
            .fetch_optional(&store.readers)
            .await
            .map_err(crate::db_error::db_err)?;
    Ok(size.unwrap_or(0))
}

fn ids(page: &[Notification]) -> Vec<&str> {
    page.iter().map(|n| n.id.as_str()).collect()
}

/// An instance-wide notification of `instance`.
fn broadcast(
    instance: &InstanceRecord,
    id: &str,
    content: Content,
    created_at: Timestamp,
    expires_at: Timestamp,
) -> NewNotification {
    NewNotification {
        instance_seq: instance.seq,
        id: id.into(),
        arn: format!("{}/notification/{id}", instance.arn),
        content,
        priority: Priority::Low,
        recipients: vec![instance.arn.clone()],
        broadcast: true,
        direct_user_seqs: Vec::new(),
        tags: Tags::new(),
        created_at,
        expires_at,
        region: "us-east-1".into(),
        client_token: None,
    }
}

/// Creates them all at once, as concurrent requests do (they share
/// batches, so seqs need not follow the order given); the seq of each
/// one created, by id.
async fn create_all(
    store: &Arc<SqliteStore>,
    news: impl IntoIterator<Item = NewNotification>,
) -> HashMap<String, i64> {
    let writes: Vec<_> = news
        .into_iter()
        .map(|new| {
            let store = store.clone();
            tokio::spawn(async move { store.create_notification(new).await })
        })
        .collect();
    let mut seqs = HashMap::new();
    for write in writes {
        if let CreateOutcome::Created(n) = write.await.expect("task").expect("create") {
            seqs.insert(n.id.clone(), n.seq);
        }
    }
    seqs
}

/// The triggers keep the count through creates, deletes, the sweeper
/// and a taken id (which inserts nothing): without them every instance
/// would look small and never be walked.
#[tokio::test]
async fn instance_size_follows_inserts_and_deletes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let now = Timestamp::now();
    let instance = super::test_instance(&store, now).await;
    let note = |id: &str, expires_at: Timestamp| {
        let content = [("en_US".to_owned(), "hello".to_owned())].into();
        broadcast(
            &instance,
            id,
            content,
            now - SignedDuration::from_hours(2),
            expires_at,
        )
    };
    let later = now + SignedDuration::from_hours(1);
    for id in ["a", "b", "c"] {
        store
            .create_notification(note(id, later))
            .await
            .expect("create");
    }
    store
        .create_notification(note("old", now - SignedDuration::from_hours(1)))
        .await
        .expect("create");
    store
        .create_notification(note("a", later))
        .await
        .expect("taken id");
    assert_eq!(instance_size(&store, instance.seq).await.expect("size"), 4);

    assert!(
        store
            .delete_notification(instance.seq, "b")
            .await
            .expect("delete")
    );
    assert_eq!(store.sweep_expired(now, 100).await.expect("sweep"), 1);
    assert_eq!(instance_size(&store, instance.seq).await.expect("size"), 2);

    assert!(store.delete_instance(instance.seq).await.expect("delete"));
    assert_eq!(instance_size(&store, instance.seq).await.expect("size"), 0);
}

/// The walk gives exactly the page the match set would: the newest
/// unexpired matches from the cursor, in listing order, even where
/// creation times do not follow the order rows were stored in; a
/// term the window cannot fill a page of is found all the same, and
/// counted exactly.
#[tokio::test]
async fn a_large_instance_walked_gives_the_match_sets_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(dir.path()).await.expect("open"));
    let now = Timestamp::now();
    let instance = super::test_instance(&store, now).await;
    let stored = PROBE_WINDOW + 400;
    // Creation times are a permutation of the store order, so that
    // seq order and listing order differ.
    let created = |i: i64| {
        now - SignedDuration::from_hours(1) + SignedDuration::from_millis((i * 7919) % stored)
    };
    let matches = |i: i64| i % 5 == 0;
    let expired = |i: i64| i % 13 == 0;
    let news = (0..stored).map(|i| {
        let text = match i {
            1 => "the needle is here".to_owned(),
            i if matches(i) => format!("Deploy FAILED on host {i}"),
            i => format!("All good on host {i}"),
        };
        let expires_at = if expired(i) {
            now - SignedDuration::from_mins(1)
        } else {
            now + SignedDuration::from_hours(1)
        };
        let content = [("en_US".to_owned(), text)].into();
        broadcast(&instance, &format!("n{i}"), content, created(i), expires_at)
    });
    let seqs = create_all(&store, news).await;
    let mut expected: Vec<(Timestamp, i64, String)> = (0..stored)
        .filter(|i| matches(*i) && !expired(*i))
        .map(|i| (created(i), seqs[&format!("n{i}")], format!("n{i}")))
        .collect();
    expected.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    let expected: Vec<&str> = expected.iter().map(|(_, _, id)| id.as_str()).collect();

    let query = contains("failed");
    let first = store
        .search_notifications(instance.seq, &query, now, None, 20)
        .await
        .expect("search");
    assert_eq!(ids(&first.notifications), expected[..20]);
    // (It was the walk that answered.)
    let walked = store
        .probe_search(instance.seq, &query, now, None, 20)
        .await
        .expect("probe")
        .expect("the window fills the page");
    assert_eq!(walked, first);
    let last = first.notifications.last().expect("a full page");
    let after = CreatedCursor {
        created_ms: last.created_at.as_millisecond(),
        seq: last.seq,
    };
    let second = store
        .search_notifications(instance.seq, &query, now, Some(after), 20)
        .await
        .expect("search");
    assert_eq!(ids(&second.notifications), expected[20..40]);
    // An estimate from the walk's share of matches.
    let exact = expected.len() as u64;
    assert!(
        (exact / 2..=exact * 2).contains(&first.total),
        "estimated {} of {exact}",
        first.total
    );

    // Exact comparisons in the walk, case and all: the newest of the
    // others is found by its text, the next newest not by its text in
    // capitals.
    let mut others: Vec<i64> = (0..stored)
        .filter(|i| !matches(*i) && !expired(*i) && *i != 1)
        .collect();
    others.sort_by_key(|i| std::cmp::Reverse(created(*i)));
    let exact_text = |value: String| SearchExpr::Text {
        field: SearchField::Content,
        comparison: Comparison::Exact,
        value,
    };
    let either = SearchQuery {
        criteria: Some(SearchExpr::Any(vec![
            contains("failed").criteria.expect("criteria"),
            exact_text(format!("All good on host {}", others[0])),
            exact_text(format!("ALL GOOD ON HOST {}", others[1])),
        ])),
        tags: None,
    };
    let walked = store
        .probe_search(instance.seq, &either, now, None, 20)
        .await
        .expect("probe")
        .expect("the window fills the page");
    let mut page: Vec<(Timestamp, i64, String)> = (0..stored)
        .filter(|i| (matches(*i) && !expired(*i)) || *i == others[0])
        .map(|i| (created(i), seqs[&format!("n{i}")], format!("n{i}")))
        .collect();
    page.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    let page: Vec<&str> = page[..20].iter().map(|(_, _, id)| id.as_str()).collect();
    assert!(page.contains(&format!("n{}", others[0]).as_str()));
    assert_eq!(ids(&walked.notifications), page);

    // Too rare for the window to fill a page: the match set, exactly.
    let rare = store
        .search_notifications(instance.seq, &contains("needle"), now, None, 20)
        .await
        .expect("search");
    assert_eq!(ids(&rare.notifications), ["n1"]);
    assert_eq!(rare.total, 1);
}

/// The walk over one field's texts: a notification that matches in
/// two locales is on the page once, prefix tests walk the same way,
/// and a content change is found where its notification lists (its
/// new texts carry its times).
#[tokio::test]
async fn a_walk_over_texts_lists_each_notification_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(dir.path()).await.expect("open"));
    let now = Timestamp::now();
    let instance = super::test_instance(&store, now).await;
    let stored = PROBE_WINDOW + 100;
    let created = |i: i64| now - SignedDuration::from_hours(1) + SignedDuration::from_millis(i);
    let matches = |i: i64| i % 4 == 0;
    let news = (0..stored).map(|i| {
        let (en, de) = if matches(i) {
            (
                format!("Deploy FAILED on host {i}"),
                format!("Bereitstellung failed auf {i}"),
            )
        } else {
            (
                format!("All good on host {i}"),
                format!("Alles gut auf {i}"),
            )
        };
        let content = [("en_US".to_owned(), en), ("de_DE".to_owned(), de)].into();
        let expires_at = now + SignedDuration::from_hours(1);
        broadcast(&instance, &format!("n{i}"), content, created(i), expires_at)
    });
    assert_eq!(create_all(&store, news).await.len() as i64, stored);
    let newest_matches = |extra: Option<i64>| -> Vec<String> {
        (0..stored)
            .rev()
            .filter(|i| matches(*i) || Some(*i) == extra)
            .take(20)
            .map(|i| format!("n{i}"))
            .collect()
    };
    let prefix = SearchQuery {
        criteria: Some(SearchExpr::Text {
            field: SearchField::Content,
            comparison: Comparison::StartsWith,
            value: "bereitstellung".into(),
        }),
        tags: None,
    };
    for query in [contains("failed"), prefix.clone()] {
        let walked = store
            .probe_search(instance.seq, &query, now, None, 20)
            .await
            .expect("probe")
            .expect("the window fills the page");
        assert_eq!(ids(&walked.notifications), newest_matches(None));
    }

    // The newest notification that did not match now does.
    let changed = (0..stored).rev().find(|i| !matches(*i)).expect("one");
    let content = [("en_US".to_owned(), "Deploy failed after all".to_owned())].into();
    store
        .update_notification_content(
            instance.seq,
            &format!("n{changed}"),
            &content,
            now,
            "us-east-1",
        )
        .await
        .expect("update")
        .expect("found");
    let walked = store
        .probe_search(instance.seq, &contains("failed"), now, None, 20)
        .await
        .expect("probe")
        .expect("the window fills the page");
    assert_eq!(ids(&walked.notifications), newest_matches(Some(changed)));
    // Its German text is gone with the change.
    let walked = store
        .probe_search(instance.seq, &prefix, now, None, 20)
        .await
        .expect("probe")
        .expect("the window fills the page");
    assert_eq!(ids(&walked.notifications), newest_matches(None));
}
