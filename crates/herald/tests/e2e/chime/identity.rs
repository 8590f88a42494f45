//! Chime SDK Identity: app instances, users, admins, endpoints; ARNs,
//! idempotency, listings and deletes.

use super::*;
use aws_sdk_chimesdkidentity::types::{
    AllowMessages, AppInstanceUserEndpointType, ExpirationCriterion, ExpirationSettings, Tag,
};

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().expect("Tag")
}

#[tokio::test(flavor = "multi_thread")]
async fn app_instance_create_describe_list_delete() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let before = now().as_secs_f64();
    let out = ok(c
        .id
        .create_app_instance()
        .name("Support")
        .metadata("{\"tier\":\"gold\"}")
        .tags(tag("team", "ops"))
        .send()
        .await);
    let after = now().as_secs_f64();
    let arn = out.app_instance_arn().expect("AppInstanceArn").to_string();
    app_instance_id(&arn, ACCOUNT);

    let described = ok(c
        .id
        .describe_app_instance()
        .app_instance_arn(&arn)
        .send()
        .await);
    let app = described.app_instance().expect("AppInstance");
    assert_eq!(app.app_instance_arn(), Some(arn.as_str()));
    assert_eq!(app.name(), Some("Support"));
    assert_eq!(app.metadata(), Some("{\"tier\":\"gold\"}"));
    let created = app
        .created_timestamp()
        .expect("CreatedTimestamp")
        .as_secs_f64();
    assert!(
        created >= before - 2.0 && created <= after + 2.0,
        "CreatedTimestamp {created} not within [{before}, {after}]"
    );
    let updated = app
        .last_updated_timestamp()
        .expect("LastUpdatedTimestamp")
        .as_secs_f64();
    assert!(updated >= created - 0.001);

    // Listed, with Name and Metadata.
    let second = create_app(&c.id, "Sales").await;
    let listed = ok(c.id.list_app_instances().send().await);
    let summaries: Vec<(String, String)> = listed
        .app_instances()
        .iter()
        .map(|a| {
            (
                a.app_instance_arn().unwrap_or("").to_string(),
                a.name().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        summaries,
        vec![
            (arn.clone(), "Support".to_string()),
            (second.clone(), "Sales".to_string())
        ],
        "oldest first"
    );
    assert_eq!(
        listed.app_instances()[0].metadata(),
        Some("{\"tier\":\"gold\"}")
    );

    // Delete: gone, a second delete is NotFound.
    ok(c.id
        .delete_app_instance()
        .app_instance_arn(&arn)
        .send()
        .await);
    assert_not_found(
        c.id.describe_app_instance()
            .app_instance_arn(&arn)
            .send()
            .await,
    );
    assert_not_found(
        c.id.delete_app_instance()
            .app_instance_arn(&arn)
            .send()
            .await,
    );
    assert_eq!(app_arns(&c.id).await, vec![second]);
}

#[tokio::test(flavor = "multi_thread")]
async fn app_instance_arns_of_another_account_region_or_kind_name_nothing() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let arn = create_app(&c.id, "a").await;
    let user = create_user(&c.id, &arn, "alice").await;
    let id = app_instance_id(&arn, ACCOUNT);
    for other in [
        format!("arn:aws:chime:{REGION}:111111111111:app-instance/{id}"),
        format!("arn:aws:chime:eu-west-1:{ACCOUNT}:app-instance/{id}"),
        format!("arn:aws:connect:{REGION}:{ACCOUNT}:app-instance/{id}"),
        // A user ARN is not an app instance ARN.
        user.clone(),
    ] {
        assert_not_found(
            c.id.describe_app_instance()
                .app_instance_arn(&other)
                .send()
                .await,
        );
        assert_not_found(
            c.id.list_app_instance_users()
                .app_instance_arn(&other)
                .send()
                .await,
        );
        assert_not_found(
            c.id.create_app_instance_user()
                .app_instance_arn(&other)
                .app_instance_user_id("bob")
                .name("bob")
                .send()
                .await,
        );
    }
    // An app instance ARN is not a user ARN.
    assert_not_found(
        c.id.describe_app_instance_user()
            .app_instance_user_arn(&arn)
            .send()
            .await,
    );
    assert_eq!(user_arns(&c.id, &arn).await, vec![user]);
}

