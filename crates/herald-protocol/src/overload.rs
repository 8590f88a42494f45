//! Overload: per-key rate limits, and a bound on the requests being worked
//! on at once.
//!
//! **Rate limits** are token buckets, one per access key, from `governor`
//! (its keyed GCRA limiter is the standard one: each bucket is one atomic
//! timestamp in a sharded concurrent map, so the request path takes no
//! global lock). A request is counted only once its signature is verified:
//! only the holder of a key's secret spends that key's tokens, and a
//! bucket exists only for a key of the credentials file — an unknown or
//! forged key is refused before it can create one, so the map is bounded
//! by the keys ever loaded (and idle buckets are dropped on reload).
//!
//! **In flight**: each request holds a permit while its operation runs.
//! When all are taken a request waits for one, at most `wait`; then it is
//! refused. Waiting requests are bounded by the open connections, and an
//! admitted request never queues behind more than `max_in_flight` others,
//! so under any load the latency of what is admitted stays bounded and the
//! excess is refused cheaply instead of piling up. Long-lived event streams
//! and the health check hold no permit.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a request was refused before its operation ran. Each service names
/// it as its AWS counterpart does (`connect::errors`, `chime::errors`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverloadError {
    /// The key's bucket is empty.
    #[error(
        "Rate exceeded: access key {access_key_id} may make {per_second} requests per second \
         (bursts of {burst}); retry after {}.",
        seconds(.retry_after)
    )]
    Throttled {
        access_key_id: String,
        per_second: u32,
        burst: u32,
        /// When the bucket holds a token again.
        retry_after: Duration,
    },
    /// Every in-flight permit stayed taken for the whole wait.
    #[error(
        "Herald is at capacity ({max_in_flight} requests in progress); retry after backing off."
    )]
    AtCapacity { max_in_flight: usize },
}

fn seconds(duration: &Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

impl OverloadError {
    /// The `Retry-After` value: whole seconds, at least one.
    pub fn retry_after_seconds(&self) -> u64 {
        match self {
            OverloadError::Throttled { retry_after, .. } => {
                retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)
            }
            OverloadError::AtCapacity { .. } => 1,
        }
        .max(1)
    }
}

/// Requests per second and burst for each key; `per_second == 0` is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    pub per_second: u32,
    pub burst: u32,
}

impl RateLimitSettings {
    pub const OFF: RateLimitSettings = RateLimitSettings {
        per_second: 0,
        burst: 0,
    };
}

