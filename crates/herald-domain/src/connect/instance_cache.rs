//! Instances kept in memory between requests.
//!
//! Every Connect request names its instance, so without this each one
//! would begin with the same store read. An instance record never changes
//! once created (the store has no update for it); only its deletion can
//! make a kept copy wrong. A deletion here forgets the copy at once;
//! one on another node does when its announcement arrives through the
//! feed, and a missed announcement (a feed gap) forgets every copy. As a
//! last bound, a copy is trusted for [`TRUSTED_FOR`] only, so even a lost
//! announcement leaves another node's copy stale for seconds at most:
//! the same answer as a request that raced the deletion.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use herald_store::InstanceRecord;
use herald_store::feed::{ChangeAudience, ChangeFeed, ChangeKind, FeedSignal};
use quick_cache::Equivalent;
use quick_cache::sync::Cache;
use tokio::sync::broadcast::error::RecvError;

/// How long a kept copy is used before the store is asked again.
const TRUSTED_FOR: Duration = Duration::from_secs(5);
/// Instances kept at most; an account has few, so this holds every
/// instance a node serves in any real deployment.
const CAPACITY: usize = 10_000;

type Key = (String, String);

/// A [`Key`] borrowed, so that a lookup (every Connect request makes one)
/// allocates nothing. It hashes as `Key` does: a tuple and a tuple struct
/// both hash their fields in order, and `String` hashes as `str`.
#[derive(Hash)]
struct KeyRef<'a>(&'a str, &'a str);

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.0 == key.0 && self.1 == key.1
    }
}

pub(super) struct InstanceCache {
    /// By (account id, instance id), with when it was read.
    entries: Cache<Key, (Arc<InstanceRecord>, Instant)>,
    /// How long a kept copy is used ([`TRUSTED_FOR`]; shorter in tests).
    trusted_for: Duration,
    /// Counts forgettings: a copy read from the store before one is not
    /// kept after it (the read may have seen the instance just deleted).
    forgotten: AtomicU64,
}

/// What [`InstanceCache::before_read`] saw, for [`InstanceCache::keep`].
pub(super) struct ReadTicket(u64);

impl InstanceCache {
    /// A cache that hears `feed` for deletions made on any node. Needs a
    /// Tokio runtime (the listener is a task, ending when the feed does).
    pub(super) fn new(feed: &Arc<dyn ChangeFeed>) -> Arc<InstanceCache> {
        Self::trusting_for(feed, TRUSTED_FOR)
    }

    fn trusting_for(feed: &Arc<dyn ChangeFeed>, trusted_for: Duration) -> Arc<InstanceCache> {
        let cache = Arc::new(InstanceCache {
            entries: Cache::new(CAPACITY),
            trusted_for,
            forgotten: AtomicU64::new(0),
        });
        let mut signals = feed.subscribe();
        let listener = Arc::downgrade(&cache);
        tokio::spawn(async move {
            loop {
                let signal = signals.recv().await;
                let Some(cache) = listener.upgrade() else {
                    return;
                };
                match signal {
                    Ok(FeedSignal::Change(change)) => {
                        if change.kind == ChangeKind::SubjectDeleted
                            && change.audience == ChangeAudience::Instance
                        {
                            cache.forget(change.instance_seq);
                        }
                    }
                    Ok(FeedSignal::Gap) | Err(RecvError::Lagged(_)) => cache.forget_all(),
                    Err(RecvError::Closed) => return,
                }
            }
        });
        cache
    }

    pub(super) fn get(&self, account_id: &str, instance_id: &str) -> Option<Arc<InstanceRecord>> {
        let key = KeyRef(account_id, instance_id);
        let (record, read_at) = self.entries.get(&key)?;
        if read_at.elapsed() < self.trusted_for {
            Some(record)
        } else {
            self.entries.remove(&key);
            None
        }
    }

    /// Taken before reading an instance from the store.
    pub(super) fn before_read(&self) -> ReadTicket {
        ReadTicket(self.forgotten.load(Ordering::Acquire))
    }

    /// Keeps a copy read after `ticket` was taken, unless something was
    /// forgotten since.
    pub(super) fn keep(&self, record: Arc<InstanceRecord>, ticket: ReadTicket) {
        let key = (record.account_id.clone(), record.id.clone());
        self.entries.insert(key.clone(), (record, Instant::now()));
        // Checked after inserting: a forgetting that began after the read
        // either removed this copy or had not reached it, so it goes now.
        if self.forgotten.load(Ordering::Acquire) != ticket.0 {
            self.entries.remove(&key);
        }
    }

