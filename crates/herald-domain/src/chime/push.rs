//! The push decision: which members, and which of their endpoints, a
//! message with a `PushNotification` reaches.
//!
//! Rules are parsed when stored; here they come from a cache keyed by their
//! text, so deciding for a 10,000-member channel parses each distinct rule
//! at most once per process (after a restart, on first use) and evaluation
//! itself never touches JSON.

use std::collections::HashMap;
use std::sync::Arc;

use herald_store::chime::{
    Attributes, ChannelRecord, DeliveryState, NewDelivery, PushAudience, PushCandidate,
    PushNotification, PushPreference, PushType,
};
use herald_store::{ChimeStore, StoreResult};

use super::arn;
use super::filter_rule::FilterRule;

/// Bytes of rule text kept parsed (each entry weighs its text three times
/// over, for the text, the key and the parsed tree); beyond this the least
/// used are parsed again when next needed.
pub const RULE_CACHE_CAPACITY: u64 = 32 * 1024 * 1024;

#[derive(Clone)]
struct RuleWeight;

impl quick_cache::Weighter<Box<str>, Arc<FilterRule>> for RuleWeight {
    fn weight(&self, key: &Box<str>, _rule: &Arc<FilterRule>) -> u64 {
        key.len() as u64 * 3 + 64
    }
}

/// Parsed filter rules by their text, shared by all requests.
pub struct RuleCache {
    rules: quick_cache::sync::Cache<Box<str>, Arc<FilterRule>, RuleWeight>,
}

impl RuleCache {
    /// A cache of at most `capacity_bytes` (see [`RULE_CACHE_CAPACITY`]).
    pub fn new(capacity_bytes: u64) -> Self {
        RuleCache {
            rules: quick_cache::sync::Cache::with_weighter(
                (capacity_bytes / 256) as usize,
                capacity_bytes,
                RuleWeight,
            ),
        }
    }

    pub fn insert(&self, rule: FilterRule) {
        self.rules.insert(rule.source().into(), Arc::new(rule));
    }

    /// The parsed rule for `text`; `None` when stored text does not parse
    /// (it was validated when stored, so this means a damaged record).
    pub fn get(&self, text: &str) -> Option<Arc<FilterRule>> {
        if let Some(rule) = self.rules.get(text) {
            return Some(rule);
        }
        match FilterRule::parse(text) {
            Ok(rule) => {
                let rule = Arc::new(rule);
                self.rules.insert(text.into(), rule.clone());
                Some(rule)
            }
            Err(error) => {
                tracing::error!(%error, "a stored filter rule does not parse; treating it as matching nothing");
                None
            }
        }
    }
}

/// Candidates kept in memory across channels (each weighs one per member
/// plus one per endpoint): about ten channels of 10,000 members with an
/// endpoint each.
pub const AUDIENCE_CACHE_CAPACITY: u64 = 200_000;

/// Which channel an audience belongs to. The creation time rides along
/// because SQLite may hand a deleted channel's seq to a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ChannelKey {
    seq: i64,
    created_ms: i64,
}

#[derive(Clone)]
struct AudienceWeight;

impl quick_cache::Weighter<ChannelKey, Arc<PushAudience>> for AudienceWeight {
    fn weight(&self, _key: &ChannelKey, audience: &Arc<PushAudience>) -> u64 {
        let endpoints: usize = audience.candidates.iter().map(|c| c.endpoints.len()).sum();
        (audience.candidates.len() + endpoints + 1) as u64
    }
}

/// Push audiences by channel, each good for as long as its channel's
/// `audience_version` is unchanged: the store bumps it with every write
/// that changes who a push reaches, so a send to a busy channel reads one
/// row instead of every member. When it has moved on, the store's change
/// log names the members to read again. The version and the log live in
/// the database, so both hold for writes made through any node.
pub struct AudienceCache {
    audiences: quick_cache::sync::Cache<ChannelKey, Arc<PushAudience>, AudienceWeight>,
}

impl AudienceCache {
    /// A cache of at most `capacity` candidates and endpoints.
    pub fn new(capacity: u64) -> Self {
        AudienceCache {
            audiences: quick_cache::sync::Cache::with_weighter(
                (capacity / 100).max(16) as usize,
                capacity,
                AudienceWeight,
            ),
        }
    }

