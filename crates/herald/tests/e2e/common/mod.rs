//! End-to-end harness: runs the real `herald` binary on a private data
//! directory and talks to it with the AWS SDK (or raw HTTP).
//!
//! Every test file does `mod common;` and uses only part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Debug;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_connect::Client;
use aws_sdk_connect::config::http::HttpResponse;
use aws_sdk_connect::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_connect::config::retry::RetryConfig;
use aws_sdk_connect::config::timeout::TimeoutConfig;
use aws_sdk_connect::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_connect::config::{Credentials, Region};
use aws_sdk_connect::error::BoxError;
use aws_sdk_connect::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_connect::primitives::DateTime;
use aws_sdk_connect::types::{
    DirectoryType, LocaleCode, Notification, NotificationSearchCriteria, NotificationSearchFilter,
    NotificationSearchSummary, UserNotificationSummary,
};
use tempfile::TempDir;

/// How long the binary may take to print its ready line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a SIGTERM'd server may take to exit.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);
/// Environment variables that would silently change the server's settings.
const HERALD_ENV: &[&str] = &[
    "HERALD_LISTEN",
    "HERALD_DATA_DIR",
    "HERALD_REGION",
    "HERALD_ACCOUNT_ID",
    "HERALD_EXPIRY_GRACE_SECONDS",
    "HERALD_SWEEP_INTERVAL_SECONDS",
    "HERALD_REQUEST_TIMEOUT_SECONDS",
    "HERALD_MAX_CONNECTIONS",
    "HERALD_LOG",
];
const READY_PREFIX: &str = "herald listening on http://";
const LOG_LINES_KEPT: usize = 400;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "000000000000";

/// How to launch the binary (beyond `--listen 127.0.0.1:0 --data-dir DIR`).
#[derive(Debug, Clone)]
pub struct Launch {
    /// Pass the `serve` subcommand explicitly (it is the default one).
    pub serve_subcommand: bool,
    /// Extra arguments after the listen address and data directory.
    pub args: Vec<String>,
    /// Extra environment variables (every other `HERALD_*` is removed).
    pub env: Vec<(String, String)>,
    /// Give the listen address and data directory as `HERALD_LISTEN` and
    /// `HERALD_DATA_DIR` instead of flags.
    pub listen_and_data_dir_via_env: bool,
}

impl Default for Launch {
    fn default() -> Self {
        Launch {
            serve_subcommand: true,
            args: Vec::new(),
            env: Vec::new(),
            listen_and_data_dir_via_env: false,
        }
    }
}

/// A running `herald serve` child process with its own data directory.
pub struct Server {
    child: Option<Child>,
    data_dir: TempDir,
    launch: Launch,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts a server with default settings on a fresh data directory.
    pub async fn start() -> Server {
        Server::start_with(&[]).await
    }

    /// Starts a server with extra command-line arguments, e.g.
    /// `["--sweep-interval-seconds", "1"]`.
    pub async fn start_with(args: &[&str]) -> Server {
        Server::launch(Launch {
            args: args.iter().map(|s| s.to_string()).collect(),
            ..Launch::default()
        })
        .await
    }