    /// Forgets the instance of this seq (deleted). Walks the kept copies:
    /// deletions are rare, and the cache is small.
    pub(super) fn forget(&self, instance_seq: i64) {
        self.forgotten.fetch_add(1, Ordering::AcqRel);
        self.entries
            .retain(|_, (record, _)| record.seq != instance_seq);
    }

    fn forget_all(&self) {
        self.forgotten.fetch_add(1, Ordering::AcqRel);
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use herald_store::feed::{Change, LocalFeed};
    use jiff::Timestamp;

    use super::*;

    fn record(seq: i64, id: &str) -> Arc<InstanceRecord> {
        Arc::new(InstanceRecord {
            seq,
            account_id: "000000000000".into(),
            id: id.into(),
            arn: format!("arn:aws:connect:us-east-1:000000000000:instance/{id}"),
            alias: None,
            identity_management_type: "CONNECT_MANAGED".into(),
            inbound_calls_enabled: true,
            outbound_calls_enabled: true,
            tags: Default::default(),
            created_at: Timestamp::UNIX_EPOCH,
        })
    }

    async fn eventually(mut check: impl FnMut() -> bool) -> bool {
        for _ in 0..200 {
            if check() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        false
    }

    #[tokio::test]
    async fn a_deletion_announced_by_any_node_forgets_only_that_instance() {
        let feed: Arc<dyn ChangeFeed> = Arc::new(LocalFeed::new());
        let cache = InstanceCache::new(&feed);
        cache.keep(record(1, "a"), cache.before_read());
        cache.keep(record(2, "b"), cache.before_read());
        assert_eq!(cache.get("000000000000", "a").map(|r| r.seq), Some(1));
        assert!(
            cache.get("111111111111", "a").is_none(),
            "another account's"
        );

        feed.publish(&Change {
            instance_seq: 1,
            notification_id: String::new(),
            kind: ChangeKind::SubjectDeleted,
            audience: ChangeAudience::Instance,
        })
        .await
        .expect("publish");
        assert!(eventually(|| cache.get("000000000000", "a").is_none()).await);
        assert_eq!(cache.get("000000000000", "b").map(|r| r.seq), Some(2));

        // A user's deletion is not the instance's.
        feed.publish(&Change {
            instance_seq: 2,
            notification_id: String::new(),
            kind: ChangeKind::SubjectDeleted,
            audience: ChangeAudience::Users(vec![7]),
        })
        .await
        .expect("publish");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(cache.get("000000000000", "b").map(|r| r.seq), Some(2));
    }

    /// A read that began before a deletion must not put back what the
    /// deletion forgot.
    #[tokio::test]
    async fn a_read_from_before_a_deletion_is_not_kept() {
        let feed: Arc<dyn ChangeFeed> = Arc::new(LocalFeed::new());
        let cache = InstanceCache::new(&feed);
        let ticket = cache.before_read();
        cache.forget(1);
        cache.keep(record(1, "a"), ticket);
        assert!(cache.get("000000000000", "a").is_none());
        cache.keep(record(1, "a"), cache.before_read());
        assert!(cache.get("000000000000", "a").is_some());
    }

    /// Even with no announcement at all, a copy is used for a bounded time.
    #[tokio::test]
    async fn a_copy_is_trusted_for_a_bounded_time_only() {
        let feed: Arc<dyn ChangeFeed> = Arc::new(LocalFeed::new());
        let cache = InstanceCache::trusting_for(&feed, Duration::from_millis(50));
        cache.keep(record(1, "a"), cache.before_read());
        assert!(cache.get("000000000000", "a").is_some());
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(cache.get("000000000000", "a").is_none());
    }

    /// Announcements the listener missed (it fell behind) may have held
    /// a deletion.
    #[tokio::test]
    async fn missed_announcements_forget_everything() {
        let feed: Arc<dyn ChangeFeed> = Arc::new(LocalFeed::new());
        let cache = InstanceCache::new(&feed);
        cache.keep(record(1, "a"), cache.before_read());
        // On this single-threaded runtime the listener runs only when the
        // test waits, so it falls behind by the whole burst.
        for n in 0..=herald_store::feed::FEED_CAPACITY {
            feed.publish(&Change {
                instance_seq: 2,
                notification_id: format!("n{n}"),
                kind: ChangeKind::Created,
                audience: ChangeAudience::Instance,
            })
            .await
            .expect("publish");
        }
        assert!(eventually(|| cache.get("000000000000", "a").is_none()).await);
    }
}
