//! Overload: per-key rate limits (`--rate-limit-per-key`,
//! `--rate-limit-burst`) answered as AWS answers them, SDK clients riding
//! through them with standard retries, and the bound on requests in
//! progress (`--max-in-flight`).
//!
//! Rates here are tiny so that a bucket empties within a few calls; every
//! assertion allows for the tokens refilled while a slow machine works.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::chime::{Chime, create_app};
use crate::common::*;
use aws_sdk_connect::Client;
use aws_sdk_connect::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_connect::config::retry::RetryConfig;
use aws_sdk_connect::config::{ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_connect::error::BoxError;
use aws_sdk_connect::types::LocaleCode;
use reqwest::Method;

/// A server whose keys may make `per_second` requests a second in bursts
/// of `burst`, with more arguments after.
async fn limited(per_second: u32, burst: u32, more: &[String]) -> Server {
    let mut args = vec![
        "--rate-limit-per-key".to_string(),
        per_second.to_string(),
        "--rate-limit-burst".to_string(),
        burst.to_string(),
    ];
    args.extend_from_slice(more);
    Server::launch(Launch {
        args,
        ..Launch::default()
    })
    .await
}

/// The most calls a bucket of `burst` refilled at `per_second` can have
/// let through since `since`.
fn most_allowed(burst: u32, per_second: u32, since: Instant) -> usize {
    burst as usize + (since.elapsed().as_secs_f64() * f64::from(per_second)).ceil() as usize
}

/// Waits until the bucket of a key limited to `per_second` is full again.
async fn refill(burst: u32, per_second: u32) {
    tokio::time::sleep(Duration::from_secs_f64(
        f64::from(burst) / f64::from(per_second) + 0.2,
    ))
    .await;
}

/// CreateNotification to the whole instance with this client token.
async fn create(
    client: &Client,
    instance: &InstanceRef,
    text: &str,
    token: &str,
) -> Result<String, ApiError> {
    client
        .create_notification()
        .instance_id(&instance.id)
        .recipients(&instance.arn)
        .content(LocaleCode::EnUs, text)
        .client_token(token)
        .send()
        .await
        .map(|out| out.notification_id().to_string())
        .map_err(|e| api_error(&e))
}

/// Calls `call` until it is refused (at most `limit` times); returns how
/// many succeeded first and the refusal.
async fn until_refused<F, Fut>(limit: usize, mut call: F) -> (usize, ApiError)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    for i in 0..limit {
        if let Err(error) = call(i).await {
            return (i, error);
        }
    }
    panic!("{limit} calls in a row were all let through");
}

#[tokio::test(flavor = "multi_thread")]
async fn past_its_burst_a_key_gets_throttling_exception_and_the_refused_create_changes_nothing() {
    const RATE: u32 = 1;
    const BURST: u32 = 3;
    let server = limited(RATE, BURST, &[]).await;
    let client = server.client();
    let started = Instant::now();
    let instance = create_instance(&client).await;

    let (succeeded, refusal) = until_refused(50, |i| {
        let client = client.clone();
        let instance = instance.clone();
        async move {
            create(&client, &instance, &format!("n{i}"), &format!("token-{i}"))
                .await
                .map(|_| ())
        }
    })
    .await;
    // The whole burst went through (the instance took one token), and no
    // more than the refill since could have.
    assert!(
        succeeded + 1 >= BURST as usize,
        "only {succeeded} creates before a refusal"
    );
    assert!(
        succeeded < most_allowed(BURST, RATE, started),
        "{succeeded} creates let through"
    );
    assert_eq!(
        (refusal.code.as_str(), refusal.status),
        ("ThrottlingException", 429)
    );
    assert!(
        refusal.message.contains("access key test")
            && refusal.message.contains("1 requests per second"),
        "the message names the key and the rate: {}",
        refusal.message
    );

    // On the wire: x-amzn-ErrorType and a Retry-After of whole seconds.
    let raw = server
        .send_signed(&Signer::test(), Method::GET, "/instance", &[], None)
        .await;
    if raw.status == 429 {
        raw.assert_error(429, "ThrottlingException");
        let retry_after: u64 = raw
            .retry_after
            .as_deref()
            .expect("Retry-After on a 429")
            .parse()
            .expect("Retry-After is whole seconds");
        assert!((1..=2).contains(&retry_after), "Retry-After: {retry_after}");
    }

    // The refused create stored nothing: its client token is still free,
    // and the listing holds exactly the creates that succeeded.
    refill(BURST, RATE).await;
    let ids = list_notification_ids(&client, &instance.id).await;
    assert_eq!(ids.len(), succeeded, "notifications stored: {ids:?}");
    let refused_token = format!("token-{succeeded}");
    let retried = create(&client, &instance, "again", &refused_token)
        .await
        .expect("the refused create, retried");
    assert!(!ids.contains(&retried));
    refill(BURST, RATE).await;
    assert_eq!(
        list_notification_ids(&client, &instance.id).await.len(),
        succeeded + 1
    );
}

