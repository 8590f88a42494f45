//! Chime SDK Identity: app instances, their users and admins.

use std::collections::HashSet;

use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{IN_CHUNK, claims};
use crate::chime::rows::{self, APP_INSTANCE_COLUMNS, USER_COLUMNS, USER_RETURNING};
use crate::chime::{
    AdminRecord, AppInstanceRecord, AppInstanceUserRecord, Created, NewAppInstance,
    NewAppInstanceUser, RequestClaim,
};
use crate::db_error::{db_err, is_unique_violation};
use crate::rows::{all, ms, to_json};
use crate::sqlite::SqliteStore;
use crate::sqlite::notifications::BEGIN_WRITE;
use crate::{StoreError, StoreResult};

impl SqliteStore {
    pub(super) async fn create_app_instance_impl(
        &self,
        new: NewAppInstance,
        claim: RequestClaim,
    ) -> StoreResult<Created<AppInstanceRecord>> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        if let Some(resource_id) = claims::replayed(&mut tx, &claim).await? {
            return Ok(Created::Replayed { resource_id });
        }
        let sql = format!(
            "INSERT INTO chime_app_instances (account_id, id, name, metadata, tags, created_ms, \
             updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {APP_INSTANCE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&new.account_id)
            .bind(&new.id)
            .bind(&new.name)
            .bind(&new.metadata)
            .bind(to_json(&new.tags)?)
            .bind(ms(new.created))
            .bind(ms(new.created))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict(e, || format!("app instance {} exists", new.id)))?;
        let created = rows::app_instance(&row)?;
        claims::store(&mut tx, &claim, &created.id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Created::New(created))
    }

    pub(super) async fn get_app_instance_impl(
        &self,
        account_id: &str,
        app_instance_id: &str,
    ) -> StoreResult<Option<AppInstanceRecord>> {
        let sql = format!(
            "SELECT {APP_INSTANCE_COLUMNS} FROM chime_app_instances \
             WHERE account_id = ? AND id = ?"
        );
        let row = sqlx::query(&sql)
            .bind(account_id)
            .bind(app_instance_id)
            .fetch_optional(&self.readers)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::app_instance).transpose()
    }

    pub(super) async fn list_app_instances_impl(
        &self,
        account_id: &str,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AppInstanceRecord>> {
        let sql = format!(
            "SELECT {APP_INSTANCE_COLUMNS} FROM chime_app_instances \
             WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?"
        );
        let found = sqlx::query(&sql)
            .bind(account_id)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        all(&found, rows::app_instance)
    }

    /// Users, channels, admins and everything hanging off them go by ON
    /// DELETE CASCADE in the same statement.
    pub(super) async fn delete_app_instance_impl(
        &self,
        app_instance_seq: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM chime_app_instances WHERE seq = ?")
            .bind(app_instance_seq)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn create_app_instance_user_impl(
        &self,
        new: NewAppInstanceUser,
        claim: RequestClaim,
    ) -> StoreResult<Created<AppInstanceUserRecord>> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        if let Some(resource_id) = claims::replayed(&mut tx, &claim).await? {
            return Ok(Created::Replayed { resource_id });
        }
        // A deleted app instance fails the foreign key: `Gone`.
        let sql = format!(
            "INSERT INTO chime_users (app_instance_seq, user_id, name, metadata, tags, \
             created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {USER_RETURNING}"
        );
        let row = sqlx::query(&sql)
            .bind(new.app_instance_seq)
            .bind(&new.user_id)
            .bind(&new.name)
            .bind(&new.metadata)
            .bind(to_json(&new.tags)?)
            .bind(ms(new.created))
            .bind(ms(new.created))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict(e, || format!("app instance user {} exists", new.user_id)))?;
        let created = rows::user(&row)?;
        claims::store(&mut tx, &claim, &created.user_id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Created::New(created))
    }

    pub(super) async fn get_app_instance_user_impl(
        &self,
        app_instance_seq: i64,
        user_id: &str,
    ) -> StoreResult<Option<AppInstanceUserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM chime_users u \
             WHERE u.app_instance_seq = ? AND u.user_id = ?"
        );
        let row = sqlx::query(&sql)
            .bind(app_instance_seq)
            .bind(user_id)
            .fetch_optional(&self.readers)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::user).transpose()
    }

    pub(super) async fn find_app_instance_users_impl(
        &self,
        app_instance_seq: i64,
        user_ids: &[String],
    ) -> StoreResult<Vec<AppInstanceUserRecord>> {
        let mut found = Vec::new();
        for chunk in user_ids.chunks(IN_CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {USER_COLUMNS} FROM chime_users u WHERE u.app_instance_seq = "
            ));
            qb.push_bind(app_instance_seq).push(" AND u.user_id IN (");
            let mut ids = qb.separated(", ");
            for id in chunk {
                ids.push_bind(id.as_str());
            }
            qb.push(")");
            let rows = qb.build().fetch_all(&self.readers).await.map_err(db_err)?;
            found.extend(all(&rows, rows::user)?);
        }
        // A duplicate id across chunks must not yield the user twice.
        found.sort_by_key(|u| u.seq);
        found.dedup_by_key(|u| u.seq);
        Ok(found)
    }

    pub(super) async fn list_app_instance_users_impl(
        &self,
        app_instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AppInstanceUserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM chime_users u \
             WHERE u.app_instance_seq = ? AND u.seq > ? ORDER BY u.seq LIMIT ?"
        );
        let found = sqlx::query(&sql)
            .bind(app_instance_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        all(&found, rows::user)
    }

    /// Endpoints, admin role, memberships (with preferences), moderator
    /// roles and bans go by ON DELETE CASCADE; messages keep their sender
    /// snapshot.
    pub(super) async fn delete_app_instance_user_impl(&self, user_seq: i64) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM chime_users WHERE seq = ?")
            .bind(user_seq)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn add_app_instance_admin_impl(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
        created: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        if !user_in(&mut tx, app_instance_seq, user_seq).await? {
            return Err(StoreError::Gone(format!(
                "app instance user {user_seq} no longer exists"
            )));
        }
        // Adding an admin again keeps the first row (and its place in the
        // listing).
        sqlx::query(
            "INSERT INTO chime_admins (app_instance_seq, user_seq, created_ms) VALUES (?, ?, ?) \
             ON CONFLICT (user_seq) DO NOTHING",
        )
        .bind(app_instance_seq)
        .bind(user_seq)
        .bind(ms(created))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    pub(super) async fn list_app_instance_admins_impl(
        &self,
        app_instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AdminRecord>> {
        let sql = format!(
            "SELECT a.seq AS admin_seq, {USER_COLUMNS} FROM chime_admins a \
             JOIN chime_users u ON u.seq = a.user_seq \
             WHERE a.app_instance_seq = ? AND a.seq > ? ORDER BY a.seq LIMIT ?"
        );
        let found = sqlx::query(&sql)
            .bind(app_instance_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        all(&found, rows::admin)
    }

    pub(super) async fn is_app_instance_admin_impl(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
    ) -> StoreResult<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM chime_admins WHERE user_seq = ? AND app_instance_seq = ?)",
        )
        .bind(user_seq)
        .bind(app_instance_seq)
        .fetch_one(&self.readers)
        .await
        .map_err(db_err)
    }

    pub(super) async fn remove_app_instance_admin_impl(
        &self,
        app_instance_seq: i64,
        user_seq: i64,
    ) -> StoreResult<bool> {
        let done =
            sqlx::query("DELETE FROM chime_admins WHERE user_seq = ? AND app_instance_seq = ?")
                .bind(user_seq)
                .bind(app_instance_seq)
                .execute(&self.writer)
                .await
                .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }
}

