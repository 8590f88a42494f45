//! The audience of a push, decoded from the one JSON text each engine's
//! query aggregates it into: handing ten thousand rows across sqlx one by
//! one costs far more in per-value overhead than one text value and a serde
//! parse. The engines leave their SQL unordered (no sort in the database);
//! the rows are put in membership order here.
//!
//! An audience kept in memory is brought up to date from the engines'
//! change log ([`AudienceChanges`]) by [`PushAudience::patched`], so that a
//! change to one member costs reading that member again, not all of them.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::rows::preference_of;
use crate::chime::{AudienceChanges, PushAudience, PushCandidate, PushEndpoint};
use crate::{StoreError, StoreResult};

/// Versions of each channel's audience whose changes the engines' triggers
/// keep (migrations `sqlite/0007`, `postgres/0005`); an audience kept from
/// before them is read whole again.
pub const AUDIENCE_CHANGES_KEPT: i64 = 1024;

/// The columns of one audience row, in [`AudienceRow`]'s order, over the
/// aliases `m` (membership) and `e` (endpoint), with `user` naming the
/// member's seq and id (SQLite keeps the id on the membership, PostgreSQL
/// reads it from the user), for the engines' JSON array constructors.
macro_rules! audience_row_columns {
    ($user:literal) => {
        concat!(
            "m.seq, m.push_allow, m.push_filter_rule, ",
            $user,
            ", e.seq, e.endpoint_id, e.device_token, e.voip_device_token"
        )
    };
}
pub(crate) use audience_row_columns;

/// One (member, endpoint) pair, or a member without a pushable endpoint
/// (the endpoint fields null). Deserialised from a JSON array, positionally:
/// each engine's query builds the array in this field order.
/// `push_allow` is one of three plain constants, borrowed from the text
/// (never escaped, so never allocated; `preference_of` checks it).
#[derive(Deserialize)]
struct AudienceRow<'a> {
    membership_seq: i64,
    push_allow: Option<&'a str>,
    push_filter_rule: Option<String>,
    user_seq: i64,
    user_id: String,
    endpoint_seq: Option<i64>,
    endpoint_id: Option<SharedText>,
    device_token: Option<SharedText>,
    voip_device_token: Option<SharedText>,
}

/// A JSON string read straight into an `Arc<str>`: one allocation, where
/// serde's own `Arc<str>` (and `Cow<str>` inside an `Option`) builds a
/// `String` first and copies it.
struct SharedText(Arc<str>);

impl<'de> Deserialize<'de> for SharedText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl Visitor<'_> for Visit {
            type Value = SharedText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<SharedText, E> {
                Ok(SharedText(Arc::from(text)))
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

/// The candidates in a JSON array of [`AudienceRow`]s: oldest membership
/// first, each member's endpoints in registration order.
pub(crate) fn push_audience_from_json(text: &str) -> StoreResult<Vec<PushCandidate>> {
    let mut found: Vec<AudienceRow> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("push audience: {e}")))?;
    // The pairs are unique, so the order is total.
    found.sort_unstable_by_key(|r| (r.membership_seq, r.endpoint_seq));

    let mut audience: Vec<PushCandidate> = Vec::new();
    for row in found {
        if audience.last().map(|c| c.membership_seq) != Some(row.membership_seq) {
            audience.push(PushCandidate {
                membership_seq: row.membership_seq,
                member_seq: row.user_seq,
                user_id: row.user_id,
                push_preference: preference_of(row.push_allow, row.push_filter_rule)?,
                endpoints: Vec::new(),
            });
        }
        let endpoint = match (row.endpoint_id, row.device_token) {
            (Some(endpoint_id), Some(device_token)) => PushEndpoint {
                endpoint_id: endpoint_id.0,
                device_token: device_token.0,
                voip_device_token: row.voip_device_token.map(|t| t.0),
            },
            // The outer join found no pushable endpoint for this member.
            (None, _) => continue,
            (Some(endpoint_id), None) => {
                return Err(StoreError::Corrupt(format!(
                    "endpoint {}: no device token",
                    endpoint_id.0
                )));
            }
        };
        if let Some(candidate) = audience.last_mut() {
            candidate.endpoints.push(endpoint);
        }
    }
    Ok(audience)
}

/// One engine's answer to "what changed after `since_version`": the
/// channel's current version, whether its change log still holds
/// `since_version`, the users logged after it (a JSON array of seqs) and
/// their candidates (a JSON array of [`AudienceRow`]s). `None` when the log
/// cannot tell: the audience must be read whole.
pub(crate) fn audience_changes_from_json(
    since_version: i64,
    version: i64,
    logged: bool,
    users: &str,
    rows: &str,
) -> StoreResult<Option<AudienceChanges>> {
    if version == since_version {
        return Ok(Some(AudienceChanges {
            version,
            users: Vec::new(),
            candidates: Vec::new(),
        }));
    }
    if !logged || version < since_version {
        return Ok(None);
    }
    Ok(Some(AudienceChanges {
        version,
        users: serde_json::from_str(users)
            .map_err(|e| StoreError::Corrupt(format!("push audience changes: {e}")))?,
        candidates: push_audience_from_json(rows)?,
    }))
}

