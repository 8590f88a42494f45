//! SearchNotifications.

use crate::common::*;
use aws_sdk_connect::Client;
use aws_sdk_connect::types::{
    CommonAttributeAndCondition, ConfigurableNotificationPriority, ControlPlaneAttributeFilter,
    LocaleCode, NotificationPriority, NotificationSearchCriteria as Criteria,
    NotificationSearchFilter, StringComparisonType, StringCondition, TagCondition,
};

fn cond(field: &str, cmp: StringComparisonType, value: &str) -> Criteria {
    Criteria::builder()
        .string_condition(
            StringCondition::builder()
                .field_name(field)
                .value(value)
                .comparison_type(cmp)
                .build(),
        )
        .build()
}

fn contains(v: &str) -> Criteria {
    cond("Content", StringComparisonType::Contains, v)
}

fn starts_with(v: &str) -> Criteria {
    cond("Content", StringComparisonType::StartsWith, v)
}

fn exact(v: &str) -> Criteria {
    cond("Content", StringComparisonType::Exact, v)
}

fn id_is(id: &str) -> Criteria {
    cond("Id", StringComparisonType::Exact, id)
}

fn and(parts: Vec<Criteria>) -> Criteria {
    Criteria::builder().set_and_conditions(Some(parts)).build()
}

fn or(parts: Vec<Criteria>) -> Criteria {
    Criteria::builder().set_or_conditions(Some(parts)).build()
}

fn tag(k: &str, v: &str) -> TagCondition {
    TagCondition::builder().tag_key(k).tag_value(v).build()
}

fn filter(f: ControlPlaneAttributeFilter) -> NotificationSearchFilter {
    NotificationSearchFilter::builder()
        .attribute_filter(f)
        .build()
}

fn tag_filter(k: &str, v: &str) -> NotificationSearchFilter {
    filter(
        ControlPlaneAttributeFilter::builder()
            .tag_condition(tag(k, v))
            .build(),
    )
}

fn all_of(tags: &[(&str, &str)]) -> CommonAttributeAndCondition {
    CommonAttributeAndCondition::builder()
        .set_tag_conditions(Some(tags.iter().map(|(k, v)| tag(k, v)).collect()))
        .build()
}

/// Four notifications with known texts and tags; `ids[i]` is `n{i+1}`
/// (created in that order, so newest-first order is n4, n3, n2, n1).
struct Corpus {
    server: Server,
    client: Client,
    inst: InstanceRef,
    n1: String,
    n2: String,
    n3: String,
    n4: String,
}

async fn corpus() -> Corpus {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;

    // Noise in another instance that matches everything below.
    let other = create_instance(&client).await;
    let ou = create_user(&client, &other.id, "bob").await;
    ok(client
        .create_notification()
        .instance_id(&other.id)
        .recipients(&ou.arn)
        .content(LocaleCode::EnUs, "Server maintenance tonight")
        .tags("team", "ops")
        .tags("env", "prod")
        .send()
        .await);

    let create = |texts: Vec<(LocaleCode, &str)>, tags: Vec<(&str, &str)>| {
        let mut req = client
            .create_notification()
            .instance_id(&inst.id)
            .recipients(&user.arn);
        for (l, t) in texts {
            req = req.content(l, t);
        }
        for (k, v) in tags {
            req = req.tags(k, v);
        }
        async move { ok(req.send().await).notification_id().to_string() }
    };
    let n1 = create(
        vec![(LocaleCode::EnUs, "Server maintenance tonight")],
        vec![("team", "ops"), ("env", "prod")],
    )
    .await;
    let n2 = create(
        vec![
            (LocaleCode::EnUs, "Quarterly results are in"),
            (LocaleCode::DeDe, "ÄRGER mit dem Server"),
        ],
        vec![("team", "finance")],
    )
    .await;
    let n3 = create(
        vec![(LocaleCode::EnUs, "Maintenance window completed")],
        vec![("team", "dev"), ("env", "prod")],
    )
    .await;
    let n4 = create(
        vec![(LocaleCode::JaJp, "サーバーメンテナンス")],
        vec![("team", "ops")],
    )
    .await;
    Corpus {
        server,
        client,
        inst,
        n1,
        n2,
        n3,
        n4,
    }
}

impl Corpus {
    async fn find(&self, c: Criteria) -> Vec<String> {
        search_ids(&self.client, &self.inst.id, Some(c), None).await
    }

    async fn filtered(&self, c: Option<Criteria>, f: NotificationSearchFilter) -> Vec<String> {
        search_ids(&self.client, &self.inst.id, c, Some(f)).await
    }

