//! The audience of a push: every member of the channel with their
//! preference and pushable endpoints.
//!
//! One read, aggregated by PostgreSQL into a single JSON text, as on
//! SQLite: handing ten thousand rows of fourteen columns across sqlx one by
//! one costs far more in per-value overhead than one text value and a serde
//! parse. The SQL is left unordered (no sort in the database), and the rows
//! are put in membership order here.
//!
//! The user and the endpoints are looked up per member by index, in
//! LATERAL subqueries that `OFFSET 0` keeps the planner from flattening.
//! Left to itself it hash-joins the whole user and endpoint tables even for
//! a channel of thirty in a store of a few thousand users (cheap there, but
//! a cost that follows the store); with the lookups the cost follows the
//! channel, and a 10,000-member channel is no slower for it (tens of
//! milliseconds either way).

use serde::Deserialize;

use crate::StoreError;
use crate::chime::rows::preference_of;
use crate::chime::{AppInstanceUserRecord, PushCandidate, PushEndpoint};
use crate::postgres::PgStore;
use crate::postgres::error::PgResult;
use crate::rows::timestamp;

/// One (member, endpoint) pair, or a member without a pushable endpoint
/// (the endpoint columns null). The JSON array's element order is
/// [`AudienceRow`]'s field order. Bind: channel.
pub(super) const PUSH_AUDIENCE_SQL: &str = "SELECT COALESCE(json_agg(json_build_array( \
     m.seq, m.push_allow, m.push_filter_rule, \
     u.seq, u.app_instance_seq, u.user_id, u.name, u.metadata, u.created_ms, u.updated_ms, \
     e.seq, e.endpoint_id, e.device_token, e.voip_device_token))::text, '[]') \
     FROM chime_memberships m \
     CROSS JOIN LATERAL (SELECT seq, app_instance_seq, user_id, name, metadata, created_ms, \
     updated_ms FROM chime_users WHERE seq = m.user_seq OFFSET 0) u \
     LEFT JOIN LATERAL (SELECT seq, endpoint_id, device_token, voip_device_token \
     FROM chime_endpoints WHERE user_seq = m.user_seq AND allow_messages OFFSET 0) e ON true \
     WHERE m.channel_seq = $1";

/// Deserialised from a JSON array, positionally.
#[derive(Deserialize)]
struct AudienceRow {
    membership_seq: i64,
    push_allow: Option<String>,
    push_filter_rule: Option<String>,
    user_seq: i64,
    app_instance_seq: i64,
    user_id: String,
    name: String,
    metadata: String,
    created_ms: i64,
    updated_ms: i64,
    endpoint_seq: Option<i64>,
    endpoint_id: Option<String>,
    device_token: Option<String>,
    voip_device_token: Option<String>,
}

impl PgStore {
    pub(super) async fn push_audience_impl(
        &self,
        channel_seq: i64,
    ) -> PgResult<Vec<PushCandidate>> {
        let text: String = sqlx::query_scalar(PUSH_AUDIENCE_SQL)
            .bind(channel_seq)
            .fetch_one(&self.pool)
            .await?;
        let mut found: Vec<AudienceRow> = serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("push audience: {e}")))?;
        // Oldest membership first, each member's endpoints in registration
        // order; the pairs are unique.
        found.sort_unstable_by_key(|r| (r.membership_seq, r.endpoint_seq));

        let mut audience: Vec<PushCandidate> = Vec::new();
        let mut current = None;
        for row in found {
            if current != Some(row.membership_seq) {
                current = Some(row.membership_seq);
                audience.push(PushCandidate {
                    member: AppInstanceUserRecord {
                        seq: row.user_seq,
                        app_instance_seq: row.app_instance_seq,
                        user_id: row.user_id,
                        name: row.name,
                        metadata: row.metadata,
                        created: timestamp(row.created_ms, "created_ms")?,
                        updated: timestamp(row.updated_ms, "updated_ms")?,
                    },
                    push_preference: preference_of(row.push_allow, row.push_filter_rule)?,
                    endpoints: Vec::new(),
                });
            }
            let endpoint = match (row.endpoint_id, row.device_token) {
                (Some(endpoint_id), Some(device_token)) => PushEndpoint {
                    endpoint_id,
                    device_token,
                    voip_device_token: row.voip_device_token,
                },
                // The LEFT JOIN found no pushable endpoint for this member.
                (None, _) => continue,
                (Some(endpoint_id), None) => {
                    return Err(StoreError::Corrupt(format!(
                        "endpoint {endpoint_id}: no device token"
                    ))
                    .into());
                }
            };
            if let Some(candidate) = audience.last_mut() {
                candidate.endpoints.push(endpoint);
            }
        }
        Ok(audience)
    }
}
