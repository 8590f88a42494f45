//! Authentication (SigV4), authorisation (roles, accounts), the credentials
//! file and its reload, and the server's defences against hostile clients.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant, SystemTime};

use crate::common::*;
use aws_sdk_connect::Client;
use aws_sdk_connect::types::{LocaleCode, NotificationStatus};
use reqwest::Method;
use serde_json::json;

const ACCOUNT_A: &str = "111111111111";
const ACCOUNT_B: &str = "222222222222";
/// How long a SIGHUP reload may take to show.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// Helpers

async fn instance_ids(client: &Client) -> Vec<String> {
    let out = ok(client.list_instances().max_results(10).send().await);
    assert!(out.next_token().is_none(), "more instances than expected");
    sorted(
        out.instance_summary_list()
            .iter()
            .map(|s| s.id().unwrap_or_default().to_string())
            .collect(),
    )
}

async fn tags_of(client: &Client, arn: &str) -> HashMap<String, String> {
    ok(client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await)
    .tags()
    .cloned()
    .unwrap_or_default()
}

/// The signature headers for a request, to send (perhaps altered) with
/// `Server::send_raw`.
fn signature(
    server: &Server,
    signer: &Signer,
    method: &Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<(String, String)> {
    let url = server.url(path);
    let mut all = owned_headers(headers);
    all.extend(
        signer
            .sign(method.as_str(), url.as_str(), headers, body)
            .expect("sign"),
    );
    all
}

fn create_body(recipient_arn: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"Recipients": [recipient_arn], "Content": {"en_US": text}})).unwrap()
}

const JSON: (&str, &str) = ("content-type", "application/json");

/// Asserts a call was refused as unauthenticated with `code` (403).
#[track_caller]
fn assert_refused(r: &Raw, code: &str) {
    r.assert_error(403, code);
}

/// Keys used by a test, with the secrets to look for in logs.
fn secrets(keys: &[&TestKey]) -> Vec<String> {
    keys.iter().map(|k| k.secret.clone()).collect()
}

#[track_caller]
fn assert_log_clean(server: &Server, secrets: &[String]) {
    let log = server.whole_log();
    let offending = |needle: &str| {
        log.lines()
            .filter(|line| line.contains(needle))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for secret in secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the server log contains a secret access key:\n{}",
            offending(secret)
        );
    }
    assert!(
        !log.contains("Signature="),
        "the server log contains a request signature:\n{}",
        offending("Signature=")
    );
}

#[track_caller]
fn assert_body_discloses_nothing(r: &Raw, what: &str) {
    let body = r.text();
    for leak in ["/root", "src/", "panicked", ".rs:"] {
        assert!(
            !body.contains(leak),
            "{what}: error body discloses {leak:?}: {body}"
        );
    }
}

// ---------------------------------------------------------------------------
// Signatures, through the SDK