    fn ids(&self, which: &[&String]) -> Vec<String> {
        which.iter().map(|s| s.to_string()).collect()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_criteria_returns_everything_newest_first_with_members() {
    let c = corpus().await;
    let (found, total) = search_all(&c.client, &c.inst.id, None, None).await;
    let ids: Vec<_> = found.iter().map(|n| n.id().unwrap().to_string()).collect();
    assert_eq!(ids, c.ids(&[&c.n4, &c.n3, &c.n2, &c.n1]));
    assert_eq!(total, Some(4));

    let n1 = found
        .iter()
        .find(|n| n.id() == Some(c.n1.as_str()))
        .unwrap();
    let described = ok(c
        .client
        .describe_notification()
        .instance_id(&c.inst.id)
        .notification_id(&c.n1)
        .send()
        .await)
    .notification
    .unwrap();
    assert_eq!(n1.arn(), Some(described.arn()));
    assert_eq!(n1.instance_id(), Some(c.inst.id.as_str()));
    assert_eq!(n1.content(), described.content());
    assert_eq!(n1.priority(), Some(&NotificationPriority::Low));
    assert_eq!(n1.recipients(), described.recipients());
    assert_same_instant(
        n1.created_at().unwrap(),
        described.created_at().unwrap(),
        "CreatedAt",
    );
    assert_same_instant(
        n1.expires_at().unwrap(),
        described.expires_at().unwrap(),
        "ExpiresAt",
    );
    assert_same_instant(
        n1.last_modified_time().unwrap(),
        described.last_modified_time(),
        "LastModifiedTime",
    );
    assert_eq!(n1.last_modified_region(), Some(REGION));
    assert_eq!(n1.tags(), described.tags());

    // An empty criteria object adds no constraint either.
    assert_eq!(c.find(Criteria::builder().build()).await.len(), 4);
    assert_eq!(c.find(and(vec![])).await.len(), 4);
    assert_eq!(
        c.find(or(vec![])).await.len(),
        4,
        "an empty OrConditions adds no constraint"
    );
    let empty_or_beside = Criteria::builder()
        .set_or_conditions(Some(vec![]))
        .set_and_conditions(Some(vec![contains("maintenance")]))
        .build();
    assert_eq!(c.find(empty_or_beside).await, c.ids(&[&c.n3, &c.n1]));
}

#[tokio::test(flavor = "multi_thread")]
async fn id_exact_and_notification_id_alias() {
    let c = corpus().await;
    assert_eq!(c.find(id_is(&c.n2)).await, c.ids(&[&c.n2]));
    assert_eq!(
        c.find(cond("NotificationId", StringComparisonType::Exact, &c.n3))
            .await,
        c.ids(&[&c.n3])
    );
    assert!(c.find(id_is("no-such-id")).await.is_empty());
    // EXACT on an id is not a prefix match.
    assert!(c.find(id_is(&c.n2[..8])).await.is_empty());
    assert_eq!(
        c.find(cond("Id", StringComparisonType::StartsWith, &c.n2))
            .await,
        c.ids(&[&c.n2])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn content_contains_is_case_insensitive_across_locales() {
    let c = corpus().await;
    assert_eq!(
        c.find(contains("MAINTENANCE")).await,
        c.ids(&[&c.n3, &c.n1])
    );
    assert_eq!(
        c.find(contains("maintenance")).await,
        c.ids(&[&c.n3, &c.n1])
    );
    // Non-ASCII case folding, matched in the de_DE text of n2.
    assert_eq!(c.find(contains("ärger")).await, c.ids(&[&c.n2]));
    assert_eq!(c.find(contains("äRgEr MIT")).await, c.ids(&[&c.n2]));
    // Any locale's text: "server" is in n1 (en_US) and n2 (de_DE).
    assert_eq!(c.find(contains("server")).await, c.ids(&[&c.n2, &c.n1]));
    // Japanese.
    assert_eq!(c.find(contains("メンテナンス")).await, c.ids(&[&c.n4]));
    assert!(c.find(contains("nothing like this")).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn content_starts_with_is_case_insensitive() {
    let c = corpus().await;
    assert_eq!(c.find(starts_with("server")).await, c.ids(&[&c.n1]));
    assert_eq!(c.find(starts_with("SERVER MAINT")).await, c.ids(&[&c.n1]));
    assert_eq!(c.find(starts_with("ärger")).await, c.ids(&[&c.n2]));
    assert_eq!(c.find(starts_with("quarterly")).await, c.ids(&[&c.n2]));
    assert_eq!(c.find(starts_with("サーバー")).await, c.ids(&[&c.n4]));
    // "maintenance" is inside n1, but only n3 starts with it.
    assert_eq!(c.find(starts_with("Maintenance")).await, c.ids(&[&c.n3]));
    assert!(c.find(starts_with("tonight")).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn content_exact_is_case_sensitive() {
    let c = corpus().await;
    assert_eq!(
        c.find(exact("Server maintenance tonight")).await,
        c.ids(&[&c.n1])
    );
    assert!(c.find(exact("server maintenance tonight")).await.is_empty());
    assert!(c.find(exact("Server maintenance")).await.is_empty());
    assert_eq!(c.find(exact("ÄRGER mit dem Server")).await, c.ids(&[&c.n2]));
    assert!(c.find(exact("ärger mit dem server")).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn short_values_still_match() {
    let c = corpus().await;
    assert_eq!(c.find(contains("ly")).await, c.ids(&[&c.n2])); // "Quarterly"
    assert_eq!(c.find(contains("ä")).await, c.ids(&[&c.n2]));
    assert_eq!(c.find(contains("Ä")).await, c.ids(&[&c.n2]));
    assert_eq!(c.find(contains("テ")).await, c.ids(&[&c.n4]));
    assert_eq!(c.find(contains("wi")).await, c.ids(&[&c.n3])); // "window"
    assert!(c.find(contains("zz")).await.is_empty());
    assert_eq!(c.find(starts_with("q")).await, c.ids(&[&c.n2]));
}

#[tokio::test(flavor = "multi_thread")]
async fn nested_and_or() {
    let c = corpus().await;
    // maintenance AND (n1 OR n4) = n1
    assert_eq!(
        c.find(and(vec![
            contains("maintenance"),
            or(vec![id_is(&c.n1), id_is(&c.n4)])
        ]))
        .await,
        c.ids(&[&c.n1])
    );
    // (maintenance AND window) OR n2 = n3, n2
    assert_eq!(
        c.find(or(vec![
            and(vec![contains("maintenance"), contains("window")]),
            id_is(&c.n2)
        ]))
        .await,
        c.ids(&[&c.n3, &c.n2])
    );
    // Members side by side are ANDed: maintenance AND (n1 OR n2) = n1.
    let side_by_side = Criteria::builder()
        .string_condition(
            StringCondition::builder()
                .field_name("Content")
                .value("maintenance")
                .comparison_type(StringComparisonType::Contains)
                .build(),
        )
        .set_or_conditions(Some(vec![id_is(&c.n1), id_is(&c.n2)]))
        .build();
    assert_eq!(c.find(side_by_side).await, c.ids(&[&c.n1]));
    // And + Or side by side: (server) AND (n2 OR n3) = n2.
    let both = Criteria::builder()
        .set_and_conditions(Some(vec![contains("server")]))
        .set_or_conditions(Some(vec![id_is(&c.n2), id_is(&c.n3)]))
        .build();
    assert_eq!(c.find(both).await, c.ids(&[&c.n2]));
    // Deeper nesting: ((a OR b) AND (c OR (d AND e))).
    let deep = and(vec![
        or(vec![contains("maintenance"), contains("quarterly")]),
        or(vec![
            contains("tonight"),
            and(vec![contains("ÄRGER"), contains("results")]),
        ]),
    ]);
    assert_eq!(c.find(deep).await, c.ids(&[&c.n2, &c.n1]));
    // An Or whose branches match nothing matches nothing.
    assert!(
        c.find(or(vec![contains("zzz"), id_is("nope")]))
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tag_filters() {
    let c = corpus().await;
    assert_eq!(
        c.filtered(None, tag_filter("team", "ops")).await,
        c.ids(&[&c.n4, &c.n1])
    );
    assert_eq!(
        c.filtered(None, tag_filter("env", "prod")).await,
        c.ids(&[&c.n3, &c.n1])
    );
    // Exact key and value.
    assert!(c.filtered(None, tag_filter("team", "OPS")).await.is_empty());
    assert!(c.filtered(None, tag_filter("Team", "ops")).await.is_empty());
    assert!(c.filtered(None, tag_filter("team", "op")).await.is_empty());

    let and_cond = filter(
        ControlPlaneAttributeFilter::builder()
            .and_condition(all_of(&[("team", "ops"), ("env", "prod")]))
            .build(),
    );
    assert_eq!(c.filtered(None, and_cond).await, c.ids(&[&c.n1]));

    let or_conds = filter(
        ControlPlaneAttributeFilter::builder()
            .or_conditions(all_of(&[("team", "dev")]))
            .or_conditions(all_of(&[("team", "ops"), ("env", "prod")]))
            .build(),
    );
    assert_eq!(c.filtered(None, or_conds).await, c.ids(&[&c.n3, &c.n1]));

    let or_finance = filter(
        ControlPlaneAttributeFilter::builder()
            .or_conditions(all_of(&[("team", "finance")]))
            .or_conditions(all_of(&[("team", "nobody")]))
            .build(),
    );
    assert_eq!(c.filtered(None, or_finance).await, c.ids(&[&c.n2]));

    // Side by side: TagCondition AND AndCondition.
    let side = filter(
        ControlPlaneAttributeFilter::builder()
            .tag_condition(tag("team", "ops"))
            .and_condition(all_of(&[("env", "prod")]))
            .build(),
    );
    assert_eq!(c.filtered(None, side).await, c.ids(&[&c.n1]));

    // Tags added later through TagResource are searchable.
    let arn = format!("{}/notification/{}", c.inst.arn, c.n2);
    ok(c.client
        .tag_resource()
        .resource_arn(&arn)
        .tags("env", "prod")
        .send()
        .await);
    assert_eq!(
        c.filtered(None, tag_filter("env", "prod")).await,
        c.ids(&[&c.n3, &c.n2, &c.n1])
    );
    ok(c.client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .send()
        .await);
    assert!(
        c.filtered(None, tag_filter("team", "finance"))
            .await
            .is_empty()
    );
    drop(c.server);
}

#[tokio::test(flavor = "multi_thread")]
async fn criteria_and_filter_combine() {
    let c = corpus().await;
    assert_eq!(
        c.filtered(Some(contains("maintenance")), tag_filter("team", "ops"))
            .await,
        c.ids(&[&c.n1])
    );
    assert_eq!(
        c.filtered(Some(contains("maintenance")), tag_filter("env", "prod"))
            .await,
        c.ids(&[&c.n3, &c.n1])
    );
    assert!(
        c.filtered(Some(contains("quarterly")), tag_filter("team", "ops"))
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn total_count_and_paging() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let u = create_user(&client, &inst.id, "alice").await;
    let mut matching = Vec::new();
    for i in 0..7 {
        matching.push(
            notify(&client, &inst.id, &[&u.arn], &format!("needle {i}"))
                .await
                .id,
        );
        notify(&client, &inst.id, &[&u.arn], &format!("hay {i}")).await;
    }
    matching.reverse();

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let out = ok(client
            .search_notifications()
            .instance_id(&inst.id)
            .search_criteria(contains("needle"))
            .max_results(3)
            .set_next_token(token.clone())
            .send()
            .await);
        assert_eq!(out.approximate_total_count(), Some(7), "on every page");
        sizes.push(out.notifications().len());
        seen.extend(
            out.notifications()
                .iter()
                .map(|n| n.id().unwrap().to_string()),
        );
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
        assert!(sizes.len() < 10);
    }
    assert_eq!(seen, matching);
    assert_eq!(&sizes[..2], &[3, 3]);
    assert_eq!(sizes.iter().sum::<usize>(), 7);

    let everything = ok(client
        .search_notifications()
        .instance_id(&inst.id)
        .send()
        .await);
    assert_eq!(everything.approximate_total_count(), Some(14));
    assert_eq!(everything.notifications().len(), 14);

    let nothing = ok(client
        .search_notifications()
        .instance_id(&inst.id)
        .search_criteria(contains("absent"))
        .send()
        .await);
    assert_eq!(nothing.approximate_total_count(), Some(0));
    assert!(nothing.notifications().is_empty());
    assert!(nothing.next_token().is_none());

    for bad in [0, 101] {
        assert_err(
            client
                .search_notifications()
                .instance_id(&inst.id)
                .max_results(bad)
                .send()
                .await,
            "InvalidParameterException",
            400,
        );
    }
    let max = ok(client
        .search_notifications()
        .instance_id(&inst.id)
        .max_results(100)
        .send()
        .await);
    assert_eq!(max.notifications().len(), 14);
}

#[tokio::test(flavor = "multi_thread")]
async fn priority_is_reported() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let u = create_user(&client, &inst.id, "alice").await;
    ok(client
        .create_notification()
        .instance_id(&inst.id)
        .recipients(&u.arn)
        .content(LocaleCode::EnUs, "urgent-ish")
        .priority(ConfigurableNotificationPriority::High)
        .send()
        .await);
    let (found, _) = search_all(&client, &inst.id, Some(contains("urgent-ish")), None).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].priority(), Some(&NotificationPriority::High));
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_criteria_are_refused_with_the_valid_values() {
    let c = corpus().await;
    let search = |criteria: Criteria| {
        c.client
            .search_notifications()
            .instance_id(&c.inst.id)
            .search_criteria(criteria)
            .send()
    };

    let err = assert_err(
        search(cond("Body", StringComparisonType::Contains, "x")).await,
        "InvalidParameterException",
        400,
    );
    for valid in ["Id", "Content"] {
        assert!(
            err.message.contains(valid),
            "message should list {valid}: {err:?}"
        );
    }
    let err = assert_err(
        search(cond("Content", StringComparisonType::from("FUZZY"), "x")).await,
        "InvalidParameterException",
        400,
    );
    for valid in ["EXACT", "CONTAINS", "STARTS_WITH"] {
        assert!(
            err.message.contains(valid),
            "message should list {valid}: {err:?}"
        );
    }
    // Unknown field deep inside the tree.
    assert_err(
        search(and(vec![
            contains("x"),
            or(vec![cond("Tags", StringComparisonType::Exact, "x")]),
        ]))
        .await,
        "InvalidParameterException",
        400,
    );
    // Every member of a StringCondition is required.
    for sc in [
        StringCondition::builder()
            .value("x")
            .comparison_type(StringComparisonType::Exact)
            .build(),
        StringCondition::builder()
            .field_name("Id")
            .comparison_type(StringComparisonType::Exact)
            .build(),
        StringCondition::builder()
            .field_name("Id")
            .value("x")
            .build(),
    ] {
        assert_err(
            search(Criteria::builder().string_condition(sc).build()).await,
            "InvalidParameterException",
            400,
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn criteria_size_limits() {
    let c = corpus().await;
    let search = |criteria: Criteria| {
        c.client
            .search_notifications()
            .instance_id(&c.inst.id)
            .search_criteria(criteria)
            .send()
    };
    // 50 string conditions in all: accepted.
    let fifty: Vec<Criteria> = (0..50).map(|_| contains("maintenance")).collect();
    let out = ok(search(and(fifty)).await);
    assert_eq!(out.notifications().len(), 2);
    // 51: refused.
    let fifty_one: Vec<Criteria> = (0..51).map(|_| contains("maintenance")).collect();
    assert_err(
        search(and(fifty_one)).await,
        "InvalidParameterException",
        400,
    );
    // 51 spread over nested lists: refused too.
    let spread = or(vec![
        and((0..25).map(|_| contains("a")).collect()),
        and((0..26).map(|_| contains("b")).collect()),
    ]);
    assert_err(search(spread).await, "InvalidParameterException", 400);

    // Shallow nesting is fine, absurd nesting is refused.
    let mut shallow = contains("maintenance");
    for _ in 0..3 {
        shallow = and(vec![shallow]);
    }
    assert_eq!(ok(search(shallow).await).notifications().len(), 2);
    let mut deep = contains("maintenance");
    for _ in 0..30 {
        deep = or(vec![deep]);
    }
    assert_err(search(deep).await, "InvalidParameterException", 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_instance_is_404() {
    let server = Server::start().await;
    let client = server.client();
    assert_err(
        client
            .search_notifications()
            .instance_id("00000000-0000-4000-8000-000000000000")
            .send()
            .await,
        "ResourceNotFoundException",
        404,
    );
}

/// Values no stored text could match are refused: overlong ones, and
/// those holding NUL (no stored text can: PostgreSQL text cannot).
#[tokio::test(flavor = "multi_thread")]
async fn overlong_and_nul_values_are_handled() {
    let server = Server::start().await;
    let client = server.client();
    let inst = create_instance(&client).await;
    let user = create_user(&client, &inst.id, "alice").await;
    notify(&client, &inst.id, &[&user.arn], "abc").await;
    let condition = |value: String| {
        Criteria::builder()
            .string_condition(
                StringCondition::builder()
                    .field_name("Content")
                    .value(value)
                    .comparison_type(StringComparisonType::Contains)
                    .build(),
            )
            .build()
    };
    let long = client
        .search_notifications()
        .instance_id(&inst.id)
        .search_criteria(condition("a".repeat(501)))
        .send()
        .await;
    assert_err(long, "InvalidParameterException", 400);
    let nul = client
        .search_notifications()
        .instance_id(&inst.id)
        .search_criteria(condition("\u{0}ab".into()))
        .send()
        .await;
    let err = assert_err(nul, "InvalidParameterException", 400);
    assert!(err.message.contains("NUL"), "{err:?}");
    let found = search_ids(&client, &inst.id, Some(condition("abc".into())), None).await;
    assert_eq!(found.len(), 1);
}
