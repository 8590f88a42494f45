//! One node's live hub: it hears every committed change from the feed,
//! numbers it, keeps the newest ones for replay, and routes it to the
//! streams of the users it concerns. What a change touched is read once,
//! when the first stream needs it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use herald_store::feed::{ChangeAudience, ChangeFeed, ChangeKind, FeedSignal};
use herald_store::{Notification, Store, UserStatus};
use tokio::sync::{Semaphore, broadcast, mpsc, watch};

use super::stopped;

/// How many events are kept for clients that reconnect: one that missed
/// more (or reconnects to another node, or after a restart) gets a fresh
/// snapshot instead.
pub const REPLAY_WINDOW: usize = 8192;
/// How far one stream may fall behind before it is sent a snapshot.
const STREAM_BACKLOG: usize = 256;
/// Unread counts computed at once, across all streams: a change seen by
/// thousands of streams must not starve the store of connections.
const COUNT_PERMITS: usize = 4;
/// Snapshots read at once, for the same reason (a refresh of every stream
/// after a gap).
const SNAPSHOT_PERMITS: usize = 4;

/// A change as streams see it: numbered on this node, with what it
/// touched read once for every stream.
#[derive(Debug)]
pub struct HubEvent {
    pub seq: u64,
    pub instance_seq: i64,
    pub audience: ChangeAudience,
    pub body: HubBody,
}

#[derive(Debug)]
pub enum HubBody {
    /// Created (new, so UNREAD for everyone), or its content changed.
    Upsert {
        notification_id: String,
        notification: EventItem,
        created: bool,
    },
    Deleted {
        notification_id: String,
    },
    Status {
        notification_id: String,
        status: UserStatus,
        /// The notification, so that a client not showing it (it was
        /// HIDDEN) can show it again.
        notification: EventItem,
    },
}

/// An event's notification, read the first time a stream needs it and then
/// kept for every other stream (and for replays). Most changes reach no
/// open stream (an API-driven load has none), so the hub does not read it
/// up front: that was a store read for every create and status write. A
/// failed read is not kept: the next stream that needs it reads again.
#[derive(Debug, Default)]
pub struct EventItem(tokio::sync::OnceCell<Option<Box<Notification>>>);

/// The store failed to read an event's notification.
#[derive(Debug)]
pub struct Unreadable;

impl EventItem {
    /// The notification if a stream has read it; `None` before that, or
    /// when it is gone.
    pub fn get(&self) -> Option<&Notification> {
        self.0.get().and_then(Option::as_deref)
    }

    /// Reads it once (later calls wait for the first and share its
    /// answer); `Ok(None)` when it was deleted since (its own event
    /// follows).
    pub(super) async fn read(
        &self,
        store: &dyn Store,
        instance_seq: i64,
        notification_id: &str,
    ) -> Result<Option<&Notification>, Unreadable> {
        self.0
            .get_or_try_init(|| async {
                match store.get_notification(instance_seq, notification_id).await {
                    Ok(found) => Ok(found.map(|n| Box::new(for_streams(n)))),
                    Err(error) => {
                        tracing::warn!(%error, "a live event's notification could not be read");
                        Err(Unreadable)
                    }
                }
            })
            .await
            .map(Option::as_deref)
    }
}

impl HubEvent {
    pub fn concerns(&self, instance_seq: i64, user_seq: i64) -> bool {
        self.instance_seq == instance_seq
            && match &self.audience {
                ChangeAudience::Instance => true,
                ChangeAudience::Users(users) => users.contains(&user_seq),
            }
    }
}

/// Where one stream hears its events: in order, on one channel.
struct StreamHandle {
    sender: mpsc::Sender<Arc<HubEvent>>,
    /// Set when an event did not fit: the stream must send a snapshot.
    lagged: Arc<AtomicBool>,
}

impl StreamHandle {
    fn deliver(&self, event: &Arc<HubEvent>) {
        if self.sender.try_send(event.clone()).is_err() {
            self.lagged.store(true, Ordering::Release);
        }
    }
}

#[derive(Default)]
struct Room {
    /// The streams of each user of the instance, by stream id.
    users: HashMap<i64, HashMap<u64, StreamHandle>>,
}

