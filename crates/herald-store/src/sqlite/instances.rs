//! Instances: one row each, addressed by (account, id) from outside and by
//! `seq` inside.

use super::SqliteStore;
use crate::db_error::{db_err, is_unique_violation};
use crate::rows::{self, INSTANCE_COLUMNS, ms, to_json};
use crate::{InstanceRecord, NewInstance, StoreError, StoreResult};

impl SqliteStore {
    pub(super) async fn create_instance_impl(
        &self,
        instance: NewInstance,
    ) -> StoreResult<InstanceRecord> {
        let sql = format!(
            "INSERT INTO instances (account_id, id, arn, alias, identity_management_type, \
             inbound_calls_enabled, outbound_calls_enabled, tags, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {INSTANCE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&instance.account_id)
            .bind(&instance.id)
            .bind(&instance.arn)
            .bind(&instance.alias)
            .bind(&instance.identity_management_type)
            .bind(instance.inbound_calls_enabled)
            .bind(instance.outbound_calls_enabled)
            .bind(to_json(&instance.tags)?)
            .bind(ms(instance.created_at))
            .fetch_one(&self.writer)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("instance {} exists", instance.id))
                } else {
                    db_err(e)
                }
            })?;
        rows::instance(&row)
    }

    pub(super) async fn get_instance_impl(
        &self,
        account_id: &str,
        id: &str,
    ) -> StoreResult<Option<InstanceRecord>> {
        let sql =
            format!("SELECT {INSTANCE_COLUMNS} FROM instances WHERE account_id = ? AND id = ?");
        let row = sqlx::query(&sql)
            .bind(account_id)
            .bind(id)
            .fetch_optional(&self.readers)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::instance).transpose()
    }

    pub(super) async fn list_instances_impl(
        &self,
        account_id: &str,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<InstanceRecord>> {
        let sql = format!(
            "SELECT {INSTANCE_COLUMNS} FROM instances WHERE account_id = ? AND seq > ? \
             ORDER BY seq LIMIT ?"
        );
        let found = sqlx::query(&sql)
            .bind(account_id)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        rows::all(&found, rows::instance)
    }

    /// Users, notifications and everything hanging off them go by ON DELETE
    /// CASCADE in the same statement.
    pub(super) async fn delete_instance_impl(&self, instance_seq: i64) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM instances WHERE seq = ?")
            .bind(instance_seq)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }
}
