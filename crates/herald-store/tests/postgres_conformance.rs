//! The conformance suite against `PgStore`, one scratch database per test.
//! Runs when `HERALD_TEST_DATABASE_URL` names a PostgreSQL server (CI sets
//! it); without it every test says that it was skipped and passes.

use herald_store::conformance;
use herald_store::postgres::scratch::{ScratchDatabase, TEST_DATABASE_URL_ENV, test_server_url};
use herald_store::postgres::{PgOptions, PgStore};

/// A fresh database and a store on it, or `None` (and a note) when no
/// server is configured.
async fn fresh(test: &str) -> Option<(ScratchDatabase, PgStore)> {
    let Some(server) = test_server_url() else {
        eprintln!(
            "SKIPPED {test}: {TEST_DATABASE_URL_ENV} is not set (no PostgreSQL server to test against)"
        );
        return None;
    };
    let database = ScratchDatabase::create(&server)
        .await
        .unwrap_or_else(|e| panic!("cannot create a scratch database on {server}: {e}"));
    let options = PgOptions {
        max_connections: 4,
        ..PgOptions::new(database.url())
    };
    let store = PgStore::connect(&options).await.expect("connect");
    Some((database, store))
}

macro_rules! conformance_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some((_database, store)) = fresh(stringify!($name)).await else { return };
                conformance::$name(&store).await;
                herald_store::Store::close(&store).await;
            }
        )*
    };
}

conformance_tests!(
    token_secret_is_stable,
    instances,
    users,
    delete_user_cascades,
    delete_instance_cascades,
    create_direct_and_broadcast,
    client_token_seen,
    id_taken,
    concurrent_client_tokens,
    list_order_and_paging,
    expired_are_hidden,
    content_update,
    delete_notification_cascades,
    tags_update,
    user_listing_order_and_paging,
    user_status,
    search_fields_and_comparisons,
    search_nested,
    search_tag_filters,
    search_totals_and_paging,
    search_matches_reference,
    sweep_expired,
    forget_client_tokens,
);

/// The whole suite on one store: the tests must not disturb each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_on_one_store() {
    let Some((_database, store)) = fresh("run_all_on_one_store").await else {
        return;
    };
    conformance::run_all(&store).await;
    herald_store::Store::close(&store).await;
}

/// Which indexes serve the hot statements, on a database big enough for
/// the planner to prefer them.
#[path = "postgres_conformance/plans.rs"]
mod plans;

/// Several nodes on one database: races the single SQLite writer never
/// meets.
#[path = "postgres_conformance/races.rs"]
mod races;

/// Shared records for the PostgreSQL-only tests.
#[path = "postgres_conformance/fixtures.rs"]
mod fixtures;

/// Text PostgreSQL cannot store.
#[path = "postgres_conformance/nul.rs"]
mod nul;
