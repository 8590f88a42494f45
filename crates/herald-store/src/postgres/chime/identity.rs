//! Chime SDK Identity: app instances, their users and admins.

use std::collections::HashSet;

use jiff::Timestamp;
use sqlx::PgConnection;

use super::claims;
use crate::StoreError;
use crate::chime::rows::{self, APP_INSTANCE_COLUMNS, USER_COLUMNS, USER_RETURNING};
use crate::chime::{
    AdminRecord, AppInstanceRecord, AppInstanceUserRecord, Created, NewAppInstance,
    NewAppInstanceUser, RequestClaim,
};
use crate::db_error::is_unique_violation;
use crate::postgres::PgStore;
use crate::postgres::error::{PgError, PgResult};
use crate::postgres::tx::{retried, serializable};
use crate::rows::{all, ms, to_json};

impl PgStore {
    pub(super) async fn create_app_instance_impl(
        &self,
        new: NewAppInstance,
        claim: RequestClaim,
    ) -> PgResult<Created<AppInstanceRecord>> {
        let sql = format!(
            "INSERT INTO chime_app_instances (account_id, id, name, metadata, tags, created_ms, \
             updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {APP_INSTANCE_COLUMNS}"
        );
        let tags = to_json(&new.tags)?;
        serializable!(self, |tx| {
            if let Some(resource_id) = claims::take(tx, &claim, &new.id).await? {
                return Ok(Created::Replayed { resource_id });
            }
            let row = sqlx::query(&sql)
                .bind(&new.account_id)
                .bind(&new.id)
                .bind(&new.name)
                .bind(&new.metadata)
                .bind(&tags)
                .bind(ms(new.created))
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict(e, || format!("app instance {} exists", new.id)))?;
            Created::New(rows::app_instance(&row)?)
        })
    }

    pub(super) async fn get_app_instance_impl(
        &self,
        account_id: &str,
        app_instance_id: &str,
    ) -> PgResult<Option<AppInstanceRecord>> {
        let sql = format!(
            "SELECT {APP_INSTANCE_COLUMNS} FROM chime_app_instances \
             WHERE account_id = $1 AND id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(account_id)
            .bind(app_instance_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rows::app_instance).transpose()?)
    }

    pub(super) async fn list_app_instances_impl(
        &self,
        account_id: &str,
        after_seq: Option<i64>,
        limit: u32,
    ) -> PgResult<Vec<AppInstanceRecord>> {
        let sql = format!(
            "SELECT {APP_INSTANCE_COLUMNS} FROM chime_app_instances \
             WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        );
        let found = sqlx::query(&sql)
            .bind(account_id)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(all(&found, rows::app_instance)?)
    }

    /// Users, channels, admins and everything hanging off them go by ON
    /// DELETE CASCADE in the same statement.
    pub(super) async fn delete_app_instance_impl(&self, app_instance_seq: i64) -> PgResult<bool> {
        let done = retried!({
            Ok(
                sqlx::query("DELETE FROM chime_app_instances WHERE seq = $1")
                    .bind(app_instance_seq)
                    .execute(&self.pool)
                    .await?,
            )
        })?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn create_app_instance_user_impl(
        &self,
        new: NewAppInstanceUser,
        claim: RequestClaim,
    ) -> PgResult<Created<AppInstanceUserRecord>> {
        // A deleted app instance fails the foreign key: `Gone`.
        let sql = format!(
            "INSERT INTO chime_users (app_instance_seq, user_id, name, metadata, tags, \
             created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $6) \
             RETURNING {USER_RETURNING}"
        );
        let tags = to_json(&new.tags)?;
        serializable!(self, |tx| {
            if let Some(resource_id) = claims::take(tx, &claim, &new.user_id).await? {
                return Ok(Created::Replayed { resource_id });
            }
            let row = sqlx::query(&sql)
                .bind(new.app_instance_seq)
                .bind(&new.user_id)
                .bind(&new.name)
                .bind(&new.metadata)
                .bind(&tags)
                .bind(ms(new.created))
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict(e, || format!("app instance user {} exists", new.user_id)))?;
            Created::New(rows::user(&row)?)
        })
    }

    pub(super) async fn get_app_instance_user_impl(
        &self,
        app_instance_seq: i64,
        user_id: &str,
    ) -> PgResult<Option<AppInstanceUserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM chime_users u \
             WHERE u.app_instance_seq = $1 AND u.user_id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(app_instance_seq)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rows::user).transpose()?)
    }

    /// One statement whatever the number of ids (an array bind, not an
    /// IN list); a repeated id matches its user once.
    pub(super) async fn find_app_instance_users_impl(
        &self,
        app_instance_seq: i64,
        user_ids: &[String],
    ) -> PgResult<Vec<AppInstanceUserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM chime_users u \
             WHERE u.app_instance_seq = $1 AND u.user_id = ANY($2) ORDER BY u.seq"
        );
        let found = sqlx::query(&sql)
            .bind(app_instance_seq)
            .bind(user_ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(all(&found, rows::user)?)
    }

    pub(super) async fn list_app_instance_users_impl(
        &self,
        app_instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> PgResult<Vec<AppInstanceUserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM chime_users u \
             WHERE u.app_instance_seq = $1 AND u.seq > $2 ORDER BY u.seq LIMIT $3"
        );
        let found = sqlx::query(&sql)
            .bind(app_instance_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(all(&found, rows::user)?)
    }

    /// Endpoints, admin role, memberships (with preferences), moderator
    /// roles and bans go by ON DELETE CASCADE; messages keep their sender
    /// snapshot.
    pub(super) async fn delete_app_instance_user_impl(&self, user_seq: i64) -> PgResult<bool> {
        let done = retried!({
            Ok(sqlx::query("DELETE FROM chime_users WHERE seq = $1")
                .bind(user_seq)
                .execute(&self.pool)
                .await?)
        })?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn add_app_instance_admin_impl(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
        created: Timestamp,
    ) -> PgResult<()> {
        serializable!(self, |tx| {
            if !user_in(tx, app_instance_seq, user_seq).await? {
                return Err(StoreError::Gone(format!(
                    "app instance user {user_seq} no longer exists"
                ))
                .into());
            }
            // Adding an admin again keeps the first row (and its place in
            // the listing).
            sqlx::query(
                "INSERT INTO chime_admins (app_instance_seq, user_seq, created_ms) \
                 VALUES ($1, $2, $3) ON CONFLICT (user_seq) DO NOTHING",
            )
            .bind(app_instance_seq)
            .bind(user_seq)
            .bind(ms(created))
            .execute(&mut *tx)
            .await?;
        })
    }

    pub(super) async fn list_app_instance_admins_impl(
        &self,
        app_instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> PgResult<Vec<AdminRecord>> {
        let sql = format!(
            "SELECT a.seq AS admin_seq, {USER_COLUMNS} FROM chime_admins a \
             JOIN chime_users u ON u.seq = a.user_seq \
             WHERE a.app_instance_seq = $1 AND a.seq > $2 ORDER BY a.seq LIMIT $3"
        );
        let found = sqlx::query(&sql)
            .bind(app_instance_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(all(&found, rows::admin)?)
    }

    pub(super) async fn is_app_instance_admin_impl(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
    ) -> PgResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM chime_admins \
             WHERE user_seq = $1 AND app_instance_seq = $2)",
        )
        .bind(user_seq)
        .bind(app_instance_seq)
        .fetch_one(&self.pool)
        .await?)
    }

    pub(super) async fn remove_app_instance_admin_impl(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
    ) -> PgResult<bool> {
        let done =
            sqlx::query("DELETE FROM chime_admins WHERE user_seq = $1 AND app_instance_seq = $2")
                .bind(user_seq)
                .bind(app_instance_seq)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }
}