    /// The channel's audience as of `channel.audience_version` or later:
    /// the one kept when it is current; else the one kept brought up to
    /// date with what changed since (one read of the changed members); else
    /// read whole. What it returns is kept.
    pub async fn audience(
        &self,
        store: &dyn ChimeStore,
        channel: &ChannelRecord,
    ) -> StoreResult<Arc<PushAudience>> {
        let kept = self.audiences.get(&key(channel));
        if let Some(kept) = &kept
            && kept.version == channel.audience_version
        {
            return Ok(kept.clone());
        }
        let changes = match &kept {
            Some(kept) => {
                store
                    .push_audience_changes(channel.seq, kept.version)
                    .await?
            }
            None => None,
        };
        let audience = match (kept, changes) {
            (Some(kept), Some(changes)) => kept.patched(changes),
            _ => store.push_audience(channel.seq).await?,
        };
        let audience = Arc::new(audience);
        self.audiences.insert(key(channel), audience.clone());
        Ok(audience)
    }
}

fn key(channel: &ChannelRecord) -> ChannelKey {
    ChannelKey {
        seq: channel.seq,
        created_ms: channel.created.as_millisecond(),
    }
}

/// Whether a member with this preference gets a push for a message with
/// these attributes. No preference means `ALL`.
pub fn allows(
    preference: Option<&PushPreference>,
    attributes: &Attributes,
    rules: &RuleCache,
) -> bool {
    match preference {
        None | Some(PushPreference::All) => true,
        Some(PushPreference::None) => false,
        Some(PushPreference::Filtered { rule }) => {
            rules.get(rule).is_some_and(|rule| rule.matches(attributes))
        }
    }
}

/// What is being pushed, and where it came from.
pub struct PushContext<'a> {
    pub app_instance_arn: &'a str,
    pub channel_arn: &'a str,
    pub message_id: &'a str,
    pub attributes: &'a Attributes,
    pub push: &'a PushNotification,
    /// `PENDING` when a webhook will deliver, else `RECORDED`.
    pub state: DeliveryState,
}

/// `MESSAGE-N`, sized once (thousands per message in a large channel,
/// where `format!` reallocated each as it grew).
fn delivery_id(message_id: &str, n: usize) -> String {
    let mut number = itoa::Buffer::new();
    [message_id, "-", number.format(n)].concat()
}

