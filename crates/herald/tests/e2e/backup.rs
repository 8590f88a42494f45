//! `herald backup` / `herald restore` and the embedded store's refusals:
//! a second server on one data directory, and files that are not Herald's
//! at start-up. SQLite only (PostgreSQL is backed up with pg_dump).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use aws_sdk_connect::Client;
use aws_sdk_connect::types::NotificationStatus;
use tokio::task::JoinSet;

const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

/// Runs `herald ARGS` to completion (from a multi-threaded test).
fn herald(args: &[&str]) -> Run {
    tokio::task::block_in_place(|| run_herald(args, COMMAND_TIMEOUT))
}

#[track_caller]
fn assert_refused(run: &Run, expected: &str) {
    assert!(
        run.status.is_some() && !run.succeeded(),
        "expected a refusal ({expected}), got {run:?}"
    );
    assert!(run.stderr.contains(expected), "stderr: {}", run.stderr);
}

/// A notification whose creation was acknowledged.
#[derive(Debug, Clone)]
struct Ack {
    id: String,
    text: String,
    /// Its one recipient.
    user_id: String,
    /// Whether the recipient's READ was acknowledged too.
    read: bool,
}

type Acked = Arc<Mutex<Vec<Ack>>>;

/// Creates notifications and marks each READ for its recipient, until
/// `stop`; records each write once it is acknowledged.
async fn write_until(
    client: Client,
    instance_id: String,
    users: Vec<UserRef>,
    writer: usize,
    acked: Acked,
    stop: Arc<AtomicBool>,
) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let user = &users[n % users.len()];
        let text = format!("writer {writer} note {n}");
        let id = notify(&client, &instance_id, &[&user.arn], &text).await.id;
        let at = {
            let mut acked = acked.lock().unwrap();
            acked.push(Ack {
                id: id.clone(),
                text,
                user_id: user.id.clone(),
                read: false,
            });
            acked.len() - 1
        };
        set_status(
            &client,
            &instance_id,
            &user.id,
            &id,
            NotificationStatus::Read,
        )
        .await;
        acked.lock().unwrap()[at].read = true;
        n += 1;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_under_load_restores_every_write_acknowledged_before_it() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let users = create_users(&client, &inst.id, 3).await;

    let acked: Acked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = JoinSet::new();
    for writer in 0..4 {
        writers.spawn(write_until(
            client.clone(),
            inst.id.clone(),
            users.clone(),
            writer,
            acked.clone(),
            stop.clone(),
        ));
    }
    eventually(
        Duration::from_secs(30),
        "writes to be acknowledged",
        || async { (acked.lock().unwrap().len() >= 40).then_some(()) },
    )
    .await;

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("herald-backup.db");
    let before = acked.lock().unwrap().clone();
    let run = herald(&[
        "backup",
        "--to",
        arg(&file),
        "--data-dir",
        arg(server.data_dir()),
    ]);
    let during = acked.lock().unwrap().len() - before.len();
    stop.store(true, Ordering::Relaxed);
    while let Some(done) = writers.join_next().await {
        done.expect("writer");
    }
    assert!(run.succeeded(), "backup failed: {run:?}");
    let size = std::fs::metadata(&file).expect("backup file").len();
    assert!(
        run.stdout.contains(&format!(
            "backup written to {} ({size} bytes)",
            file.display()
        )),
        "{}",
        run.stdout
    );
    eprintln!(
        "{} writes acknowledged before the backup, {during} while it ran",
        before.len()
    );

    let restored_dir = tempfile::Builder::new()
        .prefix("herald-e2e-restored-")
        .tempdir()
        .unwrap();
    let run = herald(&[
        "restore",
        "--from",
        arg(&file),
        "--data-dir",
        arg(restored_dir.path()),
    ]);
    assert!(run.succeeded(), "restore failed: {run:?}");
    assert!(run.stdout.contains("restored"), "{}", run.stdout);
    let restored = Server::launch_in(Launch::default(), restored_dir).await;
    let copy = restored.client();

    // Everything acknowledged before the backup began is there, as the
    // original server describes it.
    let listed: Vec<String> = list_notification_ids(&copy, &inst.id).await;
    let listed_set: HashSet<&String> = listed.iter().collect();
    assert_eq!(listed_set.len(), listed.len(), "a listing repeats itself");
    for ack in &before {
        assert!(
            listed_set.contains(&ack.id),
            "{} ({}) missing from the restored listing",
            ack.id,
            ack.text
        );
        let described = describe(&copy, &inst.id, &ack.id).await;
        assert_eq!(described.content(), Some(&en(&ack.text)), "{}", ack.id);
    }
    // Whatever else the backup holds is a whole write the original also
    // has, and the copy describes what it lists as the original does.
    for id in &listed {
        let restored = describe(&copy, &inst.id, id).await;
        let source = describe(&client, &inst.id, id).await;
        assert_eq!(restored.content(), source.content(), "{id}");
        assert_eq!(restored.recipients(), source.recipients(), "{id}");
        assert_eq!(restored.created_at(), source.created_at(), "{id}");
    }
    // Statuses acknowledged before the backup are in each user's listing,
    // which agrees with the instance listing.
    for user in &users {
        let view = list_user_notifications_all(&copy, &inst.id, &user.id).await;
        let statuses: HashMap<String, NotificationStatus> = view
            .iter()
            .map(|n| {
                (
                    n.notification_id().unwrap().to_string(),
                    n.notification_status().cloned().unwrap(),
                )
            })
            .collect();
        for id in statuses.keys() {
            assert!(listed_set.contains(id), "{id} in a user's view only");
        }
        for ack in before.iter().filter(|a| a.user_id == user.id) {
            let status = statuses.get(&ack.id);
            assert!(
                status.is_some(),
                "{} missing from its recipient's listing",
                ack.id
            );
            if ack.read {
                assert_eq!(status, Some(&NotificationStatus::Read), "{}", ack.id);
            }
        }
    }
    // The restored store takes writes.
    notify(&copy, &inst.id, &[&inst.arn], "after the restore").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_refuses_an_existing_file_a_missing_store_and_postgres() {
    let server = Server::start().await;
    create_instance(&server.client()).await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("taken.db");
    std::fs::write(&file, b"an earlier backup").unwrap();

    let run = herald(&[
        "backup",
        "--to",
        arg(&file),
        "--data-dir",
        arg(server.data_dir()),
    ]);
    assert_refused(&run, "already exists");
    assert_eq!(std::fs::read(&file).unwrap(), b"an earlier backup");

    let empty = tempfile::tempdir().unwrap();
    let fresh = out.path().join("fresh.db");
    let run = herald(&[
        "backup",
        "--to",
        arg(&fresh),
        "--data-dir",
        arg(empty.path()),
    ]);
    assert_refused(&run, "holds no Herald store");
    assert!(!fresh.exists());

    let run = herald(&[
        "backup",
        "--to",
        arg(&fresh),
        "--database-url",
        "postgres://db/herald",
    ]);
    assert_refused(&run, "pg_dump");
    assert!(!fresh.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_waits_for_the_server_to_stop_and_replaces_a_store_only_with_force() {
    let mut server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let kept = notify(&client, &inst.id, &[&inst.arn], "in the backup").await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("b.db");
    let run = herald(&[
        "backup",
        "--to",
        arg(&file),
        "--data-dir",
        arg(server.data_dir()),
    ]);
    assert!(run.succeeded(), "{run:?}");
    let dropped = notify(&client, &inst.id, &[&inst.arn], "after the backup").await;
    let dir = server.data_dir().to_path_buf();

    let run = herald(&[
        "restore",
        "--from",
        arg(&file),
        "--data-dir",
        arg(&dir),
        "--force",
    ]);
    assert_refused(&run, "another herald is using");
    // Nothing changed under the running server.
    assert_eq!(
        sorted(list_notification_ids(&client, &inst.id).await),
        sorted(vec![kept.id.clone(), dropped.id.clone()])
    );

    server.stop().await;
    let run = herald(&["restore", "--from", arg(&file), "--data-dir", arg(&dir)]);
    assert_refused(&run, "--force");
    server.start_again().await;
    assert_eq!(
        list_notification_ids(&server.client(), &inst.id)
            .await
            .len(),
        2,
        "refused without --force, the store stays as it was"
    );

    server.stop().await;
    let run = herald(&[
        "restore",
        "--from",
        arg(&file),
        "--data-dir",
        arg(&dir),
        "--force",
    ]);
    assert!(run.succeeded(), "{run:?}");
    server.start_again().await;
    assert_eq!(
        list_notification_ids(&server.client(), &inst.id).await,
        vec![kept.id],
        "the store is the backup's"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_server_on_the_same_data_dir_refuses_to_start() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let run = herald(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        arg(server.data_dir()),
    ]);
    assert_refused(&run, "another herald is using");
    assert!(
        run.stderr.contains(arg(server.data_dir())),
        "{}",
        run.stderr
    );
    // The first is unaffected.
    notify(&client, &inst.id, &[&inst.arn], "still here").await;
}

/// `herald serve` on a directory whose herald.db is `bytes` must refuse,
/// naming the file and saying `expected`, and leave the file as it was
/// (and create no log files next to it).
fn assert_start_refused(dir: &Path, expected: &str) {
    let db = dir.join("herald.db");
    let before = std::fs::read(&db).unwrap();
    let run = run_herald(
        &["serve", "--listen", "127.0.0.1:0", "--data-dir", arg(dir)],
        COMMAND_TIMEOUT,
    );
    assert!(
        run.status.is_some() && !run.succeeded(),
        "herald started on a bad file ({expected}): {run:?}"
    );
    assert!(!run.stdout.contains("herald listening"), "{}", run.stdout);
    assert!(run.stderr.contains(expected), "{}", run.stderr);
    assert!(run.stderr.contains(arg(&db)), "{}", run.stderr);
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "{expected}: the file changed"
    );
    for suffix in ["-wal", "-shm", "-journal"] {
        assert!(
            !dir.join(format!("herald.db{suffix}")).exists(),
            "{expected}: herald.db{suffix} appeared"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn start_up_refuses_a_file_that_is_not_a_herald_store_and_leaves_it_alone() {
    // Not SQLite at all.
    let garbage = tempfile::tempdir().unwrap();
    std::fs::write(
        garbage.path().join("herald.db"),
        b"PK\x03\x04 an archive, say".repeat(500),
    )
    .unwrap();
    tokio::task::block_in_place(|| assert_start_refused(garbage.path(), "not a SQLite database"));

    // Another program's SQLite database.
    let foreign = tempfile::tempdir().unwrap();
    {
        use sqlx::{ConnectOptions, Connection};
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(foreign.path().join("herald.db"))
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO invoices (total) VALUES (12.5)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    tokio::task::block_in_place(|| assert_start_refused(foreign.path(), "foreign database"));

    // Herald's own, cut short (a bad copy, a full disk).
    let mut server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    for i in 0..20 {
        notify(&client, &inst.id, &[&inst.arn], &format!("note {i}")).await;
    }
    server.stop().await;
    let db = server.data_dir().join("herald.db");
    {
        // Everything into herald.db first: a log left next to it would
        // hold pages the cut cannot reach.
        use sqlx::{ConnectOptions, Connection};
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&db)
            .connect()
            .await
            .unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(server.data_dir().join(format!("herald.db{suffix}")));
    }
    let whole = std::fs::read(&db).unwrap();
    std::fs::write(&db, &whole[..whole.len() / 2]).unwrap();
    tokio::task::block_in_place(|| assert_start_refused(server.data_dir(), "truncated"));
}