    /// Starts a server launched as described.
    pub async fn launch(launch: Launch) -> Server {
        let data_dir = tempfile::Builder::new()
            .prefix("herald-e2e-")
            .tempdir()
            .expect("create temp data dir");
        let mut server = Server {
            child: None,
            data_dir,
            launch,
            addr: String::new(),
            log: Arc::new(Mutex::new(Vec::new())),
        };
        server.spawn();
        server
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> &str {
        &self.addr
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// A fresh SDK client for the current endpoint (build a new one after
    /// `restart`/`kill9`, the port changes).
    pub fn client(&self) -> Client {
        self.client_in(REGION)
    }

    /// A client configured for another region (for servers started with
    /// `--region`).
    pub fn client_in(&self, region: &str) -> Client {
        let config = aws_sdk_connect::Config::builder()
            .behavior_version_latest()
            .endpoint_url(self.endpoint())
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new("test", "test", None, None, "static"))
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(60))
                    .build(),
            )
            .build();
        Client::from_conf(config)
    }

    /// A raw HTTP client (no signing); prefix paths with `endpoint()`.
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("reqwest client")
    }

    /// The last lines the server wrote to stdout/stderr (for diagnostics).
    pub fn recent_log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Graceful restart: SIGTERM, wait for exit, start again on the same
    /// data directory (the port may change).
    pub async fn restart(&mut self) {
        let mut child = self.child.take().expect("server is running");
        let pid = child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill -TERM");
        assert!(status.success(), "kill -TERM {pid} failed");
        let exited =
            tokio::task::block_in_place(|| wait_with_deadline(&mut child, SHUTDOWN_TIMEOUT));
        if exited.is_none() {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "herald did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM\n--- server log ---\n{}",
                self.recent_log()
            );
        }
        self.spawn();
    }

    /// Crash and restart: SIGKILL (no chance to flush anything), then start
    /// again on the same data directory.
    pub async fn kill9(&mut self) {
        let mut child = self.child.take().expect("server is running");
        child.kill().expect("SIGKILL herald");
        let _ = tokio::task::block_in_place(|| child.wait());
        self.spawn();
    }

    fn spawn(&mut self) {
        let listen = "127.0.0.1:0";
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
        for var in HERALD_ENV {
            cmd.env_remove(var);
        }
        if self.launch.serve_subcommand {
            cmd.arg("serve");
        }
        if self.launch.listen_and_data_dir_via_env {
            cmd.env("HERALD_LISTEN", listen)
                .env("HERALD_DATA_DIR", self.data_dir.path());
        } else {
            cmd.arg("--listen")
                .arg(listen)
                .arg("--data-dir")
                .arg(self.data_dir.path());
        }
        cmd.args(&self.launch.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.launch.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn herald binary");
        let stdout = child.stdout.take().expect("stdout piped");
        let stderr = child.stderr.take().expect("stderr piped");

        let (tx, rx) = mpsc::channel::<String>();
        let log = Arc::clone(&self.log);
        std::thread::spawn(move || drain(stdout, log, Some(tx)));
        let log = Arc::clone(&self.log);
        std::thread::spawn(move || drain(stderr, log, None));

        let got = tokio::task::block_in_place(|| rx.recv_timeout(STARTUP_TIMEOUT));
        match got {
            Ok(addr) => {
                self.addr = addr;
                self.child = Some(child);
            }
            Err(e) => {
                let _ = child.kill();
                let status = child.wait();
                // Give the drain threads a moment to collect the last lines.
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "herald did not print `{READY_PREFIX}ADDR` ({e:?}); exit status {status:?}\n--- server log ---\n{}",
                    self.recent_log()
                );
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_with_deadline(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => return None,
        }
    }
}

/// Reads a child's stream line by line until EOF, keeping the last lines in
/// `log` and reporting the address of the ready line once.
fn drain(stream: impl Read, log: Arc<Mutex<Vec<String>>>, mut ready: Option<mpsc::Sender<String>>) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&buf).trim_end().to_string();
        if let Some(rest) = line.trim().strip_prefix(READY_PREFIX)
            && let Some(tx) = ready.take()
        {
            let _ = tx.send(rest.trim().trim_end_matches('/').to_string());
        }
        let mut log = log.lock().unwrap();
        log.push(line);
        if log.len() > LOG_LINES_KEPT {
            let excess = log.len() - LOG_LINES_KEPT;
            log.drain(..excess);
        }
    }
}

// ---------------------------------------------------------------------------
// Errors

/// The parts of a service error a test asserts on.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: String,
    pub status: u16,
    pub message: String,
}

/// Extracts the AWS error code, HTTP status and message of an SDK error.
/// Panics when the error is not a service response (connection refused,
/// timeout, client-side construction failure…).
pub fn api_error<E>(err: &SdkError<E, HttpResponse>) -> ApiError
where
    E: ProvideErrorMetadata + Debug,
{
    let Some(raw) = err.raw_response() else {
        panic!("expected a service error response, got {err:?}");
    };
    ApiError {
        code: err.code().unwrap_or("<no code>").to_string(),
        status: raw.status().as_u16(),
        message: err.message().unwrap_or("").to_string(),
    }
}