/// One delivery per endpoint of every member the message may reach, in
/// the order of `candidates` and their endpoints.
pub fn decide(
    candidates: &[Arc<PushCandidate>],
    context: &PushContext<'_>,
    rules: &RuleCache,
) -> Vec<NewDelivery> {
    let mut deliveries = Vec::new();
    // The message's values, one allocation each for all its deliveries.
    let channel_arn: Arc<str> = context.channel_arn.into();
    let message_id: Arc<str> = context.message_id.into();
    let title: Option<Arc<str>> = context.push.title.as_deref().map(Arc::from);
    let body: Option<Arc<str>> = context.push.body.as_deref().map(Arc::from);
    // A message's attributes are fixed, so each distinct rule is decided
    // once per message: a large channel has many members and few rules.
    let mut decided: HashMap<&str, bool> = HashMap::new();
    for candidate in candidates {
        if candidate.endpoints.is_empty() {
            continue;
        }
        let allowed = match &candidate.push_preference {
            Some(PushPreference::Filtered { rule }) => {
                *decided.entry(rule.as_str()).or_insert_with(|| {
                    allows(
                        candidate.push_preference.as_ref(),
                        context.attributes,
                        rules,
                    )
                })
            }
            preference => allows(preference.as_ref(), context.attributes, rules),
        };
        if !allowed {
            continue;
        }
        let member_arn: Arc<str> =
            arn::user_arn(context.app_instance_arn, &candidate.user_id).into();
        for endpoint in &candidate.endpoints {
            // Message ids are unique, so numbering within the message makes
            // delivery ids unique without drawing randomness per push.
            let delivery_id = delivery_id(context.message_id, deliveries.len() + 1);
            let device_token = match (context.push.push_type, &endpoint.voip_device_token) {
                (PushType::Voip, Some(voip)) => voip.clone(),
                _ => endpoint.device_token.clone(),
            };
            deliveries.push(NewDelivery {
                delivery_id,
                member_seq: candidate.member_seq,
                member_arn: member_arn.clone(),
                endpoint_id: endpoint.endpoint_id.clone(),
                device_token,
                channel_arn: channel_arn.clone(),
                message_id: message_id.clone(),
                title: title.clone(),
                body: body.clone(),
                push_type: context.push.push_type,
                state: context.state,
            });
        }
    }
    deliveries
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_store::chime::PushEndpoint;

    fn candidate(
        user_id: &str,
        preference: Option<PushPreference>,
        endpoints: &[&str],
    ) -> Arc<PushCandidate> {
        Arc::new(PushCandidate {
            membership_seq: 1,
            member_seq: 1,
            user_id: user_id.into(),
            push_preference: preference,
            endpoints: endpoints
                .iter()
                .map(|id| PushEndpoint {
                    endpoint_id: (*id).into(),
                    device_token: format!("token-{id}").into(),
                    voip_device_token: Some(format!("voip-{id}").into()),
                })
                .collect(),
        })
    }

    fn decide_for(
        candidates: &[Arc<PushCandidate>],
        attributes: &Attributes,
        push_type: PushType,
    ) -> Vec<(String, String, String)> {
        let push = PushNotification {
            title: Some("t".into()),
            body: Some("b".into()),
            push_type,
        };
        let context = PushContext {
            app_instance_arn: "arn:aws:chime:us-east-1:1:app-instance/a",
            channel_arn: "arn:aws:chime:us-east-1:1:app-instance/a/channel/c",
            message_id: "m",
            attributes,
            push: &push,
            state: DeliveryState::Recorded,
        };
        decide(candidates, &context, &RuleCache::new(1 << 20))
            .into_iter()
            .map(|d| {
                (
                    d.member_arn
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    d.endpoint_id.to_string(),
                    d.device_token.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn preferences_decide_who_is_pushed_to() {
        let filtered = |rule: &str| Some(PushPreference::Filtered { rule: rule.into() });
        let candidates = vec![
            candidate("none-set", None, &["e1"]),
            candidate("all", Some(PushPreference::All), &["e2", "e3"]),
            candidate("blocked", Some(PushPreference::None), &["e4"]),
            candidate("match", filtered(r#"{"mention":["alice"]}"#), &["e5"]),
            candidate("miss", filtered(r#"{"mention":["bob"]}"#), &["e6"]),
            candidate("no-endpoints", None, &[]),
        ];
        let attributes = Attributes::from([("mention".to_owned(), vec!["alice".to_owned()])]);
        let pushed: Vec<_> = decide_for(&candidates, &attributes, PushType::Default)
            .into_iter()
            .map(|(member, endpoint, _)| (member, endpoint))
            .collect();
        let expected: Vec<(String, String)> = [
            ("none-set", "e1"),
            ("all", "e2"),
            ("all", "e3"),
            ("match", "e5"),
        ]
        .iter()
        .map(|(m, e)| ((*m).to_owned(), (*e).to_owned()))
        .collect();
        assert_eq!(pushed, expected);
    }

    #[test]
    fn deliveries_are_numbered_within_the_message_and_name_their_member() {
        let candidates = vec![
            candidate("u1", None, &["e1", "e2"]),
            candidate("u2", Some(PushPreference::All), &["e3"]),
        ];
        let push = PushNotification {
            title: None,
            body: None,
            push_type: PushType::Default,
        };
        let attributes = Attributes::new();
        let context = PushContext {
            app_instance_arn: "arn:aws:chime:us-east-1:1:app-instance/a",
            channel_arn: "arn:aws:chime:us-east-1:1:app-instance/a/channel/c",
            message_id: "msg-9",
            attributes: &attributes,
            push: &push,
            state: DeliveryState::Recorded,
        };
        let decided: Vec<(String, String)> = decide(&candidates, &context, &RuleCache::new(16))
            .into_iter()
            .map(|d| (d.delivery_id, d.member_arn.to_string()))
            .collect();
        let member = |u: &str| format!("arn:aws:chime:us-east-1:1:app-instance/a/user/{u}");
        assert_eq!(
            decided,
            vec![
                ("msg-9-1".to_owned(), member("u1")),
                ("msg-9-2".to_owned(), member("u1")),
                ("msg-9-3".to_owned(), member("u2")),
            ]
        );
    }

    #[test]
    fn voip_pushes_use_the_voip_token() {
        let candidates = vec![candidate("u", None, &["e"])];
        let attributes = Attributes::new();
        assert_eq!(
            decide_for(&candidates, &attributes, PushType::Voip)[0].2,
            "voip-e"
        );
        assert_eq!(
            decide_for(&candidates, &attributes, PushType::Default)[0].2,
            "token-e"
        );
    }

    #[test]
    fn a_damaged_rule_matches_nothing() {
        let rules = RuleCache::new(1 << 20);
        let broken = PushPreference::Filtered {
            rule: "{not json".into(),
        };
        assert!(!allows(Some(&broken), &Attributes::new(), &rules));
    }
}
