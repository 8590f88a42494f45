//! Channel-membership push filter rules (`Preferences.PushNotifications.FilterRule`).
//!
//! A rule is JSON text set once per member and evaluated against the
//! `MessageAttributes` of every message sent to the channel, so [`FilterRule::parse`]
//! validates everything up front and keeps a compact tree; [`FilterRule::matches`]
//! never touches JSON and never allocates.
//!
//! The language (the subset Herald supports):
//!
//! - `{"key": ["v1", "v2"]}`: some value of attribute `key` is `v1` or `v2`.
//!   A message without `key` (or with an empty value list) does not match.
//! - `{"key": [{"anything-but": ["v1", "v2"]}]}` (or `"anything-but": "v1"`):
//!   no value of attribute `key` is listed. A message without `key` (or with an
//!   empty value list) matches.
//! - Several keys in one object are ANDed.
//! - `{"$or": [rule, ...]}` matches when any listed rule matches; it may sit
//!   beside other keys (AND of the OR with them) and may nest.
//!
//! Keys are case-sensitive. `$or` is always the operator; any other key
//! starting with `$` is refused as an unsupported operator.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A message's attributes: name to its string values.
pub type MessageAttributes = BTreeMap<String, Vec<String>>;

/// Longest accepted rule text, in bytes.
pub const MAX_RULE_BYTES: usize = 2048;
/// Most alternatives in any one `$or` array.
pub const MAX_OR_ALTERNATIVES: usize = 5;
/// Most attribute keys plus values over the whole rule.
pub const MAX_COMPLEXITY: usize = 20;
/// Most levels of rule objects: the top-level object is level 1, each `$or`
/// member one level below the object holding that `$or`.
pub const MAX_DEPTH: usize = 4;
/// Largest accepted `MessageAttributes`, in bytes of names plus values.
pub const MAX_MESSAGE_ATTRIBUTES_BYTES: usize = 1024;

const OR: &str = "$or";
const ANYTHING_BUT: &str = "anything-but";
/// Where a rule object sits, for error messages.
const ROOT: &str = "the rule";

/// Why a filter rule (or a message's attributes) was refused. The `Display`
/// text is meant to be sent back as a `BadRequestException` message.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FilterRuleError {
    #[error("FilterRule is {bytes} bytes long; at most {max} bytes are allowed")]
    TooLong { bytes: usize, max: usize },
    #[error("FilterRule is not valid JSON: {reason}")]
    InvalidJson { reason: String },
    #[error("FilterRule: {at} must be a JSON object, not {found}")]
    NotAnObject { at: String, found: &'static str },
    #[error("FilterRule: {at} must not be an empty object")]
    EmptyObject { at: String },
    #[error("FilterRule: key {key:?} appears more than once in {at}")]
    DuplicateKey { at: String, key: String },
    #[error("FilterRule: operator {operator:?} in {at} is not supported; only $or is")]
    UnsupportedKeyOperator { at: String, operator: String },
    #[error(
        "FilterRule: operator {operator:?} for {key:?} in {at} is not supported; \
         only exact strings and anything-but are"
    )]
    UnsupportedOperator {
        at: String,
        key: String,
        operator: String,
    },
    #[error("FilterRule: the value of {key:?} in {at} must be an array, not {found}")]
    ValuesNotAnArray {
        at: String,
        key: String,
        found: &'static str,
    },
    #[error("FilterRule: the values for {key:?} in {at} must not be empty")]
    EmptyValues { at: String, key: String },
    #[error("FilterRule: the values for {key:?} in {at} must be strings, not {found}")]
    NonStringValue {
        at: String,
        key: String,
        found: &'static str,
    },
    #[error(
        "FilterRule: the array for {key:?} in {at} must hold either only strings \
         or exactly one {{\"anything-but\": ...}} object"
    )]
    MixedValues { at: String, key: String },
    #[error(
        "FilterRule: anything-but for {key:?} in {at} must be a string or an array \
         of strings, not {found}"
    )]
    AnythingButShape {
        at: String,
        key: String,
        found: &'static str,
    },
    #[error("FilterRule: $or in {at} must be an array of rule objects, not {found}")]
    OrNotAnArray { at: String, found: &'static str },
    #[error("FilterRule: $or in {at} must list at least one rule")]
    EmptyOr { at: String },
    #[error("FilterRule: $or in {at} has {count} alternatives; at most {max} are allowed")]
    TooManyAlternatives {
        at: String,
        count: usize,
        max: usize,
    },
    #[error(
        "FilterRule nests $or too deeply at {at}; at most {max} levels of rule objects are allowed"
    )]
    TooDeep { at: String, max: usize },
    #[error("FilterRule complexity (keys plus values) is {complexity}; at most {max} is allowed")]
    TooComplex { complexity: usize, max: usize },
    #[error(
        "MessageAttributes are {bytes} bytes (names plus values); at most {max} bytes are allowed"
    )]
    MessageAttributesTooLarge { bytes: usize, max: usize },
}

