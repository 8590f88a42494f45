//! AppInstanceUser endpoints.

use super::{Fixture, claim, created, now, replayed, secs};
use crate::StoreError;
use crate::chime::{ChimeStore, EndpointType, EndpointUpdate, NewEndpoint};
use crate::conformance::unique;

pub async fn endpoints(store: &dyn ChimeStore) {
    let fx = Fixture::new(store).await;
    let user = fx.user("u").await;
    let other = fx.user("v").await;

    let spec = NewEndpoint {
        endpoint_type: EndpointType::Apns,
        voip_device_token: Some("voip-token".to_owned()),
        ..fx.new_endpoint(&user, "e1")
    };
    let e1 = created(
        store
            .register_endpoint(spec.clone(), fx.claim("RegisterAppInstanceUserEndpoint"))
            .await,
        "register",
    );
    assert_eq!(
        (
            e1.user_seq,
            &e1.endpoint_id,
            &e1.name,
            e1.endpoint_type,
            &e1.resource_arn,
            &e1.device_token,
            &e1.voip_device_token,
            e1.allow_messages,
            e1.created,
            e1.updated,
        ),
        (
            user.seq,
            &spec.endpoint_id,
            &spec.name,
            EndpointType::Apns,
            &spec.resource_arn,
            &spec.device_token,
            &spec.voip_device_token,
            true,
            spec.created,
            spec.created,
        )
    );
    let e2 = fx.endpoint(&user, "e2", false).await;
    assert!(!e2.allow_messages);
    assert_eq!(e2.voip_device_token, None);
    assert!(e1.seq < e2.seq);
    let sandbox = NewEndpoint {
        endpoint_type: EndpointType::ApnsSandbox,
        ..fx.new_endpoint(&other, "e1")
    };
    let foreign = created(
        store
            .register_endpoint(sandbox, fx.claim("RegisterAppInstanceUserEndpoint"))
            .await,
        "same endpoint id, other user",
    );
    assert_eq!(foreign.endpoint_type, EndpointType::ApnsSandbox);

    let get = |user_seq: i64, id: &'static str| async move {
        store.get_endpoint(user_seq, id).await.expect("get")
    };
    assert_eq!(get(user.seq, "e1").await.as_ref(), Some(&e1));
    assert_eq!(get(other.seq, "e1").await.as_ref(), Some(&foreign));
    assert_eq!(get(other.seq, "e2").await, None, "found only for its user");

    let list = |user_seq: i64, after: Option<i64>, limit: u32| async move {
        store
            .list_endpoints(user_seq, after, limit)
            .await
            .expect("list")
    };
    assert_eq!(list(user.seq, None, 10).await, vec![e1.clone(), e2.clone()]);
    assert_eq!(list(user.seq, None, 1).await, vec![e1.clone()]);
    assert_eq!(list(user.seq, Some(e1.seq), 1).await, vec![e2.clone()]);

    // Updates change what they name and the update time, nothing else.
    let renamed = store
        .update_endpoint(
            user.seq,
            "e1",
            &EndpointUpdate {
                name: Some("renamed".to_owned()),
                allow_messages: None,
            },
            secs(10),
        )
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(renamed.name, "renamed");
    assert!(renamed.allow_messages);
    assert_eq!((renamed.created, renamed.updated), (e1.created, secs(10)));
    assert_eq!(get(user.seq, "e1").await.as_ref(), Some(&renamed));
    let muted = store
        .update_endpoint(
            user.seq,
            "e1",
            &EndpointUpdate {
                name: None,
                allow_messages: Some(false),
            },
            secs(20),
        )
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(
        (muted.name.as_str(), muted.allow_messages),
        ("renamed", false)
    );
    assert_eq!(muted.updated, secs(20));
    let unchanged = store
        .update_endpoint(user.seq, "e1", &EndpointUpdate::default(), secs(30))
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(
        (unchanged.name.as_str(), unchanged.allow_messages),
        ("renamed", false)
    );
    assert_eq!(
        (
            unchanged.seq,
            &unchanged.device_token,
            &unchanged.voip_device_token
        ),
        (e1.seq, &e1.device_token, &e1.voip_device_token)
    );
    assert_eq!(
        store
            .update_endpoint(other.seq, "e2", &EndpointUpdate::default(), secs(30))
            .await
            .expect("update"),
        None,
        "no such endpoint"
    );

    assert!(
        store
            .deregister_endpoint(user.seq, "e2")
            .await
            .expect("del")
    );
    assert!(
        !store
            .deregister_endpoint(user.seq, "e2")
            .await
            .expect("again")
    );
    assert_eq!(get(user.seq, "e2").await, None);
    assert_eq!(list(user.seq, None, 10).await, vec![unchanged.clone()]);
    assert_eq!(get(other.seq, "e1").await.as_ref(), Some(&foreign));

    // A retried registration names the first endpoint and writes nothing;
    // the token with another request is a conflict.
    let token = unique("token");
    let first = created(
        store
            .register_endpoint(
                fx.new_endpoint(&user, "e3"),
                claim(
                    fx.account(),
                    "RegisterAppInstanceUserEndpoint",
                    &token,
                    "a",
                    now(),
                ),
            )
            .await,
        "register with token",
    );
    let retry = store
        .register_endpoint(
            fx.new_endpoint(&user, "e4"),
            claim(
                fx.account(),
                "RegisterAppInstanceUserEndpoint",
                &token,
                "a",
                secs(1),
            ),
        )
        .await;
    assert_eq!(replayed(retry), first.endpoint_id);
    let conflict = store
        .register_endpoint(
            fx.new_endpoint(&user, "e5"),
            claim(
                fx.account(),
                "RegisterAppInstanceUserEndpoint",
                &token,
                "b",
                secs(2),
            ),
        )
        .await;
    assert!(
        matches!(conflict, Err(StoreError::Conflict(_))),
        "{conflict:?}"
    );
    assert_eq!(
        list(user.seq, None, 10)
            .await
            .into_iter()
            .map(|e| e.endpoint_id)
            .collect::<Vec<_>>(),
        vec!["e1", "e3"]
    );

    // A deleted user takes no endpoints.
    assert!(
        store
            .delete_app_instance_user(other.seq)
            .await
            .expect("del")
    );
    match store
        .register_endpoint(
            fx.new_endpoint(&other, "late"),
            fx.claim("RegisterAppInstanceUserEndpoint"),
        )
        .await
    {
        Err(StoreError::Gone(_)) => {}
        other => panic!("endpoint of a deleted user: expected Gone, got {other:?}"),
    }
}
