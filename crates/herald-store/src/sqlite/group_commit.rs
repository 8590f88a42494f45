//! Group commit: concurrent writes share one transaction, one fsync.
//!
//! With `synchronous=FULL` every commit waits for an fsync of the WAL, and
//! the one writer connection makes commits strictly sequential, so durable
//! writes per second were bounded by fsyncs per second. Here each write is
//! a job on a queue; one task takes every job waiting (up to
//! [`MAX_BATCH`]), runs them one after another inside one `BEGIN
//! IMMEDIATE … COMMIT`, and answers each only after that commit: a 200 still
//! means durable. With one request in flight a batch is one job, so an idle
//! server waits for nothing.
//!
//! Jobs see each other's writes in queue order, exactly as if they had run
//! one by one. A job that fails rolls the batch back; it alone gets its
//! error and the others run again in a fresh transaction (a job is a
//! function of its stored input, so it can run twice). That keeps the
//! common path free of a savepoint per job, two round trips each.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::db_error::db_err;
use crate::{StoreError, StoreResult};

/// Most jobs in one transaction: bounds how long the writer is held and how
/// much one failed commit takes down with it.
const MAX_BATCH: usize = 64;
/// Jobs waiting beyond this make callers wait to enqueue (back-pressure)
/// instead of growing the queue without bound.
const QUEUE_DEPTH: usize = 1024;

pub(super) type JobFuture<'c, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'c>>;

/// A write's statements, run on the writer connection inside the batch's
/// transaction; it must neither begin nor end a transaction itself.
pub(super) type Work<I, T> = for<'c> fn(&'c mut SqliteConnection, &'c I) -> JobFuture<'c, T>;

/// The queue's handle; cheap to share, the task ends when it is dropped.
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Box<dyn Job>>,
    /// Transactions committed so far (a batch that failed and ran again
    /// counts once): shows in tests that waiting writes share commits.
    #[cfg_attr(not(test), allow(dead_code))]
    commits: Arc<AtomicU64>,
    /// Jobs handed to the queue so far (for the tests, likewise).
    submitted: AtomicU64,
}

impl GroupCommit {
    /// Starts the committing task on `writer` (a pool of one connection,
    /// shared with the writes that do not go through the queue).
    pub(super) fn start(writer: SqlitePool) -> GroupCommit {
        let (queue, jobs) = mpsc::channel(QUEUE_DEPTH);
        let commits = Arc::new(AtomicU64::new(0));
        tokio::spawn(run(jobs, writer, commits.clone()));
        GroupCommit {
            queue,
            commits,
            submitted: AtomicU64::new(0),
        }
    }

    #[cfg(test)]
    fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    fn submitted(&self) -> u64 {
        self.submitted.load(Ordering::Relaxed)
    }

    /// Runs `work(input)` in the next batch and answers once it committed.
    pub(super) async fn submit<I, T>(&self, input: I, work: Work<I, T>) -> StoreResult<T>
    where
        I: Send + Sync + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            input,
            work,
            result: None,
            reply,
        });
        self.queue.send(job).await.map_err(|_| stopped())?;
        self.submitted.fetch_add(1, Ordering::Relaxed);
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the SQLite writer has stopped".to_owned())
}

/// One queued write, its type erased so that one queue carries them all.
trait Job: Send {
    /// Runs the work inside the open transaction and keeps its result;
    /// false when the work failed (the transaction must be rolled back).
    fn run<'c>(
        &'c mut self,
        conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 'c>>;
    /// Answers the caller: the kept result once the batch committed (a
    /// failed job's own error needs no commit), else the commit's error.
    fn answer(self: Box<Self>, committed: Result<(), &StoreError>);
}

struct Pending<I, T> {
    input: I,
    work: Work<I, T>,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<I: Send + Sync, T: Send> Job for Pending<I, T> {
    fn run<'c>(
        &'c mut self,
        conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 'c>> {
        Box::pin(async move {
            let result = (self.work)(conn, &self.input).await;
            let ok = result.is_ok();
            self.result = Some(result);
            ok
        })
    }

    fn answer(self: Box<Self>, committed: Result<(), &StoreError>) {
        let result = match (self.result, committed) {
            (Some(Err(own)), _) => Err(own),
            (Some(Ok(_)), Err(commit)) | (None, Err(commit)) => Err(commit.clone()),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (None, Ok(())) => Err(StoreError::Unavailable("write was never run".to_owned())),
        };
        // The caller may have gone (request cancelled); the write stands.
        let _ = self.reply.send(result);
    }
}

async fn run(mut jobs: mpsc::Receiver<Box<dyn Job>>, writer: SqlitePool, commits: Arc<AtomicU64>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if commit(&writer, &mut batch).await {
            commits.fetch_add(1, Ordering::Relaxed);
        }
        batch.clear();
    }
}

