"""boto3 end-to-end tests of Herald's Amazon Connect notifications API.

The behaviour checked here is docs/connect-semantics.md; the wire shapes are
AWS's (shared/spec/connect.json). Errors are checked as botocore parses
them: ``Error.Code`` and ``ResponseMetadata.HTTPStatusCode``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from herald_testlib import (
    ACCOUNT_ID,
    REGION,
    expect_error,
    instance_arn,
    make_client,
    paginate,
    raw_request,
    unique,
)

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
SEVEN_DAYS = timedelta(days=7)
SLACK = timedelta(seconds=3)


def now() -> datetime:
    return datetime.now(timezone.utc)


def assert_uuid(value: str) -> None:
    assert UUID_RE.match(value), f"not a UUID: {value!r}"


def assert_recent(ts: datetime, before: datetime, after: datetime) -> None:
    assert isinstance(ts, datetime), ts
    assert before - SLACK <= ts <= after + SLACK, (ts, before, after)


def notification_arn(instance: dict, notification_id: str) -> str:
    return f"{instance['Arn']}/notification/{notification_id}"


def user_arn(instance: dict, user_id: str) -> str:
    return f"{instance['Arn']}/agent/{user_id}"


def tick() -> None:
    """Keep creation times apart so "newest first" is unambiguous."""
    time.sleep(0.05)


def ids(items, key="Id") -> list[str]:
    return [item[key] for item in items]


# ==========================================================================
# Protocol
# ==========================================================================


def test_health_endpoint(endpoint):
    status, headers, body = raw_request(endpoint, "GET", "/_herald/health", sign=False)
    assert status == 200, body
    doc = json.loads(body)
    assert doc["status"] == "ok"
    assert isinstance(doc["version"], str) and doc["version"]


def test_every_response_has_request_id(connect, instance):
    resp = connect.describe_instance(InstanceId=instance["Id"])
    assert resp["ResponseMetadata"]["RequestId"]
    assert resp["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid")
    assert instance["response"]["ResponseMetadata"]["RequestId"]


def test_unknown_route_is_unknown_operation(endpoint):
    status, headers, body = raw_request(endpoint, "GET", "/no-such-thing/here")
    assert status == 404, body
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "UnknownOperationException"
    assert headers.get("x-amzn-requestid")
    message = json.loads(body)["Message"]
    assert "GET" in message and "/no-such-thing/here" in message, message


def test_malformed_json_is_invalid_request(endpoint, instance):
    status, headers, body = raw_request(
        endpoint, "PUT", f"/notifications/{instance['Id']}", body=b'{"Recipients": [', headers={}
    )
    assert status == 400, body
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "InvalidRequestException"
    assert "Message" in json.loads(body)


def test_wrong_json_type_is_invalid_request_naming_member(endpoint, instance):
    doc = {"Recipients": [instance["Arn"]], "Content": {"en_US": 5}}
    status, headers, body = raw_request(
        endpoint, "PUT", f"/notifications/{instance['Id']}", body=json.dumps(doc).encode()
    )
    assert status == 400, body
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "InvalidRequestException"
    assert "Content.en_US" in json.loads(body)["Message"]


def test_wrong_json_type_through_botocore(connect_unchecked, instance):
    with expect_error("InvalidRequestException", 400) as err:
        connect_unchecked.create_notification(
            InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_US": 5}
        )
    assert "Content.en_US" in err.message


def test_body_over_one_mib_is_413(endpoint, instance):
    doc = {"Recipients": [instance["Arn"]], "Content": {"en_US": "x" * (1024 * 1024 + 100)}}
    status, headers, body = raw_request(
        endpoint, "PUT", f"/notifications/{instance['Id']}", body=json.dumps(doc).encode()
    )
    assert status == 413, body[:500]
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "RequestEntityTooLargeException"


def test_timestamps_are_epoch_seconds_on_the_wire(connect, endpoint, instance):
    n = connect.create_notification(InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_US": "t"})
    status, headers, body = raw_request(endpoint, "GET", f"/notifications/{instance['Id']}/{n['NotificationId']}")
    assert status == 200, body
    assert headers.get("x-amzn-requestid")
    doc = json.loads(body)["Notification"]
    for member in ("CreatedAt", "ExpiresAt", "LastModifiedTime"):
        assert isinstance(doc[member], (int, float)) and not isinstance(doc[member], bool), (member, doc[member])
        assert abs(doc[member] - time.time()) < 8 * 86400, (member, doc[member])


# ==========================================================================
# Instances
# ==========================================================================


def test_create_and_describe_instance(connect):
    alias = unique("herald-desc")
    before = now()
    resp = connect.create_instance(
        IdentityManagementType="CONNECT_MANAGED",
        InstanceAlias=alias,
        InboundCallsEnabled=True,
        OutboundCallsEnabled=False,
        Tags={"team": "ops"},
    )
    after = now()
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert_uuid(resp["Id"])
    assert resp["Arn"] == instance_arn(resp["Id"])

    inst = connect.describe_instance(InstanceId=resp["Id"])["Instance"]
    assert inst["Id"] == resp["Id"]
    assert inst["Arn"] == resp["Arn"]
    assert inst["IdentityManagementType"] == "CONNECT_MANAGED"
    assert inst["InstanceAlias"] == alias
    assert inst["InstanceStatus"] == "ACTIVE"
    assert inst["InboundCallsEnabled"] is True
    assert inst["OutboundCallsEnabled"] is False
    assert inst["Tags"] == {"team": "ops"}
    assert_recent(inst["CreatedTime"], before, after)


def test_list_instances_oldest_first(connect, new_instance):
    a = new_instance()
    tick()
    b = new_instance(OutboundCallsEnabled=True)
    items, pages = paginate(connect.list_instances, "InstanceSummaryList", MaxResults=10)
    listed = ids(items)
    assert len(listed) == len(set(listed)), "ListInstances repeated an instance"
    assert a["Id"] in listed and b["Id"] in listed
    assert listed.index(a["Id"]) < listed.index(b["Id"])
    created = [item["CreatedTime"] for item in items]
    assert created == sorted(created), "ListInstances is not oldest first"
    summary = next(item for item in items if item["Id"] == b["Id"])
    assert summary["Arn"] == b["Arn"]
    assert summary["InstanceAlias"] == b["params"]["InstanceAlias"]
    assert summary["IdentityManagementType"] == "CONNECT_MANAGED"
    assert summary["InstanceStatus"] == "ACTIVE"
    assert summary["InboundCallsEnabled"] is True
    assert summary["OutboundCallsEnabled"] is True


def test_delete_instance_deletes_its_users_and_notifications(connect, instance, new_user, notify):
    user = new_user(instance)
    n = notify(instance, [user["Arn"]], Tags={"k": "v"})
    resp = connect.delete_instance(InstanceId=instance["Id"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200

    with expect_error("ResourceNotFoundException", 404):
        connect.describe_instance(InstanceId=instance["Id"])
    with expect_error("ResourceNotFoundException", 404):
        connect.describe_user(InstanceId=instance["Id"], UserId=user["Id"])
    with expect_error("ResourceNotFoundException", 404):
        connect.describe_notification(InstanceId=instance["Id"], NotificationId=n["Id"])
    with expect_error("ResourceNotFoundException", 404):
        connect.list_tags_for_resource(resourceArn=n["Arn"])
    with expect_error("ResourceNotFoundException", 404):
        connect.delete_instance(InstanceId=instance["Id"])
    listed = ids(paginate(connect.list_instances, "InstanceSummaryList", MaxResults=10)[0])
    assert instance["Id"] not in listed


def test_unknown_instance_is_not_found(connect):
    missing = str(uuid.uuid4())
    calls = [
        lambda: connect.describe_instance(InstanceId=missing),
        lambda: connect.delete_instance(InstanceId=missing),
        lambda: connect.list_users(InstanceId=missing),
        lambda: connect.create_user(
            InstanceId=missing,
            Username="nobody",
            SecurityProfileIds=["sp"],
            RoutingProfileId="rp",
        ),
        lambda: connect.list_notifications(InstanceId=missing),
        lambda: connect.search_notifications(InstanceId=missing),
        lambda: connect.create_notification(
            InstanceId=missing,
            Recipients=[instance_arn(missing)],
            Content={"en_US": "hi"},
        ),
        lambda: connect.describe_notification(InstanceId=missing, NotificationId=str(uuid.uuid4())),
        lambda: connect.list_user_notifications(InstanceId=missing, UserId=str(uuid.uuid4())),
        lambda: connect.update_user_notification_status(
            InstanceId=missing, UserId=str(uuid.uuid4()), NotificationId=str(uuid.uuid4()), Status="READ"
        ),
    ]
    for call in calls:
        with expect_error("ResourceNotFoundException", 404):
            call()


# ==========================================================================
# Users
# ==========================================================================


def test_create_and_describe_user_echoes_members(connect, instance, endpoint):
    params = {
        "InstanceId": instance["Id"],
        "Username": unique("jdoe"),
        "Password": "Sup3r-Secret-Pw!",
        "IdentityInfo": {"FirstName": "Jane", "LastName": "Doe", "Email": "jane@example.com"},
        "PhoneConfig": {
            "PhoneType": "DESK_PHONE",
            "AutoAccept": True,
            "AfterContactWorkTimeLimit": 30,
            "DeskPhoneNumber": "+15555550100",
        },
        "SecurityProfileIds": [str(uuid.uuid4()), str(uuid.uuid4())],
        "RoutingProfileId": str(uuid.uuid4()),
        "HierarchyGroupId": str(uuid.uuid4()),
        "Tags": {"dept": "support"},
    }
    before = now()
    resp = connect.create_user(**params)
    after = now()
    assert_uuid(resp["UserId"])
    assert resp["UserArn"] == user_arn(instance, resp["UserId"])

    user = connect.describe_user(InstanceId=instance["Id"], UserId=resp["UserId"])["User"]
    assert user["Id"] == resp["UserId"]
    assert user["Arn"] == resp["UserArn"]
    assert user["Username"] == params["Username"]
    assert user["IdentityInfo"] == params["IdentityInfo"]
    assert user["PhoneConfig"] == params["PhoneConfig"]
    assert user["SecurityProfileIds"] == params["SecurityProfileIds"]
    assert user["RoutingProfileId"] == params["RoutingProfileId"]
    assert user["HierarchyGroupId"] == params["HierarchyGroupId"]
    assert user["Tags"] == params["Tags"]
    assert user["LastModifiedRegion"] == REGION
    assert_recent(user["LastModifiedTime"], before, after)

    # botocore drops unknown members, so look at the raw body for Password.
    status, _, body = raw_request(endpoint, "GET", f"/users/{instance['Id']}/{resp['UserId']}")
    assert status == 200
    assert b"Password" not in body and params["Password"].encode() not in body


def test_list_users_oldest_first(connect, instance, new_user):
    users = []
    for _ in range(3):
        users.append(new_user(instance))
        tick()
    resp = connect.list_users(InstanceId=instance["Id"])
    summaries = resp["UserSummaryList"]
    assert ids(summaries) == [u["Id"] for u in users]
    for s, u in zip(summaries, users):
        assert s["Arn"] == u["Arn"]
        assert s["Username"] == u["Username"]
        assert s["LastModifiedRegion"] == REGION
        assert isinstance(s["LastModifiedTime"], datetime)
    assert "NextToken" not in resp


def test_duplicate_username_is_409(connect, instance, new_user, new_instance):
    first = new_user(instance, username="same-name")
    with expect_error("DuplicateResourceException", 409):
        new_user(instance, username="same-name")
    # unique within the instance only
    other = new_instance()
    new_user(other, username="same-name")
    listed = connect.list_users(InstanceId=instance["Id"])["UserSummaryList"]
    assert ids(listed) == [first["Id"]]


def test_user_parameter_limits(connect_unchecked, instance):
    base = {
        "InstanceId": instance["Id"],
        "SecurityProfileIds": ["sp-1"],
        "RoutingProfileId": "rp-1",
    }
    with expect_error("InvalidParameterException", 400) as err:
        connect_unchecked.create_user(**{**base, "Username": "u" * 101})
    assert "Username" in err.message
    with expect_error("InvalidParameterException", 400) as err:
        connect_unchecked.create_user(**{**base, "Username": ""})
    assert "Username" in err.message
    with expect_error("InvalidParameterException", 400) as err:
        connect_unchecked.create_user(
            **{**base, "Username": unique("u"), "SecurityProfileIds": [f"sp-{i}" for i in range(11)]}
        )
    assert "SecurityProfileIds" in err.message
    with expect_error("InvalidParameterException", 400) as err:
        connect_unchecked.create_user(**{**base, "Username": unique("u"), "SecurityProfileIds": []})
    assert "SecurityProfileIds" in err.message
    # exactly 100 characters is fine
    connect_unchecked.create_user(**{**base, "Username": "u" * 100})


def test_delete_user(connect, instance, new_user):
    keep = new_user(instance)
    gone = new_user(instance)
    resp = connect.delete_user(InstanceId=instance["Id"], UserId=gone["Id"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    with expect_error("ResourceNotFoundException", 404):
        connect.describe_user(InstanceId=instance["Id"], UserId=gone["Id"])
    with expect_error("ResourceNotFoundException", 404):
        connect.delete_user(InstanceId=instance["Id"], UserId=gone["Id"])
    with expect_error("ResourceNotFoundException", 404):
        connect.list_user_notifications(InstanceId=instance["Id"], UserId=gone["Id"])
    assert ids(connect.list_users(InstanceId=instance["Id"])["UserSummaryList"]) == [keep["Id"]]
    # the name is free again
    again = new_user(instance, username=gone["Username"])
    assert again["Id"] != gone["Id"]


def test_unknown_user_is_not_found(connect, instance, new_instance, new_user, notify):
    missing = str(uuid.uuid4())
    with expect_error("ResourceNotFoundException", 404):
        connect.describe_user(InstanceId=instance["Id"], UserId=missing)
    with expect_error("ResourceNotFoundException", 404):
        connect.list_user_notifications(InstanceId=instance["Id"], UserId=missing)
    n = notify(instance, [instance["Arn"]])
    with expect_error("ResourceNotFoundException", 404):
        connect.update_user_notification_status(
            InstanceId=instance["Id"], UserId=missing, NotificationId=n["Id"], Status="READ"
        )
    # a user of another instance is unknown here
    other = new_user(new_instance())
    with expect_error("ResourceNotFoundException", 404):
        connect.describe_user(InstanceId=instance["Id"], UserId=other["Id"])


# ==========================================================================
# Notifications: create / describe / list / update / delete
# ==========================================================================


def test_create_and_describe_notification(connect, instance, new_user):
    u1 = new_user(instance)
    u2 = new_user(instance)
    expires = (now() + timedelta(days=2)).replace(microsecond=0)
    content = {"en_US": "Fire drill at noon", "de_DE": "Feueralarmübung um 12 Uhr", "ja_JP": "正午に避難訓練"}
    before = now()
    resp = connect.create_notification(
        InstanceId=instance["Id"],
        Recipients=[u1["Arn"], u2["Arn"]],
        Content=content,
        Priority="HIGH",
        ExpiresAt=expires,
        Tags={"team": "ops"},
    )
    after = now()
    nid = resp["NotificationId"]
    assert_uuid(nid)
    assert resp["NotificationArn"] == notification_arn(instance, nid)
    assert resp["NotificationArn"] == f"arn:aws:connect:{REGION}:{ACCOUNT_ID}:instance/{instance['Id']}/notification/{nid}"

    n = connect.describe_notification(InstanceId=instance["Id"], NotificationId=nid)["Notification"]
    assert n["Id"] == nid
    assert n["Arn"] == resp["NotificationArn"]
    assert n["Content"] == content
    assert n["Priority"] == "HIGH"
    assert sorted(n["Recipients"]) == sorted([u1["Arn"], u2["Arn"]])
    assert n["ExpiresAt"] == expires
    assert_recent(n["CreatedAt"], before, after)
    assert n["LastModifiedTime"] >= n["CreatedAt"]
    assert n["LastModifiedRegion"] == REGION
    assert n["Tags"] == {"team": "ops"}


def test_create_notification_defaults(connect, instance):
    resp = connect.create_notification(
        InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_US": "defaults"}
    )
    n = connect.describe_notification(InstanceId=instance["Id"], NotificationId=resp["NotificationId"])[
        "Notification"
    ]
    assert n["Priority"] == "LOW"
    assert abs((n["ExpiresAt"] - n["CreatedAt"]) - SEVEN_DAYS) < timedelta(seconds=2)
    assert "Tags" not in n, "Tags must be omitted when empty"
    assert n["Recipients"] == [instance["Arn"]]


def test_duplicate_recipients_are_collapsed(connect, instance, new_user):
    u = new_user(instance)
    resp = connect.create_notification(
        InstanceId=instance["Id"],
        Recipients=[u["Arn"], u["Arn"], instance["Arn"], instance["Arn"]],
        Content={"en_US": "dups"},
    )
    n = connect.describe_notification(InstanceId=instance["Id"], NotificationId=resp["NotificationId"])[
        "Notification"
    ]
    assert sorted(n["Recipients"]) == sorted([u["Arn"], instance["Arn"]])
    # and the user sees it once
    listed = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"])["UserNotifications"]
    assert ids(listed, "NotificationId") == [resp["NotificationId"]]


def test_content_up_to_500_unicode_scalars(connect, instance):
    # 500 scalar values, 2000 bytes of UTF-8: allowed
    text = "\U0001f600" * 500
    resp = connect.create_notification(InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"fr_FR": text})
    n = connect.describe_notification(InstanceId=instance["Id"], NotificationId=resp["NotificationId"])[
        "Notification"
    ]
    assert n["Content"] == {"fr_FR": text}


def test_all_locales_accepted(connect, instance):
    locales = ["en_US", "de_DE", "es_ES", "fr_FR", "id_ID", "it_IT", "ja_JP", "ko_KR", "pt_BR", "zh_CN", "zh_TW"]
    content = {loc: f"text {loc}" for loc in locales}
    resp = connect.create_notification(InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content=content)
    n = connect.describe_notification(InstanceId=instance["Id"], NotificationId=resp["NotificationId"])[
        "Notification"
    ]
    assert n["Content"] == content


def test_list_notifications_newest_first(connect, instance, notify):
    made = []
    for i in range(3):
        made.append(notify(instance, [instance["Arn"]], f"note {i}", Priority="HIGH" if i == 1 else "LOW"))
        tick()
    resp = connect.list_notifications(InstanceId=instance["Id"])
    summaries = resp["NotificationSummaryList"]
    assert ids(summaries) == [m["Id"] for m in reversed(made)]
    for s, m in zip(summaries, reversed(made)):
        assert s["Arn"] == m["Arn"]
        assert isinstance(s["LastModifiedTime"], datetime)
    assert not resp.get("NextToken")


def test_list_notifications_only_this_instance(connect, instance, new_instance, notify):
    mine = notify(instance, [instance["Arn"]])
    other = new_instance()
    notify(other, [other["Arn"]])
    listed = connect.list_notifications(InstanceId=instance["Id"])["NotificationSummaryList"]
    assert ids(listed) == [mine["Id"]]


def test_update_notification_content(connect, instance, new_user, notify):
    u = new_user(instance)
    n = notify(instance, [u["Arn"]], "old text")
    before = connect.describe_notification(InstanceId=instance["Id"], NotificationId=n["Id"])["Notification"]
    time.sleep(0.05)
    resp = connect.update_notification_content(
        InstanceId=instance["Id"], NotificationId=n["Id"], Content={"en_US": "new text", "es_ES": "texto nuevo"}
    )
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    after = connect.describe_notification(InstanceId=instance["Id"], NotificationId=n["Id"])["Notification"]
    assert after["Content"] == {"en_US": "new text", "es_ES": "texto nuevo"}
    assert after["LastModifiedTime"] > before["LastModifiedTime"]
    assert after["CreatedAt"] == before["CreatedAt"]
    listed = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"])["UserNotifications"]
    assert listed[0]["Content"] == {"en_US": "new text", "es_ES": "texto nuevo"}


def test_update_notification_content_validation(connect_unchecked, instance, notify):
    n = notify(instance, [instance["Arn"]])
    bad = [{}, {"xx_XX": "nope"}, {"en_US": "a" * 501}]
    for content in bad:
        with expect_error("InvalidParameterException", 400):
            connect_unchecked.update_notification_content(
                InstanceId=instance["Id"], NotificationId=n["Id"], Content=content
            )
    with expect_error("ResourceNotFoundException", 404):
        connect_unchecked.update_notification_content(
            InstanceId=instance["Id"], NotificationId=str(uuid.uuid4()), Content={"en_US": "x"}
        )


def test_delete_notification(connect, instance, new_user, notify):
    u = new_user(instance)
    keep = notify(instance, [u["Arn"]], "keep")
    gone = notify(instance, [u["Arn"]], "gone", Tags={"a": "b"})
    resp = connect.delete_notification(InstanceId=instance["Id"], NotificationId=gone["Id"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200

    with expect_error("ResourceNotFoundException", 404):
        connect.describe_notification(InstanceId=instance["Id"], NotificationId=gone["Id"])
    with expect_error("ResourceNotFoundException", 404):
        connect.delete_notification(InstanceId=instance["Id"], NotificationId=gone["Id"])
    with expect_error("ResourceNotFoundException", 404):
        connect.update_notification_content(
            InstanceId=instance["Id"], NotificationId=gone["Id"], Content={"en_US": "x"}
        )
    with expect_error("ResourceNotFoundException", 404):
        connect.update_user_notification_status(
            InstanceId=instance["Id"], UserId=u["Id"], NotificationId=gone["Id"], Status="READ"
        )
    with expect_error("ResourceNotFoundException", 404):
        connect.list_tags_for_resource(resourceArn=gone["Arn"])
    assert ids(connect.list_notifications(InstanceId=instance["Id"])["NotificationSummaryList"]) == [keep["Id"]]
    user_view = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"])["UserNotifications"]
    assert ids(user_view, "NotificationId") == [keep["Id"]]
    search = connect.search_notifications(InstanceId=instance["Id"])
    assert ids(search["Notifications"]) == [keep["Id"]]


def test_unknown_notification_is_not_found(connect, instance):
    missing = str(uuid.uuid4())
    with expect_error("ResourceNotFoundException", 404):
        connect.describe_notification(InstanceId=instance["Id"], NotificationId=missing)
    with expect_error("ResourceNotFoundException", 404):
        connect.delete_notification(InstanceId=instance["Id"], NotificationId=missing)


def test_notification_of_another_instance_is_not_found(connect, instance, new_instance, notify):
    other = new_instance()
    n = notify(other, [other["Arn"]])
    with expect_error("ResourceNotFoundException", 404):
        connect.describe_notification(InstanceId=instance["Id"], NotificationId=n["Id"])


# --------------------------------------------------------------------------
# CreateNotification validation
# --------------------------------------------------------------------------


def test_bad_locale_key_is_invalid_parameter(connect_unchecked, instance):
    with expect_error("InvalidParameterException", 400):
        connect_unchecked.create_notification(
            InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_GB": "colour"}
        )


def test_empty_content_is_invalid_parameter(connect_unchecked, instance):
    with expect_error("InvalidParameterException", 400) as err:
        connect_unchecked.create_notification(InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={})
    assert "Content" in err.message


def test_text_over_500_chars_is_invalid_parameter(connect_unchecked, instance):
    with expect_error("InvalidParameterException", 400) as err:
        connect_unchecked.create_notification(
            InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_US": "a" * 501}
        )
    assert "Content" in err.message


def test_urgent_priority_is_invalid_parameter(connect_unchecked, instance):
    for priority in ("URGENT", "MEDIUM"):
        with expect_error("InvalidParameterException", 400) as err:
            connect_unchecked.create_notification(
                InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_US": "x"}, Priority=priority
            )
        assert "Priority" in err.message


def test_recipient_from_another_instance_is_invalid_parameter(connect, instance, new_instance, new_user):
    other = new_instance()
    foreign_user = new_user(other)
    bad_recipients = [
        foreign_user["Arn"],  # a user of another instance
        other["Arn"],  # another instance
        user_arn(instance, str(uuid.uuid4())),  # no such user here
        "not-an-arn",
        instance["Arn"] + "/queue/" + str(uuid.uuid4()),
    ]
    for bad in bad_recipients:
        with expect_error("InvalidParameterException", 400) as err:
            connect.create_notification(
                InstanceId=instance["Id"], Recipients=[instance["Arn"], bad], Content={"en_US": "x"}
            )
        assert bad in err.message, f"message does not name the bad recipient {bad!r}: {err.message!r}"
    assert connect.list_notifications(InstanceId=instance["Id"])["NotificationSummaryList"] == []


def test_empty_recipients_is_invalid_parameter(connect_unchecked, instance):
    with expect_error("InvalidParameterException", 400) as err:
        connect_unchecked.create_notification(InstanceId=instance["Id"], Recipients=[], Content={"en_US": "x"})
    assert "Recipients" in err.message


def test_expires_at_in_the_past_is_invalid_parameter(connect, instance):
    with expect_error("InvalidParameterException", 400) as err:
        connect.create_notification(
            InstanceId=instance["Id"],
            Recipients=[instance["Arn"]],
            Content={"en_US": "x"},
            ExpiresAt=now() - timedelta(minutes=5),
        )
    assert "ExpiresAt" in err.message


def test_expires_at_more_than_365_days_ahead_is_invalid_parameter(connect, instance):
    with expect_error("InvalidParameterException", 400) as err:
        connect.create_notification(
            InstanceId=instance["Id"],
            Recipients=[instance["Arn"]],
            Content={"en_US": "x"},
            ExpiresAt=now() + timedelta(days=366),
        )
    assert "ExpiresAt" in err.message
    ok = connect.create_notification(
        InstanceId=instance["Id"],
        Recipients=[instance["Arn"]],
        Content={"en_US": "x"},
        ExpiresAt=now() + timedelta(days=364),
    )
    assert ok["NotificationId"]


def test_notification_tag_validation(connect_unchecked, instance):
    bad_tags = [
        {"aws:reserved": "x"},
        {"k" * 129: "x"},
        {"key": "v" * 257},
        {f"k{i}": "v" for i in range(51)},
    ]
    for tags in bad_tags:
        with expect_error("InvalidParameterException", 400):
            connect_unchecked.create_notification(
                InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_US": "x"}, Tags=tags
            )
    fifty = {f"k{i}": "v" for i in range(50)}
    resp = connect_unchecked.create_notification(
        InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_US": "x"}, Tags=fifty
    )
    n = connect_unchecked.describe_notification(InstanceId=instance["Id"], NotificationId=resp["NotificationId"])
    assert n["Notification"]["Tags"] == fifty


def test_recipient_count_limit(connect, instance, new_user):
    users = [new_user(instance, username=f"fan-{i:03d}") for i in range(200)]
    arns = [u["Arn"] for u in users]
    with expect_error("InvalidParameterException", 400) as err:
        connect.create_notification(
            InstanceId=instance["Id"], Recipients=arns + [instance["Arn"]], Content={"en_US": "too many"}
        )
    assert "Recipients" in err.message
    resp = connect.create_notification(InstanceId=instance["Id"], Recipients=arns, Content={"en_US": "200 is fine"})
    n = connect.describe_notification(InstanceId=instance["Id"], NotificationId=resp["NotificationId"])[
        "Notification"
    ]
    assert sorted(n["Recipients"]) == sorted(arns)
    last = connect.list_user_notifications(InstanceId=instance["Id"], UserId=users[-1]["Id"])["UserNotifications"]
    assert ids(last, "NotificationId") == [resp["NotificationId"]]


def test_client_token_and_predefined_id_lengths(connect_unchecked, instance):
    base = dict(InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_US": "x"})
    with expect_error("InvalidParameterException", 400) as err:
        connect_unchecked.create_notification(ClientToken="t" * 501, **base)
    assert "ClientToken" in err.message
    with expect_error("InvalidParameterException", 400) as err:
        connect_unchecked.create_notification(PredefinedNotificationId="p" * 257, **base)
    assert "PredefinedNotificationId" in err.message
    ok = connect_unchecked.create_notification(ClientToken="t" * 500, PredefinedNotificationId="p" * 256, **base)
    assert ok["NotificationId"] == "p" * 256


# --------------------------------------------------------------------------
# Idempotency and predefined ids
# --------------------------------------------------------------------------


def test_client_token_same_request_returns_same_notification(connect, instance):
    token = unique("token")
    params = dict(
        InstanceId=instance["Id"],
        Recipients=[instance["Arn"]],
        Content={"en_US": "only once"},
        Priority="HIGH",
        ClientToken=token,
    )
    first = connect.create_notification(**params)
    time.sleep(1.1)  # the default expiry is computed again; "as sent" is what counts
    second = connect.create_notification(**params)
    assert second["NotificationId"] == first["NotificationId"]
    assert second["NotificationArn"] == first["NotificationArn"]
    listed = connect.list_notifications(InstanceId=instance["Id"])["NotificationSummaryList"]
    assert ids(listed) == [first["NotificationId"]]


def test_client_token_with_different_request_is_409(connect, instance):
    token = unique("token")
    connect.create_notification(
        InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_US": "one"}, ClientToken=token
    )
    for change in ({"Content": {"en_US": "two"}}, {"Priority": "HIGH"}, {"Tags": {"a": "b"}}):
        params = dict(InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_US": "one"})
        params.update(change)
        with expect_error("DuplicateResourceException", 409):
            connect.create_notification(ClientToken=token, **params)
    assert len(connect.list_notifications(InstanceId=instance["Id"])["NotificationSummaryList"]) == 1


def test_predefined_notification_id(connect, instance, new_instance):
    pid = unique("maintenance-window")
    resp = connect.create_notification(
        InstanceId=instance["Id"],
        Recipients=[instance["Arn"]],
        Content={"en_US": "planned"},
        PredefinedNotificationId=pid,
    )
    assert resp["NotificationId"] == pid
    assert resp["NotificationArn"] == notification_arn(instance, pid)
    n = connect.describe_notification(InstanceId=instance["Id"], NotificationId=pid)["Notification"]
    assert n["Id"] == pid
    with expect_error("DuplicateResourceException", 409):
        connect.create_notification(
            InstanceId=instance["Id"],
            Recipients=[instance["Arn"]],
            Content={"en_US": "again"},
            PredefinedNotificationId=pid,
        )
    # in use "in the instance": another instance may use the same id
    other = new_instance()
    resp2 = connect.create_notification(
        InstanceId=other["Id"], Recipients=[other["Arn"]], Content={"en_US": "planned"}, PredefinedNotificationId=pid
    )
    assert resp2["NotificationId"] == pid
    assert resp2["NotificationArn"] == notification_arn(other, pid)


# ==========================================================================
# Per-user view
# ==========================================================================


def test_list_user_notifications_shape_and_order(connect, instance, new_user, notify):
    u = new_user(instance)
    low1 = notify(instance, [u["Arn"]], "low 1", Priority="LOW")
    tick()
    high1 = notify(instance, [instance["Arn"]], "high 1", Priority="HIGH")
    tick()
    low2 = notify(instance, [u["Arn"]], "low 2")
    tick()
    high2 = notify(instance, [u["Arn"], instance["Arn"]], "high 2", Priority="HIGH")
    tick()
    resp = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"])
    items = resp["UserNotifications"]
    assert ids(items, "NotificationId") == [high2["Id"], high1["Id"], low2["Id"], low1["Id"]]
    assert not resp.get("NextToken")
    by_id = {m["Id"]: m for m in (low1, high1, low2, high2)}
    for item in items:
        made = by_id[item["NotificationId"]]
        assert item["NotificationStatus"] == "UNREAD"
        assert item["Source"] == "CUSTOMER"
        assert item["RecipientId"] == u["Id"]
        assert item["InstanceId"] == instance["Id"]
        assert item["Content"] == made["params"]["Content"]
        assert item["Priority"] == made["params"].get("Priority", "LOW")
        assert isinstance(item["CreatedAt"], datetime)
        assert abs((item["ExpiresAt"] - item["CreatedAt"]) - SEVEN_DAYS) < timedelta(seconds=2)


def test_user_only_sees_own_notifications(connect, instance, new_user, notify):
    a = new_user(instance)
    b = new_user(instance)
    to_a = notify(instance, [a["Arn"]], "for a")
    to_b = notify(instance, [b["Arn"]], "for b")
    seen_a = connect.list_user_notifications(InstanceId=instance["Id"], UserId=a["Id"])["UserNotifications"]
    seen_b = connect.list_user_notifications(InstanceId=instance["Id"], UserId=b["Id"])["UserNotifications"]
    assert ids(seen_a, "NotificationId") == [to_a["Id"]]
    assert ids(seen_b, "NotificationId") == [to_b["Id"]]


def test_status_changes_are_visible_per_user(connect, instance, new_user, notify):
    a = new_user(instance)
    b = new_user(instance)
    n = notify(instance, [instance["Arn"]], "everyone")

    def status_of(user):
        items = connect.list_user_notifications(InstanceId=instance["Id"], UserId=user["Id"])["UserNotifications"]
        assert ids(items, "NotificationId") == [n["Id"]]
        return items[0]["NotificationStatus"]

    assert status_of(a) == "UNREAD"
    resp = connect.update_user_notification_status(
        InstanceId=instance["Id"], UserId=a["Id"], NotificationId=n["Id"], Status="READ"
    )
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert status_of(a) == "READ"
    assert status_of(b) == "UNREAD"
    connect.update_user_notification_status(
        InstanceId=instance["Id"], UserId=a["Id"], NotificationId=n["Id"], Status="UNREAD"
    )
    assert status_of(a) == "UNREAD"
    connect.update_user_notification_status(
        InstanceId=instance["Id"], UserId=b["Id"], NotificationId=n["Id"], Status="HIDDEN"
    )
    assert status_of(b) == "HIDDEN", "HIDDEN notifications stay listed, with status HIDDEN"
    assert status_of(a) == "UNREAD"


def test_invalid_status_is_invalid_parameter(connect_unchecked, instance, new_user, notify):
    u = new_user(instance)
    n = notify(instance, [u["Arn"]])
    with expect_error("InvalidParameterException", 400) as err:
        connect_unchecked.update_user_notification_status(
            InstanceId=instance["Id"], UserId=u["Id"], NotificationId=n["Id"], Status="ARCHIVED"
        )
    assert "Status" in err.message


def test_instance_wide_recipient_reaches_user_created_later(connect, instance, new_user, notify):
    early = new_user(instance)
    n = notify(instance, [instance["Arn"]], "all hands")
    late = new_user(instance)
    items = connect.list_user_notifications(InstanceId=instance["Id"], UserId=late["Id"])["UserNotifications"]
    assert ids(items, "NotificationId") == [n["Id"]]
    assert items[0]["RecipientId"] == late["Id"]
    assert items[0]["NotificationStatus"] == "UNREAD"
    connect.update_user_notification_status(
        InstanceId=instance["Id"], UserId=late["Id"], NotificationId=n["Id"], Status="READ"
    )
    items = connect.list_user_notifications(InstanceId=instance["Id"], UserId=late["Id"])["UserNotifications"]
    assert items[0]["NotificationStatus"] == "READ"
    items = connect.list_user_notifications(InstanceId=instance["Id"], UserId=early["Id"])["UserNotifications"]
    assert items[0]["NotificationStatus"] == "UNREAD"


def test_status_of_notification_not_sent_to_user_is_not_found(connect, instance, new_user, notify):
    a = new_user(instance)
    b = new_user(instance)
    n = notify(instance, [a["Arn"]], "only a")
    with expect_error("ResourceNotFoundException", 404) as not_sent:
        connect.update_user_notification_status(
            InstanceId=instance["Id"], UserId=b["Id"], NotificationId=n["Id"], Status="READ"
        )
    missing = str(uuid.uuid4())
    with expect_error("ResourceNotFoundException", 404) as not_there:
        connect.update_user_notification_status(
            InstanceId=instance["Id"], UserId=b["Id"], NotificationId=missing, Status="READ"
        )
    assert not_sent.message.replace(n["Id"], "<id>") == not_there.message.replace(missing, "<id>"), (
        "the not-sent and does-not-exist cases must not be distinguishable"
    )


def test_stale_last_modified_time_is_invalid_request(connect, instance, new_user, notify):
    u = new_user(instance)
    n = notify(instance, [u["Arn"]])
    key = dict(InstanceId=instance["Id"], UserId=u["Id"], NotificationId=n["Id"])
    connect.update_user_notification_status(Status="READ", **key)  # stored time: now
    stale = now() - timedelta(hours=1)
    with expect_error("InvalidRequestException", 400) as err:
        connect.update_user_notification_status(Status="HIDDEN", LastModifiedTime=stale, **key)
    assert len(re.findall(r"\b20\d\d\b", err.message)) >= 2, f"the message should name both times: {err.message!r}"
    items = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"])["UserNotifications"]
    assert items[0]["NotificationStatus"] == "READ", "a stale write must change nothing"
    # a newer time is accepted
    connect.update_user_notification_status(Status="HIDDEN", LastModifiedTime=now() + timedelta(seconds=5), **key)
    items = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"])["UserNotifications"]
    assert items[0]["NotificationStatus"] == "HIDDEN"


def test_replicated_status_write_keeps_supplied_time(connect, connect_unchecked, instance, new_user, notify):
    u = new_user(instance)
    n = notify(instance, [u["Arn"]])
    key = dict(InstanceId=instance["Id"], UserId=u["Id"], NotificationId=n["Id"])
    future = (now() + timedelta(minutes=10)).replace(microsecond=0)
    connect.update_user_notification_status(
        Status="READ", LastModifiedTime=future, LastModifiedRegion="us-west-2", **key
    )
    # the stored time is now the supplied one (ten minutes ahead), so "now" is stale
    with expect_error("InvalidRequestException", 400):
        connect.update_user_notification_status(Status="UNREAD", LastModifiedTime=now(), **key)
    items = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"])["UserNotifications"]
    assert items[0]["NotificationStatus"] == "READ"
    # a replicated write needs the time
    with expect_error("InvalidParameterException", 400):
        connect_unchecked.update_user_notification_status(Status="UNREAD", LastModifiedRegion="us-west-2", **key)
    connect.update_user_notification_status(
        Status="UNREAD", LastModifiedTime=future + timedelta(seconds=1), **key
    )
    items = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"])["UserNotifications"]
    assert items[0]["NotificationStatus"] == "UNREAD"


def test_expired_notification_leaves_listings_at_once(connect, instance, new_user, notify):
    u = new_user(instance)
    live = notify(instance, [u["Arn"]], "live alarm")
    expires = now() + timedelta(seconds=3)
    short = notify(instance, [u["Arn"]], "short alarm", ExpiresAt=expires)
    listed = ids(connect.list_notifications(InstanceId=instance["Id"])["NotificationSummaryList"])
    assert short["Id"] in listed
    # botocore sends whole seconds, so the stored expiry is at most `expires`
    time.sleep(max(0.0, (expires - now()).total_seconds()) + 0.5)

    listed = ids(connect.list_notifications(InstanceId=instance["Id"])["NotificationSummaryList"])
    assert listed == [live["Id"]]
    user_view = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"])["UserNotifications"]
    assert ids(user_view, "NotificationId") == [live["Id"]]
    search = connect.search_notifications(
        InstanceId=instance["Id"],
        SearchCriteria={"StringCondition": {"FieldName": "Content", "Value": "alarm", "ComparisonType": "CONTAINS"}},
    )
    assert ids(search["Notifications"]) == [live["Id"]]
    assert search["ApproximateTotalCount"] == 1
    # still describable until the sweeper removes it (grace: 3600 s by default)
    n = connect.describe_notification(InstanceId=instance["Id"], NotificationId=short["Id"])["Notification"]
    assert n["ExpiresAt"] <= now()
    # a status write on it is the same not-found as for a missing notification
    with expect_error("ResourceNotFoundException", 404) as expired:
        connect.update_user_notification_status(
            InstanceId=instance["Id"], UserId=u["Id"], NotificationId=short["Id"], Status="READ"
        )
    missing = str(uuid.uuid4())
    with expect_error("ResourceNotFoundException", 404) as not_there:
        connect.update_user_notification_status(
            InstanceId=instance["Id"], UserId=u["Id"], NotificationId=missing, Status="READ"
        )
    assert expired.message.replace(short["Id"], "<id>") == not_there.message.replace(missing, "<id>")


# ==========================================================================
# Tags
# ==========================================================================


def test_tag_untag_and_list_tags(connect, instance, notify):
    n = notify(instance, [instance["Arn"]], Tags={"team": "ops"})
    assert connect.list_tags_for_resource(resourceArn=n["Arn"])["tags"] == {"team": "ops"}
    resp = connect.tag_resource(resourceArn=n["Arn"], tags={"env": "prod", "team": "sre"})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert connect.list_tags_for_resource(resourceArn=n["Arn"])["tags"] == {"team": "sre", "env": "prod"}
    described = connect.describe_notification(InstanceId=instance["Id"], NotificationId=n["Id"])["Notification"]
    assert described["Tags"] == {"team": "sre", "env": "prod"}
    resp = connect.untag_resource(resourceArn=n["Arn"], tagKeys=["team", "not-there"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert connect.list_tags_for_resource(resourceArn=n["Arn"])["tags"] == {"env": "prod"}
    connect.untag_resource(resourceArn=n["Arn"], tagKeys=["env"])
    assert connect.list_tags_for_resource(resourceArn=n["Arn"]).get("tags", {}) == {}
    described = connect.describe_notification(InstanceId=instance["Id"], NotificationId=n["Id"])["Notification"]
    assert "Tags" not in described


def test_tags_on_other_or_unknown_arns_are_not_found(connect, instance, new_user):
    u = new_user(instance)
    arns = [
        instance["Arn"],
        u["Arn"],
        notification_arn(instance, str(uuid.uuid4())),
        f"arn:aws:connect:{REGION}:{ACCOUNT_ID}:instance/{uuid.uuid4()}/notification/{uuid.uuid4()}",
    ]
    for arn in arns:
        with expect_error("ResourceNotFoundException", 404):
            connect.list_tags_for_resource(resourceArn=arn)
        with expect_error("ResourceNotFoundException", 404):
            connect.tag_resource(resourceArn=arn, tags={"a": "b"})
        with expect_error("ResourceNotFoundException", 404):
            connect.untag_resource(resourceArn=arn, tagKeys=["a"])


def test_tag_resource_limits(connect_unchecked, instance, notify):
    n = notify(instance, [instance["Arn"]], Tags={f"k{i}": "v" for i in range(49)})
    for tags in ({"aws:x": "y"}, {"k" * 129: "v"}, {"ok": "v" * 257}, {"x1": "v", "x2": "v"}):
        with expect_error("InvalidParameterException", 400):
            connect_unchecked.tag_resource(resourceArn=n["Arn"], tags=tags)
    # overwriting an existing key does not add to the count
    connect_unchecked.tag_resource(resourceArn=n["Arn"], tags={"k0": "new", "x1": "v"})
    tags = connect_unchecked.list_tags_for_resource(resourceArn=n["Arn"])["tags"]
    assert len(tags) == 50 and tags["k0"] == "new" and tags["x1"] == "v"


# ==========================================================================
# Search
# ==========================================================================


@pytest.fixture
def search_corpus(connect, instance, new_instance, notify):
    """Four notifications (a oldest ... d newest) plus noise in another instance."""
    a = notify(instance, [instance["Arn"]], "Fire drill at NOON", Tags={"team": "ops", "env": "prod"})
    tick()
    b = notify(
        instance,
        [instance["Arn"]],
        "Lunch is served",
        Content={"en_US": "Lunch is served", "de_DE": "Mittagessen und FIRE"},
        Tags={"team": "dev"},
    )
    tick()
    c = notify(instance, [instance["Arn"]], "Quarterly review", Priority="HIGH", Tags={"team": "ops", "env": "test"})
    tick()
    d = notify(instance, [instance["Arn"]], "ÉCOLE fermée", Content={"fr_FR": "ÉCOLE FERMÉE demain"})
    other = new_instance()
    notify(other, [other["Arn"]], "fire in another instance", Tags={"team": "ops"})
    return {"instance": instance, "a": a, "b": b, "c": c, "d": d}


def sc(field, value, kind):
    return {"StringCondition": {"FieldName": field, "Value": value, "ComparisonType": kind}}


def search_ids(connect, instance, **kw):
    resp = connect.search_notifications(InstanceId=instance["Id"], **kw)
    found = ids(resp["Notifications"])
    assert resp["ApproximateTotalCount"] == len(found), resp["ApproximateTotalCount"]
    return found


def test_search_without_criteria_lists_all_newest_first(connect, search_corpus):
    s = search_corpus
    resp = connect.search_notifications(InstanceId=s["instance"]["Id"])
    assert ids(resp["Notifications"]) == [s["d"]["Id"], s["c"]["Id"], s["b"]["Id"], s["a"]["Id"]]
    assert resp["ApproximateTotalCount"] == 4
    first = resp["Notifications"][-1]
    assert first["Arn"] == s["a"]["Arn"]
    assert first["InstanceId"] == s["instance"]["Id"]
    assert first["Content"] == {"en_US": "Fire drill at NOON"}
    assert first["Priority"] == "LOW"
    assert first["Tags"] == {"team": "ops", "env": "prod"}
    assert first["Recipients"] == [s["instance"]["Arn"]]


def test_search_contains_is_case_insensitive(connect, search_corpus):
    s = search_corpus
    inst = s["instance"]
    # b matches through its de_DE text
    assert search_ids(connect, inst, SearchCriteria=sc("Content", "fire", "CONTAINS")) == [s["b"]["Id"], s["a"]["Id"]]
    assert search_ids(connect, inst, SearchCriteria=sc("Content", "DRILL AT noon", "CONTAINS")) == [s["a"]["Id"]]
    # Unicode lower-casing
    assert search_ids(connect, inst, SearchCriteria=sc("Content", "école fermée", "CONTAINS")) == [s["d"]["Id"]]


def test_search_exact_is_case_sensitive_and_starts_with_is_not(connect, search_corpus):
    s = search_corpus
    inst = s["instance"]
    assert search_ids(connect, inst, SearchCriteria=sc("Content", "Fire drill at NOON", "EXACT")) == [s["a"]["Id"]]
    assert search_ids(connect, inst, SearchCriteria=sc("Content", "fire drill at noon", "EXACT")) == []
    assert search_ids(connect, inst, SearchCriteria=sc("Content", "quarterly", "STARTS_WITH")) == [s["c"]["Id"]]
    assert search_ids(connect, inst, SearchCriteria=sc("Content", "review", "STARTS_WITH")) == []


def test_search_by_id(connect, search_corpus):
    s = search_corpus
    inst = s["instance"]
    assert search_ids(connect, inst, SearchCriteria=sc("Id", s["c"]["Id"], "EXACT")) == [s["c"]["Id"]]
    assert search_ids(connect, inst, SearchCriteria=sc("NotificationId", s["b"]["Id"], "EXACT")) == [s["b"]["Id"]]


def test_search_and_or_conditions(connect, search_corpus):
    s = search_corpus
    inst = s["instance"]
    either = {"OrConditions": [sc("Content", "lunch", "CONTAINS"), sc("Content", "quarterly", "CONTAINS")]}
    assert search_ids(connect, inst, SearchCriteria=either) == [s["c"]["Id"], s["b"]["Id"]]
    both = {"AndConditions": [sc("Content", "fire", "CONTAINS"), sc("Content", "drill", "CONTAINS")]}
    assert search_ids(connect, inst, SearchCriteria=both) == [s["a"]["Id"]]
    # members side by side are ANDed
    side_by_side = {
        "StringCondition": {"FieldName": "Content", "Value": "fire", "ComparisonType": "CONTAINS"},
        "OrConditions": [sc("Content", "lunch", "CONTAINS"), sc("Content", "review", "CONTAINS")],
    }
    assert search_ids(connect, inst, SearchCriteria=side_by_side) == [s["b"]["Id"]]
    # an empty list adds no constraint
    assert len(search_ids(connect, inst, SearchCriteria={"AndConditions": []})) == 4
    assert len(search_ids(connect, inst, SearchCriteria={"OrConditions": []})) == 4
    nested = {
        "OrConditions": [
            {"AndConditions": [sc("Content", "fire", "CONTAINS"), sc("Content", "noon", "CONTAINS")]},
            {"AndConditions": [sc("Content", "quarterly", "STARTS_WITH")]},
        ]
    }
    assert search_ids(connect, inst, SearchCriteria=nested) == [s["c"]["Id"], s["a"]["Id"]]


def test_search_tag_filter(connect, search_corpus):
    s = search_corpus
    inst = s["instance"]

    def tag(k, v):
        return {"TagKey": k, "TagValue": v}

    f = {"AttributeFilter": {"TagCondition": tag("team", "ops")}}
    assert search_ids(connect, inst, SearchFilter=f) == [s["c"]["Id"], s["a"]["Id"]]
    f = {"AttributeFilter": {"AndCondition": {"TagConditions": [tag("team", "ops"), tag("env", "prod")]}}}
    assert search_ids(connect, inst, SearchFilter=f) == [s["a"]["Id"]]
    f = {
        "AttributeFilter": {
            "OrConditions": [{"TagConditions": [tag("team", "dev")]}, {"TagConditions": [tag("env", "test")]}]
        }
    }
    assert search_ids(connect, inst, SearchFilter=f) == [s["c"]["Id"], s["b"]["Id"]]
    # exact key and value
    f = {"AttributeFilter": {"TagCondition": tag("team", "OPS")}}
    assert search_ids(connect, inst, SearchFilter=f) == []
    # filter and criteria together
    f = {"AttributeFilter": {"TagCondition": tag("team", "ops")}}
    assert search_ids(connect, inst, SearchFilter=f, SearchCriteria=sc("Content", "FIRE", "CONTAINS")) == [
        s["a"]["Id"]
    ]


def test_search_sees_tags_added_later(connect, search_corpus):
    s = search_corpus
    connect.tag_resource(resourceArn=s["d"]["Arn"], tags={"team": "ops"})
    f = {"AttributeFilter": {"TagCondition": {"TagKey": "team", "TagValue": "ops"}}}
    assert search_ids(connect, s["instance"], SearchFilter=f) == [s["d"]["Id"], s["c"]["Id"], s["a"]["Id"]]


def test_search_sees_updated_content(connect, search_corpus):
    s = search_corpus
    inst = s["instance"]
    connect.update_notification_content(
        InstanceId=inst["Id"], NotificationId=s["c"]["Id"], Content={"en_US": "Quarterly FIRE review"}
    )
    assert search_ids(connect, inst, SearchCriteria=sc("Content", "fire", "CONTAINS")) == [
        s["c"]["Id"],
        s["b"]["Id"],
        s["a"]["Id"],
    ]


def test_search_invalid_criteria(connect_unchecked, instance):
    def bad(criteria, needle=None):
        with expect_error("InvalidParameterException", 400) as err:
            connect_unchecked.search_notifications(InstanceId=instance["Id"], SearchCriteria=criteria)
        if needle:
            assert needle in err.message, err.message
        return err

    err = bad(sc("Priority", "HIGH", "EXACT"))
    assert "Content" in err.message and "Id" in err.message, "must list the valid field names"
    err = bad(sc("Content", "x", "REGEX"))
    assert "CONTAINS" in err.message and "STARTS_WITH" in err.message and "EXACT" in err.message
    bad({"StringCondition": {"FieldName": "Content", "ComparisonType": "CONTAINS"}})
    bad({"StringCondition": {"Value": "x", "ComparisonType": "CONTAINS"}})
    bad({"StringCondition": {"FieldName": "Content", "Value": "x"}})

    fifty = {"OrConditions": [sc("Content", f"v{i}", "CONTAINS") for i in range(50)]}
    connect_unchecked.search_notifications(InstanceId=instance["Id"], SearchCriteria=fifty)
    bad({"OrConditions": [sc("Content", f"v{i}", "CONTAINS") for i in range(51)]})

    deep = sc("Content", "x", "CONTAINS")
    for _ in range(20):
        deep = {"AndConditions": [deep]}
    bad(deep)


# ==========================================================================
# Pagination
# ==========================================================================


def test_list_notifications_pages_of_one(connect, instance, notify):
    made = []
    for i in range(3):
        made.append(notify(instance, [instance["Arn"]], f"page {i}"))
        tick()
    items, pages = paginate(connect.list_notifications, "NotificationSummaryList", InstanceId=instance["Id"], MaxResults=1)
    assert ids(items) == [m["Id"] for m in reversed(made)]
    assert all(len(p["NotificationSummaryList"]) <= 1 for p in pages)
    assert len(pages) >= 3


def test_list_user_notifications_pages_of_one(connect, instance, new_user, notify):
    u = new_user(instance)
    made = [
        notify(instance, [u["Arn"]], "low", Priority="LOW"),
        notify(instance, [instance["Arn"]], "high", Priority="HIGH"),
        notify(instance, [u["Arn"]], "low again", Priority="LOW"),
    ]
    full = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"])["UserNotifications"]
    items, pages = paginate(
        connect.list_user_notifications, "UserNotifications", InstanceId=instance["Id"], UserId=u["Id"], MaxResults=1
    )
    got = ids(items, "NotificationId")
    assert got == ids(full, "NotificationId")
    assert sorted(got) == sorted(m["Id"] for m in made)
    assert got[0] == made[1]["Id"]
    assert all(len(p["UserNotifications"]) <= 1 for p in pages)


def test_search_pages_of_one(connect, search_corpus):
    s = search_corpus
    inst = s["instance"]
    criteria = {"OrConditions": [sc("Content", "fire", "CONTAINS"), sc("Content", "review", "CONTAINS")]}
    items, pages = paginate(
        connect.search_notifications, "Notifications", InstanceId=inst["Id"], SearchCriteria=criteria, MaxResults=1
    )
    assert ids(items) == [s["c"]["Id"], s["b"]["Id"], s["a"]["Id"]]
    assert all(p["ApproximateTotalCount"] == 3 for p in pages)
    assert all(len(p["Notifications"]) <= 1 for p in pages)


def test_list_users_pages_of_one(connect, instance, new_user):
    users = []
    for _ in range(3):
        users.append(new_user(instance))
        tick()
    items, pages = paginate(connect.list_users, "UserSummaryList", InstanceId=instance["Id"], MaxResults=1)
    assert ids(items) == [u["Id"] for u in users]
    assert all(len(p["UserSummaryList"]) <= 1 for p in pages)


def test_list_instances_pages_of_one(connect, new_instance):
    mine = [new_instance()["Id"] for _ in range(3)]
    items, _ = paginate(connect.list_instances, "InstanceSummaryList", MaxResults=1, max_pages=1000)
    listed = ids(items)
    assert len(listed) == len(set(listed))
    positions = [listed.index(i) for i in mine]
    assert positions == sorted(positions)


def test_pagination_is_stable_under_inserts(connect, instance, new_user, notify):
    u = new_user(instance)
    made = []
    for i in range(3):
        made.append(notify(instance, [u["Arn"]], f"before {i}"))
        tick()
    # ListNotifications
    page = connect.list_notifications(InstanceId=instance["Id"], MaxResults=1)
    seen = ids(page["NotificationSummaryList"])
    token = page["NextToken"]
    notify(instance, [u["Arn"]], "inserted", Priority="HIGH")
    while token:
        page = connect.list_notifications(InstanceId=instance["Id"], MaxResults=1, NextToken=token)
        seen += ids(page["NotificationSummaryList"])
        token = page.get("NextToken")
    assert len(seen) == len(set(seen)), f"repeated items: {seen}"
    assert {m["Id"] for m in made} <= set(seen), "an item that existed when the listing began was skipped"

    # ListUserNotifications: the inserted HIGH one sorts before everything
    page = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"], MaxResults=1)
    seen = ids(page["UserNotifications"], "NotificationId")
    token = page["NextToken"]
    notify(instance, [instance["Arn"]], "inserted 2", Priority="HIGH")
    notify(instance, [u["Arn"]], "inserted 3", Priority="LOW")
    while token:
        page = connect.list_user_notifications(
            InstanceId=instance["Id"], UserId=u["Id"], MaxResults=1, NextToken=token
        )
        seen += ids(page["UserNotifications"], "NotificationId")
        token = page.get("NextToken")
    assert len(seen) == len(set(seen)), f"repeated items: {seen}"
    assert {m["Id"] for m in made} <= set(seen)


def test_pagination_survives_deleting_the_cursor_item(connect, instance, notify):
    made = []
    for i in range(3):
        made.append(notify(instance, [instance["Arn"]], f"d{i}"))
        tick()
    page = connect.list_notifications(InstanceId=instance["Id"], MaxResults=1)
    assert ids(page["NotificationSummaryList"]) == [made[2]["Id"]]
    connect.delete_notification(InstanceId=instance["Id"], NotificationId=made[2]["Id"])
    items, _ = paginate(
        connect.list_notifications,
        "NotificationSummaryList",
        InstanceId=instance["Id"],
        MaxResults=1,
        NextToken=page["NextToken"],
    )
    assert ids(items) == [made[1]["Id"], made[0]["Id"]]


def test_default_page_size_is_100(connect, instance):
    for i in range(101):
        connect.create_notification(InstanceId=instance["Id"], Recipients=[instance["Arn"]], Content={"en_US": f"bulk {i}"})
    first = connect.list_notifications(InstanceId=instance["Id"])
    assert len(first["NotificationSummaryList"]) == 100
    assert first.get("NextToken")
    rest = connect.list_notifications(InstanceId=instance["Id"], NextToken=first["NextToken"])
    assert len(rest["NotificationSummaryList"]) == 1
    assert not rest.get("NextToken")
    everything = ids(first["NotificationSummaryList"]) + ids(rest["NotificationSummaryList"])
    assert len(set(everything)) == 101
    search = connect.search_notifications(InstanceId=instance["Id"])
    assert len(search["Notifications"]) == 100 and search["ApproximateTotalCount"] == 101 and search.get("NextToken")


def test_page_size_may_change_between_pages(connect, instance, notify):
    made = [notify(instance, [instance["Arn"]], f"n{i}") for i in range(4)]
    page = connect.list_notifications(InstanceId=instance["Id"], MaxResults=1)
    rest = connect.list_notifications(InstanceId=instance["Id"], MaxResults=3, NextToken=page["NextToken"])
    got = ids(page["NotificationSummaryList"]) + ids(rest["NotificationSummaryList"])
    assert sorted(got) == sorted(m["Id"] for m in made)
    assert len(set(got)) == 4


def _alter(token: str) -> str:
    i = len(token) // 2
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    replacement = next(ch for ch in alphabet if ch != token[i])
    return token[:i] + replacement + token[i + 1 :]


def test_forged_next_token_is_invalid_parameter(connect, instance, new_user, notify):
    import base64

    u = new_user(instance)
    new_user(instance)
    for i in range(2):
        notify(instance, [u["Arn"]], f"n{i}")
    forged = [
        "not-a-real-token",
        base64.b64encode(json.dumps({"offset": 1}).encode()).decode(),
        base64.urlsafe_b64encode(b'{"after":"0","instance":"x"}').decode(),
    ]
    calls = {
        "ListNotifications": lambda tok: connect.list_notifications(InstanceId=instance["Id"], NextToken=tok),
        "ListUserNotifications": lambda tok: connect.list_user_notifications(
            InstanceId=instance["Id"], UserId=u["Id"], NextToken=tok
        ),
        "SearchNotifications": lambda tok: connect.search_notifications(InstanceId=instance["Id"], NextToken=tok),
        "ListUsers": lambda tok: connect.list_users(InstanceId=instance["Id"], NextToken=tok),
        "ListInstances": lambda tok: connect.list_instances(NextToken=tok),
    }
    for name, call in calls.items():
        for tok in forged:
            with expect_error("InvalidParameterException", 400):
                call(tok)

    # an altered real token
    real = connect.list_notifications(InstanceId=instance["Id"], MaxResults=1)["NextToken"]
    with expect_error("InvalidParameterException", 400):
        connect.list_notifications(InstanceId=instance["Id"], MaxResults=1, NextToken=_alter(real))
    real_users = connect.list_users(InstanceId=instance["Id"], MaxResults=1)["NextToken"]
    with expect_error("InvalidParameterException", 400):
        connect.list_users(InstanceId=instance["Id"], MaxResults=1, NextToken=_alter(real_users))


def test_foreign_next_token_is_invalid_parameter(connect, instance, new_instance, new_user, notify):
    u = new_user(instance)
    for i in range(2):
        notify(instance, [u["Arn"]], f"fire {i}")
    other = new_instance()
    other_user = new_user(other)
    notify(other, [other_user["Arn"]], "x")

    list_token = connect.list_notifications(InstanceId=instance["Id"], MaxResults=1)["NextToken"]
    # another operation
    with expect_error("InvalidParameterException", 400):
        connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"], NextToken=list_token)
    with expect_error("InvalidParameterException", 400):
        connect.search_notifications(InstanceId=instance["Id"], NextToken=list_token)
    # another instance
    with expect_error("InvalidParameterException", 400):
        connect.list_notifications(InstanceId=other["Id"], NextToken=list_token)

    user_token = connect.list_user_notifications(InstanceId=instance["Id"], UserId=u["Id"], MaxResults=1)["NextToken"]
    second_user = new_user(instance)
    with expect_error("InvalidParameterException", 400):
        connect.list_user_notifications(InstanceId=instance["Id"], UserId=second_user["Id"], NextToken=user_token)

    criteria = sc("Content", "fire", "CONTAINS")
    search_token = connect.search_notifications(InstanceId=instance["Id"], SearchCriteria=criteria, MaxResults=1)[
        "NextToken"
    ]
    with expect_error("InvalidParameterException", 400):
        connect.search_notifications(
            InstanceId=instance["Id"], SearchCriteria=sc("Content", "other", "CONTAINS"), NextToken=search_token
        )
    # the same criteria continue fine
    rest = connect.search_notifications(InstanceId=instance["Id"], SearchCriteria=criteria, NextToken=search_token)
    assert len(rest["Notifications"]) == 1


MAX_RESULTS_CASES = [
    ("list_instances", {}, [0, 11]),
    ("list_users", {"InstanceId": None}, [0, 1001]),
    ("list_notifications", {"InstanceId": None}, [0, 101]),
    ("search_notifications", {"InstanceId": None}, [0, 101]),
    ("list_user_notifications", {"InstanceId": None, "UserId": None}, [0, 1001]),
]


@pytest.mark.parametrize("op,base,bad_values", MAX_RESULTS_CASES, ids=[c[0] for c in MAX_RESULTS_CASES])
def test_max_results_out_of_range_is_invalid_parameter(connect_unchecked, instance, new_user, op, base, bad_values):
    params = dict(base)
    if "InstanceId" in params:
        params["InstanceId"] = instance["Id"]
    if "UserId" in params:
        params["UserId"] = new_user(instance)["Id"]
    call = getattr(connect_unchecked, op)
    for bad in bad_values:
        with expect_error("InvalidParameterException", 400):
            call(MaxResults=bad, **params)
    # the bounds themselves are fine
    call(MaxResults=1, **params)
    call(MaxResults=bad_values[1] - 1, **params)


def test_next_token_survives_restart(server_factory, tmp_path):
    data_dir = tmp_path / "restart-data"
    first = server_factory(data_dir)
    client = make_client(first.endpoint)
    inst = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
    )
    made = []
    for i in range(3):
        made.append(
            client.create_notification(
                InstanceId=inst["Id"], Recipients=[inst["Arn"]], Content={"en_US": f"r{i}"}
            )["NotificationId"]
        )
        tick()
    page = client.list_notifications(InstanceId=inst["Id"], MaxResults=1)
    token = page["NextToken"]
    assert first.stop() == 0, "herald should exit 0 after SIGTERM (graceful shutdown)"

    second = server_factory(data_dir)
    client = make_client(second.endpoint)
    items, _ = paginate(
        client.list_notifications, "NotificationSummaryList", InstanceId=inst["Id"], MaxResults=1, NextToken=token
    )
    assert ids(page["NotificationSummaryList"]) + ids(items) == list(reversed(made))
    # data survived too
    n = client.describe_notification(InstanceId=inst["Id"], NotificationId=made[0])["Notification"]
    assert n["Content"] == {"en_US": "r0"}


# ==========================================================================
# Server options: region, account, sweeper
# ==========================================================================


def test_region_account_and_sweeper_options(server_factory):
    server = server_factory(
        extra_args=[
            "--region",
            "eu-west-1",
            "--account-id",
            "123456789012",
            "--expiry-grace-seconds",
            "2",
            "--sweep-interval-seconds",
            "1",
        ]
    )
    client = boto_client_for(server.endpoint, "eu-west-1")
    inst = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True
    )
    assert inst["Arn"] == f"arn:aws:connect:eu-west-1:123456789012:instance/{inst['Id']}"
    expires = now() + timedelta(seconds=3)
    n = client.create_notification(
        InstanceId=inst["Id"], Recipients=[inst["Arn"]], Content={"en_US": "soon gone"}, ExpiresAt=expires
    )
    assert n["NotificationArn"] == f"{inst['Arn']}/notification/{n['NotificationId']}"
    desc = client.describe_notification(InstanceId=inst["Id"], NotificationId=n["NotificationId"])["Notification"]
    assert desc["LastModifiedRegion"] == "eu-west-1"

    time.sleep(max(0.0, (expires - now()).total_seconds()) + 0.3)
    assert client.list_notifications(InstanceId=inst["Id"])["NotificationSummaryList"] == []
    # swept within grace (2 s) + interval (1 s), with slack
    deadline = time.monotonic() + 15
    while True:
        try:
            client.describe_notification(InstanceId=inst["Id"], NotificationId=n["NotificationId"])
        except client.exceptions.ResourceNotFoundException:
            break
        assert time.monotonic() < deadline, "the sweeper did not delete the expired notification"
        time.sleep(0.5)


def boto_client_for(endpoint: str, region: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "connect",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


# ==========================================================================
# Authentication (SigV4), as botocore parses its errors
# ==========================================================================


def instance_ids(client) -> list[str]:
    return ids(paginate(client.list_instances, "InstanceSummaryList")[0])


def test_wrong_secret_is_invalid_signature(connect, endpoint):
    before = instance_ids(connect)
    client = make_client(endpoint, secret_key="not-the-secret")
    with expect_error("InvalidSignatureException", 403):
        client.list_instances()
    with expect_error("InvalidSignatureException", 403) as err:
        client.create_instance(IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=False)
    assert "not-the-secret" not in err.message
    assert instance_ids(connect) == before


def test_unknown_key_is_unrecognized_client(connect, endpoint):
    before = instance_ids(connect)
    client = make_client(endpoint, access_key="AKIDNOBODYATALL")
    with expect_error("UnrecognizedClientException", 403):
        client.list_instances()
    with expect_error("UnrecognizedClientException", 403):
        client.create_instance(IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=False)
    assert instance_ids(connect) == before


def test_signature_for_another_region_is_invalid(endpoint):
    client = make_client(endpoint, region="eu-west-1")
    with expect_error("InvalidSignatureException", 403):
        client.list_instances()


def test_unsigned_request_is_missing_authentication_token(endpoint, instance):
    from botocore import UNSIGNED

    client = make_client(endpoint, signature_version=UNSIGNED)
    with expect_error("MissingAuthenticationTokenException", 403):
        client.describe_instance(InstanceId=instance["Id"])
    # Raw, too; only the health endpoint answers without a signature.
    status, headers, body = raw_request(endpoint, "GET", f"/instance/{instance['Id']}", sign=False)
    assert status == 403, body
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "MissingAuthenticationTokenException"
    assert instance["Id"] not in body.decode()


def test_body_changed_after_signing_is_invalid_signature(endpoint, instance, new_user, connect):
    """raw_request signs what it is given; the body sent here is another."""
    import http.client
    from urllib.parse import urlsplit

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    user = new_user(instance)
    path = f"/notifications/{instance['Id']}"
    signed = json.dumps({"Recipients": [user["Arn"]], "Content": {"en_US": "signed"}}).encode()
    sent = json.dumps({"Recipients": [user["Arn"]], "Content": {"en_US": "forged"}}).encode()
    req = AWSRequest(method="PUT", url=endpoint + path, data=signed, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("test", "test"), "connect", REGION).add_auth(req)
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("PUT", path, body=sent, headers=dict(req.headers.items()))
        resp = conn.getresponse()
        body = resp.read()
        status, error_type = resp.status, resp.getheader("x-amzn-errortype", "")
    finally:
        conn.close()
    assert status == 403, body
    assert error_type.split(":")[0] == "InvalidSignatureException"
    assert connect.list_notifications(InstanceId=instance["Id"])["NotificationSummaryList"] == []