/// Whether the user exists in the app instance.
pub(super) async fn user_in(
    conn: &mut SqliteConnection,
    app_instance_seq: i64,
    user_seq: i64,
) -> StoreResult<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT seq FROM chime_users WHERE seq = ? AND app_instance_seq = ?")
            .bind(user_seq)
            .bind(app_instance_seq)
            .fetch_optional(conn)
            .await
            .map_err(db_err)?;
    Ok(found.is_some())
}

/// The seqs among `user_seqs` of users that exist in the app instance.
pub(super) async fn users_in(
    conn: &mut SqliteConnection,
    app_instance_seq: i64,
    user_seqs: &[i64],
) -> StoreResult<HashSet<i64>> {
    let mut found = HashSet::new();
    for chunk in user_seqs.chunks(IN_CHUNK) {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT seq FROM chime_users WHERE seq IN (");
        let mut seqs = qb.separated(", ");
        for seq in chunk {
            seqs.push_bind(*seq);
        }
        qb.push(") AND app_instance_seq = ")
            .push_bind(app_instance_seq);
        let seqs: Vec<i64> = qb
            .build_query_scalar()
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        found.extend(seqs);
    }
    Ok(found)
}

/// A unique violation is the caller's `Conflict`; anything else as usual
/// (a foreign-key violation is `Gone`).
pub(super) fn conflict(e: sqlx::Error, message: impl FnOnce() -> String) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(message())
    } else {
        db_err(e)
    }
}
