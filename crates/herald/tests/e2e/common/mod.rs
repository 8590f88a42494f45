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
use herald_store::postgres::scratch::{ScratchDatabase, TEST_DATABASE_URL_ENV, test_server_url};
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
    "HERALD_CREDENTIALS",
    "HERALD_LOG",
    "HERALD_PUSH_WEBHOOK",
    "HERALD_DATABASE_URL",
    "HERALD_DATABASE_MAX_CONNECTIONS",
    "HERALD_DATABASE_STATEMENT_TIMEOUT_MS",
    "HERALD_RATE_LIMIT_PER_KEY",
    "HERALD_RATE_LIMIT_BURST",
    "HERALD_MAX_IN_FLIGHT",
    "HERALD_IN_FLIGHT_WAIT_MS",
];
const READY_PREFIX: &str = "herald listening on http://";
/// Lines `recent_log` shows.
const LOG_LINES_SHOWN: usize = 400;

/// The store the servers of this test binary run on: the suite is built
/// twice, as `e2e` (SQLite) and `e2e_postgres`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    crate::BACKEND
}

/// PostgreSQL connections each test server may open: tests run in
/// parallel against one server with a limited number of connections.
const TEST_POOL_SIZE: &str = "4";

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
    /// The listen address; `127.0.0.1:0` when `None`. A wildcard address is
    /// reached through loopback (`0.0.0.0:P` → `127.0.0.1:P`).
    pub listen: Option<String>,
    /// On PostgreSQL: reach the server's database through this URL instead
    /// of its own (a proxy in front of it, say).
    pub database_url: Option<String>,
    /// The data directory, instead of a fresh temporary one (a small
    /// filesystem mounted for the test, say).
    pub data_dir: Option<std::path::PathBuf>,
}

impl Default for Launch {
    fn default() -> Self {
        Launch {
            serve_subcommand: true,
            args: Vec::new(),
            env: Vec::new(),
            listen_and_data_dir_via_env: false,
            listen: None,
            database_url: None,
            data_dir: None,
        }
    }
}

