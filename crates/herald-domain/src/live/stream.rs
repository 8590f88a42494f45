//! One open stream: a snapshot or a replay, then the user's changes,
//! the expiries of what it shows, and the unread count after each change.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use herald_store::{StoreResult, UserListCursor, UserNotification, UserStatus};
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::hub::{HubBody, HubEvent, HubShared, Subscription};
use super::{LiveEvent, SNAPSHOT_ITEMS, StreamSubject, UNREAD_CAP, Unread, event_id, stopped};

/// Pages read at most to fill a snapshot with visible notifications.
const SNAPSHOT_PAGES: usize = 10;
/// The most notifications a stream watches the expiry of: what the client
/// shows (the snapshot and what arrived since); the client expires what it
/// shows by itself too.
const TRACKED: usize = 2 * SNAPSHOT_ITEMS;
/// When nothing else is due, look at the count again this often: an
/// unread notification beyond the capped count may expire unseen.
const RECOUNT_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

struct Stream {
    shared: Arc<HubShared>,
    subject: StreamSubject,
    out: mpsc::Sender<LiveEvent>,
    /// The newest hub event this client has been sent (or covered by a
    /// snapshot).
    last_seq: u64,
    /// What the client shows: id → expiry (ms), and expiries in order.
    shown: HashMap<String, i64>,
    expiries: BTreeSet<(i64, String)>,
    /// The count last sent and when it next drops by itself.
    unread: Option<Unread>,
    recount_at: Option<Timestamp>,
    count_stale: bool,
    /// An event's notification could not be read: a snapshot is due.
    needs_resync: bool,
}

/// The client went away or the hub stopped.
struct Ended;

pub(super) async fn run(
    shared: Arc<HubShared>,
    subject: StreamSubject,
    subscription: Subscription,
    out: mpsc::Sender<LiveEvent>,
    until: Timestamp,
) {
    let Subscription {
        mut events,
        lagged,
        head,
        replay,
        guard,
    } = subscription;
    let mut stream = Stream {
        shared: shared.clone(),
        subject,
        out,
        last_seq: head,
        shown: HashMap::new(),
        expiries: BTreeSet::new(),
        unread: None,
        recount_at: None,
        count_stale: true,
        needs_resync: false,
    };
    let mut stop = shared.stop.subscribe();
    let mut refresh = shared.refresh.subscribe();
    let left = (until.as_millisecond() - shared.clock.now().as_millisecond()).max(0);
    let expiry = tokio::time::sleep(std::time::Duration::from_millis(left as u64));
    tokio::pin!(expiry);
    let _ = refresh.borrow_and_update();
    let started = match replay {
        Some(missed) => stream.replay(missed).await,
        None => stream.snapshot().await,
    };
    if started.is_err() {
        return;
    }
    loop {
        let resync =
            lagged.swap(false, Ordering::AcqRel) | std::mem::take(&mut stream.needs_resync);
        if resync && stream.resync(&mut events).await.is_err() {
            break;
        }
        if stream.count_stale && stream.send_count().await.is_err() {
            break;
        }
        let wake = stream.next_wake();
        let step = tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            () = stream.out.closed() => break,
            () = &mut expiry => break,
            Ok(()) = refresh.changed() => stream.resync(&mut events).await,
            event = events.recv() => match event {
                Some(event) => stream.apply_ready(event, &mut events).await,
                // The hub closed the route: the user or instance was deleted.
                None => break,
            },
            () = tokio::time::sleep_until(wake) => stream.expire().await,
        };
        if step.is_err() {
            break;
        }
    }
    drop(guard);
}

impl Stream {
    fn now(&self) -> Timestamp {
        self.shared.clock.now()
    }

    fn id(&self) -> String {
        event_id(&self.shared.epoch, self.last_seq)
    }

