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
//!
//! Jobs of one [`SetWork`] kind queued one after another run as one set:
//! their statements take every input at once, so a run of 32 status writes
//! is two round trips to the writer's thread instead of 64 (each one a
//! thread hand-off, and those, not SQLite, were most of a write's cost).
//! A set that fails runs again with each of its jobs alone, to find the
//! one whose error it was.

use std::any::{Any, TypeId};
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

/// Writes of one kind that run together: `run` gets the inputs of a run of
/// such jobs queued back to back, in queue order, and must give each its
/// result, in the same order, as if they had run one after another.
pub(super) trait SetWork: 'static {
    type Input: Send + Sync + 'static;
    type Output: Send + 'static;
    fn run<'c>(
        conn: &'c mut SqliteConnection,
        inputs: &'c [&'c Self::Input],
    ) -> JobFuture<'c, Vec<Self::Output>>;
}

/// The queue's handle; cheap to share, the task ends when it is dropped.
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Box<dyn Job>>,
    /// Transactions committed so far (a batch that failed and ran again
    /// counts once): shows in tests that waiting writes share commits.
    #[cfg_attr(not(test), allow(dead_code))]
    commits: Arc<AtomicU64>,
    /// Jobs handed to the queue so far (for the tests, likewise).
    submitted: AtomicU64,
    /// Jobs the committing task has taken from the queue so far: a test
    /// that holds the writer knows by it when a job is being held.
    #[cfg_attr(not(test), allow(dead_code))]
    taken: Arc<AtomicU64>,
}

impl GroupCommit {
    /// Starts the committing task on `writer` (a pool of one connection,
    /// shared with the writes that do not go through the queue).
    pub(super) fn start(writer: SqlitePool) -> GroupCommit {
        let (queue, jobs) = mpsc::channel(QUEUE_DEPTH);
        let commits = Arc::new(AtomicU64::new(0));
        let taken = Arc::new(AtomicU64::new(0));
        tokio::spawn(run(jobs, writer, commits.clone(), taken.clone()));
        GroupCommit {
            queue,
            commits,
            submitted: AtomicU64::new(0),
            taken,
        }
    }