/// A parsed, validated filter rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterRule {
    source: Box<str>,
    root: Node,
}

/// One rule object: all `conditions` and (when present) one of `any_of`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    conditions: Box<[Condition]>,
    /// The `$or` alternatives; empty when the object has no `$or` (an empty
    /// `$or` is refused at parse time, so the two cannot be confused).
    any_of: Box<[Node]>,
}

/// One attribute key and its value list. Lists are at most
/// [`MAX_COMPLEXITY`] long, so a linear scan beats hashing or sorting.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    key: Box<str>,
    values: Box<[Box<str>]>,
    /// `anything-but`: no value of the attribute may be listed.
    exclude: bool,
}

impl FilterRule {
    /// Parses and validates `text`; every limit is checked here, once.
    pub fn parse(text: &str) -> Result<FilterRule, FilterRuleError> {
        if text.len() > MAX_RULE_BYTES {
            return Err(FilterRuleError::TooLong {
                bytes: text.len(),
                max: MAX_RULE_BYTES,
            });
        }
        // serde_json's own recursion limit (128) bounds the JSON nesting this
        // recursive parse can reach; the rule walk below is bounded by MAX_DEPTH.
        let json: Json = serde_json::from_str(text).map_err(|e| FilterRuleError::InvalidJson {
            reason: e.to_string(),
        })?;
        let mut complexity = 0;
        let root = node(&json, ROOT, 1, &mut complexity)?;
        if complexity > MAX_COMPLEXITY {
            return Err(FilterRuleError::TooComplex {
                complexity,
                max: MAX_COMPLEXITY,
            });
        }
        Ok(FilterRule {
            source: text.into(),
            root,
        })
    }

    /// Whether a message with these attributes should be pushed to the member.
    pub fn matches(&self, attributes: &MessageAttributes) -> bool {
        self.root.matches(attributes)
    }

    /// The rule text exactly as given, for echoing back.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl std::str::FromStr for FilterRule {
    type Err = FilterRuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        FilterRule::parse(text)
    }
}

impl fmt::Display for FilterRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Node {
    fn matches(&self, attributes: &MessageAttributes) -> bool {
        self.conditions.iter().all(|c| c.matches(attributes))
            && (self.any_of.is_empty() || self.any_of.iter().any(|n| n.matches(attributes)))
    }
}

impl Condition {
    fn matches(&self, attributes: &MessageAttributes) -> bool {
        // An empty value list is treated exactly like an absent attribute:
        // `any` over it is false (inclusive fails), `!any` is true (exclusive passes).
        let listed = attributes.get(&*self.key).is_some_and(|present| {
            present
                .iter()
                .any(|v| self.values.iter().any(|w| **w == **v))
        });
        listed != self.exclude
    }
}

/// Validates a message's attributes against the size limit.
pub fn validate_message_attributes(attributes: &MessageAttributes) -> Result<(), FilterRuleError> {
    let bytes: usize = attributes
        .iter()
        .map(|(name, values)| name.len() + values.iter().map(String::len).sum::<usize>())
        .sum();
    if bytes > MAX_MESSAGE_ATTRIBUTES_BYTES {
        return Err(FilterRuleError::MessageAttributesTooLarge {
            bytes,
            max: MAX_MESSAGE_ATTRIBUTES_BYTES,
        });
    }
    Ok(())
}

/// Builds the rule object at `at` (level `depth`), adding its keys and values
/// to `complexity`.
fn node(
    json: &Json,
    at: &str,
    depth: usize,
    complexity: &mut usize,
) -> Result<Node, FilterRuleError> {
    if depth > MAX_DEPTH {
        return Err(FilterRuleError::TooDeep {
            at: at.to_string(),
            max: MAX_DEPTH,
        });
    }
    let Json::Object(entries) = json else {
        return Err(FilterRuleError::NotAnObject {
            at: at.to_string(),
            found: json.kind(),
        });
    };
    if entries.is_empty() {
        return Err(FilterRuleError::EmptyObject { at: at.to_string() });
    }
    check_unique_keys(entries, at)?;
    let mut conditions = Vec::with_capacity(entries.len());
    let mut any_of = Vec::new();
    for (key, value) in entries {
        if key == OR {
            any_of = alternatives(value, at, depth, complexity)?;
        } else if key.starts_with('$') {
            return Err(FilterRuleError::UnsupportedKeyOperator {
                at: at.to_string(),
                operator: key.clone(),
            });
        } else {
            *complexity += 1;
            conditions.push(condition(key, value, at, complexity)?);
        }
    }
    Ok(Node {
        conditions: conditions.into(),
        any_of: any_of.into(),
    })
}

