//! Stores on scratch databases, for the PostgreSQL test binaries. Each test
//! gets a database of its own; without `HERALD_TEST_DATABASE_URL` the tests
//! say that they were skipped and pass.

use herald_store::postgres::scratch::{ScratchDatabase, TEST_DATABASE_URL_ENV, test_server_url};
use herald_store::postgres::{PgOptions, PgStore};

/// A fresh database and a store on it, or `None` (and a note) when no
/// server is configured.
pub async fn fresh(test: &str) -> Option<(ScratchDatabase, PgStore)> {
    let Some(server) = test_server_url() else {
        eprintln!(
            "SKIPPED {test}: {TEST_DATABASE_URL_ENV} is not set (no PostgreSQL server to test against)"
        );
        return None;
    };
    let database = ScratchDatabase::create(&server)
        .await
        .unwrap_or_else(|e| panic!("cannot create a scratch database on {server}: {e}"));
    let store = connect(&database).await;
    Some((database, store))
}

/// Another store on the same database: another node.
pub async fn connect(database: &ScratchDatabase) -> PgStore {
    let options = PgOptions {
        max_connections: 4,
        ..PgOptions::new(database.url())
    };
    PgStore::connect(&options).await.expect("connect")
}
