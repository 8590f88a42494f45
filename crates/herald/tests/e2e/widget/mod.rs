//! The live widget over HTTP: widget sessions, the event stream (snapshot,
//! live changes, expiry, unread count, replay after a drop), the widget's
//! writes, and the page and script. The browser tests (tests/browser.rs)
//! drive the same endpoints through the real widget in Chromium.

pub mod sse;

use std::time::Duration;

use aws_sdk_connect::types::{ConfigurableNotificationPriority, LocaleCode, NotificationStatus};
use serde_json::{Value, json};

use crate::common::*;
use sse::{EventStream, SseEvent};

/// A widget token for the user, from the admin key.
pub async fn token(server: &Server, instance_id: &str, user_id: &str) -> String {
    let raw = create_widget_session(
        server,
        &Signer::test(),
        json!({ "InstanceId": instance_id, "UserId": user_id }),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.text());
    raw.json()["Token"].as_str().expect("Token").to_string()
}

/// A widget write with `Authorization: Bearer token`.
async fn widget_post(server: &Server, path: &str, token: &str, body: Value) -> Raw {
    server
        .send_raw(
            reqwest::Method::POST,
            server.url(path),
            &[
                ("authorization".into(), format!("Bearer {token}")),
                ("content-type".into(), "application/json".into()),
            ],
            Some(body.to_string().into_bytes()),
        )
        .await
}

fn unread(event: &SseEvent) -> u64 {
    let unread = if event.name == "snapshot" {
        &event.data["Unread"]
    } else {
        &event.data
    };
    assert_eq!(unread["Capped"], false, "{event:?}");
    unread["Count"].as_u64().expect("Count")
}

fn item_ids(snapshot: &SseEvent) -> Vec<String> {
    snapshot.data["Items"]
        .as_array()
        .expect("Items")
        .iter()
        .map(|item| item["NotificationId"].as_str().unwrap().to_string())
        .collect()
}

/// Reads events until an `unread` one, which must come within 5 s.
async fn next_count(stream: &mut EventStream) -> u64 {
    loop {
        let event = stream.next().await;
        if event.name == "unread" {
            return unread(&event);
        }
    }
}

// ---------------------------------------------------------------------------
// Sessions

#[tokio::test(flavor = "multi_thread")]
async fn a_widget_session_is_a_short_lived_token_and_a_url() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let user = create_user(&c, &inst.id, "agent").await;
    let before = jiff::Timestamp::now().as_second() as f64;
    let raw = create_widget_session(
        &server,
        &Signer::test(),
        json!({ "InstanceId": inst.id, "UserId": user.id }),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.text());
    let body = raw.json();
    let token = body["Token"].as_str().unwrap();
    let expires = body["ExpiresAt"].as_f64().unwrap();
    assert!(
        (expires - before - 3600.0).abs() < 60.0,
        "default lifetime is one hour: {expires} vs {before}"
    );
    let url = body["WidgetUrl"].as_str().unwrap();
    assert_eq!(
        url,
        format!("{}/_herald/widget#token={token}", server.endpoint())
    );

    let behind_a_proxy = Server::start_with(&["--public-url", "https://herald.example.com/"]).await;
    let pc = behind_a_proxy.client();
    let pinst = create_instance(&pc).await;
    let puser = create_user(&pc, &pinst.id, "agent").await;
    let proxied = create_widget_session(
        &behind_a_proxy,
        &Signer::test(),
        json!({ "InstanceId": pinst.id, "UserId": puser.id }),
    )
    .await
    .json();
    assert_eq!(
        proxied["WidgetUrl"].as_str().unwrap(),
        format!(
            "https://herald.example.com/_herald/widget#token={}",
            proxied["Token"].as_str().unwrap()
        )
    );

    let short = create_widget_session(
        &server,
        &Signer::test(),
        json!({ "InstanceId": inst.id, "UserId": user.id, "DurationSeconds": 120 }),
    )
    .await;
    let expires = short.json()["ExpiresAt"].as_f64().unwrap();
    assert!((expires - before - 120.0).abs() < 60.0, "{expires}");
}

