"""Helpers for the boto3 end-to-end tests of Herald's Chime SDK Identity and
Messaging (docs/chime-semantics.md, docs/chime-filter-rules.md).

``ChimeApp`` bundles the two boto3 clients and one AppInstance and makes the
users, channels, endpoints and messages a test needs in one line each.
``push_deliveries`` reads Herald's delivery log
(``GET /_herald/push-deliveries``, SigV4 service ``herald``), and
``WebhookReceiver`` is a small HTTP server standing in for a push gateway.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from herald_testlib import ACCOUNT_ID, REGION, signed_request

UUID_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
HEX32_RE = re.compile(r"^[0-9a-f]{32}$")
DELIVERY_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
PINPOINT_ARN = f"arn:aws:mobiletargeting:{REGION}:{ACCOUNT_ID}:apps/0123456789abcdef0123456789abcdef"
PUSH = {"Title": "New message", "Body": "You have a new message"}


def app_instance_arn_re(region: str = REGION, account: str = ACCOUNT_ID) -> re.Pattern:
    return re.compile(rf"^arn:aws:chime:{re.escape(region)}:{account}:app-instance/({UUID_PATTERN})$")


def make_chime_client(
    service: str,
    endpoint: str,
    *,
    validate: bool = True,
    access_key: str = "test",
    secret_key: str = "test",
    region: str = REGION,
):
    """A ``chime-sdk-identity`` or ``chime-sdk-messaging`` client pointed at
    Herald (both sign with service name ``chime``)."""
    assert service in ("chime-sdk-identity", "chime-sdk-messaging"), service
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(
            retries={"max_attempts": 1},
            parameter_validation=validate,
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def attrs(plain: dict | None) -> dict:
    """``{"mention": ["alice"]}`` -> the wire's ``MessageAttributes``."""
    return {name: {"StringValues": list(values)} for name, values in (plain or {}).items()}


def token() -> str:
    return uuid.uuid4().hex


def status_of(resp: dict) -> int:
    return resp["ResponseMetadata"]["HTTPStatusCode"]


# --------------------------------------------------------------------------
# the delivery log
# --------------------------------------------------------------------------


def push_deliveries_raw(endpoint: str, channel_arn: str, message_id: str, *, access_key="test", secret_key="test"):
    return signed_request(
        endpoint,
        "GET",
        "/_herald/push-deliveries",
        query={"channelArn": channel_arn, "messageId": message_id},
        service="herald",
        access_key=access_key,
        secret_key=secret_key,
    )


def push_deliveries(endpoint: str, channel_arn: str, message_id: str, **kw) -> list[dict]:
    status, headers, body = push_deliveries_raw(endpoint, channel_arn, message_id, **kw)
    assert status == 200, f"GET /_herald/push-deliveries: {status} {body[:500]!r}"
    doc = json.loads(body)
    assert isinstance(doc.get("Deliveries"), list), doc
    return doc["Deliveries"]


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}", pytrace=False)
        time.sleep(interval)


# --------------------------------------------------------------------------
# an AppInstance with helpers
# --------------------------------------------------------------------------


