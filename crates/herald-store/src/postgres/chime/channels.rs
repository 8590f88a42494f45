//! Channels, and a user's standing in one.

use std::collections::HashSet;

use sqlx::PgConnection;

use super::claims;
use super::identity::{conflict, users_in};
use super::memberships::insert_memberships;
use super::moderation::insert_moderators;
use crate::StoreError;
use crate::chime::rows::{self, CHANNEL_COLUMNS};
use crate::chime::{
    ChannelPrivacy, ChannelRecord, ChannelStanding, Created, MembershipType, NewChannel,
    RequestClaim,
};
use crate::postgres::PgStore;
use crate::postgres::error::PgResult;
use crate::postgres::tx::{retried, serializable};
use crate::rows::{all, ms, to_json};

/// Four point lookups on unique indexes, in one statement so that the
/// answer is one snapshot. Binds: channel, user, app instance.
pub(super) const STANDING_SQL: &str = "SELECT \
     (SELECT type FROM chime_memberships WHERE channel_seq = $1 AND user_seq = $2) AS membership, \
     EXISTS (SELECT 1 FROM chime_moderators WHERE channel_seq = $1 AND user_seq = $2) AS moderator, \
     EXISTS (SELECT 1 FROM chime_bans WHERE channel_seq = $1 AND user_seq = $2) AS banned, \
     EXISTS (SELECT 1 FROM chime_admins WHERE app_instance_seq = $3 AND user_seq = $2) AS admin";

impl PgStore {
    pub(super) async fn create_channel_impl(
        &self,
        new: NewChannel,
        claim: RequestClaim,
    ) -> PgResult<Created<ChannelRecord>> {
        // A deleted app instance fails the foreign key: `Gone`.
        let sql = format!(
            "INSERT INTO chime_channels (app_instance_seq, channel_id, name, mode, privacy, \
             metadata, tags, created_by_arn, created_by_name, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {CHANNEL_COLUMNS}"
        );
        let tags = to_json(&new.tags)?;
        // Creator first, then the listed users in the order given, each
        // once: membership seqs follow that order.
        let members = distinct(
            std::iter::once(new.creator_seq)
                .chain(new.member_seqs.iter().copied())
                .chain(new.moderator_seqs.iter().copied()),
        );
        let moderators =
            distinct(std::iter::once(new.creator_seq).chain(new.moderator_seqs.iter().copied()));
        serializable!(self, |tx| {
            if let Some(resource_id) = claims::take(tx, &claim, &new.channel_id).await? {
                return Ok(Created::Replayed { resource_id });
            }
            let row = sqlx::query(&sql)
                .bind(new.app_instance_seq)
                .bind(&new.channel_id)
                .bind(&new.name)
                .bind(new.mode.as_str())
                .bind(new.privacy.as_str())
                .bind(&new.metadata)
                .bind(&tags)
                .bind(&new.created_by.arn)
                .bind(&new.created_by.name)
                .bind(ms(new.created))
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict(e, || format!("channel {} exists", new.channel_id)))?;
            let created = rows::channel(&row)?;
            let existing = users_in(tx, new.app_instance_seq, &members).await?;
            if let Some(missing) = members.iter().find(|seq| !existing.contains(seq)) {
                return Err(StoreError::Gone(format!(
                    "app instance user {missing} no longer exists"
                ))
                .into());
            }
            insert_memberships(
                tx,
                created.seq,
                &members,
                MembershipType::Default,
                &new.created_by,
                new.created,
            )
            .await?;
            insert_moderators(tx, created.seq, &moderators, &new.created_by, new.created).await?;
            // The members' triggers have bumped the audience version since.
            let audience_version: i64 =
                sqlx::query_scalar("SELECT audience_version FROM chime_channels WHERE seq = $1")
                    .bind(created.seq)
                    .fetch_one(&mut *tx)
                    .await?;
            Created::New(ChannelRecord {
                audience_version,
                ..created
            })
        })
    }

    pub(super) async fn get_channel_impl(
        &self,
        app_instance_seq: i64,
        channel_id: &str,
    ) -> PgResult<Option<ChannelRecord>> {
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS} FROM chime_channels \
             WHERE app_instance_seq = $1 AND channel_id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(app_instance_seq)
            .bind(channel_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rows::channel).transpose()?)
    }

    pub(super) async fn list_channels_impl(
        &self,
        app_instance_seq: i64,
        privacy: ChannelPrivacy,
        after_seq: Option<i64>,
        limit: u32,
    ) -> PgResult<Vec<ChannelRecord>> {
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS} FROM chime_channels \
             WHERE app_instance_seq = $1 AND privacy = $2 AND seq > $3 ORDER BY seq LIMIT $4"
        );
        let found = sqlx::query(&sql)
            .bind(app_instance_seq)
            .bind(privacy.as_str())
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(all(&found, rows::channel)?)
    }

    /// Memberships (with preferences), moderators, bans and messages go by
    /// ON DELETE CASCADE; push deliveries stay.
    pub(super) async fn delete_channel_impl(&self, channel_seq: i64) -> PgResult<bool> {
        let done = retried!({
            Ok(sqlx::query("DELETE FROM chime_channels WHERE seq = $1")
                .bind(channel_seq)
                .execute(&self.pool)
                .await?)
        })?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn channel_standing_impl(
        &self,
        app_instance_seq: i64,
        channel_seq: i64,
        user_seq: i64,
    ) -> PgResult<ChannelStanding> {
        let (membership, moderator, banned, admin): (Option<String>, bool, bool, bool) =
            sqlx::query_as(STANDING_SQL)
                .bind(channel_seq)
                .bind(user_seq)
                .bind(app_instance_seq)
                .fetch_one(&self.pool)
                .await?;
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

/// The channel's app instance, or `Gone`.
pub(super) async fn live_channel(conn: &mut PgConnection, channel_seq: i64) -> PgResult<i64> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT app_instance_seq FROM chime_channels WHERE seq = $1")
            .bind(channel_seq)
            .fetch_optional(conn)
            .await?;
    found.ok_or_else(|| StoreError::Gone(format!("channel {channel_seq} no longer exists")).into())
}

/// Each value once, first occurrence kept, order otherwise unchanged.
fn distinct(values: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut seen = HashSet::new();
    values.into_iter().filter(|v| seen.insert(*v)).collect()
}
