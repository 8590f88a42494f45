//! Creates, run as one set per run of them in a group commit: a run of
//! creates is one client-token lookup, one insert of every notification
//! and one command for everything else they write (`dependent_rows`),
//! where one by one each create was two or three round trips to the
//! writer's thread. Each statement takes its rows as one JSON array
//! parameter, so its text (and prepared statement) is the same whatever
//! the set's size.
//!
//! Inputs that share an id or a client token depend on each other (the
//! second is `IdTaken` or `TokenSeen` only if the first was created), so a
//! set is cut into runs in which none does, and the runs go one after
//! another: within a run every outcome follows from the stored rows alone.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::SqliteConnection;

use super::SqliteStore;
use super::dependent_rows::DependentRows;
use super::group_commit::{JobFuture, SetWork};
use crate::db_error::db_err;
use crate::rows::{ms, timestamp, to_json};
use crate::{CreateOutcome, NewNotification, Notification, StoreError, StoreResult};

impl SqliteStore {
    pub(super) async fn create_notification_impl(
        &self,
        new: NewNotification,
    ) -> StoreResult<CreateOutcome> {
        self.group_commit.submit_set::<Creates>(new).await
    }
}

/// The live claims of the run's client tokens, keyed by place in the array.
pub(super) const TOKEN_LOOKUP: &str = "SELECT j.key, t.notification_id, t.notification_arn, \
     t.request_digest FROM json_each(?1) j JOIN client_tokens t \
     ON t.account_id = j.value ->> 'a' AND t.token = j.value ->> 't' \
     AND t.claimed_at > j.value ->> 'c'";

/// Inserts every notification of the array whose id is free, in the
/// array's order (so seqs follow the queue), and returns those inserted.
/// `WHERE true` keeps SQLite from reading `ON CONFLICT` as a join's `ON`.
pub(super) const INSERT_NOTIFICATIONS: &str = "INSERT INTO notifications (instance_seq, id, arn, \
     content, urgency, recipients, broadcast, tags, created_at, expires_at, modified_at, \
     modified_region) SELECT j.value ->> 'i', j.value ->> 'n', j.value ->> 'a', j.value ->> 'c', \
     j.value ->> 'u', j.value ->> 'r', j.value ->> 'b', j.value ->> 'g', j.value ->> 't', \
     j.value ->> 'x', j.value ->> 't', j.value ->> 'm' FROM json_each(?1) j WHERE true \
     ORDER BY j.key ON CONFLICT (instance_seq, id) DO NOTHING RETURNING seq, instance_seq, id";

struct Creates;

impl SetWork for Creates {
    type Input = NewNotification;
    type Output = CreateOutcome;

    fn run<'c>(
        conn: &'c mut SqliteConnection,
        news: &'c [&'c NewNotification],
    ) -> JobFuture<'c, Vec<CreateOutcome>> {
        Box::pin(async move {
            let mut outcomes = Vec::with_capacity(news.len());
            for run in independent_runs(news) {
                #[cfg(test)]
                tests::RUN_SIZES.with_borrow_mut(|sizes| sizes.push(run.len()));
                outcomes.extend(create_run(conn, run).await?);
            }
            Ok(outcomes)
        })
    }
}

/// `news` cut before every input whose id (in its instance) or client
/// token (in its account) an earlier input of the same run has.
fn independent_runs<'a>(news: &'a [&'a NewNotification]) -> Vec<&'a [&'a NewNotification]> {
    let mut runs = Vec::new();
    let mut ids = HashSet::new();
    let mut tokens = HashSet::new();
    let mut start = 0;
    for (place, new) in news.iter().enumerate() {
        let id = (new.instance_seq, new.id.as_str());
        let token = new
            .client_token
            .as_ref()
            .map(|claim| (claim.account_id.as_str(), claim.token.as_str()));
        if ids.contains(&id) || token.is_some_and(|token| tokens.contains(&token)) {
            runs.push(&news[start..place]);
            start = place;
            ids.clear();
            tokens.clear();
        }
        ids.insert(id);
        tokens.extend(token);
    }
    if start < news.len() {
        runs.push(&news[start..]);
    }
    runs
}

/// One element of `TOKEN_LOOKUP`'s array.
#[derive(Serialize)]
struct TokenKey<'a> {
    a: &'a str,
    t: &'a str,
    /// Claims at or before this time have lapsed.
    c: i64,
}

/// One element of `INSERT_NOTIFICATIONS`' array; the JSON columns travel
/// as strings, so that SQLite stores exactly the text Herald wrote.
#[derive(Serialize)]
struct NotificationRow<'a> {
    i: i64,
    n: &'a str,
    a: &'a str,
    c: String,
    u: i64,
    r: String,
    b: bool,
    g: String,
    t: i64,
    x: i64,
    m: &'a str,
}