/// A running `herald serve` child process with its own data directory
/// and, on PostgreSQL, its own scratch database (or one shared with
/// another server: [`Server::launch_sharing`]).
pub struct Server {
    child: Option<Child>,
    data_dir: TempDir,
    database: Option<Arc<ScratchDatabase>>,
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
        let database = match backend() {
            Backend::Sqlite => None,
            Backend::Postgres => Some(Arc::new(scratch_database().await)),
        };
        Server::launch_on(launch, database).await
    }

    /// Starts another node on the same database as `other` (PostgreSQL).
    pub async fn launch_sharing(launch: Launch, other: &Server) -> Server {
        let database = other.database.clone();
        assert!(database.is_some(), "only PostgreSQL servers share a store");
        Server::launch_on(launch, database).await
    }

    /// The scratch database this server runs on (PostgreSQL).
    pub fn database(&self) -> Option<&ScratchDatabase> {
        self.database.as_deref()
    }

    /// Starts a server on this database (PostgreSQL), or on SQLite.
    pub async fn launch_on(launch: Launch, database: Option<Arc<ScratchDatabase>>) -> Server {
        let data_dir = tempfile::Builder::new()
            .prefix("herald-e2e-")
            .tempdir()
            .expect("create temp data dir");
        let mut server = Server {
            child: None,
            data_dir,
            database,
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
        self.launch
            .data_dir
            .as_deref()
            .unwrap_or(self.data_dir.path())
    }

    /// A fresh SDK client for the current endpoint (build a new one after
    /// `restart`/`kill9`, the port changes).
    pub fn client(&self) -> Client {
        self.client_in(REGION)
    }

    /// A client configured for another region (for servers started with
    /// `--region`).
    pub fn client_in(&self, region: &str) -> Client {
        self.client_with(region, "test", "test")
    }

    /// A client that signs with this key (region `us-east-1`).
    pub fn client_as(&self, access_key_id: &str, secret: &str) -> Client {
        self.client_with(REGION, access_key_id, secret)
    }

    /// A client for `region` that signs with this key.
    pub fn client_with(&self, region: &str, access_key_id: &str, secret: &str) -> Client {
        let config = aws_sdk_connect::Config::builder()
            .behavior_version_latest()
            .endpoint_url(self.endpoint())
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new(
                access_key_id,
                secret,
                None,
                None,
                "static",
            ))
            // Plain HTTP to the local server; the SDK's TLS stack is not built.
            .http_client(aws_smithy_http_client::Builder::new().build_http())
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

    /// `endpoint()` + `path_and_query`, parsed as it will be sent.
    pub fn url(&self, path_and_query: &str) -> reqwest::Url {
        let text = format!("{}{path_and_query}", self.endpoint());
        reqwest::Url::parse(&text).unwrap_or_else(|e| panic!("bad URL {}: {e}", shorten(&text)))
    }

    /// Sends a request with exactly these headers (besides the ones the
    /// HTTP client adds: host, content-length, accept) and no signing.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        url: reqwest::Url,
        headers: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Raw {
        let shown = shorten(url.as_str());
        let mut req = self.http().request(method, url);
        for (name, value) in headers {
            req = req.header(name.as_str(), value.as_str());
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to {shown} failed: {e:?}"));
        Raw::from(resp).await
    }

    /// Sends `headers` and `body` to `path_and_query`, signed by `signer`
    /// (the headers given are signed too).
    pub async fn send_signed(
        &self,
        signer: &Signer,
        method: reqwest::Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Raw {
        let url = self.url(path_and_query);
        let signature = signer
            .sign(
                method.as_str(),
                url.as_str(),
                headers,
                body.as_deref().unwrap_or_default(),
            )
            .unwrap_or_else(|e| panic!("cannot sign {method} {}: {e}", shorten(url.as_str())));
        let mut all = owned_headers(headers);
        all.extend(signature);
        self.send_raw(method, url, &all, body).await
    }

    /// The last lines the server wrote to stdout/stderr (for diagnostics).
    pub fn recent_log(&self) -> String {
        let log = self.log.lock().unwrap();
        log[log.len().saturating_sub(LOG_LINES_SHOWN)..].join("\n")
    }

    /// Everything the server (every run of it, restarts included) wrote to
    /// stdout/stderr so far.
    pub fn whole_log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits until the log contains `needle` (the drain threads lag a
    /// little behind the server), or panics after `timeout`.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) {
        let what = format!("server log to contain {needle:?}");
        eventually(timeout, &what, || async {
            self.whole_log().contains(needle).then_some(())
        })
        .await;
    }

    /// The process id of the running server.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server is running").id()
    }

    /// Sends a signal (`"HUP"`, `"TERM"`…) to the running server.
    pub fn signal(&self, name: &str) {
        let pid = self.pid().to_string();
        let status = Command::new("kill")
            .args([format!("-{name}").as_str(), &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {pid} failed");
    }

    /// Graceful restart: SIGTERM, wait for exit, start again on the same
    /// data directory (the port may change).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.spawn();
    }

    /// Graceful stop (SIGTERM, wait for exit); `start_again` starts it on
    /// the same data directory.
    pub async fn stop(&mut self) {
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
    }

    /// Starts a stopped server again (the port may change).
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "server is running");
        self.spawn();
    }

    /// As `restart`, on the same port (what a browser's reconnecting
    /// `EventSource` needs: it keeps its URL).
    pub async fn restart_same_port(&mut self) {
        self.launch.listen = Some(self.addr.clone());
        self.restart().await;
    }

    /// Crash and restart: SIGKILL (no chance to flush anything), then start
    /// again on the same data directory.
    pub async fn kill9(&mut self) {
        let mut child = self.child.take().expect("server is running");
        child.kill().expect("SIGKILL herald");
        let _ = tokio::task::block_in_place(|| child.wait());
        self.spawn();
    }

    /// As `kill9`, but on PostgreSQL the restart waits until the database
    /// has let go of the dead node's sessions: a statement it had sent may
    /// still be running there (and commit) after the process is gone, so
    /// only then is every write it had in flight decided. Only for a
    /// server that shares its database with no other node.
    pub async fn kill9_and_settle(&mut self) {
        let mut child = self.child.take().expect("server is running");
        child.kill().expect("SIGKILL herald");
        let _ = tokio::task::block_in_place(|| child.wait());
        if let Some(database) = &self.database {
            let database = database.clone();
            eventually(
                Duration::from_secs(60),
                "the dead node's sessions to end",
                || {
                    let database = database.clone();
                    async move {
                        match database.herald_connections().await {
                            Ok(0) => Some(()),
                            _ => None,
                        }
                    }
                },
            )
            .await;
        }
        self.spawn();
    }

    fn spawn(&mut self) {
        let listen = self.launch.listen.as_deref().unwrap_or("127.0.0.1:0");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
        for var in HERALD_ENV {
            cmd.env_remove(var);
        }
        if self.launch.serve_subcommand {
            cmd.arg("serve");
        }
        if self.launch.listen_and_data_dir_via_env {
            cmd.env("HERALD_LISTEN", listen)
                .env("HERALD_DATA_DIR", self.data_dir());
        } else {
            cmd.arg("--listen")
                .arg(listen)
                .arg("--data-dir")
                .arg(self.data_dir());
        }
        if let Some(database) = &self.database {
            let url = self
                .launch
                .database_url
                .as_deref()
                .unwrap_or(database.url());
            if self.launch.listen_and_data_dir_via_env {
                cmd.env("HERALD_DATABASE_URL", url);
            } else {
                cmd.arg("--database-url").arg(url);
            }
            cmd.env("HERALD_DATABASE_MAX_CONNECTIONS", TEST_POOL_SIZE);
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

/// A fresh database on the server of `HERALD_TEST_DATABASE_URL`.
pub async fn scratch_database() -> ScratchDatabase {
    let server = test_server_url().unwrap_or_else(|| {
        panic!(
            "{TEST_DATABASE_URL_ENV} was set when the PostgreSQL suite was built but is not set now"
        )
    });
    ScratchDatabase::create(&server)
        .await
        .unwrap_or_else(|e| panic!("cannot create a scratch database on {server}: {e}"))
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
            let addr = rest.trim().trim_end_matches('/');
            // A wildcard listener is reached through loopback.
            let addr = match addr.strip_prefix("0.0.0.0:") {
                Some(port) => format!("127.0.0.1:{port}"),
                None => match addr.strip_prefix("[::]:") {
                    Some(port) => format!("[::1]:{port}"),
                    None => addr.to_string(),
                },
            };
            let _ = tx.send(addr);
        }
        log.lock().unwrap().push(line);
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

/// UpdateUserNotificationStatus, which must succeed.
pub async fn set_status(
    client: &Client,
    instance_id: &str,
    user_id: &str,
    notification_id: &str,
    status: aws_sdk_connect::types::NotificationStatus,
) {
    ok(client
        .update_user_notification_status()
        .instance_id(instance_id)
        .user_id(user_id)
        .notification_id(notification_id)
        .status(status)
        .send()
        .await);
}

/// The user's status for the notification, which the user's listing must
/// hold exactly once.
pub async fn status_of(
    client: &Client,
    instance_id: &str,
    user_id: &str,
    notification_id: &str,
) -> aws_sdk_connect::types::NotificationStatus {
    let all = list_user_notifications_all(client, instance_id, user_id).await;
    let found: Vec<_> = all
        .iter()
        .filter(|n| n.notification_id() == Some(notification_id))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "notification {notification_id} listed {} times for {user_id}",
        found.len()
    );
    found[0]
        .notification_status()
        .cloned()
        .expect("NotificationStatus")
}

/// `POST /_herald/widget-sessions` with `body`, signed by `signer`.
pub async fn create_widget_session(
    server: &Server,
    signer: &Signer,
    body: serde_json::Value,
) -> Raw {
    server
        .send_signed(
            signer,
            reqwest::Method::POST,
            "/_herald/widget-sessions",
            &[("content-type", "application/json")],
            Some(body.to_string().into_bytes()),
        )
        .await
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

/// DescribeNotification, which must succeed.
pub async fn describe(client: &Client, instance_id: &str, id: &str) -> Notification {
    ok(client
        .describe_notification()
        .instance_id(instance_id)
        .notification_id(id)
        .send()
        .await)
    .notification
    .expect("Notification")
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

/// `s`, cut to 120 characters for messages.
pub fn shorten(s: &str) -> String {
    if s.chars().count() > 120 {
        format!(
            "{}… ({} chars)",
            s.chars().take(120).collect::<String>(),
            s.chars().count()
        )
    } else {
        s.to_string()
    }
}

// ---------------------------------------------------------------------------
// Raw HTTP

/// A response read off the wire.
pub struct Raw {
    pub status: reqwest::StatusCode,
    pub request_id: Option<String>,
    pub error_type: Option<String>,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

impl Raw {
    pub async fn from(resp: reqwest::Response) -> Raw {
        let status = resp.status();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .map(|v| v.to_str().expect("ASCII header").to_string())
        };
        let request_id = header("x-amzn-RequestId");
        let error_type = header("x-amzn-ErrorType");
        let retry_after = header("Retry-After");
        let body = resp.bytes().await.expect("read body").to_vec();
        Raw {
            status,
            request_id,
            error_type,
            retry_after,
            body,
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text()))
    }

    pub fn message(&self) -> String {
        self.json()["Message"]
            .as_str()
            .unwrap_or_else(|| panic!("error body has no string Message: {}", self.json()))
            .to_string()
    }

    /// Asserts an AWS-shaped error: status, `x-amzn-ErrorType`, JSON body
    /// with `Message`, `x-amzn-RequestId`. Returns the message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, error_type: &str) -> String {
        assert_eq!(
            (self.status.as_u16(), self.error_type.as_deref()),
            (status, Some(error_type)),
            "body: {}",
            self.text()
        );
        self.assert_request_id();
        self.message()
    }

    /// Asserts a 200 response; returns its JSON body.
    #[track_caller]
    pub fn assert_ok(&self) -> serde_json::Value {
        assert_eq!(
            self.status.as_u16(),
            200,
            "expected 200, got {:?}: {}",
            self.error_type,
            self.text()
        );
        self.json()
    }

    #[track_caller]
    pub fn assert_request_id(&self) {
        let id = self.request_id.as_deref().unwrap_or("");
        assert!(
            !id.is_empty(),
            "response without x-amzn-RequestId (status {})",
            self.status
        );
    }
}

pub fn owned_headers(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ---------------------------------------------------------------------------
// SigV4 signing of raw requests (aws-sigv4, as the SDKs sign)

/// What the signature says about the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// The SHA-256 of the body is signed, no `x-amz-content-sha256` header
    /// (what the AWS SDKs do for restJson1 services).
    Signed,
    /// As `Signed`, plus a signed `x-amz-content-sha256` header.
    SignedWithHeader,
    /// `x-amz-content-sha256: UNSIGNED-PAYLOAD` (signed).
    Unsigned,
    /// `x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER` (signed).
    StreamingUnsignedTrailer,
}

/// Signs raw requests with one key, as an AWS SDK would.
#[derive(Debug, Clone)]
pub struct Signer {
    pub access_key_id: String,
    pub secret: String,
    pub region: String,
    /// The scope's service; `None` picks what the server expects for the
    /// path (`herald` under `/_herald/`, `connect` elsewhere).
    pub service: Option<String>,
    /// The signing time; `None` is now.
    pub time: Option<SystemTime>,
    pub payload: Payload,
}

impl Signer {
    pub fn new(access_key_id: &str, secret: &str) -> Signer {
        Signer {
            access_key_id: access_key_id.to_string(),
            secret: secret.to_string(),
            region: REGION.to_string(),
            service: None,
            time: None,
            payload: Payload::Signed,
        }
    }

    /// The built-in key of a server started without `--credentials`.
    pub fn test() -> Signer {
        Signer::new("test", "test")
    }

    pub fn region(mut self, region: &str) -> Signer {
        self.region = region.to_string();
        self
    }

    pub fn service(mut self, service: &str) -> Signer {
        self.service = Some(service.to_string());
        self
    }

    pub fn at(mut self, time: SystemTime) -> Signer {
        self.time = Some(time);
        self
    }

    pub fn payload(mut self, payload: Payload) -> Signer {
        self.payload = payload;
        self
    }

    /// The headers that sign a request: `authorization`, `x-amz-date`
    /// (and `x-amz-content-sha256` for the payload kinds that send it).
    /// `url` must be exactly what is sent (its host:port is the signed
    /// `host`), `headers` the other headers to sign (sent as given), `body`
    /// the exact bytes sent. Errors when aws-sigv4 refuses the URL.
    pub fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>, String> {
        use aws_sigv4::http_request::{
            PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
        };
        use aws_sigv4::sign::v4::SigningParams;

        let identity =
            Credentials::new(&self.access_key_id, &self.secret, None, None, "e2e").into();
        let mut settings = SigningSettings::default();
        if self.payload != Payload::Signed {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let service = match &self.service {
            Some(service) => service.clone(),
            None => service_for_url(url).to_string(),
        };
        let params = SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(&service)
            .time(self.time.unwrap_or_else(SystemTime::now))
            .settings(settings)
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let body = match self.payload {
            Payload::Signed | Payload::SignedWithHeader => SignableBody::Bytes(body),
            Payload::Unsigned => SignableBody::UnsignedPayload,
            Payload::StreamingUnsignedTrailer => SignableBody::StreamingUnsignedPayloadTrailer,
        };
        let request = SignableRequest::new(method, url, headers.iter().copied(), body)
            .map_err(|e| format!("{e:?}"))?;
        let (instructions, _signature) = sign(request, &params)
            .map_err(|e| format!("{e:?}"))?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect())
    }
}

/// The SigV4 service the server expects for the path of `url`.
pub fn service_for_url(url: &str) -> &'static str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]);
    if path.starts_with("/_herald/") {
        "herald"
    } else {
        "connect"
    }
}

// ---------------------------------------------------------------------------
// Keys and credentials files

/// What a key in a credentials file may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRole {
    Admin,
    ConnectUser { user_arn: String },
    ChimeUser { bearer_arn: String },
}

