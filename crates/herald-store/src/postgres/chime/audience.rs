//! The audience of a push: every member of the channel with their
//! preference and pushable endpoints.
//!
//! One read, aggregated by PostgreSQL into a single JSON text, as on
//! SQLite: handing ten thousand rows of fourteen columns across sqlx one by
//! one costs far more in per-value overhead than one text value and a serde
//! parse. The SQL is left unordered (no sort in the database); decoding
//! puts the rows in membership order.
//!
//! The user and the endpoints are looked up per member by index, in
//! LATERAL subqueries that `OFFSET 0` keeps the planner from flattening.
//! Left to itself it hash-joins the whole user and endpoint tables even for
//! a channel of thirty in a store of a few thousand users (cheap there, but
//! a cost that follows the store); with the lookups the cost follows the
//! channel, and a 10,000-member channel is no slower for it (tens of
//! milliseconds either way).

use crate::chime::PushAudience;
use crate::chime::audience::push_audience_from_json;
use crate::postgres::PgStore;
use crate::postgres::error::PgResult;

/// The channel's audience version, and one (member, endpoint) pair, or a
/// member without a pushable endpoint (the endpoint columns null), as the
/// array [`push_audience_from_json`] reads, in its element order; one
/// statement, so both come from one snapshot. Bind: channel.
pub(super) const PUSH_AUDIENCE_SQL: &str = "SELECT \
     COALESCE((SELECT audience_version FROM chime_channels WHERE seq = $1), 0), \
     COALESCE(json_agg(json_build_array( \
     m.seq, m.push_allow, m.push_filter_rule, \
     u.seq, u.app_instance_seq, u.user_id, u.name, u.metadata, u.created_ms, u.updated_ms, \
     e.seq, e.endpoint_id, e.device_token, e.voip_device_token))::text, '[]') \
     FROM chime_memberships m \
     CROSS JOIN LATERAL (SELECT seq, app_instance_seq, user_id, name, metadata, created_ms, \
     updated_ms FROM chime_users WHERE seq = m.user_seq OFFSET 0) u \
     LEFT JOIN LATERAL (SELECT seq, endpoint_id, device_token, voip_device_token \
     FROM chime_endpoints WHERE user_seq = m.user_seq AND allow_messages OFFSET 0) e ON true \
     WHERE m.channel_seq = $1";

impl PgStore {
    pub(super) async fn push_audience_impl(&self, channel_seq: i64) -> PgResult<PushAudience> {
        let (version, text): (i64, String) = sqlx::query_as(PUSH_AUDIENCE_SQL)
            .bind(channel_seq)
            .fetch_one(&self.pool)
            .await?;
        Ok(PushAudience {
            version,
            candidates: push_audience_from_json(&text)?,
        })
    }
}
