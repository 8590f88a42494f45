//! AppInstanceUser endpoints: the devices pushes go to.

use jiff::Timestamp;

use super::claims;
use super::identity::conflict;
use crate::chime::rows::{self, ENDPOINT_COLUMNS};
use crate::chime::{Created, EndpointRecord, EndpointUpdate, NewEndpoint, RequestClaim};
use crate::postgres::PgStore;
use crate::postgres::error::PgResult;
use crate::postgres::tx::serializable;
use crate::rows::{all, ms};

impl PgStore {
    pub(super) async fn register_endpoint_impl(
        &self,
        new: NewEndpoint,
        claim: RequestClaim,
    ) -> PgResult<Created<EndpointRecord>> {
        // A deleted user fails the foreign key: `Gone`.
        let sql = format!(
            "INSERT INTO chime_endpoints (user_seq, endpoint_id, name, endpoint_type, \
             resource_arn, device_token, voip_device_token, allow_messages, created_ms, \
             updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             RETURNING {ENDPOINT_COLUMNS}"
        );
        serializable!(self, |tx| {
            if let Some(resource_id) = claims::take(tx, &claim, &new.endpoint_id).await? {
                return Ok(Created::Replayed { resource_id });
            }
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
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict(e, || format!("endpoint {} exists", new.endpoint_id)))?;
            Created::New(rows::endpoint(&row)?)
        })
    }

    pub(super) async fn get_endpoint_impl(
        &self,
        user_seq: i64,
        endpoint_id: &str,
    ) -> PgResult<Option<EndpointRecord>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM chime_endpoints \
             WHERE user_seq = $1 AND endpoint_id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(user_seq)
            .bind(endpoint_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rows::endpoint).transpose()?)
    }

    /// One statement: the update and the read-back cannot be split by
    /// another write.
    pub(super) async fn update_endpoint_impl(
        &self,
        user_seq: i64,
        endpoint_id: &str,
        update: &EndpointUpdate,
        updated: Timestamp,
    ) -> PgResult<Option<EndpointRecord>> {
        let sql = format!(
            "UPDATE chime_endpoints SET name = coalesce($1, name), \
             allow_messages = coalesce($2, allow_messages), updated_ms = $3 \
             WHERE user_seq = $4 AND endpoint_id = $5 RETURNING {ENDPOINT_COLUMNS}"
        );
        // SERIALIZABLE, as every write that changes a push audience: see
        // migration 0005 (an endpoint write racing a member's join).
        serializable!(self, |tx| {
            let row = sqlx::query(&sql)
                .bind(&update.name)
                .bind(update.allow_messages)
                .bind(ms(updated))
                .bind(user_seq)
                .bind(endpoint_id)
                .fetch_optional(&mut *tx)
                .await?;
            row.as_ref().map(rows::endpoint).transpose()?
        })
    }

    pub(super) async fn list_endpoints_impl(
        &self,
        user_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> PgResult<Vec<EndpointRecord>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM chime_endpoints WHERE user_seq = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        );
        let found = sqlx::query(&sql)
            .bind(user_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(all(&found, rows::endpoint)?)
    }

    pub(super) async fn deregister_endpoint_impl(
        &self,
        user_seq: i64,
        endpoint_id: &str,
    ) -> PgResult<bool> {
        serializable!(self, |tx| {
            sqlx::query("DELETE FROM chime_endpoints WHERE user_seq = $1 AND endpoint_id = $2")
                .bind(user_seq)
                .bind(endpoint_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0
        })
    }
}
