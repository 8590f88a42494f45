//! `--soak SECONDS`: a mixed load for a long time, sampling the server's
//! resident memory and open file descriptors after every slice, to show
//! that neither grows while the load goes on (issue 8's soak).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::drive::{Op, drive};
use crate::load::Dataset;
use crate::server::Server;

/// The operations driven at once, each with its share of the concurrency.
const MIX: [Op; 5] = [
    Op::ListUserNotifications,
    Op::UpdateUserNotificationStatus,
    Op::DescribeNotification,
    Op::SearchNotifications,
    Op::CreateNotification,
];
const SLICE_SECONDS: f64 = 30.0;
/// Samples before this are the warm-up (caches and pools filling).
const SETTLED_AFTER: Duration = Duration::from_secs(60);

struct Sample {
    at: Duration,
    requests: u64,
    errors: u64,
    rss_kib: u64,
    open_files: usize,
}

/// Runs the mix for `seconds`, printing a line per slice and a verdict;
/// false when any request failed.
pub async fn soak(
    server: &Server,
    client: &Client,
    data: &Arc<Dataset>,
    seconds: f64,
    concurrency: usize,
) -> anyhow::Result<bool> {
    let per_op = (concurrency / MIX.len()).max(1);
    let started = Instant::now();
    let total = Duration::from_secs_f64(seconds);
    let mut samples = Vec::new();
    eprintln!("soak: {seconds:.0} s of {MIX:?}, {per_op} in flight each");
    while started.elapsed() < total {
        let slice = (total - started.elapsed())
            .as_secs_f64()
            .clamp(1.0, SLICE_SECONDS);
        let mut running = tokio::task::JoinSet::new();
        for op in MIX {
            let (client, data) = (client.clone(), data.clone());
            running.spawn(async move { drive(&client, &data, op, slice, per_op).await });
        }
        let (mut requests, mut errors) = (0, 0);
        while let Some(done) = running.join_next().await {
            let outcome = done??;
            requests += outcome.ok;
            errors += outcome.errors;
            if let Some(first) = &outcome.first_error {
                eprintln!("soak: {}: {first}", outcome.op.name());
            }
        }
        let sample = Sample {
            at: started.elapsed(),
            requests,
            errors,
            rss_kib: server.memory_kib().unwrap_or(0),
            open_files: server.open_files().unwrap_or(0),
        };
        eprintln!(
            "soak: {:>5.0} s  {:>6.0} requests/s  {} errors  {:>6.1} MiB resident  {} open files",
            sample.at.as_secs_f64(),
            sample.requests as f64 / slice,
            sample.errors,
            sample.rss_kib as f64 / 1024.0,
            sample.open_files
        );
        samples.push(sample);
    }
    report(&samples);
    Ok(samples.iter().all(|s| s.errors == 0))
}

/// Settled (first sample after the warm-up) against last.
fn report(samples: &[Sample]) {
    let (Some(settled), Some(last)) = (
        samples
            .iter()
            .find(|s| s.at >= SETTLED_AFTER)
            .or(samples.first()),
        samples.last(),
    ) else {
        return;
    };
    let peak = samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    println!(
        "soak: from {:.0} s to {:.0} s resident memory {:.1} -> {:.1} MiB ({:+.1} %, peak {:.1} MiB), \
         open files {} -> {}, {} requests, {} errors",
        settled.at.as_secs_f64(),
        last.at.as_secs_f64(),
        settled.rss_kib as f64 / 1024.0,
        last.rss_kib as f64 / 1024.0,
        (last.rss_kib as f64 / settled.rss_kib.max(1) as f64 - 1.0) * 100.0,
        peak as f64 / 1024.0,
        settled.open_files,
        last.open_files,
        samples.iter().map(|s| s.requests).sum::<u64>(),
        samples.iter().map(|s| s.errors).sum::<u64>(),
    );
}