/// Unwraps the error of a call that must fail.
pub fn expect_err<T, E>(res: Result<T, SdkError<E, HttpResponse>>) -> ApiError
where
    T: Debug,
    E: ProvideErrorMetadata + Debug,
{
    match res {
        Ok(out) => panic!("expected an error, the call succeeded: {out:?}"),
        Err(err) => api_error(&err),
    }
}

/// Asserts the call failed with `code` and `status`; returns the error.
#[track_caller]
pub fn assert_err<T, E>(
    res: Result<T, SdkError<E, HttpResponse>>,
    code: &str,
    status: u16,
) -> ApiError
where
    T: Debug,
    E: ProvideErrorMetadata + Debug,
{
    let err = match res {
        Ok(out) => panic!("expected {code} ({status}), the call succeeded: {out:?}"),
        Err(err) => api_error(&err),
    };
    assert_eq!(
        (err.code.as_str(), err.status),
        (code, status),
        "unexpected error: {err:?}"
    );
    err
}

/// Unwraps a call that must succeed, with a readable panic otherwise.
#[track_caller]
pub fn ok<T, E>(res: Result<T, SdkError<E, HttpResponse>>) -> T
where
    E: ProvideErrorMetadata + Debug,
{
    match res {
        Ok(v) => v,
        Err(err) => match err.raw_response() {
            Some(raw) => panic!(
                "call failed: HTTP {} {} {:?}",
                raw.status().as_u16(),
                err.code().unwrap_or("<no code>"),
                err.message()
            ),
            None => panic!("call failed before a response: {err:?}"),
        },
    }
}

// ---------------------------------------------------------------------------
// Time

pub fn now() -> DateTime {
    DateTime::from(SystemTime::now())
}

pub fn secs_from_now(secs: f64) -> DateTime {
    DateTime::from_secs_f64(now().as_secs_f64() + secs)
}

/// Whole seconds (HTTP-date headers carry no fractions).
pub fn whole_secs_from_now(secs: i64) -> DateTime {
    DateTime::from_secs(now().secs() + secs)
}

pub const DAY: f64 = 86_400.0;

// ---------------------------------------------------------------------------
// Fixtures

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRef {
    pub id: String,
    pub arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    pub id: String,
    pub arn: String,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRef {
    pub id: String,
    pub arn: String,
}

/// CreateInstance with CONNECT_MANAGED identity and both call directions on.
pub async fn create_instance(client: &Client) -> InstanceRef {
    let out = ok(client
        .create_instance()
        .identity_management_type(DirectoryType::ConnectManaged)
        .inbound_calls_enabled(true)
        .outbound_calls_enabled(true)
        .send()
        .await);
    InstanceRef {
        id: out.id().expect("CreateInstance returns Id").to_string(),
        arn: out.arn().expect("CreateInstance returns Arn").to_string(),
    }
}

/// CreateUser with the minimum members.
pub async fn create_user(client: &Client, instance_id: &str, username: &str) -> UserRef {
    let out = ok(client
        .create_user()
        .instance_id(instance_id)
        .username(username)
        .security_profile_ids("sp-1")
        .routing_profile_id("rp-1")
        .send()
        .await);
    UserRef {
        id: out
            .user_id()
            .expect("CreateUser returns UserId")
            .to_string(),
        arn: out
            .user_arn()
            .expect("CreateUser returns UserArn")
            .to_string(),
        username: username.to_string(),
    }
}

pub async fn create_users(client: &Client, instance_id: &str, n: usize) -> Vec<UserRef> {
    let mut users = Vec::with_capacity(n);
    for i in 0..n {
        users.push(create_user(client, instance_id, &format!("agent{i}")).await);
    }
    users
}

/// CreateNotification (priority default, en_US text) to `recipients`.
pub async fn notify(
    client: &Client,
    instance_id: &str,
    recipients: &[&str],
    text: &str,
) -> NotificationRef {
    let mut req = client
        .create_notification()
        .instance_id(instance_id)
        .content(LocaleCode::EnUs, text);
    for r in recipients {
        req = req.recipients(*r);
    }
    let out = ok(req.send().await);
    NotificationRef {
        id: out.notification_id().to_string(),
        arn: out.notification_arn().to_string(),
    }
}

// ---------------------------------------------------------------------------
// Listings (every page)

pub async fn list_notifications_all(client: &Client, instance_id: &str) -> Vec<Notification> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let out = ok(client
            .list_notifications()
            .instance_id(instance_id)
            .set_next_token(token.clone())
            .send()
            .await);
        all.extend(out.notification_summary_list().iter().cloned());
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return all,
        }
    }
    panic!("ListNotifications never stopped paging");
}

