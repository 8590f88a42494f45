"""boto3 end-to-end tests of Herald's Chime SDK Identity (and of the keys
that may call Chime).

The behaviour checked here is docs/chime-semantics.md; the wire shapes are
AWS's (shared/spec/chime-sdk-identity.json). Errors are checked as botocore
parses them: ``Error.Code`` and ``ResponseMetadata.HTTPStatusCode``.
"""

from __future__ import annotations

import json
import signal
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from chime_testlib import (
    HEX32_RE,
    PINPOINT_ARN,
    ChimeApp,
    app_instance_arn_re,
    chime_paginate,
    expect_each,
    key,
    make_chime_client,
    push_deliveries,
    push_deliveries_raw,
    status_of,
    token,
    wait_for,
    write_keys,
)
from herald_testlib import ACCOUNT_ID, REGION, expect_error, signed_request

SLACK = timedelta(seconds=3)


def now() -> datetime:
    return datetime.now(timezone.utc)


def assert_recent(ts, before: datetime, after: datetime) -> None:
    assert isinstance(ts, datetime), ts
    assert before - SLACK <= ts <= after + SLACK, (ts, before, after)


def tick() -> None:
    """Keep creation times apart so "oldest first" is unambiguous."""
    time.sleep(0.02)


def other_account(arn: str) -> str:
    return arn.replace(f":{ACCOUNT_ID}:", ":111122223333:", 1)


def other_region(arn: str) -> str:
    return arn.replace(f":{REGION}:", ":eu-west-1:", 1)


# ==========================================================================
# AppInstances
# ==========================================================================


def test_create_and_describe_app_instance(identity):
    before = now()
    resp = identity.create_app_instance(
        Name="Herald test app",
        Metadata="some metadata",
        ClientRequestToken=token(),
        Tags=[{"Key": "team", "Value": "ops"}],
    )
    after = now()
    assert status_of(resp) == 201
    arn = resp["AppInstanceArn"]
    assert app_instance_arn_re().match(arn), arn

    app = identity.describe_app_instance(AppInstanceArn=arn)["AppInstance"]
    assert app["AppInstanceArn"] == arn
    assert app["Name"] == "Herald test app"
    assert app["Metadata"] == "some metadata"
    assert_recent(app["CreatedTimestamp"], before, after)
    assert_recent(app["LastUpdatedTimestamp"], before, after)


def test_app_instance_arns_differ(identity):
    a = identity.create_app_instance(Name="a", ClientRequestToken=token())["AppInstanceArn"]
    b = identity.create_app_instance(Name="a", ClientRequestToken=token())["AppInstanceArn"]
    assert a != b


def test_app_instance_timestamps_are_epoch_seconds_on_the_wire(endpoint, chime_app):
    status, headers, body = signed_request(
        endpoint, "GET", "/app-instances/" + quote(chime_app.arn, safe=""), service="chime"
    )
    assert status == 200, body
    assert headers.get("x-amzn-requestid")
    doc = json.loads(body)["AppInstance"]
    for member in ("CreatedTimestamp", "LastUpdatedTimestamp"):
        value = doc[member]
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (member, value)
        assert abs(value - time.time()) < 600, (member, value)
        # epoch seconds with (at most) milliseconds
        assert round(value * 1000) == pytest.approx(value * 1000, abs=1e-3), (member, value)


def test_arn_of_another_account_region_or_kind_names_nothing(identity, chime_app):
    user = chime_app.user()
    for arn in (other_account(chime_app.arn), other_region(chime_app.arn), user):
        with expect_error("NotFoundException", 404):
            identity.describe_app_instance(AppInstanceArn=arn)
    for arn in (other_account(user), other_region(user), chime_app.arn):
        with expect_error("NotFoundException", 404):
            identity.describe_app_instance_user(AppInstanceUserArn=arn)
    # and nothing of it was touched
    assert identity.describe_app_instance_user(AppInstanceUserArn=user)["AppInstanceUser"]["AppInstanceUserArn"] == user


def test_describe_missing_app_instance_is_not_found(identity, chime_app):
    missing = chime_app.arn[: -len("00000000-0000-0000-0000-000000000000")] + "00000000-0000-4000-8000-000000000000"
    with expect_error("NotFoundException", 404):
        identity.describe_app_instance(AppInstanceArn=missing)
    with expect_error("NotFoundException", 404):
        identity.delete_app_instance(AppInstanceArn=missing)


def test_list_app_instances_pages_oldest_first(server_factory):
    server = server_factory()
    identity = make_chime_client("chime-sdk-identity", server.endpoint)
    made = []
    for i in range(3):
        made.append(
            identity.create_app_instance(Name=f"app-{i}", Metadata=f"m{i}", ClientRequestToken=token())[
                "AppInstanceArn"
            ]
        )
        tick()
    items, pages = chime_paginate(identity.list_app_instances, "AppInstances", MaxResults=1)
    assert [item["AppInstanceArn"] for item in items] == made
    assert all(len(page.get("AppInstances", [])) <= 1 for page in pages), pages
    assert sum(1 for page in pages if page.get("AppInstances")) == 3
    assert items[1] == {"AppInstanceArn": made[1], "Name": "app-1", "Metadata": "m1"}

    whole = identity.list_app_instances()
    assert [item["AppInstanceArn"] for item in whole["AppInstances"]] == made
    assert "NextToken" not in whole

    two = identity.list_app_instances(MaxResults=2)
    assert [item["AppInstanceArn"] for item in two["AppInstances"]] == made[:2]
    rest = identity.list_app_instances(MaxResults=2, NextToken=two["NextToken"])
    assert [item["AppInstanceArn"] for item in rest["AppInstances"]] == made[2:]