/// Runs and commits `batch`, answering every job in it; true when a
/// transaction committed.
async fn commit(writer: &SqlitePool, batch: &mut Vec<Box<dyn Job>>) -> bool {
    let mut conn = match writer.acquire().await {
        Ok(conn) => conn,
        Err(e) => {
            answer_all(batch, Err(&db_err(e)));
            return false;
        }
    };
    loop {
        if let Err(e) = sqlx::query(super::notifications::BEGIN_WRITE)
            .execute(&mut *conn)
            .await
        {
            answer_all(batch, Err(&db_err(e)));
            return false;
        }
        let mut failed = None;
        for (index, job) in batch.iter_mut().enumerate() {
            if !job.run(&mut conn).await {
                failed = Some(index);
                break;
            }
        }
        let Some(index) = failed else {
            let committed = sqlx::query("COMMIT").execute(&mut *conn).await;
            let committed = committed.map(drop).map_err(db_err);
            if committed.is_err() {
                // A failed COMMIT may leave the transaction open.
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            }
            answer_all(batch, committed.as_ref().map(|_| ()));
            return committed.is_ok();
        };
        // Some errors end the transaction by themselves; ROLLBACK then
        // fails with "no transaction is active", which is fine.
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        batch.remove(index).answer(Ok(()));
        if batch.is_empty() {
            return false;
        }
    }
}

fn answer_all(batch: &mut Vec<Box<dyn Job>>, committed: Result<(), &StoreError>) {
    for job in batch.drain(..) {
        job.answer(committed);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use jiff::{SignedDuration, Timestamp};

    use super::super::SqliteStore;
    use crate::{CreateOutcome, NewNotification, NewUser, Priority, Store, StoreError, Tags};

    /// Holding the writer's one connection keeps every submitted write
    /// waiting; released, they commit together. The one whose recipient
    /// does not exist fails alone and leaves nothing behind.
    #[tokio::test]
    async fn waiting_writes_share_a_commit_and_a_failure_stays_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(SqliteStore::open(dir.path()).await.expect("open"));
        let now = Timestamp::now();
        let instance = super::super::test_instance(&store, now).await;
        let user = store
            .create_user(NewUser {
                instance_seq: instance.seq,
                id: "u".into(),
                arn: format!("{}/agent/u", instance.arn),
                username: "u".into(),
                settings: serde_json::json!({}),
                tags: Tags::new(),
                modified_at: now,
                modified_region: "us-east-1".into(),
            })
            .await
            .expect("user");
        let note = |id: String, user_seq: i64| NewNotification {
            instance_seq: instance.seq,
            arn: format!("{}/notification/{id}", instance.arn),
            id,
            content: [("en_US".to_owned(), "hello".to_owned())].into(),
            priority: Priority::Low,
            recipients: vec![user.arn.clone()],
            broadcast: false,
            direct_user_seqs: vec![user_seq],
            tags: Tags::new(),
            created_at: now,
            expires_at: now + SignedDuration::from_hours(1),
            region: "us-east-1".into(),
            client_token: None,
        };
        let commits_before = store.group_commit.commits();
        let submitted_before = store.group_commit.submitted();

        let held = store.writer.acquire().await.expect("writer connection");
        let mut writes = Vec::new();
        for index in 0..10 {
            let new = if index == 4 {
                note("bad".into(), user.seq + 1_000)
            } else {
                note(format!("n{index}"), user.seq)
            };
            let store = store.clone();
            writes.push(tokio::spawn(
                async move { store.create_notification(new).await },
            ));
        }
        // The committing task takes what is queued and waits for the
        // connection; what comes later waits in the queue for the next batch.
        let all_submitted = || store.group_commit.submitted() - submitted_before >= 10;
        for _ in 0..500 {
            if all_submitted() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(all_submitted(), "the writes were not submitted");
        drop(held);

        for (index, write) in writes.into_iter().enumerate() {
            let outcome = write.await.expect("task");
            match (index, outcome) {
                (4, Err(StoreError::Gone(_))) => {}
                (4, other) => panic!("the bad write gave {other:?}"),
                (_, Ok(CreateOutcome::Created(_))) => {}
                (_, other) => panic!("write {index} gave {other:?}"),
            }
        }
        let commits = store.group_commit.commits() - commits_before;
        assert!(
            (1..=2).contains(&commits),
            "nine good writes took {commits} commits"
        );
        for index in (0..10).filter(|i| *i != 4) {
            let id = format!("n{index}");
            assert!(
                store
                    .get_notification(instance.seq, &id)
                    .await
                    .expect("get")
                    .is_some(),
                "{id} was acknowledged but is missing"
            );
        }
        assert!(
            store
                .get_notification(instance.seq, "bad")
                .await
                .expect("get")
                .is_none(),
            "the failed write left its notification behind"
        );
    }
}
