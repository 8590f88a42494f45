//! `herald serve`: open the store, build the services, listen, and shut
//! down cleanly on SIGINT/SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use herald_domain::SystemClock;
use herald_domain::connect::ConnectService;
use herald_domain::connect::validate::region_name;
use herald_protocol::AppState;
use herald_protocol::server::ServerLimits;
use herald_store::Store;
use herald_store::sqlite::SqliteStore;
use tokio::sync::watch;

use crate::config::ServeArgs;
use crate::sweeper;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    region_name(&args.region, "--region").map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.account_id.len() != 12 || !args.account_id.chars().all(|c| c.is_ascii_digit()) {
        anyhow::bail!("--account-id must be 12 digits, got '{}'", args.account_id);
    }
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&args.data_dir)
            .await
            .with_context(|| format!("opening the store in {}", args.data_dir.display()))?,
    );
    let secret = store
        .token_secret()
        .await
        .context("reading the token secret")?;
    let connect = ConnectService::new(
        store.clone(),
        Arc::new(SystemClock),
        args.region.clone(),
        secret,
    );
    let state = Arc::new(AppState::new(connect, args.account_id.clone()));
    let app = herald_protocol::router(
        state,
        Duration::from_secs(args.request_timeout_seconds.max(1)),
    );

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let address = listener.local_addr()?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let sweeper = tokio::spawn(sweeper::run(
        store.clone(),
        Duration::from_secs(args.expiry_grace_seconds),
        Duration::from_secs(args.sweep_interval_seconds.max(1)),
        stop_rx,
    ));

    // Tests and scripts wait for this line.
    println!("herald listening on http://{address}");
    tracing::info!(%address, data_dir = %args.data_dir.display(), "herald is ready");

    let limits = ServerLimits {
        max_connections: args.max_connections,
        ..ServerLimits::default()
    };
    herald_protocol::server::serve(listener, app, limits, shutdown_signal()).await;

    tracing::info!("shutting down: in-flight requests finished");
    let _ = stop_tx.send(true);
    let _ = sweeper.await;
    store.close().await;
    tracing::info!("store closed");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
