//! Push delivery records: Herald's own listing, and the queue a webhook
//! worker drains (at least once, with exponential backoff).

use std::time::Duration;

use herald_store::chime::DeliveryRecord;
use jiff::Timestamp;

use super::ChimeService;
use super::arn::{self, ChimeResource};
use super::error::{ChimeResult, bad_request};
use super::validate;
use crate::Caller;

/// The first retry waits this long; each later one twice as long as the
/// one before, up to [`MAX_RETRY_DELAY`].
pub const FIRST_RETRY_DELAY: Duration = Duration::from_secs(1);
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);
/// How long a worker holds deliveries it took: longer than one webhook
/// call may last, so no other worker takes them meanwhile.
pub const DELIVERY_LEASE: Duration = Duration::from_secs(20);

/// The wait before the next attempt, after `attempts` failed ones.
pub fn retry_delay(attempts: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX);
    FIRST_RETRY_DELAY
        .checked_mul(factor)
        .map_or(MAX_RETRY_DELAY, |delay| delay.min(MAX_RETRY_DELAY))
}

fn later(now: Timestamp, delay: Duration) -> Timestamp {
    now.checked_add(jiff::SignedDuration::try_from(delay).unwrap_or(jiff::SignedDuration::MAX))
        .unwrap_or(now)
}

impl ChimeService {
    /// The deliveries of one message. Delivery records outlive channels, so
    /// the channel need not exist any more; one of another account lists
    /// nothing.
    pub async fn list_push_deliveries(
        &self,
        caller: &Caller,
        channel_arn: Option<&str>,
        message_id: Option<&str>,
    ) -> ChimeResult<Vec<DeliveryRecord>> {
        let channel_arn = validate::required(channel_arn, "channelArn")?;
        let message_id = validate::required(message_id, "messageId")?;
        validate::length(message_id, "messageId", 1, 128)?;
        let parsed = arn::parse(channel_arn)
            .filter(|parsed| matches!(parsed.resource, ChimeResource::Channel { .. }))
            .ok_or_else(|| {
                bad_request(format!("channelArn '{channel_arn}' is not a channel ARN."))
            })?;
        if parsed.account_id != caller.account_id || parsed.region != self.region {
            return Ok(Vec::new());
        }
        Ok(self.store.list_deliveries(channel_arn, message_id).await?)
    }

    /// Pending deliveries that are due, leased to the caller for
    /// [`DELIVERY_LEASE`].
    pub async fn take_due_deliveries(&self, limit: u32) -> ChimeResult<Vec<DeliveryRecord>> {
        let now = self.clock.now();
        Ok(self
            .store
            .claim_due_deliveries(now, later(now, DELIVERY_LEASE), limit)
            .await?)
    }

    pub async fn delivery_acknowledged(&self, delivery: &DeliveryRecord) -> ChimeResult<()> {
        Ok(self.store.mark_delivered(delivery.seq).await?)
    }

    /// Schedules the next attempt after a failed one.
    pub async fn delivery_failed(&self, delivery: &DeliveryRecord) -> ChimeResult<Timestamp> {
        let next = later(self.clock.now(), retry_delay(delivery.attempts + 1));
        self.store.reschedule_delivery(delivery.seq, next).await?;
        Ok(next)
    }

    /// Forgets request claims older than the claim lifetime.
    pub async fn forget_old_claims(&self, limit: u32) -> ChimeResult<u64> {
        let cutoff =
            self.clock.now() - jiff::SignedDuration::from_millis(herald_store::CLIENT_TOKEN_TTL_MS);
        Ok(self.store.forget_request_claims(cutoff, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(retry_delay(1), Duration::from_secs(1));
        assert_eq!(retry_delay(2), Duration::from_secs(2));
        assert_eq!(retry_delay(3), Duration::from_secs(4));
        assert_eq!(retry_delay(9), Duration::from_secs(256));
        assert_eq!(retry_delay(10), MAX_RETRY_DELAY);
        assert_eq!(retry_delay(1000), MAX_RETRY_DELAY);
    }
}
