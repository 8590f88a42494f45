//! PutChannelMembershipPreferences, GetChannelMembershipPreferences: who
//! may, what is stored, and every filter-rule form and limit.

use super::*;

struct World {
    server: Server,
    c: Chime,
    app: String,
    owner: String,
    bob: String,
    carol: String,
    channel: String,
}

async fn world() -> World {
    let server = Server::start().await;
    let c = Chime::new(&server);
    let app = create_app(&c.id, "a").await;
    let owner = create_user(&c.id, &app, "owner").await;
    let bob = create_user(&c.id, &app, "bob").await;
    let carol = create_user(&c.id, &app, "carol").await;
    let channel = public_channel(&c.msg, &app, &owner).await;
    add_member(&c.msg, &channel, &owner, &bob).await;
    add_member(&c.msg, &channel, &owner, &carol).await;
    World {
        server,
        c,
        app,
        owner,
        bob,
        carol,
        channel,
    }
}

impl World {
    fn put(
        &self,
        bearer: &str,
        member: &str,
        allow: AllowNotifications,
        rule: Option<&str>,
    ) -> aws_sdk_chimesdkmessaging::operation::put_channel_membership_preferences::builders::PutChannelMembershipPreferencesFluentBuilder
    {
        self.c
            .msg
            .put_channel_membership_preferences()
            .channel_arn(&self.channel)
            .member_arn(member)
            .chime_bearer(bearer)
            .preferences(prefs(allow, rule))
    }

    fn get(
        &self,
        bearer: &str,
        member: &str,
    ) -> aws_sdk_chimesdkmessaging::operation::get_channel_membership_preferences::builders::GetChannelMembershipPreferencesFluentBuilder
    {
        self.c
            .msg
            .get_channel_membership_preferences()
            .channel_arn(&self.channel)
            .member_arn(member)
            .chime_bearer(bearer)
    }

    async fn prefs_of(&self, member: &str) -> Option<(AllowNotifications, Option<String>)> {
        get_prefs(&self.c.msg, &self.channel, member).await
    }
}

const MENTION_BOB: &str = r#"{"mention":["bob"]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn preferences_are_unset_until_put_and_echoed_after() {
    let w = world().await;
    // Never set: Preferences without PushNotifications.
    assert_eq!(w.prefs_of(&w.bob).await, None);

    let out = ok(w
        .put(
            &w.bob,
            &w.bob,
            AllowNotifications::Filtered,
            Some(MENTION_BOB),
        )
        .send()
        .await);
    assert_eq!(out.channel_arn(), Some(w.channel.as_str()));
    assert_eq!(out.member().and_then(|m| m.arn()), Some(w.bob.as_str()));
    assert_eq!(out.member().and_then(|m| m.name()), Some("bob"));
    let echoed = out
        .preferences()
        .and_then(|p| p.push_notifications())
        .expect("Preferences.PushNotifications");
    assert_eq!(echoed.allow_notifications(), &AllowNotifications::Filtered);
    assert_eq!(echoed.filter_rule(), Some(MENTION_BOB));
    assert_eq!(
        w.prefs_of(&w.bob).await,
        Some((AllowNotifications::Filtered, Some(MENTION_BOB.to_string())))
    );

    // Replaced: NONE, then ALL (the rule is dropped).
    set_prefs(&w.c.msg, &w.channel, &w.bob, AllowNotifications::None, None).await;
    assert_eq!(
        w.prefs_of(&w.bob).await,
        Some((AllowNotifications::None, None))
    );
    set_prefs(&w.c.msg, &w.channel, &w.bob, AllowNotifications::All, None).await;
    assert_eq!(
        w.prefs_of(&w.bob).await,
        Some((AllowNotifications::All, None))
    );
    // Carol's are her own.
    assert_eq!(w.prefs_of(&w.carol).await, None);

    // The rule text is kept verbatim (whitespace and key order included).
    let spaced = "{ \"b\" : [ \"2\" ] ,\n \"a\" : [ \"1\" ] }";
    set_prefs(
        &w.c.msg,
        &w.channel,
        &w.carol,
        AllowNotifications::Filtered,
        Some(spaced),
    )
    .await;
    assert_eq!(
        w.prefs_of(&w.carol).await,
        Some((AllowNotifications::Filtered, Some(spaced.to_string())))
    );

    // Leaving the channel drops them; rejoining starts unset.
    ok(w.c
        .msg
        .delete_channel_membership()
        .channel_arn(&w.channel)
        .member_arn(&w.carol)
        .chime_bearer(&w.carol)
        .send()
        .await);
    add_member(&w.c.msg, &w.channel, &w.owner, &w.carol).await;
    assert_eq!(w.prefs_of(&w.carol).await, None);
    let _ = &w.server;
}

