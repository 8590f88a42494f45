use herald_store::{
    ClientTokenClaim, Comparison, CreateOutcome, SearchExpr, SearchField, SearchQuery,
    StatusOutcome, StatusWrite, Store, TagUpdateOutcome, UserStatus,
};

use super::fixtures::{NOW_MS, at, instance, note, user};
use super::fresh;

fn search(field: SearchField, comparison: Comparison, value: &str) -> SearchQuery {
    SearchQuery {
        criteria: Some(SearchExpr::Text {
            field,
            comparison,
            value: value.to_owned(),
        }),
        tags: None,
    }
}

/// PostgreSQL text cannot hold U+0000. Client strings carrying it are
/// stored with U+FFFD instead (JSON columns keep it), and every lookup and
/// search maps it the same way: nothing fails, and what was written is
/// found again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_in_client_strings() {
    let Some((_database, store)) = fresh("nul_in_client_strings").await else {
        return;
    };
    let inst = instance(&store, "nul").await;
    assert_eq!(store.get_instance("acct", "\0").await.expect("get"), None);
    let alice = user(&store, &inst, "al\0ice").await;
    assert_eq!(alice.username, "al\u{FFFD}ice");
    assert_eq!(store.get_user(inst.seq, "\0").await.expect("get"), None);

    let mut spec = note(&inst, "n\0");
    spec.content = [("en_US".to_owned(), "x\0y abc".to_owned())].into();
    spec.tags = [("k".to_owned(), "v\0".to_owned())].into();
    spec.client_token = Some(ClientTokenClaim {
        account_id: inst.account_id.clone(),
        token: "t\0".into(),
        request_digest: "d\0".into(),
    });
    let created = match store
        .create_notification(spec.clone())
        .await
        .expect("create")
    {
        CreateOutcome::Created(n) => n,
        other => panic!("{other:?}"),
    };
    assert_eq!(created.id, "n\u{FFFD}");
    assert_eq!(created.content, spec.content, "JSON columns keep NUL");
    assert_eq!(created.tags, spec.tags);
    let replay = store.create_notification(spec).await.expect("replay");
    assert!(
        matches!(&replay, CreateOutcome::TokenSeen { request_digest, .. } if request_digest == "d\u{FFFD}"),
        "{replay:?}"
    );
    let got = store.get_notification(inst.seq, "n\0").await.expect("get");
    assert_eq!(got.as_ref(), Some(&created));

    let now = at(NOW_MS);
    let hits = |query: SearchQuery| {
        let store = &store;
        async move {
            let page = store
                .search_notifications(inst.seq, &query, now, None, 10)
                .await
                .expect("search");
            page.notifications
                .into_iter()
                .map(|n| n.id)
                .collect::<Vec<_>>()
        }
    };
    let found = vec![created.id.clone()];
    use Comparison::{Contains, Exact, StartsWith};
    use SearchField::{Content, Id};
    assert_eq!(hits(search(Content, Contains, "\0y")).await, found);
    assert_eq!(hits(search(Content, Contains, "x\0y")).await, found);
    assert_eq!(hits(search(Content, Exact, "x\0y abc")).await, found);
    assert_eq!(hits(search(Content, StartsWith, "x\0")).await, found);
    assert_eq!(hits(search(Id, Exact, "n\0")).await, found);
    assert!(hits(search(Content, Contains, "\0ab")).await.is_empty());
    let by_tag = SearchQuery {
        criteria: None,
        tags: Some(vec![vec![("k".into(), "v\0".into())]]),
    };
    assert_eq!(hits(by_tag).await, found);

    let status = StatusWrite {
        instance_seq: inst.seq,
        notification_id: "n\0".into(),
        user_id: alice.id.clone(),
        status: UserStatus::Read,
        now,
        not_older_than: None,
        modified_at: now,
        modified_region: "us-east-1".into(),
    };
    assert_eq!(
        store.set_user_status(status).await.expect("status"),
        StatusOutcome::Written {
            user_seq: alice.seq
        }
    );
    let add = [("k2".to_owned(), "\0".to_owned())].into();
    let updated = store
        .update_notification_tags(inst.seq, "n\0", &add, &["k".to_owned()], 50)
        .await
        .expect("tags");
    assert_eq!(updated, TagUpdateOutcome::Updated(add.clone()));
    let content = [("de_DE".to_owned(), "\0".to_owned())].into();
    let changed = store
        .update_notification_content(inst.seq, "n\0", &content, now, "us-east-1")
        .await
        .expect("content")
        .expect("found");
    assert_eq!(changed.content, content);
    assert!(
        store
            .delete_notification(inst.seq, "n\0")
            .await
            .expect("delete")
    );
    store.close().await;
}
