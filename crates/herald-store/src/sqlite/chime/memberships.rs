//! Channel memberships and the push preference kept on each.

use std::collections::HashSet;

use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::channels::live_channel;
use super::identity::users_in;
use super::{IN_CHUNK, INSERT_CHUNK};
use crate::StoreResult;
use crate::chime::rows::{self, MEMBERSHIP_COLUMNS, USER_COLUMNS, push_preference_columns};
use crate::chime::rules::{Role, add_outcomes};
use crate::chime::{
    AddOutcome, IdentitySnapshot, MembershipRecord, MembershipType, PushPreference,
};
use crate::db_error::db_err;
use crate::rows::{all, ms};
use crate::sqlite::SqliteStore;
use crate::sqlite::notifications::BEGIN_WRITE;

impl SqliteStore {
    /// A constant number of indexed reads (per chunk of users) decides
    /// every outcome, then one insert adds the new members in the order
    /// given.
    pub(super) async fn add_members_impl(
        &self,
        channel_seq: i64,
        user_seqs: &[i64],
        membership_type: MembershipType,
        invited_by: &IdentitySnapshot,
        created: Timestamp,
    ) -> StoreResult<Vec<AddOutcome>> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        let app_instance_seq = live_channel(&mut tx, channel_seq).await?;
        let existing = users_in(&mut tx, app_instance_seq, user_seqs).await?;
        let banned = in_channel(&mut tx, Role::Ban, channel_seq, user_seqs).await?;
        let members = in_channel(&mut tx, Role::Member, channel_seq, user_seqs).await?;

        let (outcomes, added) = add_outcomes(user_seqs, &existing, &banned, members);
        insert_memberships(
            &mut tx,
            channel_seq,
            &added,
            membership_type,
            invited_by,
            created,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(outcomes)
    }

    pub(super) async fn get_membership_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
    ) -> StoreResult<Option<MembershipRecord>> {
        let sql = format!(
            "SELECT {MEMBERSHIP_COLUMNS}, {USER_COLUMNS} FROM chime_memberships m \
             JOIN chime_users u ON u.seq = m.user_seq \
             WHERE m.channel_seq = ? AND m.user_seq = ?"
        );
        let row = sqlx::query(&sql)
            .bind(channel_seq)
            .bind(user_seq)
            .fetch_optional(&self.readers)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::membership).transpose()
    }

    pub(super) async fn list_memberships_impl(
        &self,
        channel_seq: i64,
        membership_type: MembershipType,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<MembershipRecord>> {
        let found = sqlx::query(&list_memberships_sql())
            .bind(channel_seq)
            .bind(membership_type.as_str())
            .bind(after_seq.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await
            .map_err(db_err)?;
        all(&found, rows::membership)
    }

    /// The preference lives on the row and goes with it.
    pub(super) async fn remove_membership_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
    ) -> StoreResult<bool> {
        let done =
            sqlx::query("DELETE FROM chime_memberships WHERE channel_seq = ? AND user_seq = ?")
                .bind(channel_seq)
                .bind(user_seq)
                .execute(&self.writer)
                .await
                .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    /// One UPDATE of the membership row: a removal or ban committed first
    /// leaves nothing to update, so the preference never outlives it.
    pub(super) async fn set_push_preference_impl(
        &self,
        channel_seq: i64,
        user_seq: i64,
        preference: &PushPreference,
        updated: Timestamp,
    ) -> StoreResult<bool> {
        let (allow, rule) = push_preference_columns(preference);
        let done = sqlx::query(
            "UPDATE chime_memberships SET push_allow = ?, push_filter_rule = ?, updated_ms = ? \
             WHERE channel_seq = ? AND user_seq = ?",
        )
        .bind(allow)
        .bind(rule)
        .bind(ms(updated))
        .bind(channel_seq)
        .bind(user_seq)
        .execute(&self.writer)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }
}

/// Binds: channel, type, after seq, limit.
pub(super) fn list_memberships_sql() -> String {
    format!(
        "SELECT {MEMBERSHIP_COLUMNS}, {USER_COLUMNS} FROM chime_memberships m \
         JOIN chime_users u ON u.seq = m.user_seq \
         WHERE m.channel_seq = ? AND m.type = ? AND m.seq > ? ORDER BY m.seq LIMIT ?"
    )
}

/// The users among `user_seqs` that hold `role` in the channel.
pub(super) async fn in_channel(
    conn: &mut SqliteConnection,
    role: Role,
    channel_seq: i64,
    user_seqs: &[i64],
) -> StoreResult<HashSet<i64>> {
    let mut found = HashSet::new();
    for chunk in user_seqs.chunks(IN_CHUNK) {
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "SELECT user_seq FROM {} WHERE channel_seq = ",
            role.table()
        ));
        qb.push_bind(channel_seq).push(" AND user_seq IN (");
        let mut seqs = qb.separated(", ");
        for seq in chunk {
            seqs.push_bind(*seq);
        }
        qb.push(")");
        let seqs: Vec<i64> = qb
            .build_query_scalar()
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        found.extend(seqs);
    }
    Ok(found)
}

/// Inserts memberships for users known to exist, not to be members and
/// not to be banned, in the order given.
pub(super) async fn insert_memberships(
    conn: &mut SqliteConnection,
    channel_seq: i64,
    user_seqs: &[i64],
    membership_type: MembershipType,
    invited_by: &IdentitySnapshot,
    created: Timestamp,
) -> StoreResult<()> {
    for chunk in user_seqs.chunks(INSERT_CHUNK) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO chime_memberships (channel_seq, user_seq, type, invited_by_arn, \
             invited_by_name, created_ms, updated_ms, user_id) ",
        );
        qb.push_values(chunk, |mut row, user_seq| {
            row.push_bind(channel_seq)
                .push_bind(*user_seq)
                .push_bind(membership_type.as_str())
                .push_bind(invited_by.arn.as_str())
                .push_bind(invited_by.name.as_str())
                .push_bind(ms(created))
                .push_bind(ms(created))
                // The member's id, which the push audience reads from the
                // membership (migration 0012).
                .push("(SELECT user_id FROM chime_users WHERE seq = ")
                .push_bind_unseparated(*user_seq)
                .push_unseparated(")");
        });
        qb.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}
