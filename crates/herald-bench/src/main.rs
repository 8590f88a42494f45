//! `herald-bench`: starts Herald on a fresh store, loads a data set over
//! HTTP and drives each operation with SigV4-signed requests, then prints
//! throughput, latency percentiles and the server's peak memory.
//!
//! `cargo build --release -p herald -p herald-bench && target/release/herald-bench`

mod cli;
mod client;
mod drive;
mod load;
mod overload;
mod peer;
mod pool;
mod push;
mod report;
mod rng;
mod server;
mod soak;
mod targets;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use crate::client::Client;
use crate::drive::Op;
use crate::peer::Moto;
use crate::server::Server;

/// The server's allocator, so that the in-process push decision allocates
/// as it does in `herald`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    if args.overload {
        return overload::run(&binary, &args).await;
    }
    let started = jiff::Timestamp::now()
        .round(jiff::Unit::Second)?
        .to_string();
    let server = Server::start(&binary).await?;
    eprintln!("herald {} at {}", binary.display(), server.endpoint());
    if let Some(seconds) = args.soak {
        let soaked = soak_run(&server, &args, seconds).await;
        if soaked.is_err() {
            eprintln!("--- server log ---\n{}", server.recent_log());
        }
        server.stop().await?;
        return soaked;
    }
    let moto = match &args.moto {
        Some(path) => match Moto::start(path).await {
            Ok(moto) => {
                eprintln!("moto server {} at {}", path.display(), moto.endpoint());
                Some(moto)
            }
            Err(e) => {
                let _ = server.stop().await;
                return Err(e);
            }
        },
        None => None,
    };
    let result = bench(&server, moto.as_ref(), &args, started).await;
    if result.is_err() {
        eprintln!("--- server log ---\n{}", server.recent_log());
        if let Some(moto) = &moto {
            eprintln!("--- moto log ---\n{}", moto.recent_log());
        }
    }
    let moto_stopped = match moto {
        Some(moto) => moto.stop().await,
        None => Ok(()),
    };
    let stopped = server.stop().await;
    let mut run = result?;
    stopped?;
    moto_stopped?;

    if let Some(large) = args.large() {
        run.large = Some(Box::new(large_pass(&binary, &large).await?));
    }
    if args.push_members > 0 {
        run.push = Some(push_pass(args.push_members).await?);
    }

    let judged = targets::judge(&run);
    println!("{}\n{}", run.markdown(), targets::markdown(&judged));
    if let Some(path) = &args.json {
        let mut report = run.json();
        report["targets"] = targets::json(&judged);
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n").with_context(|| format!("write {}", path.display()))?;
    }
    let failures = run.failures();
    for failure in &failures {
        eprintln!("herald-bench: {failure}");
    }
    Ok(failures.is_empty())
}

/// `--soak`: the data set, then the mixed load instead of the benchmark.
async fn soak_run(server: &Server, args: &cli::Args, seconds: f64) -> anyhow::Result<bool> {
    let client = Client::new(
        &server.endpoint(),
        args.concurrency.max(args.load_concurrency),
    )?;
    let data = Arc::new(
        load::load(&client, args)
            .await
            .context("load the data set")?,
    );
    soak::soak(server, &client, &data, seconds, args.concurrency).await
}

/// The second data set, on a second fresh server.
async fn large_pass(binary: &std::path::Path, large: &cli::Args) -> anyhow::Result<report::Run> {
    let server = Server::start(binary).await?;
    eprintln!("second data set: herald at {}", server.endpoint());
    let started = jiff::Timestamp::now()
        .round(jiff::Unit::Second)?
        .to_string();
    let result = bench(&server, None, large, started).await;
    if result.is_err() {
        eprintln!("--- server log ---\n{}", server.recent_log());
    }
    let stopped = server.stop().await;
    let run = result?;
    stopped?;
    Ok(run)
}

/// The push decision, in process on a fresh SQLite store.
async fn push_pass(members: usize) -> anyhow::Result<push::PushOutcome> {
    eprintln!("push decision: setting up a {members}-member channel…");
    let dir = tempfile::Builder::new()
        .prefix("herald-bench-push-")
        .tempdir()?;
    let store = herald_store::sqlite::SqliteStore::open(dir.path()).await?;
    let outcome = push::measure(&store, members).await?;
    eprintln!(
        "push decision: whole read p50 {:?}, after a change p50 {:?}, warm p50 {:?}",
        outcome.whole.p50, outcome.changed.p50, outcome.warm.p50
    );
    Ok(outcome)
}

async fn bench(
    server: &Server,
    moto: Option<&Moto>,
    args: &cli::Args,
    started: String,
) -> anyhow::Result<report::Run> {
    let connections = args.concurrency.max(args.load_concurrency);
    let client = Client::new(&server.endpoint(), connections)?;
    // The same client settings and key for the peer.
    let moto_client = match moto {
        Some(moto) => Some(Client::new(&moto.endpoint(), connections)?),
        None => None,
    };
    let mut listed_instances = None;

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
        let mut target = &client;
        if op.needs_moto() {
            let moto_client = moto_client.as_ref().context("--moto is required")?;
            if listed_instances.is_none() {
                listed_instances =
                    Some(prepare_list_instances(&client, moto_client, &data, args).await?);
            }
            if op == Op::ListInstancesMoto {
                target = moto_client;
            }
        }
        let outcome = drive::drive(target, &data, op, args.seconds, args.concurrency).await?;
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
        listed_instances,
        rss_after_load_kib,
        peak_memory_kib: server.peak_memory_kib(),
        outcomes,
        large: None,
        push: None,
    })
}

/// Before the first `ListInstances`: gives Herald's account (the harness's
/// key) at least a full page of instances, creating the missing ones now,
/// after the other operations, and creates as many in the moto server; then
/// checks that both return a full page. The number of instances on each.
async fn prepare_list_instances(
    herald: &Client,
    moto: &Client,
    data: &load::Dataset,
    args: &cli::Args,
) -> anyhow::Result<usize> {
    let count = data.instances.len().max(peer::LIST_INSTANCES_PAGE);
    let extra = count - data.instances.len();
    eprintln!(
        "ListInstances: creating {extra} more instance(s) in Herald and {count} in the moto server…"
    );
    let start = Instant::now();
    peer::create_instances(herald, extra, args.load_concurrency)
        .await
        .context("create Herald's extra instances")?;
    let herald_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    // The first request loads moto's Connect backend (about a second); many
    // at once each load it, which took ten times as long: one first.
    for (n, parallel) in [(1, 1), (count - 1, args.load_concurrency)] {
        peer::create_instances(moto, n, parallel)
            .await
            .context("create the moto server's instances")?;
    }
    eprintln!(
        "created in {herald_seconds:.1} s (Herald) and {:.1} s (moto server)",
        start.elapsed().as_secs_f64()
    );
    for (name, client) in [("Herald", herald), ("the moto server", moto)] {
        let page = peer::list_instances_page(client)
            .await
            .with_context(|| format!("ListInstances on {name}"))?;
        anyhow::ensure!(
            page == peer::LIST_INSTANCES_PAGE,
            "ListInstances on {name} returned {page} instances, not a page of {}",
            peer::LIST_INSTANCES_PAGE
        );
    }
    Ok(count)
}
