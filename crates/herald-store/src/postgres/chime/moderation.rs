//! Channel moderators and bans. The two tables have the same shape.

use jiff::Timestamp;
use sqlx::PgConnection;

use super::channels::live_channel;
use super::identity::user_in;
use super::memberships::{in_channel, raced};
use crate::StoreError;
use crate::chime::rows::{self, ROLE_COLUMNS, USER_COLUMNS};
use crate::chime::rules::Role;
use crate::chime::{AddOutcome, BanRecord, IdentitySnapshot, ModeratorRecord};
use crate::postgres::PgStore;
use crate::postgres::error::PgResult;
use crate::postgres::tx::{retried, serializable};
use crate::rows::{all, ms};

impl PgStore {
    /// `Gone` when the channel was deleted meanwhile, as for every write
    /// into a channel. SERIALIZABLE: a ban committed meanwhile makes this
    /// run again and answer `Banned`.
    pub(super) async fn add_moderator_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
        created_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> PgResult<AddOutcome> {
        serializable!(self, |tx| {
            let app_instance_seq = live_channel(tx, channel_seq).await?;
            if !user_in(tx, app_instance_seq, user_seq).await? {
                return Ok(AddOutcome::NoSuchUser);
            }
            if !in_channel(tx, Role::Ban, channel_seq, &[user_seq])
                .await?
                .is_empty()
            {
                return Ok(AddOutcome::Banned);
            }
            let done = sqlx::query(
                "INSERT INTO chime_moderators (channel_seq, user_seq, created_by_arn, \
                 created_by_name, created_ms) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (channel_seq, user_seq) DO NOTHING",
            )
            .bind(channel_seq)
            .bind(user_seq)
            .bind(&created_by.arn)
            .bind(&created_by.name)
            .bind(ms(created))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                AddOutcome::Added
            } else {
                AddOutcome::AlreadyThere
            }
        })
    }

    pub(super) async fn list_moderators_impl(
        &self,
        channel_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> PgResult<Vec<ModeratorRecord>> {
        let found = sqlx::query(&list_sql(Role::Moderator))
            .bind(channel_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(all(&found, rows::moderator)?)
    }

    pub(super) async fn remove_moderator_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
    ) -> PgResult<bool> {
        self.remove_role(Role::Moderator, channel_seq, user_seq)
            .await
    }

    /// The ban, and the removal of membership (with its preference) and
    /// moderator role, in one SERIALIZABLE transaction: an add racing with
    /// it either lands first (and is removed here) or runs again after it
    /// and finds the ban.
    pub(super) async fn ban_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
        created_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> PgResult<()> {
        serializable!(self, |tx| {
            let app_instance_seq = live_channel(tx, channel_seq).await?;
            if !user_in(tx, app_instance_seq, user_seq).await? {
                return Err(StoreError::Gone(format!(
                    "app instance user {user_seq} no longer exists"
                ))
                .into());
            }
            // Banning again keeps the first ban.
            sqlx::query(
                "INSERT INTO chime_bans (channel_seq, user_seq, created_by_arn, \
                 created_by_name, created_ms) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (channel_seq, user_seq) DO NOTHING",
            )
            .bind(channel_seq)
            .bind(user_seq)
            .bind(&created_by.arn)
            .bind(&created_by.name)
            .bind(ms(created))
            .execute(&mut *tx)
            .await?;
            for role in [Role::Member, Role::Moderator] {
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE channel_seq = $1 AND user_seq = $2",
                    role.table()
                ))
                .bind(channel_seq)
                .bind(user_seq)
                .execute(&mut *tx)
                .await?;
            }
        })
    }

    pub(super) async fn get_ban_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
    ) -> PgResult<Option<BanRecord>> {
        let sql = format!(
            "SELECT {ROLE_COLUMNS}, {USER_COLUMNS} FROM chime_bans r \
             JOIN chime_users u ON u.seq = r.user_seq \
             WHERE r.channel_seq = $1 AND r.user_seq = $2"
        );
        let row = sqlx::query(&sql)
            .bind(channel_seq)
            .bind(user_seq)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rows::ban).transpose()?)
    }

    pub(super) async fn list_bans_impl(
        &self,
        channel_seq: i64,
        after_seq: Option<i64>,
        limit: u32,
    ) -> PgResult<Vec<BanRecord>> {
        let found = sqlx::query(&list_sql(Role::Ban))
            .bind(channel_seq)
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(all(&found, rows::ban)?)
    }

    pub(super) async fn unban_impl(&self, channel_seq: i64, user_seq: i64) -> PgResult<bool> {
        self.remove_role(Role::Ban, channel_seq, user_seq).await
    }

    async fn remove_role(&self, role: Role, channel_seq: i64, user_seq: i64) -> PgResult<bool> {
        let sql = format!(
            "DELETE FROM {} WHERE channel_seq = $1 AND user_seq = $2",
            role.table()
        );
        let done = retried!({
            Ok(sqlx::query(&sql)
                .bind(channel_seq)
                .bind(user_seq)
                .execute(&self.pool)
                .await?)
        })?;
        Ok(done.rows_affected() > 0)
    }
}

/// Moderators or bans of a channel, oldest first. Binds: channel, after
/// seq, limit.
pub(super) fn list_sql(role: Role) -> String {
    format!(
        "SELECT {ROLE_COLUMNS}, {USER_COLUMNS} FROM {} r \
         JOIN chime_users u ON u.seq = r.user_seq \
         WHERE r.channel_seq = $1 AND r.seq > $2 ORDER BY r.seq LIMIT $3",
        role.table()
    )
}

/// Inserts moderator roles for users known (in this transaction) to exist
/// and not to be banned, in the order given.
pub(super) async fn insert_moderators(
    conn: &mut PgConnection,
    channel_seq: i64,
    user_seqs: &[i64],
    created_by: &IdentitySnapshot,
    created: Timestamp,
) -> PgResult<()> {
    if user_seqs.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO chime_moderators (channel_seq, user_seq, created_by_arn, \
         created_by_name, created_ms) \
         SELECT $1, n.user_seq, $3, $4, $5 \
         FROM unnest($2::bigint[]) WITH ORDINALITY AS n (user_seq, ord) ORDER BY n.ord",
    )
    .bind(channel_seq)
    .bind(user_seqs)
    .bind(&created_by.arn)
    .bind(&created_by.name)
    .bind(ms(created))
    .execute(conn)
    .await
    .map_err(raced)?;
    Ok(())
}
