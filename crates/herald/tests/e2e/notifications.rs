//! CreateNotification, DescribeNotification, ListNotifications,
//! UpdateNotificationContent, DeleteNotification.
// `PredefinedNotificationId` is deprecated in the SDK but still honoured.
#![allow(deprecated)]

use std::collections::HashMap;

use crate::common::*;
use aws_sdk_connect::Client;
use aws_sdk_connect::operation::create_notification::builders::CreateNotificationFluentBuilder;
use aws_sdk_connect::types::{
    ConfigurableNotificationPriority, LocaleCode, NotificationPriority, NotificationSearchCriteria,
    NotificationStatus, StringComparisonType, StringCondition,
};

/// Asserts a CreateNotification is refused with `InvalidParameterException`
/// whose message mentions `mention`, and that nothing was created.
async fn assert_create_refused(
    client: &Client,
    instance_id: &str,
    user_id: &str,
    req: CreateNotificationFluentBuilder,
    mention: &str,
) {
    let err = assert_err(req.send().await, "InvalidParameterException", 400);
    assert!(
        err.message.contains(mention),
        "message should mention {mention:?}: {err:?}"
    );
    assert!(
        list_notification_ids(client, instance_id).await.is_empty(),
        "a refused CreateNotification ({mention}) created something"
    );
    assert!(
        user_notification_ids(client, instance_id, user_id)
            .await
            .is_empty(),
        "a refused CreateNotification ({mention}) reached a user"
    );
}

struct Fixture {
    server: Server,
    client: Client,
    inst: InstanceRef,
    user: UserRef,
}

async fn fixture() -> Fixture {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    Fixture {
        server,
        client,
        inst,
        user,
    }
}

impl Fixture {
    fn create(&self) -> CreateNotificationFluentBuilder {
        self.client
            .create_notification()
            .instance_id(&self.inst.id)
            .recipients(&self.user.arn)
            .content(LocaleCode::EnUs, "valid text")
    }

    async fn refused(&self, req: CreateNotificationFluentBuilder, mention: &str) {
        assert_create_refused(&self.client, &self.inst.id, &self.user.id, req, mention).await;
    }
}

