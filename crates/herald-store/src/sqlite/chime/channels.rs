//! Channels, and a user's standing in one.

use std::collections::HashSet;

use sqlx::SqliteConnection;

use super::claims;
use super::identity::{conflict, users_in};
use super::memberships::insert_memberships;
use super::moderation::insert_moderators;
use crate::chime::rows::{self, CHANNEL_COLUMNS};
use crate::chime::{
    ChannelPrivacy, ChannelRecord, ChannelStanding, Created, MembershipType, NewChannel,
    RequestClaim,
};
use crate::db_error::db_err;
use crate::rows::{all, ms, to_json};
use crate::sqlite::SqliteStore;
use crate::sqlite::notifications::BEGIN_WRITE;
use crate::{StoreError, StoreResult};

/// Four point lookups on unique indexes, in one statement so that the
/// answer is one snapshot. Binds: channel, user, channel, user, channel,
/// user, app instance, user.
pub(super) const STANDING_SQL: &str = "SELECT \
     (SELECT type FROM chime_memberships WHERE channel_seq = ? AND user_seq = ?) AS membership, \
     EXISTS (SELECT 1 FROM chime_moderators WHERE channel_seq = ? AND user_seq = ?) AS moderator, \
     EXISTS (SELECT 1 FROM chime_bans WHERE channel_seq = ? AND user_seq = ?) AS banned, \
     EXISTS (SELECT 1 FROM chime_admins WHERE app_instance_seq = ? AND user_seq = ?) AS admin";

impl SqliteStore {
    pub(super) async fn create_channel_impl(
        &self,
        new: NewChannel,
        claim: RequestClaim,
    ) -> StoreResult<Created<ChannelRecord>> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        if let Some(resource_id) = claims::replayed(&mut tx, &claim).await? {
            return Ok(Created::Replayed { resource_id });
        }
        // A deleted app instance fails the foreign key: `Gone`.
        let sql = format!(
            "INSERT INTO chime_channels (app_instance_seq, channel_id, name, mode, privacy, \
             metadata, tags, created_by_arn, created_by_name, created_ms, updated_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {CHANNEL_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.app_instance_seq)
            .bind(&new.channel_id)
            .bind(&new.name)
            .bind(new.mode.as_str())
            .bind(new.privacy.as_str())
            .bind(&new.metadata)
            .bind(to_json(&new.tags)?)
            .bind(&new.created_by.arn)
            .bind(&new.created_by.name)
            .bind(ms(new.created))
            .bind(ms(new.created))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict(e, || format!("channel {} exists", new.channel_id)))?;
        let created = rows::channel(&row)?;

        // Creator first, then the listed users in the order given, each
        // once: membership seqs follow that order.
        let members = distinct(
            std::iter::once(new.creator_seq)
                .chain(new.member_seqs.iter().copied())
                .chain(new.moderator_seqs.iter().copied()),
        );
        let moderators =
            distinct(std::iter::once(new.creator_seq).chain(new.moderator_seqs.iter().copied()));
        let existing = users_in(&mut tx, new.app_instance_seq, &members).await?;
        if let Some(missing) = members.iter().find(|seq| !existing.contains(seq)) {
            return Err(StoreError::Gone(format!(
                "app instance user {missing} no longer exists"
            )));
        }
        insert_memberships(
            &mut tx,
            created.seq,
            &members,
            MembershipType::Default,
            &new.created_by,
            new.created,
        )
        .await?;
        insert_moderators(
            &mut tx,
            created.seq,
            &moderators,
            &new.created_by,
            new.created,
        )
        .await?;
        claims::store(&mut tx, &claim, &created.channel_id).await?;
        // The members' triggers have bumped the audience version since.
        let created = ChannelRecord {
            audience_version: sqlx::query_scalar(
                "SELECT audience_version FROM chime_channels WHERE seq = ?",
            )
            .bind(created.seq)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?,
            ..created
        };
        tx.commit().await.map_err(db_err)?;
        Ok(Created::New(created))
    }

    pub(super) async fn get_channel_impl(
        &self,
        app_instance_seq: i64,
        channel_id: &str,
    ) -> StoreResult<Option<ChannelRecord>> {
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS} FROM chime_channels \
             WHERE app_instance_seq = ? AND channel_id = ?"
        );
        let row = sqlx::query(&sql)
            .bind(app_instance_seq)
            .bind(channel_id)
            .fetch_optional(&self.readers)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::channel).transpose()
    }

    pub(super) async fn list_channels_impl(
        &self,
        app_instance_seq: i64,
        privacy: ChannelPrivacy,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<ChannelRecord>> {
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS} FROM chime_channels \
             WHERE app_instance_seq = ? AND privacy = ? AND seq > ? ORDER BY seq LIMIT ?"
        );
        let found = sqlx::query(&sql)
            .bind(app_instance_seq)
            .bind(privacy.as_str())
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        all(&found, rows::channel)
    }

    /// Memberships (with preferences), moderators, bans and messages go by
    /// ON DELETE CASCADE; push deliveries stay.
    pub(super) async fn delete_channel_impl(&self, channel_seq: i64) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM chime_channels WHERE seq = ?")
            .bind(channel_seq)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn channel_standing_impl(
        &self,
        app_instance_seq: i64,
        channel_seq: i64,
        user_seq: i64,
    ) -> StoreResult<ChannelStanding> {
        let (membership, moderator, banned, admin): (Option<String>, bool, bool, bool) =
            sqlx::query_as(STANDING_SQL)
                .bind(channel_seq)
                .bind(user_seq)
                .bind(channel_seq)
                .bind(user_seq)
                .bind(channel_seq)
                .bind(user_seq)
                .bind(app_instance_seq)
                .bind(user_seq)
                .fetch_one(&self.readers)
                .await
                .map_err(db_err)?;
        let membership = membership
            .map(|text| {
                MembershipType::parse(&text).ok_or_else(|| {
                    StoreError::Corrupt(format!("membership type: unknown value {text:?}"))
                })
            })
            .transpose()?;
        Ok(ChannelStanding {
            membership,
            moderator,
            banned,
            admin,
        })
    }
}

/// The app instance of the channel, `None` when the channel is gone.
pub(super) async fn channel_app_instance(
    conn: &mut SqliteConnection,
    channel_seq: i64,
) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT app_instance_seq FROM chime_channels WHERE seq = ?")
        .bind(channel_seq)
        .fetch_optional(conn)
        .await
        .map_err(db_err)
}

/// The channel's app instance, or `Gone`.
pub(super) async fn live_channel(
    conn: &mut SqliteConnection,
    channel_seq: i64,
) -> StoreResult<i64> {
    channel_app_instance(conn, channel_seq)
        .await?
        .ok_or_else(|| StoreError::Gone(format!("channel {channel_seq} no longer exists")))
}

/// Each value once, first occurrence kept, order otherwise unchanged.
pub(super) fn distinct(values: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut seen = HashSet::new();
    values.into_iter().filter(|v| seen.insert(*v)).collect()
}
