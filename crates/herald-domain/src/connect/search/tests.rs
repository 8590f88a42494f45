use std::collections::BTreeMap;

use herald_store::Priority;
use jiff::Timestamp;

use super::*;

fn notification(id: &str, texts: &[&str], tags: &[(&str, &str)]) -> Notification {
    Notification {
        seq: 1,
        instance_seq: 1,
        id: id.into(),
        arn: format!("arn/{id}"),
        content: texts
            .iter()
            .zip(["en_US", "de_DE", "fr_FR"])
            .map(|(text, locale)| (locale.to_string(), text.to_string()))
            .collect(),
        priority: Priority::Low,
        recipients: vec![],
        broadcast: false,
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        created_at: Timestamp::UNIX_EPOCH,
        expires_at: Timestamp::UNIX_EPOCH,
        modified_at: Timestamp::UNIX_EPOCH,
        modified_region: "us-east-1".into(),
    }
}

fn leaf(field: &str, comparison: &str, value: &str) -> CriteriaInput {
    CriteriaInput {
        string_condition: Some(StringConditionInput {
            field_name: Some(field.into()),
            value: Some(value.into()),
            comparison_type: Some(comparison.into()),
        }),
        ..Default::default()
    }
}

fn query(criteria: CriteriaInput) -> SearchQuery {
    parse_query(&SearchInput {
        criteria: Some(criteria),
        ..Default::default()
    })
    .expect("valid criteria")
}

#[test]
fn exact_is_case_sensitive_and_the_others_are_not() {
    let n = notification("abc-123", &["Ärger im Büro", "Hello World"], &[]);
    assert!(query_matches(
        &query(leaf("Content", "EXACT", "Hello World")),
        &n
    ));
    assert!(!query_matches(
        &query(leaf("Content", "EXACT", "hello world")),
        &n
    ));
    assert!(query_matches(
        &query(leaf("Content", "CONTAINS", "ärger")),
        &n
    ));
    assert!(query_matches(
        &query(leaf("Content", "CONTAINS", "O WO")),
        &n
    ));
    assert!(query_matches(
        &query(leaf("Content", "STARTS_WITH", "HELLO")),
        &n
    ));
    assert!(!query_matches(
        &query(leaf("Content", "STARTS_WITH", "World")),
        &n
    ));
    assert!(query_matches(&query(leaf("Id", "STARTS_WITH", "ABC")), &n));
    assert!(query_matches(
        &query(leaf("NotificationId", "EXACT", "abc-123")),
        &n
    ));
    assert!(!query_matches(&query(leaf("Id", "EXACT", "ABC-123")), &n));
}

#[test]
fn and_or_nest() {
    let n = notification("n1", &["deploy finished"], &[]);
    let both = CriteriaInput {
        and_conditions: Some(vec![
            leaf("Content", "CONTAINS", "deploy"),
            CriteriaInput {
                or_conditions: Some(vec![
                    leaf("Content", "CONTAINS", "failed"),
                    leaf("Id", "EXACT", "n1"),
                ]),
                ..Default::default()
            },
        ]),
        ..Default::default()
    };
    assert!(query_matches(&query(both), &n));
    let neither = CriteriaInput {
        or_conditions: Some(vec![
            leaf("Content", "CONTAINS", "failed"),
            leaf("Id", "EXACT", "n2"),
        ]),
        ..Default::default()
    };
    assert!(!query_matches(&query(neither), &n));
}

#[test]
fn tag_filters_are_or_of_ands() {
    let n = notification("n1", &["x"], &[("team", "blue"), ("site", "berlin")]);
    let pair = |k: &str, v: &str| TagPair {
        key: Some(k.into()),
        value: Some(v.into()),
    };
    let filter = |f: AttributeFilterInput| {
        parse_query(&SearchInput {
            attribute_filter: Some(f),
            ..Default::default()
        })
        .expect("valid filter")
    };
    let single = filter(AttributeFilterInput {
        tag_condition: Some(pair("team", "blue")),
        ..Default::default()
    });
    assert!(query_matches(&single, &n));
    let and = filter(AttributeFilterInput {
        and_condition: Some(vec![pair("team", "blue"), pair("site", "paris")]),
        ..Default::default()
    });
    assert!(!query_matches(&and, &n));
    let or = filter(AttributeFilterInput {
        or_conditions: Some(vec![
            vec![pair("team", "red")],
            vec![pair("team", "blue"), pair("site", "berlin")],
        ]),
        ..Default::default()
    });
    assert!(query_matches(&or, &n));
    let or_and_single = filter(AttributeFilterInput {
        or_conditions: Some(vec![vec![pair("team", "blue")]]),
        tag_condition: Some(pair("site", "paris")),
        ..Default::default()
    });
    assert!(!query_matches(&or_and_single, &n));
}

#[test]
fn invalid_criteria_name_the_valid_choices() {
    let parse = |c| {
        parse_query(&SearchInput {
            criteria: Some(c),
            ..Default::default()
        })
    };
    let err = parse(leaf("Title", "EXACT", "x")).unwrap_err().to_string();
    assert!(err.contains("Id, NotificationId, Content"), "{err}");
    let err = parse(leaf("Id", "LIKE", "x")).unwrap_err().to_string();
    assert!(err.contains("EXACT, CONTAINS, STARTS_WITH"), "{err}");
    let missing_value = CriteriaInput {
        string_condition: Some(StringConditionInput {
            field_name: Some("Id".into()),
            comparison_type: Some("EXACT".into()),
            value: None,
        }),
        ..Default::default()
    };
    assert!(parse(missing_value).is_err());
}

#[test]
fn depth_and_size_are_bounded() {
    let mut deep = leaf("Id", "EXACT", "x");
    for _ in 0..MAX_DEPTH {
        deep = CriteriaInput {
            and_conditions: Some(vec![deep]),
            ..Default::default()
        };
    }
    let err = parse_query(&SearchInput {
        criteria: Some(deep),
        ..Default::default()
    });
    assert!(err.is_err());
    let wide = CriteriaInput {
        or_conditions: Some(
            (0..=MAX_CONDITIONS)
                .map(|_| leaf("Id", "EXACT", "x"))
                .collect(),
        ),
        ..Default::default()
    };
    assert!(
        parse_query(&SearchInput {
            criteria: Some(wide),
            ..Default::default()
        })
        .is_err()
    );
}

#[test]
fn empty_criteria_match_everything() {
    let q = parse_query(&SearchInput {
        criteria: Some(CriteriaInput {
            and_conditions: Some(vec![]),
            ..Default::default()
        }),
        ..Default::default()
    })
    .expect("valid");
    assert_eq!(q, SearchQuery::default());
}
