//! The wire protocol, spoken with raw HTTP.

use std::collections::HashSet;

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Sends a request signed with the server's built-in key (`test`/`test`),
/// as an SDK would sign it: the exact path, query and body bytes sent.
async fn send(server: &Server, method: Method, path: &str, body: Option<Vec<u8>>) -> Raw {
    send_with(server, method, path, &[], body).await
}

/// As `send`, with extra (signed) headers.
async fn send_with(
    server: &Server,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Raw {
    let mut all = headers.to_vec();
    if body.is_some() {
        all.push(("content-type", "application/json"));
    }
    server
        .send_signed(&Signer::test(), method, path, &all, body)
        .await
}

/// Sends a request without any signature.
async fn send_unsigned(server: &Server, method: Method, path: &str) -> Raw {
    server.send_raw(method, server.url(path), &[], None).await
}

async fn send_json(server: &Server, method: Method, path: &str, body: &Value) -> Raw {
    send(
        server,
        method,
        path,
        Some(serde_json::to_vec(body).unwrap()),
    )
    .await
}

async fn assert_healthy(server: &Server) {
    let r = send_unsigned(server, Method::GET, "/_herald/health").await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "server unhealthy: {}",
        server.recent_log()
    );
}

struct World {
    server: Server,
    inst: InstanceRef,
    user: UserRef,
}

async fn world() -> World {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    World { server, inst, user }
}

impl World {
    fn create_path(&self) -> String {
        format!("/notifications/{}", self.inst.id)
    }