/// A key as written to a credentials file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestKey {
    pub id: String,
    pub secret: String,
    pub account_id: String,
    pub role: KeyRole,
}

/// 32 random hex digits (std's randomly seeded hasher; no RNG crate).
pub fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for _ in 0..2 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos(),
        );
        out.push_str(&format!("{:016x}", hasher.finish()));
    }
    out
}

impl TestKey {
    /// A key with a fresh random id and secret (distinctive, so a test can
    /// look for the secret in logs).
    pub fn new(account_id: &str, role: KeyRole) -> TestKey {
        TestKey {
            id: format!("AKIDE2E{}", random_hex()[..16].to_uppercase()),
            secret: format!("e2eSecret{}", random_hex()),
            account_id: account_id.to_string(),
            role,
        }
    }

    pub fn admin(account_id: &str) -> TestKey {
        TestKey::new(account_id, KeyRole::Admin)
    }

    pub fn connect_user(account_id: &str, user_arn: &str) -> TestKey {
        TestKey::new(
            account_id,
            KeyRole::ConnectUser {
                user_arn: user_arn.to_string(),
            },
        )
    }

    pub fn chime_user(account_id: &str, bearer_arn: &str) -> TestKey {
        TestKey::new(
            account_id,
            KeyRole::ChimeUser {
                bearer_arn: bearer_arn.to_string(),
            },
        )
    }

