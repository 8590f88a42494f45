use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

use super::*;

fn attrs(pairs: &[(&str, &[&str])]) -> MessageAttributes {
    pairs
        .iter()
        .map(|(k, vs)| (k.to_string(), vs.iter().map(|v| v.to_string()).collect()))
        .collect()
}

fn rule(text: &str) -> FilterRule {
    FilterRule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str) -> FilterRuleError {
    match FilterRule::parse(text) {
        Ok(_) => panic!("{text} parsed"),
        Err(e) => e,
    }
}

fn root() -> String {
    ROOT.to_string()
}

/// `{"k":["v0",...]}` with `n` distinct values.
fn values_json(n: usize) -> String {
    let values: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
    serde_json::to_string(&values).unwrap()
}

// --- rule forms ---

#[test]
fn inclusive_matches_when_any_value_is_listed() {
    let r = rule(r#"{"mention":["alice","bob"]}"#);
    assert!(r.matches(&attrs(&[("mention", &["alice"])])));
    assert!(r.matches(&attrs(&[("mention", &["carol", "bob"])])));
    assert!(!r.matches(&attrs(&[("mention", &["carol"])])));
    assert!(!r.matches(&attrs(&[("mention", &["carol", "dave"])])));
}

#[test]
fn inclusive_fails_on_absent_or_empty_attribute() {
    let r = rule(r#"{"mention":["alice"]}"#);
    assert!(!r.matches(&attrs(&[])));
    assert!(!r.matches(&attrs(&[("other", &["alice"])])));
    assert!(!r.matches(&attrs(&[("mention", &[])])));
}

#[test]
fn exclusive_matches_when_no_value_is_listed() {
    let r = rule(r#"{"type":[{"anything-but":["Room","Lobby"]}]}"#);
    assert!(r.matches(&attrs(&[("type", &["DM"])])));
    assert!(!r.matches(&attrs(&[("type", &["Room"])])));
    assert!(!r.matches(&attrs(&[("type", &["DM", "Lobby"])])));
}

#[test]
fn exclusive_matches_absent_or_empty_attribute() {
    let r = rule(r#"{"type":[{"anything-but":["Room"]}]}"#);
    assert!(r.matches(&attrs(&[])));
    assert!(r.matches(&attrs(&[("other", &["Room"])])));
    assert!(r.matches(&attrs(&[("type", &[])])));
}

#[test]
fn anything_but_accepts_a_single_string() {
    let r = rule(r#"{"type":[{"anything-but":"Room"}]}"#);
    assert!(r.matches(&attrs(&[("type", &["DM"])])));
    assert!(!r.matches(&attrs(&[("type", &["Room"])])));
    assert!(r.matches(&attrs(&[])));
}

#[test]
fn keys_are_case_sensitive_and_values_exact() {
    let r = rule(r#"{"mention":["alice"]}"#);
    assert!(!r.matches(&attrs(&[("Mention", &["alice"])])));
    assert!(!r.matches(&attrs(&[("mention", &["Alice"])])));
    assert!(!r.matches(&attrs(&[("mention", &["alice "])])));
}

#[test]
fn several_keys_are_anded() {
    let r = rule(r#"{"mention":["alice"],"type":[{"anything-but":["Room"]}]}"#);
    assert!(r.matches(&attrs(&[("mention", &["alice"])])));
    assert!(r.matches(&attrs(&[("mention", &["alice"]), ("type", &["DM"])])));
    assert!(!r.matches(&attrs(&[("mention", &["alice"]), ("type", &["Room"])])));
    assert!(!r.matches(&attrs(&[("type", &["DM"])])));
}

#[test]
fn or_matches_when_any_alternative_does() {
    let r = rule(r#"{"$or":[{"mention":["alice"]},{"priority":["high"]}]}"#);
    assert!(r.matches(&attrs(&[("mention", &["alice"])])));
    assert!(r.matches(&attrs(&[("priority", &["high"])])));
    assert!(!r.matches(&attrs(&[("priority", &["low"])])));
    assert!(!r.matches(&attrs(&[])));
}

#[test]
fn or_with_siblings_is_anded_with_them() {
    let r = rule(r#"{"type":["DM"],"$or":[{"mention":["alice"]},{"priority":["high"]}]}"#);
    assert!(r.matches(&attrs(&[("type", &["DM"]), ("priority", &["high"])])));
    assert!(!r.matches(&attrs(&[("type", &["Room"]), ("priority", &["high"])])));
    assert!(!r.matches(&attrs(&[("type", &["DM"])])));
}

#[test]
fn nested_or() {
    let r = rule(r#"{"$or":[{"a":["1"]},{"b":["2"],"$or":[{"c":["3"]},{"d":["4"]}]}]}"#);
    assert!(r.matches(&attrs(&[("a", &["1"])])));
    assert!(r.matches(&attrs(&[("b", &["2"]), ("d", &["4"])])));
    assert!(!r.matches(&attrs(&[("b", &["2"])])));
    assert!(!r.matches(&attrs(&[("d", &["4"])])));
}

#[test]
fn or_of_a_single_rule_is_that_rule() {
    let r = rule(r#"{"$or":[{"a":[{"anything-but":"x"}]}]}"#);
    assert!(r.matches(&attrs(&[])));
    assert!(!r.matches(&attrs(&[("a", &["x"])])));
}

#[test]
fn duplicate_values_and_empty_strings_are_plain_values() {
    let r = rule(r#"{"a":["x","x",""]}"#);
    assert!(r.matches(&attrs(&[("a", &[""])])));
    assert!(r.matches(&attrs(&[("a", &["x"])])));
    assert!(!r.matches(&attrs(&[("a", &["y"])])));
}

#[test]
fn source_is_kept_verbatim() {
    let text = " { \"mention\" : [ \"alice\" ] } ";
    let r = rule(text);
    assert_eq!(r.source(), text);
    assert_eq!(r.to_string(), text);
    let parsed: FilterRule = text.parse().unwrap();
    assert_eq!(parsed, r);
}

// --- limits: exactly at the limit passes, one over fails ---

#[test]
fn rule_text_length_limit() {
    let base = r#"{"a":["x"]}"#;
    let at_limit = format!("{base}{}", " ".repeat(MAX_RULE_BYTES - base.len()));
    assert_eq!(at_limit.len(), 2048);
    rule(&at_limit);
    let over = format!("{at_limit} ");
    assert_eq!(
        err(&over),
        FilterRuleError::TooLong {
            bytes: 2049,
            max: 2048
        }
    );
    // Counted in bytes, not characters.
    let wide = format!("{base}{}", "é".repeat(1019));
    assert_eq!(wide.len(), 2049);
    assert!(matches!(err(&wide), FilterRuleError::TooLong { .. }));
}

#[test]
fn or_alternatives_limit() {
    let alternatives = |n: usize| {
        let members: Vec<String> = (0..n).map(|i| format!(r#"{{"k{i}":["x"]}}"#)).collect();
        format!(r#"{{"$or":[{}]}}"#, members.join(","))
    };
    let r = rule(&alternatives(5));
    assert!(r.matches(&attrs(&[("k4", &["x"])])));
    assert_eq!(
        err(&alternatives(6)),
        FilterRuleError::TooManyAlternatives {
            at: root(),
            count: 6,
            max: 5
        }
    );
    // The limit applies to a nested $or too, and names where it is.
    let nested = format!(r#"{{"$or":[{{"a":["x"]}},{}]}}"#, alternatives(6));
    assert_eq!(
        err(&nested),
        FilterRuleError::TooManyAlternatives {
            at: "$or[1]".into(),
            count: 6,
            max: 5
        }
    );
}

#[test]
fn complexity_limit_counts_keys_and_values() {
    // One key plus 19 values.
    rule(&format!(r#"{{"a":{}}}"#, values_json(19)));
    assert_eq!(
        err(&format!(r#"{{"a":{}}}"#, values_json(20))),
        FilterRuleError::TooComplex {
            complexity: 21,
            max: 20
        }
    );
}

#[test]
fn complexity_counts_inside_or_and_anything_but() {
    // 1 + 9 (anything-but) + 1 + 9 = 20; `$or` itself is not counted.
    let text = |n: usize| {
        format!(
            r#"{{"$or":[{{"a":[{{"anything-but":{}}}]}},{{"b":{}}}]}}"#,
            values_json(9),
            values_json(n)
        )
    };
    rule(&text(9));
    assert_eq!(
        err(&text(10)),
        FilterRuleError::TooComplex {
            complexity: 21,
            max: 20
        }
    );
    // Keys count: ten single-valued keys are 20.
    let keys = |n: usize| {
        let entries: Vec<String> = (0..n).map(|i| format!(r#""k{i}":["x"]"#)).collect();
        format!("{{{}}}", entries.join(","))
    };
    rule(&keys(10));
    assert!(matches!(
        err(&format!(r#"{{"$or":[{}],"z":["x"]}}"#, keys(10))),
        FilterRuleError::TooComplex { complexity: 22, .. }
    ));
}

/// `{"$or":[{"$or":[ ... {"a":["x"]} ... ]}]}` with `levels` rule objects.
fn nested(levels: usize) -> String {
    let mut text = r#"{"a":["x"]}"#.to_string();
    for _ in 1..levels {
        text = format!(r#"{{"$or":[{text}]}}"#);
    }
    text
}

#[test]
fn depth_limit() {
    let r = rule(&nested(4));
    assert!(r.matches(&attrs(&[("a", &["x"])])));
    assert!(!r.matches(&attrs(&[])));
    assert_eq!(
        err(&nested(5)),
        FilterRuleError::TooDeep {
            at: "$or[0].$or[0].$or[0].$or[0]".into(),
            max: 4
        }
    );
    assert!(matches!(err(&nested(30)), FilterRuleError::TooDeep { .. }));
}

#[test]
fn hostile_json_nesting_is_refused_without_recursing_deeply() {
    let arrays = "[".repeat(2000);
    match err(&arrays) {
        FilterRuleError::InvalidJson { reason } => assert!(reason.contains("recursion limit")),
        other => panic!("{other:?}"),
    }
    let ors = r#"{"$or":["#.repeat(200);
    assert!(matches!(err(&ors), FilterRuleError::InvalidJson { .. }));
    // Deep but below serde_json's limit: the rule walk stops at MAX_DEPTH.
    let deep_values = format!(r#"{{"a":{}"x"{}}}"#, "[".repeat(100), "]".repeat(100));
    assert!(matches!(
        err(&deep_values),
        FilterRuleError::NonStringValue {
            found: "an array",
            ..
        }
    ));
}

#[test]
fn message_attributes_limit() {
    validate_message_attributes(&attrs(&[])).unwrap();
    // 4 + 1000 + 20 = 1024 bytes.
    let mut at_limit = MessageAttributes::new();
    at_limit.insert("name".into(), vec!["v".repeat(1000), "w".repeat(20)]);
    validate_message_attributes(&at_limit).unwrap();
    at_limit.insert("x".into(), vec![]);
    assert_eq!(
        validate_message_attributes(&at_limit),
        Err(FilterRuleError::MessageAttributesTooLarge {
            bytes: 1025,
            max: 1024
        })
    );
    let multibyte = attrs(&[("k", &["é"; 512])]);
    assert!(validate_message_attributes(&multibyte).is_err());
}

// --- errors: each names what is wrong ---

#[test]
fn structural_errors() {
    let at = |s: &str| s.to_string();
    let cases: Vec<(&str, FilterRuleError)> = vec![
        (
            r#"["a"]"#,
            FilterRuleError::NotAnObject {
                at: root(),
                found: "an array",
            },
        ),
        (
            r#""a""#,
            FilterRuleError::NotAnObject {
                at: root(),
                found: "a string",
            },
        ),
        (
            "null",
            FilterRuleError::NotAnObject {
                at: root(),
                found: "null",
            },
        ),
        ("{}", FilterRuleError::EmptyObject { at: root() }),
        (
            r#"{"$or":[{}]}"#,
            FilterRuleError::EmptyObject { at: at("$or[0]") },
        ),
        (
            r#"{"$or":[{"a":["x"]},"b"]}"#,
            FilterRuleError::NotAnObject {
                at: at("$or[1]"),
                found: "a string",
            },
        ),
        (
            r#"{"a":["x"],"a":["y"]}"#,
            FilterRuleError::DuplicateKey {
                at: root(),
                key: "a".into(),
            },
        ),
        (
            r#"{"$or":[{"a":["x"]}],"$or":[{"b":["x"]}]}"#,
            FilterRuleError::DuplicateKey {
                at: root(),
                key: "$or".into(),
            },
        ),
        (
            r#"{"$and":[{"a":["x"]}]}"#,
            FilterRuleError::UnsupportedKeyOperator {
                at: root(),
                operator: "$and".into(),
            },
        ),
        (
            r#"{"a":"x"}"#,
            FilterRuleError::ValuesNotAnArray {
                at: root(),
                key: "a".into(),
                found: "a string",
            },
        ),
        (
            r#"{"a":[]}"#,
            FilterRuleError::EmptyValues {
                at: root(),
                key: "a".into(),
            },
        ),
        (
            r#"{"a":["x",1]}"#,
            FilterRuleError::NonStringValue {
                at: root(),
                key: "a".into(),
                found: "a number",
            },
        ),
        (
            r#"{"a":[true]}"#,
            FilterRuleError::NonStringValue {
                at: root(),
                key: "a".into(),
                found: "a boolean",
            },
        ),
        (
            r#"{"a":[null,"x"]}"#,
            FilterRuleError::NonStringValue {
                at: root(),
                key: "a".into(),
                found: "null",
            },
        ),
        (
            r#"{"a":["x",{"anything-but":["y"]}]}"#,
            FilterRuleError::MixedValues {
                at: root(),
                key: "a".into(),
            },
        ),
        (
            r#"{"a":[{"anything-but":["y"]},{"anything-but":["z"]}]}"#,
            FilterRuleError::MixedValues {
                at: root(),
                key: "a".into(),
            },
        ),
        (
            r#"{"a":[{"anything-but":1}]}"#,
            FilterRuleError::AnythingButShape {
                at: root(),
                key: "a".into(),
                found: "a number",
            },
        ),
        (
            r#"{"a":[{"anything-but":{"prefix":"x"}}]}"#,
            FilterRuleError::AnythingButShape {
                at: root(),
                key: "a".into(),
                found: "an object",
            },
        ),
        (
            r#"{"a":[{"anything-but":[]}]}"#,
            FilterRuleError::EmptyValues {
                at: root(),
                key: "a".into(),
            },
        ),
        (
            r#"{"a":[{"anything-but":["x",2]}]}"#,
            FilterRuleError::NonStringValue {
                at: root(),
                key: "a".into(),
                found: "a number",
            },
        ),
        (
            r#"{"a":[{}]}"#,
            FilterRuleError::EmptyObject {
                at: at(r#"the operator object for "a" in the rule"#),
            },
        ),
        (
            r#"{"a":[{"anything-but":"x","anything-but":"y"}]}"#,
            FilterRuleError::DuplicateKey {
                at: at(r#"the operator object for "a" in the rule"#),
                key: "anything-but".into(),
            },
        ),
        (
            r#"{"$or":{"a":["x"]}}"#,
            FilterRuleError::OrNotAnArray {
                at: root(),
                found: "an object",
            },
        ),
        (r#"{"$or":[]}"#, FilterRuleError::EmptyOr { at: root() }),
        (
            r#"{"$or":[{"a":["x"]},{"b":[{"anything-but":[3]}]}]}"#,
            FilterRuleError::NonStringValue {
                at: at("$or[1]"),
                key: "b".into(),
                found: "a number",
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(err(text), expected, "{text}");
    }
}

#[test]
fn unsupported_operators_are_named() {
    for (text, operator) in [
        (r#"{"a":[{"prefix":"x"}]}"#, "prefix"),
        (r#"{"a":[{"numeric":[">",1]}]}"#, "numeric"),
        (r#"{"a":[{"exists":true}]}"#, "exists"),
        (r#"{"a":[{"anything-but":["x"],"suffix":"y"}]}"#, "suffix"),
        (r#"{"a":["x",{"prefix":"y"}]}"#, "prefix"),
    ] {
        assert_eq!(
            err(text),
            FilterRuleError::UnsupportedOperator {
                at: root(),
                key: "a".into(),
                operator: operator.into()
            },
            "{text}"
        );
    }
}

#[test]
fn invalid_json_is_reported_as_such() {
    for text in [
        "",
        "   ",
        r#"{"a":"#,
        r#"{"a":["x"]"#,
        r#"{"a":["x"]} x"#,
        "{a:[\"x\"]}",
    ] {
        assert!(
            matches!(err(text), FilterRuleError::InvalidJson { .. }),
            "{text:?}"
        );
    }
}

#[test]
fn error_messages_name_the_problem() {
    let message = |text: &str| err(text).to_string();
    assert_eq!(
        message(&" ".repeat(3000)),
        "FilterRule is 3000 bytes long; at most 2048 bytes are allowed"
    );
    assert!(message(r#"{"a":"#).starts_with("FilterRule is not valid JSON: "));
    assert_eq!(
        message("[]"),
        "FilterRule: the rule must be a JSON object, not an array"
    );
    assert_eq!(
        message(r#"{"$or":[{}]}"#),
        "FilterRule: $or[0] must not be an empty object"
    );
    assert_eq!(
        message(r#"{"a":[{"prefix":"x"}]}"#),
        "FilterRule: operator \"prefix\" for \"a\" in the rule is not supported; \
         only exact strings and anything-but are"
    );
    assert_eq!(
        message(r#"{"$and":[]}"#),
        "FilterRule: operator \"$and\" in the rule is not supported; only $or is"
    );
    assert_eq!(
        message(r#"{"a":["x",1]}"#),
        "FilterRule: the values for \"a\" in the rule must be strings, not a number"
    );
    assert_eq!(
        message(r#"{"a":[]}"#),
        "FilterRule: the values for \"a\" in the rule must not be empty"
    );
    assert_eq!(
        message(r#"{"a":"x"}"#),
        "FilterRule: the value of \"a\" in the rule must be an array, not a string"
    );
    assert_eq!(
        message(r#"{"a":["x",{"anything-but":"y"}]}"#),
        "FilterRule: the array for \"a\" in the rule must hold either only strings \
         or exactly one {\"anything-but\": ...} object"
    );
    assert_eq!(
        message(r#"{"a":[{"anything-but":1}]}"#),
        "FilterRule: anything-but for \"a\" in the rule must be a string or an array \
         of strings, not a number"
    );
    assert_eq!(
        message(r#"{"a":["x"],"a":["y"]}"#),
        "FilterRule: key \"a\" appears more than once in the rule"
    );
    assert_eq!(
        message(r#"{"$or":"x"}"#),
        "FilterRule: $or in the rule must be an array of rule objects, not a string"
    );
    assert_eq!(
        message(r#"{"$or":[]}"#),
        "FilterRule: $or in the rule must list at least one rule"
    );
    let six: Vec<String> = (0..6).map(|i| format!(r#"{{"k{i}":["x"]}}"#)).collect();
    assert_eq!(
        message(&format!(r#"{{"$or":[{}]}}"#, six.join(","))),
        "FilterRule: $or in the rule has 6 alternatives; at most 5 are allowed"
    );
    assert_eq!(
        message(&nested(5)),
        "FilterRule nests $or too deeply at $or[0].$or[0].$or[0].$or[0]; \
         at most 4 levels of rule objects are allowed"
    );
    assert_eq!(
        message(&format!(r#"{{"a":{}}}"#, values_json(20))),
        "FilterRule complexity (keys plus values) is 21; at most 20 is allowed"
    );
    let big = attrs(&[("k", &[&"v".repeat(1100)])]);
    assert_eq!(
        validate_message_attributes(&big).unwrap_err().to_string(),
        "MessageAttributes are 1101 bytes (names plus values); at most 1024 bytes are allowed"
    );
}

// --- properties ---

/// The reference model: evaluates the rule straight off its JSON.
fn reference_matches(rule: &Value, attributes: &MessageAttributes) -> bool {
    rule.as_object().unwrap().iter().all(|(key, spec)| {
        let spec = spec.as_array().unwrap();
        if key == "$or" {
            return spec.iter().any(|r| reference_matches(r, attributes));
        }
        let present: &[String] = attributes.get(key).map_or(&[], Vec::as_slice);
        match spec.first() {
            Some(Value::Object(operator)) => {
                let excluded: Vec<&str> = match &operator["anything-but"] {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(items) => items.iter().map(|v| v.as_str().unwrap()).collect(),
                    other => panic!("generator made {other}"),
                };
                present.iter().all(|v| !excluded.contains(&v.as_str()))
            }
            _ => present
                .iter()
                .any(|v| spec.iter().any(|s| s.as_str() == Some(v.as_str()))),
        }
    })
}

#[derive(Default)]
struct Shape {
    depth: usize,
    alternatives: usize,
    complexity: usize,
}

/// The reference limits, measured straight off the JSON.
fn measure(rule: &Value, depth: usize, shape: &mut Shape) {
    shape.depth = shape.depth.max(depth);
    for (key, spec) in rule.as_object().unwrap() {
        let spec = spec.as_array().unwrap();
        if key == "$or" {
            shape.alternatives = shape.alternatives.max(spec.len());
            for r in spec {
                measure(r, depth + 1, shape);
            }
            continue;
        }
        shape.complexity += 1 + match spec.first() {
            Some(Value::Object(operator)) => match &operator["anything-but"] {
                Value::Array(items) => items.len(),
                _ => 1,
            },
            _ => spec.len(),
        };
    }
}

fn arb_key() -> impl Strategy<Value = String> {
    select(vec!["a", "b", "c", "d"]).prop_map(String::from)
}

fn arb_value() -> impl Strategy<Value = String> {
    select(vec!["x", "y", "z", ""]).prop_map(String::from)
}

fn arb_condition(max_values: usize) -> BoxedStrategy<Value> {
    let values = move || proptest::collection::vec(arb_value(), 1..=max_values);
    prop_oneof![
        3 => values().prop_map(|v| json!(v)),
        1 => values().prop_map(|v| json!([{"anything-but": v}])),
        1 => arb_value().prop_map(|v| json!([{"anything-but": v}])),
    ]
    .boxed()
}

fn object(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
    Value::Object(entries.into_iter().collect::<Map<_, _>>())
}

/// Well-formed rules; some break the depth, `$or` or complexity limits.
/// Wide ones reach the complexity limit, narrow deep ones the depth limit.
fn arb_rule() -> impl Strategy<Value = Value> {
    prop_oneof![arb_rule_shaped(5, 3, 3, 6), arb_rule_shaped(6, 1, 1, 2)]
}

fn arb_rule_shaped(levels: u32, keys: usize, values: usize, branch: u32) -> BoxedStrategy<Value> {
    let leaf = proptest::collection::btree_map(arb_key(), arb_condition(values), 1..=keys)
        .prop_map(object);
    leaf.prop_recursive(levels, 32, branch, move |inner| {
        let alternatives = prop_oneof![
            6 => proptest::collection::vec(inner.clone(), 1..4),
            1 => proptest::collection::vec(inner, 5..7),
        ];
        (
            proptest::collection::btree_map(arb_key(), arb_condition(values), 0..keys),
            alternatives,
        )
            .prop_map(|(conditions, alternatives)| {
                object(
                    conditions
                        .into_iter()
                        .chain([("$or".to_string(), Value::Array(alternatives))]),
                )
            })
    })
    .boxed()
}

fn arb_attributes() -> impl Strategy<Value = MessageAttributes> {
    proptest::collection::btree_map(
        arb_key(),
        proptest::collection::vec(arb_value(), 0..4),
        0..5,
    )
}

/// Any JSON, leaning towards the words the rule language uses.
fn arb_json() -> impl Strategy<Value = Value> {
    let word = || {
        prop_oneof![
            select(vec![
                "$or",
                "anything-but",
                "prefix",
                "numeric",
                "$and",
                "a",
                "x"
            ])
            .prop_map(String::from),
            "\\PC{0,6}",
        ]
    };
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(8, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(word(), inner, 0..6).prop_map(object),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn matches_agrees_with_reference(
        rule in arb_rule(),
        messages in proptest::collection::vec(arb_attributes(), 1..8),
    ) {
        let text = rule.to_string();
        let mut shape = Shape::default();
        measure(&rule, 1, &mut shape);
        let within_limits = text.len() <= MAX_RULE_BYTES
            && shape.depth <= MAX_DEPTH
            && shape.alternatives <= MAX_OR_ALTERNATIVES
            && shape.complexity <= MAX_COMPLEXITY;
        match FilterRule::parse(&text) {
            Ok(parsed) => {
                prop_assert!(within_limits, "{text} parsed beyond the limits");
                prop_assert_eq!(parsed.source(), text.as_str());
                for attributes in &messages {
                    prop_assert_eq!(
                        parsed.matches(attributes),
                        reference_matches(&rule, attributes),
                        "{} on {:?}", text, attributes
                    );
                }
            }
            Err(e) => {
                prop_assert!(!within_limits, "{text} refused: {e}");
                let expected = match &e {
                    FilterRuleError::TooLong { .. } => text.len() > MAX_RULE_BYTES,
                    FilterRuleError::TooDeep { .. } => shape.depth > MAX_DEPTH,
                    FilterRuleError::TooManyAlternatives { count, .. } => {
                        shape.alternatives > MAX_OR_ALTERNATIVES && *count > MAX_OR_ALTERNATIVES
                    }
                    FilterRuleError::TooComplex { complexity, .. } => {
                        *complexity == shape.complexity && shape.complexity > MAX_COMPLEXITY
                    }
                    _ => false,
                };
                prop_assert!(expected, "{text}: unexpected {e:?}");
            }
        }
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in "\\PC{0,300}") {
        let _ = FilterRule::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_json_like_text(text in r#"[\[\]{}":, a-z$0-9\-]{0,200}"#) {
        let _ = FilterRule::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_json(
        json in arb_json(),
        attributes in arb_attributes(),
    ) {
        let text = json.to_string();
        if let Ok(parsed) = FilterRule::parse(&text) {
            prop_assert_eq!(parsed.source(), text.as_str());
            let _ = parsed.matches(&attributes);
        }
    }

    #[test]
    fn message_attribute_limit_is_the_byte_sum(
        attributes in proptest::collection::btree_map(
            "[a-z]{1,40}",
            proptest::collection::vec("\\PC{0,80}", 0..6),
            0..8,
        ),
    ) {
        let bytes: usize = attributes
            .iter()
            .map(|(k, vs)| k.len() + vs.iter().map(|v| v.len()).sum::<usize>())
            .sum();
        prop_assert_eq!(
            validate_message_attributes(&attributes).is_ok(),
            bytes <= MAX_MESSAGE_ATTRIBUTES_BYTES
        );
    }
}