    /// Waits for room in the client's queue, but not past a stop: a
    /// client that reads nothing must not hold the server's shutdown up.
    async fn send(&self, event: LiveEvent) -> Result<(), Ended> {
        let mut stop = self.shared.stop.subscribe();
        tokio::select! {
            sent = self.out.send(event) => sent.map_err(|_| Ended),
            () = stopped(&mut stop) => Err(Ended),
        }
    }

    fn show(&mut self, notification_id: &str, expires_ms: i64) {
        if let Some(old) = self.shown.insert(notification_id.to_owned(), expires_ms) {
            self.expiries.remove(&(old, notification_id.to_owned()));
        }
        self.expiries
            .insert((expires_ms, notification_id.to_owned()));
    }

    fn unshow(&mut self, notification_id: &str) {
        if let Some(old) = self.shown.remove(notification_id) {
            self.expiries.remove(&(old, notification_id.to_owned()));
        }
    }

    /// A snapshot, after throwing away what is queued: the snapshot is
    /// newer than all of it, and applying older events after it would
    /// show stale state.
    async fn resync(&mut self, events: &mut mpsc::Receiver<Arc<HubEvent>>) -> Result<(), Ended> {
        while events.try_recv().is_ok() {}
        self.snapshot().await
    }

    /// Applies `first` and every event already queued behind it, so that a
    /// burst of changes costs one count.
    async fn apply_ready(
        &mut self,
        first: Arc<HubEvent>,
        events: &mut mpsc::Receiver<Arc<HubEvent>>,
    ) -> Result<(), Ended> {
        self.apply(first).await?;
        // Once a snapshot is due, what is queued is thrown away by it.
        while !self.needs_resync
            && let Ok(event) = events.try_recv()
        {
            self.apply(event).await?;
        }
        Ok(())
    }

    async fn snapshot(&mut self) -> Result<(), Ended> {
        // Everything routed up to here is in what is read next.
        self.last_seq = self.last_seq.max(self.shared.head());
        let items = match self.visible_items().await {
            Ok(items) => items,
            Err(error) => {
                // The client retries by reconnecting.
                tracing::warn!(%error, "a stream's snapshot could not be read");
                return Err(Ended);
            }
        };
        self.shown.clear();
        self.expiries.clear();
        for item in &items {
            self.show(&item.id, item.expires_at.as_millisecond());
        }
        let unread = self.count().await.ok_or(Ended)?;
        self.unread = Some(unread);
        self.count_stale = false;
        self.send(LiveEvent::Snapshot {
            id: self.id(),
            items,
            unread,
        })
        .await
    }

    async fn visible_items(&self) -> StoreResult<Vec<UserNotification>> {
        let _permit = self.shared.snapshot_permits.acquire().await;
        let mut items = Vec::new();
        let mut after: Option<UserListCursor> = None;
        for _ in 0..SNAPSHOT_PAGES {
            let page = self
                .shared
                .store
                .list_user_notifications(
                    self.subject.instance_seq,
                    self.subject.user_seq,
                    self.now(),
                    after,
                    SNAPSHOT_ITEMS as u32,
                )
                .await?;
            let full = page.len() == SNAPSHOT_ITEMS;
            after = page.last().map(|last| last.user_list_cursor());
            items.extend(
                page.into_iter()
                    .filter(|item| item.status != UserStatus::Hidden),
            );
            if !full || items.len() >= SNAPSHOT_ITEMS {
                break;
            }
        }
        items.truncate(SNAPSHOT_ITEMS);
        Ok(items)
    }

    /// Watches the expiry of a notification the client now shows: a new
    /// one (up to a bound), or one it shows already.
    fn track(&mut self, notification: &herald_store::Notification, arrived: bool) {
        let shown = self.shown.contains_key(&notification.id);
        if shown || (arrived && self.shown.len() < TRACKED) {
            self.show(&notification.id, notification.expires_at.as_millisecond());
        }
    }

