//! Driving one operation for a fixed time at a fixed concurrency.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::client::{Client, Reply};
use crate::load::{Dataset, SEARCH_WORD, notification_body};
use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Health,
    ListUserNotifications,
    UpdateUserNotificationStatus,
    DescribeNotification,
    SearchNotifications,
    CreateNotification,
    CreateNotificationInstanceWide,
    ListInstances,
    ListInstancesMoto,
}

impl Op {
    /// In the order they are driven: the writes that grow the store last,
    /// so that the reads see the data set as loaded; `ListInstances` (on
    /// Herald, then on the moto server) only with `--moto`, after them.
    pub const ALL: [Op; 9] = [
        Op::Health,
        Op::ListUserNotifications,
        Op::UpdateUserNotificationStatus,
        Op::DescribeNotification,
        Op::SearchNotifications,
        Op::CreateNotification,
        Op::CreateNotificationInstanceWide,
        Op::ListInstances,
        Op::ListInstancesMoto,
    ];

    /// Compared across data set sizes (`--large-notifications`): the reads
    /// and the status update, whose cost must not follow the store's size.
    pub const SCALED: [Op; 4] = [
        Op::ListUserNotifications,
        Op::UpdateUserNotificationStatus,
        Op::DescribeNotification,
        Op::SearchNotifications,
    ];

    /// Whether it is driven on the second data set: the [`Op::SCALED`]
    /// ones, and the two creates, since its users (100 thousand in issue
    /// 7's run) are whom an instance-wide create is to be compared at.
    pub fn on_large_data_set(self) -> bool {
        Op::SCALED.contains(&self)
            || matches!(
                self,
                Op::CreateNotification | Op::CreateNotificationInstanceWide
            )
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Health => "GET /_herald/health (ceiling)",
            Op::ListUserNotifications => "ListUserNotifications (page of 50)",
            Op::UpdateUserNotificationStatus => "UpdateUserNotificationStatus",
            Op::DescribeNotification => "DescribeNotification",
            Op::SearchNotifications => "SearchNotifications (Content CONTAINS)",
            Op::CreateNotification => "CreateNotification (one recipient)",
            Op::CreateNotificationInstanceWide => "CreateNotification (instance-wide)",
            Op::ListInstances => "ListInstances (Herald)",
            Op::ListInstancesMoto => "ListInstances (moto server)",
        }
    }

    /// Whether this operation needs the moto server (`--moto`).
    pub fn needs_moto(self) -> bool {
        matches!(self, Op::ListInstances | Op::ListInstancesMoto)
    }

    pub fn key(self) -> &'static str {
        match self {
            Op::Health => "health",
            Op::ListUserNotifications => "list_user_notifications",
            Op::UpdateUserNotificationStatus => "update_user_notification_status",
            Op::DescribeNotification => "describe_notification",
            Op::SearchNotifications => "search_notifications",
            Op::CreateNotification => "create_notification",
            Op::CreateNotificationInstanceWide => "create_notification_instance_wide",
            Op::ListInstances => "list_instances",
            Op::ListInstancesMoto => "list_instances_moto",
        }
    }
}

