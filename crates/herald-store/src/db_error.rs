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
        ref other if is_disk_full(other) => StoreError::Full(other.to_string()),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// SQLite's SQLITE_FULL (13, "database or disk is full") and PostgreSQL's
/// class 53100 (disk_full) are the same condition to a client.
fn is_disk_full(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "13" || code == "53100")
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}
