//! The PostgreSQL store, for several Herald nodes sharing one database.
//!
//! Same schema shapes as SQLite (times in epoch milliseconds, JSON columns
//! as text), the same indexes, plus `pg_trgm` GIN indexes for substring
//! search. Multi-statement writes run at SERIALIZABLE isolation with
//! retries ([`tx`]); reads run on the pool directly and never lock. Every
//! call is bounded in time: a database that is away or stalled makes calls
//! fail with `Unavailable` within [`PgOptions::statement_timeout`] × 2,
//! and the pool reconnects by itself when it returns.

mod chime;
mod error;
mod housekeeping;
mod instances;
mod notifications;
mod nul;
#[doc(hidden)]
pub mod plans;
pub mod scratch;
mod search;
mod store;
mod tags;
pub(crate) mod tx;
mod user_view;
mod users;

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Postgres, Transaction};

use crate::db_error::db_err;
use crate::{StoreError, StoreResult};
use error::{PgError, PgResult};

#[doc(hidden)]
pub use chime::ExplainTarget;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

const TOKEN_SECRET_KEY: &str = "token_secret";

/// How to reach the database and how long to wait for it.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// `postgres://user@host:port/database?…`
    pub url: String,
    /// Connections this node keeps open at most.
    pub max_connections: u32,
    /// Longest one statement may run (PostgreSQL's `statement_timeout`);
    /// also how long a request waits for a free connection. A whole store
    /// call, retries included, is cut off at twice this.
    pub statement_timeout: Duration,
}

impl PgOptions {
    pub fn new(url: impl Into<String>) -> PgOptions {
        PgOptions {
            url: url.into(),
            max_connections: 10,
            statement_timeout: Duration::from_secs(5),
        }
    }
}

pub struct PgStore {
    pool: PgPool,
    token_secret: Vec<u8>,
    call_timeout: Duration,
}

impl PgStore {
    /// Connects, brings the schema up to date (under the migrator's
    /// advisory lock, so nodes starting together apply each migration
    /// once) and makes sure the shared token secret exists.
    pub async fn connect(options: &PgOptions) -> StoreResult<PgStore> {
        let timeout_ms = options.statement_timeout.as_millis().max(1).to_string();
        let base = PgConnectOptions::from_str(&options.url)
            .map_err(|e| StoreError::Unavailable(format!("bad database URL: {e}")))?
            .application_name("herald");
        migrate(&base, options.statement_timeout).await?;
        // Custom plans: the values decide a plan. A CONTAINS pattern with
        // trigrams takes the trigram index, one without takes the
        // instance's texts; a cached generic plan cannot tell them apart.
        // No JIT: every query here is an index lookup, and compiling the
        // large push-audience read costs more than it saves.
        let connect = base.options([
            ("statement_timeout", timeout_ms.as_str()),
            ("plan_cache_mode", "force_custom_plan"),
            ("jit", "off"),
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.statement_timeout)
            .connect_with(connect)
            .await
            .map_err(db_err)?;
        let token_secret = ensure_token_secret(&pool)
            .await
            .map_err(PgError::into_store)?;
        Ok(PgStore {
            pool,
            token_secret,
            call_timeout: options.statement_timeout * 2,
        })
    }

    /// A SERIALIZABLE transaction, for [`tx::serializable`].
    pub(crate) async fn begin_serializable(&self) -> PgResult<Transaction<'static, Postgres>> {
        Ok(self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL SERIALIZABLE")
            .await?)
    }

    /// A read-only snapshot, for reads that must agree with each other.
    pub(crate) async fn begin_snapshot(&self) -> PgResult<Transaction<'static, Postgres>> {
        Ok(self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?)
    }

    /// Runs one store call within the call timeout, so that no request
    /// waits on a stalled database for longer than that.
    async fn run<T>(&self, work: impl Future<Output = PgResult<T>>) -> StoreResult<T> {
        match tokio::time::timeout(self.call_timeout, work).await {
            Ok(result) => result.map_err(PgError::into_store),
            Err(_) => Err(StoreError::Unavailable(format!(
                "the database did not answer within {:?}",
                self.call_timeout
            ))),
        }
    }
}

/// Brings the schema up to date on a connection of its own, without the
/// statement timeout: the migrator waits on its advisory lock while another
/// node migrates, and a migration may take longer than a statement may.
/// Reaching the database is still bounded by `connect_timeout`.
async fn migrate(options: &PgConnectOptions, connect_timeout: Duration) -> StoreResult<()> {
    let mut connection = tokio::time::timeout(connect_timeout, PgConnection::connect_with(options))
        .await
        .map_err(|_| {
            StoreError::Unavailable(format!(
                "the database did not answer within {connect_timeout:?}"
            ))
        })?
        .map_err(db_err)?;
    MIGRATOR
        .run(&mut connection)
        .await
        .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))?;
    connection.close().await.map_err(db_err)
}

/// Creates the secret once per database; every node reads the same one.
async fn ensure_token_secret(pool: &PgPool) -> PgResult<Vec<u8>> {
    let fresh: [u8; 32] = rand::random();
    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(TOKEN_SECRET_KEY)
        .bind(fresh.to_vec())
        .execute(pool)
        .await?;
    let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
        .bind(TOKEN_SECRET_KEY)
        .fetch_one(pool)
        .await?;
    if stored.len() < 32 {
        return Err(StoreError::Corrupt(format!("token secret has {} bytes", stored.len())).into());
    }
    Ok(stored)
}
