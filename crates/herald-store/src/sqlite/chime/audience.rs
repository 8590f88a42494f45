//! The audience of a push: every member of the channel with their
//! preference and pushable endpoints, whole or as what changed since a
//! version.
//!
//! One join of two covering indexes (migration 0012), aggregated by SQLite
//! into a single JSON array. Handing ten thousand rows across sqlx one by
//! one costs tens of milliseconds in per-value overhead; one text value and
//! a serde parse cost a few. The SQL is left unordered (it runs in index
//! order, no sort); decoding puts the rows in membership order. A large
//! channel is read whole as two halves at once (by user seq), each from
//! its own snapshot, kept only when both snapshots are at one version.

use crate::chime::audience::{
    audience_changes_from_json, audience_row_columns, push_audience_from_json,
};
use crate::chime::{AudienceChanges, PushAudience, PushCandidate};
use crate::db_error::db_err;
use crate::sqlite::SqliteStore;
use crate::{StoreError, StoreResult};

/// The channel's audience version, and one (member, endpoint) pair, or a
/// member without a pushable endpoint (the endpoint columns null), as the
/// array [`push_audience_from_json`] reads, for the members whose user
/// seqs are in a range; one statement, so both come from one snapshot.
/// Bind: channel, lowest user seq, highest user seq.
pub(super) const PUSH_AUDIENCE_SQL: &str = concat!(
    "SELECT COALESCE((SELECT audience_version FROM chime_channels WHERE seq = ?1), 0), \
     json_group_array(json_array(",
    audience_row_columns!("m.user_seq, m.user_id"),
    ")) FROM chime_memberships m \
     LEFT JOIN chime_endpoints e \
     ON e.user_seq = m.user_seq AND e.allow_messages = 1 \
     WHERE m.channel_seq = ?1 AND m.user_seq BETWEEN ?2 AND ?3"
);

/// The lowest and highest user seq among the channel's members (each one
/// seek in the audience index; NULL without members). Bind: channel.
pub(super) const AUDIENCE_BOUNDS_SQL: &str = "SELECT \
     (SELECT min(user_seq) FROM chime_memberships WHERE channel_seq = ?1), \
     (SELECT max(user_seq) FROM chime_memberships WHERE channel_seq = ?1)";

/// A channel whose members' user seqs span more than this is read as two
/// halves at once, each on its own reader connection and decoded on its
/// own thread: a node's first send to a large channel waits for about
/// half the read. (The span is two seeks to find, where a count would
/// walk every member; a small channel of scattered users is split for
/// nothing but costs one statement more.)
const SPLIT_SPAN: i64 = 2_000;

/// Times two halves are read again when a write landed between their
/// snapshots, before the audience is read in one statement instead.
const SPLIT_ATTEMPTS: usize = 3;

/// The channel's audience version; whether the change log still holds the
/// version asked about (so holds everything after it: the triggers drop
/// the oldest versions first); the users logged after it; and their rows
/// as in [`PUSH_AUDIENCE_SQL`]. One statement, one snapshot; every part a
/// primary-key range or an index lookup per changed user. Bind: channel,
/// version.
pub(super) const PUSH_AUDIENCE_CHANGES_SQL: &str = concat!(
    "SELECT COALESCE((SELECT audience_version FROM chime_channels WHERE seq = ?1), 0), \
     EXISTS (SELECT 1 FROM chime_audience_changes WHERE channel_seq = ?1 AND version = ?2), \
     (SELECT json_group_array(DISTINCT user_seq) FROM chime_audience_changes \
      WHERE channel_seq = ?1 AND version > ?2), \
     (SELECT json_group_array(json_array(",
    audience_row_columns!("m.user_seq, m.user_id"),
    ")) FROM chime_memberships m \
     LEFT JOIN chime_endpoints e \
     ON e.user_seq = m.user_seq AND e.allow_messages = 1 \
     WHERE m.channel_seq = ?1 AND m.user_seq IN (SELECT user_seq FROM chime_audience_changes \
     WHERE channel_seq = ?1 AND version > ?2))"
);

impl SqliteStore {
    pub(super) async fn push_audience_impl(&self, channel_seq: i64) -> StoreResult<PushAudience> {
        let (low, high): (Option<i64>, Option<i64>) = sqlx::query_as(AUDIENCE_BOUNDS_SQL)
            .bind(channel_seq)
            .fetch_one(&self.readers)
            .await
            .map_err(db_err)?;
        if let (Some(low), Some(high)) = (low, high)
            && high - low > SPLIT_SPAN
        {
            let middle = low + (high - low) / 2;
            for _ in 0..SPLIT_ATTEMPTS {
                let (first, second) = tokio::try_join!(
                    self.audience_part(channel_seq, low, middle),
                    self.audience_part(channel_seq, middle + 1, high),
                )?;
                // Every audience change bumps the version in its own
                // transaction, so two snapshots at one version saw the
                // same audience.
                if first.0 == second.0 {
                    let mut candidates = first.1;
                    candidates.extend(second.1);
                    // Two runs, each in membership order: the stable sort
                    // merges them.
                    candidates.sort_by_key(|c| c.membership_seq);
                    return Ok(PushAudience::read(first.0, candidates));
                }
            }
        }
        let (version, candidates) = self.audience_part(channel_seq, i64::MIN, i64::MAX).await?;
        Ok(PushAudience::read(version, candidates))
    }

    /// The audience version and the candidates among members whose user
    /// seqs are in `low..=high`, in membership order; decoded on a
    /// blocking thread, so that two parts decode at once.
    pub(super) async fn audience_part(
        &self,
        channel_seq: i64,
        low: i64,
        high: i64,
    ) -> StoreResult<(i64, Vec<PushCandidate>)> {
        let (version, text): (i64, String) = sqlx::query_as(PUSH_AUDIENCE_SQL)
            .bind(channel_seq)
            .bind(low)
            .bind(high)
            .fetch_one(&self.readers)
            .await
            .map_err(db_err)?;
        let candidates = tokio::task::spawn_blocking(move || push_audience_from_json(&text))
            .await
            .map_err(|e| StoreError::Unavailable(format!("push audience decode: {e}")))??;
        Ok((version, candidates))
    }

    pub(super) async fn push_audience_changes_impl(
        &self,
        channel_seq: i64,
        since_version: i64,
    ) -> StoreResult<Option<AudienceChanges>> {
        let (version, logged, users, rows): (i64, bool, String, String) =
            sqlx::query_as(PUSH_AUDIENCE_CHANGES_SQL)
                .bind(channel_seq)
                .bind(since_version)
                .fetch_one(&self.readers)
                .await
                .map_err(db_err)?;
        audience_changes_from_json(since_version, version, logged, &users, &rows)
    }
}