def test_list_app_instances_bad_paging_parameters(identity, identity_unchecked):
    for bad in (0, 51):
        with expect_error("BadRequestException", 400):
            identity_unchecked.list_app_instances(MaxResults=bad)
    identity.list_app_instances(MaxResults=50)
    with expect_error("BadRequestException", 400):
        identity.list_app_instances(NextToken="not-a-token")


def test_delete_app_instance_deletes_everything_in_it(identity, messaging, chime_app, endpoint):
    user = chime_app.user()
    other = chime_app.user()
    ep = chime_app.endpoint_for(user)
    chime_app.admin(other)
    channel = chime_app.channel(user, MemberArns=[other])
    sent = chime_app.send(channel, user)
    delivered = push_deliveries(endpoint, channel, sent["MessageId"])
    assert len(delivered) == 1

    resp = identity.delete_app_instance(AppInstanceArn=chime_app.arn)
    assert status_of(resp) == 204

    with expect_error("NotFoundException", 404):
        identity.describe_app_instance(AppInstanceArn=chime_app.arn)
    for u in (user, other):
        with expect_error("NotFoundException", 404):
            identity.describe_app_instance_user(AppInstanceUserArn=u)
    with expect_error("NotFoundException", 404):
        identity.describe_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=ep["EndpointId"])
    with expect_error("NotFoundException", 404):
        identity.list_app_instance_users(AppInstanceArn=chime_app.arn)
    with expect_error("NotFoundException", 404):
        identity.list_app_instance_admins(AppInstanceArn=chime_app.arn)
    with expect_error("NotFoundException", 404):
        identity.delete_app_instance(AppInstanceArn=chime_app.arn)
    listed = [
        a["AppInstanceArn"] for a in chime_paginate(identity.list_app_instances, "AppInstances", MaxResults=50)[0]
    ]
    assert chime_app.arn not in listed
    # the delivery log outlives what it logged
    assert push_deliveries(endpoint, channel, sent["MessageId"]) == delivered


def test_create_app_instance_client_request_token(identity):
    t = token()
    first = identity.create_app_instance(Name="idem", Metadata="m", ClientRequestToken=t)
    again = identity.create_app_instance(Name="idem", Metadata="m", ClientRequestToken=t)
    assert again["AppInstanceArn"] == first["AppInstanceArn"]
    listed = [
        a["AppInstanceArn"] for a in chime_paginate(identity.list_app_instances, "AppInstances", MaxResults=50)[0]
    ]
    assert listed.count(first["AppInstanceArn"]) == 1
    with expect_error("ConflictException", 409):
        identity.create_app_instance(Name="idem", Metadata="other", ClientRequestToken=t)
    with expect_error("ConflictException", 409):
        identity.create_app_instance(Name="other", Metadata="m", ClientRequestToken=t)
    after = [a["AppInstanceArn"] for a in chime_paginate(identity.list_app_instances, "AppInstances", MaxResults=50)[0]]
    assert after == listed


def test_create_app_instance_validation(identity, identity_unchecked):
    before = [
        a["AppInstanceArn"] for a in chime_paginate(identity.list_app_instances, "AppInstances", MaxResults=50)[0]
    ]
    with expect_error("BadRequestException", 400) as err:
        identity_unchecked.create_app_instance(ClientRequestToken=token())
    assert "Name" in err.message
    with expect_error("BadRequestException", 400) as err:
        identity.create_app_instance(Name="n" * 257, ClientRequestToken=token())
    assert "Name" in err.message
    with expect_error("BadRequestException", 400) as err:
        identity.create_app_instance(Name="n", Metadata="m" * 1025, ClientRequestToken=token())
    assert "Metadata" in err.message
    # Tags: 1-50; key 1-128, value 1-256 characters
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    for tags in (
        many,
        [{"Key": "k" * 129, "Value": "v"}],
        [{"Key": "k", "Value": "v" * 257}],
    ):
        with expect_error("BadRequestException", 400) as err:
            identity.create_app_instance(Name="n", ClientRequestToken=token(), Tags=tags)
        assert "Tags" in err.message or "Key" in err.message or "Value" in err.message, err.message
    with expect_error("BadRequestException", 400):
        identity_unchecked.create_app_instance(Name="n", ClientRequestToken=token(), Tags=[])
    after = [a["AppInstanceArn"] for a in chime_paginate(identity.list_app_instances, "AppInstances", MaxResults=50)[0]]
    assert after == before, "a refused CreateAppInstance created something"
    # the limits themselves are fine
    identity.create_app_instance(
        Name="n" * 256,
        Metadata="m" * 1024,
        ClientRequestToken=token(),
        Tags=[{"Key": "k" * 128, "Value": "v" * 256}] + [{"Key": f"k{i}", "Value": "v"} for i in range(49)],
    )


def test_malformed_json_is_bad_request(endpoint):
    status, headers, body = signed_request(endpoint, "POST", "/app-instances", body=b'{"Name": ', service="chime")
    assert status == 400, body
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "BadRequestException"
    assert headers.get("x-amzn-requestid")
    assert json.loads(body).get("Message")


# ==========================================================================
# AppInstanceUsers
# ==========================================================================