pub async fn list_notification_ids(client: &Client, instance_id: &str) -> Vec<String> {
    list_notifications_all(client, instance_id)
        .await
        .into_iter()
        .map(|n| n.id)
        .collect()
}

pub async fn list_user_notifications_all(
    client: &Client,
    instance_id: &str,
    user_id: &str,
) -> Vec<UserNotificationSummary> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let out = ok(client
            .list_user_notifications()
            .instance_id(instance_id)
            .user_id(user_id)
            .set_next_token(token.clone())
            .send()
            .await);
        all.extend(out.user_notifications().iter().cloned());
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return all,
        }
    }
    panic!("ListUserNotifications never stopped paging");
}

pub async fn user_notification_ids(
    client: &Client,
    instance_id: &str,
    user_id: &str,
) -> Vec<String> {
    list_user_notifications_all(client, instance_id, user_id)
        .await
        .into_iter()
        .map(|n| n.notification_id.unwrap_or_default())
        .collect()
}

/// Every page of a search; returns the matches and the first page's
/// `ApproximateTotalCount`.
pub async fn search_all(
    client: &Client,
    instance_id: &str,
    criteria: Option<NotificationSearchCriteria>,
    filter: Option<NotificationSearchFilter>,
) -> (Vec<NotificationSearchSummary>, Option<i64>) {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    let mut total = None;
    for page in 0..10_000 {
        let out = ok(client
            .search_notifications()
            .instance_id(instance_id)
            .set_search_criteria(criteria.clone())
            .set_search_filter(filter.clone())
            .set_next_token(token.clone())
            .send()
            .await);
        if page == 0 {
            total = out.approximate_total_count();
        }
        all.extend(out.notifications().iter().cloned());
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return (all, total),
        }
    }
    panic!("SearchNotifications never stopped paging");
}

pub async fn search_ids(
    client: &Client,
    instance_id: &str,
    criteria: Option<NotificationSearchCriteria>,
    filter: Option<NotificationSearchFilter>,
) -> Vec<String> {
    search_all(client, instance_id, criteria, filter)
        .await
        .0
        .into_iter()
        .map(|n| n.id.unwrap_or_default())
        .collect()
}

/// An interceptor that keeps the raw body of the last response it saw, for
/// asserting on what went over the wire (e.g. that `Password` is never
/// echoed). Use with `.customize().interceptor(capture.clone())`.
#[derive(Debug, Clone, Default)]
pub struct BodyCapture(Arc<Mutex<Option<Vec<u8>>>>);

impl BodyCapture {
    pub fn body(&self) -> String {
        let body = self.0.lock().unwrap();
        String::from_utf8_lossy(body.as_deref().expect("a response was captured")).into_owned()
    }
}

impl Intercept for BodyCapture {
    fn name(&self) -> &'static str {
        "BodyCapture"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let bytes = context.response().body().bytes().map(<[u8]>::to_vec);
        *self.0.lock().unwrap() = bytes;
        Ok(())
    }
}

/// `ids` sorted, for set-like comparisons.
pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// True for a canonical (hyphenated, lower- or upper-case hex) UUID.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Asserts two timestamps are equal to the millisecond.
#[track_caller]
pub fn assert_same_instant(a: &DateTime, b: &DateTime, what: &str) {
    let d = (a.as_secs_f64() - b.as_secs_f64()).abs();
    assert!(d < 0.001, "{what}: {a:?} != {b:?}");
}

/// Content map helper.
pub fn en(text: &str) -> HashMap<LocaleCode, String> {
    HashMap::from([(LocaleCode::EnUs, text.to_string())])
}

/// Polls `check` until it returns `Some`, or panics with `what` after
/// `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