    #[cfg(test)]
    pub(super) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    pub(super) fn submitted(&self) -> u64 {
        self.submitted.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    pub(super) fn taken(&self) -> u64 {
        self.taken.load(Ordering::Relaxed)
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
        self.enqueue(job, answer).await
    }

    /// Runs `input` in the next batch, together with the jobs of the same
    /// kind next to it in the queue, and answers once it committed.
    pub(super) async fn submit_set<W: SetWork>(&self, input: W::Input) -> StoreResult<W::Output> {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(SetPending::<W> {
            input,
            alone: false,
            result: None,
            reply,
        });
        self.enqueue(job, answer).await
    }

    async fn enqueue<T>(
        &self,
        job: Box<dyn Job>,
        answer: oneshot::Receiver<StoreResult<T>>,
    ) -> StoreResult<T> {
        self.queue.send(job).await.map_err(|_| stopped())?;
        self.submitted.fetch_add(1, Ordering::Relaxed);
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the SQLite writer has stopped".to_owned())
}

/// One queued write, its type erased so that one queue carries them all.
trait Job: Send + Any {
    /// Jobs with the same kind, queued back to back, run as one set; `None`
    /// runs alone.
    fn set_kind(&self) -> Option<TypeId>;
    /// Runs the work inside the open transaction, for this job and for
    /// `set` (jobs of its kind that follow it in the queue, empty unless it
    /// has one), and keeps the results; false when the work failed (the
    /// transaction must be rolled back).
    fn run<'c>(
        &'c mut self,
        set: &'c mut [Box<dyn Job>],
        conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 'c>>;
    /// After its set failed: from now on the job runs alone, so that a
    /// failure is its own.
    fn run_alone(&mut self) {}
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

impl<I: Send + Sync + 'static, T: Send + 'static> Job for Pending<I, T> {
    fn set_kind(&self) -> Option<TypeId> {
        None
    }

    fn run<'c>(
        &'c mut self,
        _set: &'c mut [Box<dyn Job>],
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
        reply(self.reply, self.result, committed);
    }
}

struct SetPending<W: SetWork> {
    input: W::Input,
    alone: bool,
    result: Option<StoreResult<W::Output>>,
    reply: oneshot::Sender<StoreResult<W::Output>>,
}

impl<W: SetWork> Job for SetPending<W> {
    fn set_kind(&self) -> Option<TypeId> {
        (!self.alone).then(TypeId::of::<W>)
    }

    fn run<'c>(
        &'c mut self,
        set: &'c mut [Box<dyn Job>],
        conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 'c>> {
        Box::pin(async move {
            let mut jobs = vec![self];
            for other in set.iter_mut() {
                // Always one kind (`run_batch` groups by `set_kind`); were it
                // not, the set fails (and its jobs run alone) rather than
                // the committing task.
                let other: &mut dyn Any = other.as_mut();
                let Some(other) = other.downcast_mut::<SetPending<W>>() else {
                    return false;
                };
                jobs.push(other);
            }
            let inputs: Vec<&W::Input> = jobs.iter().map(|job| &job.input).collect();
            let results = W::run(conn, &inputs).await.and_then(|results| {
                if results.len() == inputs.len() {
                    Ok(results)
                } else {
                    Err(StoreError::Corrupt(format!(
                        "a set of {} writes gave {} results",
                        inputs.len(),
                        results.len()
                    )))
                }
            });
            drop(inputs);
            match results {
                Ok(results) => {
                    for (job, result) in jobs.into_iter().zip(results) {
                        job.result = Some(Ok(result));
                    }
                    true
                }
                Err(error) => {
                    // A lone job's error is its own; a larger set's jobs
                    // run again alone to find whose it was.
                    if let [job] = jobs.as_mut_slice() {
                        job.result = Some(Err(error));
                    }
                    false
                }
            }
        })
    }

    fn run_alone(&mut self) {
        self.alone = true;
    }

    fn answer(self: Box<Self>, committed: Result<(), &StoreError>) {
        reply(self.reply, self.result, committed);
    }
}

/// The kept result once the batch committed (a failed job's own error
/// needs no commit), else the commit's error.
fn reply<T>(
    reply: oneshot::Sender<StoreResult<T>>,
    result: Option<StoreResult<T>>,
    committed: Result<(), &StoreError>,
) {
    let result = match (result, committed) {
        (Some(Err(own)), _) => Err(own),
        (Some(Ok(_)), Err(commit)) | (None, Err(commit)) => Err(commit.clone()),
        (Some(Ok(value)), Ok(())) => Ok(value),
        (None, Ok(())) => Err(StoreError::Unavailable("write was never run".to_owned())),
    };
    // The caller may have gone (request cancelled); the write stands.
    let _ = reply.send(result);
}

async fn run(
    mut jobs: mpsc::Receiver<Box<dyn Job>>,
    writer: SqlitePool,
    commits: Arc<AtomicU64>,
    taken: Arc<AtomicU64>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let received = jobs.recv_many(&mut batch, MAX_BATCH).await;
        if received == 0 {
            break;
        }
        taken.fetch_add(received as u64, Ordering::Relaxed);
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
        let Some(failed) = run_batch(batch, &mut conn).await else {
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
        if failed.len() == 1 {
            batch.remove(failed.start).answer(Ok(()));
            if batch.is_empty() {
                return false;
            }
        } else {
            for job in &mut batch[failed] {
                job.run_alone();
            }
        }
    }
}

/// Runs the batch's jobs in queue order, each run of one set kind together;
/// the jobs of the run that failed, if one did.
async fn run_batch(
    batch: &mut [Box<dyn Job>],
    conn: &mut SqliteConnection,
) -> Option<std::ops::Range<usize>> {
    let mut start = 0;
    while start < batch.len() {
        let kind = batch[start].set_kind();
        let end = match kind {
            None => start + 1,
            Some(kind) => {
                let same = batch[start + 1..]
                    .iter()
                    .take_while(|job| job.set_kind() == Some(kind))
                    .count();
                start + 1 + same
            }
        };
        let (first, set) = batch[start..end].split_at_mut(1);
        if !first[0].run(set, conn).await {
            return Some(start..end);
        }
        start = end;
    }
    None
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

    use jiff::Timestamp;

    use super::super::SqliteStore;
    use crate::{CreateOutcome, Store, StoreError};

    /// Holding the writer's one connection keeps every submitted write
    /// waiting; released, they commit together. The one whose recipient
    /// does not exist fails alone and leaves nothing behind.
    #[tokio::test]
    async fn waiting_writes_share_a_commit_and_a_failure_stays_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(SqliteStore::open(dir.path()).await.expect("open"));
        let now = Timestamp::now();
        let instance = super::super::test_instance(&store, now).await;
        let user = super::super::test_user(&store, &instance, "u", now).await;
        let note = |id: String, user_seq: i64| {
            super::super::test_notification(&instance, &user, user_seq, &id, now)
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

    /// Inserts its inputs into `t` in one statement; a taken key fails it.
    struct Inserts;

    static SET_SIZES: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

    impl super::SetWork for Inserts {
        type Input = i64;
        type Output = ();

        fn run<'c>(
            conn: &'c mut sqlx::SqliteConnection,
            inputs: &'c [&'c i64],
        ) -> super::JobFuture<'c, Vec<()>> {
            Box::pin(async move {
                SET_SIZES.lock().expect("sizes").push(inputs.len());
                let keys = serde_json::to_string(&inputs).expect("json");
                sqlx::query("INSERT INTO t (x) SELECT value FROM json_each(?1)")
                    .bind(keys)
                    .execute(&mut *conn)
                    .await
                    .map_err(crate::db_error::db_err)?;
                Ok(vec![(); inputs.len()])
            })
        }
    }

    /// Writes of one set kind queued together run as one set; when the set
    /// fails, each runs alone, the one at fault gets the error and the
    /// others commit.
    #[tokio::test]
    async fn a_set_runs_together_and_a_failed_one_finds_its_culprit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(SqliteStore::open(dir.path()).await.expect("open"));
        sqlx::query("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .execute(&store.writer)
            .await
            .expect("table");
        sqlx::query("INSERT INTO t (x) VALUES (3)")
            .execute(&store.writer)
            .await
            .expect("taken key");

        fn one<'c>(conn: &'c mut sqlx::SqliteConnection, key: &'c i64) -> super::JobFuture<'c, ()> {
            let key = *key;
            Box::pin(async move {
                sqlx::query("INSERT INTO t (x) VALUES (?)")
                    .bind(key)
                    .execute(conn)
                    .await
                    .map_err(crate::db_error::db_err)?;
                Ok(())
            })
        }
        // Two sets, a job of no set between them: a set never reaches
        // across another job; the set's order is the queue's.
        let keys = [10_i64, 11, 3, 50, 12, 13];
        let outcomes: Vec<bool> =
            super::super::queued_in_one_batch(&store, keys, |store, key| async move {
                match key {
                    50 => store.group_commit.submit(key, one).await,
                    _ => store.group_commit.submit_set::<Inserts>(key).await,
                }
                .is_ok()
            })
            .await;
        assert_eq!(outcomes, [true, true, false, true, true, true]);
        let kept: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(&store.writer)
            .await
            .expect("read");
        assert_eq!(kept, [3, 10, 11, 12, 13, 50]);
        // The first set (10, 11, 3) fails; its three run alone, and 3's
        // own run fails; then 10 and 11 alone once more, the other job, and
        // the second set (12, 13) whole.
        let sizes = SET_SIZES.lock().expect("sizes").clone();
        assert_eq!(sizes, [3, 1, 1, 1, 1, 1, 2]);
    }
}