class ChimeApp:
    """One AppInstance and the clients to work in it (admin key)."""

    def __init__(self, identity, messaging, endpoint: str, arn: str, name: str):
        self.identity = identity
        self.messaging = messaging
        self.endpoint = endpoint
        self.arn = arn
        self.name = name
        self._n = 0

    @classmethod
    def create(cls, identity, messaging, endpoint: str, **overrides) -> "ChimeApp":
        params = {"Name": f"app-{uuid.uuid4().hex[:8]}", "ClientRequestToken": token()}
        params.update(overrides)
        resp = identity.create_app_instance(**params)
        return cls(identity, messaging, endpoint, resp["AppInstanceArn"], params["Name"])

    def user_arn(self, user_id: str) -> str:
        return f"{self.arn}/user/{user_id}"

    def channel_arn(self, channel_id: str) -> str:
        return f"{self.arn}/channel/{channel_id}"

    def user(self, user_id: str | None = None, name: str | None = None, **overrides) -> str:
        self._n += 1
        user_id = user_id or f"user{self._n}-{uuid.uuid4().hex[:6]}"
        params = {
            "AppInstanceArn": self.arn,
            "AppInstanceUserId": user_id,
            "Name": name or f"User {user_id}",
            "ClientRequestToken": token(),
        }
        params.update(overrides)
        return self.identity.create_app_instance_user(**params)["AppInstanceUserArn"]

    def admin(self, user_arn: str) -> None:
        self.identity.create_app_instance_admin(AppInstanceArn=self.arn, AppInstanceAdminArn=user_arn)

    def endpoint_for(
        self,
        user_arn: str,
        *,
        device_token: str | None = None,
        voip_token: str | None = None,
        allow: str | None = None,
        name: str | None = None,
        kind: str = "GCM",
    ) -> dict:
        device_token = device_token or f"dev-{uuid.uuid4().hex}"
        attributes = {"DeviceToken": device_token}
        if voip_token:
            attributes["VoipDeviceToken"] = voip_token
        params = {
            "AppInstanceUserArn": user_arn,
            "Type": kind,
            "ResourceArn": PINPOINT_ARN,
            "EndpointAttributes": attributes,
            "ClientRequestToken": token(),
        }
        if name is not None:
            params["Name"] = name
        if allow is not None:
            params["AllowMessages"] = allow
        resp = self.identity.register_app_instance_user_endpoint(**params)
        return {
            "EndpointId": resp["EndpointId"],
            "UserArn": user_arn,
            "DeviceToken": device_token,
            "VoipDeviceToken": voip_token,
            "response": resp,
        }

    def channel(self, bearer: str, name: str | None = None, **overrides) -> str:
        params = {
            "AppInstanceArn": self.arn,
            "Name": name or f"chan-{uuid.uuid4().hex[:6]}",
            "ChimeBearer": bearer,
            "ClientRequestToken": token(),
        }
        params.update(overrides)
        return self.messaging.create_channel(**params)["ChannelArn"]

    def add_member(self, channel: str, member: str, bearer: str, kind: str = "DEFAULT") -> dict:
        return self.messaging.create_channel_membership(
            ChannelArn=channel, MemberArn=member, Type=kind, ChimeBearer=bearer
        )

    def add_moderator(self, channel: str, user: str, bearer: str) -> dict:
        return self.messaging.create_channel_moderator(ChannelArn=channel, ChannelModeratorArn=user, ChimeBearer=bearer)

    def ban(self, channel: str, user: str, bearer: str) -> dict:
        return self.messaging.create_channel_ban(ChannelArn=channel, MemberArn=user, ChimeBearer=bearer)

    def set_prefs(self, channel: str, member: str, allow: str, rule=None, bearer: str | None = None) -> dict:
        push = {"AllowNotifications": allow}
        if rule is not None:
            push["FilterRule"] = rule if isinstance(rule, str) else json.dumps(rule)
        return self.messaging.put_channel_membership_preferences(
            ChannelArn=channel,
            MemberArn=member,
            ChimeBearer=bearer or member,
            Preferences={"PushNotifications": push},
        )

    def get_prefs(self, channel: str, member: str, bearer: str | None = None) -> dict:
        return self.messaging.get_channel_membership_preferences(
            ChannelArn=channel, MemberArn=member, ChimeBearer=bearer or member
        )

    def send(
        self,
        channel: str,
        bearer: str,
        content: str = "hello",
        *,
        push: dict | bool | None = True,
        attributes: dict | None = None,
        **overrides,
    ) -> dict:
        params = {
            "ChannelArn": channel,
            "Content": content,
            "Type": "STANDARD",
            "Persistence": "PERSISTENT",
            "ChimeBearer": bearer,
            "ClientRequestToken": token(),
        }
        if push is True:
            params["PushNotification"] = dict(PUSH)
        elif isinstance(push, dict):
            params["PushNotification"] = push
        if attributes is not None:
            params["MessageAttributes"] = attrs(attributes)
        params.update(overrides)
        return self.messaging.send_channel_message(**params)

    def deliveries(self, channel: str, message_id: str) -> list[dict]:
        return push_deliveries(self.endpoint, channel, message_id)

    def member_arns(self, channel: str, bearer: str, kind: str | None = None) -> list[str]:
        out, token_ = [], None
        for _ in range(100):
            kw = {"ChannelArn": channel, "ChimeBearer": bearer, "MaxResults": 50}
            if kind:
                kw["Type"] = kind
            if token_:
                kw["NextToken"] = token_
            resp = self.messaging.list_channel_memberships(**kw)
            out.extend(m["Member"]["Arn"] for m in resp.get("ChannelMemberships", []))
            token_ = resp.get("NextToken")
            if not token_:
                return out
        pytest.fail("ListChannelMemberships did not end", pytrace=False)


