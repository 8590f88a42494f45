//! The peer: the moto server (the Python AWS emulator), started on a free
//! local port so that `ListInstances` can be driven against it and against
//! Herald with the same client and concurrency.

use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

use crate::client::Client;
use crate::pool::concurrently;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
const LOG_LINES_KEPT: usize = 50;

/// The page `ListInstances` asks for, on both servers.
pub const LIST_INSTANCES_PAGE: usize = 10;
pub const LIST_INSTANCES_PATH: &str = "/instance?maxResults=10";

/// A running moto server; killed when dropped.
pub struct Moto {
    child: Child,
    port: u16,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl Moto {
    /// Starts `moto_server -H 127.0.0.1 -p PORT` on a free port and waits
    /// until it answers HTTP.
    pub async fn start(executable: &Path) -> anyhow::Result<Moto> {
        if !executable.is_file() {
            bail!(
                "no moto_server at {} (`pip install 'moto[server]'`, then pass its bin/moto_server)",
                executable.display()
            );
        }
        let port = free_port()?;
        let mut child = Command::new(executable)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start {}", executable.display()))?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        tokio::spawn(drain(
            child.stdout.take().context("moto stdout")?,
            log.clone(),
        ));
        tokio::spawn(drain(
            child.stderr.take().context("moto stderr")?,
            log.clone(),
        ));
        let moto = Moto { child, port, log };
        moto.wait_ready().await?;
        Ok(moto)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("{}/moto-api/", self.endpoint());
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            // Any HTTP reply means it is serving.
            if http.get(&url).send().await.is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "moto_server did not answer HTTP on port {} within {STARTUP_TIMEOUT:?}\n--- moto log ---\n{}",
                    self.port,
                    self.recent_log()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The last lines moto logged (it logs every request on stderr).
    pub fn recent_log(&self) -> String {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// SIGTERM, then SIGKILL if it does not exit in time.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        if tokio::time::timeout(SHUTDOWN_TIMEOUT, self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await.context("kill moto_server")?;
        }
        Ok(())
    }
}

/// A port that was free a moment ago: bind port 0, read it, let it go.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Creates `count` Connect instances (the same body as the data set's)
/// on the server behind `client`; their ids.
pub async fn create_instances(
    client: &Client,
    count: usize,
    parallel: usize,
) -> anyhow::Result<Vec<String>> {
    let client = client.clone();
    concurrently(count, parallel, move |_| {
        let client = client.clone();
        async move {
            let body = json!({
                "IdentityManagementType": "CONNECT_MANAGED",
                "InboundCallsEnabled": true,
                "OutboundCallsEnabled": true,
            });
            let v = client
                .signed(Method::PUT, "/instance", Some(&body))
                .await?
                .success("CreateInstance")?
                .json()?;
            v["Id"]
                .as_str()
                .map(str::to_string)
                .with_context(|| format!("no Id in {v}"))
        }
    })
    .await
}

/// One `ListInstances` call: how many summaries its first page holds.
pub async fn list_instances_page(client: &Client) -> anyhow::Result<usize> {
    let v = client
        .signed(Method::GET, LIST_INSTANCES_PATH, None)
        .await?
        .success("ListInstances")?
        .json()?;
    v["InstanceSummaryList"]
        .as_array()
        .map(Vec::len)
        .with_context(|| format!("no InstanceSummaryList in {v}"))
}

async fn drain(stream: impl AsyncRead + Unpin, log: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() == LOG_LINES_KEPT {
            log.pop_front();
        }
        log.push_back(line);
    }
}
