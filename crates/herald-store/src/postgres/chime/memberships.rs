//! Channel memberships and the push preference kept on each.

use std::collections::HashSet;

use jiff::Timestamp;
use sqlx::PgConnection;

use super::channels::live_channel;
use super::identity::users_in;
use crate::chime::rows::{self, MEMBERSHIP_COLUMNS, USER_COLUMNS, push_preference_columns};
use crate::chime::rules::{Role, add_outcomes};
use crate::chime::{
    AddOutcome, IdentitySnapshot, MembershipRecord, MembershipType, PushPreference,
};
use crate::db_error::is_unique_violation;
use crate::postgres::PgStore;
use crate::postgres::error::{PgError, PgResult};
use crate::postgres::tx::{retried, serializable};
use crate::rows::{all, ms};

impl PgStore {
    /// Four indexed reads decide every outcome, then one insert adds the
    /// new members in the order given. SERIALIZABLE: a ban or an add of
    /// the same users committed meanwhile makes this run again.
    pub(super) async fn add_members_impl(
        &self,
        channel_seq: i64,
        user_seqs: &[i64],
        membership_type: MembershipType,
        invited_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> PgResult<Vec<AddOutcome>> {
        serializable!(self, |tx| {
            let app_instance_seq = live_channel(tx, channel_seq).await?;
            let existing = users_in(tx, app_instance_seq, user_seqs).await?;
            let banned = in_channel(tx, Role::Ban, channel_seq, user_seqs).await?;
            let members = in_channel(tx, Role::Member, channel_seq, user_seqs).await?;

            let (outcomes, added) = add_outcomes(user_seqs, &existing, &banned, members);
            insert_memberships(
                tx,
                channel_seq,
                &added,
                membership_type,
                invited_by,
                created,
            )
            .await?;
            outcomes
        })
    }

    pub(super) async fn get_membership_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
    ) -> PgResult<Option<MembershipRecord>> {
        let row = sqlx::query(&get_membership_sql())
            .bind(channel_seq)
            .bind(user_seq)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rows::membership).transpose()?)
    }

    pub(super) async fn list_memberships_impl(
        &self,
        channel_seq: i64,
        membership_type: MembershipType,
        after_seq: Option<i64>,
        limit: u32,
    ) -> PgResult<Vec<MembershipRecord>> {
        let found = sqlx::query(&list_memberships_sql())
            .bind(channel_seq)
            .bind(membership_type.as_str())
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(all(&found, rows::membership)?)
    }

    /// The preference lives on the row and goes with it.
    pub(super) async fn remove_membership_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
    ) -> PgResult<bool> {
        let done = retried!({
            Ok(sqlx::query(
                "DELETE FROM chime_memberships WHERE channel_seq = $1 AND user_seq = $2",
            )
            .bind(channel_seq)
            .bind(user_seq)
            .execute(&self.pool)
            .await?)
        })?;
        Ok(done.rows_affected() > 0)
    }

    /// One UPDATE of the membership row, so no transaction is needed: the
    /// check ("is a member") and the write are the same row. A removal or
    /// ban committed first leaves nothing to update; one still running
    /// holds the row, and the UPDATE waits for it and then finds nothing.
    pub(super) async fn set_push_preference_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
        preference: &PushPreference,
        updated: Timestamp,
    ) -> PgResult<bool> {
        let (allow, rule) = push_preference_columns(preference);
        let done = retried!({
            Ok(sqlx::query(
                "UPDATE chime_memberships SET push_allow = $1, push_filter_rule = $2, \
             updated_ms = $3 WHERE channel_seq = $4 AND user_seq = $5",
            )
            .bind(allow)
            .bind(rule)
            .bind(ms(updated))
            .bind(channel_seq)
            .bind(user_seq)
            .execute(&self.pool)
            .await?)
        })?;
        Ok(done.rows_affected() > 0)
    }
}

/// Binds: channel, user.
pub(super) fn get_membership_sql() -> String {
    format!(
        "SELECT {MEMBERSHIP_COLUMNS}, {USER_COLUMNS} FROM chime_memberships m \
         JOIN chime_users u ON u.seq = m.user_seq \
         WHERE m.channel_seq = $1 AND m.user_seq = $2"
    )
}

/// Binds: channel, type, after seq, limit.
pub(super) fn list_memberships_sql() -> String {
    format!(
        "SELECT {MEMBERSHIP_COLUMNS}, {USER_COLUMNS} FROM chime_memberships m \
         JOIN chime_users u ON u.seq = m.user_seq \
         WHERE m.channel_seq = $1 AND m.type = $2 AND m.seq > $3 ORDER BY m.seq LIMIT $4"
    )
}

/// The users among `user_seqs` that hold `role` in the channel.
pub(super) async fn in_channel(
    conn: &mut PgConnection,
    role: Role,
    channel_seq: i64,
    user_seqs: &[i64],
) -> PgResult<HashSet<i64>> {
    let sql = format!(
        "SELECT user_seq FROM {} WHERE channel_seq = $1 AND user_seq = ANY($2)",
        role.table()
    );
    let seqs: Vec<i64> = sqlx::query_scalar(&sql)
        .bind(channel_seq)
        .bind(user_seqs)
        .fetch_all(conn)
        .await?;
    Ok(seqs.into_iter().collect())
}

/// Inserts memberships for users known (in this transaction) to exist, not
/// to be members and not to be banned, in the order given.
pub(super) async fn insert_memberships(
    conn: &mut PgConnection,
    channel_seq: i64,
    user_seqs: &[i64],
    membership_type: MembershipType,
    invited_by: &IdentitySnapshot,
    created: Timestamp,
) -> PgResult<()> {
    if user_seqs.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO chime_memberships (channel_seq, user_seq, type, invited_by_arn, \
         invited_by_name, created_ms, updated_ms) \
         SELECT $1, n.user_seq, $3, $4, $5, $6, $6 \
         FROM unnest($2::bigint[]) WITH ORDINALITY AS n (user_seq, ord) ORDER BY n.ord",
    )
    .bind(channel_seq)
    .bind(user_seqs)
    .bind(membership_type.as_str())
    .bind(&invited_by.arn)
    .bind(&invited_by.name)
    .bind(ms(created))
    .execute(conn)
    .await
    .map_err(raced)?;
    Ok(())
}

/// A key this transaction saw free and then found taken was taken by a
/// concurrent transaction: run again, and the checks will see it.
pub(super) fn raced(e: sqlx::Error) -> PgError {
    if is_unique_violation(&e) {
        PgError::Retry(e.to_string())
    } else {
        PgError::from(e)
    }
}
