use std::sync::Arc;

use herald_store::postgres::PgStore;
use herald_store::postgres::scratch::ScratchDatabase;
use herald_store::{
    ClientTokenClaim, CreateOutcome, StatusOutcome, StatusWrite, Store, UserStatus,
};

use super::fixtures::{NOW_MS, at, instance, note, user};
use super::postgres_support::{connect, fresh};

/// Two stores, as two Herald nodes, on one fresh database.
async fn two_nodes(test: &str) -> Option<(ScratchDatabase, Arc<PgStore>, Arc<PgStore>)> {
    let (database, first) = fresh(test).await?;
    let second = connect(&database).await;
    Some((database, Arc::new(first), Arc::new(second)))
}

/// Creates racing with one client token on two nodes: exactly one wins,
/// and every other one names the winner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_token_race_across_nodes() {
    let Some((_database, a, b)) = two_nodes("client_token_race_across_nodes").await else {
        return;
    };
    let inst = instance(&a, "token-race").await;
    for round in 0..5 {
        let token = format!("race-{round}");
        let racers: Vec<_> = (0..8)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                let mut spec = note(&inst, &format!("racer-{round}-{i}"));
                spec.client_token = Some(ClientTokenClaim {
                    account_id: inst.account_id.clone(),
                    token: token.clone(),
                    request_digest: "digest".into(),
                });
                tokio::spawn(async move { store.create_notification(spec).await })
            })
            .collect();
        let mut winners = Vec::new();
        let mut seen = Vec::new();
        for racer in racers {
            match racer.await.expect("task").expect("create") {
                CreateOutcome::Created(n) => winners.push(n.id),
                CreateOutcome::TokenSeen {
                    notification_id, ..
                } => seen.push(notification_id),
                CreateOutcome::IdTaken => panic!("ids were distinct"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        assert!(seen.iter().all(|id| *id == winners[0]), "{seen:?}");
    }
    let listed = b
        .list_notifications(inst.seq, at(NOW_MS), None, 100)
        .await
        .expect("list");
    assert_eq!(listed.len(), 5, "one notification per token");
    a.close().await;
    b.close().await;
}

/// Two nodes writing one status at once, one write newer than the other,
/// each requiring that nothing newer is stored: the newer one is what
/// stays, whichever commits first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_race_across_nodes() {
    let Some((_database, a, b)) = two_nodes("status_race_across_nodes").await else {
        return;
    };
    let inst = instance(&a, "status-race").await;
    let user = user(&a, &inst, "alice").await;
    let mut direct = note(&inst, "watched");
    direct.broadcast = false;
    direct.direct_user_seqs = vec![user.seq];
    a.create_notification(direct).await.expect("create");

    let write = |status, modified_ms| StatusWrite {
        instance_seq: inst.seq,
        notification_id: "watched".into(),
        user_id: user.id.clone(),
        status,
        now: at(NOW_MS),
        not_older_than: Some(at(modified_ms)),
        modified_at: at(modified_ms),
        modified_region: "us-east-1".into(),
    };
    for round in 0..20i64 {
        let older_ms = NOW_MS + 1_000 * round;
        let (older_status, newer_status) = if round % 2 == 0 {
            (UserStatus::Read, UserStatus::Hidden)
        } else {
            (UserStatus::Hidden, UserStatus::Read)
        };
        let older = write(older_status, older_ms);
        let newer = write(newer_status, older_ms + 1);
        // Alternate which node gets which write, and which starts first.
        let (first, second) = if round % 2 == 0 {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        let (older_task, newer_task) = if round % 4 < 2 {
            let o = tokio::spawn(async move { first.set_user_status(older).await });
            let n = tokio::spawn(async move { second.set_user_status(newer).await });
            (o, n)
        } else {
            let n = tokio::spawn(async move { second.set_user_status(newer).await });
            let o = tokio::spawn(async move { first.set_user_status(older).await });
            (o, n)
        };
        let older_outcome = older_task.await.expect("task").expect("status");
        let newer_outcome = newer_task.await.expect("task").expect("status");
        assert_eq!(
            newer_outcome,
            StatusOutcome::Written { user_seq: user.seq },
            "round {round}"
        );
        assert!(
            matches!(
                older_outcome,
                StatusOutcome::Written { .. } | StatusOutcome::Stale { .. }
            ),
            "round {round}: {older_outcome:?}"
        );

        // What is stored is the newer write: its status and its time.
        let listed = b
            .list_user_notifications(inst.seq, user.seq, at(NOW_MS), None, 10)
            .await
            .expect("list");
        assert_eq!(listed[0].status, newer_status, "round {round}");
        let probe = write(UserStatus::Unread, older_ms);
        assert_eq!(
            a.set_user_status(probe).await.expect("status"),
            StatusOutcome::Stale {
                stored_at: at(older_ms + 1)
            },
            "round {round}"
        );
    }
    a.close().await;
    b.close().await;
}