/// Creates a run of inputs that share no id and no client token.
async fn create_run(
    conn: &mut SqliteConnection,
    news: &[&NewNotification],
) -> StoreResult<Vec<CreateOutcome>> {
    let mut outcomes: Vec<Option<CreateOutcome>> = vec![None; news.len()];
    find_claimed_tokens(conn, news, &mut outcomes).await?;

    let unclaimed: Vec<usize> = (0..news.len()).filter(|&i| outcomes[i].is_none()).collect();
    if !unclaimed.is_empty() {
        let rows = unclaimed
            .iter()
            .map(|&i| notification_row(news[i]))
            .collect::<StoreResult<Vec<_>>>()?;
        let inserted: Vec<(i64, i64, String)> = sqlx::query_as(INSERT_NOTIFICATIONS)
            .bind(to_json(&rows)?)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        let seqs: HashMap<(i64, &str), i64> = inserted
            .iter()
            .map(|(seq, instance_seq, id)| ((*instance_seq, id.as_str()), *seq))
            .collect();
        let mut rest = DependentRows::default();
        for i in unclaimed {
            let new = news[i];
            outcomes[i] = Some(match seqs.get(&(new.instance_seq, new.id.as_str())) {
                Some(&seq) => {
                    rest.add_created(new, seq);
                    CreateOutcome::Created(created(new, seq)?)
                }
                None => CreateOutcome::IdTaken,
            });
        }
        rest.insert(conn).await?;
    }
    outcomes
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| StoreError::Corrupt("a create of the set got no outcome".to_owned()))
}

/// Sets `TokenSeen` for every input whose client token has a live claim.
async fn find_claimed_tokens(
    conn: &mut SqliteConnection,
    news: &[&NewNotification],
    outcomes: &mut [Option<CreateOutcome>],
) -> StoreResult<()> {
    let (places, keys): (Vec<usize>, Vec<TokenKey>) = news
        .iter()
        .enumerate()
        .filter_map(|(place, new)| {
            let claim = new.client_token.as_ref()?;
            let key = TokenKey {
                a: &claim.account_id,
                t: &claim.token,
                c: ms(new.created_at) - crate::CLIENT_TOKEN_TTL_MS,
            };
            Some((place, key))
        })
        .unzip();
    if keys.is_empty() {
        return Ok(());
    }
    let seen: Vec<(i64, String, String, String)> = sqlx::query_as(TOKEN_LOOKUP)
        .bind(to_json(&keys)?)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    for (key, notification_id, notification_arn, request_digest) in seen {
        let place = usize::try_from(key)
            .ok()
            .and_then(|key| places.get(key))
            .ok_or_else(|| StoreError::Corrupt(format!("token lookup gave key {key}")))?;
        outcomes[*place] = Some(CreateOutcome::TokenSeen {
            notification_id,
            notification_arn,
            request_digest,
        });
    }
    Ok(())
}

fn notification_row(new: &NewNotification) -> StoreResult<NotificationRow<'_>> {
    Ok(NotificationRow {
        i: new.instance_seq,
        n: &new.id,
        a: &new.arn,
        c: to_json(&new.content)?,
        u: new.priority.urgency(),
        r: to_json(&new.recipients)?,
        b: new.broadcast,
        g: to_json(&new.tags)?,
        t: ms(new.created_at),
        x: ms(new.expires_at),
        m: &new.region,
    })
}