def test_create_and_describe_app_instance_user(identity, chime_app):
    before = now()
    resp = identity.create_app_instance_user(
        AppInstanceArn=chime_app.arn,
        AppInstanceUserId="alice.smith@example",
        Name="Alice Smith",
        Metadata="likes tea",
        ClientRequestToken=token(),
        Tags=[{"Key": "k", "Value": "v"}],
    )
    after = now()
    assert status_of(resp) == 201
    arn = resp["AppInstanceUserArn"]
    assert arn == f"{chime_app.arn}/user/alice.smith@example"

    user = identity.describe_app_instance_user(AppInstanceUserArn=arn)["AppInstanceUser"]
    assert user["AppInstanceUserArn"] == arn
    assert user["Name"] == "Alice Smith"
    assert user["Metadata"] == "likes tea"
    assert_recent(user["CreatedTimestamp"], before, after)
    assert_recent(user["LastUpdatedTimestamp"], before, after)
    assert "ExpirationSettings" not in user


def test_app_instance_user_id_taken_is_conflict(identity, chime_app):
    t = token()
    first = identity.create_app_instance_user(
        AppInstanceArn=chime_app.arn, AppInstanceUserId="bob", Name="Bob", ClientRequestToken=t
    )
    # a retry is not a conflict
    again = identity.create_app_instance_user(
        AppInstanceArn=chime_app.arn, AppInstanceUserId="bob", Name="Bob", ClientRequestToken=t
    )
    assert again["AppInstanceUserArn"] == first["AppInstanceUserArn"]
    with expect_error("ConflictException", 409):
        identity.create_app_instance_user(
            AppInstanceArn=chime_app.arn, AppInstanceUserId="bob", Name="Bob", ClientRequestToken=token()
        )
    with expect_error("ConflictException", 409):
        identity.create_app_instance_user(
            AppInstanceArn=chime_app.arn, AppInstanceUserId="bob", Name="Robert", ClientRequestToken=t
        )
    user = identity.describe_app_instance_user(AppInstanceUserArn=first["AppInstanceUserArn"])["AppInstanceUser"]
    assert user["Name"] == "Bob"
    users = identity.list_app_instance_users(AppInstanceArn=chime_app.arn)["AppInstanceUsers"]
    assert [u["AppInstanceUserArn"] for u in users] == [first["AppInstanceUserArn"]]


def test_same_user_id_in_two_app_instances(identity, new_chime_app):
    a, b = new_chime_app(), new_chime_app()
    ua = a.user("same")
    ub = b.user("same")
    assert ua == f"{a.arn}/user/same" and ub == f"{b.arn}/user/same"


def test_client_request_tokens_are_scoped_to_the_operation(identity, messaging, chime_app):
    t = token()
    user = identity.create_app_instance_user(
        AppInstanceArn=chime_app.arn, AppInstanceUserId="u1", Name="U", ClientRequestToken=t
    )["AppInstanceUserArn"]
    app = identity.create_app_instance(Name="scoped", ClientRequestToken=t)["AppInstanceArn"]
    assert app != chime_app.arn
    ep = identity.register_app_instance_user_endpoint(
        AppInstanceUserArn=user,
        Type="GCM",
        ResourceArn=PINPOINT_ARN,
        EndpointAttributes={"DeviceToken": "d"},
        ClientRequestToken=t,
    )
    assert HEX32_RE.match(ep["EndpointId"])
    channel = messaging.create_channel(AppInstanceArn=chime_app.arn, Name="c", ChimeBearer=user, ClientRequestToken=t)[
        "ChannelArn"
    ]
    sent = messaging.send_channel_message(
        ChannelArn=channel,
        Content="x",
        Type="STANDARD",
        Persistence="PERSISTENT",
        ChimeBearer=user,
        ClientRequestToken=t,
    )
    assert HEX32_RE.match(sent["MessageId"])


def test_create_app_instance_user_validation(identity, identity_unchecked, chime_app):
    bad_ids = ["-leading", "trailing-", "has space", "x" * 65]
    for bad in bad_ids:
        with expect_error("BadRequestException", 400) as err:
            identity_unchecked.create_app_instance_user(
                AppInstanceArn=chime_app.arn, AppInstanceUserId=bad, Name="n", ClientRequestToken=token()
            )
        assert "AppInstanceUserId" in err.message, err.message
    with expect_error("BadRequestException", 400) as err:
        identity_unchecked.create_app_instance_user(
            AppInstanceArn=chime_app.arn, AppInstanceUserId="ok", ClientRequestToken=token()
        )
    assert "Name" in err.message
    with expect_error("BadRequestException", 400) as err:
        identity.create_app_instance_user(
            AppInstanceArn=chime_app.arn, AppInstanceUserId="ok", Name="n" * 101, ClientRequestToken=token()
        )
    assert "Name" in err.message
    # ExpirationSettings is not implemented: refused, naming it
    with expect_error("BadRequestException", 400) as err:
        identity.create_app_instance_user(
            AppInstanceArn=chime_app.arn,
            AppInstanceUserId="ok",
            Name="n",
            ClientRequestToken=token(),
            ExpirationSettings={"ExpirationDays": 1, "ExpirationCriterion": "CREATED_TIMESTAMP"},
        )
    assert "ExpirationSettings" in err.message
    assert identity.list_app_instance_users(AppInstanceArn=chime_app.arn).get("AppInstanceUsers", []) == []
    # in a missing app instance: NotFound
    with expect_error("NotFoundException", 404):
        identity.create_app_instance_user(
            AppInstanceArn=other_account(chime_app.arn), AppInstanceUserId="ok", Name="n", ClientRequestToken=token()
        )
    # the allowed characters are fine
    arn = chime_app.user("A1:b-c_d.e@f9")
    assert arn.endswith("/user/A1:b-c_d.e@f9")
    assert identity.describe_app_instance_user(AppInstanceUserArn=arn)["AppInstanceUser"]["AppInstanceUserArn"] == arn


