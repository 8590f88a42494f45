//! When the database is away: requests fail fast with the service's
//! "try again" error, none hangs, the node recovers by itself when the
//! database returns, and nothing acknowledged is lost.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_connect::types::LocaleCode;
use reqwest::Method;

use crate::chime::{Chime, create_app};
use crate::common::*;
use crate::proxy::Proxy;

/// Three requests, each bounded by the node at twice its 1 s statement
/// timeout: far less than this, and far less than the SDK's own 60 s.
const HANG: Duration = Duration::from_secs(20);

/// `host:port` of a postgres:// URL.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}

/// A node whose database connections all pass through a proxy.
async fn node_behind_proxy() -> (Server, Proxy) {
    let database = scratch_database().await;
    let upstream = host_port(database.url());
    let proxy = Proxy::start(upstream.clone()).await;
    let proxied = database
        .url()
        .replacen(&upstream, &format!("127.0.0.1:{}", proxy.port()), 1);
    let server = Server::launch_on(
        Launch {
            database_url: Some(proxied),
            args: vec!["--database-statement-timeout-ms".into(), "1000".into()],
            ..Launch::default()
        },
        Some(Arc::new(database)),
    )
    .await;
    (server, proxy)
}

/// What was acknowledged before the outage.
struct Acked {
    instance: InstanceRef,
    note: NotificationRef,
    app: String,
}

async fn acknowledge_some_writes(server: &Server) -> Acked {
    let c = server.client();
    let instance = create_instance(&c).await;
    let alice = create_user(&c, &instance.id, "alice").await;
    let note = notify(&c, &instance.id, &[&alice.arn], "before the outage").await;
    let app = create_app(&Chime::new(server).id, "outage").await;
    Acked {
        instance,
        note,
        app,
    }
}

/// Connect answers 500 InternalServiceException and Chime 503
/// ServiceUnavailableException with Retry-After, each well before `HANG`.
async fn assert_fails_fast(server: &Server, acked: &Acked) {
    let c = server.client();
    let started = Instant::now();
    let err = expect_err(
        c.describe_notification()
            .instance_id(&acked.instance.id)
            .notification_id(&acked.note.id)
            .send()
            .await,
    );
    assert_eq!(
        (err.code.as_str(), err.status),
        ("InternalServiceException", 500),
        "{err:?}"
    );
    let err = expect_err(
        c.create_notification()
            .instance_id(&acked.instance.id)
            .recipients(&acked.instance.arn)
            .content(LocaleCode::EnUs, "during the outage")
            .send()
            .await,
    );
    assert_eq!(
        (err.code.as_str(), err.status),
        ("InternalServiceException", 500),
        "{err:?}"
    );
    let chime = server
        .send_signed(
            &Signer::test().service("chime"),
            Method::GET,
            "/app-instances",
            &[],
            None,
        )
        .await;
    chime.assert_error(503, "ServiceUnavailableException");
    assert!(chime.retry_after.is_some(), "503 without Retry-After");
    assert!(
        started.elapsed() < HANG,
        "requests hung: {:?}",
        started.elapsed()
    );
}

/// The node serves again by itself, with everything acknowledged before.
async fn assert_recovers(server: &Server, acked: &Acked) {
    let c = server.client();
    eventually(
        Duration::from_secs(30),
        "the node to serve again",
        || async {
            c.describe_notification()
                .instance_id(&acked.instance.id)
                .notification_id(&acked.note.id)
                .send()
                .await
                .ok()
        },
    )
    .await;
    let ids = list_notification_ids(&c, &acked.instance.id).await;
    assert!(
        ids.contains(&acked.note.id),
        "acknowledged notification lost: {ids:?}"
    );
    ok(Chime::new(server)
        .id
        .describe_app_instance()
        .app_instance_arn(&acked.app)
        .send()
        .await);
    // And it takes writes again.
    notify(
        &c,
        &acked.instance.id,
        &[&acked.instance.arn],
        "after the outage",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_database_fails_requests_fast_and_the_node_recovers() {
    let (server, proxy) = node_behind_proxy().await;
    let acked = acknowledge_some_writes(&server).await;
    proxy.cut();
    assert_fails_fast(&server, &acked).await;
    proxy.restore();
    assert_recovers(&server, &acked).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_that_stops_answering_cannot_hang_a_request() {
    let (server, proxy) = node_behind_proxy().await;
    let acked = acknowledge_some_writes(&server).await;
    proxy.stall();
    assert_fails_fast(&server, &acked).await;
    proxy.restore();
    assert_recovers(&server, &acked).await;
}