/// The per-key token buckets.
pub struct RateLimits {
    settings: RateLimitSettings,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl RateLimits {
    /// `per_second == 0` turns limiting off; a burst of 0 is taken as 1.
    pub fn new(settings: RateLimitSettings) -> RateLimits {
        let limiter = NonZeroU32::new(settings.per_second).map(|rate| {
            let burst = NonZeroU32::new(settings.burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        RateLimits {
            settings: RateLimitSettings {
                burst: settings.burst.max(1),
                ..settings
            },
            limiter,
        }
    }

    pub fn off() -> RateLimits {
        RateLimits::new(RateLimitSettings::OFF)
    }

    pub fn settings(&self) -> RateLimitSettings {
        self.settings
    }

    /// Takes a token from the bucket of `access_key_id`. Call it only for
    /// a key whose signature was verified (see the module comment).
    pub fn check(&self, access_key_id: &str) -> Result<(), OverloadError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter
            .check_key(&access_key_id.to_owned())
            .map_err(|not_until| OverloadError::Throttled {
                access_key_id: access_key_id.to_owned(),
                per_second: self.settings.per_second,
                burst: self.settings.burst,
                retry_after: not_until.wait_time_from(limiter.clock().now()),
            })
    }

    /// Drops the buckets that are full again (indistinguishable from new
    /// ones), so keys removed from the credentials file leave nothing.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Buckets held (for tests).
    pub fn buckets(&self) -> usize {
        self.limiter.as_ref().map_or(0, |limiter| limiter.len())
    }
}

/// The bound on requests in progress.
#[derive(Debug)]
pub struct Admission {
    permits: Option<Arc<Semaphore>>,
    max_in_flight: usize,
    wait: Duration,
}

/// Held while a request's operation runs.
#[derive(Debug)]
pub struct Admitted {
    _permit: Option<OwnedSemaphorePermit>,
}

impl Admission {
    /// At most `max_in_flight` at once (0: no bound); a request waits up
    /// to `wait` for a permit.
    pub fn new(max_in_flight: usize, wait: Duration) -> Admission {
        Admission {
            permits: (max_in_flight > 0).then(|| Arc::new(Semaphore::new(max_in_flight))),
            max_in_flight,
            wait,
        }
    }

    pub fn unbounded() -> Admission {
        Admission::new(0, Duration::ZERO)
    }

    pub async fn enter(&self) -> Result<Admitted, OverloadError> {
        let Some(permits) = &self.permits else {
            return Ok(Admitted { _permit: None });
        };
        // The common case takes no lock: one atomic update.
        if let Ok(permit) = permits.clone().try_acquire_owned() {
            return Ok(Admitted {
                _permit: Some(permit),
            });
        }
        // Tokio's semaphore is fair: waiters are admitted in arrival order.
        match tokio::time::timeout(self.wait, permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Admitted {
                _permit: Some(permit),
            }),
            _ => Err(OverloadError::AtCapacity {
                max_in_flight: self.max_in_flight,
            }),
        }
    }

    /// Requests being worked on now.
    pub fn in_flight(&self) -> usize {
        self.permits.as_ref().map_or(0, |permits| {
            self.max_in_flight - permits.available_permits()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_burst_then_is_throttled_and_keys_are_separate() {
        let limits = RateLimits::new(RateLimitSettings {
            per_second: 1,
            burst: 3,
        });
        for _ in 0..3 {
            limits.check("A").expect("within the burst");
        }
        let refused = limits.check("A").expect_err("past the burst");
        match &refused {
            OverloadError::Throttled {
                access_key_id,
                per_second,
                burst,
                retry_after,
            } => {
                assert_eq!((access_key_id.as_str(), *per_second, *burst), ("A", 1, 3));
                assert!(*retry_after <= Duration::from_secs(1), "{retry_after:?}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(refused.retry_after_seconds(), 1);
        assert!(refused.to_string().contains("access key A"), "{refused}");
        assert!(refused.to_string().contains("1 requests per second"));
        limits.check("B").expect("another key has its own bucket");
        assert_eq!(limits.buckets(), 2);
    }

    #[test]
    fn off_never_throttles_and_holds_nothing() {
        let limits = RateLimits::off();
        for _ in 0..10_000 {
            limits.check("A").unwrap();
        }
        assert_eq!(limits.buckets(), 0);
    }

    #[test]
    fn each_service_names_the_refusals_as_aws_does() {
        let throttled = OverloadError::Throttled {
            access_key_id: "K".into(),
            per_second: 2,
            burst: 4,
            retry_after: Duration::from_millis(1500),
        };
        let full = OverloadError::AtCapacity { max_in_flight: 8 };
        let shapes = [
            (
                crate::connect::errors::overload(&throttled),
                429,
                "ThrottlingException",
                2,
            ),
            (
                crate::connect::errors::overload(&full),
                429,
                "ThrottlingException",
                1,
            ),
            (
                crate::chime::overload(&throttled),
                429,
                "ThrottledClientException",
                2,
            ),
            (
                crate::chime::overload(&full),
                503,
                "ServiceUnavailableException",
                1,
            ),
        ];
        for (error, status, error_type, retry_after) in shapes {
            assert_eq!(
                (
                    error.status.as_u16(),
                    error.error_type,
                    error.retry_after_seconds
                ),
                (status, error_type, Some(retry_after)),
                "{error:?}"
            );
        }
    }

    #[tokio::test]
    async fn admission_refuses_after_the_wait_and_frees_permits() {
        let admission = Admission::new(2, Duration::from_millis(20));
        let first = admission.enter().await.unwrap();
        let _second = admission.enter().await.unwrap();
        assert_eq!(admission.in_flight(), 2);
        assert_eq!(
            admission.enter().await.unwrap_err(),
            OverloadError::AtCapacity { max_in_flight: 2 }
        );
        drop(first);
        admission.enter().await.expect("a permit was returned");
    }

    #[tokio::test]
    async fn a_waiting_request_gets_a_permit_returned_within_the_wait() {
        let admission = Arc::new(Admission::new(1, Duration::from_secs(10)));
        let held = admission.enter().await.unwrap();
        let waiter = tokio::spawn({
            let admission = admission.clone();
            async move { admission.enter().await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        waiter
            .await
            .unwrap()
            .expect("admitted once the permit came back");
    }
}