def test_list_app_instance_users_pages_oldest_first(identity, chime_app, new_chime_app):
    made = []
    for i in range(5):
        made.append(chime_app.user(f"u{4 - i}", name=f"Name {i}", Metadata=f"m{i}"))
        tick()
    items, pages = chime_paginate(
        identity.list_app_instance_users, "AppInstanceUsers", AppInstanceArn=chime_app.arn, MaxResults=2
    )
    assert [u["AppInstanceUserArn"] for u in items] == made
    assert all(len(p.get("AppInstanceUsers", [])) <= 2 for p in pages)
    assert len(pages) >= 3
    assert all(p["AppInstanceArn"] == chime_app.arn for p in pages)
    assert items[0] == {"AppInstanceUserArn": made[0], "Name": "Name 0", "Metadata": "m0"}

    # a token is bound to its parameters
    first = identity.list_app_instance_users(AppInstanceArn=chime_app.arn, MaxResults=2)
    other = new_chime_app()
    other.user()
    with expect_error("BadRequestException", 400):
        identity.list_app_instance_users(AppInstanceArn=other.arn, MaxResults=2, NextToken=first["NextToken"])
    with expect_error("BadRequestException", 400):
        identity.list_app_instances(NextToken=first["NextToken"])
    with expect_error("NotFoundException", 404):
        identity.list_app_instance_users(AppInstanceArn=other_account(chime_app.arn))


def test_delete_app_instance_user(identity, chime_app):
    user = chime_app.user()
    keep = chime_app.user()
    resp = identity.delete_app_instance_user(AppInstanceUserArn=user)
    assert status_of(resp) == 204
    with expect_error("NotFoundException", 404):
        identity.describe_app_instance_user(AppInstanceUserArn=user)
    with expect_error("NotFoundException", 404):
        identity.delete_app_instance_user(AppInstanceUserArn=user)
    listed = [
        u["AppInstanceUserArn"]
        for u in identity.list_app_instance_users(AppInstanceArn=chime_app.arn)["AppInstanceUsers"]
    ]
    assert listed == [keep]


def test_delete_app_instance_user_deletes_what_hangs_on_it(identity, messaging, chime_app):
    owner = chime_app.user()
    user_id = "leaver"
    user = chime_app.user(user_id)
    ep = chime_app.endpoint_for(user)
    chime_app.admin(user)
    channel = chime_app.channel(owner, MemberArns=[user])
    moderated = chime_app.channel(owner, ModeratorArns=[user])
    banned_in = chime_app.channel(owner)
    chime_app.ban(banned_in, user, owner)
    chime_app.set_prefs(channel, user, "NONE")
    sent = chime_app.send(channel, user, "I was here", push=False)

    identity.delete_app_instance_user(AppInstanceUserArn=user)

    with expect_error("NotFoundException", 404):
        identity.describe_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=ep["EndpointId"])
    admins = identity.list_app_instance_admins(AppInstanceArn=chime_app.arn)["AppInstanceAdmins"]
    assert user not in [a["Admin"]["Arn"] for a in admins]
    assert user not in chime_app.member_arns(channel, owner)
    assert user not in chime_app.member_arns(moderated, owner)
    mods = messaging.list_channel_moderators(ChannelArn=moderated, ChimeBearer=owner)["ChannelModerators"]
    assert user not in [m["Moderator"]["Arn"] for m in mods]
    bans = messaging.list_channel_bans(ChannelArn=banned_in, ChimeBearer=owner).get("ChannelBans", [])
    assert user not in [b["Member"]["Arn"] for b in bans]
    # messages it sent stay
    msg = messaging.get_channel_message(ChannelArn=channel, MessageId=sent["MessageId"], ChimeBearer=owner)
    assert msg["ChannelMessage"]["Content"] == "I was here"
    assert msg["ChannelMessage"]["Sender"]["Arn"] == user

    # a new user with the same id inherits nothing
    again = chime_app.user(user_id)
    assert again == user
    assert identity.list_app_instance_user_endpoints(AppInstanceUserArn=again).get("AppInstanceUserEndpoints", []) == []
    admins = identity.list_app_instance_admins(AppInstanceArn=chime_app.arn)["AppInstanceAdmins"]
    assert again not in [a["Admin"]["Arn"] for a in admins]
    assert again not in chime_app.member_arns(channel, owner)
    with expect_error("NotFoundException", 404):
        messaging.describe_channel_ban(ChannelArn=banned_in, MemberArn=again, ChimeBearer=owner)
    # it can join afresh, without the old preferences
    chime_app.add_member(channel, again, owner)
    prefs = chime_app.get_prefs(channel, again)
    assert "PushNotifications" not in prefs["Preferences"]


# ==========================================================================
# AppInstanceAdmins
# ==========================================================================


