"""boto3 end-to-end tests of Herald's channel-membership push preferences,
FILTERED rules and push decisions.

The behaviour checked here is docs/chime-semantics.md ("Preferences",
"Push decisions") and docs/chime-filter-rules.md. Push decisions are read
back from ``GET /_herald/push-deliveries`` (SigV4 service ``herald``, admin
key); the webhook tests run their own server with ``--push-webhook``.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone

import pytest

from chime_testlib import (
    DELIVERY_TIME_RE,
    ChimeApp,
    expect_each,
    make_chime_client,
    push_deliveries,
    push_deliveries_raw,
    status_of,
    token,
    wait_for,
)
from herald_testlib import expect_error, signed_request

DELIVERY_FIELDS = (
    "DeliveryId",
    "MemberArn",
    "EndpointId",
    "DeviceToken",
    "ChannelArn",
    "MessageId",
    "Title",
    "Body",
    "Type",
    "CreatedAt",
    "State",
    "Attempts",
)


def now() -> datetime:
    return datetime.now(timezone.utc)


def parse_created_at(text: str) -> datetime:
    """An RFC 3339 UTC time. Its exact form (three fraction digits) is
    test_delivery_created_at_always_has_three_digits_of_milliseconds's to
    check: it is checked there with enough samples to be deterministic."""
    m = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?Z$", text)
    assert m, f"CreatedAt is not an RFC 3339 UTC time: {text!r}"
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return base + timedelta(seconds=float(m.group(2) or 0))


def push_settings(resp: dict) -> dict | None:
    return resp["Preferences"].get("PushNotifications")


# ==========================================================================
# Preferences: who may put and get them
# ==========================================================================


def test_preferences_put_and_get_by_the_owning_member(messaging, chime_app):
    owner = chime_app.user()
    member = chime_app.user(name="Member M")
    arn = chime_app.channel(owner, MemberArns=[member])

    # never set: Preferences without PushNotifications
    got = chime_app.get_prefs(arn, member)
    assert status_of(got) == 200
    assert got["ChannelArn"] == arn
    assert got["Member"] == {"Arn": member, "Name": "Member M"}
    assert "Preferences" in got and push_settings(got) is None

    rule = json.dumps({"mention": ["m"]})
    put = chime_app.set_prefs(arn, member, "FILTERED", rule)
    assert status_of(put) == 200
    assert put["ChannelArn"] == arn
    assert put["Member"] == {"Arn": member, "Name": "Member M"}
    assert push_settings(put) == {"AllowNotifications": "FILTERED", "FilterRule": rule}
    got = chime_app.get_prefs(arn, member)
    assert push_settings(got) == {"AllowNotifications": "FILTERED", "FilterRule": rule}

    for allow in ("NONE", "ALL"):
        put = chime_app.set_prefs(arn, member, allow)
        assert push_settings(put) == {"AllowNotifications": allow}
        assert push_settings(chime_app.get_prefs(arn, member)) == {"AllowNotifications": allow}

    # preferences are per channel
    other = chime_app.channel(owner, MemberArns=[member])
    assert push_settings(chime_app.get_prefs(other, member)) is None


def test_preferences_only_the_owner_may_touch_them(messaging, chime_app):
    owner = chime_app.user()  # creator: a member and a moderator
    member = chime_app.user()
    other = chime_app.user()
    mod = chime_app.user()
    admin = chime_app.user()
    chime_app.admin(admin)
    banned = chime_app.user()
    outsider = chime_app.user()
    hidden = chime_app.user()
    arn = chime_app.channel(owner, MemberArns=[member, other, banned], ModeratorArns=[mod])
    chime_app.add_member(arn, hidden, owner, kind="HIDDEN")

    rule = json.dumps({"mention": ["member"]})
    chime_app.set_prefs(arn, member, "FILTERED", rule)
    chime_app.set_prefs(arn, banned, "NONE")
    chime_app.ban(arn, banned, owner)
    member_prefs = {"AllowNotifications": "FILTERED", "FilterRule": rule}

    def put(target, bearer):
        return lambda: chime_app.set_prefs(arn, target, "ALL", bearer=bearer)

    def get(target, bearer):
        return lambda: chime_app.get_prefs(arn, target, bearer=bearer)

    expect_each(
        "ForbiddenException",
        403,
        [
            ("another member puts", put(member, other)),
            ("another member gets", get(member, other)),
            ("the channel moderator puts", put(member, mod)),
            ("the channel moderator gets", get(member, mod)),
            ("the channel creator (moderator) puts", put(member, owner)),
            ("the channel creator (moderator) gets", get(member, owner)),
            ("an AppInstanceAdmin puts", put(member, admin)),
            ("an AppInstanceAdmin gets", get(member, admin)),
            ("a hidden member puts", put(member, hidden)),
            ("the member puts another's", put(other, member)),
            ("the member gets another's", get(other, member)),
            ("a banned user puts their own", put(banned, banned)),
            ("a banned user gets their own", get(banned, banned)),
            ("a banned user puts a member's", put(member, banned)),
            ("a moderator puts a banned user's", put(banned, owner)),
            ("an admin (not a member) puts their own", put(admin, admin)),
            ("an admin (not a member) gets their own", get(admin, admin)),
            ("a non-member puts their own", put(outsider, outsider)),
            ("a non-member gets their own", get(outsider, outsider)),
        ],
    )
    # the refused writes changed nothing
    assert push_settings(chime_app.get_prefs(arn, member)) == member_prefs
    assert push_settings(chime_app.get_prefs(arn, other)) is None
    assert push_settings(chime_app.get_prefs(arn, owner)) is None

    # moderators and hidden members who are members may set their own
    for own in (mod, owner, hidden):
        chime_app.set_prefs(arn, own, "NONE")
        assert push_settings(chime_app.get_prefs(arn, own)) == {"AllowNotifications": "NONE"}
    # an admin who is also a member may set their own, still not others'
    chime_app.add_member(arn, admin, owner)
    chime_app.set_prefs(arn, admin, "NONE")
    with expect_error("ForbiddenException", 403):
        chime_app.set_prefs(arn, member, "NONE", bearer=admin)
    assert push_settings(chime_app.get_prefs(arn, member)) == member_prefs

    # the ban removed the banned user's preferences: back in, they are unset
    messaging.delete_channel_ban(ChannelArn=arn, MemberArn=banned, ChimeBearer=owner)
    chime_app.add_member(arn, banned, owner)
    assert push_settings(chime_app.get_prefs(arn, banned)) is None


def test_preferences_in_a_channel_that_does_not_exist(messaging, chime_app):
    member = chime_app.user()
    with expect_error("NotFoundException", 404):
        chime_app.get_prefs(chime_app.channel_arn("nope"), member)
    with expect_error("NotFoundException", 404):
        chime_app.set_prefs(chime_app.channel_arn("nope"), member, "ALL")


# ==========================================================================
# Preferences: FILTERED rules that are refused
# ==========================================================================


def nested_or(depth: int) -> dict:
    """A rule whose innermost object is at nesting level ``depth``."""
    rule: dict = {"k": ["v"]}
    for _ in range(depth - 1):
        rule = {"$or": [rule]}
    return rule


def sized_rule(total_bytes: int) -> str:
    """A valid rule of exactly ``total_bytes`` bytes (complexity 2)."""
    shell = json.dumps({"k": [""]}, separators=(",", ":"))
    text = json.dumps({"k": ["x" * (total_bytes - len(shell))]}, separators=(",", ":"))
    assert len(text.encode()) == total_bytes
    return text


def values(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


# complexity: attribute keys plus values over the whole rule; operators not counted
COMPLEXITY_20 = {
    "k1": values("a", 4),
    "$or": [
        {"k2": [{"anything-but": values("b", 4)}]},
        {"k3": values("c", 4), "k4": values("d", 4)},
    ],
}
COMPLEXITY_21 = {
    "k1": values("a", 5),
    "$or": [
        {"k2": [{"anything-but": values("b", 4)}]},
        {"k3": values("c", 4), "k4": values("d", 4)},
    ],
}

ACCEPTED_RULES = [
    ("inclusive", {"mention": ["alice", "bob"]}),
    ("anything-but list", {"type": [{"anything-but": ["Room", "Lobby"]}]}),
    ("anything-but string", {"type": [{"anything-but": "Room"}]}),
    ("AND of keys", {"mention": ["alice"], "type": ["DM"]}),
    ("$or", {"$or": [{"mention": ["alice"]}, {"type": ["DM"]}]}),
    ("$or beside keys", {"prio": ["high"], "$or": [{"a": ["1"]}, {"b": ["2"]}]}),
    ("$or with 5 alternatives", {"$or": [{f"k{i}": ["v"]} for i in range(5)]}),
    ("complexity 20", COMPLEXITY_20),
    ("nesting 4", nested_or(4)),
    ("2048 bytes", sized_rule(2048)),
]

# (name, rule text, a word the message must contain (case-insensitive) or None)
REFUSED_RULES = [
    ("not JSON", '{"mention": ["alice"', None),
    ("prefix operator", '{"mention": [{"prefix": "al"}]}', "prefix"),
    ("numeric operator", '{"n": [{"numeric": [">", 1]}]}', "numeric"),
    ("exists operator", '{"n": [{"exists": true}]}', "exists"),
    ("another $ key", '{"$and": [{"a": ["1"]}, {"b": ["2"]}]}', "$and"),
    ("duplicate keys", '{"a": ["1"], "a": ["2"]}', None),
    ("strings mixed with anything-but", '{"a": ["1", {"anything-but": ["2"]}]}', None),
    ("two anything-but objects", '{"a": [{"anything-but": ["1"]}, {"anything-but": ["2"]}]}', None),
    ("a number among the values", '{"a": ["1", 2]}', None),
    ("a value that is not an array", '{"a": "1"}', None),
    ("2049 bytes", sized_rule(2049), None),
    ("$or with 6 alternatives", json.dumps({"$or": [{f"k{i}": ["v"]} for i in range(6)]}), "$or"),
    ("complexity 21", json.dumps(COMPLEXITY_21), "complex"),
    ("nesting 5", json.dumps(nested_or(5)), None),
]


@pytest.fixture
def prefs_channel(chime_app):
    owner = chime_app.user()
    member = chime_app.user()
    arn = chime_app.channel(owner, MemberArns=[member])
    return arn, member


@pytest.mark.parametrize("name,rule", ACCEPTED_RULES, ids=[r[0] for r in ACCEPTED_RULES])
def test_filter_rule_accepted(chime_app, prefs_channel, name, rule):
    arn, member = prefs_channel
    text = rule if isinstance(rule, str) else json.dumps(rule)
    put = chime_app.set_prefs(arn, member, "FILTERED", text)
    assert push_settings(put) == {"AllowNotifications": "FILTERED", "FilterRule": text}
    assert push_settings(chime_app.get_prefs(arn, member)) == {"AllowNotifications": "FILTERED", "FilterRule": text}


@pytest.mark.parametrize("name,text,word", REFUSED_RULES, ids=[r[0] for r in REFUSED_RULES])
def test_filter_rule_refused(chime_app, prefs_channel, name, text, word):
    arn, member = prefs_channel
    before = chime_app.set_prefs(arn, member, "NONE")
    with expect_error("BadRequestException", 400) as err:
        chime_app.set_prefs(arn, member, "FILTERED", text)
    if word:
        assert word.lower() in err.message.lower(), f"the message should name {word!r}: {err.message!r}"
    assert push_settings(chime_app.get_prefs(arn, member)) == push_settings(before) == {"AllowNotifications": "NONE"}


def test_filter_rule_length_is_checked_before_parsing(chime_app, prefs_channel):
    arn, member = prefs_channel
    # 2049 bytes that are not JSON either: the length is what is reported
    text = "{" + "x" * 2048
    with expect_error("BadRequestException", 400) as err:
        chime_app.set_prefs(arn, member, "FILTERED", text)
    msg = err.message.lower()
    assert "2048" in msg or "long" in msg or "length" in msg, err.message


def test_filter_rule_structure_is_reported_before_complexity(chime_app, prefs_channel):
    arn, member = prefs_channel
    rule = {"a": values("v", 25), "b": [{"prefix": "x"}]}
    with expect_error("BadRequestException", 400) as err:
        chime_app.set_prefs(arn, member, "FILTERED", json.dumps(rule))
    assert "prefix" in err.message, err.message


def test_filter_rule_must_go_with_filtered(messaging, chime_app, prefs_channel):
    arn, member = prefs_channel
    chime_app.set_prefs(arn, member, "ALL")
    cases = [
        ("FILTERED without FilterRule", {"AllowNotifications": "FILTERED"}),
        ("ALL with FilterRule", {"AllowNotifications": "ALL", "FilterRule": '{"a": ["1"]}'}),
        ("NONE with FilterRule", {"AllowNotifications": "NONE", "FilterRule": '{"a": ["1"]}'}),
    ]
    problems = []
    for name, push in cases:
        try:
            with expect_error("BadRequestException", 400) as err:
                messaging.put_channel_membership_preferences(
                    ChannelArn=arn, MemberArn=member, ChimeBearer=member, Preferences={"PushNotifications": push}
                )
            if "FilterRule" not in err.message:
                problems.append(f"{name}: the message does not name FilterRule: {err.message!r}")
        except (AssertionError, pytest.fail.Exception) as e:
            problems.append(f"{name}: {e}")
    assert not problems, "\n".join(problems)
    assert push_settings(chime_app.get_prefs(arn, member)) == {"AllowNotifications": "ALL"}


# ==========================================================================
# Push decisions
# ==========================================================================


def check_record(record: dict, *, channel: str, message_id: str, title: str, body: str, kind: str, state: str) -> None:
    missing = [f for f in DELIVERY_FIELDS if f not in record]
    assert not missing, f"delivery record lacks {missing}: {record}"
    assert isinstance(record["DeliveryId"], str) and record["DeliveryId"], record
    assert record["ChannelArn"] == channel
    assert record["MessageId"] == message_id
    assert record["Title"] == title
    assert record["Body"] == body
    assert record["Type"] == kind
    assert record["State"] == state, record
    assert record["Attempts"] == 0, record
    created = parse_created_at(record["CreatedAt"])
    assert abs((created - now()).total_seconds()) < 60, record["CreatedAt"]


def test_push_decision_per_member(messaging, identity, chime_app):
    sender = chime_app.user()
    everyone = chime_app.user()
    nobody = chime_app.user()
    unset = chime_app.user()
    matching = chime_app.user()
    not_matching = chime_app.user()
    muted_endpoint = chime_app.user()
    two_phones = chime_app.user()
    hidden = chime_app.user()
    banned = chime_app.user()
    admin = chime_app.user()
    outsider = chime_app.user()
    chime_app.admin(admin)

    eps = {}
    for user in (sender, everyone, nobody, unset, matching, not_matching, hidden, banned, admin, outsider):
        eps[user] = [chime_app.endpoint_for(user)]
    eps[muted_endpoint] = [chime_app.endpoint_for(muted_endpoint, allow="NONE")]
    phone_a = chime_app.endpoint_for(two_phones)
    phone_b = chime_app.endpoint_for(two_phones, allow="ALL")
    phone_off = chime_app.endpoint_for(two_phones)
    identity.update_app_instance_user_endpoint(
        AppInstanceUserArn=two_phones, EndpointId=phone_off["EndpointId"], AllowMessages="NONE"
    )
    eps[two_phones] = [phone_a, phone_b]

    arn = chime_app.channel(
        sender, MemberArns=[everyone, nobody, unset, matching, not_matching, muted_endpoint, two_phones, banned]
    )
    chime_app.add_member(arn, hidden, sender, kind="HIDDEN")
    chime_app.set_prefs(arn, everyone, "ALL")
    chime_app.set_prefs(arn, nobody, "NONE")
    chime_app.set_prefs(arn, matching, "FILTERED", {"mention": ["matching"]})
    chime_app.set_prefs(arn, not_matching, "FILTERED", {"mention": ["somebody-else"]})
    chime_app.set_prefs(arn, muted_endpoint, "ALL")
    chime_app.set_prefs(arn, banned, "ALL")
    chime_app.ban(arn, banned, sender)

    sent = chime_app.send(arn, sender, "hi all", push={"Title": "T", "Body": "B"}, attributes={"mention": ["matching"]})
    records = chime_app.deliveries(arn, sent["MessageId"])

    expected = {}
    for user in (sender, everyone, unset, matching, hidden, two_phones):
        for ep in eps[user]:
            expected[(user, ep["EndpointId"])] = ep["DeviceToken"]
    got = [(r.get("MemberArn"), r.get("EndpointId")) for r in records]
    assert len(got) == len(set(got)), f"a member/endpoint was pushed twice: {got}"
    names = {
        sender: "sender",
        everyone: "ALL",
        nobody: "NONE",
        unset: "never set",
        matching: "FILTERED matching",
        not_matching: "FILTERED not matching",
        muted_endpoint: "endpoint AllowMessages NONE",
        two_phones: "two endpoints ALL + one NONE",
        hidden: "hidden member",
        banned: "banned",
        admin: "admin, not a member",
        outsider: "not a member",
    }
    extra = sorted(names.get(m, m) for m, _ in set(got) - set(expected))
    lacking = sorted(names.get(m, m) for m, _ in set(expected) - set(got))
    assert not extra and not lacking, f"pushed but should not be: {extra}; not pushed but should be: {lacking}"
    ids = [r["DeliveryId"] for r in records]
    assert len(set(ids)) == len(ids), ids
    for r in records:
        check_record(
            r, channel=arn, message_id=sent["MessageId"], title="T", body="B", kind="DEFAULT", state="RECORDED"
        )
        assert r["DeviceToken"] == expected[(r["MemberArn"], r["EndpointId"])], r


def test_delivery_created_at_always_has_three_digits_of_milliseconds(chime_app):
    """CreatedAt is shown as 2026-11-22T10:00:00.123Z: exactly three
    fraction digits, also when the milliseconds end in zeros. The records of
    one message share a time, so many messages are sent: with 60 distinct
    times, one falls on a multiple of 10 ms but for a chance of 0.2 %."""
    sender = chime_app.user()
    chime_app.endpoint_for(sender)
    arn = chime_app.channel(sender)
    times = []
    for i in range(60):
        sent = chime_app.send(arn, sender, f"m{i}")
        times += [record["CreatedAt"] for record in chime_app.deliveries(arn, sent["MessageId"])]
    assert len(times) == 60
    bad = sorted({t for t in times if not DELIVERY_TIME_RE.match(t)})
    assert not bad, f"CreatedAt not in the form YYYY-MM-DDTHH:MM:SS.mmmZ: {bad}"


def test_voip_push_uses_the_voip_token_when_there_is_one(chime_app):
    sender = chime_app.user()
    member = chime_app.user()
    with_voip = chime_app.endpoint_for(member, device_token="plain-1", voip_token="voip-1", kind="APNS")
    without_voip = chime_app.endpoint_for(member, device_token="plain-2", kind="APNS")
    arn = chime_app.channel(sender, MemberArns=[member])

    voip = chime_app.send(arn, sender, push={"Title": "Call", "Body": "Ring", "Type": "VOIP"})
    by_endpoint = {r["EndpointId"]: r for r in chime_app.deliveries(arn, voip["MessageId"])}
    assert set(by_endpoint) == {with_voip["EndpointId"], without_voip["EndpointId"]}
    assert by_endpoint[with_voip["EndpointId"]]["DeviceToken"] == "voip-1"
    assert by_endpoint[without_voip["EndpointId"]]["DeviceToken"] == "plain-2"
    assert {r["Type"] for r in by_endpoint.values()} == {"VOIP"}

    plain = chime_app.send(arn, sender, push={"Title": "Msg", "Body": "Text"})
    by_endpoint = {r["EndpointId"]: r for r in chime_app.deliveries(arn, plain["MessageId"])}
    assert by_endpoint[with_voip["EndpointId"]]["DeviceToken"] == "plain-1"
    assert by_endpoint[without_voip["EndpointId"]]["DeviceToken"] == "plain-2"
    assert {r["Type"] for r in by_endpoint.values()} == {"DEFAULT"}, "Type defaults to DEFAULT"


def test_no_push_notification_pushes_nothing(chime_app):
    sender = chime_app.user()
    member = chime_app.user()
    chime_app.endpoint_for(sender)
    chime_app.endpoint_for(member)
    arn = chime_app.channel(sender, MemberArns=[member])
    sent = chime_app.send(arn, sender, push=None)
    assert chime_app.deliveries(arn, sent["MessageId"]) == []
    pushed = chime_app.send(arn, sender)
    assert len(chime_app.deliveries(arn, pushed["MessageId"])) == 2


def test_non_persistent_message_is_pushed(messaging, chime_app):
    sender = chime_app.user()
    member = chime_app.user()
    ep = chime_app.endpoint_for(member)
    arn = chime_app.channel(sender, MemberArns=[member])
    sent = chime_app.send(arn, sender, Persistence="NON_PERSISTENT")
    records = chime_app.deliveries(arn, sent["MessageId"])
    assert [(r["MemberArn"], r["EndpointId"]) for r in records] == [(member, ep["EndpointId"])]
    with expect_error("NotFoundException", 404):
        messaging.get_channel_message(ChannelArn=arn, MessageId=sent["MessageId"], ChimeBearer=sender)


def test_endpoint_and_preference_changes_apply_to_later_messages(identity, chime_app):
    sender = chime_app.user()
    member = chime_app.user()
    ep = chime_app.endpoint_for(member)
    arn = chime_app.channel(sender, MemberArns=[member])

    def pushed() -> int:
        return len(chime_app.deliveries(arn, chime_app.send(arn, sender)["MessageId"]))

    assert pushed() == 1
    chime_app.set_prefs(arn, member, "NONE")
    assert pushed() == 0
    chime_app.set_prefs(arn, member, "ALL")
    assert pushed() == 1
    identity.update_app_instance_user_endpoint(
        AppInstanceUserArn=member, EndpointId=ep["EndpointId"], AllowMessages="NONE"
    )
    assert pushed() == 0
    identity.update_app_instance_user_endpoint(
        AppInstanceUserArn=member, EndpointId=ep["EndpointId"], AllowMessages="ALL"
    )
    assert pushed() == 1
    identity.deregister_app_instance_user_endpoint(AppInstanceUserArn=member, EndpointId=ep["EndpointId"])
    assert pushed() == 0


# (name, attributes, set of rule names that must match)
FILTER_RULES = {
    "inclusive": {"mention": ["alice", "bob"]},
    "anything-but list": {"type": [{"anything-but": ["Room"]}]},
    "anything-but string": {"type": [{"anything-but": "Room"}]},
    "AND": {"mention": ["alice"], "type": ["DM"]},
    "$or": {"$or": [{"mention": ["alice"]}, {"type": ["DM"]}]},
    "$or AND key": {"prio": ["high"], "$or": [{"mention": ["alice"]}, {"type": ["DM"]}]},
    "nested $or": {"$or": [{"a": ["1"]}, {"$or": [{"b": ["2"]}, {"c": ["3"], "d": ["4"]}]}]},
}
AB = {"anything-but list", "anything-but string"}
FILTER_CASES = [
    ("no attributes", None, AB),
    ("empty attributes", {}, AB),
    ("mention alice", {"mention": ["alice"]}, {"inclusive", "$or"} | AB),
    ("one of several values listed", {"mention": ["carol", "bob"]}, {"inclusive"} | AB),
    ("type Room", {"type": ["Room"]}, set()),
    ("a listed value among others", {"type": ["DM", "Room"]}, {"$or"}),
    ("both keys of the AND", {"mention": ["alice"], "type": ["DM"]}, {"inclusive", "AND", "$or"} | AB),
    ("$or and its sibling key", {"mention": ["alice"], "prio": ["high"]}, {"inclusive", "$or", "$or AND key"} | AB),
    ("sibling key without the $or", {"prio": ["high"]}, AB),
    ("case-sensitive values", {"mention": ["Alice"], "type": ["dm"]}, AB),
    ("case-sensitive keys", {"Mention": ["alice"], "Type": ["Room"]}, AB),
    ("empty value lists", {"mention": [], "type": []}, AB),
    ("nested AND inside $or", {"c": ["3"], "d": ["4"]}, {"nested $or"} | AB),
    ("half of the nested AND", {"c": ["3"]}, AB),
    ("nested alternative", {"b": ["2"], "type": ["DM"]}, {"nested $or", "$or"} | AB),
]


def test_filtered_rules_decide_pushes(chime_app):
    sender = chime_app.user()
    always = chime_app.user()
    never = chime_app.user()
    by_rule = {name: chime_app.user() for name in FILTER_RULES}
    for user in [always, never, *by_rule.values()]:
        chime_app.endpoint_for(user)
    arn = chime_app.channel(sender, MemberArns=[always, never, *by_rule.values()])
    chime_app.set_prefs(arn, always, "ALL")
    chime_app.set_prefs(arn, never, "NONE")
    for name, user in by_rule.items():
        chime_app.set_prefs(arn, user, "FILTERED", FILTER_RULES[name])
    rule_of = {user: name for name, user in by_rule.items()}

    problems = []
    for case, attributes, should in FILTER_CASES:
        sent = chime_app.send(arn, sender, case, attributes=attributes)
        pushed_to = {r["MemberArn"] for r in chime_app.deliveries(arn, sent["MessageId"])}
        if always not in pushed_to:
            problems.append(f"{case}: the ALL member was not pushed to")
        if never in pushed_to:
            problems.append(f"{case}: the NONE member was pushed to")
        got = {rule_of[m] for m in pushed_to if m in rule_of}
        if got != should:
            problems.append(
                f"{case} {attributes}: matched {sorted(got)}, expected {sorted(should)} "
                f"(wrongly matched {sorted(got - should)}, wrongly not matched {sorted(should - got)})"
            )
    assert not problems, "\n".join(problems)


def test_message_attributes_limit(messaging, chime_app):
    sender = chime_app.user()
    member = chime_app.user()
    chime_app.endpoint_for(member)
    arn = chime_app.channel(sender, MemberArns=[member])
    chime_app.set_prefs(arn, member, "FILTERED", {"b" * 64: ["w" * 384]})
    # names plus values: 64 + 512 + 64 + 385 = 1025 bytes
    with expect_error("BadRequestException", 400) as err:
        chime_app.send(arn, sender, attributes={"a" * 64: ["v" * 512], "b" * 64: ["w" * 385]})
    assert "MessageAttributes" in err.message, err.message
    listed = messaging.list_channel_messages(ChannelArn=arn, ChimeBearer=sender)
    assert listed.get("ChannelMessages", []) == []
    # 1024 bytes are fine, and match
    sent = chime_app.send(arn, sender, attributes={"a" * 64: ["v" * 512], "b" * 64: ["w" * 384]})
    assert [r["MemberArn"] for r in chime_app.deliveries(arn, sent["MessageId"])] == [member]
    # bytes, not characters: 'é' is two bytes in UTF-8
    with expect_error("BadRequestException", 400):
        chime_app.send(arn, sender, attributes={"a" * 64: ["v" * 512], "b" * 64: ["é" * 192 + "w"]})


def test_send_channel_message_client_request_token(messaging, chime_app):
    sender = chime_app.user()
    member = chime_app.user()
    chime_app.endpoint_for(member)
    chime_app.endpoint_for(sender)
    arn = chime_app.channel(sender, MemberArns=[member])
    params = dict(
        ChannelArn=arn,
        Content="once",
        Type="STANDARD",
        Persistence="PERSISTENT",
        ChimeBearer=sender,
        ClientRequestToken=token(),
        PushNotification={"Title": "T", "Body": "B"},
    )
    first = messaging.send_channel_message(**params)
    records = chime_app.deliveries(arn, first["MessageId"])
    assert len(records) == 2

    again = messaging.send_channel_message(**params)
    assert again["MessageId"] == first["MessageId"]
    assert again["Status"]["Value"] == "SENT"
    assert chime_app.deliveries(arn, first["MessageId"]) == records, "a retried SendChannelMessage pushed again"
    listed = messaging.list_channel_messages(ChannelArn=arn, ChimeBearer=sender)["ChannelMessages"]
    assert [m["MessageId"] for m in listed] == [first["MessageId"]]

    # the same token with a different request
    for change in (
        {"Content": "twice"},
        {"ChimeBearer": member},
        {"PushNotification": {"Title": "T", "Body": "other"}},
    ):
        with expect_error("ConflictException", 409):
            messaging.send_channel_message(**{**params, **change})
    listed = messaging.list_channel_messages(ChannelArn=arn, ChimeBearer=sender)["ChannelMessages"]
    assert [m["MessageId"] for m in listed] == [first["MessageId"]]
    assert chime_app.deliveries(arn, first["MessageId"]) == records


def test_delivery_records_outlive_the_channel(messaging, chime_app):
    sender = chime_app.user()
    chime_app.endpoint_for(sender)
    arn = chime_app.channel(sender)
    sent = chime_app.send(arn, sender)
    records = chime_app.deliveries(arn, sent["MessageId"])
    assert len(records) == 1
    messaging.delete_channel(ChannelArn=arn, ChimeBearer=sender)
    assert chime_app.deliveries(arn, sent["MessageId"]) == records


def test_delivery_log_needs_the_herald_signing_scope(endpoint, chime_app):
    sender = chime_app.user()
    chime_app.endpoint_for(sender)
    arn = chime_app.channel(sender)
    sent = chime_app.send(arn, sender)
    status, headers, body = signed_request(
        endpoint,
        "GET",
        "/_herald/push-deliveries",
        query={"channelArn": arn, "messageId": sent["MessageId"]},
        service="chime",
    )
    assert status == 403, body
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "InvalidSignatureException"
    status, _, body = push_deliveries_raw(endpoint, arn, sent["MessageId"])
    assert status == 200 and len(json.loads(body)["Deliveries"]) == 1, body


# ==========================================================================
# The webhook
# ==========================================================================


def webhook_app(server) -> ChimeApp:
    identity = make_chime_client("chime-sdk-identity", server.endpoint)
    messaging = make_chime_client("chime-sdk-messaging", server.endpoint)
    return ChimeApp.create(identity, messaging, server.endpoint)


def test_webhook_retries_until_acknowledged(server_factory, webhook_receiver):
    receiver = webhook_receiver(fail_first=1)
    server = server_factory(extra_args=["--push-webhook", receiver.url])
    app = webhook_app(server)
    user = app.user()
    ep = app.endpoint_for(user, device_token="device-token-1")
    arn = app.channel(user)
    sent = app.send(arn, user, push={"Title": "Hello", "Body": "World"}, attributes={"k": ["v"]})

    records = push_deliveries(server.endpoint, arn, sent["MessageId"])
    assert len(records) == 1, records
    record = records[0]
    assert record["MemberArn"] == user and record["EndpointId"] == ep["EndpointId"]
    assert record["DeviceToken"] == "device-token-1"
    # the first attempt is refused, the next comes a second later at the earliest
    assert record["State"] == "PENDING", record

    accepted = wait_for(receiver.accepted, timeout=30, what="the webhook to receive the retried delivery")
    requests = receiver.snapshot()
    first, ok = requests[0], accepted[0]
    assert first["status"] == 500
    assert first["method"] == ok["method"] == "POST"
    assert first["json"] and first["json"]["DeliveryId"] == record["DeliveryId"], first
    body = ok["json"]
    assert isinstance(body, dict), ok["body"][:500]
    for field in (
        "DeliveryId",
        "MemberArn",
        "EndpointId",
        "DeviceToken",
        "ChannelArn",
        "MessageId",
        "Title",
        "Body",
        "Type",
        "CreatedAt",
    ):
        assert body.get(field) == record[field], (field, body.get(field), record[field])
    assert body["Title"] == "Hello" and body["Body"] == "World" and body["Type"] == "DEFAULT"
    assert body["ChannelArn"] == arn and body["MessageId"] == sent["MessageId"]
    assert ok["headers"].get("x-herald-delivery-id") == record["DeliveryId"], ok["headers"]
    assert first["headers"].get("x-herald-delivery-id") == record["DeliveryId"], first["headers"]
    assert ok["at"] - first["at"] >= 0.8, "the retry came sooner than the 1 s backoff"

    def delivered():
        rec = push_deliveries(server.endpoint, arn, sent["MessageId"])[0]
        return rec if rec["State"] == "DELIVERED" else None

    final = wait_for(delivered, timeout=15, what="State DELIVERED")
    assert final["Attempts"] >= 1, final
    assert final["DeliveryId"] == record["DeliveryId"]


def test_webhook_delivers_every_decided_push(server_factory, webhook_receiver):
    receiver = webhook_receiver()
    server = server_factory(extra_args=["--push-webhook", receiver.url])
    app = webhook_app(server)
    sender = app.user()
    member = app.user()
    muted = app.user()
    for user in (sender, member, muted):
        app.endpoint_for(user)
    arn = app.channel(sender, MemberArns=[member, muted])
    app.set_prefs(arn, muted, "NONE")
    sent = app.send(arn, sender)
    records = push_deliveries(server.endpoint, arn, sent["MessageId"])
    assert {r["MemberArn"] for r in records} == {sender, member}

    def all_delivered():
        got = {r["json"]["DeliveryId"] for r in receiver.accepted() if r["json"]}
        return got >= {r["DeliveryId"] for r in records} and got

    got = wait_for(all_delivered, timeout=20, what="both deliveries at the webhook")
    assert got == {r["DeliveryId"] for r in records}, "the webhook got a delivery that was not decided"
    wait_for(
        lambda: all(r["State"] == "DELIVERED" for r in push_deliveries(server.endpoint, arn, sent["MessageId"])),
        timeout=15,
        what="State DELIVERED",
    )


@pytest.mark.parametrize("ok_status", [202, 204])
def test_any_2xx_acknowledges(server_factory, webhook_receiver, ok_status):
    receiver = webhook_receiver(ok_status=ok_status)
    server = server_factory(extra_args=["--push-webhook", receiver.url])
    app = webhook_app(server)
    user = app.user()
    app.endpoint_for(user)
    arn = app.channel(user)
    sent = app.send(arn, user)
    wait_for(receiver.accepted, timeout=20, what="the delivery at the webhook")
    final = wait_for(
        lambda: [r for r in push_deliveries(server.endpoint, arn, sent["MessageId"]) if r["State"] == "DELIVERED"],
        timeout=15,
        what="State DELIVERED",
    )
    assert len(final) == 1
    time.sleep(1.5)
    mine = [r for r in receiver.snapshot() if r["json"] and r["json"].get("DeliveryId") == final[0]["DeliveryId"]]
    assert len(mine) == 1, f"a {ok_status} did not acknowledge: the delivery was POSTed {len(mine)} times"


def test_pending_deliveries_survive_a_restart(server_factory, webhook_receiver, tmp_path):
    receiver = webhook_receiver(accepting=False)
    data_dir = tmp_path / "push-restart"
    first = server_factory(data_dir, ["--push-webhook", receiver.url])
    app = webhook_app(first)
    user = app.user()
    app.endpoint_for(user)
    arn = app.channel(user)
    sent = app.send(arn, user)
    record = push_deliveries(first.endpoint, arn, sent["MessageId"])[0]
    wait_for(receiver.snapshot, timeout=15, what="the first (refused) attempt")
    first.stop()
    receiver.accepting = True

    second = server_factory(data_dir, ["--push-webhook", receiver.url])
    wait_for(
        lambda: [r for r in receiver.accepted() if r["json"] and r["json"].get("DeliveryId") == record["DeliveryId"]],
        timeout=30,
        what="the pending delivery to be retried after the restart",
    )

    def delivered():
        rec = push_deliveries(second.endpoint, arn, sent["MessageId"])[0]
        return rec if rec["State"] == "DELIVERED" else None

    final = wait_for(delivered, timeout=15, what="State DELIVERED after the restart")
    assert final["Attempts"] >= 1


def test_without_webhook_deliveries_are_recorded(chime_app):
    user = chime_app.user()
    chime_app.endpoint_for(user)
    arn = chime_app.channel(user)
    sent = chime_app.send(arn, user)
    records = chime_app.deliveries(arn, sent["MessageId"])
    assert [r["State"] for r in records] == ["RECORDED"]
    assert records[0]["Attempts"] == 0
