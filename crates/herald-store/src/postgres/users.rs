//! Users of an instance.

use super::PgStore;
use super::error::{PgError, PgResult};
use super::nul::{self, text};
use crate::db_error::is_unique_violation;
use crate::postgres::tx::retried;
use crate::rows::{self, USER_COLUMNS, ms, to_json};
use crate::{NewUser, StoreError, UserRecord};

impl PgStore {
    /// One INSERT: the unique indexes decide a race between two creates
    /// atomically, so no transaction around it is needed.
    pub(super) async fn create_user_impl(&self, user: NewUser) -> PgResult<UserRecord> {
        let sql = format!(
            "INSERT INTO users (instance_seq, id, arn, username, settings, tags, modified_at, \
             modified_region) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(user.instance_seq)
            .bind(text(&user.id))
            .bind(text(&user.arn))
            .bind(text(&user.username))
            .bind(to_json(&user.settings)?)
            .bind(to_json(&user.tags)?)
            .bind(ms(user.modified_at))
            .bind(text(&user.modified_region))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| unique_conflict(e, &user))?;
        Ok(rows::user(&row)?)
    }

    pub(super) async fn get_user_impl(
        &self,
        instance_seq: i64,
        user_id: &str,
    ) -> PgResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE instance_seq = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(instance_seq)
            .bind(text(user_id))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rows::user).transpose()?)
    }

    /// One statement whatever the number of ids: they travel as one array.
    pub(super) async fn find_users_impl(
        &self,
        instance_seq: i64,
        user_ids: &[String],
    ) -> PgResult<Vec<UserRecord>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = user_ids.iter().map(|id| nul::owned(id)).collect();
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE instance_seq = $1 AND id = ANY($2) \
             ORDER BY seq"
        );
        let found = sqlx::query(&sql)
            .bind(instance_seq)
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows::all(&found, rows::user)?)
    }

    pub(super) async fn list_users_impl(
        &self,
        instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> PgResult<Vec<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE instance_seq = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        );
        let found = sqlx::query(&sql)
            .bind(instance_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows::all(&found, rows::user)?)
    }

    /// The user's recipient rows and statuses go by ON DELETE CASCADE.
    pub(super) async fn delete_user_impl(
        &self,
        instance_seq: i64,
        user_id: &str,
    ) -> PgResult<bool> {
        let done = retried!({
            Ok(
                sqlx::query("DELETE FROM users WHERE instance_seq = $1 AND id = $2")
                    .bind(instance_seq)
                    .bind(text(user_id))
                    .execute(&self.pool)
                    .await?,
            )
        })?;
        Ok(done.rows_affected() > 0)
    }
}

/// A unique violation on users is a broken rule the caller reports; the
/// violated index tells which one.
fn unique_conflict(e: sqlx::Error, user: &NewUser) -> PgError {
    if !is_unique_violation(&e) {
        return e.into();
    }
    let index = e.as_database_error().and_then(|d| d.constraint());
    let conflict = if index == Some("users_by_instance_username") {
        StoreError::Conflict(format!("user name {} is taken", user.username))
    } else {
        StoreError::Conflict(format!("user {} exists", user.id))
    };
    conflict.into()
}