def test_app_instance_admins(identity, chime_app):
    a = chime_app.user(name="Admin A")
    tick()
    b = chime_app.user(name="Admin B")
    resp = identity.create_app_instance_admin(AppInstanceArn=chime_app.arn, AppInstanceAdminArn=a)
    assert status_of(resp) == 201
    assert resp["AppInstanceArn"] == chime_app.arn
    assert resp["AppInstanceAdmin"] == {"Arn": a, "Name": "Admin A"}
    tick()
    identity.create_app_instance_admin(AppInstanceArn=chime_app.arn, AppInstanceAdminArn=b)
    # adding again succeeds and changes nothing
    again = identity.create_app_instance_admin(AppInstanceArn=chime_app.arn, AppInstanceAdminArn=a)
    assert again["AppInstanceAdmin"]["Arn"] == a

    listed = identity.list_app_instance_admins(AppInstanceArn=chime_app.arn)
    assert listed["AppInstanceArn"] == chime_app.arn
    assert listed["AppInstanceAdmins"] == [
        {"Admin": {"Arn": a, "Name": "Admin A"}},
        {"Admin": {"Arn": b, "Name": "Admin B"}},
    ]
    page = identity.list_app_instance_admins(AppInstanceArn=chime_app.arn, MaxResults=1)
    assert [x["Admin"]["Arn"] for x in page["AppInstanceAdmins"]] == [a]
    rest = identity.list_app_instance_admins(AppInstanceArn=chime_app.arn, MaxResults=1, NextToken=page["NextToken"])
    assert [x["Admin"]["Arn"] for x in rest["AppInstanceAdmins"]] == [b]

    resp = identity.delete_app_instance_admin(AppInstanceArn=chime_app.arn, AppInstanceAdminArn=a)
    assert status_of(resp) == 204
    # removing an admin that does not exist (in an existing app instance) is a 204
    resp = identity.delete_app_instance_admin(AppInstanceArn=chime_app.arn, AppInstanceAdminArn=a)
    assert status_of(resp) == 204
    listed = identity.list_app_instance_admins(AppInstanceArn=chime_app.arn)["AppInstanceAdmins"]
    assert [x["Admin"]["Arn"] for x in listed] == [b]
    # the user itself is untouched
    identity.describe_app_instance_user(AppInstanceUserArn=a)


def test_app_instance_admin_errors(identity, chime_app, new_chime_app):
    stranger = new_chime_app().user()
    # a user named in a request body that does not exist: BadRequest
    with expect_error("BadRequestException", 400):
        identity.create_app_instance_admin(
            AppInstanceArn=chime_app.arn, AppInstanceAdminArn=chime_app.user_arn("ghost")
        )
    with expect_error("BadRequestException", 400):
        identity.create_app_instance_admin(AppInstanceArn=chime_app.arn, AppInstanceAdminArn=stranger)
    assert identity.list_app_instance_admins(AppInstanceArn=chime_app.arn).get("AppInstanceAdmins", []) == []
    # an app instance that does not exist: NotFound
    user = chime_app.user()
    with expect_error("NotFoundException", 404):
        identity.create_app_instance_admin(AppInstanceArn=other_account(chime_app.arn), AppInstanceAdminArn=user)
    with expect_error("NotFoundException", 404):
        identity.list_app_instance_admins(AppInstanceArn=other_account(chime_app.arn))
    with expect_error("NotFoundException", 404):
        identity.delete_app_instance_admin(AppInstanceArn=other_account(chime_app.arn), AppInstanceAdminArn=user)


# ==========================================================================
# Endpoints
# ==========================================================================


def test_endpoint_lifecycle(identity, chime_app):
    user = chime_app.user()
    before = now()
    resp = identity.register_app_instance_user_endpoint(
        AppInstanceUserArn=user,
        Name="phone",
        Type="APNS",
        ResourceArn=PINPOINT_ARN,
        EndpointAttributes={"DeviceToken": "device-1", "VoipDeviceToken": "voip-1"},
        ClientRequestToken=token(),
    )
    after = now()
    assert status_of(resp) == 201
    assert resp["AppInstanceUserArn"] == user
    endpoint_id = resp["EndpointId"]
    assert HEX32_RE.match(endpoint_id), endpoint_id

    desc = identity.describe_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=endpoint_id)[
        "AppInstanceUserEndpoint"
    ]
    assert desc["AppInstanceUserArn"] == user
    assert desc["EndpointId"] == endpoint_id
    assert desc["Name"] == "phone"
    assert desc["Type"] == "APNS"
    assert desc["ResourceArn"] == PINPOINT_ARN
    assert desc["EndpointAttributes"] == {"DeviceToken": "device-1", "VoipDeviceToken": "voip-1"}
    assert desc["AllowMessages"] == "ALL", "AllowMessages defaults to ALL"
    assert_recent(desc["CreatedTimestamp"], before, after)
    assert_recent(desc["LastUpdatedTimestamp"], before, after)
    if "EndpointState" in desc:
        assert desc["EndpointState"]["Status"] in ("ACTIVE", "INACTIVE")

    time.sleep(0.05)
    upd = identity.update_app_instance_user_endpoint(
        AppInstanceUserArn=user, EndpointId=endpoint_id, Name="old phone", AllowMessages="NONE"
    )
    assert status_of(upd) == 200
    assert upd["AppInstanceUserArn"] == user and upd["EndpointId"] == endpoint_id
    desc2 = identity.describe_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=endpoint_id)[
        "AppInstanceUserEndpoint"
    ]
    assert desc2["Name"] == "old phone"
    assert desc2["AllowMessages"] == "NONE"
    assert desc2["EndpointAttributes"] == desc["EndpointAttributes"]
    assert desc2["CreatedTimestamp"] == desc["CreatedTimestamp"]
    assert desc2["LastUpdatedTimestamp"] > desc["LastUpdatedTimestamp"]
    # only AllowMessages: the name stays
    identity.update_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=endpoint_id, AllowMessages="ALL")
    desc3 = identity.describe_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=endpoint_id)[
        "AppInstanceUserEndpoint"
    ]
    assert (desc3["Name"], desc3["AllowMessages"]) == ("old phone", "ALL")

    listed = identity.list_app_instance_user_endpoints(AppInstanceUserArn=user)["AppInstanceUserEndpoints"]
    assert len(listed) == 1
    item = listed[0]
    assert item["AppInstanceUserArn"] == user
    assert item["EndpointId"] == endpoint_id
    assert item["Name"] == "old phone"
    assert item["Type"] == "APNS"
    assert item["AllowMessages"] == "ALL"

    resp = identity.deregister_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=endpoint_id)
    assert status_of(resp) == 204
    with expect_error("NotFoundException", 404):
        identity.describe_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=endpoint_id)
    with expect_error("NotFoundException", 404):
        identity.update_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=endpoint_id, Name="x")
    with expect_error("NotFoundException", 404):
        identity.deregister_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=endpoint_id)
    assert identity.list_app_instance_user_endpoints(AppInstanceUserArn=user).get("AppInstanceUserEndpoints", []) == []


