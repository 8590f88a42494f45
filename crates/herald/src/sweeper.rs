//! Background deletion of expired notifications and old client tokens.
//! Listings already hide expired notifications; this only reclaims space.

use std::sync::Arc;
use std::time::Duration;

use herald_domain::chime::ChimeService;
use herald_store::Store;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

/// Rows deleted per transaction, so a large backlog never holds the writer
/// for long.
const BATCH: u32 = 500;
/// How long a client token is remembered.
const TOKEN_TTL: SignedDuration = SignedDuration::from_millis(herald_store::CLIENT_TOKEN_TTL_MS);

pub async fn run(
    store: Arc<dyn Store>,
    chime: Arc<ChimeService>,
    grace: Duration,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let grace = SignedDuration::try_from(grace).unwrap_or(SignedDuration::MAX);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.changed() => return,
        }
        sweep_once(store.as_ref(), grace).await;
        if let Err(error) = chime.forget_old_claims(BATCH * 10).await {
            tracing::warn!(%error, "forgetting old Chime request tokens failed; will retry");
        }
    }
}

async fn sweep_once(store: &dyn Store, grace: SignedDuration) {
    let now = Timestamp::now();
    let cutoff = now.checked_sub(grace).unwrap_or(Timestamp::MIN);
    loop {
        match store.sweep_expired(cutoff, BATCH).await {
            Ok(n) if n == u64::from(BATCH) => continue,
            Ok(n) => {
                if n > 0 {
                    tracing::info!(deleted = n, "swept expired notifications");
                }
                break;
            }
            Err(error) => {
                tracing::warn!(%error, "sweeping expired notifications failed; will retry");
                break;
            }
        }
    }
    let token_cutoff = now.checked_sub(TOKEN_TTL).unwrap_or(Timestamp::MIN);
    if let Err(error) = store.forget_client_tokens(token_cutoff, BATCH * 10).await {
        tracing::warn!(%error, "forgetting old client tokens failed; will retry");
    }
}