#[tokio::test(flavor = "multi_thread")]
async fn widget_sessions_refuse_bad_input_and_other_users_keys() {
    let admin = TestKey::admin(ACCOUNT);
    let file = KeyFile::new(&[&admin]);
    let mut server = Server::start_with_keys(&file).await;
    let c = admin.client(&server);
    let inst = create_instance(&c).await;
    let alice = create_user(&c, &inst.id, "alice").await;
    let bob = create_user(&c, &inst.id, "bob").await;
    let agent = TestKey::connect_user(ACCOUNT, &alice.arn);
    file.write(&[&admin, &agent]);
    server.restart().await;
    let a = admin.signer();

    let cases = [
        (
            json!({ "UserId": alice.id }),
            400,
            "InvalidParameterException",
            "InstanceId",
        ),
        (
            json!({ "InstanceId": inst.id }),
            400,
            "InvalidParameterException",
            "UserId",
        ),
        (
            json!({ "InstanceId": inst.id, "UserId": alice.id, "DurationSeconds": 5 }),
            400,
            "InvalidParameterException",
            "DurationSeconds",
        ),
        (
            json!({ "InstanceId": inst.id, "UserId": "nobody" }),
            404,
            "ResourceNotFoundException",
            "nobody",
        ),
        (
            json!({ "InstanceId": "no-such-instance", "UserId": alice.id }),
            404,
            "ResourceNotFoundException",
            "no-such-instance",
        ),
        (
            json!({ "InstanceId": 7, "UserId": alice.id }),
            400,
            "InvalidRequestException",
            "InstanceId",
        ),
    ];
    for (body, status, kind, named) in cases {
        let raw = create_widget_session(&server, &a, body.clone()).await;
        assert_eq!(raw.status, status, "{body}: {}", raw.text());
        assert_eq!(raw.error_type.as_deref(), Some(kind), "{body}");
        assert!(raw.text().contains(named), "{body}: {}", raw.text());
    }

    // A user's own key may open that user's widget, no one else's.
    let own = create_widget_session(
        &server,
        &agent.signer(),
        json!({ "InstanceId": inst.id, "UserId": alice.id }),
    )
    .await;
    assert_eq!(own.status, 200, "{}", own.text());
    let other = create_widget_session(
        &server,
        &agent.signer(),
        json!({ "InstanceId": inst.id, "UserId": bob.id }),
    )
    .await;
    assert_eq!(other.status, 403, "{}", other.text());
    assert_eq!(other.error_type.as_deref(), Some("AccessDeniedException"));
    // Unsigned: refused before anything else.
    let unsigned = server
        .send_raw(
            reqwest::Method::POST,
            server.url("/_herald/widget-sessions"),
            &[],
            Some(
                json!({ "InstanceId": inst.id, "UserId": alice.id })
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(unsigned.status, 403, "{}", unsigned.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_event_stream_refuses_missing_altered_and_foreign_tokens() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let user = create_user(&c, &inst.id, "agent").await;
    let good = token(&server, &inst.id, &user.id).await;
    let other_server = Server::start().await;
    let oc = other_server.client();
    let other_inst = create_instance(&oc).await;
    let other_user = create_user(&oc, &other_inst.id, "agent").await;
    let foreign = token(&other_server, &other_inst.id, &other_user.id).await;

    let (body, signature) = good.rsplit_once('.').unwrap();
    let mut flipped = signature.to_string().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let altered = format!("{body}.{}", String::from_utf8(flipped).unwrap());
    for (bad, says) in [
        (String::new(), "malformed"),
        ("garbage".to_string(), "malformed"),
        (altered, "signature"),
        (foreign, "signature"),
    ] {
        let response = sse::request(&server, &bad, None).await;
        assert_eq!(response.status(), 401, "token {bad:.30}");
        assert_eq!(
            response
                .headers()
                .get("x-amzn-ErrorType")
                .and_then(|v| v.to_str().ok()),
            Some("UnauthorizedException")
        );
        let text = response.text().await.unwrap();
        assert!(text.to_lowercase().contains(says), "{text}");
    }
    // Without any token.
    let none = server
        .http()
        .get(server.url("/_herald/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);

    // A token whose user was deleted opens nothing.
    ok(c.delete_user()
        .instance_id(&inst.id)
        .user_id(&user.id)
        .send()
        .await);
    let gone = sse::request(&server, &good, None).await;
    assert_eq!(gone.status(), 404);
}

// ---------------------------------------------------------------------------
// The stream

#[tokio::test(flavor = "multi_thread")]
async fn the_stream_starts_with_what_the_user_sees_and_follows_every_change() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let me = create_user(&c, &inst.id, "me").await;
    let other = create_user(&c, &inst.id, "other").await;
    let unread_one = notify(&c, &inst.id, &[&me.arn], "one").await;
    let read_one = notify(&c, &inst.id, &[&me.arn], "two").await;
    let hidden_one = notify(&c, &inst.id, &[&me.arn], "three").await;
    let everyone = notify(&c, &inst.id, &[&inst.arn], "all").await;
    let _not_mine = notify(&c, &inst.id, &[&other.arn], "not mine").await;
    set_status(&c, &inst.id, &me.id, &read_one.id, NotificationStatus::Read).await;
    set_status(
        &c,
        &inst.id,
        &me.id,
        &hidden_one.id,
        NotificationStatus::Hidden,
    )
    .await;

    let token = token(&server, &inst.id, &me.id).await;
    let mut stream = EventStream::open(&server, &token, None).await;
    let snapshot = stream.expect("snapshot").await;
    assert!(snapshot.id.is_some(), "every event has an id");
    assert_eq!(
        sorted(item_ids(&snapshot)),
        sorted(vec![
            unread_one.id.clone(),
            read_one.id.clone(),
            everyone.id.clone()
        ]),
        "HIDDEN and other users' notifications are not shown"
    );
    assert_eq!(unread(&snapshot), 2);
    let read_item = snapshot.data["Items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["NotificationId"] == read_one.id.as_str())
        .unwrap();
    assert_eq!(read_item["Status"], "READ");
    assert_eq!(read_item["Content"]["en_US"], "<p>two</p>\n");

    // Someone else's notification is not heard; a new one of mine is.
    notify(&c, &inst.id, &[&other.arn], "still not mine").await;
    let new = notify(&c, &inst.id, &[&me.arn], "*new*").await;
    let created = stream.expect("notification").await;
    assert_eq!(created.data["Item"]["NotificationId"], new.id.as_str());
    assert_eq!(created.data["Created"], true);
    assert_eq!(created.data["Item"]["Status"], "UNREAD");
    assert_eq!(
        created.data["Item"]["Content"]["en_US"],
        "<p><em>new</em></p>\n"
    );
    assert_eq!(unread(&stream.expect("unread").await), 3);

    // A status set through the API, by any client.
    set_status(&c, &inst.id, &me.id, &new.id, NotificationStatus::Read).await;
    let status = stream.expect("status").await;
    assert_eq!(status.data["NotificationId"], new.id.as_str());
    assert_eq!(status.data["Status"], "READ");
    assert_eq!(status.data["Item"]["Status"], "READ");
    assert_eq!(unread(&stream.expect("unread").await), 2);

    // Content changes keep the status (the event carries none).
    ok(c.update_notification_content()
        .instance_id(&inst.id)
        .notification_id(&new.id)
        .content(LocaleCode::EnUs, "changed")
        .send()
        .await);
    let updated = stream.expect("notification").await;
    assert_eq!(updated.data["Created"], false);
    assert_eq!(updated.data["Item"]["Status"], Value::Null);
    assert_eq!(updated.data["Item"]["Content"]["en_US"], "<p>changed</p>\n");

    // An instance-wide one reaches me too; its deletion as well.
    ok(c.delete_notification()
        .instance_id(&inst.id)
        .notification_id(&everyone.id)
        .send()
        .await);
    let removed = stream.expect("removed").await;
    assert_eq!(
        removed.data,
        json!({ "NotificationId": everyone.id, "Reason": "DELETED" })
    );
    assert_eq!(unread(&stream.expect("unread").await), 1);

    // Ids increase along the stream.
    let ids: Vec<u64> = [&snapshot, &created, &status, &updated, &removed]
        .iter()
        .map(|e| {
            e.id.as_ref()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expiring_notification_is_removed_and_the_count_drops() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let me = create_user(&c, &inst.id, "me").await;
    notify(&c, &inst.id, &[&me.arn], "stays").await;
    let soon = ok(c
        .create_notification()
        .instance_id(&inst.id)
        .recipients(&me.arn)
        .content(LocaleCode::EnUs, "goes")
        .expires_at(secs_from_now(2.0))
        .send()
        .await);
    let token = token(&server, &inst.id, &me.id).await;
    let mut stream = EventStream::open(&server, &token, None).await;
    let snapshot = stream.expect("snapshot").await;
    assert_eq!(unread(&snapshot), 2);
    let removed = stream
        .next_within(Duration::from_secs(6))
        .await
        .expect("an expiry within 6 s");
    assert_eq!(
        removed.data,
        json!({ "NotificationId": soon.notification_id(), "Reason": "EXPIRED" })
    );
    assert_eq!(next_count(&mut stream).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reconnect_with_last_event_id_gets_what_it_missed() {
    let mut server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let me = create_user(&c, &inst.id, "me").await;
    let first = notify(&c, &inst.id, &[&me.arn], "first").await;
    let token = token(&server, &inst.id, &me.id).await;

    let mut stream = EventStream::open(&server, &token, None).await;
    let snapshot = stream.expect("snapshot").await;
    assert_eq!(unread(&snapshot), 1);
    let last = snapshot.id.clone().unwrap();
    drop(stream);

    // Missed while away: a status and a new notification.
    set_status(&c, &inst.id, &me.id, &first.id, NotificationStatus::Read).await;
    let second = notify(&c, &inst.id, &[&me.arn], "second").await;

    let mut resumed = EventStream::open(&server, &token, Some(&last)).await;
    // Both missed changes come, and no snapshot. On PostgreSQL the
    // create's announcement may reach this node's hub after the reconnect:
    // then the notification comes live, after the replayed status and an
    // unread count of its own.
    let (mut status_seen, mut created, mut count) = (false, None, None);
    while !(status_seen && created.is_some() && count == Some(1)) {
        let event = resumed.next().await;
        match event.name.as_str() {
            "status" => {
                assert_eq!(event.data["NotificationId"], first.id.as_str());
                status_seen = true;
            }
            "notification" => {
                assert_eq!(event.data["Item"]["NotificationId"], second.id.as_str());
                created = Some(event);
            }
            "unread" => count = Some(unread(&event)),
            _ => panic!("a resumed stream sent {event:?}"),
        }
    }
    let resumed_at = created.and_then(|event| event.id).unwrap();
    drop(resumed);

    // An id this node never gave: a full snapshot instead.
    let mut fresh = EventStream::open(&server, &token, Some("nonsense")).await;
    assert_eq!(unread(&fresh.expect("snapshot").await), 1);

    // An open stream does not hold a stop up (restart() bounds the wait).
    // After a restart the old numbering is gone: a snapshot, right count.
    server.restart().await;
    drop(fresh);
    let c = server.client();
    let third = notify(&c, &inst.id, &[&me.arn], "third").await;
    let mut after = EventStream::open(&server, &token, Some(&resumed_at)).await;
    let snapshot = after.expect("snapshot").await;
    assert_eq!(unread(&snapshot), 2);
    assert!(item_ids(&snapshot).contains(&third.id));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_changes_ends_with_the_right_count() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let me = create_user(&c, &inst.id, "me").await;
    let token = token(&server, &inst.id, &me.id).await;
    let mut stream = EventStream::open(&server, &token, None).await;
    assert_eq!(unread(&stream.expect("snapshot").await), 0);
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(notify(&c, &inst.id, &[&me.arn], &format!("n{i}")).await.id);
    }
    for id in &ids[..5] {
        set_status(&c, &inst.id, &me.id, id, NotificationStatus::Hidden).await;
    }
    // Counts may be coalesced, but the last one is right.
    let mut last = None;
    while let Some(event) = stream.next_within(Duration::from_secs(2)).await {
        if event.name == "unread" {
            last = Some(unread(&event));
        }
    }
    assert_eq!(last, Some(15));
}

// ---------------------------------------------------------------------------
// The widget's writes

#[tokio::test(flavor = "multi_thread")]
async fn the_widget_sets_its_users_statuses_and_nobody_elses() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let me = create_user(&c, &inst.id, "me").await;
    let other = create_user(&c, &inst.id, "other").await;
    let mine = notify(&c, &inst.id, &[&me.arn], "mine").await;
    let theirs = notify(&c, &inst.id, &[&other.arn], "theirs").await;
    let token = token(&server, &inst.id, &me.id).await;

    let raw = widget_post(
        &server,
        "/_herald/widget/status",
        &token,
        json!({ "NotificationId": mine.id, "Status": "READ" }),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.text());
    assert_eq!(
        status_of(&c, &inst.id, &me.id, &mine.id).await,
        NotificationStatus::Read
    );

    // Another user's notification does not exist for this token.
    let raw = widget_post(
        &server,
        "/_herald/widget/status",
        &token,
        json!({ "NotificationId": theirs.id, "Status": "READ" }),
    )
    .await;
    assert_eq!(raw.status, 404, "{}", raw.text());
    assert_eq!(
        status_of(&c, &inst.id, &other.id, &theirs.id).await,
        NotificationStatus::Unread
    );

    for (body, kind, named) in [
        (
            json!({ "Status": "READ" }),
            "InvalidParameterException",
            "NotificationId",
        ),
        (
            json!({ "NotificationId": mine.id, "Status": "GONE" }),
            "InvalidParameterException",
            "Status",
        ),
        (
            json!({ "NotificationId": mine.id }),
            "InvalidParameterException",
            "Status",
        ),
        (
            json!({ "NotificationId": 5, "Status": "READ" }),
            "InvalidRequestException",
            "NotificationId",
        ),
        (
            json!({ "NotificationId": "a\u{0}b", "Status": "READ" }),
            "InvalidParameterException",
            "NotificationId",
        ),
    ] {
        let raw = widget_post(&server, "/_herald/widget/status", &token, body.clone()).await;
        assert_eq!(raw.status, 400, "{body}: {}", raw.text());
        assert_eq!(raw.error_type.as_deref(), Some(kind), "{body}");
        assert!(raw.text().contains(named), "{body}: {}", raw.text());
    }
    let raw = widget_post(
        &server,
        "/_herald/widget/status",
        "hw1.bad.token",
        json!({ "NotificationId": mine.id, "Status": "UNREAD" }),
    )
    .await;
    assert_eq!(raw.status, 401);
    assert_eq!(
        status_of(&c, &inst.id, &me.id, &mine.id).await,
        NotificationStatus::Read
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mark_all_read_reads_every_unread_notification_of_the_user() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let me = create_user(&c, &inst.id, "me").await;
    let other = create_user(&c, &inst.id, "other").await;
    let mut mine = Vec::new();
    for i in 0..3 {
        mine.push(notify(&c, &inst.id, &[&me.arn], &format!("n{i}")).await.id);
    }
    let everyone = notify(&c, &inst.id, &[&inst.arn], "all").await;
    let hidden = notify(&c, &inst.id, &[&me.arn], "hidden").await;
    set_status(&c, &inst.id, &me.id, &hidden.id, NotificationStatus::Hidden).await;
    let token = token(&server, &inst.id, &me.id).await;

    let raw = widget_post(&server, "/_herald/widget/read-all", &token, json!({})).await;
    assert_eq!(raw.status, 200, "{}", raw.text());
    assert_eq!(
        raw.json(),
        json!({ "Updated": 4, "Remaining": false, "NextToken": null })
    );
    for id in mine.iter().chain([&everyone.id]) {
        assert_eq!(
            status_of(&c, &inst.id, &me.id, id).await,
            NotificationStatus::Read
        );
    }
    assert_eq!(
        status_of(&c, &inst.id, &me.id, &hidden.id).await,
        NotificationStatus::Hidden,
        "HIDDEN stays hidden"
    );
    assert_eq!(
        status_of(&c, &inst.id, &other.id, &everyone.id).await,
        NotificationStatus::Unread,
        "other users are untouched"
    );
}

// ---------------------------------------------------------------------------
// Content, page and script

#[tokio::test(flavor = "multi_thread")]
async fn content_reaches_the_widget_as_safe_html_in_every_locale() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let me = create_user(&c, &inst.id, "me").await;
    ok(c.create_notification()
        .instance_id(&inst.id)
        .recipients(&me.arn)
        .priority(ConfigurableNotificationPriority::High)
        .content(
            LocaleCode::EnUs,
            "<img src=x onerror=alert(1)> [x](javascript:alert(1)) [ok](https://example.com)",
        )
        .content(LocaleCode::DeDe, "**Hallo**")
        .send()
        .await);
    let token = token(&server, &inst.id, &me.id).await;
    let mut stream = EventStream::open(&server, &token, None).await;
    let snapshot = stream.expect("snapshot").await;
    let item = &snapshot.data["Items"][0];
    assert_eq!(item["Priority"], "HIGH");
    let en = item["Content"]["en_US"].as_str().unwrap();
    assert!(en.contains("&lt;img src=x onerror=alert(1)&gt;"), "{en}");
    assert!(!en.contains("javascript"), "{en}");
    assert!(
        en.contains(
            "<a href=\"https://example.com\" target=\"_blank\" rel=\"noopener noreferrer\">ok</a>"
        ),
        "{en}"
    );
    assert_eq!(item["Content"]["de_DE"], "<p><strong>Hallo</strong></p>\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_and_the_script_are_served_with_a_strict_policy_and_cors() {
    let server = Server::start().await;
    let page = server
        .http()
        .get(server.url("/_herald/widget"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let policy = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_string();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(page.text().await.unwrap().contains("herald-notifications"));

    let script = server
        .http()
        .get(server.url("/_herald/widget.js"))
        .header("origin", "https://embedder.example")
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    // A preflight from another site's page, for the widget's writes.
    let preflight = server
        .http()
        .request(
            reqwest::Method::OPTIONS,
            server.url("/_herald/widget/status"),
        )
        .header("origin", "https://embedder.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_stream_carries_heartbeats() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let me = create_user(&c, &inst.id, "me").await;
    let token = token(&server, &inst.id, &me.id).await;
    let mut stream = EventStream::open(&server, &token, None).await;
    stream.expect("snapshot").await;
    assert_eq!(stream.comments, 0);
    // The heartbeat is a comment every 15 s of silence: no event comes,
    // but the comment does.
    assert!(stream.next_within(Duration::from_secs(17)).await.is_none());
    assert!(stream.comments >= 1, "no heartbeat within 17 s");
}

#[tokio::test(flavor = "multi_thread")]
async fn mark_all_read_resumes_past_a_long_run_of_read_notifications() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let me = create_user(&c, &inst.id, "me").await;
    // 10 old unread ones behind 510 newer read ones: more than one call
    // looks at.
    let mut ids = Vec::new();
    for i in 0..520 {
        ids.push(notify(&c, &inst.id, &[&me.arn], &format!("n{i}")).await.id);
    }
    for id in &ids[10..] {
        set_status(&c, &inst.id, &me.id, id, NotificationStatus::Read).await;
    }
    let token = token(&server, &inst.id, &me.id).await;
    let mut updated = 0;
    let mut next: Option<String> = None;
    let mut calls = 0;
    loop {
        calls += 1;
        assert!(calls < 10, "read-all does not finish");
        let body = match &next {
            Some(token) => json!({ "NextToken": token }),
            None => json!({}),
        };
        let raw = widget_post(&server, "/_herald/widget/read-all", &token, body).await;
        assert_eq!(raw.status, 200, "{}", raw.text());
        let out = raw.json();
        updated += out["Updated"].as_u64().unwrap();
        assert_eq!(out["Remaining"], out["NextToken"].is_string());
        match out["NextToken"].as_str() {
            Some(token) => next = Some(token.to_string()),
            None => break,
        }
    }
    assert!(calls > 1, "the first call cannot have looked at all 520");
    assert_eq!(updated, 10);
    for id in &ids[..10] {
        assert_eq!(
            status_of(&c, &inst.id, &me.id, id).await,
            NotificationStatus::Read
        );
    }
    // A token from another user's read-all is refused.
    let raw = widget_post(
        &server,
        "/_herald/widget/read-all",
        &token,
        json!({ "NextToken": "garbage" }),
    )
    .await;
    assert_eq!(raw.status, 400, "{}", raw.text());
    assert!(raw.text().contains("NextToken"), "{}", raw.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn unhiding_through_the_api_brings_the_notification_back_to_the_stream() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let me = create_user(&c, &inst.id, "me").await;
    let note = notify(&c, &inst.id, &[&me.arn], "peekaboo").await;
    set_status(&c, &inst.id, &me.id, &note.id, NotificationStatus::Hidden).await;
    let token = token(&server, &inst.id, &me.id).await;
    let mut stream = EventStream::open(&server, &token, None).await;
    let snapshot = stream.expect("snapshot").await;
    assert!(item_ids(&snapshot).is_empty());
    set_status(&c, &inst.id, &me.id, &note.id, NotificationStatus::Unread).await;
    let status = stream.expect("status").await;
    assert_eq!(status.data["Status"], "UNREAD");
    assert_eq!(status.data["Item"]["NotificationId"], note.id.as_str());
    assert_eq!(status.data["Item"]["Status"], "UNREAD");
    assert_eq!(status.data["Item"]["Content"]["en_US"], "<p>peekaboo</p>\n");
    assert_eq!(unread(&stream.expect("unread").await), 1);
    // Hiding it again carries no item.
    set_status(&c, &inst.id, &me.id, &note.id, NotificationStatus::Hidden).await;
    let hidden = stream.expect("status").await;
    assert_eq!(hidden.data["Item"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_the_user_or_the_instance_ends_their_streams() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let gone = create_user(&c, &inst.id, "gone").await;
    let stays = create_user(&c, &inst.id, "stays").await;
    let mut gone_stream =
        EventStream::open(&server, &token(&server, &inst.id, &gone.id).await, None).await;
    let mut stays_stream =
        EventStream::open(&server, &token(&server, &inst.id, &stays.id).await, None).await;
    gone_stream.expect("snapshot").await;
    stays_stream.expect("snapshot").await;

    ok(c.delete_user()
        .instance_id(&inst.id)
        .user_id(&gone.id)
        .send()
        .await);
    assert!(
        gone_stream.ended_within(Duration::from_secs(5)).await,
        "the deleted user's stream ends"
    );
    // The other user's stream goes on, and hears instance-wide news.
    let everyone = notify(&c, &inst.id, &[&inst.arn], "all").await;
    let heard = stays_stream.expect("notification").await;
    assert_eq!(heard.data["Item"]["NotificationId"], everyone.id.as_str());

    ok(c.delete_instance().instance_id(&inst.id).send().await);
    assert!(
        stays_stream.ended_within(Duration::from_secs(5)).await,
        "the instance's streams end"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_ends_when_its_token_expires() {
    let server = Server::start().await;
    let c = server.client();
    let inst = create_instance(&c).await;
    let me = create_user(&c, &inst.id, "me").await;
    let raw = create_widget_session(
        &server,
        &Signer::test(),
        json!({ "InstanceId": inst.id, "UserId": me.id, "DurationSeconds": 60 }),
    )
    .await;
    let token = raw.json()["Token"].as_str().unwrap().to_string();
    let mut stream = EventStream::open(&server, &token, None).await;
    stream.expect("snapshot").await;
    assert!(
        stream.ended_within(Duration::from_secs(70)).await,
        "the stream outlived its token"
    );
    let again = sse::request(&server, &token, None).await;
    assert_eq!(again.status(), 401);
    assert!(again.text().await.unwrap().contains("expired"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_url_that_is_not_http_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let run = tokio::task::block_in_place(|| {
        run_herald(
            &[
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
                data_dir.to_str().unwrap(),
                "--public-url",
                "herald.example.com",
            ],
            Duration::from_secs(30),
        )
    });
    assert!(!run.succeeded(), "started with a bad --public-url");
    assert!(run.stderr.contains("--public-url"), "{}", run.stderr);
    assert!(!data_dir.exists(), "a refusal leaves no trace");
}