def test_endpoints_are_per_user_and_listed_oldest_first(identity, chime_app):
    user = chime_app.user()
    other = chime_app.user()
    made = []
    for i, kind in enumerate(["GCM", "APNS_SANDBOX", "APNS"]):
        made.append(chime_app.endpoint_for(user, name=f"e{i}", kind=kind)["EndpointId"])
        tick()
    foreign = chime_app.endpoint_for(other)["EndpointId"]
    assert len(set(made + [foreign])) == 4
    items, pages = chime_paginate(
        identity.list_app_instance_user_endpoints, "AppInstanceUserEndpoints", AppInstanceUserArn=user, MaxResults=2
    )
    assert [e["EndpointId"] for e in items] == made
    assert [e["Type"] for e in items] == ["GCM", "APNS_SANDBOX", "APNS"]
    assert len(pages) >= 2
    # another user's endpoint is not found under this user
    with expect_error("NotFoundException", 404):
        identity.describe_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=foreign)
    with expect_error("NotFoundException", 404):
        identity.deregister_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=foreign)
    identity.describe_app_instance_user_endpoint(AppInstanceUserArn=other, EndpointId=foreign)
    # endpoints of a user that does not exist
    with expect_error("NotFoundException", 404):
        identity.list_app_instance_user_endpoints(AppInstanceUserArn=chime_app.user_arn("ghost"))
    with expect_error("NotFoundException", 404):
        chime_app.endpoint_for(chime_app.user_arn("ghost"))


def test_register_endpoint_client_request_token(identity, chime_app):
    user = chime_app.user()
    params = dict(
        AppInstanceUserArn=user,
        Type="GCM",
        ResourceArn=PINPOINT_ARN,
        EndpointAttributes={"DeviceToken": "tok"},
        ClientRequestToken=token(),
    )
    first = identity.register_app_instance_user_endpoint(**params)
    again = identity.register_app_instance_user_endpoint(**params)
    assert again["EndpointId"] == first["EndpointId"]
    with expect_error("ConflictException", 409):
        identity.register_app_instance_user_endpoint(**{**params, "EndpointAttributes": {"DeviceToken": "other"}})
    listed = identity.list_app_instance_user_endpoints(AppInstanceUserArn=user)["AppInstanceUserEndpoints"]
    assert [e["EndpointId"] for e in listed] == [first["EndpointId"]]


def test_register_endpoint_validation(identity, identity_unchecked, chime_app):
    user = chime_app.user()
    base = dict(
        AppInstanceUserArn=user,
        Type="GCM",
        ResourceArn=PINPOINT_ARN,
        EndpointAttributes={"DeviceToken": "tok"},
    )
    for member, value in (("Type", "SMS"), ("AllowMessages", "SOME")):
        with expect_error("BadRequestException", 400) as err:
            identity_unchecked.register_app_instance_user_endpoint(
                **{**base, member: value}, ClientRequestToken=token()
            )
        assert member in err.message
    with expect_error("BadRequestException", 400) as err:
        identity_unchecked.register_app_instance_user_endpoint(
            **{**base, "EndpointAttributes": {}}, ClientRequestToken=token()
        )
    assert "DeviceToken" in err.message
    with expect_error("BadRequestException", 400) as err:
        identity_unchecked.register_app_instance_user_endpoint(
            AppInstanceUserArn=user, Type="GCM", EndpointAttributes={"DeviceToken": "t"}, ClientRequestToken=token()
        )
    assert "ResourceArn" in err.message
    assert identity.list_app_instance_user_endpoints(AppInstanceUserArn=user).get("AppInstanceUserEndpoints", []) == []


# ==========================================================================
# Keys: admin, chime-user, connect-user; accounts
# ==========================================================================

ACCOUNT_A = "111122223333"
ACCOUNT_B = "444455556666"


@pytest.fixture
def keyed_server(server_factory, tmp_path):
    """A server with a credentials file: admins of two accounts; the caller
    appends more keys with ``add_keys`` (SIGHUP reload)."""
    path = tmp_path / "keys.toml"
    keys = [key("HKIAADMINA", ACCOUNT_A, "admin"), key("HKIAADMINB", ACCOUNT_B, "admin")]
    write_keys(path, keys)
    server = server_factory(extra_args=["--credentials", str(path)])

    def client(service, key_id):
        return make_chime_client(service, server.endpoint, access_key=key_id, secret_key=f"secret-{key_id}")

    def add_keys(*more):
        keys.extend(more)
        write_keys(path, keys)
        server.proc.send_signal(signal.SIGHUP)
        probe = more[-1]["access_key_id"]

        def loaded():
            # any answer but "unknown key" means the key is known
            _, headers, _ = signed_request(
                server.endpoint,
                "GET",
                "/app-instances",
                service="chime",
                access_key=probe,
                secret_key=f"secret-{probe}",
            )
            return headers.get("x-amzn-errortype", "").split(":")[0] != "UnrecognizedClientException"

        wait_for(loaded, timeout=10, what="the credentials file to be reloaded")

    return server, client, add_keys