#[tokio::test(flavor = "multi_thread")]
async fn app_instance_members_are_validated() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    assert_bad_request(c.id.create_app_instance().name("").send().await, "Name");
    assert_bad_request(
        c.id.create_app_instance()
            .name("x".repeat(257))
            .send()
            .await,
        "Name",
    );
    assert_bad_request(
        c.id.create_app_instance()
            .name("a")
            .metadata("m".repeat(1025))
            .send()
            .await,
        "Metadata",
    );
    assert_bad_request(
        c.id.create_app_instance()
            .name("a")
            .client_request_token("x")
            .send()
            .await,
        "ClientRequestToken",
    );
    // Tags: 1-50, key 1-128, value 1-256 characters.
    let mut fifty_one = c.id.create_app_instance().name("a");
    for i in 0..51 {
        fifty_one = fifty_one.tags(tag(&format!("k{i}"), "v"));
    }
    assert_bad_request(fifty_one.send().await, "Tags");
    assert_bad_request(
        c.id.create_app_instance()
            .name("a")
            .tags(tag(&"k".repeat(129), "v"))
            .send()
            .await,
        "Tag",
    );
    assert_bad_request(
        c.id.create_app_instance()
            .name("a")
            .tags(tag("k", &"v".repeat(257)))
            .send()
            .await,
        "Tag",
    );
    assert_bad_request(
        c.id.create_app_instance()
            .name("a")
            .tags(tag("", "v"))
            .send()
            .await,
        "Tag",
    );
    // Nothing was created by the refused calls.
    assert!(app_arns(&c.id).await.is_empty());

    // At the limits: accepted.
    let mut fifty =
        c.id.create_app_instance()
            .name("x".repeat(256))
            .metadata("m".repeat(1024));
    for i in 0..49 {
        fifty = fifty.tags(tag(&format!("k{i}"), "v"));
    }
    fifty = fifty.tags(tag(&"k".repeat(128), &"v".repeat(256)));
    ok(fifty.send().await);
    assert_eq!(app_arns(&c.id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn user_create_describe_list_delete() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let before = now().as_secs_f64();
    let out = ok(c
        .id
        .create_app_instance_user()
        .app_instance_arn(&app)
        .app_instance_user_id("alice.smith@example")
        .name("Alice Smith")
        .metadata("vip")
        .tags(tag("k", "v"))
        .send()
        .await);
    let alice = out
        .app_instance_user_arn()
        .expect("AppInstanceUserArn")
        .to_string();
    assert_eq!(alice, format!("{app}/user/alice.smith@example"));

    let d = ok(c
        .id
        .describe_app_instance_user()
        .app_instance_user_arn(&alice)
        .send()
        .await);
    let u = d.app_instance_user().expect("AppInstanceUser");
    assert_eq!(u.app_instance_user_arn(), Some(alice.as_str()));
    assert_eq!(u.name(), Some("Alice Smith"));
    assert_eq!(u.metadata(), Some("vip"));
    let created = u
        .created_timestamp()
        .expect("CreatedTimestamp")
        .as_secs_f64();
    assert!((created - before).abs() < 5.0, "CreatedTimestamp {created}");
    assert!(u.last_updated_timestamp().is_some());
    assert!(u.expiration_settings().is_none());

    let bob = create_user(&c.id, &app, "bob").await;
    let listed = ok(c
        .id
        .list_app_instance_users()
        .app_instance_arn(&app)
        .send()
        .await);
    assert_eq!(listed.app_instance_arn(), Some(app.as_str()));
    let names: Vec<(String, String)> = listed
        .app_instance_users()
        .iter()
        .map(|u| {
            (
                u.app_instance_user_arn().unwrap_or("").to_string(),
                u.name().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            (alice.clone(), "Alice Smith".to_string()),
            (bob.clone(), "bob".to_string())
        ]
    );
    assert_eq!(listed.app_instance_users()[0].metadata(), Some("vip"));

    // The same id in another app instance is another user.
    let other_app = create_app(&c.id, "b").await;
    let other_alice = create_user(&c.id, &other_app, "alice.smith@example").await;
    assert_ne!(other_alice, alice);

    ok(c.id
        .delete_app_instance_user()
        .app_instance_user_arn(&alice)
        .send()
        .await);
    assert_not_found(
        c.id.describe_app_instance_user()
            .app_instance_user_arn(&alice)
            .send()
            .await,
    );
    assert_not_found(
        c.id.delete_app_instance_user()
            .app_instance_user_arn(&alice)
            .send()
            .await,
    );
    assert_eq!(user_arns(&c.id, &app).await, vec![bob]);
    // The id is free again.
    assert_eq!(create_user(&c.id, &app, "alice.smith@example").await, alice);
}

#[tokio::test(flavor = "multi_thread")]
async fn user_members_are_validated_and_a_taken_id_conflicts() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let alice = create_user(&c.id, &app, "alice").await;
    let create = |id: &str, name: &str| {
        c.id.create_app_instance_user()
            .app_instance_arn(&app)
            .app_instance_user_id(id)
            .name(name)
    };
    assert_conflict(create("alice", "Another Alice").send().await);
    assert_bad_request(create("", "x").send().await, "AppInstanceUserId");
    assert_bad_request(
        create("-leading-dash", "x").send().await,
        "AppInstanceUserId",
    );
    assert_bad_request(create("has space", "x").send().await, "AppInstanceUserId");
    assert_bad_request(
        create(&"u".repeat(65), "x").send().await,
        "AppInstanceUserId",
    );
    assert_bad_request(create("carol", "").send().await, "Name");
    assert_bad_request(create("carol", "   ").send().await, "Name");
    assert_bad_request(create("carol", &"n".repeat(101)).send().await, "Name");
    // Not implemented, so refused rather than ignored.
    assert_bad_request(
        create("carol", "Carol")
            .expiration_settings(
                ExpirationSettings::builder()
                    .expiration_days(1)
                    .expiration_criterion(ExpirationCriterion::CreatedTimestamp)
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "ExpirationSettings",
    );
    assert_eq!(user_arns(&c.id, &app).await, vec![alice]);
    // At the limits.
    ok(create(&"u".repeat(64), &"n".repeat(100)).send().await);
}

#[tokio::test(flavor = "multi_thread")]
async fn client_request_tokens_make_creates_idempotent() {
    let server = Server::start().await;
    let c = Chime::new(&server);

    // CreateAppInstance: the same request returns the first result.
    let t = token();
    let first = ok(c
        .id
        .create_app_instance()
        .name("a")
        .client_request_token(&t)
        .send()
        .await);
    let again = ok(c
        .id
        .create_app_instance()
        .name("a")
        .client_request_token(&t)
        .send()
        .await);
    assert_eq!(first.app_instance_arn(), again.app_instance_arn());
    let app = first.app_instance_arn().unwrap().to_string();
    assert_eq!(app_arns(&c.id).await, vec![app.clone()]);
    // A different request with the same token.
    assert_conflict(
        c.id.create_app_instance()
            .name("b")
            .client_request_token(&t)
            .send()
            .await,
    );
    assert_eq!(app_arns(&c.id).await, vec![app.clone()]);

    // Tokens are scoped to the operation: the same token on another
    // operation is a new request.
    let user_req = || {
        c.id.create_app_instance_user()
            .app_instance_arn(&app)
            .app_instance_user_id("alice")
            .name("Alice")
            .client_request_token(&t)
    };
    let alice = ok(user_req().send().await)
        .app_instance_user_arn()
        .unwrap()
        .to_string();
    // A retry is not a ConflictException although the id is taken.
    let retried = ok(user_req().send().await);
    assert_eq!(retried.app_instance_user_arn(), Some(alice.as_str()));
    assert_eq!(user_arns(&c.id, &app).await, vec![alice.clone()]);
    assert_conflict(
        c.id.create_app_instance_user()
            .app_instance_arn(&app)
            .app_instance_user_id("alice")
            .name("Alice B")
            .client_request_token(&t)
            .send()
            .await,
    );
    // Without the token, the taken id is a conflict.
    assert_conflict(
        c.id.create_app_instance_user()
            .app_instance_arn(&app)
            .app_instance_user_id("alice")
            .name("Alice")
            .send()
            .await,
    );

    // RegisterAppInstanceUserEndpoint.
    let register = |name: &str| {
        c.id.register_app_instance_user_endpoint()
            .app_instance_user_arn(&alice)
            .name(name)
            .r#type(AppInstanceUserEndpointType::Gcm)
            .resource_arn(PUSH_APP_ARN)
            .endpoint_attributes(attributes("dev-1", None))
            .client_request_token(&t)
    };
    let e1 = ok(register("phone").send().await);
    let e2 = ok(register("phone").send().await);
    assert_eq!(e1.endpoint_id(), e2.endpoint_id());
    assert_eq!(
        endpoint_ids(&c.id, &alice).await,
        vec![e1.endpoint_id().unwrap().to_string()]
    );
    assert_conflict(register("tablet").send().await);
    assert_eq!(endpoint_ids(&c.id, &alice).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn client_request_tokens_are_scoped_to_the_account() {
    let a = TestKey::admin("111111111111");
    let b = TestKey::admin("222222222222");
    let file = KeyFile::new(&[&a, &b]);
    let server = Server::start_with_keys(&file).await;
    let ca = Chime::key(&server, &a);
    let cb = Chime::key(&server, &b);
    let t = token();
    let arn_a = ok(ca
        .id
        .create_app_instance()
        .name("same")
        .client_request_token(&t)
        .send()
        .await)
    .app_instance_arn()
    .unwrap()
    .to_string();
    let arn_b = ok(cb
        .id
        .create_app_instance()
        .name("same")
        .client_request_token(&t)
        .send()
        .await)
    .app_instance_arn()
    .unwrap()
    .to_string();
    app_instance_id(&arn_a, "111111111111");
    app_instance_id(&arn_b, "222222222222");
    assert_eq!(app_arns(&ca.id).await, vec![arn_a.clone()]);
    assert_eq!(app_arns(&cb.id).await, vec![arn_b.clone()]);
    // Another account's app instance names nothing.
    assert_not_found(
        cb.id
            .describe_app_instance()
            .app_instance_arn(&arn_a)
            .send()
            .await,
    );
    assert_not_found(
        cb.id
            .delete_app_instance()
            .app_instance_arn(&arn_a)
            .send()
            .await,
    );
    ok(ca
        .id
        .describe_app_instance()
        .app_instance_arn(&arn_a)
        .send()
        .await);
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_create_list_delete() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let alice = create_user(&c.id, &app, "alice").await;
    let bob = create_user(&c.id, &app, "bob").await;

    let out = ok(c
        .id
        .create_app_instance_admin()
        .app_instance_arn(&app)
        .app_instance_admin_arn(&bob)
        .send()
        .await);
    assert_eq!(out.app_instance_arn(), Some(app.as_str()));
    let admin = out.app_instance_admin().expect("AppInstanceAdmin");
    assert_eq!(admin.arn(), Some(bob.as_str()));
    assert_eq!(admin.name(), Some("bob"));
    make_admin(&c.id, &app, &alice).await;
    // Again: succeeds, changes nothing.
    make_admin(&c.id, &app, &bob).await;
    let listed = ok(c
        .id
        .list_app_instance_admins()
        .app_instance_arn(&app)
        .send()
        .await);
    assert_eq!(listed.app_instance_arn(), Some(app.as_str()));
    assert_eq!(
        listed
            .app_instance_admins()
            .iter()
            .map(|a| (
                a.admin().and_then(|i| i.arn()).unwrap_or("").to_string(),
                a.admin().and_then(|i| i.name()).unwrap_or("").to_string()
            ))
            .collect::<Vec<_>>(),
        vec![
            (bob.clone(), "bob".to_string()),
            (alice.clone(), "alice".to_string())
        ],
        "oldest first"
    );

    ok(c.id
        .delete_app_instance_admin()
        .app_instance_arn(&app)
        .app_instance_admin_arn(&bob)
        .send()
        .await);
    assert_eq!(admin_arns(&c.id, &app).await, vec![alice.clone()]);
    // Removing an admin that is not one: 204.
    ok(c.id
        .delete_app_instance_admin()
        .app_instance_arn(&app)
        .app_instance_admin_arn(&bob)
        .send()
        .await);
    assert_eq!(admin_arns(&c.id, &app).await, vec![alice.clone()]);

    // A user that does not exist (or of another app instance) in the body.
    let other_app = create_app(&c.id, "b").await;
    let stranger = create_user(&c.id, &other_app, "stranger").await;
    for who in [format!("{app}/user/nobody"), stranger] {
        assert_bad_request(
            c.id.create_app_instance_admin()
                .app_instance_arn(&app)
                .app_instance_admin_arn(&who)
                .send()
                .await,
            "AppInstanceAdminArn",
        );
    }
    // An app instance that does not exist.
    let missing = format!(
        "{}{}",
        app_instance_prefix(ACCOUNT),
        "00000000-0000-0000-0000-000000000000"
    );
    assert_not_found(
        c.id.create_app_instance_admin()
            .app_instance_arn(&missing)
            .app_instance_admin_arn(&alice)
            .send()
            .await,
    );
    assert_not_found(
        c.id.list_app_instance_admins()
            .app_instance_arn(&missing)
            .send()
            .await,
    );
    assert_eq!(admin_arns(&c.id, &app).await, vec![alice]);
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoints_register_describe_update_list_deregister() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let alice = create_user(&c.id, &app, "alice").await;

    let out = ok(c
        .id
        .register_app_instance_user_endpoint()
        .app_instance_user_arn(&alice)
        .name("iPhone")
        .r#type(AppInstanceUserEndpointType::ApnsSandbox)
        .resource_arn(PUSH_APP_ARN)
        .endpoint_attributes(attributes("apns-token-1", Some("voip-token-1")))
        .send()
        .await);
    assert_eq!(out.app_instance_user_arn(), Some(alice.as_str()));
    let ep = out.endpoint_id().expect("EndpointId").to_string();
    assert!(is_hex32(&ep), "EndpointId {ep:?}");

    let d = ok(c
        .id
        .describe_app_instance_user_endpoint()
        .app_instance_user_arn(&alice)
        .endpoint_id(&ep)
        .send()
        .await);
    let e = d
        .app_instance_user_endpoint()
        .expect("AppInstanceUserEndpoint");
    assert_eq!(e.app_instance_user_arn(), Some(alice.as_str()));
    assert_eq!(e.endpoint_id(), Some(ep.as_str()));
    assert_eq!(e.name(), Some("iPhone"));
    assert_eq!(e.r#type(), Some(&AppInstanceUserEndpointType::ApnsSandbox));
    assert_eq!(e.resource_arn(), Some(PUSH_APP_ARN));
    let attrs = e.endpoint_attributes().expect("EndpointAttributes");
    assert_eq!(attrs.device_token(), "apns-token-1");
    assert_eq!(attrs.voip_device_token(), Some("voip-token-1"));
    // ALL is the default.
    assert_eq!(e.allow_messages(), Some(&AllowMessages::All));
    assert!(e.created_timestamp().is_some());
    assert!(e.last_updated_timestamp().is_some());

    // A second endpoint, registered with NONE; listed oldest first.
    let ep2 = register_endpoint(
        &c.id,
        &alice,
        "gcm-token-2",
        None,
        Some(AllowMessages::None),
    )
    .await;
    assert_ne!(ep, ep2);
    let listed = ok(c
        .id
        .list_app_instance_user_endpoints()
        .app_instance_user_arn(&alice)
        .send()
        .await);
    let summaries: Vec<(String, Option<AllowMessages>)> = listed
        .app_instance_user_endpoints()
        .iter()
        .map(|s| {
            (
                s.endpoint_id().unwrap_or("").to_string(),
                s.allow_messages().cloned(),
            )
        })
        .collect();
    assert_eq!(
        summaries,
        vec![
            (ep.clone(), Some(AllowMessages::All)),
            (ep2.clone(), Some(AllowMessages::None))
        ]
    );
    assert_eq!(
        listed.app_instance_user_endpoints()[0].app_instance_user_arn(),
        Some(alice.as_str())
    );

    // Update: AllowMessages NONE and a new name; then back to ALL.
    let u = ok(c
        .id
        .update_app_instance_user_endpoint()
        .app_instance_user_arn(&alice)
        .endpoint_id(&ep)
        .name("Work iPhone")
        .allow_messages(AllowMessages::None)
        .send()
        .await);
    assert_eq!(u.app_instance_user_arn(), Some(alice.as_str()));
    assert_eq!(u.endpoint_id(), Some(ep.as_str()));
    let e = ok(c
        .id
        .describe_app_instance_user_endpoint()
        .app_instance_user_arn(&alice)
        .endpoint_id(&ep)
        .send()
        .await)
    .app_instance_user_endpoint
    .expect("AppInstanceUserEndpoint");
    assert_eq!(e.name(), Some("Work iPhone"));
    assert_eq!(e.allow_messages(), Some(&AllowMessages::None));
    // Untouched members stay.
    assert_eq!(
        e.endpoint_attributes().map(|a| a.device_token()),
        Some("apns-token-1")
    );
    ok(c.id
        .update_app_instance_user_endpoint()
        .app_instance_user_arn(&alice)
        .endpoint_id(&ep)
        .allow_messages(AllowMessages::All)
        .send()
        .await);
    let e = ok(c
        .id
        .describe_app_instance_user_endpoint()
        .app_instance_user_arn(&alice)
        .endpoint_id(&ep)
        .send()
        .await)
    .app_instance_user_endpoint
    .expect("AppInstanceUserEndpoint");
    assert_eq!(e.allow_messages(), Some(&AllowMessages::All));
    assert_eq!(e.name(), Some("Work iPhone"));

    // Deregister: gone; again is NotFound; so are updates.
    ok(c.id
        .deregister_app_instance_user_endpoint()
        .app_instance_user_arn(&alice)
        .endpoint_id(&ep)
        .send()
        .await);
    assert_not_found(
        c.id.describe_app_instance_user_endpoint()
            .app_instance_user_arn(&alice)
            .endpoint_id(&ep)
            .send()
            .await,
    );
    assert_not_found(
        c.id.deregister_app_instance_user_endpoint()
            .app_instance_user_arn(&alice)
            .endpoint_id(&ep)
            .send()
            .await,
    );
    assert_not_found(
        c.id.update_app_instance_user_endpoint()
            .app_instance_user_arn(&alice)
            .endpoint_id(&ep)
            .allow_messages(AllowMessages::None)
            .send()
            .await,
    );
    assert_eq!(endpoint_ids(&c.id, &alice).await, vec![ep2.clone()]);

    // Another user's endpoint id under this user names nothing.
    let bob = create_user(&c.id, &app, "bob").await;
    assert_not_found(
        c.id.describe_app_instance_user_endpoint()
            .app_instance_user_arn(&bob)
            .endpoint_id(&ep2)
            .send()
            .await,
    );
    // Endpoints of a user that does not exist.
    let ghost = format!("{app}/user/ghost");
    assert_not_found(
        c.id.list_app_instance_user_endpoints()
            .app_instance_user_arn(&ghost)
            .send()
            .await,
    );
    assert_not_found(
        c.id.register_app_instance_user_endpoint()
            .app_instance_user_arn(&ghost)
            .r#type(AppInstanceUserEndpointType::Gcm)
            .resource_arn(PUSH_APP_ARN)
            .endpoint_attributes(attributes("t", None))
            .send()
            .await,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_members_are_validated() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let alice = create_user(&c.id, &app, "alice").await;
    let reg = || {
        c.id.register_app_instance_user_endpoint()
            .app_instance_user_arn(&alice)
            .r#type(AppInstanceUserEndpointType::Apns)
            .resource_arn(PUSH_APP_ARN)
    };
    assert_bad_request(
        reg().endpoint_attributes(attributes("", None)).send().await,
        "DeviceToken",
    );
    assert_bad_request(
        reg()
            .endpoint_attributes(attributes(&"t".repeat(1601), None))
            .send()
            .await,
        "DeviceToken",
    );
    assert_bad_request(
        reg()
            .endpoint_attributes(attributes("t", Some("")))
            .send()
            .await,
        "VoipDeviceToken",
    );
    assert_bad_request(
        reg()
            .endpoint_attributes(attributes("t", None))
            .name("n".repeat(1601))
            .send()
            .await,
        "Name",
    );
    assert_bad_request(
        reg()
            .endpoint_attributes(attributes("t", None))
            .resource_arn("not-an-arn")
            .send()
            .await,
        "ResourceArn",
    );
    assert!(endpoint_ids(&c.id, &alice).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn listings_page_oldest_first_with_bounded_max_results() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let mut users = Vec::new();
    for i in 0..51 {
        users.push(create_user(&c.id, &app, &format!("user{i:02}")).await);
    }
    // Default page size 50.
    let first = ok(c
        .id
        .list_app_instance_users()
        .app_instance_arn(&app)
        .send()
        .await);
    assert_eq!(first.app_instance_users().len(), 50);
    let next = first
        .next_token()
        .expect("a NextToken after 50 of 51")
        .to_string();
    let second = ok(c
        .id
        .list_app_instance_users()
        .app_instance_arn(&app)
        .next_token(&next)
        .send()
        .await);
    assert_eq!(
        second
            .app_instance_users()
            .iter()
            .map(|u| u.app_instance_user_arn().unwrap_or("").to_string())
            .collect::<Vec<_>>(),
        vec![users[50].clone()]
    );
    assert!(second.next_token().is_none());

    // Pages of 7, oldest first, each user once.
    let (all, pages) = all_pages(|token| {
        let req =
            c.id.list_app_instance_users()
                .app_instance_arn(&app)
                .max_results(7)
                .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            assert!(out.app_instance_users().len() <= 7);
            (
                out.app_instance_users()
                    .iter()
                    .map(|u| u.app_instance_user_arn().unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(all, users);
    assert_eq!(pages, 8);

    // max-results 1..=50.
    for bad in [0, 51, -1] {
        let err = assert_err(
            c.id.list_app_instance_users()
                .app_instance_arn(&app)
                .max_results(bad)
                .send()
                .await,
            "BadRequestException",
            400,
        );
        assert!(
            err.message.contains("MaxResults") || err.message.contains("max-results"),
            "max-results {bad}: {err:?}"
        );
    }
    // A bad token, and a token bound to other parameters or operations.
    assert_err(
        c.id.list_app_instance_users()
            .app_instance_arn(&app)
            .next_token("garbage")
            .send()
            .await,
        "BadRequestException",
        400,
    );
    let other_app = create_app(&c.id, "b").await;
    create_user(&c.id, &other_app, "x").await;
    assert_err(
        c.id.list_app_instance_users()
            .app_instance_arn(&other_app)
            .next_token(&next)
            .send()
            .await,
        "BadRequestException",
        400,
    );
    assert_err(
        c.id.list_app_instances().next_token(&next).send().await,
        "BadRequestException",
        400,
    );
    // A tampered token.
    let mut tampered = next.clone().into_bytes();
    let last = tampered.len() / 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    assert_err(
        c.id.list_app_instance_users()
            .app_instance_arn(&app)
            .next_token(String::from_utf8(tampered).unwrap())
            .send()
            .await,
        "BadRequestException",
        400,
    );

    // App instances and admins and endpoints page the same way.
    let mut apps = vec![app.clone(), other_app.clone()];
    for i in 0..3 {
        apps.push(create_app(&c.id, &format!("app{i}")).await);
    }
    let (listed, pages) = all_pages(|token| {
        let req =
            c.id.list_app_instances()
                .max_results(2)
                .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.app_instances()
                    .iter()
                    .map(|a| a.app_instance_arn().unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(listed, apps);
    assert_eq!(pages, 3);

    for u in users.iter().take(5).rev() {
        make_admin(&c.id, &app, u).await;
    }
    let (admins, pages) = all_pages(|token| {
        let req =
            c.id.list_app_instance_admins()
                .app_instance_arn(&app)
                .max_results(2)
                .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.app_instance_admins()
                    .iter()
                    .map(|a| a.admin().and_then(|i| i.arn()).unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await;
    let expected: Vec<String> = users.iter().take(5).rev().cloned().collect();
    assert_eq!(admins, expected);
    assert_eq!(pages, 3);

    let mut eps = Vec::new();
    for i in 0..5 {
        eps.push(register_endpoint(&c.id, &users[0], &format!("t{i}"), None, None).await);
    }
    let (listed, pages) = all_pages(|token| {
        let req =
            c.id.list_app_instance_user_endpoints()
                .app_instance_user_arn(&users[0])
                .max_results(2)
                .set_next_token(token);
        async move {
            let out = ok(req.send().await);
            (
                out.app_instance_user_endpoints()
                    .iter()
                    .map(|e| e.endpoint_id().unwrap_or("").to_string())
                    .collect(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(listed, eps);
    assert_eq!(pages, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_user_deletes_its_endpoints_roles_memberships_and_bans_not_its_messages() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let owner = create_user(&c.id, &app, "owner").await;
    let alice = create_user(&c.id, &app, "alice").await;
    let ep = register_endpoint(&c.id, &alice, "alice-phone", None, None).await;
    make_admin(&c.id, &app, &alice).await;

    let ch1 = public_channel(&c.msg, &app, &owner).await;
    let ch2 = public_channel(&c.msg, &app, &owner).await;
    add_member(&c.msg, &ch1, &owner, &alice).await;
    set_prefs(&c.msg, &ch1, &alice, AllowNotifications::None, None).await;
    add_moderator(&c.msg, &ch1, &owner, &alice).await;
    ban(&c.msg, &ch2, &owner, &alice).await;
    let sent = ok(message(&c.msg, &ch1, &alice, "from alice").send().await)
        .message_id()
        .unwrap()
        .to_string();

    ok(c.id
        .delete_app_instance_user()
        .app_instance_user_arn(&alice)
        .send()
        .await);

    assert_not_found(
        c.id.describe_app_instance_user_endpoint()
            .app_instance_user_arn(&alice)
            .endpoint_id(&ep)
            .send()
            .await,
    );
    assert!(admin_arns(&c.id, &app).await.is_empty());
    assert_eq!(member_arns(&c.msg, &ch1, &owner).await, vec![owner.clone()]);
    assert_eq!(
        moderator_arns(&c.msg, &ch1, &owner).await,
        vec![owner.clone()]
    );
    assert!(ban_arns(&c.msg, &ch2, &owner).await.is_empty());
    // The message stays, still from alice.
    let m = ok(c
        .msg
        .get_channel_message()
        .channel_arn(&ch1)
        .message_id(&sent)
        .chime_bearer(&owner)
        .send()
        .await);
    let m = m.channel_message().expect("ChannelMessage");
    assert_eq!(m.content(), Some("from alice"));
    assert_eq!(m.sender().and_then(|s| s.arn()), Some(alice.as_str()));
    assert_eq!(message_ids(&c.msg, &ch1, &owner).await, vec![sent]);

    // A new alice starts with nothing: no membership, no preferences.
    let alice2 = create_user(&c.id, &app, "alice").await;
    assert_eq!(alice2, alice);
    assert!(endpoint_ids(&c.id, &alice).await.is_empty());
    add_member(&c.msg, &ch1, &owner, &alice).await;
    assert_eq!(get_prefs(&c.msg, &ch1, &alice).await, None);
    add_member(&c.msg, &ch2, &owner, &alice).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_app_instance_deletes_everything_in_it() {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "doomed").await;
    let keep = create_app(&c.id, "kept").await;
    let alice = create_user(&c.id, &app, "alice").await;
    let bob = create_user(&c.id, &app, "bob").await;
    let ep = register_endpoint(&c.id, &alice, "t", None, None).await;
    make_admin(&c.id, &app, &bob).await;
    let ch = public_channel(&c.msg, &app, &alice).await;
    add_member(&c.msg, &ch, &alice, &bob).await;
    message(&c.msg, &ch, &alice, "hi").send().await.unwrap();
    let kept_user = create_user(&c.id, &keep, "carol").await;

    ok(c.id
        .delete_app_instance()
        .app_instance_arn(&app)
        .send()
        .await);

    assert_eq!(app_arns(&c.id).await, vec![keep.clone()]);
    for user in [&alice, &bob] {
        assert_not_found(
            c.id.describe_app_instance_user()
                .app_instance_user_arn(user)
                .send()
                .await,
        );
    }
    assert_not_found(
        c.id.describe_app_instance_user_endpoint()
            .app_instance_user_arn(&alice)
            .endpoint_id(&ep)
            .send()
            .await,
    );
    assert_not_found(
        c.id.list_app_instance_users()
            .app_instance_arn(&app)
            .send()
            .await,
    );
    assert_not_found(
        c.id.list_app_instance_admins()
            .app_instance_arn(&app)
            .send()
            .await,
    );
    // The other app instance is untouched.
    assert_eq!(user_arns(&c.id, &keep).await, vec![kept_user]);
}
