//! The audience of a push: every member of the channel with their
//! preference and pushable endpoints, whole or as what changed since a
//! version.
//!
//! One join of two covering indexes (migration 0012), aggregated by SQLite
//! into a single JSON array. Handing ten thousand rows across sqlx one by
//! one costs tens of milliseconds in per-value overhead; one text value and
//! a serde parse cost a few. The SQL
//! is left unordered (it runs in index order, no sort); decoding puts the
//! rows in membership order.

use crate::StoreResult;
use crate::chime::audience::{
    audience_changes_from_json, audience_row_columns, push_audience_from_json,
};
use crate::chime::{AudienceChanges, PushAudience};
use crate::db_error::db_err;
use crate::sqlite::SqliteStore;

/// The channel's audience version, and one (member, endpoint) pair, or a
/// member without a pushable endpoint (the endpoint columns null), as the
/// array [`push_audience_from_json`] reads; one statement, so both come
/// from one snapshot. Bind: channel.
pub(super) const PUSH_AUDIENCE_SQL: &str = concat!(
    "SELECT COALESCE((SELECT audience_version FROM chime_channels WHERE seq = ?1), 0), \
     json_group_array(json_array(",
    audience_row_columns!("m.user_seq, m.user_id"),
    ")) FROM chime_memberships m \
     LEFT JOIN chime_endpoints e \
     ON e.user_seq = m.user_seq AND e.allow_messages = 1 \
     WHERE m.channel_seq = ?1"
);

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
        let (version, text): (i64, String) = sqlx::query_as(PUSH_AUDIENCE_SQL)
            .bind(channel_seq)
            .fetch_one(&self.readers)
            .await
            .map_err(db_err)?;
        Ok(PushAudience::read(version, push_audience_from_json(&text)?))
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
