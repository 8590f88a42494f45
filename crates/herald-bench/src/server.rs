//! Launching the Herald binary on a fresh data directory.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

const READY_PREFIX: &str = "herald listening on http://";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);
const LOG_LINES_KEPT: usize = 50;

/// A running Herald; killed when dropped.
pub struct Server {
    child: Child,
    pid: u32,
    addr: String,
    log: Arc<Mutex<VecDeque<String>>>,
    _data_dir: tempfile::TempDir,
}

/// The default binary: `herald` in the directory of this one.
pub fn default_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locate herald-bench")?;
    let dir = exe.parent().context("herald-bench has no directory")?;
    Ok(dir.join("herald"))
}

impl Server {
    pub async fn start(binary: &Path) -> anyhow::Result<Server> {
        if !binary.is_file() {
            bail!(
                "no Herald binary at {} (build it: `cargo build --release -p herald`, or pass --herald PATH)",
                binary.display()
            );
        }
        let data_dir = tempfile::Builder::new()
            .prefix("herald-bench-")
            .tempdir()
            .context("create a temporary data directory")?;
        let mut command = Command::new(binary);
        command
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir.path())
            // One key drives far more than any client's fair share.
            .args(["--rate-limit-per-key", "off"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Settings from the environment would change what is measured.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("HERALD_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let pid = child.id().context("herald exited at once")?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (ready_tx, ready_rx) = oneshot::channel();
        let stdout = child.stdout.take().context("herald stdout")?;
        let stderr = child.stderr.take().context("herald stderr")?;
        tokio::spawn(drain(stdout, log.clone(), Some(ready_tx)));
        tokio::spawn(drain(stderr, log.clone(), None));
        let addr = match tokio::time::timeout(STARTUP_TIMEOUT, ready_rx).await {
            Ok(Ok(addr)) => addr,
            _ => {
                let _ = child.kill().await;
                bail!(
                    "herald did not print {READY_PREFIX:?} within {STARTUP_TIMEOUT:?}\n--- log ---\n{}",
                    tail(&log)
                );
            }
        };
        Ok(Server {
            child,
            pid,
            addr,
            log,
            _data_dir: data_dir,
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's peak resident memory so far (VmHWM), in KiB.
    pub fn peak_memory_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid, "VmHWM:")
    }

    /// The server's resident memory now (VmRSS), in KiB.
    pub fn memory_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid, "VmRSS:")
    }

    /// The server's open file descriptors now.
    pub fn open_files(&self) -> Option<usize> {
        Some(
            std::fs::read_dir(format!("/proc/{}/fd", self.pid))
                .ok()?
                .count(),
        )
    }

    /// The last lines the server logged.
    pub fn recent_log(&self) -> String {
        tail(&self.log)
    }

    /// SIGTERM, then SIGKILL if it does not exit in time.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        match tokio::time::timeout(SHUTDOWN_TIMEOUT, self.child.wait()).await {
            Ok(status) => {
                status.context("wait for herald")?;
            }
            Err(_) => {
                let _ = self.child.kill().await;
                bail!("herald did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM");
            }
        }
        Ok(())
    }
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn tail(log: &Mutex<VecDeque<String>>) -> String {
    let log = log.lock().unwrap_or_else(|e| e.into_inner());
    log.iter().cloned().collect::<Vec<_>>().join("\n")
}

async fn drain(
    stream: impl AsyncRead + Unpin,
    log: Arc<Mutex<VecDeque<String>>>,
    mut ready: Option<oneshot::Sender<String>>,
) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(addr) = line.trim().strip_prefix(READY_PREFIX)
            && let Some(ready) = ready.take()
        {
            let _ = ready.send(addr.trim_end_matches('/').to_string());
        }
        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() == LOG_LINES_KEPT {
            log.pop_front();
        }
        log.push_back(line);
    }
}