fn alternatives(
    json: &Json,
    at: &str,
    depth: usize,
    complexity: &mut usize,
) -> Result<Vec<Node>, FilterRuleError> {
    let Json::Array(members) = json else {
        return Err(FilterRuleError::OrNotAnArray {
            at: at.to_string(),
            found: json.kind(),
        });
    };
    if members.is_empty() {
        return Err(FilterRuleError::EmptyOr { at: at.to_string() });
    }
    if members.len() > MAX_OR_ALTERNATIVES {
        return Err(FilterRuleError::TooManyAlternatives {
            at: at.to_string(),
            count: members.len(),
            max: MAX_OR_ALTERNATIVES,
        });
    }
    members
        .iter()
        .enumerate()
        .map(|(i, member)| {
            let inner = if at == ROOT {
                format!("$or[{i}]")
            } else {
                format!("{at}.$or[{i}]")
            };
            node(member, &inner, depth + 1, complexity)
        })
        .collect()
}

/// One key's value array: all strings, or exactly one anything-but object.
fn condition(
    key: &str,
    json: &Json,
    at: &str,
    complexity: &mut usize,
) -> Result<Condition, FilterRuleError> {
    let Json::Array(items) = json else {
        return Err(FilterRuleError::ValuesNotAnArray {
            at: at.to_string(),
            key: key.to_string(),
            found: json.kind(),
        });
    };
    let (values, exclude) = match items.as_slice() {
        [] => {
            return Err(FilterRuleError::EmptyValues {
                at: at.to_string(),
                key: key.to_string(),
            });
        }
        [Json::Object(matcher)] => (anything_but(key, matcher, at)?, true),
        _ => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Json::String(s) => values.push(s.as_str().into()),
                    // An operator object beside other items: name an
                    // unsupported operator first, it is the likelier mistake.
                    Json::Object(matcher) => {
                        anything_but(key, matcher, at)?;
                        return Err(FilterRuleError::MixedValues {
                            at: at.to_string(),
                            key: key.to_string(),
                        });
                    }
                    other => {
                        return Err(FilterRuleError::NonStringValue {
                            at: at.to_string(),
                            key: key.to_string(),
                            found: other.kind(),
                        });
                    }
                }
            }
            (values, false)
        }
    };
    *complexity += values.len();
    Ok(Condition {
        key: key.into(),
        values: values.into(),
        exclude,
    })
}

/// The values of a `{"anything-but": ...}` object.
fn anything_but(
    key: &str,
    matcher: &[(String, Json)],
    at: &str,
) -> Result<Vec<Box<str>>, FilterRuleError> {
    if let Some((operator, _)) = matcher.iter().find(|(op, _)| op != ANYTHING_BUT) {
        return Err(FilterRuleError::UnsupportedOperator {
            at: at.to_string(),
            key: key.to_string(),
            operator: operator.clone(),
        });
    }
    match matcher {
        [(_, Json::String(s))] => Ok(vec![s.as_str().into()]),
        [(_, Json::Array(items))] if items.is_empty() => Err(FilterRuleError::EmptyValues {
            at: at.to_string(),
            key: key.to_string(),
        }),
        [(_, Json::Array(items))] => items
            .iter()
            .map(|item| match item {
                Json::String(s) => Ok(s.as_str().into()),
                other => Err(FilterRuleError::NonStringValue {
                    at: at.to_string(),
                    key: key.to_string(),
                    found: other.kind(),
                }),
            })
            .collect(),
        [(_, other)] => Err(FilterRuleError::AnythingButShape {
            at: at.to_string(),
            key: key.to_string(),
            found: other.kind(),
        }),
        // `{}`, or anything-but given twice.
        [] => Err(FilterRuleError::EmptyObject {
            at: format!("the operator object for {key:?} in {at}"),
        }),
        _ => Err(FilterRuleError::DuplicateKey {
            at: format!("the operator object for {key:?} in {at}"),
            key: ANYTHING_BUT.to_string(),
        }),
    }
}

fn check_unique_keys(entries: &[(String, Json)], at: &str) -> Result<(), FilterRuleError> {
    // Objects are small (complexity bounds them), so quadratic is fine.
    for (i, (key, _)) in entries.iter().enumerate() {
        if entries[..i].iter().any(|(seen, _)| seen == key) {
            return Err(FilterRuleError::DuplicateKey {
                at: at.to_string(),
                key: key.clone(),
            });
        }
    }
    Ok(())
}

/// JSON as written: objects keep their order and duplicate keys, which
/// `serde_json::Value` would silently collapse.
enum Json {
    Null,
    Bool,
    Number,
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool => "a boolean",
            Json::Number => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Json, E> {
        Ok(Json::Bool)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Json, E> {
        Ok(Json::Number)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Json, E> {
        Ok(Json::Number)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Number)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_string()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Json::Object(entries))
    }
}

#[cfg(test)]
mod tests;