    /// The `[[keys]]` table of this key.
    pub fn toml(&self) -> String {
        let mut text = format!(
            "[[keys]]\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\naccount_id = \"{}\"\n",
            self.id, self.secret, self.account_id
        );
        match &self.role {
            KeyRole::Admin => text.push_str("role = \"admin\"\n"),
            KeyRole::ConnectUser { user_arn } => text.push_str(&format!(
                "role = \"connect-user\"\nconnect_user_arn = \"{user_arn}\"\n"
            )),
            KeyRole::ChimeUser { bearer_arn } => text.push_str(&format!(
                "role = \"chime-user\"\nchime_bearer_arn = \"{bearer_arn}\"\n"
            )),
        }
        text
    }

    pub fn signer(&self) -> Signer {
        Signer::new(&self.id, &self.secret)
    }

    /// An SDK client (region `us-east-1`) signing with this key.
    pub fn client(&self, server: &Server) -> Client {
        server.client_as(&self.id, &self.secret)
    }
}

/// A credentials file in its own temporary directory.
pub struct KeyFile {
    dir: TempDir,
    path: std::path::PathBuf,
}

impl KeyFile {
    /// A file holding `keys`, mode 0600.
    pub fn new(keys: &[&TestKey]) -> KeyFile {
        let dir = tempfile::Builder::new()
            .prefix("herald-e2e-keys-")
            .tempdir()
            .expect("create temp dir");
        let path = dir.path().join("credentials.toml");
        let file = KeyFile { dir, path };
        file.write(keys);
        file
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The path as a command-line argument.
    pub fn arg(&self) -> String {
        self.path.to_str().expect("UTF-8 temp path").to_string()
    }

    /// The temporary directory the file is in.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Replaces the file with `keys`, mode 0600.
    pub fn write(&self, keys: &[&TestKey]) {
        let text: Vec<String> = keys.iter().map(|k| k.toml()).collect();
        self.write_text(&text.join("\n"), 0o600);
    }

    /// Replaces the file with `text` and gives it `mode`.
    pub fn write_text(&self, text: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&self.path, text).expect("write credentials file");
        std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(mode))
            .expect("chmod credentials file");
    }

    /// `["--credentials", PATH]`, for `Server::start_with`.
    pub fn args(&self) -> Vec<String> {
        vec!["--credentials".to_string(), self.arg()]
    }
}

