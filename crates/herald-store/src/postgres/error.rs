//! PostgreSQL errors: which ones a write transaction retries; the rest
//! become [`StoreError`]s as on every engine ([`db_err`]).

use crate::StoreError;
use crate::db_error::db_err;

/// SQLSTATEs that mean "this transaction lost a race; run it again":
/// serialization_failure and deadlock_detected.
const RETRYABLE: [&str; 2] = ["40001", "40P01"];

/// What the store's internal functions return. `Retry` travels up to the
/// retry loop of [`crate::postgres::tx`]; everything else is final.
#[derive(Debug)]
pub(crate) enum PgError {
    Retry(String),
    Store(StoreError),
}

pub(crate) type PgResult<T> = Result<T, PgError>;

impl From<sqlx::Error> for PgError {
    fn from(e: sqlx::Error) -> Self {
        let retryable = e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| RETRYABLE.contains(&code.as_ref()));
        if retryable {
            PgError::Retry(e.to_string())
        } else {
            PgError::Store(db_err(e))
        }
    }
}

impl From<StoreError> for PgError {
    fn from(e: StoreError) -> Self {
        PgError::Store(e)
    }
}

impl PgError {
    /// At the trait boundary: a race still lost after every retry is the
    /// database being too busy to do the work now.
    pub(crate) fn into_store(self) -> StoreError {
        match self {
            PgError::Retry(message) => {
                StoreError::Unavailable(format!("write contention, retries exhausted: {message}"))
            }
            PgError::Store(e) => e,
        }
    }
}