#[derive(Default)]
struct Routing {
    /// The seq of the newest event (0: none yet).
    head: u64,
    /// Announcements may have been missed after this seq: a client that
    /// saw no later event cannot be replayed to.
    gap_at: Option<u64>,
    next_stream: u64,
    recent: VecDeque<Arc<HubEvent>>,
    rooms: HashMap<i64, Room>,
}

pub(super) struct HubShared {
    pub(super) store: Arc<dyn Store>,
    pub(super) clock: Arc<dyn crate::Clock>,
    /// Names this hub's numbering; ids from another epoch cannot be
    /// replayed here.
    pub(super) epoch: String,
    routing: Mutex<Routing>,
    pub(super) count_permits: Semaphore,
    pub(super) snapshot_permits: Semaphore,
    pub(super) stop: watch::Sender<bool>,
    /// Bumped when announcements may have been missed: every stream
    /// sends a fresh snapshot.
    pub(super) refresh: watch::Sender<u64>,
}

/// One stream's place in the hub and where it starts.
pub(super) struct Subscription {
    pub(super) events: mpsc::Receiver<Arc<HubEvent>>,
    pub(super) lagged: Arc<AtomicBool>,
    /// Every event up to `head` was routed before the subscription.
    pub(super) head: u64,
    /// Events after the client's last one, if the window still holds
    /// them all.
    pub(super) replay: Option<Vec<Arc<HubEvent>>>,
    pub(super) guard: RoomGuard,
}

/// Takes a stream's route out of the hub when the stream ends.
pub(super) struct RoomGuard {
    shared: Arc<HubShared>,
    instance_seq: i64,
    user_seq: i64,
    stream: u64,
}

impl Drop for RoomGuard {
    fn drop(&mut self) {
        let mut routing = self.shared.routing();
        let Some(room) = routing.rooms.get_mut(&self.instance_seq) else {
            return;
        };
        if let Some(streams) = room.users.get_mut(&self.user_seq) {
            streams.remove(&self.stream);
            if streams.is_empty() {
                room.users.remove(&self.user_seq);
            }
        }
        if room.users.is_empty() {
            routing.rooms.remove(&self.instance_seq);
        }
    }
}

impl HubShared {
    pub(super) fn new(store: Arc<dyn Store>, clock: Arc<dyn crate::Clock>) -> Self {
        HubShared {
            store,
            clock,
            epoch: format!("{:08x}", rand_epoch()),
            routing: Mutex::new(Routing::default()),
            count_permits: Semaphore::new(COUNT_PERMITS),
            snapshot_permits: Semaphore::new(SNAPSHOT_PERMITS),
            stop: watch::channel(false).0,
            refresh: watch::channel(0).0,
        }
    }

    fn routing(&self) -> MutexGuard<'_, Routing> {
        // A panic elsewhere while routing must not stop every stream.
        self.routing.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn subscribe(
        self: &Arc<Self>,
        instance_seq: i64,
        user_seq: i64,
        last_seen: Option<u64>,
    ) -> Subscription {
        let mut routing = self.routing();
        let head = routing.head;
        let replay = last_seen.and_then(|last| {
            let oldest = routing.recent.front().map_or(head + 1, |event| event.seq);
            // Replayable when nothing after `last` has left the window
            // and no announcement was missed since.
            let no_gap_since = routing.gap_at.is_none_or(|gap| last > gap);
            (last <= head && last + 1 >= oldest && no_gap_since).then(|| {
                routing
                    .recent
                    .iter()
                    .filter(|event| event.seq > last && event.concerns(instance_seq, user_seq))
                    .cloned()
                    .collect()
            })
        });
        routing.next_stream += 1;
        let stream = routing.next_stream;
        let (sender, events) = mpsc::channel(STREAM_BACKLOG);
        let lagged = Arc::new(AtomicBool::new(false));
        routing
            .rooms
            .entry(instance_seq)
            .or_default()
            .users
            .entry(user_seq)
            .or_default()
            .insert(
                stream,
                StreamHandle {
                    sender,
                    lagged: lagged.clone(),
                },
            );
        Subscription {
            events,
            lagged,
            head,
            replay,
            guard: RoomGuard {
                shared: self.clone(),
                instance_seq,
                user_seq,
                stream,
            },
        }
    }