/// Records the HTTP status of every attempt a client makes.
#[derive(Debug, Clone, Default)]
struct Attempts(Arc<Mutex<Vec<u16>>>);

impl Attempts {
    fn statuses(&self) -> Vec<u16> {
        self.0.lock().unwrap().clone()
    }
}

impl Intercept for Attempts {
    fn name(&self) -> &'static str {
        "Attempts"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0
            .lock()
            .unwrap()
            .push(context.response().status().as_u16());
        Ok(())
    }
}

/// A client of the built-in key with the SDK's standard retry mode.
fn retrying_client(server: &Server, attempts: &Attempts) -> Client {
    let config = aws_sdk_connect::Config::builder()
        .behavior_version_latest()
        .endpoint_url(server.endpoint())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(RetryConfig::standard().with_max_attempts(12))
        .interceptor(attempts.clone())
        .build();
    Client::from_conf(config)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sdk_client_with_standard_retries_rides_through_throttling_to_success() {
    const RATE: u32 = 4;
    const BURST: u32 = 4;
    const CALLS: usize = 16;
    let server = limited(RATE, BURST, &[]).await;
    let attempts = Attempts::default();
    let client = retrying_client(&server, &attempts);
    let instance = create_instance(&client).await;

    // Four times the burst at once: most are throttled at first, and the
    // SDK backs off and retries until each gets through.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CALLS {
        let client = client.clone();
        let instance = instance.clone();
        tasks.spawn(async move {
            create(
                &client,
                &instance,
                &format!("burst {i}"),
                &format!("burst-{i}"),
            )
            .await
        });
    }
    let mut created = Vec::new();
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            Ok(id) => created.push(id),
            Err(error) => panic!("a call failed despite retries: {error:?}"),
        }
    }
    assert_eq!(created.len(), CALLS);
    let statuses = attempts.statuses();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        throttled > 0,
        "no attempt was throttled, so nothing was ridden through: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );

    // Each call created exactly one notification, retries included.
    assert_eq!(
        sorted(list_notification_ids(&client, &instance.id).await),
        sorted(created)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chime_calls_past_the_limit_get_throttled_client_exception() {
    const RATE: u32 = 1;
    const BURST: u32 = 3;
    let server = limited(RATE, BURST, &[]).await;
    let chime = Chime::new(&server);
    let started = Instant::now();
    let app = create_app(&chime.id, "throttled").await;
    let bearer = crate::chime::create_user(&chime.id, &app, "alice").await;

    let (succeeded, refusal) = until_refused(50, |_| {
        let msg = chime.msg.clone();
        let (app, bearer) = (app.clone(), bearer.clone());
        async move {
            msg.create_channel()
                .app_instance_arn(app)
                .name("busy")
                .chime_bearer(bearer)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_error(&e))
        }
    })
    .await;
    assert!(succeeded + 2 <= most_allowed(BURST, RATE, started));
    assert_eq!(
        (refusal.code.as_str(), refusal.status),
        ("ThrottledClientException", 429),
        "{refusal:?}"
    );
    assert!(
        refusal.message.contains("access key test"),
        "{}",
        refusal.message
    );
    // One bucket per key, whichever service: Chime SDK Identity too.
    let identity = chime
        .id
        .describe_app_instance()
        .app_instance_arn(&app)
        .send()
        .await;
    if let Err(error) = identity {
        let error = api_error(&error);
        assert_eq!(
            (error.code.as_str(), error.status),
            ("ThrottledClientException", 429)
        );
    }

    // The refused create made no channel.
    refill(BURST, RATE).await;
    let listed = chime
        .msg
        .list_channels()
        .app_instance_arn(&app)
        .chime_bearer(&bearer)
        .max_results(50)
        .send()
        .await;
    let listed = ok(listed);
    assert_eq!(listed.channels().len(), succeeded);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_key_has_its_own_bucket_and_forged_requests_spend_no_tokens() {
    const RATE: u32 = 1;
    const BURST: u32 = 2;
    let first = TestKey::admin(ACCOUNT);
    let second = TestKey::admin(ACCOUNT);
    let keys = KeyFile::new(&[&first, &second]);
    let server = limited(RATE, BURST, &keys.args()).await;
    let (a, b) = (first.client(&server), second.client(&server));

    let started = Instant::now();
    let (succeeded, refusal) = until_refused(50, |_| {
        let a = a.clone();
        async move {
            a.list_instances()
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_error(&e))
        }
    })
    .await;
    assert!(succeeded <= most_allowed(BURST, RATE, started));
    assert_eq!(refusal.code, "ThrottlingException");
    assert!(refusal.message.contains(&first.id), "{}", refusal.message);

    // Requests signed with the second key's id but a wrong secret are
    // refused as forged, and take nothing from its bucket.
    let forged = server.client_as(&second.id, "not-the-secret");
    for _ in 0..5 {
        assert_err(
            forged.list_instances().send().await,
            "InvalidSignatureException",
            403,
        );
    }

    // The second key's bucket is full: its whole burst goes through.
    for _ in 0..BURST {
        ok(b.list_instances().send().await);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_limit_comes_from_the_environment_and_off_turns_it_off() {
    let server = Server::launch(Launch {
        env: vec![
            ("HERALD_RATE_LIMIT_PER_KEY".into(), "1".into()),
            ("HERALD_RATE_LIMIT_BURST".into(), "1".into()),
        ],
        ..Launch::default()
    })
    .await;
    let client = server.client();
    let (_, refusal) = until_refused(50, |_| {
        let client = client.clone();
        async move {
            client
                .list_instances()
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_error(&e))
        }
    })
    .await;
    assert_eq!(refusal.code, "ThrottlingException");
    // The health check is never limited.
    for _ in 0..5 {
        let raw = server
            .send_raw(Method::GET, server.url("/_herald/health"), &[], None)
            .await;
        assert_eq!(raw.status, 200);
    }

    let server =
        Server::start_with(&["--rate-limit-per-key", "off", "--rate-limit-burst", "1"]).await;
    let client = server.client();
    for _ in 0..30 {
        ok(client.list_instances().send().await);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn beyond_max_in_flight_requests_are_refused_and_change_nothing() {
    // One request at a time, no waiting: a burst of concurrent creates
    // overlaps, and the ones that find the place taken are refused.
    let server = Server::start_with(&["--max-in-flight", "1", "--in-flight-wait-ms", "0"]).await;
    let client = server.client();
    let instance = create_instance(&client).await;
    let mut refused_any = false;
    let mut created = Vec::new();
    for round in 0..5 {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..64 {
            let client = client.clone();
            let instance = instance.clone();
            tasks.spawn(
                async move { create(&client, &instance, "x", &format!("r{round}-{i}")).await },
            );
        }
        while let Some(result) = tasks.join_next().await {
            match result.expect("task") {
                Ok(id) => created.push(id),
                Err(error) => {
                    assert_eq!(
                        (error.code.as_str(), error.status),
                        ("ThrottlingException", 429),
                        "{error:?}"
                    );
                    assert!(error.message.contains("at capacity"), "{}", error.message);
                    refused_any = true;
                }
            }
        }
        if refused_any {
            break;
        }
    }
    assert!(
        refused_any,
        "320 concurrent creates never found the one place taken"
    );
    assert!(!created.is_empty(), "nothing was admitted");
    // Exactly the admitted creates are stored (listing one page at a time
    // never overlaps itself).
    assert_eq!(
        sorted(list_notification_ids(&client, &instance.id).await),
        sorted(created)
    );
}