def test_chime_user_key_acts_only_as_its_bearer(keyed_server):
    server, client, add_keys = keyed_server
    identity = client("chime-sdk-identity", "HKIAADMINA")
    messaging = client("chime-sdk-messaging", "HKIAADMINA")
    app = ChimeApp.create(identity, messaging, server.endpoint)
    assert f":{ACCOUNT_A}:" in app.arn
    me = app.user("me")
    other = app.user("other")
    theirs = app.endpoint_for(other)["EndpointId"]
    channel = app.channel(other, MemberArns=[me], Mode="UNRESTRICTED", Privacy="PUBLIC")
    add_keys(key("HKIACHIMEME", ACCOUNT_A, "chime-user", chime_bearer_arn=me))

    my_identity = client("chime-sdk-identity", "HKIACHIMEME")
    my_messaging = client("chime-sdk-messaging", "HKIACHIMEME")
    # Messaging, as itself
    sent = my_messaging.send_channel_message(
        ChannelArn=channel,
        Content="hi",
        Type="STANDARD",
        Persistence="PERSISTENT",
        ChimeBearer=me,
        ClientRequestToken=token(),
    )
    assert sent["Status"]["Value"] == "SENT"
    own = my_messaging.create_channel(AppInstanceArn=app.arn, Name="mine", ChimeBearer=me, ClientRequestToken=token())
    my_messaging.describe_channel(ChannelArn=own["ChannelArn"], ChimeBearer=me)
    # ... never as another bearer
    with expect_error("ForbiddenException", 403):
        my_messaging.send_channel_message(
            ChannelArn=channel,
            Content="x",
            Type="STANDARD",
            Persistence="PERSISTENT",
            ChimeBearer=other,
            ClientRequestToken=token(),
        )
    with expect_error("ForbiddenException", 403):
        my_messaging.describe_channel(ChannelArn=channel, ChimeBearer=other)
    # Identity: describe itself and its own endpoints only
    assert my_identity.describe_app_instance_user(AppInstanceUserArn=me)["AppInstanceUser"]["AppInstanceUserArn"] == me
    mine = my_identity.register_app_instance_user_endpoint(
        AppInstanceUserArn=me,
        Type="GCM",
        ResourceArn=PINPOINT_ARN,
        EndpointAttributes={"DeviceToken": "d"},
        ClientRequestToken=token(),
    )["EndpointId"]
    my_identity.describe_app_instance_user_endpoint(AppInstanceUserArn=me, EndpointId=mine)
    my_identity.update_app_instance_user_endpoint(AppInstanceUserArn=me, EndpointId=mine, AllowMessages="NONE")
    assert [
        e["EndpointId"]
        for e in my_identity.list_app_instance_user_endpoints(AppInstanceUserArn=me)["AppInstanceUserEndpoints"]
    ] == [mine]
    my_identity.deregister_app_instance_user_endpoint(AppInstanceUserArn=me, EndpointId=mine)
    expect_each(
        "ForbiddenException",
        403,
        [
            (
                "DescribeAppInstanceUser(other)",
                lambda: my_identity.describe_app_instance_user(AppInstanceUserArn=other),
            ),
            (
                "DescribeAppInstanceUserEndpoint(other)",
                lambda: my_identity.describe_app_instance_user_endpoint(AppInstanceUserArn=other, EndpointId=theirs),
            ),
            (
                "ListAppInstanceUserEndpoints(other)",
                lambda: my_identity.list_app_instance_user_endpoints(AppInstanceUserArn=other),
            ),
            (
                "DeregisterAppInstanceUserEndpoint(other)",
                lambda: my_identity.deregister_app_instance_user_endpoint(AppInstanceUserArn=other, EndpointId=theirs),
            ),
            (
                "UpdateAppInstanceUserEndpoint(other)",
                lambda: my_identity.update_app_instance_user_endpoint(
                    AppInstanceUserArn=other, EndpointId=theirs, Name="x"
                ),
            ),
            (
                "RegisterAppInstanceUserEndpoint(other)",
                lambda: my_identity.register_app_instance_user_endpoint(
                    AppInstanceUserArn=other,
                    Type="GCM",
                    ResourceArn=PINPOINT_ARN,
                    EndpointAttributes={"DeviceToken": "d"},
                    ClientRequestToken=token(),
                ),
            ),
            ("CreateAppInstance", lambda: my_identity.create_app_instance(Name="x", ClientRequestToken=token())),
            ("DescribeAppInstance", lambda: my_identity.describe_app_instance(AppInstanceArn=app.arn)),
            ("ListAppInstances", lambda: my_identity.list_app_instances()),
            ("ListAppInstanceUsers", lambda: my_identity.list_app_instance_users(AppInstanceArn=app.arn)),
            (
                "CreateAppInstanceUser",
                lambda: my_identity.create_app_instance_user(
                    AppInstanceArn=app.arn, AppInstanceUserId="new", Name="n", ClientRequestToken=token()
                ),
            ),
            ("DeleteAppInstanceUser(self)", lambda: my_identity.delete_app_instance_user(AppInstanceUserArn=me)),
            (
                "CreateAppInstanceAdmin",
                lambda: my_identity.create_app_instance_admin(AppInstanceArn=app.arn, AppInstanceAdminArn=me),
            ),
            ("ListAppInstanceAdmins", lambda: my_identity.list_app_instance_admins(AppInstanceArn=app.arn)),
            ("DeleteAppInstance", lambda: my_identity.delete_app_instance(AppInstanceArn=app.arn)),
        ],
    )
    # nothing changed
    identity.describe_app_instance_user(AppInstanceUserArn=me)
    identity.describe_app_instance_user_endpoint(AppInstanceUserArn=other, EndpointId=theirs)
    assert identity.list_app_instance_admins(AppInstanceArn=app.arn).get("AppInstanceAdmins", []) == []
    assert [
        u["AppInstanceUserArn"] for u in identity.list_app_instance_users(AppInstanceArn=app.arn)["AppInstanceUsers"]
    ] == [me, other]
    # and the delivery log is for admin keys only
    status, _, _ = push_deliveries_raw(
        server.endpoint, channel, sent["MessageId"], access_key="HKIACHIMEME", secret_key="secret-HKIACHIMEME"
    )
    assert status == 403