    fn route(&self, instance_seq: i64, audience: ChangeAudience, body: HubBody) {
        let mut routing = self.routing();
        routing.head += 1;
        let event = Arc::new(HubEvent {
            seq: routing.head,
            instance_seq,
            audience,
            body,
        });
        if routing.recent.len() == REPLAY_WINDOW {
            routing.recent.pop_front();
        }
        routing.recent.push_back(event.clone());
        let Some(room) = routing.rooms.get(&instance_seq) else {
            return;
        };
        match &event.audience {
            ChangeAudience::Instance => {
                for stream in room.users.values().flat_map(HashMap::values) {
                    stream.deliver(&event);
                }
            }
            ChangeAudience::Users(users) => {
                for stream in users
                    .iter()
                    .filter_map(|user| room.users.get(user))
                    .flat_map(HashMap::values)
                {
                    stream.deliver(&event);
                }
            }
        }
    }

    /// The seq of the newest event routed.
    pub(super) fn head(&self) -> u64 {
        self.routing().head
    }

    fn refresh_all(&self) {
        {
            let mut routing = self.routing();
            routing.gap_at = Some(routing.head);
        }
        self.refresh.send_modify(|generation| *generation += 1);
    }

    /// Ends the streams of deleted users (or of a deleted instance):
    /// dropping their senders ends them.
    fn close(&self, instance_seq: i64, audience: &ChangeAudience) {
        let mut routing = self.routing();
        match audience {
            ChangeAudience::Instance => {
                routing.rooms.remove(&instance_seq);
            }
            ChangeAudience::Users(users) => {
                if let Some(room) = routing.rooms.get_mut(&instance_seq) {
                    for user in users {
                        room.users.remove(user);
                    }
                }
            }
        }
    }

