//! Delivers push records to the `--push-webhook` URL: at least once, each
//! as one JSON POST, retried with exponential backoff until a 2xx answer.
//!
//! The queue is the store: a worker leases due deliveries, so pending ones
//! survive a restart and several nodes never send one at the same time.

use std::sync::Arc;
use std::time::Duration;

use herald_domain::chime::ChimeService;
use herald_store::chime::DeliveryRecord;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::chime::shapes;

/// POSTs in flight at once.
const CONCURRENCY: usize = 16;
/// Deliveries taken from the store at a time: one round of POSTs, so a
/// batch ends within one request timeout, well inside its lease.
const BATCH: u32 = CONCURRENCY as u32;
/// How long one POST may take; shorter than the lease.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Polling interval when nothing wakes the worker (retries come due,
/// deliveries written by another node).
const POLL_INTERVAL: Duration = Duration::from_millis(500);

pub struct Webhook {
    url: reqwest::Url,
    client: reqwest::Client,
}

impl Webhook {
    pub fn new(url: &str) -> Result<Webhook, String> {
        let url = reqwest::Url::parse(url).map_err(|e| format!("--push-webhook '{url}': {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "--push-webhook '{url}': only http and https URLs are supported"
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            // A redirect would turn the POST into a GET without the body and
            // count as delivered; a 3xx is a failed attempt instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the webhook client: {e}"))?;
        Ok(Webhook { url, client })
    }

    /// Scheme, host and path, for logs: never the user info or query, which
    /// may hold credentials.
    pub fn location(&self) -> String {
        format!(
            "{}://{}{}",
            self.url.scheme(),
            self.url.host_str().unwrap_or_default(),
            self.url.path()
        )
    }

    async fn post(&self, delivery: &DeliveryRecord) -> Result<(), String> {
        let response = self
            .client
            .post(self.url.clone())
            .header("x-herald-delivery-id", &delivery.delivery_id)
            .json(&shapes::delivery(delivery))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the webhook answered {}", response.status()))
        }
    }
}

/// Runs until `stop` turns true. `wake` is notified when new deliveries
/// were stored.
pub async fn run(
    chime: Arc<ChimeService>,
    webhook: Arc<Webhook>,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let due = match chime.take_due_deliveries(BATCH).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "cannot read pending push deliveries");
                Vec::new()
            }
        };
        if due.is_empty() {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = stop.changed() => return,
            }
            continue;
        }
        let mut in_flight = JoinSet::new();
        for delivery in due {
            while in_flight.len() >= CONCURRENCY {
                in_flight.join_next().await;
            }
            let (chime, webhook) = (chime.clone(), webhook.clone());
            in_flight.spawn(async move { deliver(&chime, &webhook, delivery).await });
        }
        while in_flight.join_next().await.is_some() {}
    }
}

async fn deliver(chime: &ChimeService, webhook: &Webhook, delivery: DeliveryRecord) {
    match webhook.post(&delivery).await {
        Ok(()) => {
            if let Err(error) = chime.delivery_acknowledged(&delivery).await {
                // It stays leased, then due again: sent twice rather than lost.
                tracing::warn!(%error, delivery = %delivery.delivery_id, "cannot record an acknowledged delivery");
            } else {
                tracing::debug!(delivery = %delivery.delivery_id, "push delivered to the webhook");
            }
        }
        Err(reason) => match chime.delivery_failed(&delivery).await {
            Ok(next) => tracing::info!(
                delivery = %delivery.delivery_id,
                attempts = delivery.attempts + 1,
                %reason,
                next_attempt = %next,
                "push delivery failed; will retry"
            ),
            Err(error) => {
                tracing::warn!(%error, delivery = %delivery.delivery_id, "cannot reschedule a failed delivery")
            }
        },
    }
}
