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
