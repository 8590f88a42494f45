//! `herald-bench`: starts Herald on a fresh store, loads a data set over
//! HTTP and drives each operation with SigV4-signed requests, then prints
//! throughput, latency percentiles and the server's peak memory.
//!
//! `cargo build --release -p herald -p herald-bench && target/release/herald-bench`

mod cli;
mod client;
mod drive;
mod load;
mod pool;
mod report;
mod rng;
mod server;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use crate::client::Client;
use crate::drive::Op;
use crate::server::Server;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("herald-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the benchmark; `Ok(false)` when an operation failed.
async fn run() -> anyhow::Result<bool> {
    let args = cli::Args::parse().resolved();
    args.validate()?;
    let binary = match &args.herald {
        Some(path) => path.clone(),
        None => server::default_binary()?,
    };
    let started = jiff::Timestamp::now()
        .round(jiff::Unit::Second)?
        .to_string();
    let server = Server::start(&binary).await?;
    eprintln!("herald {} at {}", binary.display(), server.endpoint());
    let result = bench(&server, &args, started).await;
    if result.is_err() {
        eprintln!("--- server log ---\n{}", server.recent_log());
    }
    let stopped = server.stop().await;
    let run = result?;
    stopped?;

    println!("{}", run.markdown());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&run.json())?;
        std::fs::write(path, text + "\n").with_context(|| format!("write {}", path.display()))?;
    }
    let failures = run.failures();
    for failure in &failures {
        eprintln!("herald-bench: {failure}");
    }
    Ok(failures.is_empty())
}

async fn bench(server: &Server, args: &cli::Args, started: String) -> anyhow::Result<report::Run> {
    let connections = args.concurrency.max(args.load_concurrency);
    let client = Client::new(&server.endpoint(), connections)?;

    let load_start = Instant::now();
    eprintln!(
        "loading {} instance(s), {} users, {} notifications…",
        args.instances, args.users, args.notifications
    );
    let data = Arc::new(
        load::load(&client, args)
            .await
            .context("load the data set")?,
    );
    let load_seconds = load_start.elapsed().as_secs_f64();
    let rss_after_load_kib = server.memory_kib();
    eprintln!("loaded in {load_seconds:.1} s");

    let mut outcomes = Vec::new();
    for op in Op::ALL.into_iter().filter(|&op| args.selected(op)) {
        let outcome = drive::drive(&client, &data, op, args.seconds, args.concurrency).await?;
        eprintln!(
            "{}: {:.0}/s, p50 {:?}, {} errors",
            op.name(),
            outcome.per_second(),
            outcome.quantile(0.5),
            outcome.errors
        );
        outcomes.push(outcome);
    }

    Ok(report::Run {
        started,
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        instances: data.instances.len(),
        users: data.users.len(),
        notifications: data.notifications.len(),
        instance_wide: data.instance_wide,
        statuses_set: data.statuses_set,
        load_seconds,
        seconds: args.seconds,
        concurrency: args.concurrency,
        rss_after_load_kib,
        peak_memory_kib: server.peak_memory_kib(),
        outcomes,
    })
}
