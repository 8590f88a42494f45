//! Users of an instance.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::SqliteStore;
use crate::db_error::{db_err, is_unique_violation};
use crate::rows::{self, USER_COLUMNS, ms, to_json};
use crate::{NewUser, StoreError, StoreResult, UserRecord};

/// Ids per `IN (…)` list: callers pass at most 200; larger inputs are split
/// so the statement never approaches SQLite's bound-parameter limit.
const FIND_CHUNK: usize = 200;

impl SqliteStore {
    pub(super) async fn create_user_impl(&self, user: NewUser) -> StoreResult<UserRecord> {
        self.group_commit
            .submit(user, |conn, user| Box::pin(create_user_in(conn, user)))
            .await
    }

    pub(super) async fn get_user_impl(
        &self,
        instance_seq: i64,
        user_id: &str,
    ) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE instance_seq = ? AND id = ?");
        let row = sqlx::query(&sql)
            .bind(instance_seq)
            .bind(user_id)
            .fetch_optional(&self.readers)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::user).transpose()
    }

    pub(super) async fn find_users_impl(
        &self,
        instance_seq: i64,
        user_ids: &[String],
    ) -> StoreResult<Vec<UserRecord>> {
        let mut found = Vec::new();
        for chunk in user_ids.chunks(FIND_CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE instance_seq = "
            ));
            qb.push_bind(instance_seq).push(" AND id IN (");
            let mut ids = qb.separated(", ");
            for id in chunk {
                ids.push_bind(id.as_str());
            }
            qb.push(") ORDER BY seq");
            let rows = qb.build().fetch_all(&self.readers).await.map_err(db_err)?;
            found.extend(rows::all(&rows, rows::user)?);
        }
        // Chunks are each ordered; a duplicate id across chunks must not
        // yield the user twice.
        found.sort_by_key(|u| u.seq);
        found.dedup_by_key(|u| u.seq);
        Ok(found)
    }

    pub(super) async fn list_users_impl(
        &self,
        instance_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE instance_seq = ? AND seq > ? \
             ORDER BY seq LIMIT ?"
        );
        let found = sqlx::query(&sql)
            .bind(instance_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        rows::all(&found, rows::user)
    }

    /// The user's recipient rows and statuses go by ON DELETE CASCADE.
    pub(super) async fn delete_user_impl(
        &self,
        instance_seq: i64,
        user_id: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM users WHERE instance_seq = ? AND id = ?")
            .bind(instance_seq)
            .bind(user_id)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }
}
/// A user create, inside the group commit's transaction (loading an
/// instance's users is a burst of these).
async fn create_user_in(conn: &mut SqliteConnection, user: &NewUser) -> StoreResult<UserRecord> {
    let sql = format!(
        "INSERT INTO users (instance_seq, id, arn, username, settings, tags, modified_at, \
         modified_region) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {USER_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(user.instance_seq)
        .bind(&user.id)
        .bind(&user.arn)
        .bind(&user.username)
        .bind(to_json(&user.settings)?)
        .bind(to_json(&user.tags)?)
        .bind(ms(user.modified_at))
        .bind(&user.modified_region)
        .fetch_one(conn)
        .await
        .map_err(|e| unique_conflict(e, user))?;
    rows::user(&row)
}

/// A unique violation on users is a broken rule the caller reports; tell
/// which one from the index named in SQLite's message.
fn unique_conflict(e: sqlx::Error, user: &NewUser) -> StoreError {
    if !is_unique_violation(&e) {
        return db_err(e);
    }
    let message = e.to_string();
    if message.contains("users.username") {
        StoreError::Conflict(format!("user name {} is taken", user.username))
    } else {
        StoreError::Conflict(format!("user {} exists", user.id))
    }
}
