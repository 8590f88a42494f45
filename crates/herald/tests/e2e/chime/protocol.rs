//! The wire, raw: restJson1 statuses and bodies, the bearer header, bad
//! JSON, missing and unsupported members, signing for `chime`.

use super::*;

fn json(v: Value) -> Option<Vec<u8>> {
    Some(serde_json::to_vec(&v).unwrap())
}

/// An app instance, a user, a channel (admin key).
struct World {
    server: Server,
    c: Chime,
    app: String,
    alice: String,
    channel: String,
}

async fn world() -> World {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let alice = create_user(&c.id, &app, "alice").await;
    let channel = public_channel(&c.msg, &app, &alice).await;
    World {
        server,
        c,
        app,
        alice,
        channel,
    }
}

const BEARER_NAMED: &str = "ChimeBearer (header x-amz-chime-bearer)";

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_bearer_header_is_a_bad_request_naming_it() {
    let w = world().await;
    let ch = enc(&w.channel);
    let cases: Vec<(Method, String, Option<Vec<u8>>)> = vec![
        (Method::GET, format!("/channels/{ch}"), None),
        (Method::GET, format!("/channels/{ch}/messages"), None),
        (
            Method::POST,
            format!("/channels/{ch}/messages"),
            json(serde_json::json!({
                "Content": "hi", "Type": "STANDARD", "Persistence": "PERSISTENT",
                "ClientRequestToken": "token-1"
            })),
        ),
        (
            Method::POST,
            "/channels".to_string(),
            json(serde_json::json!({
                "AppInstanceArn": w.app, "Name": "n", "ClientRequestToken": "token-2"
            })),
        ),
        (
            Method::GET,
            format!("/channels?app-instance-arn={}", enc(&w.app)),
            None,
        ),
        (Method::DELETE, format!("/channels/{ch}"), None),
    ];
    for (method, path, body) in cases {
        let r = chime_admin_raw(&w.server, method.clone(), &path, &[], body).await;
        let message = r.assert_error(400, "BadRequestException");
        assert!(
            message.contains(BEARER_NAMED),
            "{method} {path}: message should name {BEARER_NAMED:?}: {message}"
        );
    }
    // Nothing happened.
    assert!(message_ids(&w.c.msg, &w.channel, &w.alice).await.is_empty());
    assert_eq!(
        channel_arns(&w.c.msg, &w.app, &w.alice, None).await,
        vec![w.channel.clone()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn statuses_bodies_and_timestamps_on_the_wire() {
    let w = world().await;
    let bearer = [("x-amz-chime-bearer", w.alice.as_str())];
    // CreateAppInstance: 201.
    let r = chime_admin_raw(
        &w.server,
        Method::POST,
        "/app-instances",
        &[],
        json(serde_json::json!({"Name": "raw", "ClientRequestToken": "raw-token-1"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    r.assert_request_id();
    let app = r.json()["AppInstanceArn"]
        .as_str()
        .expect("AppInstanceArn")
        .to_string();
    app_instance_id(&app, ACCOUNT);

    // DescribeAppInstance: timestamps are epoch seconds with milliseconds.
    let r = chime_admin_raw(
        &w.server,
        Method::GET,
        &format!("/app-instances/{}", enc(&app)),
        &[],
        None,
    )
    .await;
    let body = r.assert_ok();
    for name in ["CreatedTimestamp", "LastUpdatedTimestamp"] {
        let t = &body["AppInstance"][name];
        let secs = t
            .as_f64()
            .unwrap_or_else(|| panic!("{name} is not a number: {body}"));
        assert!((secs - now().as_secs_f64()).abs() < 60.0, "{name} {secs}");
        let millis = secs * 1000.0;
        assert!(
            (millis - millis.round()).abs() < 1e-3,
            "{name} has more than milliseconds: {t}"
        );
    }

    // CreateAppInstanceUser, CreateChannel, CreateChannelMembership,
    // SendChannelMessage, CreateChannelModerator, CreateChannelBan,
    // RegisterAppInstanceUserEndpoint, CreateAppInstanceAdmin: 201.
    let r = chime_admin_raw(
        &w.server,
        Method::POST,
        "/app-instance-users",
        &[],
        json(serde_json::json!({
            "AppInstanceArn": w.app, "AppInstanceUserId": "bob", "Name": "bob",
            "ClientRequestToken": "raw-token-2"
        })),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    let bob = r.json()["AppInstanceUserArn"].as_str().unwrap().to_string();
    assert_eq!(bob, format!("{}/user/bob", w.app));
    let ch = enc(&w.channel);
    for (path, body) in [
        (
            "/channels".to_string(),
            serde_json::json!({"AppInstanceArn": w.app, "Name": "n", "ClientRequestToken": "raw-token-3"}),
        ),
        (
            format!("/channels/{ch}/memberships"),
            serde_json::json!({"MemberArn": bob, "Type": "DEFAULT"}),
        ),
        (
            format!("/channels/{ch}/messages"),
            serde_json::json!({
                "Content": "hi", "Type": "STANDARD", "Persistence": "PERSISTENT",
                "ClientRequestToken": "raw-token-4"
            }),
        ),
        (
            format!("/channels/{ch}/moderators"),
            serde_json::json!({"ChannelModeratorArn": bob}),
        ),
    ] {
        let r = chime_admin_raw(&w.server, Method::POST, &path, &bearer, json(body)).await;
        assert_eq!(r.status.as_u16(), 201, "POST {path}: {}", r.text());
    }
    let r = chime_admin_raw(
        &w.server,
        Method::POST,
        &format!("/channels/{ch}/memberships?operation=batch-create"),
        &bearer,
        json(serde_json::json!({"MemberArns": [bob]})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    let r = chime_admin_raw(
        &w.server,
        Method::POST,
        &format!("/app-instance-users/{}/endpoints", enc(&bob)),
        &[],
        json(serde_json::json!({
            "Type": "GCM", "ResourceArn": PUSH_APP_ARN,
            "EndpointAttributes": {"DeviceToken": "t"}, "ClientRequestToken": "raw-token-5"
        })),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    let r = chime_admin_raw(
        &w.server,
        Method::POST,
        &format!("/app-instances/{}/admins", enc(&w.app)),
        &[],
        json(serde_json::json!({"AppInstanceAdminArn": bob})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    let r = chime_admin_raw(
        &w.server,
        Method::POST,
        &format!("/channels/{ch}/bans"),
        &bearer,
        json(serde_json::json!({"MemberArn": bob})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());

    // Deletes: 204, no body.
    let r = chime_admin_raw(
        &w.server,
        Method::DELETE,
        &format!("/channels/{ch}/bans/{}", enc(&bob)),
        &bearer,
        None,
    )
    .await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text());
    assert!(r.body.is_empty(), "{}", r.text());
    let r = chime_admin_raw(
        &w.server,
        Method::DELETE,
        &format!("/app-instances/{}", enc(&app)),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text());
    assert!(r.body.is_empty());
    let _ = &w.c;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_json_and_missing_or_invalid_members_are_named() {
    let w = world().await;
    let r = chime_admin_raw(
        &w.server,
        Method::POST,
        "/app-instances",
        &[],
        Some(b"{\"Name\": ".to_vec()),
    )
    .await;
    r.assert_error(400, "BadRequestException");
    let r = chime_admin_raw(
        &w.server,
        Method::POST,
        "/app-instances",
        &[],
        Some(b"[]".to_vec()),
    )
    .await;
    r.assert_error(400, "BadRequestException");

    let named = [
        (
            "/app-instances",
            serde_json::json!({"ClientRequestToken": "token-1"}),
            "Name",
        ),
        (
            "/app-instances",
            serde_json::json!({"Name": "x"}),
            "ClientRequestToken",
        ),
        (
            "/app-instances",
            serde_json::json!({"Name": 5, "ClientRequestToken": "token-1"}),
            "Name",
        ),
        (
            "/app-instances",
            serde_json::json!({"Name": "x", "ClientRequestToken": "token-1", "Tags": "t"}),
            "Tags",
        ),
        (
            "/app-instance-users",
            serde_json::json!({"AppInstanceArn": w.app, "Name": "n", "ClientRequestToken": "token-1"}),
            "AppInstanceUserId",
        ),
        (
            "/app-instance-users",
            serde_json::json!({"AppInstanceUserId": "u", "Name": "n", "ClientRequestToken": "token-1"}),
            "AppInstanceArn",
        ),
        (
            "/app-instance-users",
            serde_json::json!({
                "AppInstanceArn": "not an arn", "AppInstanceUserId": "u", "Name": "n",
                "ClientRequestToken": "token-1"
            }),
            "AppInstanceArn",
        ),
    ];
    for (path, body, member) in named {
        let r = chime_admin_raw(&w.server, Method::POST, path, &[], json(body.clone())).await;
        let message = r.assert_error(400, "BadRequestException");
        assert!(
            message.contains(member),
            "{body}: message should name {member}: {message}"
        );
    }

    let bearer = [("x-amz-chime-bearer", w.alice.as_str())];
    let ch = enc(&w.channel);
    let named = [
        (
            "/channels".to_string(),
            serde_json::json!({"AppInstanceArn": w.app, "Name": "n", "Mode": "SEMI", "ClientRequestToken": "token-1"}),
            "Mode",
        ),
        (
            "/channels".to_string(),
            serde_json::json!({"AppInstanceArn": w.app, "Name": "n", "Privacy": "SECRET", "ClientRequestToken": "token-1"}),
            "Privacy",
        ),
        (
            format!("/channels/{ch}/messages"),
            serde_json::json!({"Content": "x", "Persistence": "PERSISTENT", "ClientRequestToken": "token-1"}),
            "Type",
        ),
        (
            format!("/channels/{ch}/messages"),
            serde_json::json!({"Content": "x", "Type": "STANDARD", "ClientRequestToken": "token-1"}),
            "Persistence",
        ),
        (
            format!("/channels/{ch}/messages"),
            serde_json::json!({"Type": "STANDARD", "Persistence": "PERSISTENT", "ClientRequestToken": "token-1"}),
            "Content",
        ),
        (
            format!("/channels/{ch}/messages"),
            serde_json::json!({
                "Content": "x", "Type": "STANDARD", "Persistence": "PERSISTENT",
                "ClientRequestToken": "token-1", "MessageAttributes": {"k": {"StringValues": "v"}}
            }),
            "MessageAttributes",
        ),
        (
            format!("/channels/{ch}/messages"),
            serde_json::json!({
                "Content": "x", "Type": "STANDARD", "Persistence": "PERSISTENT",
                "ClientRequestToken": "token-1", "PushNotification": {"Title": "t", "Body": "b", "Type": "LOUD"}
            }),
            "Type",
        ),
        (
            format!("/channels/{ch}/memberships"),
            serde_json::json!({"MemberArn": w.alice}),
            "Type",
        ),
        (
            format!("/channels/{ch}/memberships"),
            serde_json::json!({"Type": "DEFAULT"}),
            "MemberArn",
        ),
    ];
    for (path, body, member) in named {
        let r = chime_admin_raw(&w.server, Method::POST, &path, &bearer, json(body.clone())).await;
        let message = r.assert_error(400, "BadRequestException");
        assert!(
            message.contains(member),
            "{body}: message should name {member}: {message}"
        );
    }
    // Preferences: missing, or AllowNotifications missing.
    let path = format!("/channels/{ch}/memberships/{}/preferences", enc(&w.alice));
    for (body, member) in [
        (serde_json::json!({}), "Preferences"),
        (
            serde_json::json!({"Preferences": {"PushNotifications": {"FilterRule": "{}"}}}),
            "AllowNotifications",
        ),
        (
            serde_json::json!({"Preferences": {"PushNotifications": {"AllowNotifications": "SOME"}}}),
            "AllowNotifications",
        ),
    ] {
        let r = chime_admin_raw(&w.server, Method::PUT, &path, &bearer, json(body.clone())).await;
        let message = r.assert_error(400, "BadRequestException");
        assert!(
            message.contains(member),
            "{body}: message should name {member}: {message}"
        );
    }
    // Nothing was created.
    assert_eq!(app_arns(&w.c.id).await, vec![w.app.clone()]);
    assert_eq!(user_arns(&w.c.id, &w.app).await, vec![w.alice.clone()]);
    assert!(message_ids(&w.c.msg, &w.channel, &w.alice).await.is_empty());
    assert_eq!(get_prefs(&w.c.msg, &w.channel, &w.alice).await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn unsupported_query_members_are_refused_naming_them() {
    let w = world().await;
    let bearer = [("x-amz-chime-bearer", w.alice.as_str())];
    let ch = enc(&w.channel);
    for path in [
        format!("/channels/{ch}/messages?sub-channel-id=s1"),
        format!("/channels/{ch}/memberships?sub-channel-id=s1"),
        format!(
            "/channels/{ch}/memberships/{}?sub-channel-id=s1",
            enc(&w.alice)
        ),
    ] {
        let r = chime_admin_raw(&w.server, Method::GET, &path, &bearer, None).await;
        let message = r.assert_error(400, "BadRequestException");
        assert!(
            message.contains("sub-channel-id") || message.contains("SubChannelId"),
            "{path}: {message}"
        );
    }
    let r = chime_admin_raw(
        &w.server,
        Method::POST,
        &format!("/channels/{ch}/messages"),
        &bearer,
        json(serde_json::json!({
            "Content": "x", "Type": "STANDARD", "Persistence": "PERSISTENT",
            "ClientRequestToken": "token-1", "Target": [{"MemberArn": w.alice}]
        })),
    )
    .await;
    assert!(
        r.assert_error(400, "BadRequestException")
            .contains("Target")
    );
    let r = chime_admin_raw(
        &w.server,
        Method::GET,
        &format!("/channels/{ch}/messages?next-token=garbage"),
        &bearer,
        None,
    )
    .await;
    r.assert_error(400, "BadRequestException");
    let r = chime_admin_raw(
        &w.server,
        Method::GET,
        &format!("/channels/{ch}/messages?max-results=0"),
        &bearer,
        None,
    )
    .await;
    r.assert_error(400, "BadRequestException");
    assert!(message_ids(&w.c.msg, &w.channel, &w.alice).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn chime_requests_are_signed_for_chime_and_the_bearer_header_too() {
    let w = world().await;
    let path = format!("/channels/{}", enc(&w.channel));
    let bearer = [("x-amz-chime-bearer", w.alice.as_str())];
    // The control.
    let r = chime_admin_raw(&w.server, Method::GET, &path, &bearer, None).await;
    assert_eq!(r.assert_ok()["Channel"]["ChannelArn"], w.channel.as_str());
    let r = chime_admin_raw(&w.server, Method::GET, "/app-instances", &[], None).await;
    r.assert_ok();
    for service in ["connect", "herald", "messaging-chime"] {
        let signer = Signer::test().service(service);
        let r = w
            .server
            .send_signed(&signer, Method::GET, &path, &bearer, None)
            .await;
        r.assert_error(403, "InvalidSignatureException");
        let r = w
            .server
            .send_signed(&signer, Method::GET, "/app-instances", &[], None)
            .await;
        r.assert_error(403, "InvalidSignatureException");
    }
    // The bearer header added after signing.
    let url = w.server.url(&path);
    let mut headers = owned_headers(&[]);
    headers.extend(
        Signer::test()
            .service("chime")
            .sign("GET", url.as_str(), &[], b"")
            .unwrap(),
    );
    headers.push(("x-amz-chime-bearer".to_string(), w.alice.clone()));
    let r = w.server.send_raw(Method::GET, url, &headers, None).await;
    r.assert_error(403, "InvalidSignatureException");
    // Unsigned.
    let r = w
        .server
        .send_raw(Method::GET, w.server.url("/app-instances"), &[], None)
        .await;
    r.assert_error(403, "MissingAuthenticationTokenException");
    // Signed for chime in another region.
    let r = chime_raw(
        &w.server,
        &Signer::test().region("eu-west-1"),
        Method::GET,
        "/app-instances",
        &[],
        None,
    )
    .await;
    r.assert_error(403, "InvalidSignatureException");
    let _ = &w.c;
}