#[tokio::test(flavor = "multi_thread")]
async fn sdk_signatures_with_the_wrong_secret_or_an_unknown_key_are_refused() {
    let server = Server::start().await;
    let good = server.client();
    let inst = create_instance(&good).await;

    let wrong_secret = server.client_as("test", "not-the-secret");
    assert_err(
        wrong_secret.create_instance().send().await,
        "InvalidSignatureException",
        403,
    );
    assert_err(
        wrong_secret
            .describe_instance()
            .instance_id(&inst.id)
            .send()
            .await,
        "InvalidSignatureException",
        403,
    );
    let unknown = server.client_as("AKIDNOBODY", "test");
    assert_err(
        unknown.create_instance().send().await,
        "UnrecognizedClientException",
        403,
    );
    assert_err(
        unknown.list_instances().send().await,
        "UnrecognizedClientException",
        403,
    );
    // The refused CreateInstance calls created nothing.
    assert_eq!(instance_ids(&good).await, vec![inst.id.clone()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_signatures_must_be_scoped_to_the_servers_region() {
    let server = Server::start().await;
    let wrong_region = server.client_in("eu-west-1");
    assert_err(
        wrong_region.list_instances().send().await,
        "InvalidSignatureException",
        403,
    );
    assert_err(
        wrong_region.create_instance().send().await,
        "InvalidSignatureException",
        403,
    );
    assert!(instance_ids(&server.client()).await.is_empty());

    // The expected region is the server's --region, not a fixed one.
    let server = Server::start_with(&["--region", "eu-west-1"]).await;
    ok(server.client_in("eu-west-1").list_instances().send().await);
    assert_err(
        server.client().list_instances().send().await,
        "InvalidSignatureException",
        403,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_signs_arn_labels_with_slashes_and_colons() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let note = notify(&client, &inst.id, &[&user.arn], "tag me").await;
    assert!(note.arn.contains('/') && note.arn.contains(':'));

    // The SDK percent-encodes the ARN label and signs it encoded twice.
    ok(client
        .tag_resource()
        .resource_arn(&note.arn)
        .tags("team", "blue")
        .send()
        .await);
    assert_eq!(
        tags_of(&client, &note.arn).await,
        HashMap::from([("team".to_string(), "blue".to_string())])
    );
    ok(client
        .untag_resource()
        .resource_arn(&note.arn)
        .tag_keys("team")
        .send()
        .await);
    assert!(tags_of(&client, &note.arn).await.is_empty());
}

// ---------------------------------------------------------------------------
// Signatures, raw

#[tokio::test(flavor = "multi_thread")]
async fn signed_raw_request_is_accepted_within_the_allowed_clock_skew_only() {
    let server = Server::start().await;
    let inst = create_instance(&server.client()).await;
    let path = format!("/instance/{}", inst.id);

    let r = server
        .send_signed(&Signer::test(), Method::GET, &path, &[], None)
        .await;
    assert_eq!(r.assert_ok()["Instance"]["Id"], inst.id.as_str());

    let now = SystemTime::now();
    let minutes = |m: u64| Duration::from_secs(m * 60);
    for (what, at) in [
        ("5 minutes ago", now - minutes(5)),
        ("5 minutes ahead", now + minutes(5)),
    ] {
        let r = server
            .send_signed(&Signer::test().at(at), Method::GET, &path, &[], None)
            .await;
        assert_eq!(r.status.as_u16(), 200, "signed {what}: {}", r.text());
    }
    for (what, at) in [
        ("20 minutes ago", now - minutes(20)),
        ("20 minutes ahead", now + minutes(20)),
        ("a day ago", now - minutes(24 * 60)),
    ] {
        let r = server
            .send_signed(&Signer::test().at(at), Method::GET, &path, &[], None)
            .await;
        assert_eq!(
            (r.status.as_u16(), r.error_type.as_deref()),
            (403, Some("InvalidSignatureException")),
            "signed {what}: {}",
            r.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_changed_after_signing_are_refused() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let other = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    notify(&client, &inst.id, &[&user.arn], "one").await;
    notify(&client, &inst.id, &[&user.arn], "two").await;
    let signer = Signer::test();

    // Query: maxResults=1 signed, maxResults=2 sent.
    let list = format!("/notifications/{}", inst.id);
    let signed = signature(
        &server,
        &signer,
        &Method::GET,
        &format!("{list}?maxResults=1"),
        &[],
        b"",
    );
    let r = server
        .send_raw(
            Method::GET,
            server.url(&format!("{list}?maxResults=1")),
            &signed,
            None,
        )
        .await;
    assert_eq!(
        r.assert_ok()["NotificationSummaryList"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = server
        .send_raw(
            Method::GET,
            server.url(&format!("{list}?maxResults=2")),
            &signed,
            None,
        )
        .await;
    assert_refused(&r, "InvalidSignatureException");
    // A parameter added after signing.
    let r = server
        .send_raw(
            Method::GET,
            server.url(&format!("{list}?maxResults=1&nextToken=x")),
            &signed,
            None,
        )
        .await;
    assert_refused(&r, "InvalidSignatureException");

    // Path: one instance signed, another sent.
    let signed = signature(
        &server,
        &signer,
        &Method::GET,
        &format!("/instance/{}", inst.id),
        &[],
        b"",
    );
    let r = server
        .send_raw(
            Method::GET,
            server.url(&format!("/instance/{}", other.id)),
            &signed,
            None,
        )
        .await;
    assert_refused(&r, "InvalidSignatureException");

    // Method: GET signed, DELETE sent.
    let signed = signature(
        &server,
        &signer,
        &Method::GET,
        &format!("/instance/{}", other.id),
        &[],
        b"",
    );
    let r = server
        .send_raw(
            Method::DELETE,
            server.url(&format!("/instance/{}", other.id)),
            &signed,
            None,
        )
        .await;
    assert_refused(&r, "InvalidSignatureException");

    // Body: one text signed, another sent (same length), with and without
    // a signed x-amz-content-sha256.
    let create = format!("/notifications/{}", inst.id);
    let signed_body = create_body(&user.arn, "signed text");
    let sent_body = create_body(&user.arn, "forged text");
    assert_eq!(signed_body.len(), sent_body.len());
    for payload in [Payload::Signed, Payload::SignedWithHeader] {
        let signed = signature(
            &server,
            &signer.clone().payload(payload),
            &Method::PUT,
            &create,
            &[JSON],
            &signed_body,
        );
        let r = server
            .send_raw(
                Method::PUT,
                server.url(&create),
                &signed,
                Some(sent_body.clone()),
            )
            .await;
        assert_refused(&r, "InvalidSignatureException");
    }
    // A signed header's value changed.
    let signed = signature(
        &server,
        &signer,
        &Method::GET,
        &format!("/instance/{}", inst.id),
        &[("x-amz-foo", "signed")],
        b"",
    );
    let forged: Vec<(String, String)> = signed
        .into_iter()
        .map(|(k, v)| match k.as_str() {
            "x-amz-foo" => (k, "forged".to_string()),
            _ => (k, v),
        })
        .collect();
    let r = server
        .send_raw(
            Method::GET,
            server.url(&format!("/instance/{}", inst.id)),
            &forged,
            None,
        )
        .await;
    assert_refused(&r, "InvalidSignatureException");

    // Nothing the forged requests asked for happened.
    assert_eq!(list_notification_ids(&client, &inst.id).await.len(), 2);
    assert_eq!(instance_ids(&client).await, sorted(vec![inst.id, other.id]));
}

#[tokio::test(flavor = "multi_thread")]
async fn unsigned_and_streaming_payloads_are_refused() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let create = format!("/notifications/{}", inst.id);
    let body = create_body(&user.arn, "hello");

    // The control: the same request with the body's hash signed works.
    let r = server
        .send_signed(
            &Signer::test().payload(Payload::SignedWithHeader),
            Method::PUT,
            &create,
            &[JSON],
            Some(body.clone()),
        )
        .await;
    r.assert_ok();

    for payload in [Payload::Unsigned, Payload::StreamingUnsignedTrailer] {
        // Correctly signed, but the signature does not cover the body.
        let r = server
            .send_signed(
                &Signer::test().payload(payload),
                Method::PUT,
                &create,
                &[JSON],
                Some(body.clone()),
            )
            .await;
        assert_refused(&r, "InvalidSignatureException");
    }
    assert_eq!(list_notification_ids(&client, &inst.id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn signature_scope_must_name_connect_and_the_servers_region() {
    let server = Server::start().await;
    let path = "/instance";
    let r = server
        .send_signed(&Signer::test(), Method::GET, path, &[], None)
        .await;
    r.assert_ok();
    for (what, signer) in [
        ("service chime", Signer::test().service("chime")),
        ("service herald", Signer::test().service("herald")),
        ("service s3", Signer::test().service("s3")),
        ("region eu-west-1", Signer::test().region("eu-west-1")),
    ] {
        let r = server
            .send_signed(&signer, Method::GET, path, &[], None)
            .await;
        assert_eq!(
            (r.status.as_u16(), r.error_type.as_deref()),
            (403, Some("InvalidSignatureException")),
            "{what}: {}",
            r.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_x_amz_header_must_be_signed() {
    let server = Server::start().await;
    let path = "/instance";
    // Signed, an x-amz-* header is fine.
    let r = server
        .send_signed(
            &Signer::test(),
            Method::GET,
            path,
            &[("x-amz-foo", "bar")],
            None,
        )
        .await;
    r.assert_ok();
    // Added unsigned to a signed request, it is not.
    let mut headers = signature(&server, &Signer::test(), &Method::GET, path, &[], b"");
    headers.push(("x-amz-foo".into(), "bar".into()));
    let r = server
        .send_raw(Method::GET, server.url(path), &headers, None)
        .await;
    assert_refused(&r, "InvalidSignatureException");
    // x-amz-user-agent is the one exception (the SDK for Rust leaves it
    // unsigned).
    let mut headers = signature(&server, &Signer::test(), &Method::GET, path, &[], b"");
    headers.push(("x-amz-user-agent".into(), "aws-sdk-rust/1.0".into()));
    let r = server
        .send_raw(Method::GET, server.url(path), &headers, None)
        .await;
    r.assert_ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_or_malformed_authorization_is_refused() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let create = format!("/notifications/{}", inst.id);
    let body = create_body(&user.arn, "hello");

    // No Authorization at all.
    let r = server
        .send_raw(Method::GET, server.url("/instance"), &[], None)
        .await;
    assert_refused(&r, "MissingAuthenticationTokenException");
    let r = server
        .send_raw(
            Method::PUT,
            server.url(&create),
            &owned_headers(&[JSON]),
            Some(body.clone()),
        )
        .await;
    assert_refused(&r, "MissingAuthenticationTokenException");
    // A date but no Authorization.
    let r = server
        .send_raw(
            Method::GET,
            server.url("/instance"),
            &owned_headers(&[("x-amz-date", "20250101T000000Z")]),
            None,
        )
        .await;
    assert_refused(&r, "MissingAuthenticationTokenException");

    for garbage in [
        "AWS4-HMAC-SHA256 garbage",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/connect/aws4_request",
        "AWS4-HMAC-SHA256 Credential=test/2025/us-east-1/connect/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        "Basic dGVzdDp0ZXN0",
        "Bearer abc",
    ] {
        let mut headers = signature(
            &server,
            &Signer::test(),
            &Method::GET,
            "/instance",
            &[],
            b"",
        );
        for (k, v) in headers.iter_mut() {
            if k == "authorization" {
                *v = garbage.to_string();
            }
        }
        let r = server
            .send_raw(Method::GET, server.url("/instance"), &headers, None)
            .await;
        assert_eq!(
            (r.status.as_u16(), r.error_type.as_deref()),
            (403, Some("IncompleteSignatureException")),
            "Authorization: {garbage}: {}",
            r.text()
        );
    }

    // A valid Authorization without its x-amz-date.
    let headers: Vec<(String, String)> = signature(
        &server,
        &Signer::test(),
        &Method::GET,
        "/instance",
        &[],
        b"",
    )
    .into_iter()
    .filter(|(k, _)| k != "x-amz-date")
    .collect();
    let r = server
        .send_raw(Method::GET, server.url("/instance"), &headers, None)
        .await;
    assert_refused(&r, "IncompleteSignatureException");

    assert_eq!(list_notification_ids(&client, &inst.id).await.len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn authentication_comes_before_routing_and_health_needs_none() {
    let server = Server::start().await;
    for (method, path) in [(Method::GET, "/no/such/route"), (Method::DELETE, "/")] {
        let r = server
            .send_raw(method.clone(), server.url(path), &[], None)
            .await;
        assert_refused(&r, "MissingAuthenticationTokenException");
        let r = server
            .send_signed(&Signer::test(), method.clone(), path, &[], None)
            .await;
        r.assert_error(404, "UnknownOperationException");
    }
    // Herald's own paths are signed for the service "herald".
    let r = server
        .send_signed(&Signer::test(), Method::GET, "/_herald/nothing", &[], None)
        .await;
    assert_ne!(r.status.as_u16(), 403, "{}", r.text());
    let r = server
        .send_raw(Method::GET, server.url("/_herald/health"), &[], None)
        .await;
    assert_eq!(r.status.as_u16(), 200);
}

// ---------------------------------------------------------------------------
// Roles and accounts (credentials file)

#[tokio::test(flavor = "multi_thread")]
async fn connect_user_reaches_only_its_own_notifications() {
    let admin = TestKey::admin(ACCOUNT_A);
    let file = KeyFile::new(&[&admin]);
    let mut server = Server::start_with_keys(&file).await;
    let c = admin.client(&server);
    let inst = create_instance(&c).await;
    let other_inst = create_instance(&c).await;
    let alice = create_user(&c, &inst.id, "alice").await;
    let bob = create_user(&c, &inst.id, "bob").await;
    let n1 = notify(&c, &inst.id, &[&alice.arn, &bob.arn], "to both").await;
    let n2 = notify(&c, &inst.id, &[&bob.arn], "to bob").await;
    assert_eq!(
        alice.arn,
        format!(
            "arn:aws:connect:{REGION}:{ACCOUNT_A}:instance/{}/agent/{}",
            inst.id, alice.id
        )
    );

    let agent = TestKey::connect_user(ACCOUNT_A, &alice.arn);
    file.write(&[&admin, &agent]);
    server.restart().await;
    let c = admin.client(&server);
    let a = agent.client(&server);

    // Its own user: list and update.
    assert_eq!(
        user_notification_ids(&a, &inst.id, &alice.id).await,
        vec![n1.id.clone()]
    );
    ok(a.update_user_notification_status()
        .instance_id(&inst.id)
        .user_id(&alice.id)
        .notification_id(&n1.id)
        .status(NotificationStatus::Read)
        .send()
        .await);
    assert_eq!(
        status_of(&c, &inst.id, &alice.id, &n1.id).await,
        NotificationStatus::Read
    );

    // Another user's: denied, and nothing changes.
    let denied = "AccessDeniedException";
    assert_err(
        a.list_user_notifications()
            .instance_id(&inst.id)
            .user_id(&bob.id)
            .send()
            .await,
        denied,
        403,
    );
    for note in [&n1, &n2] {
        assert_err(
            a.update_user_notification_status()
                .instance_id(&inst.id)
                .user_id(&bob.id)
                .notification_id(&note.id)
                .status(NotificationStatus::Read)
                .send()
                .await,
            denied,
            403,
        );
    }
    // The same user id under another instance is another user.
    assert_err(
        a.list_user_notifications()
            .instance_id(&other_inst.id)
            .user_id(&alice.id)
            .send()
            .await,
        denied,
        403,
    );
    for note in [&n1, &n2] {
        assert_eq!(
            status_of(&c, &inst.id, &bob.id, &note.id).await,
            NotificationStatus::Unread
        );
    }

    // Everything else: denied.
    assert_err(
        a.create_notification()
            .instance_id(&inst.id)
            .recipients(&alice.arn)
            .content(LocaleCode::EnUs, "from the agent")
            .send()
            .await,
        denied,
        403,
    );
    assert_err(
        a.list_notifications().instance_id(&inst.id).send().await,
        denied,
        403,
    );
    assert_err(
        a.describe_instance().instance_id(&inst.id).send().await,
        denied,
        403,
    );
    assert_err(
        a.describe_notification()
            .instance_id(&inst.id)
            .notification_id(&n1.id)
            .send()
            .await,
        denied,
        403,
    );
    assert_err(
        a.update_notification_content()
            .instance_id(&inst.id)
            .notification_id(&n1.id)
            .content(LocaleCode::EnUs, "rewritten")
            .send()
            .await,
        denied,
        403,
    );
    assert_err(
        a.delete_notification()
            .instance_id(&inst.id)
            .notification_id(&n1.id)
            .send()
            .await,
        denied,
        403,
    );
    assert_err(
        a.search_notifications().instance_id(&inst.id).send().await,
        denied,
        403,
    );
    assert_err(
        a.describe_user()
            .instance_id(&inst.id)
            .user_id(&alice.id)
            .send()
            .await,
        denied,
        403,
    );
    assert_err(a.list_instances().send().await, denied, 403);
    assert_err(a.create_instance().send().await, denied, 403);
    assert_err(
        a.tag_resource()
            .resource_arn(&n1.arn)
            .tags("k", "v")
            .send()
            .await,
        denied,
        403,
    );

    // None of it happened.
    assert_eq!(
        sorted(list_notification_ids(&c, &inst.id).await),
        sorted(vec![n1.id.clone(), n2.id.clone()])
    );
    let described = ok(c
        .describe_notification()
        .instance_id(&inst.id)
        .notification_id(&n1.id)
        .send()
        .await);
    assert_eq!(
        described.notification().unwrap().content().unwrap()[&LocaleCode::EnUs],
        "to both"
    );
    assert!(tags_of(&c, &n1.arn).await.is_empty());
    assert_eq!(
        instance_ids(&c).await,
        sorted(vec![inst.id.clone(), other_inst.id.clone()])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chime_user_may_not_call_connect() {
    let admin = TestKey::admin(ACCOUNT_A);
    let chime = TestKey::chime_user(
        ACCOUNT_A,
        &format!("arn:aws:chime:{REGION}:{ACCOUNT_A}:app-instance/app-1/user/user-1"),
    );
    let file = KeyFile::new(&[&admin, &chime]);
    let server = Server::start_with_keys(&file).await;
    let c = admin.client(&server);
    let inst = create_instance(&c).await;
    let user = create_user(&c, &inst.id, "alice").await;
    let note = notify(&c, &inst.id, &[&user.arn], "hi").await;

    let h = chime.client(&server);
    let denied = "AccessDeniedException";
    assert_err(h.list_instances().send().await, denied, 403);
    assert_err(h.create_instance().send().await, denied, 403);
    assert_err(
        h.describe_instance().instance_id(&inst.id).send().await,
        denied,
        403,
    );
    assert_err(
        h.list_user_notifications()
            .instance_id(&inst.id)
            .user_id(&user.id)
            .send()
            .await,
        denied,
        403,
    );
    assert_err(
        h.update_user_notification_status()
            .instance_id(&inst.id)
            .user_id(&user.id)
            .notification_id(&note.id)
            .status(NotificationStatus::Read)
            .send()
            .await,
        denied,
        403,
    );
    assert_err(
        h.create_notification()
            .instance_id(&inst.id)
            .recipients(&user.arn)
            .content(LocaleCode::EnUs, "x")
            .send()
            .await,
        denied,
        403,
    );
    assert_eq!(instance_ids(&c).await, vec![inst.id.clone()]);
    assert_eq!(
        list_notification_ids(&c, &inst.id).await,
        vec![note.id.clone()]
    );
    assert_eq!(
        status_of(&c, &inst.id, &user.id, &note.id).await,
        NotificationStatus::Unread
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_are_tenants() {
    let key_a = TestKey::admin(ACCOUNT_A);
    let key_b = TestKey::admin(ACCOUNT_B);
    let file = KeyFile::new(&[&key_a, &key_b]);
    let server = Server::start_with_keys(&file).await;
    let a = key_a.client(&server);
    let b = key_b.client(&server);

    let inst_a = create_instance(&a).await;
    let user_a = create_user(&a, &inst_a.id, "alice").await;
    let note_a = notify(&a, &inst_a.id, &[&user_a.arn], "for A only").await;
    ok(a.tag_resource()
        .resource_arn(&note_a.arn)
        .tags("owner", "a")
        .send()
        .await);
    assert!(
        inst_a.arn.contains(&format!(":{ACCOUNT_A}:instance/")),
        "{}",
        inst_a.arn
    );

    let inst_b = create_instance(&b).await;
    assert!(
        inst_b.arn.contains(&format!(":{ACCOUNT_B}:instance/")),
        "{}",
        inst_b.arn
    );
    let user_b = create_user(&b, &inst_b.id, "bob").await;
    assert!(user_b.arn.starts_with(&inst_b.arn), "{}", user_b.arn);
    let note_b = notify(&b, &inst_b.id, &[&user_b.arn], "for B").await;
    assert!(
        note_b.arn.contains(&format!(":{ACCOUNT_B}:")),
        "{}",
        note_b.arn
    );

    // Each sees only its own instances.
    assert_eq!(instance_ids(&a).await, vec![inst_a.id.clone()]);
    assert_eq!(instance_ids(&b).await, vec![inst_b.id.clone()]);

    // A's ids do not exist for B.
    let nf = "ResourceNotFoundException";
    assert_err(
        b.describe_instance().instance_id(&inst_a.id).send().await,
        nf,
        404,
    );
    assert_err(
        b.describe_notification()
            .instance_id(&inst_a.id)
            .notification_id(&note_a.id)
            .send()
            .await,
        nf,
        404,
    );
    assert_err(
        b.list_user_notifications()
            .instance_id(&inst_a.id)
            .user_id(&user_a.id)
            .send()
            .await,
        nf,
        404,
    );
    assert_err(
        b.list_notifications().instance_id(&inst_a.id).send().await,
        nf,
        404,
    );
    assert_err(
        b.describe_user()
            .instance_id(&inst_a.id)
            .user_id(&user_a.id)
            .send()
            .await,
        nf,
        404,
    );
    assert_err(
        b.update_user_notification_status()
            .instance_id(&inst_a.id)
            .user_id(&user_a.id)
            .notification_id(&note_a.id)
            .status(NotificationStatus::Read)
            .send()
            .await,
        nf,
        404,
    );
    assert_err(
        b.delete_notification()
            .instance_id(&inst_a.id)
            .notification_id(&note_a.id)
            .send()
            .await,
        nf,
        404,
    );
    assert_err(
        b.delete_instance().instance_id(&inst_a.id).send().await,
        nf,
        404,
    );
    // B's own instance does not open A's notifications either.
    assert_err(
        b.describe_notification()
            .instance_id(&inst_b.id)
            .notification_id(&note_a.id)
            .send()
            .await,
        nf,
        404,
    );
    // Nor do A's ARNs, for tags.
    assert_err(
        b.tag_resource()
            .resource_arn(&note_a.arn)
            .tags("owner", "b")
            .send()
            .await,
        nf,
        404,
    );
    assert_err(
        b.list_tags_for_resource()
            .resource_arn(&note_a.arn)
            .send()
            .await,
        nf,
        404,
    );
    // B's search over A's instance finds nothing of A's.
    let err = expect_err(
        b.search_notifications()
            .instance_id(&inst_a.id)
            .send()
            .await,
    );
    assert_eq!((err.code.as_str(), err.status), (nf, 404), "{err:?}");

    // A's users and instance are not recipients B can reach: not from B's
    // instance, and A's instance does not exist for B.
    for recipient in [&user_a.arn, &inst_a.arn] {
        assert_err(
            b.create_notification()
                .instance_id(&inst_b.id)
                .recipients(recipient)
                .content(LocaleCode::EnUs, "from B")
                .send()
                .await,
            "InvalidParameterException",
            400,
        );
        assert_err(
            b.create_notification()
                .instance_id(&inst_a.id)
                .recipients(recipient)
                .content(LocaleCode::EnUs, "from B")
                .send()
                .await,
            nf,
            404,
        );
    }
    assert_eq!(
        user_notification_ids(&a, &inst_a.id, &user_a.id).await,
        vec![note_a.id.clone()]
    );

    // A's data is untouched.
    ok(a.describe_instance().instance_id(&inst_a.id).send().await);
    assert_eq!(
        list_notification_ids(&a, &inst_a.id).await,
        vec![note_a.id.clone()]
    );
    assert_eq!(
        status_of(&a, &inst_a.id, &user_a.id, &note_a.id).await,
        NotificationStatus::Unread
    );
    assert_eq!(
        tags_of(&a, &note_a.arn).await,
        HashMap::from([("owner".to_string(), "a".to_string())])
    );
}

// ---------------------------------------------------------------------------
// The credentials file: reload, permissions

/// True once `key` can call ListInstances; false while it is unknown.
async fn key_works(server: &Server, key: &TestKey) -> bool {
    match key.client(server).list_instances().send().await {
        Ok(_) => true,
        Err(err) => {
            let e = api_error(&err);
            assert_eq!(
                (e.code.as_str(), e.status),
                ("UnrecognizedClientException", 403),
                "unexpected error: {e:?}"
            );
            false
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_the_credentials_file_and_keeps_keys_when_it_is_broken() {
    let key1 = TestKey::admin(ACCOUNT_A);
    let key2 = TestKey::admin(ACCOUNT_A);
    let file = KeyFile::new(&[&key1]);
    let server = Server::start_with_keys(&file).await;
    assert!(key_works(&server, &key1).await);
    assert!(!key_works(&server, &key2).await);
    // The built-in key is not accepted once a credentials file is given.
    assert_err(
        server.client().list_instances().send().await,
        "UnrecognizedClientException",
        403,
    );

    // Added to the file: unknown until SIGHUP, then accepted.
    file.write(&[&key1, &key2]);
    assert!(!key_works(&server, &key2).await);
    server.signal("HUP");
    eventually(RELOAD_TIMEOUT, "key2 accepted after SIGHUP", || async {
        key_works(&server, &key2).await.then_some(())
    })
    .await;
    assert!(key_works(&server, &key1).await);
    server
        .wait_for_log("credentials reloaded", RELOAD_TIMEOUT)
        .await;

    // A broken file: reported, and the keys in force stay in force.
    file.write_text("this is [[not toml", 0o600);
    server.signal("HUP");
    server
        .wait_for_log("credentials not reloaded", RELOAD_TIMEOUT)
        .await;
    assert!(key_works(&server, &key1).await);
    assert!(key_works(&server, &key2).await);

    // A key removed from the file is revoked on the next SIGHUP. The file
    // is readable by others this time: a warning.
    assert!(!server.whole_log().contains("readable by group or others"));
    file.write(&[&key2]);
    std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    server.signal("HUP");
    eventually(RELOAD_TIMEOUT, "key1 revoked after SIGHUP", || async {
        (!key_works(&server, &key1).await).then_some(())
    })
    .await;
    assert!(key_works(&server, &key2).await);
    server
        .wait_for_log("readable by group or others", RELOAD_TIMEOUT)
        .await;
    assert_log_clean(&server, &secrets(&[&key1, &key2]));
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_file_readable_by_others_is_warned_about_at_startup() {
    let key = TestKey::admin(ACCOUNT_A);

    let private = KeyFile::new(&[&key]);
    let server = Server::start_with_keys(&private).await;
    // "credentials loaded" follows the permission check.
    server
        .wait_for_log("credentials loaded", RELOAD_TIMEOUT)
        .await;
    assert!(
        !server.whole_log().contains("readable by group or others"),
        "{}",
        server.recent_log()
    );
    drop(server);

    let exposed = KeyFile::new(&[&key]);
    std::fs::set_permissions(exposed.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let server = Server::start_with_keys(&exposed).await;
    server
        .wait_for_log("readable by group or others", RELOAD_TIMEOUT)
        .await;
    // A warning, not a refusal.
    assert!(key_works(&server, &key).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_credentials_files_are_reported_without_their_secrets() {
    let key = TestKey::admin(ACCOUNT_A);
    let file = KeyFile::new(&[&key]);
    let server = Server::start_with_keys(&file).await;

    // An operator's typo on the secret line itself (unquoted value).
    let leaked = TestKey::admin(ACCOUNT_A);
    let broken = format!(
        "[[keys]]\naccess_key_id = \"{}\"\nsecret_access_key = {}\naccount_id = \"{ACCOUNT_A}\"\nrole = \"admin\"\n",
        leaked.id, leaked.secret
    );
    file.write_text(&broken, 0o600);
    server.signal("HUP");
    server
        .wait_for_log("credentials not reloaded", RELOAD_TIMEOUT)
        .await;
    assert!(key_works(&server, &key).await);
    assert_log_clean(&server, &secrets(&[&key, &leaked]));

    // The same file at startup: refused, without echoing the secret.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = tokio::task::block_in_place(|| {
        run_herald(
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
                data.to_str().unwrap(),
                "--credentials",
                &file.arg(),
            ],
            Duration::from_secs(30),
        )
    });
    assert!(
        run.status.is_some() && !run.succeeded(),
        "herald must refuse a broken credentials file: {run:?}"
    );
    assert!(
        !run.stderr.contains(&leaked.secret) && !run.stdout.contains(&leaked.secret),
        "herald printed the secret of a broken credentials file:\n{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------
// Listening beyond loopback

#[tokio::test(flavor = "multi_thread")]
async fn wildcard_listen_address_requires_a_credentials_file() {
    let dir = tempfile::tempdir().unwrap();
    for serve in [true, false] {
        let data = dir.path().join(format!("data-{serve}"));
        let mut args = vec![];
        if serve {
            args.push("serve");
        }
        args.extend([
            "--listen",
            "0.0.0.0:0",
            "--data-dir",
            data.to_str().unwrap(),
        ]);
        let run = tokio::task::block_in_place(|| run_herald(&args, Duration::from_secs(30)));
        assert!(
            run.status.is_some(),
            "herald kept running on 0.0.0.0 without --credentials: {run:?}"
        );
        assert!(!run.succeeded(), "{run:?}");
        assert!(
            run.stderr.contains("refusing to listen"),
            "stderr: {}",
            run.stderr
        );
        assert!(
            !run.stdout.contains("herald listening"),
            "stdout: {}",
            run.stdout
        );
        assert!(
            !data.exists(),
            "the refused start created its data directory"
        );
    }

    // With a credentials file it serves (on every interface; reached here
    // through loopback), and only the file's keys.
    let key = TestKey::admin(ACCOUNT_A);
    let file = KeyFile::new(&[&key]);
    let server = Server::launch(Launch {
        listen: Some("0.0.0.0:0".into()),
        args: file.args(),
        ..Launch::default()
    })
    .await;
    assert!(server.addr().starts_with("127.0.0.1:"), "{}", server.addr());
    let inst = create_instance(&key.client(&server)).await;
    assert!(inst.arn.contains(&format!(":{ACCOUNT_A}:")), "{}", inst.arn);
    assert_err(
        server.client().list_instances().send().await,
        "UnrecognizedClientException",
        403,
    );
}

// ---------------------------------------------------------------------------
// herald keys add

/// `(access_key_id, secret_access_key)` from `herald keys add` output.
fn parse_added_key(stdout: &str) -> (String, String) {
    let value = |name: &str| {
        stdout
            .lines()
            .find_map(|line| {
                let (k, v) = line.split_once('=')?;
                (k.trim() == name).then(|| v.trim().trim_matches('"').to_string())
            })
            .unwrap_or_else(|| panic!("no `{name} = …` line in: {stdout}"))
    };
    (value("access_key_id"), value("secret_access_key"))
}

fn mode_of(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn keys_add(args: &[&str]) -> Run {
    let mut all = vec!["keys", "add"];
    all.extend(args);
    tokio::task::block_in_place(|| run_herald(&all, Duration::from_secs(30)))
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_add_writes_a_private_file_whose_key_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    let path_arg = path.to_str().unwrap().to_string();

    let run = keys_add(&[
        "--credentials",
        &path_arg,
        "--role",
        "admin",
        "--account-id",
        "123456789012",
    ]);
    assert!(run.succeeded(), "{run:?}");
    let (id, secret) = parse_added_key(&run.stdout);
    assert!(!id.is_empty() && secret.len() >= 20, "{id} / {secret}");
    assert!(
        !run.stderr.contains(&secret),
        "secret on stderr: {}",
        run.stderr
    );
    assert_eq!(mode_of(&path), 0o600, "credentials file mode");
    assert!(std::fs::read_to_string(&path).unwrap().contains(&id));

    let server = Server::start_with(&["--credentials", &path_arg]).await;
    let admin = server.client_as(&id, &secret);
    let inst = create_instance(&admin).await;
    assert!(inst.arn.contains(":123456789012:instance/"), "{}", inst.arn);
    assert_err(
        server
            .client_as(&id, "not-the-secret")
            .list_instances()
            .send()
            .await,
        "InvalidSignatureException",
        403,
    );
    let user = create_user(&admin, &inst.id, "alice").await;
    let note = notify(&admin, &inst.id, &[&user.arn], "hi").await;

    // A second key, for one user, added while the server runs.
    let run = keys_add(&[
        "--credentials",
        &path_arg,
        "--role",
        "connect-user",
        "--account-id",
        "123456789012",
        "--connect-user-arn",
        &user.arn,
    ]);
    assert!(run.succeeded(), "{run:?}");
    let (agent_id, agent_secret) = parse_added_key(&run.stdout);
    assert_ne!(agent_id, id);
    assert_ne!(agent_secret, secret);
    assert_eq!(mode_of(&path), 0o600, "credentials file mode after append");
    server.signal("HUP");
    let agent = server.client_as(&agent_id, &agent_secret);
    let listed = eventually(RELOAD_TIMEOUT, "the added key accepted", || async {
        agent
            .list_user_notifications()
            .instance_id(&inst.id)
            .user_id(&user.id)
            .send()
            .await
            .ok()
    })
    .await;
    assert_eq!(listed.user_notifications().len(), 1);
    assert_eq!(
        listed.user_notifications()[0].notification_id(),
        Some(note.id.as_str())
    );
    // With the role it was given.
    assert_err(
        agent.create_instance().send().await,
        "AccessDeniedException",
        403,
    );
    ok(admin.describe_instance().instance_id(&inst.id).send().await);
    assert_log_clean(&server, &[secret, agent_secret]);
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_add_refuses_incomplete_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    let path_arg = path.to_str().unwrap().to_string();

    for args in [
        vec!["--role", "connect-user", "--account-id", "123456789012"],
        vec!["--role", "chime-user", "--account-id", "123456789012"],
        vec!["--role", "root", "--account-id", "123456789012"],
        vec!["--role", "admin", "--account-id", "12345"],
    ] {
        let mut all = vec!["--credentials", path_arg.as_str()];
        all.extend(args.iter().copied());
        let run = keys_add(&all);
        assert!(
            run.status.is_some() && !run.succeeded(),
            "{args:?} must fail: {run:?}"
        );
        assert!(
            !run.stdout.contains("secret_access_key"),
            "{args:?}: {}",
            run.stdout
        );
        assert!(!path.exists(), "{args:?} wrote {}", path.display());
    }

    // And a failed add leaves an existing file as it was.
    let run = keys_add(&[
        "--credentials",
        &path_arg,
        "--role",
        "admin",
        "--account-id",
        "123456789012",
    ]);
    assert!(run.succeeded(), "{run:?}");
    let before = std::fs::read_to_string(&path).unwrap();
    let run = keys_add(&[
        "--credentials",
        &path_arg,
        "--role",
        "connect-user",
        "--account-id",
        "123456789012",
    ]);
    assert!(!run.succeeded(), "{run:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}

// ---------------------------------------------------------------------------
// Hostile clients

/// An HTTP/1.1 request head with these headers and a Content-Length.
fn request_head(
    method: &str,
    path: &str,
    addr: &str,
    headers: &[(String, String)],
    content_length: usize,
) -> String {
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {content_length}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// Writes `head` and `body` over a fresh connection while reading the
/// response; returns the response head, or `None` if the connection ended
/// (or was reset) before one arrived.
async fn exchange(addr: &str, head: String, body: Vec<u8>) -> Option<String> {
    use tokio::io::AsyncWriteExt;
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let write = tokio::spawn(async move {
        let _ = writer.write_all(head.as_bytes()).await;
        let _ = writer.write_all(&body).await;
        // Keep the write half open until the response has been read.
        writer
    });
    let response = read_response_head(&mut reader, Duration::from_secs(30)).await;
    drop(write.await);
    response
}

#[tokio::test(flavor = "multi_thread")]
async fn request_heads_over_64_kib_are_refused() {
    let server = Server::start().await;
    let huge = "a".repeat(100 * 1024);
    let head = request_head(
        "GET",
        "/instance",
        server.addr(),
        &[("x-padding".to_string(), huge)],
        0,
    );
    let response = exchange(server.addr(), head, Vec::new())
        .await
        .expect("a response to a 100 KiB head");
    assert!(response.starts_with("HTTP/1.1 431 "), "{response}");
    // Under the limit, a large head is served (and signed like any other).
    let padding = "b".repeat(48 * 1024);
    let r = server
        .send_signed(
            &Signer::test(),
            Method::GET,
            "/instance",
            &[("x-padding", padding.as_str())],
            None,
        )
        .await;
    r.assert_ok();
    let r = server
        .send_raw(Method::GET, server.url("/_herald/health"), &[], None)
        .await;
    assert_eq!(r.status.as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_over_the_limit_are_refused_before_authentication() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let create = format!("/notifications/{}", inst.id);
    let big = create_body(&user.arn, &"a".repeat(3 * 1024 * 1024));
    let url = server.url(&create);
    let signed = |signer: Signer| {
        let mut headers = owned_headers(&[JSON]);
        headers.extend(signer.sign("PUT", url.as_str(), &[JSON], &big).unwrap());
        headers
    };

    for (what, headers) in [
        ("signed", signed(Signer::test())),
        ("unsigned", owned_headers(&[JSON])),
        (
            "signed with a wrong secret",
            signed(Signer::new("test", "wrong")),
        ),
    ] {
        let head = request_head("PUT", &create, server.addr(), &headers, big.len());
        let response = exchange(server.addr(), head, big.clone()).await;
        // Answered as soon as the head declares too much, body unread.
        let response = response
            .unwrap_or_else(|| panic!("{what}: no response to a 3 MiB body"))
            .to_ascii_lowercase();
        assert!(response.starts_with("http/1.1 413 "), "{what}: {response}");
        assert!(
            response.contains("x-amzn-errortype: requestentitytoolargeexception"),
            "{what}: {response}"
        );
    }

    let r = server
        .send_raw(Method::GET, server.url("/_herald/health"), &[], None)
        .await;
    assert_eq!(r.status.as_u16(), 200);
    assert!(list_notification_ids(&client, &inst.id).await.is_empty());
    notify(&client, &inst.id, &[&user.arn], "still works").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stalled_clients_do_not_starve_others_and_are_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const STALLED: usize = 300;
    /// The server's header read timeout is 10 s.
    const CLOSED_WITHIN: Duration = Duration::from_secs(20);

    let server = Server::start().await;
    let mut stalled = Vec::with_capacity(STALLED);
    for i in 0..STALLED {
        let mut stream = tokio::net::TcpStream::connect(server.addr())
            .await
            .unwrap_or_else(|e| panic!("connection {i}: {e}"));
        stream
            .write_all(b"GET /inst")
            .await
            .unwrap_or_else(|e| panic!("connection {i}: {e}"));
        stalled.push(stream);
    }
    let opened = Instant::now();
    // A few send their headers a byte at a time, never finishing: the
    // header deadline is for the whole head, not for each read.
    let mut drips = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let addr = server.addr().to_string();
        drips.spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connect");
            let _ = stream
                .write_all(b"GET /instance HTTP/1.1\r\nx-drip: ")
                .await;
            let mut buf = [0u8; 1024];
            while opened.elapsed() < CLOSED_WITHIN {
                if stream.write_all(b"a").await.is_err() {
                    return true;
                }
                match tokio::time::timeout(Duration::from_millis(500), stream.read(&mut buf)).await
                {
                    Ok(Ok(0)) | Ok(Err(_)) => return true,
                    Ok(Ok(_)) | Err(_) => {}
                }
            }
            false
        });
    }

    // A real client is served meanwhile.
    let client = server.client();
    let inst = create_instance(&client).await;
    for _ in 0..5 {
        assert_eq!(instance_ids(&client).await, vec![inst.id.clone()]);
    }
    // Served alongside them, not after the server dropped them: every
    // stalled connection is still open (their 10 s header deadline has not
    // passed; a few calls on loopback take far less).
    let mut still_open = 0;
    for stream in &stalled {
        let mut buf = [0u8; 1];
        if let Err(e) = stream.try_read(&mut buf)
            && e.kind() == std::io::ErrorKind::WouldBlock
        {
            still_open += 1;
        }
    }
    // Only meaningful while the 10 s deadline cannot have passed; on a
    // machine so loaded that five calls took longer, the check says nothing.
    if opened.elapsed() < Duration::from_secs(8) {
        assert_eq!(
            still_open,
            STALLED,
            "the calls were served only after stalled connections closed ({:?} after they stalled)",
            opened.elapsed()
        );
    }

    // The server closes the stalled connections.
    let deadline = tokio::time::Instant::from_std(opened + CLOSED_WITHIN);
    let mut tasks = tokio::task::JoinSet::new();
    for mut stream in stalled {
        tasks.spawn(async move {
            let mut buf = [0u8; 1024];
            loop {
                match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
                    Err(_) => return false,
                    Ok(Ok(0)) | Ok(Err(_)) => return true,
                    Ok(Ok(_)) => continue,
                }
            }
        });
    }
    let mut closed = 0;
    while let Some(result) = tasks.join_next().await {
        if result.expect("reader task") {
            closed += 1;
        }
    }
    assert_eq!(
        closed, STALLED,
        "stalled connections still open {CLOSED_WITHIN:?} after they stalled"
    );
    let mut dripping = 0;
    while let Some(closed) = drips.join_next().await {
        if !closed.expect("drip task") {
            dripping += 1;
        }
    }
    assert_eq!(
        dripping, 0,
        "connections dripping their headers still open after {CLOSED_WITHIN:?}"
    );
    ok(client
        .describe_instance()
        .instance_id(&inst.id)
        .send()
        .await);
}

/// Reads an HTTP response head (status line and headers) off `stream`;
/// `None` if the connection closes first or nothing comes within `within`.
async fn read_response_head(
    stream: &mut (impl tokio::io::AsyncRead + Unpin),
    within: Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let deadline = tokio::time::Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return None,
        };
        got.extend_from_slice(&buf[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(String::from_utf8_lossy(&got[..end]).into_owned());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_sent_too_slowly_get_408() {
    use tokio::io::AsyncWriteExt;
    let server = Server::start_with(&["--request-timeout-seconds", "2"]).await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let path = format!("/notifications/{}", inst.id);
    let body = create_body(&user.arn, "slow");

    // Signed, declared in full, then only part of the body arrives.
    let url = server.url(&path);
    let signed = Signer::test()
        .sign("PUT", url.as_str(), &[JSON], &body)
        .unwrap();
    let mut head = format!(
        "PUT {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        server.addr(),
        body.len()
    );
    for (name, value) in &signed {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..body.len() / 2]).await.unwrap();

    let response = read_response_head(&mut stream, Duration::from_secs(30))
        .await
        .expect("a response to a stalled body");
    let lower = response.to_ascii_lowercase();
    assert!(lower.starts_with("http/1.1 408"), "{response}");
    assert!(
        lower.contains("x-amzn-errortype: requesttimeoutexception"),
        "{response}"
    );
    drop(stream);

    // The server is fine, and the half request did nothing.
    assert!(list_notification_ids(&client, &inst.id).await.is_empty());
    notify(&client, &inst.id, &[&user.arn], "on time").await;
}

// ---------------------------------------------------------------------------
// Nothing secret in logs or responses

#[tokio::test(flavor = "multi_thread")]
async fn secrets_and_internals_stay_out_of_logs_and_error_bodies() {
    let admin = TestKey::admin(ACCOUNT_A);
    let other = TestKey::admin(ACCOUNT_B);
    let file = KeyFile::new(&[&admin, &other]);
    let server = Server::launch(Launch {
        args: file.args(),
        env: vec![("HERALD_LOG".into(), "debug".into())],
        ..Launch::default()
    })
    .await;
    let c = admin.client(&server);
    let inst = create_instance(&c).await;
    let user = create_user(&c, &inst.id, "alice").await;
    let note = notify(&c, &inst.id, &[&user.arn], "hello").await;
    let agent = TestKey::connect_user(ACCOUNT_A, &user.arn);
    file.write(&[&admin, &other, &agent]);
    server.signal("HUP");
    eventually(RELOAD_TIMEOUT, "agent key loaded", || async {
        agent
            .client(&server)
            .list_user_notifications()
            .instance_id(&inst.id)
            .user_id(&user.id)
            .send()
            .await
            .ok()
    })
    .await;
    let wrong_secret = format!("e2eWrongSecret{}", random_hex());

    let mut errors: Vec<(String, Raw)> = Vec::new();
    let create = format!("/notifications/{}", inst.id);
    let body = create_body(&user.arn, "x");
    type Case = (&'static str, Signer, Method, String, Option<Vec<u8>>);
    let cases: Vec<Case> = vec![
        (
            "wrong secret",
            Signer::new(&admin.id, &wrong_secret),
            Method::GET,
            "/instance".into(),
            None,
        ),
        (
            "unknown key",
            Signer::new("AKIDNOBODY", &admin.secret),
            Method::GET,
            "/instance".into(),
            None,
        ),
        (
            "expired",
            admin
                .signer()
                .at(SystemTime::now() - Duration::from_secs(3600)),
            Method::GET,
            "/instance".into(),
            None,
        ),
        (
            "wrong service",
            admin.signer().service("chime"),
            Method::GET,
            "/instance".into(),
            None,
        ),
        (
            "denied",
            agent.signer(),
            Method::GET,
            "/instance".into(),
            None,
        ),
        (
            "other account",
            other.signer(),
            Method::GET,
            format!("/instance/{}", inst.id),
            None,
        ),
        (
            "bad json",
            admin.signer(),
            Method::PUT,
            create.clone(),
            Some(b"{\"Recipients\": [".to_vec()),
        ),
        (
            "bad path",
            admin.signer(),
            Method::GET,
            "/notifications/%FF%/x".into(),
            None,
        ),
        (
            "unknown route",
            admin.signer(),
            Method::GET,
            "/no/such/route".into(),
            None,
        ),
        (
            "unsigned payload",
            admin.signer().payload(Payload::Unsigned),
            Method::PUT,
            create.clone(),
            Some(body.clone()),
        ),
        (
            "bad token",
            admin.signer(),
            Method::GET,
            format!("{create}?nextToken=garbage"),
            None,
        ),
    ];
    for (what, signer, method, path, body) in cases {
        let headers: &[(&str, &str)] = if body.is_some() { &[JSON] } else { &[] };
        let r = server
            .send_signed(&signer, method, &path, headers, body)
            .await;
        assert!(
            (400..500).contains(&r.status.as_u16()),
            "{what}: {} {}",
            r.status,
            r.text()
        );
        errors.push((what.to_string(), r));
    }
    for (what, garbage) in [
        ("garbage authorization", "AWS4-HMAC-SHA256 garbage"),
        ("basic auth", "Basic dGVzdDp0ZXN0"),
    ] {
        let r = server
            .send_raw(
                Method::GET,
                server.url("/instance"),
                &owned_headers(&[("authorization", garbage)]),
                None,
            )
            .await;
        errors.push((what.to_string(), r));
    }
    let r = server
        .send_raw(Method::GET, server.url("/instance"), &[], None)
        .await;
    errors.push(("no authorization".into(), r));
    // SDK traffic, successful and refused.
    ok(c.describe_notification()
        .instance_id(&inst.id)
        .notification_id(&note.id)
        .send()
        .await);
    assert_err(
        server
            .client_as(&admin.id, &wrong_secret)
            .list_instances()
            .send()
            .await,
        "InvalidSignatureException",
        403,
    );
    // A broken file on reload.
    file.write_text("[[keys]]\nbroken", 0o600);
    server.signal("HUP");
    server
        .wait_for_log("credentials not reloaded", RELOAD_TIMEOUT)
        .await;

    for (what, r) in &errors {
        assert!(r.error_type.is_some(), "{what}: no x-amzn-ErrorType");
        assert_body_discloses_nothing(r, what);
        for secret in [&admin.secret, &other.secret, &agent.secret, &wrong_secret] {
            assert!(!r.text().contains(secret.as_str()), "{what}: {}", r.text());
        }
        assert!(!r.text().contains("Signature="), "{what}: {}", r.text());
    }
    assert_log_clean(
        &server,
        &[
            admin.secret.clone(),
            other.secret.clone(),
            agent.secret.clone(),
            wrong_secret,
        ],
    );
}

/// The signature covers the sorted query, so the order of a repeated
/// parameter is not signed: a single-valued parameter given twice is
/// refused rather than read in an order the signer did not fix.
#[tokio::test(flavor = "multi_thread")]
async fn repeated_single_valued_query_parameters_are_refused() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let signer = Signer::test();
    let path = format!("/notifications/{}?maxResults=1&maxResults=2", inst.id);
    let r = server
        .send_signed(&signer, Method::GET, &path, &[], None)
        .await;
    r.assert_error(400, "InvalidParameterException");
    assert!(r.message().contains("maxResults"), "{}", r.message());
}

/// Connections that never send a byte are closed after the header
/// deadline, so they cannot hold every connection slot.
#[tokio::test(flavor = "multi_thread")]
async fn silent_connections_are_closed_and_free_their_slots() {
    use tokio::io::AsyncReadExt;
    let server = Server::start_with(&["--max-connections", "3"]).await;
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(
            tokio::net::TcpStream::connect(server.addr())
                .await
                .expect("connect"),
        );
    }
    // Every slot is held; the health check is served once they are freed.
    let health = server
        .http()
        .get(format!("{}/_herald/health", server.endpoint()))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("health is served after the silent connections are dropped");
    assert_eq!(health.status().as_u16(), 200);
    for mut stream in silent {
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("the server closes a silent connection");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
}

/// The signature covers the normalised path while routing reads the raw
/// one, so paths that normalisation would change are refused outright.
/// (Sent over a raw socket: HTTP client libraries normalise them away.)
#[tokio::test(flavor = "multi_thread")]
async fn dot_segments_cannot_turn_one_signed_operation_into_another() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = Server::start().await;
    for path in [
        "/notifications/../search-notifications",
        "/instance/.",
        "/instance//x",
    ] {
        let mut stream = tokio::net::TcpStream::connect(server.addr())
            .await
            .expect("connect");
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}",
            server.addr()
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut response = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
            .await
            .expect("a response")
            .expect("read");
        let text = String::from_utf8_lossy(&response).to_lowercase();
        assert!(text.starts_with("http/1.1 400"), "{path}: {text}");
        assert!(
            text.contains("x-amzn-errortype: invalidrequestexception"),
            "{path}: {text}"
        );
    }
}

/// A replicated status write may not carry a time in the future: it
/// would make every later write look stale.
#[tokio::test(flavor = "multi_thread")]
async fn replicated_status_times_may_not_lie_in_the_future() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    let note = notify(&client, &inst.id, &[&user.arn], "hello").await;
    let result = client
        .update_user_notification_status()
        .instance_id(&inst.id)
        .user_id(&user.id)
        .notification_id(&note.id)
        .status(NotificationStatus::Read)
        .last_modified_time(aws_sdk_connect::primitives::DateTime::from_secs(
            253_402_207_200,
        ))
        .last_modified_region("eu-west-1")
        .send()
        .await;
    assert_err(result, "InvalidParameterException", 400);
    assert_eq!(
        status_of(&client, &inst.id, &user.id, &note.id).await,
        NotificationStatus::Unread
    );
}
