"""Per-key rate limits as botocore sees them: ThrottlingException (429),
which botocore's standard retry mode backs off from and retries."""

from __future__ import annotations

import boto3
from botocore.config import Config

from herald_testlib import REGION, create_instance, create_notification, paginate


def test_standard_retry_mode_rides_through_throttling(server_factory):
    server = server_factory(extra_args=["--rate-limit-per-key", "2", "--rate-limit-burst", "2"])
    client = boto3.client(
        "connect",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"mode": "standard", "max_attempts": 10}, read_timeout=30),
    )
    throttled = []

    # Called for every attempt's response, before botocore decides whether
    # to retry it.
    def record(response=None, **_):
        if response is not None and response[0].status_code == 429:
            throttled.append(response[1].get("Error", {}).get("Code"))

    client.meta.events.register("needs-retry.connect", record)

    instance = create_instance(client)
    created = [
        create_notification(client, instance, [instance["Arn"]], f"burst {i}")["Id"]
        for i in range(8)
    ]

    assert throttled, "no attempt was throttled, so nothing was ridden through"
    assert set(throttled) == {"ThrottlingException"}, throttled
    listed, _ = paginate(
        client.list_notifications, "NotificationSummaryList", InstanceId=instance["Id"]
    )
    assert sorted(n["Id"] for n in listed) == sorted(created)
