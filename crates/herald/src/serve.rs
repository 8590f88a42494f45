//! `herald serve`: open the store, build the services, listen, and shut
//! down cleanly on SIGINT/SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use herald_domain::SystemClock;
use herald_domain::chime::ChimeService;
use herald_domain::connect::ConnectService;
use herald_domain::connect::validate::region_name;
use herald_domain::live::LiveHub;
use herald_protocol::AppState;
use herald_protocol::auth::credentials::{KeyRing, Keys, exposure_warning};
use herald_protocol::overload::{Admission, RateLimits};
use herald_protocol::push_webhook::{self, Webhook};
use herald_protocol::server::ServerLimits;
use herald_store::feed::{ChangeFeed, LocalFeed, PgFeed};
use herald_store::postgres::{PgOptions, PgStore};
use herald_store::sqlite::SqliteStore;
use herald_store::{ChimeStore, Store};
use tokio::sync::{Notify, watch};

use crate::config::ServeArgs;
use crate::sweeper;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    region_name(&args.region, "--region").map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.account_id.len() != 12 || !args.account_id.chars().all(|c| c.is_ascii_digit()) {
        anyhow::bail!("--account-id must be 12 digits, got '{}'", args.account_id);
    }
    if let Some(url) = &args.public_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        anyhow::bail!("--public-url must be an http:// or https:// URL, got '{url}'");
    }
    // Before anything is created on disk: a refusal leaves no trace.
    let keys = Arc::new(load_keys(&args)?);
    let webhook = args
        .push_webhook
        .as_deref()
        .map(Webhook::new)
        .transpose()
        .map_err(|e| anyhow::anyhow!(e))?
        .map(Arc::new);
    let (store, chime_store, location) = open_store(&args).await?;
    let feed = open_feed(&args).await?;
    let secret = store
        .token_secret()
        .await
        .context("reading the token secret")?;
    let connect = ConnectService::new(
        store.clone(),
        Arc::new(SystemClock),
        args.region.clone(),
        secret.clone(),
        feed.clone(),
    );
    let live = LiveHub::start(store.clone(), feed, Arc::new(SystemClock));
    let deliveries_due = Arc::new(Notify::new());
    let wake = deliveries_due.clone();
    let chime = Arc::new(ChimeService::new(
        chime_store,
        Arc::new(SystemClock),
        args.region.clone(),
        secret,
        webhook.is_some(),
        Arc::new(move || wake.notify_one()),
    ));
    let mut state = AppState::new(connect, chime.clone(), keys.clone(), live.clone());
    state.public_url = args.public_url.clone();
    let rate_limit = args.rate_limit();
    state.rate_limits = RateLimits::new(rate_limit);
    state.admission = Admission::new(
        args.max_in_flight,
        Duration::from_millis(args.in_flight_wait_ms),
    );
    if rate_limit.per_second == 0 {
        tracing::info!("per-key rate limit off");
    } else {
        tracing::info!(
            per_second = rate_limit.per_second,
            burst = rate_limit.burst,
            "per-key rate limit"
        );
    }
    let state = Arc::new(state);
    let app = herald_protocol::router(
        state.clone(),
        Duration::from_secs(args.request_timeout_seconds.max(1)),
    );

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let address = listener.local_addr()?;

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(reload_keys_on_hangup(keys, state.clone(), stop_rx.clone()));
    let deliverer = webhook.map(|webhook| {
        tracing::info!(webhook = %webhook.location(), "push deliveries go to the webhook");
        tokio::spawn(push_webhook::run(
            chime.clone(),
            webhook,
            deliveries_due,
            stop_rx.clone(),
        ))
    });
    let sweeper = tokio::spawn(sweeper::run(
        store.clone(),
        chime,
        Duration::from_secs(args.expiry_grace_seconds),
        Duration::from_secs(args.sweep_interval_seconds.max(1)),
        stop_rx,
    ));

    // Tests and scripts wait for this line.
    println!("herald listening on http://{address}");
    tracing::info!(%address, store = %location, "herald is ready");

    let limits = ServerLimits {
        max_connections: connections_that_fit(args.max_connections),
        ..ServerLimits::default()
    };
    let shutdown = async move {
        shutdown_signal().await;
        // Open event streams would otherwise hold the stop up.
        live.stop();
    };
    herald_protocol::server::serve(listener, app, limits, shutdown).await;

    tracing::info!("shutting down: in-flight requests finished");
    let _ = stop_tx.send(true);
    let _ = sweeper.await;
    if let Some(deliverer) = deliverer {
        let _ = deliverer.await;
    }
    store.close().await;
    tracing::info!("store closed");
    Ok(())
}

