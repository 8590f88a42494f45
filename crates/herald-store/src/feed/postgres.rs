//! The feed shared by every node on one PostgreSQL database: NOTIFY on
//! publish, one LISTEN connection per node.
//!
//! NOTIFY is not stored: what is sent while a node's listener is away is
//! lost to it. So whenever the listener had to reconnect, its subscribers
//! hear [`FeedSignal::Gap`], sent once it is LISTENing again, so that what
//! they read then includes everything they missed.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::{Change, ChangeFeed, FEED_CAPACITY, FeedSignal};
use crate::db_error::db_err;
use crate::postgres::PgOptions;
use crate::{StoreError, StoreResult};

/// The NOTIFY channel.
pub const CHANNEL: &str = "herald_changes";
/// `application_name` of the listening connection, to tell it apart in
/// `pg_stat_activity` (publishing connections are `herald-feed`).
pub const LISTENER_APPLICATION: &str = "herald-feed-listener";
/// `pg_notify` is one short statement: a couple of connections keep up
/// with a node's writes.
const PUBLISH_CONNECTIONS: u32 = 2;
const MIN_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub struct PgFeed {
    publisher: PgPool,
    sender: broadcast::Sender<FeedSignal>,
    /// Aborted on drop: the task owns the listener and its connection.
    listening: JoinHandle<()>,
    call_timeout: Duration,
}

impl PgFeed {
    /// Connects and LISTENs before returning, so that a subscriber taken
    /// right after hears every change published from then on. The feed
    /// has connections of its own (two publishing, one listening);
    /// `options.max_connections` is the store's.
    pub async fn start(options: &PgOptions) -> StoreResult<PgFeed> {
        let base = PgConnectOptions::from_str(&options.url)
            .map_err(|e| StoreError::Unavailable(format!("bad database URL: {e}")))?;
        let timeout_ms = options.statement_timeout.as_millis().max(1).to_string();
        let publisher = PgPoolOptions::new()
            .max_connections(PUBLISH_CONNECTIONS)
            .acquire_timeout(options.statement_timeout)
            .connect_with(
                base.clone()
                    .application_name("herald-feed")
                    .options([("statement_timeout", timeout_ms.as_str())]),
            )
            .await
            .map_err(db_err)?;
        // One connection, kept for as long as it lives: LISTEN belongs to
        // the session. The pool only reconnects it.
        let listener_pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(options.statement_timeout)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(base.application_name(LISTENER_APPLICATION));
        let listener = listen(&listener_pool).await.map_err(db_err)?;
        let sender = broadcast::channel(FEED_CAPACITY).0;
        let listening = tokio::spawn(run(listener_pool, listener, sender.clone()));
        Ok(PgFeed {
            publisher,
            sender,
            listening,
            call_timeout: options.statement_timeout * 2,
        })
    }
}

impl Drop for PgFeed {
    fn drop(&mut self) {
        self.listening.abort();
    }
}

