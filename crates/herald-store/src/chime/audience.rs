//! The audience of a push, decoded from the one JSON text each engine's
//! query aggregates it into: handing ten thousand rows of fourteen columns
//! across sqlx one by one costs far more in per-value overhead than one
//! text value and a serde parse. The engines leave their SQL unordered (no
//! sort in the database); the rows are put in membership order here.

use serde::Deserialize;

use super::rows::preference_of;
use crate::chime::{AppInstanceUserRecord, PushCandidate, PushEndpoint};
use crate::rows::timestamp;
use crate::{StoreError, StoreResult};

/// One (member, endpoint) pair, or a member without a pushable endpoint
/// (the endpoint fields null). Deserialised from a JSON array, positionally:
/// each engine's query builds the array in this field order.
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

/// The candidates in a JSON array of [`AudienceRow`]s: oldest membership
/// first, each member's endpoints in registration order.
pub(crate) fn push_audience_from_json(text: &str) -> StoreResult<Vec<PushCandidate>> {
    let mut found: Vec<AudienceRow> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("push audience: {e}")))?;
    // The pairs are unique, so the order is total.
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
            // The outer join found no pushable endpoint for this member.
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