/// Generated ids are UUIDv7, so each is later than the one before: the
/// store's indexes over ids grow at their end (README, "Notification ids").
#[tokio::test(flavor = "multi_thread")]
async fn generated_ids_are_time_ordered_uuids() {
    let f = fixture().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let out = ok(f.create().send().await);
        let id = out.notification_id().to_string();
        assert!(is_uuid(&id), "notification id is not a UUID: {id}");
        assert_eq!(&id[14..15], "7", "not a version-7 UUID: {id}");
        ids.push(id);
        // UUIDv7 orders by the millisecond first.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "ids are not in creation order");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_then_describe_echoes_every_member() {
    let f = fixture().await;
    let bob = create_user(&f.client, &f.inst.id, "bob").await;
    let expires = secs_from_now(2.0 * DAY);
    let before = now().as_secs_f64();
    let out = ok(f
        .client
        .create_notification()
        .instance_id(&f.inst.id)
        .recipients(&f.user.arn)
        .recipients(&bob.arn)
        .content(LocaleCode::EnUs, "Maintenance tonight")
        .content(LocaleCode::DeDe, "Wartung heute Nacht")
        .priority(ConfigurableNotificationPriority::High)
        .expires_at(expires)
        .tags("team", "ops")
        .tags("env", "test")
        .send()
        .await);
    let after = now().as_secs_f64();
    let id = out.notification_id().to_string();
    assert!(is_uuid(&id), "notification id is not a UUID: {id}");
    assert_eq!(
        out.notification_arn(),
        format!("{}/notification/{id}", f.inst.arn)
    );

    let described = ok(f
        .client
        .describe_notification()
        .instance_id(&f.inst.id)
        .notification_id(&id)
        .send()
        .await);
    let n = described.notification().expect("Notification");
    assert_eq!(n.id(), id);
    assert_eq!(n.arn(), out.notification_arn());
    assert_eq!(
        n.content(),
        Some(&HashMap::from([
            (LocaleCode::EnUs, "Maintenance tonight".to_string()),
            (LocaleCode::DeDe, "Wartung heute Nacht".to_string()),
        ]))
    );
    assert_eq!(n.priority(), Some(&NotificationPriority::High));
    assert_eq!(
        sorted(n.recipients().to_vec()),
        sorted(vec![f.user.arn.clone(), bob.arn.clone()])
    );
    let created = n.created_at().expect("CreatedAt").as_secs_f64();
    assert!(
        created >= before - 2.0 && created <= after + 2.0,
        "CreatedAt {created} not within [{before}, {after}]"
    );
    assert_same_instant(n.expires_at().expect("ExpiresAt"), &expires, "ExpiresAt");
    assert!(n.last_modified_time().as_secs_f64() >= created - 0.001);
    assert_eq!(n.last_modified_region(), Some(REGION));
    assert_eq!(
        n.tags(),
        Some(&HashMap::from([
            ("team".to_string(), "ops".to_string()),
            ("env".to_string(), "test".to_string()),
        ]))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn defaults_low_priority_seven_days_no_tags() {
    let f = fixture().await;
    let out = ok(f.create().send().await);
    let n = ok(f
        .client
        .describe_notification()
        .instance_id(&f.inst.id)
        .notification_id(out.notification_id())
        .send()
        .await);
    let n = n.notification().unwrap();
    assert_eq!(n.priority(), Some(&NotificationPriority::Low));
    let created = n.created_at().expect("CreatedAt").as_secs_f64();
    let expires = n.expires_at().expect("ExpiresAt").as_secs_f64();
    assert!(
        (expires - created - 7.0 * DAY).abs() < 2.0,
        "default expiry should be creation + 7 days: created {created}, expires {expires}"
    );
    assert!(
        n.tags().is_none(),
        "Tags must be omitted when empty: {:?}",
        n.tags()
    );
    assert_eq!(n.recipients(), std::slice::from_ref(&f.user.arn));
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_recipients_are_collapsed() {
    let f = fixture().await;
    let out = ok(f
        .create()
        .recipients(&f.user.arn)
        .recipients(&f.user.arn)
        .send()
        .await);
    let n = ok(f
        .client
        .describe_notification()
        .instance_id(&f.inst.id)
        .notification_id(out.notification_id())
        .send()
        .await);
    assert_eq!(
        n.notification().unwrap().recipients(),
        std::slice::from_ref(&f.user.arn)
    );
    // And the user sees it once.
    assert_eq!(
        user_notification_ids(&f.client, &f.inst.id, &f.user.id).await,
        vec![out.notification_id().to_string()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn direct_and_instance_recipient_reach_a_user_once() {
    let f = fixture().await;
    let out = ok(f.create().recipients(&f.inst.arn).send().await);
    let seen = list_user_notifications_all(&f.client, &f.inst.id, &f.user.id).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].notification_id(), Some(out.notification_id()));
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_replays_of_one_client_token_create_one_notification() {
    let f = fixture().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let req = f.create().client_token("racing-token");
        tasks.spawn(async move { req.send().await });
    }
    let mut ids = Vec::new();
    while let Some(res) = tasks.join_next().await {
        ids.push(ok(res.expect("task")).notification_id().to_string());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        1,
        "identical requests with one token got different ids: {ids:?}"
    );
    assert_eq!(list_notification_ids(&f.client, &f.inst.id).await, ids);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_duplicate_predefined_ids_create_one_notification() {
    let f = fixture().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let req = f
            .create()
            .content(LocaleCode::EnUs, format!("racer {i}"))
            .predefined_notification_id("contested");
        tasks.spawn(async move { req.send().await });
    }
    let (mut created, mut conflicts) = (0, 0);
    while let Some(res) = tasks.join_next().await {
        match res.expect("task") {
            Ok(out) => {
                assert_eq!(out.notification_id(), "contested");
                created += 1;
            }
            Err(e) => {
                let err = api_error(&e);
                assert_eq!(
                    (err.code.as_str(), err.status),
                    ("DuplicateResourceException", 409),
                    "{err:?}"
                );
                conflicts += 1;
            }
        }
    }
    assert_eq!((created, conflicts), (1, 11));
    assert_eq!(
        list_notification_ids(&f.client, &f.inst.id).await,
        vec!["contested".to_string()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn predefined_id_with_reserved_characters_round_trips() {
    let f = fixture().await;
    let id = "ops/2024 Grüße?#%&+";
    let out = ok(f.create().predefined_notification_id(id).send().await);
    assert_eq!(out.notification_id(), id);
    assert_eq!(
        out.notification_arn(),
        format!("{}/notification/{id}", f.inst.arn)
    );
    let n = ok(f
        .client
        .describe_notification()
        .instance_id(&f.inst.id)
        .notification_id(id)
        .send()
        .await);
    assert_eq!(n.notification().unwrap().id(), id);
    ok(f.client
        .update_user_notification_status()
        .instance_id(&f.inst.id)
        .user_id(&f.user.id)
        .notification_id(id)
        .status(aws_sdk_connect::types::NotificationStatus::Read)
        .send()
        .await);
    ok(f.client
        .tag_resource()
        .resource_arn(out.notification_arn())
        .tags("k", "v")
        .send()
        .await);
    let tags = ok(f
        .client
        .list_tags_for_resource()
        .resource_arn(out.notification_arn())
        .send()
        .await);
    assert_eq!(
        tags.tags(),
        Some(&HashMap::from([("k".to_string(), "v".to_string())]))
    );
    // A prefix of the id is a different (unknown) notification.
    assert_err(
        f.client
            .describe_notification()
            .instance_id(&f.inst.id)
            .notification_id("ops")
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    ok(f.client
        .delete_notification()
        .instance_id(&f.inst.id)
        .notification_id(id)
        .send()
        .await);
    assert!(
        list_notification_ids(&f.client, &f.inst.id)
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn recipient_count_limits() {
    let f = fixture().await;
    // 201 distinct, existing users: too many.
    let mut arns = vec![f.user.arn.clone()];
    for u in create_users(&f.client, &f.inst.id, 200).await {
        arns.push(u.arn);
    }
    assert_eq!(arns.len(), 201);
    f.refused(
        f.client
            .create_notification()
            .instance_id(&f.inst.id)
            .set_recipients(Some(arns.clone()))
            .content(LocaleCode::EnUs, "too many"),
        "Recipients",
    )
    .await;
    // None at all, or an empty list.
    f.refused(
        f.client
            .create_notification()
            .instance_id(&f.inst.id)
            .set_recipients(Some(vec![]))
            .content(LocaleCode::EnUs, "nobody"),
        "Recipients",
    )
    .await;
    f.refused(
        f.client
            .create_notification()
            .instance_id(&f.inst.id)
            .content(LocaleCode::EnUs, "nobody"),
        "Recipients",
    )
    .await;
    // Exactly 200 is accepted.
    arns.truncate(200);
    let out = ok(f
        .client
        .create_notification()
        .instance_id(&f.inst.id)
        .set_recipients(Some(arns.clone()))
        .content(LocaleCode::EnUs, "two hundred")
        .send()
        .await);
    let n = ok(f
        .client
        .describe_notification()
        .instance_id(&f.inst.id)
        .notification_id(out.notification_id())
        .send()
        .await);
    assert_eq!(
        sorted(n.notification().unwrap().recipients().to_vec()),
        sorted(arns)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_recipients_are_refused_and_named() {
    let f = fixture().await;
    let other = create_instance(&f.client).await;
    let stranger = create_user(&f.client, &other.id, "stranger").await;
    let ghost_user = format!("{}/agent/00000000-0000-4000-8000-000000000000", f.inst.arn);
    let user_id_only = f.user.id.clone();
    let wrong_service = f.user.arn.replace("arn:aws:connect:", "arn:aws:chime:");
    let wrong_region = f.user.arn.replace(REGION, "eu-west-1");
    let wrong_account = f.user.arn.replace(ACCOUNT, "111111111111");
    let wrong_partition = f.user.arn.replace("arn:aws:", "arn:aws-cn:");
    let shouting = f.user.arn.replace("/agent/", "/AGENT/");
    let trailing_slash = format!("{}/", f.user.arn);
    let with_suffix = format!("{}/extra", f.user.arn);
    let instance_slash = format!("{}/", f.inst.arn);
    let notification_arn = format!("{}/notification/x", f.inst.arn);
    let upper_id = format!("{}/agent/{}", f.inst.arn, f.user.id.to_uppercase());

    for bad in [
        stranger.arn.as_str(),  // a user of another instance
        other.arn.as_str(),     // another instance
        "not-an-arn",           // garbage
        ghost_user.as_str(),    // no such user here
        user_id_only.as_str(),  // an id is not an ARN
        wrong_service.as_str(), // not a Connect ARN
        wrong_region.as_str(),
        wrong_account.as_str(),
        wrong_partition.as_str(),
        shouting.as_str(),
        trailing_slash.as_str(),
        with_suffix.as_str(),
        instance_slash.as_str(),
        notification_arn.as_str(),
        upper_id.as_str(),
        "",
    ] {
        f.refused(
            f.client
                .create_notification()
                .instance_id(&f.inst.id)
                .recipients(&f.user.arn)
                .recipients(bad)
                .content(LocaleCode::EnUs, "x"),
            bad,
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn content_validation() {
    let f = fixture().await;
    let base = || {
        f.client
            .create_notification()
            .instance_id(&f.inst.id)
            .recipients(&f.user.arn)
    };
    // No locale at all.
    f.refused(base().set_content(Some(HashMap::new())), "Content")
        .await;
    f.refused(base(), "Content").await;
    // A locale outside LocaleCode.
    f.refused(
        base().content(LocaleCode::from("xx_XX"), "hello"),
        "Content",
    )
    .await;
    f.refused(
        base()
            .content(LocaleCode::EnUs, "ok")
            .content(LocaleCode::from("en_GB"), "hello"),
        "Content",
    )
    .await;
    // 501 characters, ASCII and multibyte.
    f.refused(base().content(LocaleCode::EnUs, "a".repeat(501)), "Content")
        .await;
    f.refused(
        base().content(LocaleCode::JaJp, "日".repeat(501)),
        "Content",
    )
    .await;
    f.refused(
        base()
            .content(LocaleCode::EnUs, "fine")
            .content(LocaleCode::FrFr, "é".repeat(501)),
        "Content",
    )
    .await;

    // 500 characters are fine however many bytes (or UTF-16 units) they take.
    let texts = [
        (LocaleCode::EnUs, "a".repeat(500)),
        (LocaleCode::JaJp, "日".repeat(500)),
        (LocaleCode::KoKr, "😀".repeat(500)),
        (LocaleCode::DeDe, "ß".repeat(500)),
    ];
    let mut req = base();
    for (locale, text) in &texts {
        req = req.content(locale.clone(), text);
    }
    let out = ok(req.send().await);
    let n = ok(f
        .client
        .describe_notification()
        .instance_id(&f.inst.id)
        .notification_id(out.notification_id())
        .send()
        .await);
    let content = n.notification().unwrap().content().expect("Content");
    assert_eq!(content, &texts.into_iter().collect::<HashMap<_, _>>());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_locale_code_is_accepted() {
    let f = fixture().await;
    let mut req = f
        .client
        .create_notification()
        .instance_id(&f.inst.id)
        .recipients(&f.user.arn);
    let all: HashMap<LocaleCode, String> = LocaleCode::values()
        .iter()
        .map(|v| (LocaleCode::from(*v), format!("text in {v}")))
        .collect();
    assert_eq!(all.len(), 11);
    for (k, v) in &all {
        req = req.content(k.clone(), v);
    }
    let out = ok(req.send().await);
    let n = ok(f
        .client
        .describe_notification()
        .instance_id(&f.inst.id)
        .notification_id(out.notification_id())
        .send()
        .await);
    assert_eq!(n.notification().unwrap().content(), Some(&all));
}

#[tokio::test(flavor = "multi_thread")]
async fn priority_validation() {
    let f = fixture().await;
    f.refused(
        f.create()
            .priority(ConfigurableNotificationPriority::from("URGENT")),
        "Priority",
    )
    .await;
    f.refused(
        f.create()
            .priority(ConfigurableNotificationPriority::from("MEDIUM")),
        "Priority",
    )
    .await;
    f.refused(
        f.create()
            .priority(ConfigurableNotificationPriority::from("high")),
        "Priority",
    )
    .await;
    let out = ok(f
        .create()
        .priority(ConfigurableNotificationPriority::Low)
        .send()
        .await);
    let n = ok(f
        .client
        .describe_notification()
        .instance_id(&f.inst.id)
        .notification_id(out.notification_id())
        .send()
        .await);
    assert_eq!(
        n.notification().unwrap().priority(),
        Some(&NotificationPriority::Low)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn expiry_validation() {
    let f = fixture().await;
    f.refused(f.create().expires_at(secs_from_now(-60.0)), "ExpiresAt")
        .await;
    f.refused(
        f.create().expires_at(secs_from_now(-400.0 * DAY)),
        "ExpiresAt",
    )
    .await;
    f.refused(
        f.create().expires_at(secs_from_now(366.0 * DAY)),
        "ExpiresAt",
    )
    .await;
    f.refused(
        f.create().expires_at(secs_from_now(3650.0 * DAY)),
        "ExpiresAt",
    )
    .await;

    let in_364_days = secs_from_now(364.0 * DAY);
    let out = ok(f.create().expires_at(in_364_days).send().await);
    let n = ok(f
        .client
        .describe_notification()
        .instance_id(&f.inst.id)
        .notification_id(out.notification_id())
        .send()
        .await);
    assert_same_instant(
        n.notification().unwrap().expires_at().unwrap(),
        &in_364_days,
        "ExpiresAt",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tag_validation_on_create() {
    let f = fixture().await;
    let fifty_one: HashMap<String, String> =
        (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
    f.refused(f.create().set_tags(Some(fifty_one)), "Tags")
        .await;
    f.refused(f.create().tags("aws:owner", "me"), "Tags").await;
    f.refused(f.create().tags("k".repeat(129), "v"), "Tags")
        .await;
    f.refused(f.create().tags("", "v"), "Tags").await;
    f.refused(f.create().tags("k", "v".repeat(257)), "Tags")
        .await;

    let fifty: HashMap<String, String> = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
    let out = ok(f.create().set_tags(Some(fifty.clone())).send().await);
    let tags = ok(f
        .client
        .list_tags_for_resource()
        .resource_arn(out.notification_arn())
        .send()
        .await);
    assert_eq!(tags.tags(), Some(&fifty));
}

#[tokio::test(flavor = "multi_thread")]
async fn token_and_predefined_id_lengths() {
    let f = fixture().await;
    f.refused(f.create().client_token("t".repeat(501)), "ClientToken")
        .await;
    f.refused(f.create().client_token(""), "ClientToken").await;
    f.refused(
        f.create().predefined_notification_id("p".repeat(257)),
        "PredefinedNotificationId",
    )
    .await;
    f.refused(
        f.create().predefined_notification_id(""),
        "PredefinedNotificationId",
    )
    .await;

    let id256 = "p".repeat(256);
    let out = ok(f
        .create()
        .client_token("t".repeat(500))
        .predefined_notification_id(&id256)
        .send()
        .await);
    assert_eq!(out.notification_id(), id256);
}

#[tokio::test(flavor = "multi_thread")]
async fn client_token_replay_returns_the_same_notification() {
    let f = fixture().await;
    let req = || {
        f.create()
            .priority(ConfigurableNotificationPriority::High)
            .tags("k", "v")
            .client_token("token-1")
    };
    let first = ok(req().send().await);
    let second = ok(req().send().await);
    assert_eq!(first.notification_id(), second.notification_id());
    assert_eq!(first.notification_arn(), second.notification_arn());
    assert_eq!(
        list_notification_ids(&f.client, &f.inst.id).await,
        vec![first.notification_id().to_string()]
    );
    assert_eq!(
        user_notification_ids(&f.client, &f.inst.id, &f.user.id).await,
        vec![first.notification_id().to_string()]
    );

    // The same request with an explicit expiry, replayed, is also one.
    let expires = secs_from_now(DAY);
    let a = ok(f
        .create()
        .expires_at(expires)
        .client_token("token-2")
        .send()
        .await);
    let b = ok(f
        .create()
        .expires_at(expires)
        .client_token("token-2")
        .send()
        .await);
    assert_eq!(a.notification_id(), b.notification_id());
    assert_eq!(list_notification_ids(&f.client, &f.inst.id).await.len(), 2);

    // A different token is a different notification.
    let c = ok(f.create().client_token("token-3").send().await);
    assert_ne!(c.notification_id(), a.notification_id());
    assert_eq!(list_notification_ids(&f.client, &f.inst.id).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn client_token_with_a_different_request_is_409() {
    let f = fixture().await;
    let original = ok(f.create().client_token("same-token").send().await);

    let variants: Vec<(&str, CreateNotificationFluentBuilder)> = vec![
        (
            "content",
            f.client
                .create_notification()
                .instance_id(&f.inst.id)
                .recipients(&f.user.arn)
                .content(LocaleCode::EnUs, "different text"),
        ),
        (
            "priority",
            f.create().priority(ConfigurableNotificationPriority::High),
        ),
        ("expiry", f.create().expires_at(secs_from_now(3.0 * DAY))),
        ("tags", f.create().tags("k", "v")),
        ("recipients", f.create().recipients(&f.inst.arn)),
        (
            "predefined id",
            f.create().predefined_notification_id("pre-1"),
        ),
    ];
    for (what, req) in variants {
        let err = match req.client_token("same-token").send().await {
            Ok(out) => panic!("same token, different {what}: accepted as {out:?}"),
            Err(e) => api_error(&e),
        };
        assert_eq!(
            (err.code.as_str(), err.status),
            ("DuplicateResourceException", 409),
            "same token, different {what}: {err:?}"
        );
    }
    assert_eq!(
        list_notification_ids(&f.client, &f.inst.id).await,
        vec![original.notification_id().to_string()]
    );
    // The original request still replays.
    let again = ok(f.create().client_token("same-token").send().await);
    assert_eq!(again.notification_id(), original.notification_id());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_request_does_not_claim_its_client_token() {
    let f = fixture().await;
    assert_err(
        f.create()
            .priority(ConfigurableNotificationPriority::from("URGENT"))
            .client_token("first-try")
            .send()
            .await,
        "InvalidParameterException",
        400,
    );
    assert_err(
        f.create()
            .recipients("not-an-arn")
            .client_token("first-try")
            .send()
            .await,
        "InvalidParameterException",
        400,
    );
    let out = ok(f.create().client_token("first-try").send().await);
    assert_eq!(
        list_notification_ids(&f.client, &f.inst.id).await,
        vec![out.notification_id().to_string()]
    );
}

/// The contract lists the instance among what makes two requests "the
/// same": the same token sent to another instance is a different request.
#[tokio::test(flavor = "multi_thread")]
async fn client_token_reused_in_another_instance_is_409() {
    let f = fixture().await;
    let other = create_instance(&f.client).await;
    let other_user = create_user(&f.client, &other.id, "zed").await;
    let original = ok(f.create().client_token("shared-token").send().await);
    let res = f
        .client
        .create_notification()
        .instance_id(&other.id)
        .recipients(&other_user.arn)
        .content(LocaleCode::EnUs, "valid text")
        .client_token("shared-token")
        .send()
        .await;
    assert_err(res, "DuplicateResourceException", 409);
    assert!(list_notification_ids(&f.client, &other.id).await.is_empty());
    assert_eq!(
        list_notification_ids(&f.client, &f.inst.id).await,
        vec![original.notification_id().to_string()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn predefined_notification_id_is_used_and_unique_per_instance() {
    let f = fixture().await;
    let out = ok(f
        .create()
        .predefined_notification_id("maintenance-2024")
        .send()
        .await);
    assert_eq!(out.notification_id(), "maintenance-2024");
    assert_eq!(
        out.notification_arn(),
        format!("{}/notification/maintenance-2024", f.inst.arn)
    );
    let n = ok(f
        .client
        .describe_notification()
        .instance_id(&f.inst.id)
        .notification_id("maintenance-2024")
        .send()
        .await);
    assert_eq!(n.notification().unwrap().id(), "maintenance-2024");

    assert_err(
        f.create()
            .predefined_notification_id("maintenance-2024")
            .content(LocaleCode::EnUs, "another one")
            .send()
            .await,
        "DuplicateResourceException",
        409,
    );
    assert_eq!(
        list_notification_ids(&f.client, &f.inst.id).await,
        vec!["maintenance-2024".to_string()]
    );

    // Another instance may use the same id.
    let other = create_instance(&f.client).await;
    let u = create_user(&f.client, &other.id, "bob").await;
    let out2 = ok(f
        .client
        .create_notification()
        .instance_id(&other.id)
        .recipients(&u.arn)
        .content(LocaleCode::EnUs, "elsewhere")
        .predefined_notification_id("maintenance-2024")
        .send()
        .await);
    assert_eq!(out2.notification_id(), "maintenance-2024");
    assert_eq!(
        out2.notification_arn(),
        format!("{}/notification/maintenance-2024", other.arn)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_notifications_newest_first_within_the_instance() {
    let f = fixture().await;
    let other = create_instance(&f.client).await;
    let ou = create_user(&f.client, &other.id, "o").await;
    notify(&f.client, &other.id, &[&ou.arn], "other instance").await;

    let mut created = Vec::new();
    for i in 0..6 {
        let recipients = if i % 2 == 0 {
            f.user.arn.as_str()
        } else {
            f.inst.arn.as_str()
        };
        created.push(
            notify(&f.client, &f.inst.id, &[recipients], &format!("n{i}"))
                .await
                .id,
        );
    }
    created.reverse();
    let listed = list_notifications_all(&f.client, &f.inst.id).await;
    let ids: Vec<_> = listed.iter().map(|n| n.id().to_string()).collect();
    assert_eq!(ids, created, "newest first");
    for n in &listed {
        assert!(n.content().is_some() && n.created_at().is_some(), "{n:?}");
        assert_eq!(n.arn(), format!("{}/notification/{}", f.inst.arn, n.id()));
    }

    for bad in [0, 101] {
        assert_err(
            f.client
                .list_notifications()
                .instance_id(&f.inst.id)
                .max_results(bad)
                .send()
                .await,
            "InvalidParameterException",
            400,
        );
    }
    let page = ok(f
        .client
        .list_notifications()
        .instance_id(&f.inst.id)
        .max_results(100)
        .send()
        .await);
    assert_eq!(page.notification_summary_list().len(), 6);
    assert!(page.next_token().is_none());
    let page = ok(f
        .client
        .list_notifications()
        .instance_id(&f.inst.id)
        .max_results(4)
        .send()
        .await);
    assert_eq!(page.notification_summary_list().len(), 4);
    assert!(page.next_token().is_some());
}

fn content_contains(value: &str) -> NotificationSearchCriteria {
    NotificationSearchCriteria::builder()
        .string_condition(
            StringCondition::builder()
                .field_name("Content")
                .value(value)
                .comparison_type(StringComparisonType::Contains)
                .build(),
        )
        .build()
}

#[tokio::test(flavor = "multi_thread")]
async fn update_content_is_seen_everywhere() {
    let f = fixture().await;
    let bob = create_user(&f.client, &f.inst.id, "bob").await;
    let note = notify(
        &f.client,
        &f.inst.id,
        &[&f.user.arn, &bob.arn],
        "before alpha",
    )
    .await;
    let describe = || {
        f.client
            .describe_notification()
            .instance_id(&f.inst.id)
            .notification_id(&note.id)
            .send()
    };
    let before = ok(describe().await).notification.unwrap();

    let new_content = HashMap::from([
        (LocaleCode::EnUs, "after omega".to_string()),
        (LocaleCode::FrFr, "après oméga".to_string()),
    ]);
    ok(f.client
        .update_notification_content()
        .instance_id(&f.inst.id)
        .notification_id(&note.id)
        .set_content(Some(new_content.clone()))
        .send()
        .await);

    let after = ok(describe().await).notification.unwrap();
    assert_eq!(after.content(), Some(&new_content));
    assert!(
        after.last_modified_time().as_secs_f64() > before.last_modified_time().as_secs_f64(),
        "LastModifiedTime must advance: {:?} -> {:?}",
        before.last_modified_time(),
        after.last_modified_time()
    );
    assert_same_instant(
        after.created_at().unwrap(),
        before.created_at().unwrap(),
        "CreatedAt unchanged",
    );
    assert_eq!(after.priority(), before.priority());
    assert_eq!(after.recipients(), before.recipients());

    for user in [&f.user, &bob] {
        let seen = list_user_notifications_all(&f.client, &f.inst.id, &user.id).await;
        assert_eq!(seen.len(), 1);
        assert_eq!(
            seen[0].content(),
            Some(&new_content),
            "user {}",
            user.username
        );
    }
    assert_eq!(
        search_ids(&f.client, &f.inst.id, Some(content_contains("omega")), None).await,
        vec![note.id.clone()]
    );
    assert!(
        search_ids(&f.client, &f.inst.id, Some(content_contains("alpha")), None)
            .await
            .is_empty(),
        "old text still searchable"
    );
    let listed = list_notifications_all(&f.client, &f.inst.id).await;
    assert_eq!(listed[0].content(), Some(&new_content));

    // Editing does not reorder: the edited (older) one stays below a newer one.
    let newer = notify(&f.client, &f.inst.id, &[&f.user.arn], "newer").await;
    ok(f.client
        .update_notification_content()
        .instance_id(&f.inst.id)
        .notification_id(&note.id)
        .content(LocaleCode::EnUs, "edited again")
        .send()
        .await);
    assert_eq!(
        list_notification_ids(&f.client, &f.inst.id).await,
        vec![newer.id.clone(), note.id.clone()]
    );
    assert_eq!(
        user_notification_ids(&f.client, &f.inst.id, &f.user.id).await,
        vec![newer.id.clone(), note.id.clone()]
    );
    // Later updates advance the time again.
    ok(f.client
        .update_notification_content()
        .instance_id(&f.inst.id)
        .notification_id(&note.id)
        .content(LocaleCode::EnUs, "third")
        .send()
        .await);
    let third = ok(describe().await).notification.unwrap();
    assert!(third.last_modified_time().as_secs_f64() > after.last_modified_time().as_secs_f64());
    assert_eq!(third.content(), Some(&en("third")));
}

#[tokio::test(flavor = "multi_thread")]
async fn update_content_is_validated() {
    let f = fixture().await;
    let note = notify(&f.client, &f.inst.id, &[&f.user.arn], "original").await;
    let update = || {
        f.client
            .update_notification_content()
            .instance_id(&f.inst.id)
            .notification_id(&note.id)
    };
    for req in [
        update().set_content(Some(HashMap::new())),
        update().content(LocaleCode::EnUs, "a".repeat(501)),
        update().content(LocaleCode::from("xx_XX"), "x"),
        update(),
    ] {
        let err = assert_err(req.send().await, "InvalidParameterException", 400);
        assert!(err.message.contains("Content"), "{err:?}");
    }
    let n = ok(f
        .client
        .describe_notification()
        .instance_id(&f.inst.id)
        .notification_id(&note.id)
        .send()
        .await);
    assert_eq!(n.notification().unwrap().content(), Some(&en("original")));

    assert_err(
        f.client
            .update_notification_content()
            .instance_id(&f.inst.id)
            .notification_id("no-such-notification")
            .content(LocaleCode::EnUs, "x")
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    // A notification is only reachable through its own instance.
    let other = create_instance(&f.client).await;
    assert_err(
        f.client
            .update_notification_content()
            .instance_id(&other.id)
            .notification_id(&note.id)
            .content(LocaleCode::EnUs, "x")
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        f.client
            .describe_notification()
            .instance_id(&other.id)
            .notification_id(&note.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_notification_makes_it_gone_for_everyone() {
    let f = fixture().await;
    let bob = create_user(&f.client, &f.inst.id, "bob").await;
    let doomed = notify(&f.client, &f.inst.id, &[&f.user.arn, &f.inst.arn], "doomed").await;
    let kept = notify(&f.client, &f.inst.id, &[&f.user.arn], "kept").await;
    ok(f.client
        .update_user_notification_status()
        .instance_id(&f.inst.id)
        .user_id(&f.user.id)
        .notification_id(&doomed.id)
        .status(NotificationStatus::Read)
        .send()
        .await);

    ok(f.client
        .delete_notification()
        .instance_id(&f.inst.id)
        .notification_id(&doomed.id)
        .send()
        .await);

    assert_err(
        f.client
            .describe_notification()
            .instance_id(&f.inst.id)
            .notification_id(&doomed.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        f.client
            .update_notification_content()
            .instance_id(&f.inst.id)
            .notification_id(&doomed.id)
            .content(LocaleCode::EnUs, "resurrect")
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    for user in [&f.user, &bob] {
        assert_err(
            f.client
                .update_user_notification_status()
                .instance_id(&f.inst.id)
                .user_id(&user.id)
                .notification_id(&doomed.id)
                .status(NotificationStatus::Hidden)
                .send()
                .await,
            "ResourceNotFoundException",
            404,
        );
    }
    assert_err(
        f.client
            .delete_notification()
            .instance_id(&f.inst.id)
            .notification_id(&doomed.id)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
    assert_err(
        f.client
            .list_tags_for_resource()
            .resource_arn(&doomed.arn)
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );

    assert_eq!(
        user_notification_ids(&f.client, &f.inst.id, &f.user.id).await,
        vec![kept.id.clone()]
    );
    assert!(
        user_notification_ids(&f.client, &f.inst.id, &bob.id)
            .await
            .is_empty()
    );
    assert_eq!(
        list_notification_ids(&f.client, &f.inst.id).await,
        vec![kept.id.clone()]
    );
    assert!(
        search_ids(
            &f.client,
            &f.inst.id,
            Some(content_contains("doomed")),
            None
        )
        .await
        .is_empty()
    );
    // The server is still fine with the survivor.
    ok(f.client
        .update_user_notification_status()
        .instance_id(&f.inst.id)
        .user_id(&f.user.id)
        .notification_id(&kept.id)
        .status(NotificationStatus::Read)
        .send()
        .await);
    drop(f.server);
}