#[async_trait]
impl ChangeFeed for PgFeed {
    /// On a publishing connection: this node's own listener hears it back
    /// like every other node's, so nothing here waits for the listener.
    async fn publish(&self, change: &Change) -> StoreResult<()> {
        let payload = serde_json::to_string(change)
            .map_err(|e| StoreError::Corrupt(format!("change: {e}")))?;
        let notify = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&self.publisher);
        match tokio::time::timeout(self.call_timeout, notify).await {
            Ok(result) => result.map(|_| ()).map_err(db_err),
            Err(_) => Err(StoreError::Unavailable(format!(
                "the database did not answer within {:?}",
                self.call_timeout
            ))),
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<FeedSignal> {
        self.sender.subscribe()
    }
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Hands what the listener hears to the subscribers, until aborted.
async fn run(pool: PgPool, mut listener: PgListener, sender: broadcast::Sender<FeedSignal>) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let error = loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    backoff = MIN_BACKOFF;
                    match serde_json::from_str::<Change>(notification.payload()) {
                        // No subscribers is not an error: nobody is watching.
                        Ok(change) => {
                            let _ = sender.send(FeedSignal::Change(Arc::new(change)));
                        }
                        Err(e) => tracing::warn!(
                            error = %e,
                            payload = notification.payload(),
                            "ignoring an unreadable change announcement"
                        ),
                    }
                }
                // The connection was lost and sqlx has reconnected and
                // LISTENs again: what was sent meanwhile is lost. Pause
                // (nothing is lost: the connection buffers) so that a
                // connection lost as soon as made is no busy loop.
                Ok(None) => {
                    let _ = sender.send(FeedSignal::Gap);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(e) => break e,
            }
        };
        // Any other failure may have left the connection dead or half
        // set up: start over with a fresh listener. The old one goes
        // first, it holds the pool's one connection.
        tracing::warn!(error = %error, "change feed listener failed; reconnecting");
        drop(listener);
        listener = loop {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            match listen(&pool).await {
                Ok(fresh) => break fresh,
                Err(e) => tracing::warn!(error = %e, "change feed cannot listen yet"),
            }
        };
        let _ = sender.send(FeedSignal::Gap);
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection, PgConnection};
    use tokio::sync::broadcast::error::TryRecvError;

    use super::*;
    use crate::feed::{ChangeAudience, ChangeKind};
    use crate::postgres::scratch::{ScratchDatabase, TEST_DATABASE_URL_ENV, test_server_url};

    /// Longest any test waits for one thing.
    const WAIT: Duration = Duration::from_secs(10);

    async fn scratch(test: &str) -> Option<ScratchDatabase> {
        let Some(server) = test_server_url() else {
            eprintln!(
                "SKIPPED {test}: {TEST_DATABASE_URL_ENV} is not set (no PostgreSQL server to test against)"
            );
            return None;
        };
        let database = ScratchDatabase::create(&server)
            .await
            .unwrap_or_else(|e| panic!("cannot create a scratch database on {server}: {e}"));
        Some(database)
    }

    async fn start(database: &ScratchDatabase) -> PgFeed {
        PgFeed::start(&PgOptions::new(database.url()))
            .await
            .expect("start")
    }

    async fn admin(database: &ScratchDatabase) -> PgConnection {
        PgConnection::connect(database.url())
            .await
            .expect("connect")
    }

    fn change(id: &str) -> Change {
        Change {
            instance_seq: 7,
            notification_id: id.to_owned(),
            kind: ChangeKind::Status("READ".to_owned()),
            audience: ChangeAudience::Users(vec![1, 2, 3]),
        }
    }

    async fn next(receiver: &mut broadcast::Receiver<FeedSignal>) -> FeedSignal {
        tokio::time::timeout(WAIT, receiver.recv())
            .await
            .expect("a signal in time")
            .expect("the feed is open")
    }

    async fn next_change(receiver: &mut broadcast::Receiver<FeedSignal>) -> Change {
        match next(receiver).await {
            FeedSignal::Change(change) => (*change).clone(),
            FeedSignal::Gap => panic!("a change expected, not a gap"),
        }
    }

    /// Backends of the scratch database with this `application_name`.
    async fn backends(
        admin: &mut PgConnection,
        database: &ScratchDatabase,
        name: &str,
    ) -> Vec<i32> {
        sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
        )
        .bind(database.name())
        .bind(name)
        .fetch_all(admin)
        .await
        .expect("pg_stat_activity")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_node_hears_every_change() {
        let Some(database) = scratch("every_node_hears_every_change").await else {
            return;
        };
        let (a, b) = (start(&database).await, start(&database).await);
        let mut receivers = [a.subscribe(), a.subscribe(), b.subscribe()];

        a.publish(&change("from-a")).await.expect("publish");
        b.publish(&change("from-b")).await.expect("publish");
        for receiver in &mut receivers {
            assert_eq!(next_change(receiver).await, change("from-a"));
            assert_eq!(next_change(receiver).await, change("from-b"));
        }
        // Each change once: a publishing node hears its own from the
        // database only. One more change shows nothing else was queued.
        a.publish(&change("last")).await.expect("publish");
        for receiver in &mut receivers {
            assert_eq!(next_change(receiver).await, change("last"));
            assert!(matches!(receiver.try_recv(), Err(TryRecvError::Empty)));
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unreadable_announcements_are_skipped() {
        let Some(database) = scratch("unreadable_announcements_are_skipped").await else {
            return;
        };
        let feed = start(&database).await;
        let mut receiver = feed.subscribe();
        let mut admin = admin(&database).await;
        for payload in ["not json", r#"{"i":1,"n":"no kind"}"#, ""] {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(&mut admin)
                .await
                .expect("notify");
        }
        feed.publish(&change("good")).await.expect("publish");
        assert_eq!(next_change(&mut receiver).await, change("good"));
        assert!(matches!(receiver.try_recv(), Err(TryRecvError::Empty)));
        admin.close().await.expect("close");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lost_listener_is_a_gap_and_listens_again() {
        let Some(database) = scratch("a_lost_listener_is_a_gap_and_listens_again").await else {
            return;
        };
        let feed = start(&database).await;
        let mut receiver = feed.subscribe();
        let mut admin = admin(&database).await;
        for round in 0..2 {
            let listeners = backends(&mut admin, &database, LISTENER_APPLICATION).await;
            assert_eq!(listeners.len(), 1, "round {round}: {listeners:?}");
            let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
                .bind(listeners[0])
                .fetch_one(&mut admin)
                .await
                .expect("terminate");
            assert!(terminated);

            assert!(
                matches!(next(&mut receiver).await, FeedSignal::Gap),
                "round {round}"
            );
            // The gap is told once the feed listens again.
            let id = format!("after-{round}");
            feed.publish(&change(&id)).await.expect("publish");
            assert_eq!(next_change(&mut receiver).await, change(&id));
            let now = backends(&mut admin, &database, LISTENER_APPLICATION).await;
            assert_ne!(now, listeners, "a new connection listens");
        }
        admin.close().await.expect("close");
    }

    /// The reconnection itself fails for a while: no gap is told until
    /// the feed listens again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_listener_that_cannot_reconnect_keeps_trying() {
        let Some(database) = scratch("a_listener_that_cannot_reconnect_keeps_trying").await else {
            return;
        };
        let feed = start(&database).await;
        let mut receiver = feed.subscribe();
        // Not on the scratch database: that one cannot be closed from inside.
        let server = test_server_url().expect("set, or scratch had skipped");
        let mut admin = PgConnection::connect(&server).await.expect("connect");
        let allow = |allowed: bool| {
            // The name is ours (hex digits only), so it is safe to splice in.
            format!(
                "ALTER DATABASE {} WITH ALLOW_CONNECTIONS {allowed}",
                database.name()
            )
        };
        sqlx::query(&allow(false))
            .execute(&mut admin)
            .await
            .expect("refuse connections");
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = $2",
        )
        .bind(database.name())
        .bind(LISTENER_APPLICATION)
        .execute(&mut admin)
        .await
        .expect("terminate");
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            matches!(receiver.try_recv(), Err(TryRecvError::Empty)),
            "no gap while not listening"
        );

        sqlx::query(&allow(true))
            .execute(&mut admin)
            .await
            .expect("accept connections");
        assert!(matches!(next(&mut receiver).await, FeedSignal::Gap));
        feed.publish(&change("back")).await.expect("publish");
        assert_eq!(next_change(&mut receiver).await, change("back"));
        admin.close().await.expect("close");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_feed_lets_its_connections_go() {
        let Some(database) = scratch("a_dropped_feed_lets_its_connections_go").await else {
            return;
        };
        let feed = start(&database).await;
        feed.publish(&change("x")).await.expect("publish");
        let mut admin = admin(&database).await;
        assert_eq!(
            backends(&mut admin, &database, LISTENER_APPLICATION)
                .await
                .len(),
            1
        );
        assert!(
            !backends(&mut admin, &database, "herald-feed")
                .await
                .is_empty()
        );
        drop(feed);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = [
                backends(&mut admin, &database, LISTENER_APPLICATION).await,
                backends(&mut admin, &database, "herald-feed").await,
            ];
            if left.iter().all(Vec::is_empty) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "still connected: {left:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        admin.close().await.expect("close");
    }
}
