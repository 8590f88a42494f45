//! Token secret, instances and users.

use super::{DAY, Fixture, SearchQuery, cond, criteria, new_instance, new_user, now, t, unique};
use crate::{Comparison, SearchField, Store, StoreError, Tags};

pub async fn token_secret_is_stable(store: &dyn Store) {
    let first = store.token_secret().await.expect("token_secret");
    let second = store.token_secret().await.expect("token_secret");
    assert!(first.len() >= 32, "secret too short: {} bytes", first.len());
    assert_eq!(first, second, "the secret must not change between calls");
    assert!(first.iter().any(|b| *b != 0), "secret is all zeroes");
}

pub async fn instances(store: &dyn Store) {
    let account = unique("acct");
    let other_account = unique("acct");

    let mut first = new_instance(&account, t(-3 * DAY));
    first.alias = Some("first".to_owned());
    first.tags = Tags::from([("k".to_owned(), "v".to_owned())]);
    let a1 = store.create_instance(first.clone()).await.expect("create");
    assert_eq!(
        (
            &a1.account_id,
            &a1.id,
            &a1.arn,
            &a1.alias,
            &a1.identity_management_type,
            a1.inbound_calls_enabled,
            a1.outbound_calls_enabled,
            &a1.tags,
            a1.created_at,
        ),
        (
            &first.account_id,
            &first.id,
            &first.arn,
            &first.alias,
            &first.identity_management_type,
            first.inbound_calls_enabled,
            first.outbound_calls_enabled,
            &first.tags,
            first.created_at,
        ),
        "create_instance returns what was given"
    );
    let a2 = store
        .create_instance(new_instance(&account, t(-2 * DAY)))
        .await
        .expect("create");
    let a3 = store
        .create_instance(new_instance(&account, t(-DAY)))
        .await
        .expect("create");
    let b1 = store
        .create_instance(new_instance(&other_account, t(-DAY)))
        .await
        .expect("create");
    assert!(
        a1.seq < a2.seq && a2.seq < a3.seq,
        "seq grows with creation"
    );

    let got = store.get_instance(&account, &a1.id).await.expect("get");
    assert_eq!(got.as_ref(), Some(&a1));
    let foreign = store
        .get_instance(&other_account, &a1.id)
        .await
        .expect("get");
    assert_eq!(foreign, None, "an instance is only found in its account");
    assert_eq!(
        store.get_instance(&account, "nope").await.expect("get"),
        None
    );

    match store.create_instance(first.clone()).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("duplicate instance id: expected Conflict, got {other:?}"),
    }
    // The same id in another account is a different instance.
    let elsewhere = store
        .create_instance(crate::NewInstance {
            account_id: other_account.clone(),
            ..first.clone()
        })
        .await
        .expect("same id, other account");
    assert_ne!(elsewhere.seq, a1.seq);

    let page1 = store.list_instances(&account, None, 2).await.expect("list");
    assert_eq!(page1, vec![a1.clone(), a2.clone()], "oldest first, limited");
    let page2 = store
        .list_instances(&account, Some(a2.seq), 2)
        .await
        .expect("list");
    assert_eq!(page2, vec![a3.clone()]);
    let others = store
        .list_instances(&other_account, None, 10)
        .await
        .expect("list");
    assert_eq!(others, vec![b1, elsewhere]);

    assert!(store.delete_instance(a2.seq).await.expect("delete"));
    assert!(!store.delete_instance(a2.seq).await.expect("delete again"));
    assert_eq!(
        store.get_instance(&account, &a2.id).await.expect("get"),
        None
    );
    let left = store
        .list_instances(&account, None, 10)
        .await
        .expect("list");
    assert_eq!(left, vec![a1, a3]);
}

