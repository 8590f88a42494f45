//! Row decoding and JSON columns, as in the SQLite store: every integer
//! column is BIGINT (`i64`), times are epoch milliseconds, JSON is text.

use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::postgres::{PgRow, Postgres};
use sqlx::{Decode, Row, Type};

use crate::{StoreError, StoreResult};

/// Milliseconds since the epoch, the unit every time column uses.
pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn timestamp(ms: i64, column: &str) -> StoreResult<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Corrupt(format!("{column}: {ms} is not a time: {e}")))
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Unavailable(format!("cannot encode JSON column: {e}")))
}

pub(crate) fn from_json<T: DeserializeOwned>(text: &str, column: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

pub(crate) fn get<'r, T>(row: &'r PgRow, column: &str) -> StoreResult<T>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    row.try_get(column)
        .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

pub(crate) fn get_time(row: &PgRow, column: &str) -> StoreResult<Timestamp> {
    timestamp(get(row, column)?, column)
}

pub(crate) fn get_json<T: DeserializeOwned>(row: &PgRow, column: &str) -> StoreResult<T> {
    let text: String = get(row, column)?;
    from_json(&text, column)
}

pub(crate) fn all<T>(rows: &[PgRow], decode: fn(&PgRow) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(decode).collect()
}
