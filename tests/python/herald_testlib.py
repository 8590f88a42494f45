"""Shared helpers for Herald's boto3 end-to-end tests (used by conftest.py
and the test modules).

The suite runs against the real server binary: ``HERALD_BIN`` (default
``<repo>/target/debug/herald``) is started once per session as
``herald serve --listen 127.0.0.1:0 --data-dir <tmp>`` (with
``HERALD_TEST_DATABASE_URL`` set, on PostgreSQL instead: each data directory
gets a database of its own on that server); the fixture waits for
the ``herald listening on http://HOST:PORT`` line (docs/connect-semantics.md)
and stops the server with SIGTERM (then SIGKILL) at the end.

Each test builds its own Connect instance (``new_instance``) so tests are
independent of each other and of their order.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_RE = re.compile(r"^herald listening on (http://[^\s:/]+:\d+)\s*$")
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0

REGION = "us-east-1"
ACCOUNT_ID = "000000000000"

#: The PostgreSQL server to run the suite on; unset means SQLite.
DATABASE_SERVER_URL = os.environ.get("HERALD_TEST_DATABASE_URL", "").strip() or None
#: Databases this session created, dropped when it ends.
CREATED_DATABASES: list[str] = []


def _psql(sql: str) -> str:
    assert DATABASE_SERVER_URL is not None
    done = subprocess.run(
        ["psql", DATABASE_SERVER_URL, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        pytest.fail(f"psql failed: {sql}\n{done.stderr}", pytrace=False)
    return done.stdout.strip()


def _with_database(url: str, name: str) -> str:
    scheme, rest = url.split("://", 1)
    authority, _, tail = rest.partition("/")
    query = tail.partition("?")[2]
    return f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")


def database_url_for(data_dir: Path) -> str:
    """The database standing in for ``data_dir`` on PostgreSQL: created on
    first use, so a restart on the same directory finds its data."""
    digest = uuid.uuid5(uuid.NAMESPACE_URL, str(data_dir.resolve())).hex[:16]
    name = f"herald_py_{digest}_{os.getpid()}"
    if name not in CREATED_DATABASES:
        _psql(f"CREATE DATABASE {name}")
        CREATED_DATABASES.append(name)
    return _with_database(DATABASE_SERVER_URL, name)


def drop_created_databases() -> None:
    for name in CREATED_DATABASES:
        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    CREATED_DATABASES.clear()


def herald_bin() -> Path:
    raw = os.environ.get("HERALD_BIN")
    path = Path(raw) if raw else REPO_ROOT / "target" / "debug" / "herald"
    if not path.is_absolute():
        path = (Path.cwd() / path).resolve()
    return path


class HeraldServer:
    """One running ``herald serve`` process."""

    def __init__(self, data_dir: Path, extra_args: list[str] | None = None):
        self.data_dir = Path(data_dir)
        self.extra_args = list(extra_args or [])
        self.proc: subprocess.Popen | None = None
        self.endpoint: str | None = None
        self.stdout_lines: list[str] = []
        self._stderr_path = self.data_dir.parent / f"{self.data_dir.name}.stderr.log"
        self._stderr_file = None

    def start(self) -> "HeraldServer":
        binary = herald_bin()
        if not binary.is_file() or not os.access(binary, os.X_OK):
            pytest.fail(
                f"Herald binary not found or not executable: {binary}\n"
                "Build it with `cargo build -p herald` or point HERALD_BIN at it.",
                pytrace=False,
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The server reads HERALD_* variables; keep a developer's own settings
        # from leaking into the test server.
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        env.setdefault("RUST_BACKTRACE", "1")
        cmd = [
            str(binary),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            str(self.data_dir),
            *self.extra_args,
        ]
        if DATABASE_SERVER_URL is not None:
            cmd += ["--database-url", database_url_for(self.data_dir)]
        self._stderr_file = open(self._stderr_path, "ab")
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            env=env,
            text=True,
            bufsize=1,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.stdout_lines.append(line.rstrip("\n"))
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, name="herald-stdout", daemon=True).start()

        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                pytest.fail(
                    f"herald did not print its ready line within {STARTUP_TIMEOUT_S:.0f}s\n"
                    f"command: {' '.join(cmd)}\n{self.diagnostics()}",
                    pytrace=False,
                )
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self.proc.wait(timeout=5)
                pytest.fail(
                    f"herald exited (code {code}) before it was ready\n"
                    f"command: {' '.join(cmd)}\n{self.diagnostics()}",
                    pytrace=False,
                )
            m = READY_RE.match(line.strip())
            if m:
                self.endpoint = m.group(1)
                return self

    def diagnostics(self) -> str:
        out = "\n".join(self.stdout_lines[-40:])
        try:
            err = self._stderr_path.read_text(errors="replace")[-6000:]
        except OSError:
            err = ""
        return f"--- stdout ---\n{out}\n--- stderr (tail) ---\n{err}"

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT_S. Returns the exit code."""
        code = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait(timeout=STOP_TIMEOUT_S)
        elif self.proc is not None:
            code = self.proc.returncode
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None
        return code


