//! Channel moderators and bans. The two tables have the same shape.

use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::INSERT_CHUNK;
use super::channels::live_channel;
use super::identity::user_in;
use super::memberships::in_channel;
use crate::chime::rows::{self, ROLE_COLUMNS, USER_COLUMNS};
use crate::chime::rules::Role;
use crate::chime::{AddOutcome, BanRecord, IdentitySnapshot, ModeratorRecord};
use crate::db_error::db_err;
use crate::rows::{all, ms};
use crate::sqlite::SqliteStore;
use crate::sqlite::notifications::BEGIN_WRITE;
use crate::{StoreError, StoreResult};

impl SqliteStore {
    /// `Gone` when the channel was deleted meanwhile, as for every write
    /// into a channel.
    pub(super) async fn add_moderator_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
        created_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> StoreResult<AddOutcome> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        let app_instance_seq = live_channel(&mut tx, channel_seq).await?;
        if !user_in(&mut tx, app_instance_seq, user_seq).await? {
            return Ok(AddOutcome::NoSuchUser);
        }
        if !in_channel(&mut tx, Role::Ban, channel_seq, &[user_seq])
            .await?
            .is_empty()
        {
            return Ok(AddOutcome::Banned);
        }
        let done = sqlx::query(
            "INSERT INTO chime_moderators (channel_seq, user_seq, created_by_arn, \
             created_by_name, created_ms) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (channel_seq, user_seq) DO NOTHING",
        )
        .bind(channel_seq)
        .bind(user_seq)
        .bind(&created_by.arn)
        .bind(&created_by.name)
        .bind(ms(created))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(if done.rows_affected() > 0 {
            AddOutcome::Added
        } else {
            AddOutcome::AlreadyThere
        })
    }

    pub(super) async fn list_moderators_impl(
        &self,
        channel_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<ModeratorRecord>> {
        let found = sqlx::query(&list_sql(Role::Moderator))
            .bind(channel_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        all(&found, rows::moderator)
    }

    pub(super) async fn remove_moderator_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
    ) -> StoreResult<bool> {
        self.remove_role(Role::Moderator, channel_seq, user_seq)
            .await
    }

    /// The ban, and the removal of membership (with its preference) and
    /// moderator role, in one transaction: no add can land in between.
    pub(super) async fn ban_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
        created_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        let app_instance_seq = live_channel(&mut tx, channel_seq).await?;
        if !user_in(&mut tx, app_instance_seq, user_seq).await? {
            return Err(StoreError::Gone(format!(
                "app instance user {user_seq} no longer exists"
            )));
        }
        // Banning again keeps the first ban.
        sqlx::query(
            "INSERT INTO chime_bans (channel_seq, user_seq, created_by_arn, created_by_name, \
             created_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel_seq, user_seq) DO NOTHING",
        )
        .bind(channel_seq)
        .bind(user_seq)
        .bind(&created_by.arn)
        .bind(&created_by.name)
        .bind(ms(created))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        for role in [Role::Member, Role::Moderator] {
            sqlx::query(&format!(
                "DELETE FROM {} WHERE channel_seq = ? AND user_seq = ?",
                role.table()
            ))
            .bind(channel_seq)
            .bind(user_seq)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    pub(super) async fn get_ban_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
    ) -> StoreResult<Option<BanRecord>> {
        let sql = format!(
            "SELECT {ROLE_COLUMNS}, {USER_COLUMNS} FROM chime_bans r \
             JOIN chime_users u ON u.seq = r.user_seq \
             WHERE r.channel_seq = ? AND r.user_seq = ?"
        );
        let row = sqlx::query(&sql)
            .bind(channel_seq)
            .bind(user_seq)
            .fetch_optional(&self.readers)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::ban).transpose()
    }

    pub(super) async fn list_bans_impl(
        &self,
        channel_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<BanRecord>> {
        let found = sqlx::query(&list_sql(Role::Ban))
            .bind(channel_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        all(&found, rows::ban)
    }

    pub(super) async fn unban_impl(&self, channel_seq: i64, user_seq: i64) -> StoreResult<bool> {
        self.remove_role(Role::Ban, channel_seq, user_seq).await
    }

    async fn remove_role(&self, role: Role, channel_seq: i64, user_seq: i64) -> StoreResult<bool> {
        let sql = format!(
            "DELETE FROM {} WHERE channel_seq = ? AND user_seq = ?",
            role.table()
        );
        let done = sqlx::query(&sql)
            .bind(channel_seq)
            .bind(user_seq)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }
}

/// Moderators or bans of a channel, oldest first. Binds: channel, after
/// seq, limit.
pub(super) fn list_sql(role: Role) -> String {
    format!(
        "SELECT {ROLE_COLUMNS}, {USER_COLUMNS} FROM {} r \
         JOIN chime_users u ON u.seq = r.user_seq \
         WHERE r.channel_seq = ? AND r.seq > ? ORDER BY r.seq LIMIT ?",
        role.table()
    )
}

/// Inserts moderator roles for users known to exist and not to be banned,
/// in the order given.
pub(super) async fn insert_moderators(
    conn: &mut SqliteConnection,
    channel_seq: i64,
    user_seqs: &[i64],
    created_by: &IdentitySnapshot,
    created: Timestamp,
) -> StoreResult<()> {
    for chunk in user_seqs.chunks(INSERT_CHUNK) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO chime_moderators (channel_seq, user_seq, created_by_arn, \
             created_by_name, created_ms) ",
        );
        qb.push_values(chunk, |mut row, user_seq| {
            row.push_bind(channel_seq)
                .push_bind(*user_seq)
                .push_bind(created_by.arn.as_str())
                .push_bind(created_by.name.as_str())
                .push_bind(ms(created));
        });
        qb.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}