    /// The missed events (all older than the subscription's head, which
    /// `last_seq` already is), then a count.
    async fn replay(&mut self, missed: Vec<Arc<HubEvent>>) -> Result<(), Ended> {
        for event in missed {
            // A snapshot is due, newer than the rest of what was missed.
            if self.needs_resync {
                break;
            }
            self.apply(event).await?;
        }
        self.count_stale = true;
        Ok(())
    }

    async fn apply(&mut self, event: Arc<HubEvent>) -> Result<(), Ended> {
        let store = self.shared.store.as_ref();
        match &event.body {
            HubBody::Upsert {
                notification_id,
                notification,
                created,
            } => match notification
                .read(store, event.instance_seq, notification_id)
                .await
            {
                Ok(Some(notification)) => self.track(notification, *created),
                // Deleted meanwhile: its own event follows, and this one
                // has nothing to show.
                Ok(None) => {
                    self.last_seq = self.last_seq.max(event.seq);
                    return Ok(());
                }
                // What the client misses is unknown: it gets a snapshot
                // (newer than this event and all queued behind it).
                Err(_) => {
                    self.needs_resync = true;
                    return Ok(());
                }
            },
            HubBody::Deleted { notification_id } => self.unshow(notification_id),
            HubBody::Status {
                status: UserStatus::Hidden,
                notification_id,
                ..
            } => self.unshow(notification_id),
            // Only a shown status can bring an item back.
            HubBody::Status {
                notification,
                notification_id,
                ..
            } => {
                if let Ok(Some(notification)) = notification
                    .read(store, event.instance_seq, notification_id)
                    .await
                {
                    self.track(notification, true);
                }
            }
        }
        self.last_seq = self.last_seq.max(event.seq);
        self.count_stale = true;
        self.send(LiveEvent::Change {
            id: event_id(&self.shared.epoch, event.seq),
            event,
        })
        .await
    }

    fn next_wake(&self) -> Instant {
        let now = self.now();
        let soonest = self
            .expiries
            .first()
            .map(|(at, _)| *at)
            .into_iter()
            .chain(self.recount_at.map(|at| at.as_millisecond()))
            .min();
        let wait = match soonest {
            Some(at) => std::time::Duration::from_millis(
                u64::try_from(at - now.as_millisecond()).unwrap_or(0),
            )
            .min(RECOUNT_EVERY),
            None => RECOUNT_EVERY,
        };
        Instant::now() + wait
    }

    async fn expire(&mut self) -> Result<(), Ended> {
        let now = self.now().as_millisecond();
        while let Some((at, id)) = self.expiries.first().cloned() {
            if at > now {
                break;
            }
            self.unshow(&id);
            self.send(LiveEvent::Expired {
                id: self.id(),
                notification_id: id,
            })
            .await?;
        }
        self.count_stale = true;
        Ok(())
    }

    /// The unread count now, `None` when the store fails (the client
    /// reconnects and tries again).
    async fn count(&mut self) -> Option<Unread> {
        let _permit = self.shared.count_permits.acquire().await.ok()?;
        let counted = self
            .shared
            .store
            .unread_count(
                self.subject.instance_seq,
                self.subject.user_seq,
                self.now(),
                UNREAD_CAP,
            )
            .await
            .map_err(|error| tracing::warn!(%error, "a stream's unread count could not be read"))
            .ok()?;
        self.recount_at = counted.next_expiry;
        Some(if counted.count >= UNREAD_CAP {
            Unread {
                count: UNREAD_CAP - 1,
                capped: true,
            }
        } else {
            Unread {
                count: counted.count,
                capped: false,
            }
        })
    }

    async fn send_count(&mut self) -> Result<(), Ended> {
        let unread = self.count().await.ok_or(Ended)?;
        self.count_stale = false;
        if self.unread == Some(unread) {
            return Ok(());
        }
        self.unread = Some(unread);
        self.send(LiveEvent::Unread {
            id: self.id(),
            unread,
        })
        .await
    }
}