def make_client(
    endpoint: str,
    *,
    validate: bool = True,
    access_key: str = "test",
    secret_key: str = "test",
    region: str = REGION,
    signature_version=None,
):
    """A Connect client signing with ``access_key``/``secret_key`` (the
    server's built-in key by default) for ``region``; pass
    ``signature_version=botocore.UNSIGNED`` for no signature at all."""
    config = Config(
        retries={"max_attempts": 1},
        parameter_validation=validate,
        connect_timeout=5,
        read_timeout=30,
    )
    if signature_version is not None:
        config = config.merge(Config(signature_version=signature_version))
    return boto3.client(
        "connect",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=config,
    )


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_instance(client, **overrides) -> dict:
    params = {
        "IdentityManagementType": "CONNECT_MANAGED",
        "InstanceAlias": unique("herald-test"),
        "InboundCallsEnabled": True,
        "OutboundCallsEnabled": False,
    }
    params.update(overrides)
    resp = client.create_instance(**params)
    return {"Id": resp["Id"], "Arn": resp["Arn"], "params": params, "response": resp}


def create_user(client, instance: dict, username: str | None = None, **overrides) -> dict:
    params = {
        "InstanceId": instance["Id"],
        "Username": username or unique("agent"),
        "SecurityProfileIds": [str(uuid.uuid4())],
        "RoutingProfileId": str(uuid.uuid4()),
    }
    params.update(overrides)
    resp = client.create_user(**params)
    return {
        "Id": resp["UserId"],
        "Arn": resp["UserArn"],
        "Username": params["Username"],
        "params": params,
        "response": resp,
    }


def create_notification(client, instance: dict, recipients, text: str = "hello", **overrides) -> dict:
    params = {
        "InstanceId": instance["Id"],
        "Recipients": list(recipients),
        "Content": {"en_US": text},
    }
    params.update(overrides)
    resp = client.create_notification(**params)
    return {
        "Id": resp["NotificationId"],
        "Arn": resp["NotificationArn"],
        "params": params,
        "response": resp,
    }




def instance_arn(instance_id: str, region: str = REGION, account: str = ACCOUNT_ID) -> str:
    return f"arn:aws:connect:{region}:{account}:instance/{instance_id}"


class ExpectedError:
    """Result of ``expect_error``: the parsed botocore error."""

    def __init__(self):
        self.code = None
        self.status = None
        self.message = ""
        self.response = None


@contextlib.contextmanager
def expect_error(code: str, status: int):
    """Assert that the block raises a botocore ClientError with this error
    code and HTTP status (as botocore parses them from the wire)."""
    result = ExpectedError()
    try:
        yield result
    except ClientError as e:
        result.response = e.response
        result.code = e.response.get("Error", {}).get("Code")
        result.status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        result.message = e.response.get("Error", {}).get("Message") or ""
        assert (result.code, result.status) == (code, status), (
            f"expected {code} {status}, got {result.code} {result.status}: {result.message!r}"
        )
        request_id = e.response.get("ResponseMetadata", {}).get("RequestId")
        assert request_id, "error response lacks x-amzn-RequestId"
        headers = e.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        assert headers.get("x-amzn-errortype", "").split(":")[0] == code, headers
        return
    pytest.fail(f"expected {code} ({status}), but the call succeeded", pytrace=False)


def raw_request(
    endpoint: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict | None = None,
    *,
    sign: bool = True,
    timeout: float = 30.0,
):
    """Send one HTTP request outside botocore (SigV4-signed like an SDK
    would sign it). Returns (status, headers-with-lowercase-keys, body bytes)."""
    import http.client
    from urllib.parse import urlsplit

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    hdrs.update(headers or {})
    if sign:
        req = AWSRequest(method=method, url=endpoint + path, data=body or b"", headers=hdrs)
        SigV4Auth(Credentials("test", "test"), "connect", REGION).add_auth(req)
        hdrs = dict(req.headers.items())
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def paginate(call, key: str, *, max_pages: int = 100, **params) -> tuple[list, list]:
    """Follow NextToken to the end. Returns (items, pages)."""
    items: list = []
    pages: list = []
    token = None
    for _ in range(max_pages):
        kwargs = dict(params)
        if token is not None:
            kwargs["NextToken"] = token
        resp = call(**kwargs)
        pages.append(resp)
        items.extend(resp.get(key, []))
        token = resp.get("NextToken")
        if not token:
            return items, pages
    pytest.fail(f"pagination did not end within {max_pages} pages", pytrace=False)


def signed_request(
    endpoint: str,
    method: str,
    path: str,
    *,
    query: dict | None = None,
    body: bytes | None = None,
    headers: dict | None = None,
    service: str = "connect",
    access_key: str = "test",
    secret_key: str = "test",
    region: str = REGION,
    timeout: float = 30.0,
):
    """Like ``raw_request`` but SigV4-signed for any ``service`` (``herald``
    for ``/_herald/`` endpoints, ``chime`` for Chime) with any key, and with
    an optional query (encoded as SigV4 wants it: RFC 3986, sorted).
    Returns (status, headers-with-lowercase-keys, body bytes)."""
    import http.client
    from urllib.parse import quote, urlsplit

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    target = path
    if query:
        pairs = sorted((quote(str(k), safe="-_.~"), quote(str(v), safe="-_.~")) for k, v in query.items())
        target = path + "?" + "&".join(f"{k}={v}" for k, v in pairs)
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    hdrs.update(headers or {})
    req = AWSRequest(method=method, url=endpoint + target, data=body or b"", headers=hdrs)
    SigV4Auth(Credentials(access_key, secret_key), service, region).add_auth(req)
    hdrs = dict(req.headers.items())
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()
