//! Instances: one row each, addressed by (account, id) from outside and by
//! `seq` inside.

use super::PgStore;
use super::error::PgResult;
use super::nul::text;
use crate::db_error::is_unique_violation;
use crate::postgres::tx::retried;
use crate::rows::{self, INSTANCE_COLUMNS, ms, to_json};
use crate::{InstanceRecord, NewInstance, StoreError};

impl PgStore {
    pub(super) async fn create_instance_impl(
        &self,
        instance: NewInstance,
    ) -> PgResult<InstanceRecord> {
        let sql = format!(
            "INSERT INTO instances (account_id, id, arn, alias, identity_management_type, \
             inbound_calls_enabled, outbound_calls_enabled, tags, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {INSTANCE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(text(&instance.account_id))
            .bind(text(&instance.id))
            .bind(text(&instance.arn))
            .bind(instance.alias.as_deref().map(text))
            .bind(text(&instance.identity_management_type))
            .bind(instance.inbound_calls_enabled)
            .bind(instance.outbound_calls_enabled)
            .bind(to_json(&instance.tags)?)
            .bind(ms(instance.created_at))
            .fetch_one(&self.pool)
            .await;
        match row {
            Ok(row) => Ok(rows::instance(&row)?),
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Conflict(format!("instance {} exists", instance.id)).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn get_instance_impl(
        &self,
        account_id: &str,
        id: &str,
    ) -> PgResult<Option<InstanceRecord>> {
        let sql =
            format!("SELECT {INSTANCE_COLUMNS} FROM instances WHERE account_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(text(account_id))
            .bind(text(id))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rows::instance).transpose()?)
    }

    pub(super) async fn list_instances_impl(
        &self,
        account_id: &str,
        after_seq: Option<i64>,
        limit: u32,
    ) -> PgResult<Vec<InstanceRecord>> {
        let sql = format!(
            "SELECT {INSTANCE_COLUMNS} FROM instances WHERE account_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        );
        let found = sqlx::query(&sql)
            .bind(text(account_id))
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows::all(&found, rows::instance)?)
    }

    /// Users, notifications and everything hanging off them go by ON DELETE
    /// CASCADE in the same statement.
    pub(super) async fn delete_instance_impl(&self, instance_seq: i64) -> PgResult<bool> {
        let done = retried!({
            Ok(sqlx::query("DELETE FROM instances WHERE seq = $1")
                .bind(instance_seq)
                .execute(&self.pool)
                .await?)
        })?;
        Ok(done.rows_affected() > 0)
    }
}
