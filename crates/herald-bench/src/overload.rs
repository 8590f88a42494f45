//! `--overload`: what Herald does with twice the load it sustains.
//!
//! On a fresh server with its default overload settings (the per-key rate
//! limit off, as for every run of the harness), `CreateNotification` is
//! first driven at `--concurrency` to find the rate the server sustains;
//! then requests are offered open-loop — sent on a schedule, whether or
//! not earlier ones have been answered — at twice that rate for
//! `--seconds`. Reported: the admitted requests' latency, how many were
//! refused (429/503) and how fast, and the server's memory as it went.
//! Nothing is asserted about the numbers: they are for reading.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::Semaphore;

use crate::cli::Args;
use crate::client::Client;
use crate::drive::{self, Op};
use crate::rng::Rng;
use crate::server::Server;

/// Requests the harness keeps open at once at most (each is a connection);
/// one due beyond this is counted as unsent rather than opening more.
const MAX_OUTSTANDING: usize = 12_000;

/// What the offered load met.
#[derive(Debug, Default)]
struct Tally {
    admitted_us: Vec<u64>,
    refused_us: Vec<u64>,
    failed: u64,
    first_failure: Option<String>,
}

fn quantile(sorted: &[u64], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    Duration::from_micros(sorted[rank - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "?".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

/// Runs the pass and prints its report; `Ok(false)` when requests failed
/// other than by being refused.
pub async fn run(binary: &Path, args: &Args) -> anyhow::Result<bool> {
    // Room for every outstanding request's connection.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let server = Server::start(binary).await?;
    eprintln!("overload: herald at {}", server.endpoint());
    let result = pass(&server, args).await;
    if result.is_err() {
        eprintln!("--- server log ---\n{}", server.recent_log());
    }
    let stopped = server.stop().await;
    let ok = result?;
    stopped?;
    Ok(ok)
}

async fn pass(server: &Server, args: &Args) -> anyhow::Result<bool> {
    let client = Client::new(&server.endpoint(), MAX_OUTSTANDING)?;
    eprintln!(
        "overload: loading {} users, {} notifications…",
        args.users, args.notifications
    );
    let data = Arc::new(
        crate::load::load(&client, args)
            .await
            .context("load the data set")?,
    );
    let sustained = drive::drive(
        &client,
        &data,
        Op::CreateNotification,
        args.seconds,
        args.concurrency,
    )
    .await?;
    let rate = sustained.per_second() * 2.0;
    eprintln!(
        "overload: sustained {:.0}/s at {} in flight (p50 {}); offering {rate:.0}/s for {} s…",
        sustained.per_second(),
        args.concurrency,
        ms(sustained.quantile(0.5)),
        args.seconds
    );
    let memory_before = server.memory_kib();
    let counter = Arc::new(AtomicU64::new(1 << 40));
    let outstanding = Arc::new(Semaphore::new(MAX_OUTSTANDING));
    let mut tasks = tokio::task::JoinSet::new();
    let mut tally = Tally::default();
    let mut memory = Vec::new();
    let (mut launched, mut unsent) = (0u64, 0u64);
    let started = Instant::now();
    let until = Duration::from_secs_f64(args.seconds);
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    let mut next_sample = Duration::from_secs(1);
    while started.elapsed() < until {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate) as u64;
        while launched < due {
            launched += 1;
            let Ok(permit) = outstanding.clone().try_acquire_owned() else {
                unsent += 1;
                continue;
            };
            let (client, data, counter) = (client.clone(), data.clone(), counter.clone());
            tasks.spawn(async move {
                let mut rng = Rng::new(launched);
                let start = Instant::now();
                let reply =
                    drive::request(&client, &data, Op::CreateNotification, &mut rng, &counter)
                        .await;
                drop(permit);
                (start.elapsed(), reply)
            });
        }
        while let Some(done) = tasks.try_join_next() {
            count(&mut tally, done?);
        }
        if started.elapsed() >= next_sample {
            memory.push(server.memory_kib().unwrap_or(0));
            next_sample += Duration::from_secs(1);
        }
    }
    while let Some(done) = tasks.join_next().await {
        count(&mut tally, done?);
    }
    let memory_after = server.memory_kib();
    tally.admitted_us.sort_unstable();
    tally.refused_us.sort_unstable();

    let admitted = &tally.admitted_us;
    let refused = &tally.refused_us;
    let seconds = args.seconds;
    println!("## Overload: CreateNotification at twice the sustained rate\n");
    println!("| | |\n| --- | --- |");
    println!(
        "| sustained | {:.0}/s at {} in flight |",
        sustained.per_second(),
        args.concurrency
    );
    println!("| offered | {rate:.0}/s for {seconds} s ({launched} requests) |");
    println!(
        "| admitted | {} ({:.0}/s): p50 {}, p99 {}, max {} |",
        admitted.len(),
        admitted.len() as f64 / seconds,
        ms(quantile(admitted, 0.5)),
        ms(quantile(admitted, 0.99)),
        ms(quantile(admitted, 1.0))
    );
    println!(
        "| refused (429/503) | {}: p50 {}, max {} |",
        refused.len(),
        ms(quantile(refused, 0.5)),
        ms(quantile(refused, 1.0))
    );
    println!("| failed otherwise | {} |", tally.failed);
    println!("| not sent (harness at {MAX_OUTSTANDING} open) | {unsent} |");
    println!(
        "| server memory | {} before, {} after; each second: {} |",
        mib(memory_before),
        mib(memory_after),
        memory
            .iter()
            .map(|k| format!("{:.0}", *k as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(", ")
            + " MiB"
    );
    if let Some(failure) = &tally.first_failure {
        eprintln!("overload: first failure: {failure}");
    }
    Ok(tally.failed == 0)
}

fn count(tally: &mut Tally, (elapsed, reply): (Duration, anyhow::Result<crate::client::Reply>)) {
    let us = elapsed.as_micros() as u64;
    match reply {
        Ok(reply) if reply.ok() => tally.admitted_us.push(us),
        Ok(reply) if reply.status == 429 || reply.status == 503 => tally.refused_us.push(us),
        Ok(reply) => {
            tally.failed += 1;
            tally.first_failure.get_or_insert_with(|| {
                format!(
                    "HTTP {}: {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                )
            });
        }
        Err(error) => {
            tally.failed += 1;
            tally
                .first_failure
                .get_or_insert_with(|| format!("{error:#}"));
        }
    }
}
