//! The whole end-to-end suite of `tests/e2e/`, unchanged, against servers
//! that keep their data in PostgreSQL (a scratch database per server on
//! the server `HERALD_TEST_DATABASE_URL` names), plus what only several
//! nodes on one database can show (`e2e_postgres/`).
//!
//! Built with the suite only when `HERALD_TEST_DATABASE_URL` is set at
//! build time (see `build.rs`); otherwise it holds one test that says the
//! suite was skipped.

/// This binary runs the suite on PostgreSQL.
#[cfg(herald_pg_tests)]
const BACKEND: common::Backend = common::Backend::Postgres;

#[path = "e2e/common/mod.rs"]
#[cfg(herald_pg_tests)]
mod common;

#[path = "e2e/chime/mod.rs"]
#[cfg(herald_pg_tests)]
mod chime;
#[path = "e2e/cli.rs"]
#[cfg(herald_pg_tests)]
mod cli;
#[path = "e2e/crash.rs"]
#[cfg(herald_pg_tests)]
mod crash;
#[path = "e2e/directory.rs"]
#[cfg(herald_pg_tests)]
mod directory;
#[path = "e2e/expiry.rs"]
#[cfg(herald_pg_tests)]
mod expiry;
#[path = "e2e/notifications.rs"]
#[cfg(herald_pg_tests)]
mod notifications;
#[path = "e2e/pagination.rs"]
#[cfg(herald_pg_tests)]
mod pagination;
#[path = "e2e/persistence.rs"]
#[cfg(herald_pg_tests)]
mod persistence;
#[path = "e2e/protocol.rs"]
#[cfg(herald_pg_tests)]
mod protocol;
#[path = "e2e/search.rs"]
#[cfg(herald_pg_tests)]
mod search;
#[path = "e2e/security.rs"]
#[cfg(herald_pg_tests)]
mod security;
#[path = "e2e/throttling.rs"]
#[cfg(herald_pg_tests)]
mod throttling;
#[path = "e2e/user_notifications.rs"]
#[cfg(herald_pg_tests)]
mod user_notifications;
#[path = "e2e/widget/mod.rs"]
#[cfg(herald_pg_tests)]
mod widget;

#[path = "e2e_postgres/nodes.rs"]
#[cfg(herald_pg_tests)]
mod nodes;
#[path = "e2e_postgres/outage.rs"]
#[cfg(herald_pg_tests)]
mod outage;
#[path = "e2e_postgres/proxy.rs"]
#[cfg(herald_pg_tests)]
mod proxy;

#[cfg(not(herald_pg_tests))]
#[test]
fn postgres_suite_skipped() {
    eprintln!(
        "SKIPPED: the end-to-end suite on PostgreSQL was not built: set HERALD_TEST_DATABASE_URL \
         (e.g. postgres://postgres@127.0.0.1:5432/test) and run `cargo test` again"
    );
}
