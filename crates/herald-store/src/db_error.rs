//! How an engine's [`sqlx::Error`] becomes a [`StoreError`], the same for
//! every engine (PostgreSQL first singles out the races it retries).

use crate::StoreError;

/// Undecodable values are damage or a bug (`Corrupt`); a write referring
/// to a row deleted meanwhile (a user removed while a notification to them
/// is created) is `Gone`; anything else means the engine could not do the
/// work (`Unavailable`: unreachable, timed out, …).
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(e.to_string()),
        ref other
            if other
                .as_database_error()
                .is_some_and(|d| d.is_foreign_key_violation()) =>
        {
            StoreError::Gone(other.to_string())
        }
        other => StoreError::Unavailable(other.to_string()),
    }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}