    /// Hears the feed until the hub stops.
    pub(super) async fn run(self: Arc<Self>, feed: Arc<dyn ChangeFeed>) {
        let mut signals = feed.subscribe();
        let mut stop = self.stop.subscribe();
        loop {
            let signal = tokio::select! {
                signal = signals.recv() => signal,
                () = stopped(&mut stop) => return,
            };
            let change = match signal {
                Ok(FeedSignal::Change(change)) => change,
                Ok(FeedSignal::Gap) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    tracing::info!("live events may have been missed: every stream refreshes");
                    self.refresh_all();
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            let body = match &change.kind {
                ChangeKind::Created | ChangeKind::ContentUpdated => HubBody::Upsert {
                    notification_id: change.notification_id.clone(),
                    notification: EventItem::default(),
                    created: change.kind == ChangeKind::Created,
                },
                ChangeKind::Deleted => HubBody::Deleted {
                    notification_id: change.notification_id.clone(),
                },
                ChangeKind::SubjectDeleted => {
                    self.close(change.instance_seq, &change.audience);
                    continue;
                }
                ChangeKind::Status(status) => match UserStatus::parse(status) {
                    Some(status) => HubBody::Status {
                        notification_id: change.notification_id.clone(),
                        status,
                        notification: EventItem::default(),
                    },
                    None => {
                        tracing::warn!(status, "an announced status is unknown; ignored");
                        continue;
                    }
                },
            };
            self.route(change.instance_seq, change.audience.clone(), body);
        }
    }
}

/// What streams need of a notification: not its recipients (up to 200
/// ARNs) nor its tags, which the replay window would otherwise hold
/// thousands of.
fn for_streams(mut notification: Notification) -> Notification {
    notification.recipients = Vec::new();
    notification.tags = Default::default();
    notification
}

fn rand_epoch() -> u32 {
    // Distinct per process start; uuid's generator is already here.
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_store::sqlite::SqliteStore;

    async fn hub() -> (Arc<HubShared>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
        (
            Arc::new(HubShared::new(store, Arc::new(crate::SystemClock))),
            dir,
        )
    }

    fn deleted(hub: &HubShared, instance_seq: i64, users: Vec<i64>) {
        hub.route(
            instance_seq,
            ChangeAudience::Users(users),
            HubBody::Deleted {
                notification_id: "n".into(),
            },
        );
    }

    fn replayed(subscription: &Subscription) -> Option<Vec<u64>> {
        subscription
            .replay
            .as_ref()
            .map(|events| events.iter().map(|event| event.seq).collect())
    }

    #[tokio::test]
    async fn replay_gives_the_missed_events_of_the_user_only() {
        let (hub, _dir) = hub().await;
        deleted(&hub, 1, vec![7]); // 1
        deleted(&hub, 1, vec![8]); // 2: another user
        deleted(&hub, 2, vec![7]); // 3: another instance
        hub.route(
            1,
            ChangeAudience::Instance,
            HubBody::Deleted {
                notification_id: "b".into(),
            },
        ); // 4: everyone in instance 1
        let subscription = hub.subscribe(1, 7, Some(0));
        assert_eq!(subscription.head, 4);
        assert_eq!(replayed(&subscription), Some(vec![1, 4]));
        assert_eq!(replayed(&hub.subscribe(1, 7, Some(1))), Some(vec![4]));
        assert_eq!(replayed(&hub.subscribe(1, 7, Some(4))), Some(vec![]));
        // An id from the future, or none: a snapshot.
        assert_eq!(replayed(&hub.subscribe(1, 7, Some(5))), None);
        assert_eq!(replayed(&hub.subscribe(1, 7, None)), None);
    }

    #[tokio::test]
    async fn no_replay_reaches_past_the_window_or_a_gap() {
        let (hub, _dir) = hub().await;
        for _ in 0..REPLAY_WINDOW + 10 {
            deleted(&hub, 1, vec![7]);
        }
        // Events 1..=10 have left the window.
        assert_eq!(replayed(&hub.subscribe(1, 7, Some(5))), None);
        assert_eq!(replayed(&hub.subscribe(1, 7, Some(9))), None);
        assert!(replayed(&hub.subscribe(1, 7, Some(10))).is_some());

        let before_gap = hub.head();
        hub.refresh_all();
        deleted(&hub, 1, vec![7]);
        assert_eq!(replayed(&hub.subscribe(1, 7, Some(before_gap))), None);
        assert_eq!(replayed(&hub.subscribe(1, 7, Some(before_gap - 1))), None);
        assert_eq!(
            replayed(&hub.subscribe(1, 7, Some(before_gap + 1))),
            Some(vec![])
        );
    }

    #[tokio::test]
    async fn events_reach_only_the_streams_they_concern_and_closing_ends_routes() {
        let (hub, _dir) = hub().await;
        let mut mine = hub.subscribe(1, 7, None);
        let mut other_tab = hub.subscribe(1, 7, None);
        let mut theirs = hub.subscribe(1, 8, None);
        deleted(&hub, 1, vec![7]);
        assert_eq!(mine.events.try_recv().unwrap().seq, 1);
        assert_eq!(other_tab.events.try_recv().unwrap().seq, 1);
        assert!(theirs.events.try_recv().is_err());

        // A dropped stream leaves no route behind; the others stay.
        drop(other_tab);
        assert_eq!(hub.routing().rooms[&1].users[&7].len(), 1);

        hub.close(1, &ChangeAudience::Users(vec![7]));
        assert!(mine.events.recv().await.is_none(), "the route was closed");
        deleted(&hub, 1, vec![8]);
        assert_eq!(theirs.events.try_recv().unwrap().seq, 2);
        drop(theirs);
        drop(mine);
        assert!(hub.routing().rooms.is_empty());
    }

    #[tokio::test]
    async fn a_stream_that_cannot_keep_up_is_marked_lagged() {
        let (hub, _dir) = hub().await;
        let subscription = hub.subscribe(1, 7, None);
        for _ in 0..STREAM_BACKLOG {
            deleted(&hub, 1, vec![7]);
        }
        assert!(!subscription.lagged.load(Ordering::Acquire));
        deleted(&hub, 1, vec![7]);
        assert!(subscription.lagged.load(Ordering::Acquire));
    }
}