def test_connect_user_key_may_not_call_chime(keyed_server):
    server, client, add_keys = keyed_server
    identity = client("chime-sdk-identity", "HKIAADMINA")
    messaging = client("chime-sdk-messaging", "HKIAADMINA")
    app = ChimeApp.create(identity, messaging, server.endpoint)
    user = app.user()
    channel = app.channel(user)
    add_keys(
        key(
            "HKIACONNECT",
            ACCOUNT_A,
            "connect-user",
            connect_user_arn=(
                f"arn:aws:connect:{REGION}:{ACCOUNT_A}:instance/00000000-0000-4000-8000-000000000000"
                "/agent/00000000-0000-4000-8000-000000000001"
            ),
        )
    )
    c_identity = client("chime-sdk-identity", "HKIACONNECT")
    c_messaging = client("chime-sdk-messaging", "HKIACONNECT")
    expect_each(
        "ForbiddenException",
        403,
        [
            ("ListAppInstances", lambda: c_identity.list_app_instances()),
            ("DescribeAppInstanceUser", lambda: c_identity.describe_app_instance_user(AppInstanceUserArn=user)),
            ("CreateAppInstance", lambda: c_identity.create_app_instance(Name="x", ClientRequestToken=token())),
            ("DescribeChannel", lambda: c_messaging.describe_channel(ChannelArn=channel, ChimeBearer=user)),
            (
                "SendChannelMessage",
                lambda: c_messaging.send_channel_message(
                    ChannelArn=channel,
                    Content="x",
                    Type="STANDARD",
                    Persistence="PERSISTENT",
                    ChimeBearer=user,
                    ClientRequestToken=token(),
                ),
            ),
        ],
    )
    assert messaging.list_channel_messages(ChannelArn=channel, ChimeBearer=user).get("ChannelMessages", []) == []
    assert [a["AppInstanceArn"] for a in identity.list_app_instances()["AppInstances"]] == [app.arn]


def test_accounts_do_not_see_each_other(keyed_server):
    server, client, _ = keyed_server
    id_a = client("chime-sdk-identity", "HKIAADMINA")
    msg_a = client("chime-sdk-messaging", "HKIAADMINA")
    id_b = client("chime-sdk-identity", "HKIAADMINB")
    msg_b = client("chime-sdk-messaging", "HKIAADMINB")
    app = ChimeApp.create(id_a, msg_a, server.endpoint)
    user = app.user()
    ep = app.endpoint_for(user)["EndpointId"]
    channel = app.channel(user)
    sent = app.send(channel, user)

    app_b = ChimeApp.create(id_b, msg_b, server.endpoint)
    assert f":{ACCOUNT_B}:" in app_b.arn
    assert [a["AppInstanceArn"] for a in id_b.list_app_instances()["AppInstances"]] == [app_b.arn]
    expect_each(
        "NotFoundException",
        404,
        [
            ("DescribeAppInstance", lambda: id_b.describe_app_instance(AppInstanceArn=app.arn)),
            ("DescribeAppInstanceUser", lambda: id_b.describe_app_instance_user(AppInstanceUserArn=user)),
            (
                "DescribeAppInstanceUserEndpoint",
                lambda: id_b.describe_app_instance_user_endpoint(AppInstanceUserArn=user, EndpointId=ep),
            ),
            ("ListAppInstanceUsers", lambda: id_b.list_app_instance_users(AppInstanceArn=app.arn)),
            ("DeleteAppInstance", lambda: id_b.delete_app_instance(AppInstanceArn=app.arn)),
            ("DeleteAppInstanceUser", lambda: id_b.delete_app_instance_user(AppInstanceUserArn=user)),
            (
                "CreateAppInstanceUser",
                lambda: id_b.create_app_instance_user(
                    AppInstanceArn=app.arn, AppInstanceUserId="intruder", Name="n", ClientRequestToken=token()
                ),
            ),
        ],
    )
    # B's admin key with A's bearer on A's channel: the channel is not B's
    with expect_error("NotFoundException", 404):
        msg_b.describe_channel(ChannelArn=channel, ChimeBearer=user)
    # the same client request token in two accounts makes two things
    t = token()
    a1 = id_a.create_app_instance(Name="same", ClientRequestToken=t)["AppInstanceArn"]
    b1 = id_b.create_app_instance(Name="same", ClientRequestToken=t)["AppInstanceArn"]
    assert a1 != b1 and f":{ACCOUNT_A}:" in a1 and f":{ACCOUNT_B}:" in b1
    # the delivery log of A's message is not B's to read
    st_b, _, body_b = push_deliveries_raw(
        server.endpoint, channel, sent["MessageId"], access_key="HKIAADMINB", secret_key="secret-HKIAADMINB"
    )
    st_a, _, body_a = push_deliveries_raw(
        server.endpoint, channel, sent["MessageId"], access_key="HKIAADMINA", secret_key="secret-HKIAADMINA"
    )
    assert st_a == 200 and len(json.loads(body_a)["Deliveries"]) == 1, body_a
    assert st_b != 200 or json.loads(body_b)["Deliveries"] == [], body_b
    id_a.describe_app_instance_user(AppInstanceUserArn=user)
