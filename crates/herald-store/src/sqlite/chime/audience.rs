//! The audience of a push: every member of the channel with their
//! preference and pushable endpoints.
//!
//! One indexed join, aggregated by SQLite into a single JSON array. Handing
//! ten thousand rows of fourteen columns across sqlx one by one costs tens
//! of milliseconds in per-value overhead; one text value and a serde parse
//! cost a few. The SQL is left unordered (it runs in index order, no
//! sort); decoding puts the rows in membership order.

use crate::StoreResult;
use crate::chime::PushAudience;
use crate::chime::audience::push_audience_from_json;
use crate::db_error::db_err;
use crate::sqlite::SqliteStore;

/// The channel's audience version, and one (member, endpoint) pair, or a
/// member without a pushable endpoint (the endpoint columns null), as the
/// array [`push_audience_from_json`] reads, in its element order; one
/// statement, so both come from one snapshot. Bind: channel.
pub(super) const PUSH_AUDIENCE_SQL: &str = "SELECT \
     COALESCE((SELECT audience_version FROM chime_channels WHERE seq = ?1), 0), \
     json_group_array(json_array( \
     m.seq, m.push_allow, m.push_filter_rule, \
     u.seq, u.app_instance_seq, u.user_id, u.name, u.metadata, u.created_ms, u.updated_ms, \
     e.seq, e.endpoint_id, e.device_token, e.voip_device_token)) \
     FROM chime_memberships m \
     JOIN chime_users u ON u.seq = m.user_seq \
     LEFT JOIN chime_endpoints e ON e.user_seq = m.user_seq AND e.allow_messages = 1 \
     WHERE m.channel_seq = ?1";

impl SqliteStore {
    pub(super) async fn push_audience_impl(&self, channel_seq: i64) -> StoreResult<PushAudience> {
        let (version, text): (i64, String) = sqlx::query_as(PUSH_AUDIENCE_SQL)
            .bind(channel_seq)
            .fetch_one(&self.readers)
            .await
            .map_err(db_err)?;
        Ok(PushAudience {
            version,
            candidates: push_audience_from_json(&text)?,
        })
    }
}
