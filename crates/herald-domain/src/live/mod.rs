//! The live view of one user's notifications: widget session tokens, and
//! the event stream that keeps an open widget current.
//!
//! Every committed change is announced on the [`ChangeFeed`] (ids only);
//! each node's [`LiveHub`] hears every announcement, reads what changed
//! once, and routes it to the streams of the users concerned. A stream
//! starts with a snapshot (or, on reconnect, with the events it missed if
//! this node still holds them), then follows the changes, the expiries of
//! what it shows, and the user's unread count after each change.

mod hub;
pub mod session;
mod stream;

use std::sync::Arc;

use herald_store::feed::ChangeFeed;
use herald_store::{Store, UserNotification};
use tokio::sync::mpsc;

pub use hub::{EventItem, HubBody, HubEvent, REPLAY_WINDOW};
pub use session::{SessionTokens, TokenRefusal, WidgetGrant};

/// The most notifications a snapshot carries (visible ones: not HIDDEN).
pub const SNAPSHOT_ITEMS: usize = 100;
/// Unread counts stop at this many ("999+").
pub const UNREAD_CAP: u32 = 1000;

/// What a stream sends, in order. `id` names the position in this node's
/// numbering that the client has seen everything up to.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// Everything the client should show, replacing what it has.
    Snapshot {
        id: String,
        items: Vec<UserNotification>,
        unread: Unread,
    },
    /// A change the user can see.
    Change {
        id: String,
        event: Arc<HubEvent>,
    },
    /// A notification the stream showed has expired.
    Expired {
        id: String,
        notification_id: String,
    },
    Unread {
        id: String,
        unread: Unread,
    },
}

/// The user's count of UNREAD, unexpired notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unread {
    pub count: u32,
    /// There are at least `count`, perhaps more.
    pub capped: bool,
}

/// Whose stream: the user, by the store's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSubject {
    pub instance_seq: i64,
    pub user_seq: i64,
}

#[derive(Clone)]
pub struct LiveHub {
    shared: Arc<hub::HubShared>,
}

impl LiveHub {
    /// Starts hearing `feed`; call [`LiveHub::stop`] to end every stream.
    pub fn start(
        store: Arc<dyn Store>,
        feed: Arc<dyn ChangeFeed>,
        clock: Arc<dyn crate::Clock>,
    ) -> Self {
        let shared = Arc::new(hub::HubShared::new(store, clock));
        tokio::spawn(shared.clone().run(feed));
        LiveHub { shared }
    }

    /// A stream of `subject`'s events. `last_event_id` is the SSE
    /// `Last-Event-ID` of a reconnecting client. The stream ends when the
    /// receiver is dropped, the hub stops, or at `until` (the token's
    /// expiry: the client's reconnect is then refused).
    pub fn open(
        &self,
        subject: StreamSubject,
        last_event_id: Option<&str>,
        until: jiff::Timestamp,
    ) -> mpsc::Receiver<LiveEvent> {
        let last_seen = last_event_id.and_then(|id| self.parse_id(id));
        let subscription = self
            .shared
            .subscribe(subject.instance_seq, subject.user_seq, last_seen);
        let (sender, receiver) = mpsc::channel(16);
        tokio::spawn(stream::run(
            self.shared.clone(),
            subject,
            subscription,
            sender,
            until,
        ));
        receiver
    }

    /// Ends every stream (at shutdown, so that open streams do not hold
    /// the server up).
    pub fn stop(&self) {
        let _ = self.shared.stop.send(true);
    }

    /// `epoch-seq` of this hub, or `None` (another node's or an earlier
    /// process's numbering: the client gets a snapshot).
    fn parse_id(&self, id: &str) -> Option<u64> {
        let (epoch, seq) = id.split_once('-')?;
        (epoch == self.shared.epoch).then(|| seq.parse().ok())?
    }
}

pub(crate) fn event_id(epoch: &str, seq: u64) -> String {
    format!("{epoch}-{seq}")
}

/// Resolves once the hub stops (the watch's guard is not held across an
/// await, so the waiting future stays `Send`).
pub(crate) async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await.map(|_| ());
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_store::feed::{Change, ChangeAudience, ChangeKind, LocalFeed};
    use herald_store::sqlite::SqliteStore;
    use std::time::Duration;

    fn seq_of(id: &str) -> u64 {
        id.rsplit('-').next().unwrap().parse().unwrap()
    }

    /// A hub on a fresh store, and one stream (user 7 of instance 1) past
    /// its first snapshot.
    async fn open_stream() -> (
        tempfile::TempDir,
        LiveHub,
        Arc<LocalFeed>,
        mpsc::Receiver<LiveEvent>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
        let feed = Arc::new(LocalFeed::new());
        let hub = LiveHub::start(store, feed.clone(), Arc::new(crate::SystemClock));
        let subject = StreamSubject {
            instance_seq: 1,
            user_seq: 7,
        };
        let mut stream = hub.open(
            subject,
            None,
            jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1),
        );
        let first = tokio::time::timeout(Duration::from_secs(5), stream.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(first, LiveEvent::Snapshot { .. }), "{first:?}");
        (dir, hub, feed, stream)
    }

    #[tokio::test]
    async fn a_stream_that_falls_behind_gets_a_snapshot_and_nothing_older_after_it() {
        let (_dir, hub, feed, mut stream) = open_stream().await;

        // Far more than the stream's backlog, while the client reads nothing.
        for i in 0..1000 {
            let change = Change {
                instance_seq: 1,
                notification_id: format!("n{i}"),
                kind: ChangeKind::Deleted,
                audience: ChangeAudience::Users(vec![7]),
            };
            feed.publish(&change).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;

        let mut snapshot_at = None;
        while let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(500), stream.recv()).await
        {
            match event {
                LiveEvent::Snapshot { id, .. } => snapshot_at = Some(seq_of(&id)),
                LiveEvent::Change { id, .. } => {
                    if let Some(at) = snapshot_at {
                        assert!(
                            seq_of(&id) > at,
                            "event {id} is older than the snapshot at {at}"
                        );
                    }
                }
                _ => {}
            }
        }
        assert_eq!(snapshot_at, Some(1000), "the lagging stream was refreshed");
        hub.stop();
    }

    #[tokio::test]
    async fn a_created_notification_gone_before_a_stream_reads_it_sends_nothing() {
        let (_dir, hub, feed, mut stream) = open_stream().await;

        // The hub no longer reads a created notification up front; the
        // stream finds it gone and says nothing of it.
        for (id, kind) in [
            ("ghost", ChangeKind::Created),
            ("other", ChangeKind::Deleted),
        ] {
            let change = Change {
                instance_seq: 1,
                notification_id: id.into(),
                kind,
                audience: ChangeAudience::Users(vec![7]),
            };
            feed.publish(&change).await.unwrap();
        }
        loop {
            let event = tokio::time::timeout(Duration::from_secs(5), stream.recv())
                .await
                .unwrap()
                .unwrap();
            match event {
                LiveEvent::Change { event, .. } => {
                    assert!(
                        matches!(&event.body, HubBody::Deleted { notification_id } if notification_id == "other"),
                        "{event:?}"
                    );
                    break;
                }
                LiveEvent::Unread { .. } => {}
                other => panic!("{other:?}"),
            }
        }
        hub.stop();
    }
}