/// What one operation did in its measured window.
pub struct Outcome {
    pub op: Op,
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latencies of the successful requests, sorted, in microseconds.
    pub latencies_us: Vec<u64>,
    pub first_error: Option<String>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`th quantile (0..=1) of the latencies.
    pub fn quantile(&self, p: f64) -> Duration {
        let sorted = &self.latencies_us;
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
        Duration::from_micros(sorted[rank - 1])
    }
}

/// Runs `op` with `concurrency` requests in flight: a short unmeasured
/// warm-up, then `seconds` measured.
pub async fn drive(
    client: &Client,
    data: &Arc<Dataset>,
    op: Op,
    seconds: f64,
    concurrency: usize,
) -> anyhow::Result<Outcome> {
    let warm_up = Duration::from_secs_f64((seconds * 0.1).min(1.0));
    let measured = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let measure_from = started + warm_up;
    let until = measure_from + measured;
    let counter = Arc::new(AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let data = data.clone();
        let counter = counter.clone();
        workers.spawn(async move {
            let mut rng = Rng::new(worker as u64 * 7919 + op as u64);
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut first_error = None;
            loop {
                let start = Instant::now();
                if start >= until {
                    break;
                }
                let result = request(&client, &data, op, &mut rng, &counter).await;
                let end = Instant::now();
                if start < measure_from || end > until {
                    continue;
                }
                match result {
                    Ok(reply) if reply.ok() => {
                        latencies.push((end - start).as_micros() as u64);
                    }
                    Ok(reply) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| {
                            format!(
                                "HTTP {}: {}",
                                reply.status,
                                String::from_utf8_lossy(&reply.body)
                            )
                        });
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
            }
            (latencies, errors, first_error)
        });
    }
    let mut outcome = Outcome {
        op,
        ok: 0,
        errors: 0,
        elapsed: measured,
        latencies_us: Vec::new(),
        first_error: None,
    };
    while let Some(joined) = workers.join_next().await {
        let (latencies, errors, first_error) = joined?;
        outcome.ok += latencies.len() as u64;
        outcome.latencies_us.extend(latencies);
        outcome.errors += errors;
        if outcome.first_error.is_none() {
            outcome.first_error = first_error;
        }
    }
    outcome.latencies_us.sort_unstable();
    Ok(outcome)
}

pub async fn request(
    client: &Client,
    data: &Dataset,
    op: Op,
    rng: &mut Rng,
    counter: &AtomicU64,
) -> anyhow::Result<Reply> {
    match op {
        Op::Health => client.unsigned(Method::GET, "/_herald/health").await,
        Op::ListUserNotifications => {
            let user = &data.users[rng.below(data.users.len())];
            let instance = &data.instances[user.instance].id;
            let path = format!("/users/{instance}/{}/notifications?maxResults=50", user.id);
            client.signed(Method::GET, &path, None).await
        }
        Op::UpdateUserNotificationStatus => {
            // A random user among those who have notifications.
            let (user, instance) = loop {
                let user = &data.users[rng.below(data.users.len())];
                let instance = &data.instances[user.instance];
                if user.received(instance) > 0 {
                    break (user, instance);
                }
            };
            let notification = user.nth_received(instance, rng.below(user.received(instance)));
            let instance = &instance.id;
            let path = format!("/users/{instance}/{}/notifications/{notification}", user.id);
            let status = if rng.below(2) == 0 { "READ" } else { "UNREAD" };
            let body = json!({ "Status": status });
            client.signed(Method::POST, &path, Some(&body)).await
        }
        Op::DescribeNotification => {
            let (instance, id) = &data.notifications[rng.below(data.notifications.len())];
            let path = format!("/notifications/{}/{id}", data.instances[*instance].id);
            client.signed(Method::GET, &path, None).await
        }
        Op::SearchNotifications => {
            let instance = &data.instances[rng.below(data.instances.len())];
            let body = json!({
                "InstanceId": instance.id,
                "MaxResults": 50,
                "SearchCriteria": {
                    "StringCondition": {
                        "FieldName": "Content",
                        "Value": SEARCH_WORD,
                        "ComparisonType": "CONTAINS",
                    }
                },
            });
            client
                .signed(Method::POST, "/search-notifications", Some(&body))
                .await
        }
        Op::CreateNotification => {
            let user = &data.users[rng.below(data.users.len())];
            let instance = &data.instances[user.instance].id;
            let index = data.notifications.len() + counter.fetch_add(1, Ordering::Relaxed) as usize;
            let body = notification_body(index, &user.arn, false);
            let path = format!("/notifications/{instance}");
            client.signed(Method::PUT, &path, Some(&body)).await
        }
        Op::CreateNotificationInstanceWide => {
            let instance = &data.instances[rng.below(data.instances.len())];
            let index = data.notifications.len() + counter.fetch_add(1, Ordering::Relaxed) as usize;
            let body = notification_body(index, &instance.arn, true);
            let path = format!("/notifications/{}", instance.id);
            client.signed(Method::PUT, &path, Some(&body)).await
        }
        // The same request to either server: `client` says which.
        Op::ListInstances | Op::ListInstancesMoto => {
            client
                .signed(Method::GET, crate::peer::LIST_INSTANCES_PATH, None)
                .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let outcome = Outcome {
            op: Op::Health,
            ok: 1000,
            errors: 0,
            elapsed: Duration::from_secs(1),
            latencies_us: (1..=1000).collect(),
            first_error: None,
        };
        assert_eq!(outcome.quantile(0.5), Duration::from_micros(500));
        assert_eq!(outcome.quantile(0.99), Duration::from_micros(990));
        assert_eq!(outcome.quantile(0.999), Duration::from_micros(999));
        assert_eq!(outcome.per_second(), 1000.0);
    }
}
