//! App instances, their users and admins, and request claims.

use jiff::SignedDuration;

use super::{Fixture, claim, created, new_app_instance, now, replayed, secs};
use crate::chime::{AppInstanceRecord, ChimeStore, Created, NewAppInstanceUser};
use crate::conformance::{DAY, join_all, unique};
use crate::{CLIENT_TOKEN_TTL_MS, StoreError};

async fn make(
    store: &dyn ChimeStore,
    account: &str,
    days: i64,
) -> (crate::chime::NewAppInstance, AppInstanceRecord) {
    let spec = new_app_instance(account, super::t(days * DAY));
    let record = created(
        store
            .create_app_instance(
                spec.clone(),
                claim(account, "CreateAppInstance", &unique("token"), "d", now()),
            )
            .await,
        "create_app_instance",
    );
    (spec, record)
}

pub async fn app_instances(store: &dyn ChimeStore) {
    let account = unique("acct");
    let other_account = unique("acct");
    let (spec, a1) = make(store, &account, -3).await;
    assert_eq!(
        (
            &a1.account_id,
            &a1.id,
            &a1.name,
            &a1.metadata,
            a1.created,
            a1.updated
        ),
        (
            &spec.account_id,
            &spec.id,
            &spec.name,
            &spec.metadata,
            spec.created,
            spec.created
        ),
        "create_app_instance returns what was given, updated when created"
    );
    let (_, a2) = make(store, &account, -2).await;
    let (_, a3) = make(store, &account, -1).await;
    let (_, b1) = make(store, &other_account, -1).await;
    assert!(a1.seq < a2.seq && a2.seq < a3.seq, "seq grows");

    let get = |account: &str, id: &str| {
        let (account, id) = (account.to_owned(), id.to_owned());
        async move {
            store
                .get_app_instance(&account, &id)
                .await
                .expect("get_app_instance")
        }
    };
    assert_eq!(get(&account, &a1.id).await.as_ref(), Some(&a1));
    assert_eq!(
        get(&other_account, &a1.id).await,
        None,
        "found only in its account"
    );
    assert_eq!(get(&account, "nope").await, None);

    let list = |account: &str, after: Option<i64>, limit: u32| {
        let account = account.to_owned();
        async move {
            store
                .list_app_instances(&account, after, limit)
                .await
                .expect("list_app_instances")
        }
    };
    assert_eq!(
        list(&account, None, 2).await,
        vec![a1.clone(), a2.clone()],
        "oldest first, limited"
    );
    assert_eq!(list(&account, Some(a2.seq), 2).await, vec![a3.clone()]);
    assert_eq!(list(&other_account, None, 10).await, vec![b1]);

    assert!(store.delete_app_instance(a2.seq).await.expect("delete"));
    assert!(!store.delete_app_instance(a2.seq).await.expect("again"));
    assert_eq!(get(&account, &a2.id).await, None);
    assert_eq!(list(&account, None, 10).await, vec![a1, a3]);
}

