"""boto3 end-to-end tests of Herald's Chime SDK Messaging: channels,
memberships, moderators, bans, messages and who may do what.

The behaviour checked here is docs/chime-semantics.md; the wire shapes are
AWS's (shared/spec/chime-sdk-messaging.json). Push preferences and push
decisions are in test_chime_push.py.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from chime_testlib import (
    HEX32_RE,
    UUID_PATTERN,
    attrs,
    chime_paginate,
    expect_each,
    status_of,
    token,
)
from herald_testlib import ACCOUNT_ID, REGION, expect_error

SLACK = timedelta(seconds=3)


def now() -> datetime:
    return datetime.now(timezone.utc)


def assert_recent(ts, before: datetime, after: datetime) -> None:
    assert isinstance(ts, datetime), ts
    assert before - SLACK <= ts <= after + SLACK, (ts, before, after)


def tick() -> None:
    time.sleep(0.02)


def other_account(arn: str) -> str:
    return arn.replace(f":{ACCOUNT_ID}:", ":111122223333:", 1)


def other_region(arn: str) -> str:
    return arn.replace(f":{REGION}:", ":eu-west-1:", 1)


def moderator_arns(messaging, channel: str, bearer: str) -> list[str]:
    items, _ = chime_paginate(
        messaging.list_channel_moderators, "ChannelModerators", ChannelArn=channel, ChimeBearer=bearer, MaxResults=50
    )
    return [m["Moderator"]["Arn"] for m in items]


def ban_arns(messaging, channel: str, bearer: str) -> list[str]:
    items, _ = chime_paginate(
        messaging.list_channel_bans, "ChannelBans", ChannelArn=channel, ChimeBearer=bearer, MaxResults=50
    )
    return [b["Member"]["Arn"] for b in items]


def message_ids(messaging, channel: str, bearer: str, **kw) -> list[str]:
    items, _ = chime_paginate(
        messaging.list_channel_messages, "ChannelMessages", ChannelArn=channel, ChimeBearer=bearer, **kw
    )
    return [m["MessageId"] for m in items]


# ==========================================================================
# Channels
# ==========================================================================


def test_create_and_describe_channel(messaging, chime_app):
    owner = chime_app.user(name="Owner")
    before = now()
    resp = messaging.create_channel(
        AppInstanceArn=chime_app.arn,
        Name="General",
        Mode="RESTRICTED",
        Privacy="PRIVATE",
        Metadata="channel metadata",
        ClientRequestToken=token(),
        Tags=[{"Key": "k", "Value": "v"}],
        ChimeBearer=owner,
        ChannelId="general-1",
    )
    after = now()
    assert status_of(resp) == 201
    arn = resp["ChannelArn"]
    assert arn == chime_app.channel_arn("general-1")

    ch = messaging.describe_channel(ChannelArn=arn, ChimeBearer=owner)["Channel"]
    assert ch["ChannelArn"] == arn
    assert ch["Name"] == "General"
    assert ch["Mode"] == "RESTRICTED"
    assert ch["Privacy"] == "PRIVATE"
    assert ch["Metadata"] == "channel metadata"
    assert ch["CreatedBy"] == {"Arn": owner, "Name": "Owner"}
    assert_recent(ch["CreatedTimestamp"], before, after)
    assert_recent(ch["LastUpdatedTimestamp"], before, after)
    for absent in ("ChannelFlowArn", "ElasticChannelConfiguration", "ExpirationSettings"):
        assert absent not in ch, absent

    # the creator is a member and a moderator
    membership = messaging.describe_channel_membership(ChannelArn=arn, MemberArn=owner, ChimeBearer=owner)
    assert membership["ChannelMembership"]["Member"]["Arn"] == owner
    assert moderator_arns(messaging, arn, owner) == [owner]


def test_channel_without_channel_id_gets_a_uuid(messaging, chime_app):
    owner = chime_app.user()
    a = chime_app.channel(owner)
    b = chime_app.channel(owner)
    pattern = re.compile(rf"^{re.escape(chime_app.arn)}/channel/{UUID_PATTERN}$")
    assert pattern.match(a), a
    assert pattern.match(b), b
    assert a != b
    ch = messaging.describe_channel(ChannelArn=a, ChimeBearer=owner)["Channel"]
    assert ch["Mode"] in ("UNRESTRICTED", "RESTRICTED")
    assert ch["Privacy"] in ("PUBLIC", "PRIVATE")


def test_channel_id_taken_is_conflict(messaging, chime_app, new_chime_app):
    owner = chime_app.user()
    arn = chime_app.channel(owner, ChannelId="dup", Name="first")
    with expect_error("ConflictException", 409):
        chime_app.channel(owner, ChannelId="dup", Name="second")
    assert messaging.describe_channel(ChannelArn=arn, ChimeBearer=owner)["Channel"]["Name"] == "first"
    # the same id in another app instance is another channel
    other = new_chime_app()
    assert other.channel(other.user(), ChannelId="dup") == other.channel_arn("dup")


def test_create_channel_client_request_token(messaging, chime_app):
    owner = chime_app.user()
    other = chime_app.user()
    params = dict(
        AppInstanceArn=chime_app.arn,
        Name="idem",
        Privacy="PUBLIC",
        ClientRequestToken=token(),
        ChimeBearer=owner,
    )
    first = messaging.create_channel(**params)["ChannelArn"]
    again = messaging.create_channel(**params)["ChannelArn"]
    assert again == first
    listed = [
        c["ChannelArn"] for c in messaging.list_channels(AppInstanceArn=chime_app.arn, ChimeBearer=owner)["Channels"]
    ]
    assert listed == [first]
    # same token, different request: a different bearer, a different name
    with expect_error("ConflictException", 409):
        messaging.create_channel(**{**params, "ChimeBearer": other})
    with expect_error("ConflictException", 409):
        messaging.create_channel(**{**params, "Name": "other"})
    listed = [
        c["ChannelArn"] for c in messaging.list_channels(AppInstanceArn=chime_app.arn, ChimeBearer=owner)["Channels"]
    ]
    assert listed == [first]


def test_create_channel_with_members_and_moderators(messaging, chime_app, new_chime_app):
    owner, m1, m2, mod = (chime_app.user() for _ in range(4))
    arn = chime_app.channel(owner, MemberArns=[m1, m2], ModeratorArns=[mod], Privacy="PUBLIC")
    assert set(chime_app.member_arns(arn, owner)) == {owner, m1, m2, mod}
    assert set(moderator_arns(messaging, arn, owner)) == {owner, mod}

    ghost = chime_app.user_arn("ghost")
    stranger = new_chime_app().user()
    for members, moderators, cid in (
        ([ghost], None, "bad-1"),
        ([stranger], None, "bad-2"),
        (None, [ghost], "bad-3"),
    ):
        kw = {"ChannelId": cid}
        if members:
            kw["MemberArns"] = members
        if moderators:
            kw["ModeratorArns"] = moderators
        with expect_error("BadRequestException", 400):
            chime_app.channel(owner, **kw)
        with expect_error("NotFoundException", 404):
            messaging.describe_channel(ChannelArn=chime_app.channel_arn(cid), ChimeBearer=owner)


def test_create_channel_validation(messaging, messaging_unchecked, chime_app):
    owner = chime_app.user()
    cases = [
        ("Name", {"Name": "n" * 257}),
        ("Metadata", {"Metadata": "m" * 1025}),
        ("ChannelId", {"ChannelId": "-bad-"}),
        ("Mode", {"Mode": "OPEN"}),
        ("Privacy", {"Privacy": "SECRET"}),
        (
            "ElasticChannelConfiguration",
            {
                "ElasticChannelConfiguration": {
                    "MaximumSubChannels": 2,
                    "TargetMembershipsPerSubChannel": 2,
                    "MinimumMembershipPercentage": 10,
                }
            },
        ),
        (
            "ExpirationSettings",
            {"ExpirationSettings": {"ExpirationDays": 1, "ExpirationCriterion": "CREATED_TIMESTAMP"}},
        ),
        ("Tags", {"Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]}),
    ]
    for member, extra in cases:
        with expect_error("BadRequestException", 400) as err:
            messaging_unchecked.create_channel(
                **{
                    "AppInstanceArn": chime_app.arn,
                    "Name": "n",
                    "ChimeBearer": owner,
                    "ClientRequestToken": token(),
                    **extra,
                }
            )
        assert member in err.message, (member, err.message)
    admin = chime_app.user()
    chime_app.admin(admin)
    for privacy in ("PUBLIC", "PRIVATE"):
        listed = messaging.list_channels(AppInstanceArn=chime_app.arn, ChimeBearer=admin, Privacy=privacy)
        assert listed.get("Channels", []) == [], "a refused CreateChannel created a channel"


def test_list_channels(messaging, chime_app):
    owner = chime_app.user()
    admin = chime_app.user()
    chime_app.admin(admin)
    pub1 = chime_app.channel(owner, Name="p1", Metadata="m1", Mode="RESTRICTED", Privacy="PUBLIC")
    tick()
    priv = chime_app.channel(owner, Name="secret", Privacy="PRIVATE")
    tick()
    pub2 = chime_app.channel(owner, Name="p2", Mode="UNRESTRICTED", Privacy="PUBLIC")

    resp = messaging.list_channels(AppInstanceArn=chime_app.arn, ChimeBearer=owner)
    assert [c["ChannelArn"] for c in resp["Channels"]] == [pub1, pub2]
    first = resp["Channels"][0]
    assert (first["Name"], first["Mode"], first["Privacy"], first["Metadata"]) == ("p1", "RESTRICTED", "PUBLIC", "m1")
    explicit = messaging.list_channels(AppInstanceArn=chime_app.arn, ChimeBearer=owner, Privacy="PUBLIC")
    assert [c["ChannelArn"] for c in explicit["Channels"]] == [pub1, pub2]
    items, pages = chime_paginate(
        messaging.list_channels, "Channels", AppInstanceArn=chime_app.arn, ChimeBearer=owner, MaxResults=1
    )
    assert [c["ChannelArn"] for c in items] == [pub1, pub2]
    assert len(pages) >= 2

    # PRIVATE: AppInstanceAdmins only (even the creator of the private channel is refused)
    private = messaging.list_channels(AppInstanceArn=chime_app.arn, ChimeBearer=admin, Privacy="PRIVATE")
    assert [c["ChannelArn"] for c in private["Channels"]] == [priv]
    assert private["Channels"][0]["Privacy"] == "PRIVATE"
    with expect_error("ForbiddenException", 403):
        messaging.list_channels(AppInstanceArn=chime_app.arn, ChimeBearer=owner, Privacy="PRIVATE")

    # LastMessageTimestamp appears once a message was sent
    before = now()
    chime_app.send(pub2, owner, push=False)
    after = now()
    listed = {
        c["ChannelArn"]: c for c in messaging.list_channels(AppInstanceArn=chime_app.arn, ChimeBearer=owner)["Channels"]
    }
    assert_recent(listed[pub2]["LastMessageTimestamp"], before, after)
    assert_recent(
        messaging.describe_channel(ChannelArn=pub2, ChimeBearer=owner)["Channel"]["LastMessageTimestamp"], before, after
    )


def test_delete_channel(messaging, chime_app):
    owner = chime_app.user()
    member = chime_app.user()
    admin = chime_app.user()
    chime_app.admin(admin)
    banned = chime_app.user()
    arn = chime_app.channel(owner, MemberArns=[member], ChannelId="doomed")
    chime_app.ban(arn, banned, owner)
    sent = chime_app.send(arn, member, push=False)

    with expect_error("ForbiddenException", 403):
        messaging.delete_channel(ChannelArn=arn, ChimeBearer=member)
    messaging.describe_channel(ChannelArn=arn, ChimeBearer=member)

    resp = messaging.delete_channel(ChannelArn=arn, ChimeBearer=owner)
    assert status_of(resp) == 204
    with expect_error("NotFoundException", 404):
        messaging.describe_channel(ChannelArn=arn, ChimeBearer=owner)
    with expect_error("NotFoundException", 404):
        messaging.get_channel_message(ChannelArn=arn, MessageId=sent["MessageId"], ChimeBearer=owner)
    with expect_error("NotFoundException", 404):
        messaging.delete_channel(ChannelArn=arn, ChimeBearer=owner)

    # the id is free again, and the new channel starts empty
    again = chime_app.channel(member, ChannelId="doomed")
    assert again == arn
    assert chime_app.member_arns(again, member) == [member]
    assert moderator_arns(messaging, again, member) == [member]
    assert ban_arns(messaging, again, member) == []
    assert message_ids(messaging, again, member) == []

    # an AppInstanceAdmin may delete too
    resp = messaging.delete_channel(ChannelArn=again, ChimeBearer=admin)
    assert status_of(resp) == 204


# ==========================================================================
# Memberships
# ==========================================================================


def test_channel_memberships(messaging, chime_app):
    owner = chime_app.user(name="Owner")
    alice = chime_app.user(name="Alice")
    bob = chime_app.user(name="Bob")
    hidden = chime_app.user(name="Hidden")
    arn = chime_app.channel(owner, Mode="RESTRICTED", Privacy="PRIVATE")
    tick()

    before = now()
    resp = messaging.create_channel_membership(ChannelArn=arn, MemberArn=alice, Type="DEFAULT", ChimeBearer=owner)
    after = now()
    assert status_of(resp) == 201
    assert resp["ChannelArn"] == arn
    assert resp["Member"] == {"Arn": alice, "Name": "Alice"}

    desc = messaging.describe_channel_membership(ChannelArn=arn, MemberArn=alice, ChimeBearer=owner)[
        "ChannelMembership"
    ]
    assert desc["ChannelArn"] == arn
    assert desc["Member"] == {"Arn": alice, "Name": "Alice"}
    assert desc["InvitedBy"] == {"Arn": owner, "Name": "Owner"}
    assert desc["Type"] == "DEFAULT"
    assert_recent(desc["CreatedTimestamp"], before, after)
    assert_recent(desc["LastUpdatedTimestamp"], before, after)
    assert "SubChannelId" not in desc
    tick()
    chime_app.add_member(arn, bob, owner)
    tick()
    chime_app.add_member(arn, hidden, owner, kind="HIDDEN")
    hidden_desc = messaging.describe_channel_membership(ChannelArn=arn, MemberArn=hidden, ChimeBearer=owner)
    assert hidden_desc["ChannelMembership"]["Type"] == "HIDDEN"

    listed = messaging.list_channel_memberships(ChannelArn=arn, ChimeBearer=owner)
    assert listed["ChannelArn"] == arn
    assert listed["ChannelMemberships"] == [
        {"Member": {"Arn": owner, "Name": "Owner"}},
        {"Member": {"Arn": alice, "Name": "Alice"}},
        {"Member": {"Arn": bob, "Name": "Bob"}},
    ]
    assert chime_app.member_arns(arn, owner, kind="DEFAULT") == [owner, alice, bob]
    assert chime_app.member_arns(arn, owner, kind="HIDDEN") == [hidden]
    items, pages = chime_paginate(
        messaging.list_channel_memberships, "ChannelMemberships", ChannelArn=arn, ChimeBearer=owner, MaxResults=1
    )
    assert [m["Member"]["Arn"] for m in items] == [owner, alice, bob]
    assert len(pages) >= 3

    # adding again succeeds and changes nothing
    again = messaging.create_channel_membership(ChannelArn=arn, MemberArn=alice, Type="DEFAULT", ChimeBearer=owner)
    assert again["Member"]["Arn"] == alice
    desc2 = messaging.describe_channel_membership(ChannelArn=arn, MemberArn=alice, ChimeBearer=owner)[
        "ChannelMembership"
    ]
    assert desc2["CreatedTimestamp"] == desc["CreatedTimestamp"]
    assert desc2["InvitedBy"] == desc["InvitedBy"]
    assert chime_app.member_arns(arn, owner) == [owner, alice, bob]

    resp = messaging.delete_channel_membership(ChannelArn=arn, MemberArn=bob, ChimeBearer=owner)
    assert status_of(resp) == 204
    with expect_error("NotFoundException", 404):
        messaging.describe_channel_membership(ChannelArn=arn, MemberArn=bob, ChimeBearer=owner)
    # removing a membership that does not exist is a 204
    resp = messaging.delete_channel_membership(ChannelArn=arn, MemberArn=bob, ChimeBearer=owner)
    assert status_of(resp) == 204
    # a member may remove themselves
    resp = messaging.delete_channel_membership(ChannelArn=arn, MemberArn=alice, ChimeBearer=alice)
    assert status_of(resp) == 204
    assert chime_app.member_arns(arn, owner) == [owner]
    assert chime_app.member_arns(arn, owner, kind="HIDDEN") == [hidden]


def test_batch_create_channel_membership(messaging, chime_app, new_chime_app):
    owner = chime_app.user(name="Owner")
    a = chime_app.user(name="A")
    b = chime_app.user(name="B")
    banned = chime_app.user()
    ghost = chime_app.user_arn("ghost")
    stranger = new_chime_app().user()
    arn = chime_app.channel(owner, Mode="RESTRICTED")
    chime_app.ban(arn, banned, owner)

    resp = messaging.batch_create_channel_membership(
        ChannelArn=arn, Type="DEFAULT", MemberArns=[a, ghost, b, banned, stranger], ChimeBearer=owner
    )
    assert status_of(resp) == 200
    batch = resp["BatchChannelMemberships"]
    assert batch["ChannelArn"] == arn
    assert batch["InvitedBy"] == {"Arn": owner, "Name": "Owner"}
    assert batch["Type"] == "DEFAULT"
    assert sorted((m["Arn"], m["Name"]) for m in batch["Members"]) == sorted([(a, "A"), (b, "B")])
    errors = {e["MemberArn"]: e["ErrorCode"] for e in resp.get("Errors", [])}
    assert errors == {ghost: "NotFound", stranger: "NotFound", banned: "Forbidden"}
    assert set(chime_app.member_arns(arn, owner)) == {owner, a, b}
    assert banned in ban_arns(messaging, arn, owner)

    hidden = chime_app.user()
    resp = messaging.batch_create_channel_membership(
        ChannelArn=arn, Type="HIDDEN", MemberArns=[hidden], ChimeBearer=owner
    )
    assert resp["BatchChannelMemberships"]["Type"] == "HIDDEN"
    assert resp.get("Errors", []) == []
    assert chime_app.member_arns(arn, owner, kind="HIDDEN") == [hidden]
    # existing members again: success, no change
    resp = messaging.batch_create_channel_membership(
        ChannelArn=arn, Type="DEFAULT", MemberArns=[a, b], ChimeBearer=owner
    )
    assert resp.get("Errors", []) == []
    assert set(chime_app.member_arns(arn, owner)) == {owner, a, b}


def test_adding_users_that_do_not_exist(messaging, chime_app, new_chime_app):
    owner = chime_app.user()
    arn = chime_app.channel(owner)
    ghost = chime_app.user_arn("ghost")
    stranger = new_chime_app().user()
    for user in (ghost, stranger):
        with expect_error("NotFoundException", 404):
            chime_app.add_member(arn, user, owner)
        with expect_error("BadRequestException", 400):
            chime_app.add_moderator(arn, user, owner)
        with expect_error("BadRequestException", 400):
            chime_app.ban(arn, user, owner)
    assert chime_app.member_arns(arn, owner) == [owner]
    assert moderator_arns(messaging, arn, owner) == [owner]
    assert ban_arns(messaging, arn, owner) == []


# ==========================================================================
# Moderators
# ==========================================================================


def test_channel_moderators(messaging, chime_app):
    owner = chime_app.user(name="Owner")
    mod = chime_app.user(name="Mod")
    newbie = chime_app.user()
    arn = chime_app.channel(owner, MemberArns=[mod], Mode="RESTRICTED", Privacy="PUBLIC")
    tick()

    # a plain member may not add members to a RESTRICTED channel, nor make moderators
    with expect_error("ForbiddenException", 403):
        chime_app.add_member(arn, newbie, mod)
    with expect_error("ForbiddenException", 403):
        chime_app.add_moderator(arn, mod, mod)

    resp = messaging.create_channel_moderator(ChannelArn=arn, ChannelModeratorArn=mod, ChimeBearer=owner)
    assert status_of(resp) == 201
    assert resp["ChannelArn"] == arn
    assert resp["ChannelModerator"] == {"Arn": mod, "Name": "Mod"}
    again = messaging.create_channel_moderator(ChannelArn=arn, ChannelModeratorArn=mod, ChimeBearer=owner)
    assert again["ChannelModerator"]["Arn"] == mod

    listed = messaging.list_channel_moderators(ChannelArn=arn, ChimeBearer=owner)
    assert listed["ChannelArn"] == arn
    assert listed["ChannelModerators"] == [
        {"Moderator": {"Arn": owner, "Name": "Owner"}},
        {"Moderator": {"Arn": mod, "Name": "Mod"}},
    ]
    items, pages = chime_paginate(
        messaging.list_channel_moderators, "ChannelModerators", ChannelArn=arn, ChimeBearer=owner, MaxResults=1
    )
    assert [m["Moderator"]["Arn"] for m in items] == [owner, mod]

    # now the moderator may add members
    chime_app.add_member(arn, newbie, mod)
    # a plain member may not remove a moderator
    with expect_error("ForbiddenException", 403):
        messaging.delete_channel_moderator(ChannelArn=arn, ChannelModeratorArn=owner, ChimeBearer=newbie)

    resp = messaging.delete_channel_moderator(ChannelArn=arn, ChannelModeratorArn=mod, ChimeBearer=owner)
    assert status_of(resp) == 204
    resp = messaging.delete_channel_moderator(ChannelArn=arn, ChannelModeratorArn=mod, ChimeBearer=owner)
    assert status_of(resp) == 204
    assert moderator_arns(messaging, arn, owner) == [owner]
    # still a member
    messaging.describe_channel_membership(ChannelArn=arn, MemberArn=mod, ChimeBearer=owner)


# ==========================================================================
# Bans
# ==========================================================================


def test_channel_bans(messaging, chime_app):
    owner = chime_app.user(name="Owner")
    victim = chime_app.user(name="Victim")
    arn = chime_app.channel(owner, ModeratorArns=[victim], Privacy="PUBLIC", Mode="RESTRICTED")
    chime_app.set_prefs(arn, victim, "NONE")
    assert victim in moderator_arns(messaging, arn, owner)

    before = now()
    resp = messaging.create_channel_ban(ChannelArn=arn, MemberArn=victim, ChimeBearer=owner)
    after = now()
    assert status_of(resp) == 201
    assert resp["ChannelArn"] == arn
    assert resp["Member"] == {"Arn": victim, "Name": "Victim"}

    ban = messaging.describe_channel_ban(ChannelArn=arn, MemberArn=victim, ChimeBearer=owner)["ChannelBan"]
    assert ban["ChannelArn"] == arn
    assert ban["Member"] == {"Arn": victim, "Name": "Victim"}
    assert ban["CreatedBy"] == {"Arn": owner, "Name": "Owner"}
    assert_recent(ban["CreatedTimestamp"], before, after)

    listed = messaging.list_channel_bans(ChannelArn=arn, ChimeBearer=owner)
    assert listed["ChannelArn"] == arn
    assert listed["ChannelBans"] == [{"Member": {"Arn": victim, "Name": "Victim"}}]

    # a ban removes the membership and the moderator role
    assert victim not in chime_app.member_arns(arn, owner)
    assert moderator_arns(messaging, arn, owner) == [owner]
    with expect_error("NotFoundException", 404):
        messaging.describe_channel_membership(ChannelArn=arn, MemberArn=victim, ChimeBearer=owner)

    # banning again succeeds and changes nothing
    messaging.create_channel_ban(ChannelArn=arn, MemberArn=victim, ChimeBearer=owner)
    ban2 = messaging.describe_channel_ban(ChannelArn=arn, MemberArn=victim, ChimeBearer=owner)["ChannelBan"]
    assert ban2["CreatedTimestamp"] == ban["CreatedTimestamp"]
    assert ban_arns(messaging, arn, owner) == [victim]

    # a banned user cannot be added back, nor made a moderator, nor send
    with expect_error("ForbiddenException", 403):
        chime_app.add_member(arn, victim, owner)
    with expect_error("ForbiddenException", 403):
        chime_app.add_moderator(arn, victim, owner)
    with expect_error("ForbiddenException", 403):
        chime_app.send(arn, victim, push=False)
    assert victim not in chime_app.member_arns(arn, owner)
    assert moderator_arns(messaging, arn, owner) == [owner]

    resp = messaging.delete_channel_ban(ChannelArn=arn, MemberArn=victim, ChimeBearer=owner)
    assert status_of(resp) == 204
    with expect_error("NotFoundException", 404):
        messaging.describe_channel_ban(ChannelArn=arn, MemberArn=victim, ChimeBearer=owner)
    resp = messaging.delete_channel_ban(ChannelArn=arn, MemberArn=victim, ChimeBearer=owner)
    assert status_of(resp) == 204
    assert ban_arns(messaging, arn, owner) == []

    # unbanned: may be added again, and the old preferences are gone
    chime_app.add_member(arn, victim, owner)
    prefs = chime_app.get_prefs(arn, victim)
    assert "PushNotifications" not in prefs["Preferences"]


def test_ban_of_a_non_member_keeps_them_out(messaging, chime_app):
    owner = chime_app.user()
    outsider = chime_app.user()
    arn = chime_app.channel(owner, Mode="UNRESTRICTED", Privacy="PUBLIC")
    chime_app.ban(arn, outsider, owner)
    # even in a PUBLIC UNRESTRICTED channel, a banned user may not add themselves
    with expect_error("ForbiddenException", 403):
        chime_app.add_member(arn, outsider, outsider)
    assert outsider not in chime_app.member_arns(arn, owner)


# ==========================================================================
# Who may do what
# ==========================================================================


def test_who_may_read_a_channel(messaging, chime_app):
    owner = chime_app.user()
    member = chime_app.user()
    outsider = chime_app.user()
    admin = chime_app.user()
    chime_app.admin(admin)
    public = chime_app.channel(owner, MemberArns=[member], Privacy="PUBLIC")
    private = chime_app.channel(owner, MemberArns=[member], Privacy="PRIVATE")

    # PUBLIC: any user of the app instance
    messaging.describe_channel(ChannelArn=public, ChimeBearer=outsider)
    messaging.describe_channel_membership(ChannelArn=public, MemberArn=member, ChimeBearer=outsider)
    assert set(chime_app.member_arns(public, outsider)) == {owner, member}
    assert moderator_arns(messaging, public, outsider) == [owner]
    # PRIVATE: members, moderators, admins
    for bearer in (owner, member, admin):
        messaging.describe_channel(ChannelArn=private, ChimeBearer=bearer)
        messaging.describe_channel_membership(ChannelArn=private, MemberArn=member, ChimeBearer=bearer)
        assert set(chime_app.member_arns(private, bearer)) == {owner, member}
        assert moderator_arns(messaging, private, bearer) == [owner]
    expect_each(
        "ForbiddenException",
        403,
        [
            ("DescribeChannel", lambda: messaging.describe_channel(ChannelArn=private, ChimeBearer=outsider)),
            (
                "DescribeChannelMembership",
                lambda: messaging.describe_channel_membership(
                    ChannelArn=private, MemberArn=member, ChimeBearer=outsider
                ),
            ),
            (
                "ListChannelMemberships",
                lambda: messaging.list_channel_memberships(ChannelArn=private, ChimeBearer=outsider),
            ),
            (
                "ListChannelModerators",
                lambda: messaging.list_channel_moderators(ChannelArn=private, ChimeBearer=outsider),
            ),
        ],
    )


def test_who_may_add_and_remove_members(messaging, chime_app):
    owner = chime_app.user()
    member = chime_app.user()
    outsider = chime_app.user()
    admin = chime_app.user()
    chime_app.admin(admin)
    users = [chime_app.user() for _ in range(8)]
    restricted = chime_app.channel(owner, MemberArns=[member], Mode="RESTRICTED", Privacy="PUBLIC")
    open_private = chime_app.channel(owner, MemberArns=[member], Mode="UNRESTRICTED", Privacy="PRIVATE")
    open_public = chime_app.channel(owner, MemberArns=[member], Mode="UNRESTRICTED", Privacy="PUBLIC")

    # RESTRICTED: moderators and admins only
    expect_each(
        "ForbiddenException",
        403,
        [
            ("member adds to RESTRICTED", lambda: chime_app.add_member(restricted, users[0], member)),
            (
                "member batch-adds to RESTRICTED",
                lambda: messaging.batch_create_channel_membership(
                    ChannelArn=restricted, Type="DEFAULT", MemberArns=[users[0]], ChimeBearer=member
                ),
            ),
            ("outsider adds self to RESTRICTED", lambda: chime_app.add_member(restricted, outsider, outsider)),
            (
                "outsider adds self to PRIVATE UNRESTRICTED",
                lambda: chime_app.add_member(open_private, outsider, outsider),
            ),
            (
                "outsider adds another to PUBLIC UNRESTRICTED",
                lambda: chime_app.add_member(open_public, users[1], outsider),
            ),
        ],
    )
    assert set(chime_app.member_arns(restricted, owner)) == {owner, member}
    assert set(chime_app.member_arns(open_private, owner)) == {owner, member}
    assert set(chime_app.member_arns(open_public, owner)) == {owner, member}

    chime_app.add_member(restricted, users[2], owner)
    chime_app.add_member(restricted, users[3], admin)
    # UNRESTRICTED: members too
    chime_app.add_member(open_private, users[4], member)
    messaging.batch_create_channel_membership(
        ChannelArn=open_private, Type="DEFAULT", MemberArns=[users[5]], ChimeBearer=member
    )
    # PUBLIC UNRESTRICTED: anyone may add themselves
    chime_app.add_member(open_public, outsider, outsider)
    assert set(chime_app.member_arns(restricted, owner)) == {owner, member, users[2], users[3]}
    assert set(chime_app.member_arns(open_private, owner)) == {owner, member, users[4], users[5]}
    assert set(chime_app.member_arns(open_public, owner)) == {owner, member, outsider}

    # removing: moderators, admins, and the member themselves
    with expect_error("ForbiddenException", 403):
        messaging.delete_channel_membership(ChannelArn=restricted, MemberArn=users[2], ChimeBearer=member)
    with expect_error("ForbiddenException", 403):
        messaging.delete_channel_membership(ChannelArn=open_private, MemberArn=users[4], ChimeBearer=member)
    messaging.delete_channel_membership(ChannelArn=restricted, MemberArn=users[2], ChimeBearer=admin)
    messaging.delete_channel_membership(ChannelArn=restricted, MemberArn=users[3], ChimeBearer=owner)
    messaging.delete_channel_membership(ChannelArn=open_private, MemberArn=users[4], ChimeBearer=users[4])
    assert set(chime_app.member_arns(restricted, owner)) == {owner, member}
    assert set(chime_app.member_arns(open_private, owner)) == {owner, member, users[5]}


def test_who_may_moderate(messaging, chime_app):
    owner = chime_app.user()
    member = chime_app.user()
    other = chime_app.user()
    admin = chime_app.user()
    chime_app.admin(admin)
    arn = chime_app.channel(owner, MemberArns=[member, other], Mode="UNRESTRICTED", Privacy="PUBLIC")
    chime_app.ban(arn, chime_app.user(), owner)
    expect_each(
        "ForbiddenException",
        403,
        [
            ("CreateChannelModerator", lambda: chime_app.add_moderator(arn, other, member)),
            (
                "DeleteChannelModerator",
                lambda: messaging.delete_channel_moderator(
                    ChannelArn=arn, ChannelModeratorArn=owner, ChimeBearer=member
                ),
            ),
            ("CreateChannelBan", lambda: chime_app.ban(arn, other, member)),
            (
                "DescribeChannelBan",
                lambda: messaging.describe_channel_ban(ChannelArn=arn, MemberArn=other, ChimeBearer=member),
            ),
            ("ListChannelBans", lambda: messaging.list_channel_bans(ChannelArn=arn, ChimeBearer=member)),
            (
                "DeleteChannelBan",
                lambda: messaging.delete_channel_ban(ChannelArn=arn, MemberArn=other, ChimeBearer=member),
            ),
            ("DeleteChannel", lambda: messaging.delete_channel(ChannelArn=arn, ChimeBearer=member)),
        ],
    )
    assert moderator_arns(messaging, arn, owner) == [owner]
    assert len(ban_arns(messaging, arn, owner)) == 1
    assert other in chime_app.member_arns(arn, owner)
    # an AppInstanceAdmin acts as a moderator of every channel
    chime_app.add_moderator(arn, other, admin)
    assert moderator_arns(messaging, arn, admin) == [owner, other]
    chime_app.ban(arn, member, admin)
    assert member in ban_arns(messaging, arn, admin)
    messaging.describe_channel_ban(ChannelArn=arn, MemberArn=member, ChimeBearer=admin)
    messaging.delete_channel_ban(ChannelArn=arn, MemberArn=member, ChimeBearer=admin)
    messaging.delete_channel_moderator(ChannelArn=arn, ChannelModeratorArn=other, ChimeBearer=admin)
    assert moderator_arns(messaging, arn, admin) == [owner]
    # a moderator the owner makes may ban too
    chime_app.add_moderator(arn, other, owner)
    chime_app.ban(arn, member, other)
    assert member in ban_arns(messaging, arn, other)


def test_who_may_send_and_read_messages(messaging, chime_app):
    owner = chime_app.user()
    member = chime_app.user()
    hidden = chime_app.user()
    outsider = chime_app.user()
    admin = chime_app.user()
    chime_app.admin(admin)
    arn = chime_app.channel(owner, MemberArns=[member], Privacy="PUBLIC", Mode="UNRESTRICTED")
    chime_app.add_member(arn, hidden, owner, kind="HIDDEN")

    sent = [
        chime_app.send(arn, who, f"from {i}", push=False)["MessageId"] for i, who in enumerate((owner, member, hidden))
    ]
    expect_each(
        "ForbiddenException",
        403,
        [
            ("admin (not a member) sends", lambda: chime_app.send(arn, admin, push=False)),
            ("outsider sends", lambda: chime_app.send(arn, outsider, push=False)),
            (
                "outsider gets",
                lambda: messaging.get_channel_message(ChannelArn=arn, MessageId=sent[0], ChimeBearer=outsider),
            ),
            ("outsider lists", lambda: messaging.list_channel_messages(ChannelArn=arn, ChimeBearer=outsider)),
        ],
    )
    for bearer in (owner, member, hidden, admin):
        assert message_ids(messaging, arn, bearer) == list(reversed(sent)), bearer
        messaging.get_channel_message(ChannelArn=arn, MessageId=sent[1], ChimeBearer=bearer)


# ==========================================================================
# The bearer
# ==========================================================================


def test_bearer_must_be_a_user_of_the_app_instance(messaging, chime_app, new_chime_app):
    owner = chime_app.user()
    arn = chime_app.channel(owner, Privacy="PUBLIC", Mode="UNRESTRICTED")
    sent = chime_app.send(arn, owner, push=False)["MessageId"]
    ghost = chime_app.user_arn("ghost")
    stranger = new_chime_app().user()
    cases = []
    for name, bearer in (("ghost", ghost), ("stranger", stranger)):
        cases += [
            (f"{name}: DescribeChannel", lambda b=bearer: messaging.describe_channel(ChannelArn=arn, ChimeBearer=b)),
            (f"{name}: SendChannelMessage", lambda b=bearer: chime_app.send(arn, b, push=False)),
            (
                f"{name}: GetChannelMessage",
                lambda b=bearer: messaging.get_channel_message(ChannelArn=arn, MessageId=sent, ChimeBearer=b),
            ),
            (
                f"{name}: ListChannels",
                lambda b=bearer: messaging.list_channels(AppInstanceArn=chime_app.arn, ChimeBearer=b),
            ),
            (f"{name}: CreateChannel", lambda b=bearer: chime_app.channel(b)),
            (f"{name}: joins", lambda b=bearer: chime_app.add_member(arn, owner, b)),
            (f"{name}: GetChannelMembershipPreferences", lambda b=bearer: chime_app.get_prefs(arn, owner, bearer=b)),
        ]
    expect_each("UnauthorizedClientException", 401, cases)
    assert [
        c["ChannelArn"] for c in messaging.list_channels(AppInstanceArn=chime_app.arn, ChimeBearer=owner)["Channels"]
    ] == [arn]
    assert message_ids(messaging, arn, owner) == [sent]


def test_missing_bearer_is_bad_request_naming_the_header(messaging_unchecked, chime_app):
    owner = chime_app.user()
    arn = chime_app.channel(owner)
    for call in (
        lambda: messaging_unchecked.describe_channel(ChannelArn=arn),
        lambda: messaging_unchecked.create_channel(AppInstanceArn=chime_app.arn, Name="n", ClientRequestToken=token()),
        lambda: messaging_unchecked.send_channel_message(
            ChannelArn=arn, Content="x", Type="STANDARD", Persistence="PERSISTENT", ClientRequestToken=token()
        ),
    ):
        with expect_error("BadRequestException", 400) as err:
            call()
        assert "ChimeBearer" in err.message and "x-amz-chime-bearer" in err.message, err.message


def test_channel_arn_that_names_nothing_is_not_found(messaging, chime_app):
    owner = chime_app.user()
    arn = chime_app.channel(owner)
    missing = chime_app.channel_arn("missing")
    with expect_error("NotFoundException", 404):
        messaging.describe_channel(ChannelArn=missing, ChimeBearer=owner)
    with expect_error("NotFoundException", 404):
        messaging.delete_channel(ChannelArn=missing, ChimeBearer=owner)
    with expect_error("NotFoundException", 404):
        chime_app.send(missing, owner, push=False)
    with expect_error("NotFoundException", 404):
        messaging.list_channel_memberships(ChannelArn=missing, ChimeBearer=owner)
    messaging.describe_channel(ChannelArn=arn, ChimeBearer=owner)


def test_channel_arn_of_another_account_region_or_kind_names_nothing(messaging, chime_app):
    """Such an ARN names nothing, so it is never acted on. Whether the
    answer is 404 (the channel does not exist) or 401 (the bearer is not a
    user of the app instance the ARN names) the contract leaves open."""
    owner = chime_app.user()
    arn = chime_app.channel(owner)
    chime_app.send(arn, owner, push=False)
    allowed = {("NotFoundException", 404), ("UnauthorizedClientException", 401)}
    problems = []
    for missing in (other_account(arn), other_region(arn), owner, chime_app.arn):
        for name, call in (
            ("DescribeChannel", lambda m=missing: messaging.describe_channel(ChannelArn=m, ChimeBearer=owner)),
            ("DeleteChannel", lambda m=missing: messaging.delete_channel(ChannelArn=m, ChimeBearer=owner)),
            ("SendChannelMessage", lambda m=missing: chime_app.send(m, owner, push=False)),
        ):
            try:
                call()
                problems.append(f"{name}({missing}) succeeded")
            except ClientError as e:
                got = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
                if got not in allowed:
                    problems.append(f"{name}({missing}): {got}")
    assert not problems, "\n".join(problems)
    messaging.describe_channel(ChannelArn=arn, ChimeBearer=owner)
    assert len(message_ids(messaging, arn, owner)) == 1


# ==========================================================================
# Messages
# ==========================================================================


def test_send_and_get_channel_message(messaging, chime_app):
    sender = chime_app.user(name="Sender")
    reader = chime_app.user()
    arn = chime_app.channel(sender, MemberArns=[reader])
    before = now()
    resp = chime_app.send(
        arn,
        sender,
        "first message",
        push=False,
        Metadata="meta",
        ContentType="text/plain",
        attributes={"k": ["v1", "v2"], "other": ["x"]},
    )
    after = now()
    assert status_of(resp) == 201
    assert resp["ChannelArn"] == arn
    assert HEX32_RE.match(resp["MessageId"]), resp["MessageId"]
    assert resp["Status"]["Value"] == "SENT"
    assert "SubChannelId" not in resp

    msg = messaging.get_channel_message(ChannelArn=arn, MessageId=resp["MessageId"], ChimeBearer=reader)[
        "ChannelMessage"
    ]
    assert msg["ChannelArn"] == arn
    assert msg["MessageId"] == resp["MessageId"]
    assert msg["Content"] == "first message"
    assert msg["Metadata"] == "meta"
    assert msg["Type"] == "STANDARD"
    assert msg["Persistence"] == "PERSISTENT"
    assert msg["ContentType"] == "text/plain"
    assert msg["Sender"] == {"Arn": sender, "Name": "Sender"}
    assert msg["Redacted"] is False
    assert msg["Status"]["Value"] == "SENT"
    assert msg["MessageAttributes"] == attrs({"k": ["v1", "v2"], "other": ["x"]})
    assert_recent(msg["CreatedTimestamp"], before, after)
    assert_recent(msg["LastUpdatedTimestamp"], before, after)
    for absent in ("SubChannelId", "Target"):
        assert absent not in msg, absent

    control = chime_app.send(arn, reader, "ctl", push=False, Type="CONTROL")
    got = messaging.get_channel_message(ChannelArn=arn, MessageId=control["MessageId"], ChimeBearer=sender)
    assert got["ChannelMessage"]["Type"] == "CONTROL"
    assert control["MessageId"] != resp["MessageId"]

    with expect_error("NotFoundException", 404):
        messaging.get_channel_message(ChannelArn=arn, MessageId="0" * 32, ChimeBearer=sender)


def test_list_channel_messages_order_bounds_and_paging(messaging, chime_app):
    owner = chime_app.user()
    arn = chime_app.channel(owner)
    ids = []
    for i in range(4):
        ids.append(chime_app.send(arn, owner, f"m{i}", push=False)["MessageId"])
        time.sleep(0.03)
    resp = messaging.list_channel_messages(ChannelArn=arn, ChimeBearer=owner)
    assert resp["ChannelArn"] == arn
    assert [m["MessageId"] for m in resp["ChannelMessages"]] == list(reversed(ids))
    item = resp["ChannelMessages"][-1]
    assert item["Content"] == "m0"
    assert item["Type"] == "STANDARD"
    assert item["Sender"]["Arn"] == owner
    assert item["Redacted"] is False
    assert item["Status"]["Value"] == "SENT"
    assert isinstance(item["CreatedTimestamp"], datetime)

    assert message_ids(messaging, arn, owner, SortOrder="DESCENDING") == list(reversed(ids))
    assert message_ids(messaging, arn, owner, SortOrder="ASCENDING") == ids
    assert message_ids(messaging, arn, owner, SortOrder="ASCENDING", MaxResults=1) == ids
    assert message_ids(messaging, arn, owner, MaxResults=3) == list(reversed(ids))

    created = {m["MessageId"]: m["CreatedTimestamp"] for m in resp["ChannelMessages"]}
    lo, hi = created[ids[1]], created[ids[2]]
    # inclusive bounds
    assert message_ids(messaging, arn, owner, NotBefore=lo, NotAfter=hi) == [ids[2], ids[1]]
    assert message_ids(messaging, arn, owner, NotBefore=lo, NotAfter=hi, SortOrder="ASCENDING") == [ids[1], ids[2]]
    assert message_ids(messaging, arn, owner, NotBefore=hi) == [ids[3], ids[2]]
    assert message_ids(messaging, arn, owner, NotAfter=lo) == [ids[1], ids[0]]

    # a token is bound to its parameters
    page = messaging.list_channel_messages(ChannelArn=arn, ChimeBearer=owner, MaxResults=1)
    with expect_error("BadRequestException", 400):
        messaging.list_channel_messages(
            ChannelArn=arn, ChimeBearer=owner, MaxResults=1, SortOrder="ASCENDING", NextToken=page["NextToken"]
        )
    other = chime_app.channel(owner)
    with expect_error("BadRequestException", 400):
        messaging.list_channel_messages(ChannelArn=other, ChimeBearer=owner, MaxResults=1, NextToken=page["NextToken"])


def test_non_persistent_message_is_not_kept(messaging, chime_app):
    owner = chime_app.user()
    arn = chime_app.channel(owner)
    kept = chime_app.send(arn, owner, "kept", push=False)["MessageId"]
    gone = chime_app.send(arn, owner, "gone", push=False, Persistence="NON_PERSISTENT")
    assert status_of(gone) == 201
    assert gone["Status"]["Value"] == "SENT"
    assert HEX32_RE.match(gone["MessageId"])
    with expect_error("NotFoundException", 404):
        messaging.get_channel_message(ChannelArn=arn, MessageId=gone["MessageId"], ChimeBearer=owner)
    assert message_ids(messaging, arn, owner) == [kept]
    assert message_ids(messaging, arn, owner, SortOrder="ASCENDING") == [kept]


def test_send_channel_message_validation(messaging, messaging_unchecked, chime_app):
    owner = chime_app.user()
    arn = chime_app.channel(owner)
    big_attrs = {"a" * 64: ["v" * 512], "b" * 64: ["w" * 385]}  # 1025 bytes
    cases = [
        ("Content", {"Content": "x" * 4097}),
        ("Content", {"Content": ""}),
        ("Metadata", {"Metadata": "m" * 1025}),
        ("ContentType", {"ContentType": "c" * 46}),
        ("Type", {"Type": "URGENT"}),
        ("Persistence", {"Persistence": "FOREVER"}),
        ("Title", {"PushNotification": {"Title": "t" * 51, "Body": "b"}}),
        ("Body", {"PushNotification": {"Title": "t", "Body": "b" * 151}}),
        ("Title", {"PushNotification": {"Title": "", "Body": "b"}}),
        ("Type", {"PushNotification": {"Title": "t", "Body": "b", "Type": "LOUD"}}),
        ("MessageAttributes", {"MessageAttributes": attrs(big_attrs)}),
        ("SubChannelId", {"SubChannelId": "sub1"}),
        ("Target", {"Target": [{"MemberArn": owner}]}),
    ]
    problems = []
    for member, extra in cases:
        params = dict(
            ChannelArn=arn,
            Content="hello",
            Type="STANDARD",
            Persistence="PERSISTENT",
            ChimeBearer=owner,
            ClientRequestToken=token(),
        )
        params.update(extra)
        try:
            with expect_error("BadRequestException", 400) as err:
                messaging_unchecked.send_channel_message(**params)
            if member not in err.message:
                problems.append(f"{member}: message does not name it: {err.message!r}")
        except (AssertionError, pytest.fail.Exception) as e:
            problems.append(f"{member} {str(extra)[:80]}: {e}")
    assert not problems, "\n".join(problems)
    assert message_ids(messaging, arn, owner) == [], "a refused SendChannelMessage stored a message"

    # the limits themselves are fine
    ok_attrs = {"a" * 64: ["v" * 512], "b" * 64: ["w" * 384]}  # 1024 bytes
    chime_app.send(
        arn,
        owner,
        "x" * 4096,
        push={"Title": "t" * 50, "Body": "b" * 150, "Type": "VOIP"},
        Metadata="m" * 1024,
        ContentType="c" * 45,
        attributes=ok_attrs,
    )
    assert len(message_ids(messaging, arn, owner)) == 1


def test_sub_channels_are_refused(messaging, messaging_unchecked, chime_app):
    owner = chime_app.user()
    member = chime_app.user()
    arn = chime_app.channel(owner)
    sent = chime_app.send(arn, owner, push=False)["MessageId"]
    for call in (
        lambda: messaging.list_channel_messages(ChannelArn=arn, ChimeBearer=owner, SubChannelId="sub1"),
        lambda: messaging.get_channel_message(ChannelArn=arn, MessageId=sent, ChimeBearer=owner, SubChannelId="sub1"),
        lambda: messaging.list_channel_memberships(ChannelArn=arn, ChimeBearer=owner, SubChannelId="sub1"),
        lambda: messaging.describe_channel_membership(
            ChannelArn=arn, MemberArn=owner, ChimeBearer=owner, SubChannelId="sub1"
        ),
        lambda: messaging.create_channel_membership(
            ChannelArn=arn, MemberArn=member, Type="DEFAULT", ChimeBearer=owner, SubChannelId="sub1"
        ),
        lambda: messaging.batch_create_channel_membership(
            ChannelArn=arn, MemberArns=[member], Type="DEFAULT", ChimeBearer=owner, SubChannelId="sub1"
        ),
        lambda: messaging.delete_channel_membership(
            ChannelArn=arn, MemberArn=owner, ChimeBearer=owner, SubChannelId="sub1"
        ),
    ):
        with expect_error("BadRequestException", 400) as err:
            call()
        assert "SubChannelId" in err.message or "sub-channel-id" in err.message, err.message
    assert chime_app.member_arns(arn, owner) == [owner]


def test_listing_parameters_are_checked(messaging, messaging_unchecked, chime_app):
    owner = chime_app.user()
    a = chime_app.channel(owner)
    b = chime_app.channel(owner)
    for user in [chime_app.user() for _ in range(2)]:
        chime_app.add_member(a, user, owner)
        chime_app.add_member(b, user, owner)
    for bad in (0, 51):
        with expect_error("BadRequestException", 400):
            messaging_unchecked.list_channel_memberships(ChannelArn=a, ChimeBearer=owner, MaxResults=bad)
        with expect_error("BadRequestException", 400):
            messaging_unchecked.list_channel_messages(ChannelArn=a, ChimeBearer=owner, MaxResults=bad)
        with expect_error("BadRequestException", 400):
            messaging_unchecked.list_channels(AppInstanceArn=chime_app.arn, ChimeBearer=owner, MaxResults=bad)
    with expect_error("BadRequestException", 400):
        messaging.list_channel_memberships(ChannelArn=a, ChimeBearer=owner, NextToken="garbage")
    page = messaging.list_channel_memberships(ChannelArn=a, ChimeBearer=owner, MaxResults=1)
    assert page.get("NextToken")
    with expect_error("BadRequestException", 400):
        messaging.list_channel_memberships(ChannelArn=b, ChimeBearer=owner, MaxResults=1, NextToken=page["NextToken"])
    with expect_error("BadRequestException", 400):
        messaging.list_channel_memberships(
            ChannelArn=a, ChimeBearer=owner, MaxResults=1, Type="HIDDEN", NextToken=page["NextToken"]
        )
    with expect_error("BadRequestException", 400):
        messaging.list_channel_moderators(ChannelArn=a, ChimeBearer=owner, MaxResults=1, NextToken=page["NextToken"])
    # the token itself still works where it belongs
    rest = messaging.list_channel_memberships(
        ChannelArn=a, ChimeBearer=owner, MaxResults=1, NextToken=page["NextToken"]
    )
    assert rest["ChannelMemberships"]


def test_only_moderators_add_hidden_members(messaging, chime_app):
    alice, bob, carol = chime_app.user(), chime_app.user(), chime_app.user()
    channel = chime_app.channel(alice)  # PUBLIC, UNRESTRICTED
    chime_app.add_member(channel, bob, alice)
    # A member of an unrestricted channel may add others, but not hidden.
    with expect_error("ForbiddenException", 403):
        messaging.create_channel_membership(
            ChannelArn=channel, MemberArn=carol, Type="HIDDEN", ChimeBearer=bob
        )
    # Nor may anyone join a public channel hidden by themselves.
    with expect_error("ForbiddenException", 403):
        messaging.create_channel_membership(
            ChannelArn=channel, MemberArn=carol, Type="HIDDEN", ChimeBearer=carol
        )
    assert carol not in chime_app.member_arns(channel, alice, kind="HIDDEN")
    # The moderator may.
    chime_app.add_member(channel, carol, alice, kind="HIDDEN")
    assert carol in chime_app.member_arns(channel, alice, kind="HIDDEN")


def test_unimplemented_operations_sharing_a_path_are_refused_not_misread(messaging, chime_app):
    alice = chime_app.user()
    channel = chime_app.channel(alice)
    # Same path as DescribeChannel, told apart only by ?scope=...
    with expect_error("UnknownOperationException", 404):
        messaging.describe_channel_membership_for_app_instance_user(
            ChannelArn=channel, AppInstanceUserArn=alice, ChimeBearer=alice
        )
    # Same path as CreateChannel, told apart only by ?operation=search.
    with expect_error("UnknownOperationException", 404):
        messaging.search_channels(
            Fields=[{"Key": "MEMBERS", "Values": [alice], "Operator": "EQUALS"}], ChimeBearer=alice
        )