pub async fn users(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let other = Fixture::new(store).await;

    let mut spec = new_user(&fx.instance, "alice");
    spec.settings = serde_json::json!({
        "IdentityInfo": { "FirstName": "Alice", "LastName": "Ärger" },
        "PhoneConfig": { "PhoneType": "SOFT_PHONE" },
        "SecurityProfileIds": ["a", "b"]
    });
    spec.tags = Tags::from([("dept".to_owned(), "ops".to_owned())]);
    let alice = store.create_user(spec.clone()).await.expect("create_user");
    assert_eq!(
        (
            &alice.id,
            &alice.arn,
            &alice.username,
            &alice.settings,
            &alice.tags
        ),
        (
            &spec.id,
            &spec.arn,
            &spec.username,
            &spec.settings,
            &spec.tags
        )
    );
    assert_eq!(alice.instance_seq, fx.seq());
    assert_eq!(
        (alice.modified_at, alice.modified_region.as_str()),
        (spec.modified_at, "us-east-1")
    );
    let bob = fx.user("bob").await;
    let carol = fx.user("carol").await;

    let got = store.get_user(fx.seq(), &alice.id).await.expect("get_user");
    assert_eq!(got.as_ref(), Some(&alice));
    assert_eq!(
        store
            .get_user(other.seq(), &alice.id)
            .await
            .expect("get_user"),
        None,
        "a user is only found in its instance"
    );

    match store.create_user(new_user(&fx.instance, "alice")).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("taken user name: expected Conflict, got {other:?}"),
    }
    // User names are unique per instance only.
    other.user("alice").await;

    let wanted = vec![
        carol.id.clone(),
        "no-such-user".to_owned(),
        alice.id.clone(),
        other.user("dave").await.id,
    ];
    let mut found = store.find_users(fx.seq(), &wanted).await.expect("find");
    found.sort_by_key(|u| u.seq);
    assert_eq!(found, vec![alice.clone(), carol.clone()]);
    assert!(
        store
            .find_users(fx.seq(), &[])
            .await
            .expect("find")
            .is_empty(),
        "no ids, no users"
    );

    let page1 = store.list_users(fx.seq(), None, 2).await.expect("list");
    assert_eq!(page1, vec![alice.clone(), bob.clone()], "oldest first");
    let page2 = store
        .list_users(fx.seq(), Some(bob.seq), 2)
        .await
        .expect("list");
    assert_eq!(page2, vec![carol.clone()]);

    assert!(store.delete_user(fx.seq(), &bob.id).await.expect("delete"));
    assert!(!store.delete_user(fx.seq(), &bob.id).await.expect("again"));
    assert!(
        !store
            .delete_user(other.seq(), &alice.id)
            .await
            .expect("foreign"),
        "deleting needs the right instance"
    );
    assert_eq!(store.get_user(fx.seq(), &bob.id).await.expect("get"), None);
    // The name is free again once its user is gone.
    fx.user("bob").await;
}

/// Deleting a user takes their direct deliveries and statuses; the
/// notification itself stays for its other recipients.
pub async fn delete_user_cascades(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let gone = fx.user("gone").await;
    let stays = fx.user("stays").await;
    let shared = fx.create(fx.direct("shared", &[&gone, &stays])).await;

    assert!(store.delete_user(fx.seq(), &gone.id).await.expect("delete"));
    let listed = store
        .list_user_notifications(fx.seq(), gone.seq, now(), None, 100)
        .await
        .expect("list");
    assert!(
        listed.is_empty(),
        "a deleted user's direct deliveries must go: {listed:?}"
    );
    assert_eq!(fx.user_list_ids(&stays).await, vec!["shared"]);
    assert_eq!(
        fx.get("shared").await,
        Some(shared),
        "the notification stays"
    );
}

/// Deleting an instance takes its users, notifications, statuses, tags,
/// search texts and client tokens, and nothing of other instances.
pub async fn delete_instance_cascades(store: &dyn Store) {
    let fx = Fixture::new(store).await;
    let keep = Fixture::new(store).await;
    let user = fx.user("u").await;
    let mut direct = fx.direct("direct", &[&user]);
    direct.tags = Tags::from([("team".to_owned(), "x".to_owned())]);
    direct.content = super::content(&[("en_US", "cascade target")]);
    fx.create(direct).await;
    fx.create(fx.note("broadcast")).await;
    let mut kept = keep.note("kept");
    kept.content = super::content(&[("en_US", "cascade target")]);
    let kept = keep.create(kept).await;

    assert!(store.delete_instance(fx.seq()).await.expect("delete"));
    assert!(!store.delete_instance(fx.seq()).await.expect("again"));
    assert_eq!(
        store
            .get_instance(&fx.instance.account_id, &fx.instance.id)
            .await
            .expect("get"),
        None
    );
    assert_eq!(store.get_user(fx.seq(), &user.id).await.expect("get"), None);
    assert!(
        store
            .list_users(fx.seq(), None, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(fx.get("direct").await, None);
    assert_eq!(fx.get("broadcast").await, None);
    assert!(fx.list_ids().await.is_empty());
    let everything = fx.search(&SearchQuery::default()).await;
    assert_eq!(everything.total, 0);
    let text = criteria(cond(SearchField::Content, Comparison::Contains, "target"));
    assert_eq!(fx.search(&text).await.total, 0);
    assert!(
        store
            .list_user_notifications(fx.seq(), user.seq, now(), None, 10)
            .await
            .expect("list")
            .is_empty()
    );

    assert_eq!(keep.get("kept").await, Some(kept));
    assert_eq!(keep.search_ids(&text).await, vec!["kept"]);
}
