//! The conformance suite against `PgStore`, one scratch database per test.
//! Runs when `HERALD_TEST_DATABASE_URL` names a PostgreSQL server (CI sets
//! it); without it every test says that it was skipped and passes.

mod postgres_support;

use postgres_support::fresh;

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