/// The notification as stored: times in whole milliseconds, modified when
/// created.
fn created(new: &NewNotification, seq: i64) -> StoreResult<Notification> {
    let created_at = timestamp(ms(new.created_at), "created_at")?;
    Ok(Notification {
        seq,
        instance_seq: new.instance_seq,
        id: new.id.clone(),
        arn: new.arn.clone(),
        content: new.content.clone(),
        priority: new.priority,
        recipients: new.recipients.clone(),
        broadcast: new.broadcast,
        tags: new.tags.clone(),
        created_at,
        expires_at: timestamp(ms(new.expires_at), "expires_at")?,
        modified_at: created_at,
        modified_region: new.region.clone(),
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::sync::Arc;

    use jiff::Timestamp;

    use super::super::{
        SqliteStore, queued_in_one_batch, test_instance, test_notification, test_user,
    };
    use crate::{ClientTokenClaim, CreateOutcome, NewNotification, Store};

    thread_local! {
        /// The size of every run of creates on this thread: a
        /// `#[tokio::test]` runs its committing task on its own thread.
        pub(super) static RUN_SIZES: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    }

    fn claim(token: &str) -> Option<ClientTokenClaim> {
        Some(ClientTokenClaim {
            account_id: "000000000000".into(),
            token: token.into(),
            request_digest: format!("digest of {token}"),
        })
    }

    /// Creates queued together run as one set, cut where one depends on an
    /// earlier one, and each outcome is what one by one would give: a
    /// repeated token is seen only when its first create was made, a
    /// repeated id is taken only when its first create was made.
    #[tokio::test]
    async fn a_set_of_creates_decides_each_as_one_by_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(SqliteStore::open(dir.path()).await.expect("open"));
        let now = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).expect("now");
        let instance = test_instance(&store, now).await;
        let user = test_user(&store, &instance, "u", now).await;
        let note = |id: &str, token: &str| NewNotification {
            client_token: (!token.is_empty()).then(|| claim(token)).flatten(),
            ..test_notification(&instance, &user, user.seq, id, now)
        };
        for stored in [note("taken", ""), note("claimed", "t0")] {
            let outcome = store.create_notification(stored).await.expect("create");
            assert!(matches!(outcome, CreateOutcome::Created(_)), "{outcome:?}");
        }
        let broadcast = NewNotification {
            broadcast: true,
            recipients: vec![instance.arn.clone()],
            // Reaches the user through the instance: no direct row.
            direct_user_seqs: vec![user.seq],
            tags: [("k".to_owned(), "v\0w".to_owned())].into(),
            content: [
                ("en_US".to_owned(), "Hello\0there".to_owned()),
                ("fr_FR".to_owned(), "Bonjour".to_owned()),
            ]
            .into(),
            ..note("g", "")
        };
        let queued = [
            note("a", "t1"),
            // Stored, and answered, in whole milliseconds.
            NewNotification {
                created_at: now + jiff::SignedDuration::from_nanos(1_234),
                ..note("b", "")
            },
            note("c", "t1"),
            note("b", ""),
            note("taken", ""),
            note("f", "t0"),
            broadcast,
            note("a", "t3"),
            note("i", "t3"),
        ];

        let commits_before = store.group_commit.commits();
        RUN_SIZES.with_borrow_mut(Vec::clear);
        let outcomes: Vec<CreateOutcome> =
            queued_in_one_batch(&store, queued, |store, new| async move {
                store.create_notification(new).await.expect("create")
            })
            .await;
        assert_eq!(store.group_commit.commits() - commits_before, 2);
        assert_eq!(RUN_SIZES.with_borrow(Clone::clone), [2, 6, 1]);

        let seen = |id: &str, token: &str| CreateOutcome::TokenSeen {
            notification_id: id.into(),
            notification_arn: format!("{}/notification/{id}", instance.arn),
            request_digest: format!("digest of {token}"),
        };
        let mut created = Vec::new();
        for (place, outcome) in outcomes.into_iter().enumerate() {
            match (place, outcome) {
                (0 | 1 | 6 | 8, CreateOutcome::Created(made)) => created.push(made),
                (2, outcome) => assert_eq!(outcome, seen("a", "t1")),
                (3 | 4 | 7, outcome) => assert_eq!(outcome, CreateOutcome::IdTaken, "{place}"),
                (5, outcome) => assert_eq!(outcome, seen("claimed", "t0")),
                (place, outcome) => panic!("create {place} gave {outcome:?}"),
            }
        }
        let ids: Vec<&str> = created.iter().map(|made| made.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "g", "i"]);
        assert!(created.windows(2).all(|w| w[0].seq < w[1].seq));
        for made in &created {
            let stored = store.get_notification(instance.seq, &made.id).await;
            assert_eq!(stored.expect("get").as_ref(), Some(made));
        }

        let rows = |sql: &'static str| {
            let store = store.clone();
            async move {
                let rows: Vec<(String, String)> = sqlx::query_as(sql)
                    .fetch_all(&store.writer)
                    .await
                    .expect("rows");
                rows
            }
        };
        let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(
            rows(
                "SELECT n.id, u.id FROM notification_recipients r \
                  JOIN notifications n ON n.seq = r.notification_seq \
                  JOIN users u ON u.seq = r.user_seq ORDER BY n.seq"
            )
            .await,
            [
                pair("taken", "u"),
                pair("claimed", "u"),
                pair("a", "u"),
                pair("b", "u"),
                pair("i", "u")
            ]
        );
        assert_eq!(
            rows(
                "SELECT n.id, t.key || '=' || t.value FROM notification_tags t \
                  JOIN notifications n ON n.seq = t.notification_seq"
            )
            .await,
            [pair("g", "k=v\0w")]
        );
        assert_eq!(
            rows(
                "SELECT t.field, t.folded FROM search_texts t \
                  JOIN notifications n ON n.seq = t.notification_seq \
                  WHERE n.id = 'g' ORDER BY t.rowid"
            )
            .await,
            [
                pair("id", "g"),
                pair("content", "hello\0there"),
                pair("content", "bonjour")
            ]
        );
        assert_eq!(
            rows("SELECT token, notification_id FROM client_tokens ORDER BY token").await,
            [pair("t0", "claimed"), pair("t1", "a"), pair("t3", "i")]
        );
    }
}
