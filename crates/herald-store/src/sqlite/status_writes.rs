//! Status writes, run as one set per run of them in a group commit: one
//! statement finds every write's user, notification and stored status,
//! one writes them all. Each input travels as an element of one JSON
//! array parameter, so the statements' texts (and prepared statements)
//! are the same whatever the set's size. An id is all of its bytes: the
//! bundled SQLite (3.46) keeps an escaped NUL inside a JSON string (3.40's
//! ended the string there), and the test below holds it to that.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::SqliteConnection;

use super::SqliteStore;
use super::group_commit::{JobFuture, SetWork};
use crate::db_error::db_err;
use crate::rows::{ms, timestamp, to_json};
use crate::{StatusOutcome, StatusWrite, StoreError, StoreResult};

impl SqliteStore {
    pub(super) async fn set_user_status_impl(
        &self,
        write: StatusWrite,
    ) -> StoreResult<StatusOutcome> {
        self.group_commit.submit_set::<StatusWrites>(write).await
    }
}

/// One row per write, keyed by its place in the array: no row of users,
/// no such user in the instance; no notification, one missing, expired or not
/// addressed to this user; and the stored status's time.
pub(super) const LOOKUP: &str = "SELECT j.key, u.seq, n.seq, (SELECT s.modified_at FROM user_statuses s \
     WHERE s.user_seq = u.seq AND s.notification_seq = n.seq) \
     FROM json_each(?1) j \
     LEFT JOIN users u ON u.instance_seq = j.value ->> 'i' AND u.id = j.value ->> 'u' \
     LEFT JOIN notifications n ON n.instance_seq = j.value ->> 'i' \
     AND n.id = j.value ->> 'n' AND n.expires_at > j.value ->> 't' \
     AND (n.broadcast = 1 OR EXISTS (SELECT 1 FROM notification_recipients r \
     WHERE r.user_seq = u.seq AND r.notification_seq = n.seq))";

/// Every row the set writes (one per user and notification: `decide` keeps
/// only the last write of each, which is what one by one would leave).
const WRITE: &str = "INSERT INTO user_statuses (user_seq, notification_seq, status, modified_at, \
     modified_region) SELECT j.value ->> 'u', j.value ->> 'n', j.value ->> 's', \
     j.value ->> 'm', j.value ->> 'r' FROM json_each(?1) j WHERE true \
     ON CONFLICT (user_seq, notification_seq) DO UPDATE SET status = excluded.status, \
     modified_at = excluded.modified_at, modified_region = excluded.modified_region";

struct StatusWrites;

impl SetWork for StatusWrites {
    type Input = StatusWrite;
    type Output = StatusOutcome;

    fn run<'c>(
        conn: &'c mut SqliteConnection,
        writes: &'c [&'c StatusWrite],
    ) -> JobFuture<'c, Vec<StatusOutcome>> {
        #[cfg(test)]
        tests::SET_SIZES.with_borrow_mut(|sizes| sizes.push(writes.len()));
        Box::pin(write_statuses(conn, writes))
    }
}

/// What the store holds for one write: its user, if the instance has
/// them; the notification, if it reaches them; the status's time, if set.
type Found = (Option<i64>, Option<i64>, Option<i64>);
/// `LOOKUP`'s row: the write's place in the set, then what was found.
type LookupRow = (i64, Option<i64>, Option<i64>, Option<i64>);

async fn write_statuses(
    conn: &mut SqliteConnection,
    writes: &[&StatusWrite],
) -> StoreResult<Vec<StatusOutcome>> {
    let lookups: Vec<Lookup> = writes
        .iter()
        .map(|w| Lookup {
            i: w.instance_seq,
            n: &w.notification_id,
            t: ms(w.now),
            u: &w.user_id,
        })
        .collect();
    let found: Vec<LookupRow> = sqlx::query_as(LOOKUP)
        .bind(to_json(&lookups)?)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    let mut in_order = vec![None; writes.len()];
    for (key, user, seq, stored) in found {
        if let Some(place) = usize::try_from(key).ok().and_then(|k| in_order.get_mut(k)) {
            *place = Some((user, seq, stored));
        }
    }
    let found: Vec<Found> = in_order.into_iter().collect::<Option<_>>().ok_or_else(|| {
        StoreError::Corrupt(format!("a status lookup of {} lost a row", writes.len()))
    })?;
    let (outcomes, rows) = decide(writes, found)?;
    if !rows.is_empty() {
        sqlx::query(WRITE)
            .bind(to_json(&rows)?)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(outcomes)
}

/// One element of `LOOKUP`'s array.
#[derive(Serialize)]
struct Lookup<'a> {
    i: i64,
    n: &'a str,
    t: i64,
    u: &'a str,
}

/// One element of `WRITE`'s array.
#[derive(Serialize)]
struct Row<'a> {
    u: i64,
    n: i64,
    s: &'static str,
    m: i64,
    r: &'a str,
}