def chime_paginate(call, key: str, *, max_pages: int = 100, **params) -> tuple[list, list]:
    """Follow NextToken to the end. Returns (items, pages)."""
    items: list = []
    pages: list = []
    next_token = None
    for _ in range(max_pages):
        kwargs = dict(params)
        if next_token is not None:
            kwargs["NextToken"] = next_token
        resp = call(**kwargs)
        pages.append(resp)
        items.extend(resp.get(key, []))
        next_token = resp.get("NextToken")
        if not next_token:
            return items, pages
    pytest.fail(f"pagination did not end within {max_pages} pages", pytrace=False)


# --------------------------------------------------------------------------
# a push gateway stand-in
# --------------------------------------------------------------------------


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 recording every request. The first
    ``fail_first`` requests are answered 500; after that, requests are
    answered 200 while ``accepting`` is true and 500 otherwise."""

    def __init__(self, fail_first: int = 0, accepting: bool = True, ok_status: int = 200):
        self.fail_first = fail_first
        self.accepting = accepting
        self.ok_status = ok_status
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                body = self._read_body()
                with receiver.lock:
                    n = len(receiver.requests)
                    ok = n >= receiver.fail_first and receiver.accepting
                    try:
                        doc = json.loads(body)
                    except ValueError:
                        doc = None
                    receiver.requests.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                            "json": doc,
                            "status": receiver.ok_status if ok else 500,
                            "at": time.monotonic(),
                        }
                    )
                code = receiver.ok_status if ok else 500
                payload = b'{"error":"try again"}' if not ok else b"" if code == 204 else b'{"ok":true}'
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                if code != 204:
                    self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)

            do_PUT = do_POST

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook", daemon=True)

    def start(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/push"

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.requests)

    def accepted(self) -> list[dict]:
        return [r for r in self.snapshot() if 200 <= r["status"] < 300]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------
# credentials files
# --------------------------------------------------------------------------


def write_keys(path: Path, keys: list[dict]) -> None:
    """Write a ``[[keys]]`` TOML file (mode 0600)."""
    lines = []
    for key in keys:
        lines.append("[[keys]]")
        for field, value in key.items():
            lines.append(f"{field} = {json.dumps(value)}")
        lines.append("")
    path.write_text("\n".join(lines))
    path.chmod(0o600)


def key(access_key_id: str, account_id: str, role: str, **extra) -> dict:
    entry = {
        "access_key_id": access_key_id,
        "secret_access_key": f"secret-{access_key_id}",
        "account_id": account_id,
        "role": role,
    }
    entry.update(extra)
    return entry


def expect_each(code: str, status: int, cases) -> None:
    """``cases``: (name, zero-argument call) pairs; every call must fail with
    this error. Reports every case that did not, by name."""
    from herald_testlib import expect_error

    problems = []
    for name, call in cases:
        try:
            with expect_error(code, status):
                call()
        except (AssertionError, pytest.fail.Exception) as e:
            problems.append(f"{name}: {str(e).strip()}")
    assert not problems, f"expected {code} ({status}) from each of these:\n" + "\n".join(problems)