/// Whether the user exists in the app instance.
pub(super) async fn user_in(
    conn: &mut PgConnection,
    app_instance_seq: i64,
    user_seq: i64,
) -> PgResult<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT seq FROM chime_users WHERE seq = $1 AND app_instance_seq = $2")
            .bind(user_seq)
            .bind(app_instance_seq)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// The seqs among `user_seqs` of users that exist in the app instance.
pub(super) async fn users_in(
    conn: &mut PgConnection,
    app_instance_seq: i64,
    user_seqs: &[i64],
) -> PgResult<HashSet<i64>> {
    let seqs: Vec<i64> = sqlx::query_scalar(
        "SELECT seq FROM chime_users WHERE seq = ANY($1) AND app_instance_seq = $2",
    )
    .bind(user_seqs)
    .bind(app_instance_seq)
    .fetch_all(conn)
    .await?;
    Ok(seqs.into_iter().collect())
}

/// A unique violation is the caller's `Conflict`; anything else as usual
/// (a lost race is retried, a foreign-key violation is `Gone`).
pub(super) fn conflict(e: sqlx::Error, message: impl FnOnce() -> String) -> PgError {
    if is_unique_violation(&e) {
        PgError::Store(StoreError::Conflict(message()))
    } else {
        PgError::from(e)
    }
}