    fn valid_create(&self) -> Value {
        json!({"Recipients": [self.user.arn], "Content": {"en_US": "hello"}})
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn health_endpoint() {
    let server = Server::start().await;
    // The one endpoint that needs no signature.
    let r = send_unsigned(&server, Method::GET, "/_herald/health").await;
    assert_eq!(r.status, StatusCode::OK);
    r.assert_request_id();
    let body = r.json();
    assert_eq!(body["status"], "ok", "{body}");
    let version = body["version"].as_str().expect("version is a string");
    assert!(!version.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_are_unknown_operations() {
    let server = Server::start().await;
    for (method, path) in [
        (Method::GET, "/no/such/route"),
        (Method::POST, "/notifications"),
        (Method::PATCH, "/instance"),
        (Method::GET, "/"),
        (Method::DELETE, "/search-notifications"),
    ] {
        let r = send(&server, method.clone(), path, None).await;
        let message = r.assert_error(404, "UnknownOperationException");
        assert!(
            message.contains(method.as_str()) && message.contains(path),
            "message should name {method} and {path}: {message:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_is_invalid_request() {
    let w = world().await;
    let bodies: [&[u8]; 6] = [
        b"{\"Recipients\": [",
        b"not json at all",
        b"",
        b"{\"Recipients\": [\"a\"], }",
        b"[]",
        b"null",
    ];
    for body in bodies {
        let r = send(
            &w.server,
            Method::PUT,
            &w.create_path(),
            Some(body.to_vec()),
        )
        .await;
        let status = r.status.as_u16();
        assert_eq!(status, 400, "body {:?}", String::from_utf8_lossy(body));
        assert!(
            matches!(
                r.error_type.as_deref(),
                Some("InvalidRequestException") | Some("InvalidParameterException")
            ),
            "body {:?}: {:?}",
            String::from_utf8_lossy(body),
            r.error_type
        );
        r.message();
    }
    // The clearly malformed one is InvalidRequestException specifically.
    let r = send(
        &w.server,
        Method::PUT,
        &w.create_path(),
        Some(b"{\"Recipients\": [".to_vec()),
    )
    .await;
    r.assert_error(400, "InvalidRequestException");
    assert!(
        list_notification_ids(&w.server.client(), &w.inst.id)
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_json_types_name_the_member() {
    let w = world().await;
    let user = w.user.arn.clone();
    let cases = [
        (
            json!({"Recipients": "x", "Content": {"en_US": "hi"}}),
            "Recipients",
        ),
        (
            json!({"Recipients": [user], "Content": {"en_US": 5}}),
            "Content.en_US",
        ),
        (json!({"Recipients": [user], "Content": "hi"}), "Content"),
        (
            json!({"Recipients": [user, 7], "Content": {"en_US": "hi"}}),
            "Recipients",
        ),
        (
            json!({"Recipients": [user], "Content": {"en_US": "hi"}, "Priority": 1}),
            "Priority",
        ),
        (
            json!({"Recipients": [user], "Content": {"en_US": "hi"}, "ExpiresAt": "tomorrow"}),
            "ExpiresAt",
        ),
        (
            json!({"Recipients": [user], "Content": {"en_US": "hi"}, "Tags": ["a"]}),
            "Tags",
        ),
        (
            json!({"Recipients": [user], "Content": {"en_US": "hi"}, "Tags": {"a": 1}}),
            "Tags",
        ),
    ];
    for (body, member) in cases {
        let r = send_json(&w.server, Method::PUT, &w.create_path(), &body).await;
        let message = r.assert_error(400, "InvalidRequestException");
        assert!(
            message.contains(member),
            "message should name {member}: {message:?} for {body}"
        );
    }
    // Search criteria too.
    let r = send_json(
        &w.server,
        Method::POST,
        "/search-notifications",
        &json!({"InstanceId": w.inst.id, "SearchCriteria": {"AndConditions": {"x": 1}}}),
    )
    .await;
    let message = r.assert_error(400, "InvalidRequestException");
    assert!(message.contains("AndConditions"), "{message:?}");
    assert!(
        list_notification_ids(&w.server.client(), &w.inst.id)
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_create_and_list_round_trip() {
    let w = world().await;
    let expires = now().as_secs_f64() + 3600.5;
    let r = send_json(
        &w.server,
        Method::PUT,
        &w.create_path(),
        &json!({
            "Recipients": [w.user.arn],
            "Content": {"en_US": "raw hello"},
            "Priority": "HIGH",
            "ExpiresAt": expires,
        }),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    r.assert_request_id();
    let id = r.json()["NotificationId"]
        .as_str()
        .expect("NotificationId")
        .to_string();

    let r = send(
        &w.server,
        Method::GET,
        &format!("/notifications/{}/{id}", w.inst.id),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let n = &r.json()["Notification"];
    assert_eq!(n["Id"], id.as_str());
    assert_eq!(n["Priority"], "HIGH");
    // Timestamps are epoch seconds (numbers), fractions kept.
    let got = n["ExpiresAt"].as_f64().expect("ExpiresAt is a number");
    assert!((got - expires).abs() < 0.002, "{got} vs {expires}");
    assert!(n["CreatedAt"].is_number());
    assert!(n["LastModifiedTime"].is_number());

    let r = send(
        &w.server,
        Method::GET,
        &format!("/notifications/{}?maxResults=1", w.inst.id),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    r.assert_request_id();
    assert_eq!(r.json()["NotificationSummaryList"][0]["Id"], id.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_body_is_413() {
    let w = world().await;
    let big_text = "a".repeat(1024 * 1024 + 1024);
    let body = json!({"Recipients": [w.user.arn], "Content": {"en_US": big_text}});
    let r = send_json(&w.server, Method::PUT, &w.create_path(), &body).await;
    r.assert_error(413, "RequestEntityTooLargeException");

    // Just under the limit it is parsed (and refused for the text length).
    let under = "a".repeat(1024 * 1024 - 4096);
    let body = json!({"Recipients": [w.user.arn], "Content": {"en_US": under}});
    let r = send_json(&w.server, Method::PUT, &w.create_path(), &body).await;
    r.assert_error(400, "InvalidParameterException");

    // Without a Content-Length (chunked) the limit holds as well.
    if let Some(status) = chunked_put(w.server.addr(), &w.create_path(), 20, 64 * 1024, true).await
    {
        assert_eq!(
            status, 413,
            "a chunked body over 1 MiB must be refused with 413"
        );
    }
    // Unsigned, it is refused from its headers, before any body is read.
    if let Some(status) = chunked_put(w.server.addr(), &w.create_path(), 20, 64 * 1024, false).await
    {
        assert_eq!(status, 403, "an unsigned body is refused before it is read");
    }
    assert_healthy(&w.server).await;
    assert!(
        list_notification_ids(&w.server.client(), &w.inst.id)
            .await
            .is_empty()
    );
}

/// Sends `chunks` chunks of `chunk_size` spaces with chunked transfer
/// encoding over a raw socket; returns the response status if the server
/// answered before closing the connection.
/// PUTs `chunks` chunks of `chunk_size` spaces with chunked encoding over a
/// raw socket, signed with test/test when `signed`; the response status.
async fn chunked_put(
    addr: &str,
    path: &str,
    chunks: usize,
    chunk_size: usize,
    signed: bool,
) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
    );
    if signed {
        let body = vec![b' '; chunks * chunk_size];
        let headers = Signer::new("test", "test")
            .sign(
                "PUT",
                &format!("http://{addr}{path}"),
                &[("content-type", "application/json")],
                &body,
            )
            .expect("sign");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.ok()?;
    let mut chunk = format!("{chunk_size:x}\r\n").into_bytes();
    chunk.extend(std::iter::repeat_n(b' ', chunk_size));
    chunk.extend_from_slice(b"\r\n");
    for _ in 0..chunks {
        if stream.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut response),
    )
    .await;
    if read.is_err() && response.is_empty() {
        panic!("no response to an oversized chunked body within 30 s");
    }
    let text = String::from_utf8_lossy(&response);
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    Some(status)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_has_a_request_id_and_errors_have_json_messages() {
    let w = world().await;
    let ghost = "00000000-0000-4000-8000-000000000000";
    let mut ids = HashSet::new();
    let requests: Vec<(Method, String, Option<Value>, u16)> = vec![
        (Method::GET, "/_herald/health".into(), None, 200),
        (Method::GET, format!("/instance/{}", w.inst.id), None, 200),
        (
            Method::GET,
            format!("/notifications/{}", w.inst.id),
            None,
            200,
        ),
        (Method::PUT, w.create_path(), Some(w.valid_create()), 200),
        (Method::GET, format!("/instance/{ghost}"), None, 404),
        (
            Method::GET,
            format!("/notifications/{}/{ghost}", w.inst.id),
            None,
            404,
        ),
        (Method::GET, "/nowhere".into(), None, 404),
        (
            Method::PUT,
            w.create_path(),
            Some(json!({"Recipients": []})),
            400,
        ),
        (
            Method::GET,
            format!("/notifications/{}?maxResults=0", w.inst.id),
            None,
            400,
        ),
        (
            Method::GET,
            format!("/notifications/{}?nextToken=garbage", w.inst.id),
            None,
            400,
        ),
    ];
    for (method, path, body, status) in requests {
        let r = match &body {
            Some(b) => send_json(&w.server, method.clone(), &path, b).await,
            None => send(&w.server, method.clone(), &path, None).await,
        };
        assert_eq!(
            r.status.as_u16(),
            status,
            "{method} {path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.assert_request_id();
        assert!(
            ids.insert(r.request_id.clone().unwrap()),
            "request ids must be unique"
        );
        if status >= 400 {
            assert!(
                r.error_type.is_some(),
                "{method} {path}: no x-amzn-ErrorType"
            );
            assert!(!r.message().is_empty(), "{method} {path}: empty Message");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn max_results_out_of_range_on_the_wire() {
    let w = world().await;
    for q in ["0", "101", "-1", "99999999999999999999"] {
        let r = send(
            &w.server,
            Method::GET,
            &format!("/notifications/{}?maxResults={q}", w.inst.id),
            None,
        )
        .await;
        r.assert_error(400, "InvalidParameterException");
    }
    for q in ["0", "1001", "99999999999999999999"] {
        let r = send(
            &w.server,
            Method::GET,
            &format!(
                "/users/{}/{}/notifications?maxResults={q}",
                w.inst.id, w.user.id
            ),
            None,
        )
        .await;
        r.assert_error(400, "InvalidParameterException");
    }
    let r = send_json(
        &w.server,
        Method::POST,
        "/search-notifications",
        &json!({"InstanceId": w.inst.id, "MaxResults": 0}),
    )
    .await;
    r.assert_error(400, "InvalidParameterException");
    let r = send_json(
        &w.server,
        Method::POST,
        "/search-notifications",
        &json!({"InstanceId": w.inst.id, "MaxResults": 101}),
    )
    .await;
    r.assert_error(400, "InvalidParameterException");
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_inputs_never_cause_a_server_error() {
    let w = world().await;
    let inst = w.inst.id.clone();
    let user = w.user.id.clone();
    let user_arn = w.user.arn.clone();
    let note = notify(&w.server.client(), &inst, &[&user_arn], "target").await;

    let deep_array = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_object = format!(
        "{{\"Recipients\": [\"{user_arn}\"], \"Content\": {}1{}}}",
        "{\"en_US\": ".repeat(10_000),
        "}".repeat(10_000)
    );
    let deep_criteria = format!(
        "{{\"InstanceId\": \"{inst}\", \"SearchCriteria\": {}{}{}}}",
        "{\"OrConditions\": [".repeat(5_000),
        "{\"StringCondition\": {\"FieldName\": \"Id\", \"Value\": \"x\", \"ComparisonType\": \"EXACT\"}}",
        "]}".repeat(5_000)
    );
    let mut invalid_utf8 =
        format!("{{\"Recipients\": [\"{user_arn}\"], \"Content\": {{\"en_US\": \"").into_bytes();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    invalid_utf8.extend_from_slice(b"\"}}");
    let mut invalid_utf8_key = b"{\"Recipients\": [], \"\xff\": 1}".to_vec();
    invalid_utf8_key.push(b'\n');

    let raw_cases: Vec<(Method, String, Option<Vec<u8>>)> = vec![
        (Method::PUT, format!("/notifications/{inst}"), Some(deep_array.clone().into_bytes())),
        (Method::PUT, format!("/notifications/{inst}"), Some(deep_object.into_bytes())),
        (Method::POST, "/search-notifications".into(), Some(deep_criteria.into_bytes())),
        (Method::POST, "/search-notifications".into(), Some(deep_array.into_bytes())),
        (Method::PUT, format!("/notifications/{inst}"), Some(invalid_utf8)),
        (Method::PUT, format!("/notifications/{inst}"), Some(invalid_utf8_key)),
        (Method::PUT, "/instance".into(), Some(b"\xff\xfe\xfd".to_vec())),
        (Method::GET, "/notifications/%FF%/x".into(), None),
        (Method::GET, "/notifications/%FF%".into(), None),
        (Method::PUT, "/notifications/%FF%".into(), Some(b"{}".to_vec())),
        (Method::GET, "/instance/%FF%".into(), None),
        (Method::GET, "/instance/%".into(), None),
        (Method::GET, "/instance/%00".into(), None),
        (Method::GET, "/users/%FF%/%C3%28/notifications".into(), None),
        (Method::POST, format!("/users/{inst}/%FF%/notifications/{}", note.id), Some(b"{\"Status\":\"READ\"}".to_vec())),
        (Method::GET, "/tags/%FF%".into(), None),
        (Method::GET, "/tags/arn%3Aaws%3Aconnect%3A%FF".into(), None),
        (Method::GET, format!("/users-summary/{inst}?maxResults=99999999999999999999"), None),
        (Method::GET, format!("/notifications/{inst}?maxResults=99999999999999999999"), None),
        (Method::GET, format!("/notifications/{inst}?maxResults=abc"), None),
        (Method::GET, format!("/notifications/{inst}?maxResults=%FF"), None),
        (Method::GET, "/instance?maxResults=99999999999999999999".into(), None),
        (Method::GET, format!("/notifications/{inst}?nextToken={}", "Z".repeat(50_000)), None),
        (Method::GET, format!("/notifications/{inst}?nextToken=%FF%FE"), None),
        (Method::GET, format!("/{}", "a/".repeat(4000)), None),
        (Method::GET, format!("/notifications/{inst}/{}", "x".repeat(20_000)), None),
        (
            Method::PUT,
            format!("/notifications/{inst}"),
            Some(format!("{{\"Recipients\": [\"{user_arn}\"], \"Content\": {{\"en_US\": \"x\"}}, \"ExpiresAt\": 1e400}}").into_bytes()),
        ),
        (
            Method::PUT,
            format!("/notifications/{inst}"),
            Some(format!("{{\"Recipients\": [\"{user_arn}\"], \"Content\": {{\"en_US\": \"x\"}}, \"ExpiresAt\": -1e20}}").into_bytes()),
        ),
        (
            Method::PUT,
            format!("/notifications/{inst}"),
            Some(format!("{{\"Recipients\": [\"{user_arn}\"], \"Content\": {{\"en_US\": \"x\"}}, \"ExpiresAt\": 99999999999999999999}}").into_bytes()),
        ),
        (
            Method::PUT,
            format!("/notifications/{inst}"),
            Some(format!("{{\"Recipients\": [\"{user_arn}\"], \"Content\": {{\"en_US\": \"\\u0000\\ud800\"}}}}").into_bytes()),
        ),
        (
            Method::PUT,
            format!("/notifications/{inst}"),
            Some(format!("{{\"Recipients\": [\"{user_arn}\"], \"Recipients\": 3, \"Content\": {{\"en_US\": \"dup\"}}}}").into_bytes()),
        ),
        (Method::PUT, format!("/notifications/{inst}"), Some(b"{\"Recipients\": [\"arn:aws:connect:us-east-1:000000000000:instance/\x00\"], \"Content\": {\"en_US\": \"x\"}}".to_vec())),
        (Method::POST, format!("/notifications/{inst}/{}", note.id), Some(b"{\"Content\": {\"en_US\": [[[[[[[[[[]]]]]]]]]]}}".to_vec())),
        (Method::POST, "/search-notifications".into(), Some(b"{\"InstanceId\": 12}".to_vec())),
        (Method::POST, "/search-notifications".into(), Some(b"{}".to_vec())),
        (Method::POST, "/search-notifications".into(), Some(format!("{{\"InstanceId\": \"{inst}\", \"SearchCriteria\": {{\"StringCondition\": {{\"FieldName\": \"Content\", \"Value\": \"%_\\\\'\\\"; DROP TABLE notifications; --\", \"ComparisonType\": \"CONTAINS\"}}}}}}").into_bytes())),
        (Method::DELETE, format!("/tags/{}?tagKeys=", urlencode(&note.arn)), None),
        (Method::DELETE, format!("/tags/{}", urlencode(&note.arn)), None),
        (Method::POST, format!("/tags/{}", urlencode(&note.arn)), Some(b"{\"tags\": null}".to_vec())),
    ];
    for (method, path, body) in raw_cases {
        let shown = shorten(&path);
        let r = send(&w.server, method.clone(), &path, body).await;
        // Signed as an SDK signs (aws-sigv4), each one reaches the handler:
        // a 403 here means the server canonicalises the request differently.
        assert_ne!(
            r.status.as_u16(),
            403,
            "{method} {shown}: signed request refused: {}",
            r.text()
        );
        assert!(
            r.status.as_u16() < 500,
            "{method} {shown} -> {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        r.assert_request_id();
        if r.status.as_u16() >= 400 {
            assert!(
                r.error_type.is_some(),
                "{method} {shown}: error without x-amzn-ErrorType"
            );
            r.message();
        }
    }

    // Hostile headers on UpdateUserNotificationStatus.
    let status_path = format!("/users/{inst}/{user}/notifications/{}", note.id);
    for (name, value) in [
        ("x-amz-last-modified-time", "yesterday"),
        ("x-amz-last-modified-time", "Mon, 99 Foo 9999 99:99:99 GMT"),
        ("x-amz-last-modified-time", "Fri, 31 Dec 9999 23:59:59 GMT"),
        ("x-amz-last-modified-time", "Mon, 01 Jan 0001 00:00:00 GMT"),
        ("x-amz-last-modified-region", "not a region!"),
    ] {
        // Signed, as x-amz-* headers must be, so they reach the handler.
        let r = send_with(
            &w.server,
            Method::POST,
            &status_path,
            &[(name, value)],
            Some(b"{\"Status\": \"READ\"}".to_vec()),
        )
        .await;
        assert!(
            r.status.as_u16() < 500 && r.status.as_u16() != 403,
            "{name}: {value} -> {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        r.assert_request_id();
    }
    let r = send_with(
        &w.server,
        Method::POST,
        &status_path,
        &[("x-amz-last-modified-time", "yesterday")],
        Some(b"{\"Status\": \"READ\"}".to_vec()),
    )
    .await;
    assert_eq!(
        r.status.as_u16(),
        400,
        "a garbage HTTP-date must be refused"
    );

    assert_healthy(&w.server).await;
    // The target survived all of it.
    let client = w.server.client();
    ok(client
        .describe_notification()
        .instance_id(&inst)
        .notification_id(&note.id)
        .send()
        .await);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn percent_encoded_arn_label_reaches_tags() {
    let w = world().await;
    let note = notify(&w.server.client(), &w.inst.id, &[&w.user.arn], "tag me").await;
    let path = format!("/tags/{}", urlencode(&note.arn));
    let r = send_json(&w.server, Method::POST, &path, &json!({"tags": {"k": "v"}})).await;
    assert!(
        r.status.is_success(),
        "{}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    let r = send(&w.server, Method::GET, &path, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["tags"], json!({"k": "v"}));
}
