//! The conformance suite against `PgStore`, one scratch database per test.
//! Runs when `HERALD_TEST_DATABASE_URL` names a PostgreSQL server (CI sets
//! it); without it every test says that it was skipped and passes.

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

herald_store::connect_conformance_tests!(fresh);

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