pub async fn app_instance_users(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let other = Fixture::new(store).await;

    let spec = fx.new_user("alice");
    let alice = created(
        store
            .create_app_instance_user(spec.clone(), fx.claim("CreateAppInstanceUser"))
            .await,
        "create",
    );
    assert_eq!(
        (
            alice.app_instance_seq,
            &alice.user_id,
            &alice.name,
            &alice.metadata,
            alice.created,
            alice.updated,
        ),
        (
            fx.seq(),
            &spec.user_id,
            &spec.name,
            &spec.metadata,
            spec.created,
            spec.created,
        )
    );
    let bob = fx.user("bob").await;
    let carol = fx.user("carol").await;
    assert!(alice.seq < bob.seq && bob.seq < carol.seq, "seq grows");

    let get = |app: i64, id: &str| {
        let id = id.to_owned();
        async move {
            store
                .get_app_instance_user(app, &id)
                .await
                .expect("get_app_instance_user")
        }
    };
    assert_eq!(get(fx.seq(), "alice").await.as_ref(), Some(&alice));
    assert_eq!(
        get(other.seq(), "alice").await,
        None,
        "found only in its app instance"
    );

    // A taken id is a conflict (with a fresh token) and changes nothing.
    let mut clash = fx.new_user("alice");
    clash.name = "impostor".to_owned();
    match store
        .create_app_instance_user(clash, fx.claim("CreateAppInstanceUser"))
        .await
    {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("taken user id: expected Conflict, got {other:?}"),
    }
    assert_eq!(get(fx.seq(), "alice").await.as_ref(), Some(&alice));
    // Ids are unique per app instance only.
    let other_alice = other.user("alice").await;

    let wanted: Vec<String> = ["carol", "nobody", "alice", "alice"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut found = store
        .find_app_instance_users(fx.seq(), &wanted)
        .await
        .expect("find");
    found.sort_by_key(|u| u.seq);
    assert_eq!(found, vec![alice.clone(), carol.clone()]);
    assert!(
        store
            .find_app_instance_users(fx.seq(), &[])
            .await
            .expect("find")
            .is_empty()
    );

    let app = fx.seq();
    let list = |after: Option<i64>, limit: u32| async move {
        store
            .list_app_instance_users(app, after, limit)
            .await
            .expect("list")
    };
    assert_eq!(list(None, 2).await, vec![alice.clone(), bob.clone()]);
    assert_eq!(list(Some(bob.seq), 2).await, vec![carol.clone()]);

    assert!(store.delete_app_instance_user(bob.seq).await.expect("del"));
    assert!(
        !store
            .delete_app_instance_user(bob.seq)
            .await
            .expect("again")
    );
    assert_eq!(get(fx.seq(), "bob").await, None);
    assert_eq!(list(None, 10).await, vec![alice, carol]);
    // The id is free again.
    fx.user("bob").await;
    assert_eq!(
        get(other.seq(), "alice").await,
        Some(other_alice),
        "other app instances are untouched"
    );

    // A deleted app instance takes no new users.
    assert!(store.delete_app_instance(other.seq()).await.expect("del"));
    match store
        .create_app_instance_user(other.new_user("late"), other.claim("CreateAppInstanceUser"))
        .await
    {
        Err(StoreError::Gone(_)) => {}
        other => panic!("user in a deleted app instance: expected Gone, got {other:?}"),
    }
}

/// Replays, conflicts, scopes and expiry of claims, shown on app instance
/// and user creates (the other creates check their replays in their own
/// tests).
pub async fn request_claims(store: &dyn ChimeStore) {
    let account = unique("acct");
    let token = unique("token");
    let first_spec = new_app_instance(&account, now());
    let first = created(
        store
            .create_app_instance(
                first_spec,
                claim(&account, "CreateAppInstance", &token, "digest-1", now()),
            )
            .await,
        "first create",
    );

    // The same request again (a new id made for it, as a retry would)
    // creates nothing and names the first instance.
    let retry_spec = new_app_instance(&account, secs(5));
    let retry = store
        .create_app_instance(
            retry_spec.clone(),
            claim(&account, "CreateAppInstance", &token, "digest-1", secs(5)),
        )
        .await;
    assert_eq!(replayed(retry), first.id);
    let listed = |account: String| async move {
        store
            .list_app_instances(&account, None, 10)
            .await
            .expect("list")
            .into_iter()
            .map(|a| a.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(listed(account.clone()).await, vec![first.id.clone()]);
    assert_eq!(
        store
            .get_app_instance(&account, &retry_spec.id)
            .await
            .expect("get"),
        None
    );

    // Another request with the token is a conflict and writes nothing.
    match store
        .create_app_instance(
            new_app_instance(&account, secs(6)),
            claim(&account, "CreateAppInstance", &token, "digest-2", secs(6)),
        )
        .await
    {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("token reused: expected Conflict, got {other:?}"),
    }
    assert_eq!(listed(account.clone()).await, vec![first.id.clone()]);

    // A claim can be looked up before the request does anything else.
    let lookup = |digest: &str, at| claim(&account, "CreateAppInstance", &token, digest, at);
    assert_eq!(
        store
            .replayed_claim(&lookup("digest-1", secs(7)))
            .await
            .expect("replayed_claim"),
        Some(first.id.clone())
    );
    match store.replayed_claim(&lookup("digest-2", secs(7))).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("token reused: expected Conflict, got {other:?}"),
    }
    let unclaimed = claim(
        &account,
        "CreateAppInstance",
        &unique("token"),
        "d",
        secs(7),
    );
    assert_eq!(
        store.replayed_claim(&unclaimed).await.expect("lookup"),
        None
    );
    let past_ttl = now() + SignedDuration::from_millis(CLIENT_TOKEN_TTL_MS + 1);
    assert_eq!(
        store
            .replayed_claim(&lookup("digest-1", past_ttl))
            .await
            .expect("lookup"),
        None,
        "a claim older than the TTL is free"
    );

    // Tokens are scoped to the account and to the operation.
    let elsewhere = unique("acct");
    created(
        store
            .create_app_instance(
                new_app_instance(&elsewhere, now()),
                claim(&elsewhere, "CreateAppInstance", &token, "digest-2", now()),
            )
            .await,
        "same token, other account",
    );
    let user = created(
        store
            .create_app_instance_user(
                bare_user(first.seq, "u1", now()),
                claim(&account, "CreateAppInstanceUser", &token, "digest-2", now()),
            )
            .await,
        "same token, other operation",
    );
    // A user replay names the first user, though a retry's user id is
    // the same and would otherwise conflict.
    let user_retry = store
        .create_app_instance_user(
            bare_user(first.seq, "u1", secs(1)),
            claim(
                &account,
                "CreateAppInstanceUser",
                &token,
                "digest-2",
                secs(1),
            ),
        )
        .await;
    assert_eq!(replayed(user_retry), user.user_id);

    // A claim older than the TTL is ignored at lookup, swept or not: the
    // token is free, and then names the new instance.
    let later = now() + SignedDuration::from_millis(CLIENT_TOKEN_TTL_MS + 1);
    let renewed = created(
        store
            .create_app_instance(
                new_app_instance(&account, later),
                claim(&account, "CreateAppInstance", &token, "digest-3", later),
            )
            .await,
        "expired token",
    );
    let again = store
        .create_app_instance(
            new_app_instance(&account, later),
            claim(&account, "CreateAppInstance", &token, "digest-3", later),
        )
        .await;
    assert_eq!(replayed(again), renewed.id);

    // A create refused for a taken id claims nothing.
    let fresh_token = unique("token");
    let refused = store
        .create_app_instance_user(
            bare_user(first.seq, "u1", now()),
            claim(&account, "CreateAppInstanceUser", &fresh_token, "x", now()),
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    created(
        store
            .create_app_instance_user(
                bare_user(first.seq, "u2", now()),
                claim(&account, "CreateAppInstanceUser", &fresh_token, "y", now()),
            )
            .await,
        "the refused create left its token free",
    );
}

/// Identical creates racing with one token: exactly one creates, the
/// others replay it.
pub async fn concurrent_request_claims(store: &dyn ChimeStore) {
    let account = unique("acct");
    let token = unique("token");
    let attempts = (0..8)
        .map(|_| {
            store.create_app_instance(
                new_app_instance(&account, now()),
                claim(&account, "CreateAppInstance", &token, "digest", now()),
            )
        })
        .collect();
    let mut winners: Vec<AppInstanceRecord> = Vec::new();
    let mut replays = Vec::new();
    for outcome in join_all(attempts).await {
        match outcome.expect("create") {
            Created::New(record) => winners.push(record),
            Created::Replayed { resource_id } => replays.push(resource_id),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create wins: {winners:?}");
    assert!(replays.iter().all(|id| *id == winners[0].id), "{replays:?}");
    let listed = store
        .list_app_instances(&account, None, 10)
        .await
        .expect("list");
    assert_eq!(listed, winners);
}

pub async fn admins(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let u1 = fx.user("u1").await;
    let u2 = fx.user("u2").await;
    let u3 = fx.user("u3").await;

    store
        .add_app_instance_admin(fx.seq(), u2.seq, now())
        .await
        .expect("add");
    store
        .add_app_instance_admin(fx.seq(), u1.seq, secs(1))
        .await
        .expect("add");
    let app = fx.seq();
    let list = |after: Option<i64>, limit: u32| async move {
        store
            .list_app_instance_admins(app, after, limit)
            .await
            .expect("list")
    };
    let before = list(None, 10).await;
    assert_eq!(
        before.iter().map(|a| a.user.clone()).collect::<Vec<_>>(),
        vec![u2.clone(), u1.clone()],
        "oldest admin first"
    );
    assert!(before[0].seq < before[1].seq);

    let is_admin = |user_seq: i64| async move {
        store
            .is_app_instance_admin(app, user_seq)
            .await
            .expect("is admin")
    };
    assert!(is_admin(u1.seq).await && is_admin(u2.seq).await);
    assert!(!is_admin(u3.seq).await, "never made an admin");

    // Adding again changes nothing, not even the listing order.
    store
        .add_app_instance_admin(fx.seq(), u2.seq, secs(2))
        .await
        .expect("add again");
    assert_eq!(list(None, 10).await, before);
    let page = list(None, 1).await;
    assert_eq!(page, before[..1].to_vec());
    assert_eq!(list(Some(page[0].seq), 1).await, before[1..].to_vec());

    assert!(
        store
            .remove_app_instance_admin(fx.seq(), u2.seq)
            .await
            .expect("remove")
    );
    assert!(
        !store
            .remove_app_instance_admin(fx.seq(), u2.seq)
            .await
            .expect("again")
    );
    assert!(
        !store
            .remove_app_instance_admin(fx.seq(), u3.seq)
            .await
            .expect("never an admin")
    );
    assert_eq!(list(None, 10).await, before[1..].to_vec());
    assert!(!is_admin(u2.seq).await, "removed");

    assert!(store.delete_app_instance_user(u3.seq).await.expect("del"));
    match store.add_app_instance_admin(fx.seq(), u3.seq, now()).await {
        Err(StoreError::Gone(_)) => {}
        other => panic!("deleted user as admin: expected Gone, got {other:?}"),
    }
    assert_eq!(list(None, 10).await, before[1..].to_vec());
}

fn bare_user(app_instance_seq: i64, user_id: &str, created: jiff::Timestamp) -> NewAppInstanceUser {
    NewAppInstanceUser {
        app_instance_seq,
        user_id: user_id.to_owned(),
        name: user_id.to_owned(),
        metadata: String::new(),
        tags: crate::Tags::new(),
        created,
    }
}
