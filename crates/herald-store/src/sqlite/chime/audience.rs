//! The audience of a push: every member of the channel with their
//! preference and pushable endpoints.
//!
//! One indexed join, aggregated by SQLite into a single JSON array. Handing
//! ten thousand rows of fourteen columns across sqlx one by one costs tens
//! of milliseconds in per-value overhead; one text value and a serde parse
//! cost a few. The SQL is left unordered (it runs in index order, no
//! sort), and the rows are put in membership order here.

use serde::Deserialize;

use crate::chime::rows::preference_of;
use crate::chime::{AppInstanceUserRecord, PushCandidate, PushEndpoint};
use crate::db_error::db_err;
use crate::rows::timestamp;
use crate::sqlite::SqliteStore;
use crate::{StoreError, StoreResult};

/// One (member, endpoint) pair, or a member without a pushable endpoint
/// (the endpoint columns null). The JSON array's element order is
/// [`AudienceRow`]'s field order. Bind: channel.
pub(super) const PUSH_AUDIENCE_SQL: &str = "SELECT json_group_array(json_array( \
     m.seq, m.push_allow, m.push_filter_rule, \
     u.seq, u.app_instance_seq, u.user_id, u.name, u.metadata, u.created_ms, u.updated_ms, \
     e.seq, e.endpoint_id, e.device_token, e.voip_device_token)) \
     FROM chime_memberships m \
     JOIN chime_users u ON u.seq = m.user_seq \
     LEFT JOIN chime_endpoints e ON e.user_seq = m.user_seq AND e.allow_messages = 1 \
     WHERE m.channel_seq = ?";

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

impl SqliteStore {
    pub(super) async fn push_audience_impl(
        &self,
        channel_seq: i64,
    ) -> StoreResult<Vec<PushCandidate>> {
        let text: String = sqlx::query_scalar(PUSH_AUDIENCE_SQL)
            .bind(channel_seq)
            .fetch_one(&self.readers)
            .await
            .map_err(db_err)?;
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
                    )));
                }
            };
            if let Some(candidate) = audience.last_mut() {
                candidate.endpoints.push(endpoint);
            }
        }
        Ok(audience)
    }
}