/// Raises the open-file limit as far as allowed, and keeps the connection
/// limit below it, leaving room for the store's files and connections: at
/// the limit, accepting fails instead of making clients wait.
fn connections_that_fit(wanted: usize) -> usize {
    const RESERVED: u64 = 256;
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "the open-file limit could not be read or raised");
            return wanted;
        }
    };
    let fits = usize::try_from(limit.saturating_sub(RESERVED).max(16)).unwrap_or(usize::MAX);
    if fits < wanted {
        tracing::warn!(
            wanted,
            fits,
            open_file_limit = limit,
            "--max-connections lowered to fit the open-file limit"
        );
    }
    wanted.min(fits)
}

/// The PostgreSQL store when `--database-url` is given, else the embedded
/// SQLite store in `--data-dir`; with a description for the log that
/// carries no password.
async fn open_store(
    args: &ServeArgs,
) -> anyhow::Result<(Arc<dyn Store>, Arc<dyn ChimeStore>, String)> {
    match &args.database_url {
        Some(url) => {
            let shown = without_password(url);
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                anyhow::bail!("--database-url must be a postgres:// URL, got '{shown}'");
            }
            let options = pg_options(args, url);
            let postgres = Arc::new(
                PgStore::connect(&options)
                    .await
                    .with_context(|| format!("connecting to PostgreSQL at {shown}"))?,
            );
            Ok((postgres.clone(), postgres, format!("PostgreSQL {shown}")))
        }
        None => {
            let sqlite =
                Arc::new(SqliteStore::open(&args.data_dir).await.with_context(|| {
                    format!("opening the store in {}", args.data_dir.display())
                })?);
            Ok((
                sqlite.clone(),
                sqlite,
                format!("SQLite in {}", args.data_dir.display()),
            ))
        }
    }
}

/// Where committed changes are announced: this process only, for the
/// embedded store; every node, through the database, for PostgreSQL.
async fn open_feed(args: &ServeArgs) -> anyhow::Result<Arc<dyn ChangeFeed>> {
    match &args.database_url {
        Some(url) => {
            let feed = PgFeed::start(&pg_options(args, url))
                .await
                .with_context(|| format!("listening for changes on {}", without_password(url)))?;
            Ok(Arc::new(feed))
        }
        None => Ok(Arc::new(LocalFeed::new())),
    }
}

fn pg_options(args: &ServeArgs, url: &str) -> PgOptions {
    PgOptions {
        url: url.to_owned(),
        max_connections: args.database_max_connections.max(1),
        statement_timeout: Duration::from_millis(args.database_statement_timeout_ms.max(1)),
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &url[scheme_end + at..]
        ),
        _ => url.to_owned(),
    }
}

/// The keys from `--credentials`, or the built-in `test`/`test` admin key,
/// which is refused unless Herald listens on a loopback address only.
fn load_keys(args: &ServeArgs) -> anyhow::Result<Keys> {
    match &args.credentials {
        Some(path) => {
            let keys = Keys::from_file(path)?;
            if let Some(warning) = exposure_warning(path) {
                tracing::warn!("{warning}");
            }
            tracing::info!(file = %path.display(), "credentials loaded");
            Ok(keys)
        }
        None if args.listen.ip().is_loopback() => {
            tracing::info!(
                "no --credentials: accepting only the key test/test (admin of account {})",
                args.account_id
            );
            Ok(Keys::fixed(KeyRing::single_admin(
                "test",
                "test",
                &args.account_id,
            )))
        }
        None => anyhow::bail!(
            "refusing to listen on {} without --credentials: the built-in test/test key is only allowed on a loopback address. \
             Create keys with `herald keys add --credentials FILE …` and pass --credentials FILE.",
            args.listen
        ),
    }
}

/// SIGHUP re-reads the credentials file; a file that fails to parse is
/// reported and the keys in force stay in force.
async fn reload_keys_on_hangup(
    keys: Arc<Keys>,
    state: Arc<AppState>,
    mut stop: watch::Receiver<bool>,
) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    else {
        tracing::warn!("cannot listen for SIGHUP; credentials will not be reloaded");
        return;
    };
    loop {
        tokio::select! {
            _ = hangups.recv() => {}
            _ = stop.changed() => return,
        }
        let Some(path) = keys.source() else {
            tracing::info!("SIGHUP: no credentials file to reload");
            continue;
        };
        if let Some(warning) = exposure_warning(path) {
            tracing::warn!("{warning}");
        }
        match keys.reload() {
            Ok(count) => {
                // Removed keys' buckets go once they have refilled.
                state.rate_limits.forget_idle();
                tracing::info!(keys = count, file = %path.display(), "SIGHUP: credentials reloaded")
            }
            Err(error) => {
                tracing::error!(%error, "SIGHUP: credentials not reloaded; the previous keys stay in force")
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn passwords_stay_out_of_the_log() {
        assert_eq!(
            without_password("postgres://herald:s3cret@db:5432/herald"),
            "postgres://herald:***@db:5432/herald"
        );
        assert_eq!(
            without_password("postgres://herald@db/herald"),
            "postgres://herald@db/herald"
        );
        assert_eq!(
            without_password("postgres://db:5432/x"),
            "postgres://db:5432/x"
        );
    }
}