#[tokio::test(flavor = "multi_thread")]
async fn filter_rule_must_go_with_filtered_and_only_with_it() {
    let w = world().await;
    set_prefs(&w.c.msg, &w.channel, &w.bob, AllowNotifications::None, None).await;
    assert_bad_request(
        w.put(&w.bob, &w.bob, AllowNotifications::Filtered, None)
            .send()
            .await,
        "FilterRule",
    );
    for allow in [AllowNotifications::All, AllowNotifications::None] {
        assert_bad_request(
            w.put(&w.bob, &w.bob, allow, Some(MENTION_BOB)).send().await,
            "FilterRule",
        );
    }
    // An empty FilterRule.
    assert_bad_request(
        w.put(&w.bob, &w.bob, AllowNotifications::Filtered, Some(""))
            .send()
            .await,
        "FilterRule",
    );
    assert_eq!(
        w.prefs_of(&w.bob).await,
        Some((AllowNotifications::None, None))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_member_who_owns_the_membership_may_put_or_get_it() {
    let w = world().await;
    let admin = create_user(&w.c.id, &w.app, "admin").await;
    make_admin(&w.c.id, &w.app, &admin).await;
    let moderator = create_user(&w.c.id, &w.app, "moderator").await;
    add_member(&w.c.msg, &w.channel, &w.owner, &moderator).await;
    add_moderator(&w.c.msg, &w.channel, &w.owner, &moderator).await;
    let outsider = create_user(&w.c.id, &w.app, "outsider").await;
    let banned = create_user(&w.c.id, &w.app, "banned").await;
    add_member(&w.c.msg, &w.channel, &w.owner, &banned).await;
    set_prefs(
        &w.c.msg,
        &w.channel,
        &banned,
        AllowNotifications::None,
        None,
    )
    .await;
    ban(&w.c.msg, &w.channel, &w.owner, &banned).await;
    set_prefs(
        &w.c.msg,
        &w.channel,
        &w.bob,
        AllowNotifications::Filtered,
        Some(MENTION_BOB),
    )
    .await;
    let bobs = Some((AllowNotifications::Filtered, Some(MENTION_BOB.to_string())));

    // An AppInstanceAdmin, the channel's creator-moderator, a moderator,
    // another member, a non-member: none may set or read bob's.
    for bearer in [&admin, &w.owner, &moderator, &w.carol, &outsider] {
        assert_forbidden(
            w.put(bearer, &w.bob, AllowNotifications::All, None)
                .send()
                .await,
        );
        assert_forbidden(w.get(bearer, &w.bob).send().await);
    }
    assert_eq!(w.prefs_of(&w.bob).await, bobs);

    // The target must be a member: a non-member may not set its own, nor
    // may a banned user (whose membership the ban removed).
    for user in [&outsider, &banned, &admin] {
        assert_forbidden(
            w.put(user, user, AllowNotifications::None, None)
                .send()
                .await,
        );
        assert_forbidden(w.get(user, user).send().await);
    }
    // Nothing was stored for them: once members, they start unset.
    for user in [&outsider, &banned] {
        if user == &banned {
            ok(w.c
                .msg
                .delete_channel_ban()
                .channel_arn(&w.channel)
                .member_arn(&banned)
                .chime_bearer(&w.owner)
                .send()
                .await);
        }
        add_member(&w.c.msg, &w.channel, &w.owner, user).await;
        assert_eq!(w.prefs_of(user).await, None);
    }
    // A channel that does not exist.
    assert_not_found(
        w.c.msg
            .get_channel_membership_preferences()
            .channel_arn(format!("{}/channel/nope", w.app))
            .member_arn(&w.bob)
            .chime_bearer(&w.bob)
            .send()
            .await,
    );
    let _ = &w.server;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rule_form_is_accepted_and_kept() {
    let w = world().await;
    for rule in [
        r#"{"mention":["bob"]}"#,
        r#"{"mention":["bob","carol",""]}"#,
        r#"{"type":[{"anything-but":["Room","Lobby"]}]}"#,
        r#"{"type":[{"anything-but":"Room"}]}"#,
        r#"{"mention":["bob"],"priority":["high"]}"#,
        r#"{"$or":[{"mention":["bob"]},{"priority":["high"]}]}"#,
        r#"{"team":["blue"],"$or":[{"mention":["bob"]},{"priority":["high"]}]}"#,
        r#"{"$or":[{"a":["1"]},{"$or":[{"b":["2"]},{"c":[{"anything-but":"3"}]}]}]}"#,
        r#"{"$or":[{"mention":["bob"]}]}"#,
    ] {
        set_prefs(
            &w.c.msg,
            &w.channel,
            &w.bob,
            AllowNotifications::Filtered,
            Some(rule),
        )
        .await;
        assert_eq!(
            w.prefs_of(&w.bob).await,
            Some((AllowNotifications::Filtered, Some(rule.to_string()))),
            "{rule}"
        );
    }
}

/// `{"k0":["x"]}` nested `levels` deep in `$or`s (1 = no `$or`).
fn nested(levels: usize) -> String {
    let mut text = r#"{"k":["x"]}"#.to_string();
    for _ in 1..levels {
        text = format!(r#"{{"$or":[{text}]}}"#);
    }
    text
}

fn alternatives(n: usize) -> String {
    let members: Vec<String> = (0..n).map(|i| format!(r#"{{"k{i}":["x"]}}"#)).collect();
    format!(r#"{{"$or":[{}]}}"#, members.join(","))
}

/// One key with `n` values: complexity n + 1.
fn values(n: usize) -> String {
    let values: Vec<String> = (0..n).map(|i| format!(r#""v{i}""#)).collect();
    format!(r#"{{"a":[{}]}}"#, values.join(","))
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_at_each_limit_are_accepted() {
    let w = world().await;
    let base = r#"{"mention":["bob"]}"#;
    let at_length = format!("{base}{}", " ".repeat(2048 - base.len()));
    assert_eq!(at_length.len(), 2048);
    for rule in [
        at_length,
        alternatives(5),
        values(19),
        nested(4),
        // 10 keys with one value each: complexity 20.
        format!(
            "{{{}}}",
            (0..10)
                .map(|i| format!(r#""k{i}":["x"]"#))
                .collect::<Vec<_>>()
                .join(",")
        ),
    ] {
        ok(
            w.put(&w.bob, &w.bob, AllowNotifications::Filtered, Some(&rule))
                .send()
                .await,
        );
        assert_eq!(
            w.prefs_of(&w.bob).await.and_then(|p| p.1),
            Some(rule.clone())
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_rules_are_refused_naming_what_is_wrong() {
    let w = world().await;
    set_prefs(&w.c.msg, &w.channel, &w.bob, AllowNotifications::None, None).await;
    let base = r#"{"mention":["bob"]}"#;
    let too_long = format!("{base}{}", " ".repeat(2049 - base.len()));
    // Multi-byte: 2049 bytes in fewer characters.
    let wide = format!(r#"{{"k":["{}"]}}"#, "é".repeat(1020));
    assert!(wide.len() > 2048 && wide.chars().count() < 2048);
    let complexity_21_in_or = format!(
        r#"{{"$or":[{{"a":{}}},{{"b":["x"]}}],"z":["y"]}}"#,
        &values(16)[5..values(16).len() - 1]
    );
    let cases: Vec<(String, &[&str])> = vec![
        // Length, checked before parsing.
        (too_long, &["2048"]),
        (wide, &["2048"]),
        // JSON syntax.
        (r#"{"a":"#.to_string(), &["JSON"]),
        ("not json".to_string(), &["JSON"]),
        // Structure.
        ("[]".to_string(), &["object"]),
        ("{}".to_string(), &["empty"]),
        (r#"{"emptykey":[]}"#.to_string(), &["emptykey"]),
        (r#"{"strkey":"x"}"#.to_string(), &["strkey"]),
        (r#"{"numkey":["x",1]}"#.to_string(), &["numkey"]),
        (
            r#"{"mixkey":["x",{"anything-but":"y"}]}"#.to_string(),
            &["mixkey"],
        ),
        (
            r#"{"abkey":[{"anything-but":["y"]},{"anything-but":["z"]}]}"#.to_string(),
            &["abkey"],
        ),
        (r#"{"abkey":[{"anything-but":1}]}"#.to_string(), &["abkey"]),
        (
            r#"{"dupkey":["x"],"dupkey":["y"]}"#.to_string(),
            &["dupkey"],
        ),
        (r#"{"$or":"x"}"#.to_string(), &["$or"]),
        (r#"{"$or":[]}"#.to_string(), &["$or"]),
        (r#"{"$or":[{}]}"#.to_string(), &["$or"]),
        // Unsupported operators, named.
        (r#"{"a":[{"prefix":"x"}]}"#.to_string(), &["prefix"]),
        (r#"{"a":[{"exists":true}]}"#.to_string(), &["exists"]),
        (r#"{"a":[{"numeric":[">",1]}]}"#.to_string(), &["numeric"]),
        (r#"{"$and":[{"a":["x"]}]}"#.to_string(), &["$and"]),
        (r#"{"$not":{"a":["x"]}}"#.to_string(), &["$not"]),
        // Limits.
        (alternatives(6), &["$or", "5"]),
        (
            format!(r#"{{"$or":[{{"a":["x"]}},{}]}}"#, alternatives(6)),
            &["$or", "5"],
        ),
        (nested(5), &["$or", "4"]),
        (values(20), &["complexity", "20"]),
        (complexity_21_in_or, &["complexity", "20"]),
        (
            format!(
                "{{{}}}",
                (0..11)
                    .map(|i| format!(r#""k{i}":["x"]"#))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            &["complexity", "20"],
        ),
        // The order of errors: length before syntax; structure in document
        // order; complexity last.
        (format!("{{{}", " ".repeat(2100)), &["2048"]),
        (
            r#"{"a":[{"prefix":"x"}],"$and":[{"b":["y"]}]}"#.to_string(),
            &["prefix"],
        ),
        (
            format!(
                r#"{{"a":{},"b":[{{"suffix":"x"}}]}}"#,
                &values(25)[5..values(25).len() - 1]
            ),
            &["suffix"],
        ),
    ];
    for (rule, named) in &cases {
        let err = assert_err(
            w.put(&w.bob, &w.bob, AllowNotifications::Filtered, Some(rule))
                .send()
                .await,
            "BadRequestException",
            400,
        );
        for fragment in *named {
            assert!(
                err.message.contains(fragment),
                "rule {}: the message should name {fragment:?}: {err:?}",
                shorten(rule)
            );
        }
        assert!(
            !err.message.contains("complexity") || named.contains(&"complexity"),
            "rule {}: complexity is reported last: {err:?}",
            shorten(rule)
        );
    }
    // The order checks: the deferred error is not the one reported.
    let err = assert_err(
        w.put(
            &w.bob,
            &w.bob,
            AllowNotifications::Filtered,
            Some(r#"{"a":[{"prefix":"x"}],"$and":[{"b":["y"]}]}"#),
        )
        .send()
        .await,
        "BadRequestException",
        400,
    );
    assert!(!err.message.contains("$and"), "document order: {err:?}");
    assert_eq!(
        w.prefs_of(&w.bob).await,
        Some((AllowNotifications::None, None))
    );
}