impl Server {
    /// A server that accepts the keys of `file` (and only those).
    pub async fn start_with_keys(file: &KeyFile) -> Server {
        Server::launch(Launch {
            args: file.args(),
            ..Launch::default()
        })
        .await
    }
}

// ---------------------------------------------------------------------------
// Running the binary for one command

/// What a finished (or killed) `herald` invocation left behind.
#[derive(Debug)]
pub struct Run {
    /// `None` when it had to be killed at the deadline.
    pub status: Option<std::process::ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
}

/// Runs `herald ARGS` with no `HERALD_*` from the environment; kills it if
/// it has not exited after `timeout`.
pub fn run_herald(args: &[&str], timeout: Duration) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
    for var in HERALD_ENV {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn herald binary");
    let mut stdout = child.stdout.take().expect("stdout piped");
    let mut stderr = child.stderr.take().expect("stderr piped");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = wait_with_deadline(&mut child, timeout);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    Run {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------
// Servers on a given data directory (backup and restore)

impl Server {
    /// Starts a server (SQLite) on `data_dir`, which may already hold a
    /// store; the server owns the directory from then on.
    pub async fn launch_in(launch: Launch, data_dir: TempDir) -> Server {
        let mut server = Server {
            child: None,
            data_dir,
            database: None,
            launch,
            addr: String::new(),
            log: Arc::new(Mutex::new(Vec::new())),
        };
        server.spawn();
        server
    }
}