/// Each write's outcome, in order, and the rows to write, as if the writes
/// had run one after another: a write sees the time an earlier write of
/// the set gave the same status.
fn decide<'w>(
    writes: &[&'w StatusWrite],
    found: Vec<Found>,
) -> StoreResult<(Vec<StatusOutcome>, Vec<Row<'w>>)> {
    // Per user and notification: the time the set last wrote, and which
    // row holds it.
    let mut written: HashMap<(i64, i64), (i64, usize)> = HashMap::new();
    let mut outcomes = Vec::with_capacity(writes.len());
    let mut rows = Vec::with_capacity(writes.len());
    for (write, (user, seq, stored)) in writes.iter().zip(found) {
        let Some(user_seq) = user else {
            outcomes.push(StatusOutcome::UserNotFound);
            continue;
        };
        let Some(seq) = seq else {
            outcomes.push(StatusOutcome::NotFound);
            continue;
        };
        let earlier = written.get(&(user_seq, seq)).copied();
        let stored = earlier.map(|(at, _)| at).or(stored);
        if let (Some(stored_ms), Some(limit)) = (stored, write.not_older_than)
            && stored_ms > ms(limit)
        {
            outcomes.push(StatusOutcome::Stale {
                stored_at: timestamp(stored_ms, "user_statuses.modified_at")?,
            });
            continue;
        }
        let row = Row {
            u: user_seq,
            n: seq,
            s: write.status.as_str(),
            m: ms(write.modified_at),
            r: &write.modified_region,
        };
        let place = match earlier {
            Some((_, place)) => {
                rows[place] = row;
                place
            }
            None => {
                rows.push(row);
                rows.len() - 1
            }
        };
        written.insert((user_seq, seq), (ms(write.modified_at), place));
        outcomes.push(StatusOutcome::Written { user_seq });
    }
    Ok((outcomes, rows))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::sync::Arc;

    use jiff::{SignedDuration, Timestamp};

    use super::super::SqliteStore;
    use crate::{StatusOutcome, StatusWrite, Store, UserStatus};

    thread_local! {
        /// The size of every set of status writes run on this thread: a
        /// `#[tokio::test]` runs its committing task on its own thread, so
        /// other tests' status writes do not show here.
        pub(super) static SET_SIZES: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    }

    /// Writes queued together run as one set, and each sees the ones
    /// before it as if they had run one by one: a second write of the same
    /// status is stale against the first's time, and the last one stands.
    #[tokio::test]
    async fn a_set_of_status_writes_decides_each_as_one_by_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(SqliteStore::open(dir.path()).await.expect("open"));
        // Whole milliseconds, as the store keeps them.
        let now = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).expect("now");
        let at = |seconds: i64| now + SignedDuration::from_secs(seconds);
        let instance = super::super::test_instance(&store, now).await;
        let user = super::super::test_user(&store, &instance, "u", now).await;
        for id in ["n1", "n2", "n\0z"] {
            store
                .create_notification(super::super::test_notification(
                    &instance, &user, user.seq, id, now,
                ))
                .await
                .expect("notification");
        }
        let write = |user: &str, id: &str, status, modified: i64, limit: Option<i64>| StatusWrite {
            instance_seq: instance.seq,
            notification_id: id.into(),
            user_id: user.into(),
            status,
            now,
            not_older_than: limit.map(at),
            modified_at: at(modified),
            modified_region: "us-east-1".into(),
        };
        let writes = [
            write("u", "n1", UserStatus::Read, 10, None),
            write("u", "n1", UserStatus::Hidden, 20, Some(5)),
            write("nobody", "n1", UserStatus::Read, 10, None),
            write("u", "missing", UserStatus::Read, 10, None),
            write("u", "n2", UserStatus::Read, 10, None),
            write("u", "n2", UserStatus::Unread, 30, Some(15)),
            // An id is all of its bytes, NUL included.
            write("u", "n1\0x", UserStatus::Hidden, 10, None),
            write("u\0v", "n1", UserStatus::Hidden, 10, None),
            write("u", "n\0z", UserStatus::Read, 40, None),
        ];

        let commits_before = store.group_commit.commits();
        SET_SIZES.with_borrow_mut(Vec::clear);
        let outcomes: Vec<StatusOutcome> =
            super::super::queued_in_one_batch(&store, writes, |store, write| async move {
                store.set_user_status(write).await.expect("status write")
            })
            .await;
        let written = StatusOutcome::Written { user_seq: user.seq };
        assert_eq!(
            outcomes,
            [
                written.clone(),
                StatusOutcome::Stale { stored_at: at(10) },
                StatusOutcome::UserNotFound,
                StatusOutcome::NotFound,
                written.clone(),
                written.clone(),
                StatusOutcome::NotFound,
                StatusOutcome::UserNotFound,
                written,
            ]
        );
        let commits = store.group_commit.commits() - commits_before;
        assert_eq!(commits, 2, "the queued writes did not share a commit");
        assert_eq!(
            SET_SIZES.with_borrow(Clone::clone),
            [9],
            "not one set of nine"
        );

        let stored: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT n.id, s.status, s.modified_at FROM user_statuses s \
             JOIN notifications n ON n.seq = s.notification_seq ORDER BY n.id",
        )
        .fetch_all(&store.writer)
        .await
        .expect("statuses");
        let ms = |seconds| crate::rows::ms(at(seconds));
        assert_eq!(
            stored,
            [
                ("n\0z".to_owned(), "READ".to_owned(), ms(40)),
                ("n1".to_owned(), "READ".to_owned(), ms(10)),
                ("n2".to_owned(), "UNREAD".to_owned(), ms(30)),
            ]
        );
    }
}