impl PushAudience {
    /// An audience as read whole.
    pub(crate) fn read(version: i64, candidates: Vec<PushCandidate>) -> PushAudience {
        PushAudience {
            version,
            candidates: candidates.into_iter().map(Arc::new).collect(),
        }
    }

    /// This audience with `changes` applied: what a whole read at
    /// `changes.version` gives, when the changes are everything that
    /// happened after this audience's version. The changed users' old
    /// candidates go, their new ones are merged in by membership, and every
    /// other candidate is shared, not copied.
    pub fn patched(&self, changes: AudienceChanges) -> PushAudience {
        let changed: HashSet<i64> = changes.users.into_iter().collect();
        let mut kept = self
            .candidates
            .iter()
            .filter(|c| !changed.contains(&c.member_seq))
            .cloned()
            .peekable();
        let mut fresh = changes.candidates.into_iter().map(Arc::new).peekable();
        let mut candidates = Vec::with_capacity(self.candidates.len() + fresh.len());
        loop {
            let next = match (kept.peek(), fresh.peek()) {
                (Some(old), Some(new)) if old.membership_seq < new.membership_seq => kept.next(),
                (Some(_), Some(_)) | (None, Some(_)) => fresh.next(),
                (Some(_), None) => kept.next(),
                (None, None) => break,
            };
            candidates.extend(next);
        }
        PushAudience {
            version: changes.version,
            candidates,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chime::PushPreference;

    fn candidate(membership_seq: i64, member_seq: i64) -> PushCandidate {
        PushCandidate {
            membership_seq,
            member_seq,
            user_id: format!("user-{member_seq}"),
            push_preference: None,
            endpoints: Vec::new(),
        }
    }

    #[test]
    fn patching_replaces_removes_and_inserts_in_membership_order() {
        let before = PushAudience::read(
            7,
            vec![candidate(1, 10), candidate(2, 20), candidate(4, 40)],
        );
        let muted = PushCandidate {
            push_preference: Some(PushPreference::None),
            ..candidate(2, 20)
        };
        let patched = before.patched(AudienceChanges {
            version: 11,
            // 10 left; 20 muted; 30 joined between 20 and 40; 50 joined
            // last; 60 joined and left again.
            users: vec![10, 20, 30, 50, 60],
            candidates: vec![muted.clone(), candidate(3, 30), candidate(5, 50)],
        });
        let expected = PushAudience::read(
            11,
            vec![muted, candidate(3, 30), candidate(4, 40), candidate(5, 50)],
        );
        assert_eq!(patched, expected);
        // The untouched member is shared with the audience patched.
        assert!(Arc::ptr_eq(&patched.candidates[2], &before.candidates[2]));
    }

    #[test]
    fn rows_decode_into_members_with_their_endpoints_escapes_included() {
        // [membership, allow, rule, user seq, user id, endpoint seq, id,
        // token, voip token], unordered as the engines leave them.
        let text = r#"[
            [2, "FILTERED", "{\"a\":[\"b\"]}", 20, "u2", 5, "e5", "t\"5\u00e9", null],
            [1, null, null, 10, "u1", 4, "e4", "t4", "v4"],
            [1, null, null, 10, "u1", 3, "e3", "t3", null],
            [3, "NONE", null, 30, "u3", null, null, null, null]
        ]"#;
        let audience = push_audience_from_json(text).expect("decodes");
        let endpoint = |id: &str, token: &str, voip: Option<&str>| PushEndpoint {
            endpoint_id: id.into(),
            device_token: token.into(),
            voip_device_token: voip.map(Arc::from),
        };
        let expected = vec![
            PushCandidate {
                user_id: "u1".into(),
                endpoints: vec![endpoint("e3", "t3", None), endpoint("e4", "t4", Some("v4"))],
                ..candidate(1, 10)
            },
            PushCandidate {
                user_id: "u2".into(),
                push_preference: Some(PushPreference::Filtered {
                    rule: r#"{"a":["b"]}"#.into(),
                }),
                endpoints: vec![endpoint("e5", "t\"5\u{e9}", None)],
                ..candidate(2, 20)
            },
            PushCandidate {
                user_id: "u3".into(),
                push_preference: Some(PushPreference::None),
                ..candidate(3, 30)
            },
        ];
        assert_eq!(audience, expected);
    }

    #[test]
    fn an_unknown_preference_is_a_damaged_store() {
        let text = r#"[[1, "SOME", null, 10, "u1", null, null, null, null]]"#;
        assert!(matches!(
            push_audience_from_json(text),
            Err(StoreError::Corrupt(_))
        ));
    }
}
