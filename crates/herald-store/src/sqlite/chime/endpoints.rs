//! AppInstanceUser endpoints: the devices pushes go to.

use jiff::Timestamp;

use super::claims;
use super::identity::conflict;
use crate::StoreResult;
use crate::chime::rows::{self, ENDPOINT_COLUMNS};
use crate::chime::{Created, EndpointRecord, EndpointUpdate, NewEndpoint, RequestClaim};
use crate::db_error::db_err;
use crate::rows::{all, ms};
use crate::sqlite::SqliteStore;
use crate::sqlite::notifications::BEGIN_WRITE;

impl SqliteStore {
    pub(super) async fn register_endpoint_impl(
        &self,
        new: NewEndpoint,
        claim: RequestClaim,
    ) -> StoreResult<Created<EndpointRecord>> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        if let Some(resource_id) = claims::replayed(&mut tx, &claim).await? {
            return Ok(Created::Replayed { resource_id });
        }
        // A deleted user fails the foreign key: `Gone`.
        let sql = format!(
            "INSERT INTO chime_endpoints (user_seq, endpoint_id, name, endpoint_type, \
             resource_arn, device_token, voip_device_token, allow_messages, created_ms, \
             updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {ENDPOINT_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.user_seq)
            .bind(&new.endpoint_id)
            .bind(&new.name)
            .bind(new.endpoint_type.as_str())
            .bind(&new.resource_arn)
            .bind(&new.device_token)
            .bind(&new.voip_device_token)
            .bind(new.allow_messages)
            .bind(ms(new.created))
            .bind(ms(new.created))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict(e, || format!("endpoint {} exists", new.endpoint_id)))?;
        let created = rows::endpoint(&row)?;
        claims::store(&mut tx, &claim, &created.endpoint_id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Created::New(created))
    }

    pub(super) async fn get_endpoint_impl(
        &self,
        user_seq: i64,
        endpoint_id: &str,
    ) -> StoreResult<Option<EndpointRecord>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM chime_endpoints WHERE user_seq = ? AND endpoint_id = ?"
        );
        let row = sqlx::query(&sql)
            .bind(user_seq)
            .bind(endpoint_id)
            .fetch_optional(&self.readers)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::endpoint).transpose()
    }

    /// One statement: the update and the read-back cannot be split by
    /// another write.
    pub(super) async fn update_endpoint_impl(
        &self,
        user_seq: i64,
        endpoint_id: &str,
        update: &EndpointUpdate,
        updated: Timestamp,
    ) -> StoreResult<Option<EndpointRecord>> {
        let sql = format!(
            "UPDATE chime_endpoints SET name = coalesce(?, name), \
             allow_messages = coalesce(?, allow_messages), updated_ms = ? \
             WHERE user_seq = ? AND endpoint_id = ? RETURNING {ENDPOINT_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&update.name)
            .bind(update.allow_messages)
            .bind(ms(updated))
            .bind(user_seq)
            .bind(endpoint_id)
            .fetch_optional(&self.writer)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::endpoint).transpose()
    }

    pub(super) async fn list_endpoints_impl(
        &self,
        user_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<EndpointRecord>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM chime_endpoints WHERE user_seq = ? AND seq > ? \
             ORDER BY seq LIMIT ?"
        );
        let found = sqlx::query(&sql)
            .bind(user_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        all(&found, rows::endpoint)
    }

    pub(super) async fn deregister_endpoint_impl(
        &self,
        user_seq: i64,
        endpoint_id: &str,
    ) -> StoreResult<bool> {
        let done =
            sqlx::query("DELETE FROM chime_endpoints WHERE user_seq = ? AND endpoint_id = ?")
                .bind(user_seq)
                .bind(endpoint_id)
                .execute(&self.writer)
                .await
                .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }
}
