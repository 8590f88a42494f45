//! Command-line options.

use std::path::PathBuf;

use clap::Parser;

/// Starts Herald on a fresh data directory, loads a data set over HTTP and
/// drives each operation for a fixed time with SigV4-signed requests.
#[derive(Debug, Clone, Parser)]
#[command(name = "herald-bench", version)]
pub struct Args {
    /// The Herald binary [default: `herald` next to this binary].
    #[arg(long)]
    pub herald: Option<PathBuf>,
    /// Connect instances to create.
    #[arg(long, default_value_t = 1)]
    pub instances: usize,
    /// Users to create (spread over the instances).
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Notifications stored before the operations are driven.
    #[arg(long, default_value_t = 10_000)]
    pub notifications: usize,
    /// Share of the notifications sent instance-wide (to the instance ARN).
    #[arg(long, default_value_t = 0.01)]
    pub instance_wide: f64,
    /// Share of the direct notifications their user has set READ.
    #[arg(long, default_value_t = 0.3)]
    pub read: f64,
    /// Share of the direct notifications their user has set HIDDEN.
    #[arg(long, default_value_t = 0.05)]
    pub hidden: f64,
    /// Requests in flight while loading.
    #[arg(long, default_value_t = 64)]
    pub load_concurrency: usize,
    /// Seconds each operation is driven.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Requests in flight while driving an operation.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Only these operations (keys as in the JSON report, comma-separated);
    /// the ceiling is always measured.
    #[arg(long, value_delimiter = ',')]
    pub ops: Vec<String>,
    /// The moto server executable (`moto_server`, from `pip install
    /// 'moto[server]'`): when given, `ListInstances` is driven against
    /// Herald and against a moto server started on a free local port.
    #[arg(long)]
    pub moto: Option<PathBuf>,
    /// Members of the channel the Chime push decision is measured for
    /// (in process, on a SQLite store of its own); 0 skips it.
    #[arg(long, default_value_t = 10_000)]
    pub push_members: usize,
    /// Also load this many notifications on a second fresh server and
    /// drive the reads, the status update and the two creates there,
    /// reporting the first four's p50 latency as a multiple of the first
    /// data set's; 0 skips it.
    #[arg(long, default_value_t = 0)]
    pub large_notifications: usize,
    /// Users of the second data set [default: --users scaled as the
    /// notifications are].
    #[arg(long)]
    pub large_users: Option<usize>,
    /// Instead of the benchmark: after loading, drive a mix of reads and
    /// writes for this many seconds, sampling the server's memory and open
    /// files every 30 s (a soak; 600 for the documented ten minutes).
    #[arg(long)]
    pub soak: Option<f64>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// A small, fast run that proves the harness works (CI): 1 instance,
    /// 50 users, 300 notifications, 1 s per operation, 8 in flight.
    #[arg(long)]
    pub quick: bool,
    /// Instead of the operations: find the rate CreateNotification is
    /// sustained at, offer twice that open-loop for --seconds, and report
    /// the admitted requests' latency, the refusals and the server's
    /// memory (Herald's overload promise; see the README).
    #[arg(long)]
    pub overload: bool,
}

impl Args {
    /// The options with `--quick` applied.
    pub fn resolved(mut self) -> Args {
        if self.quick {
            self.instances = 1;
            self.users = 50;
            self.notifications = 300;
            self.seconds = 1.0;
            self.concurrency = 8;
            self.load_concurrency = 16;
            self.push_members = 300;
            if self.large_notifications > 0 {
                self.large_notifications = 3000;
                self.large_users = Some(500);
            }
        }
        self
    }

    /// The options of the second, larger data set's pass: its sizes, and
    /// only the operations driven there ([`crate::drive::Op::on_large_data_set`]).
    pub fn large(&self) -> Option<Args> {
        if self.large_notifications == 0 {
            return None;
        }
        let factor = self.large_notifications as f64 / self.notifications as f64;
        let mut large = self.clone();
        large.notifications = self.large_notifications;
        large.users = self
            .large_users
            .unwrap_or_else(|| ((self.users as f64) * factor).round() as usize)
            .max(self.instances);
        large.ops = crate::drive::Op::ALL
            .iter()
            .filter(|op| op.on_large_data_set() && self.selected(**op))
            .map(|op| op.key().to_owned())
            .collect();
        if large.ops.is_empty() {
            return None;
        }
        large.moto = None;
        large.push_members = 0;
        large.large_notifications = 0;
        Some(large)
    }

    /// Whether `op` is to be driven in this run.
    pub fn selected(&self, op: crate::drive::Op) -> bool {
        if op.needs_moto() && self.moto.is_none() {
            return false;
        }
        op == crate::drive::Op::Health
            || self.ops.is_empty()
            || self.ops.iter().any(|k| k == op.key())
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.instances >= 1, "--instances must be at least 1");
        anyhow::ensure!(
            self.users >= self.instances,
            "--users must be at least --instances (every instance needs a user)"
        );
        anyhow::ensure!(
            self.notifications >= 1,
            "--notifications must be at least 1"
        );
        for (name, share) in [
            ("--instance-wide", self.instance_wide),
            ("--read", self.read),
            ("--hidden", self.hidden),
        ] {
            anyhow::ensure!((0.0..=1.0).contains(&share), "{name} must be in 0..=1");
        }
        anyhow::ensure!(
            self.read + self.hidden <= 1.0,
            "--read + --hidden must be at most 1"
        );
        for key in &self.ops {
            anyhow::ensure!(
                crate::drive::Op::ALL.iter().any(|op| op.key() == key),
                "--ops: unknown operation {key:?} (one of: {})",
                crate::drive::Op::ALL.map(|op| op.key()).join(", ")
            );
            anyhow::ensure!(
                self.moto.is_some()
                    || !crate::drive::Op::ALL
                        .iter()
                        .any(|op| op.key() == key && op.needs_moto()),
                "--ops {key}: needs --moto PATH (the moto_server executable)"
            );
        }
        anyhow::ensure!(self.seconds > 0.0, "--seconds must be positive");
        anyhow::ensure!(self.concurrency >= 1, "--concurrency must be at least 1");
        anyhow::ensure!(
            self.load_concurrency >= 1,
            "--load-concurrency must be at least 1"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn large_ops(args: &[&str]) -> Vec<String> {
        let args = Args::parse_from(std::iter::once("herald-bench").chain(args.iter().copied()));
        args.large().map(|l| l.ops).unwrap_or_default()
    }

    #[test]
    fn the_second_data_set_drives_the_scaled_reads_and_both_creates() {
        let all = ["--large-notifications", "1000000", "--moto", "moto_server"];
        assert_eq!(
            large_ops(&all),
            [
                "list_user_notifications",
                "update_user_notification_status",
                "describe_notification",
                "search_notifications",
                "create_notification",
                "create_notification_instance_wide",
            ]
        );
        let only = [
            "--large-notifications",
            "10",
            "--ops",
            "create_notification,list_instances",
        ];
        assert_eq!(large_ops(&only), ["create_notification"]);
        assert!(large_ops(&["--ops", "search_notifications"]).is_empty());
    }
}
