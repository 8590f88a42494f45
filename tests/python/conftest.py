"""Fixtures for Herald's boto3 end-to-end tests.

A session-scoped fixture starts the real server binary (``HERALD_BIN``,
default ``<repo>/target/debug/herald``) as
``herald serve --listen 127.0.0.1:0 --data-dir <tmp>`` and stops it with
SIGTERM (then SIGKILL) at the end. Each test makes its own instance.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from herald_testlib import (
    DATABASE_SERVER_URL,
    HeraldServer,
    drop_created_databases,
    create_instance,
    create_notification,
    create_user,
    make_client,
)


def pytest_report_header(config):
    if DATABASE_SERVER_URL is None:
        return "herald store: SQLite (set HERALD_TEST_DATABASE_URL to run on PostgreSQL)"
    return f"herald store: PostgreSQL at {DATABASE_SERVER_URL}"


def pytest_sessionfinish(session, exitstatus):
    if DATABASE_SERVER_URL is not None:
        drop_created_databases()


@pytest.fixture(scope="session")
def herald_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("herald")
    server = HeraldServer(base / "data").start()
    yield server
    code = server.stop()
    if code not in (0, -signal.SIGTERM):
        print(f"\nnote: herald exited with code {code} on SIGTERM\n{server.diagnostics()}")


@pytest.fixture(scope="session")
def endpoint(herald_server) -> str:
    return herald_server.endpoint


@pytest.fixture(scope="session")
def connect(endpoint):
    """A boto3 Connect client pointed at the test server."""
    return make_client(endpoint)


@pytest.fixture(scope="session")
def connect_unchecked(endpoint):
    """Like ``connect`` but without botocore's client-side parameter checks,
    so out-of-range values reach the server."""
    return make_client(endpoint, validate=False)


@pytest.fixture
def server_factory(tmp_path):
    """Start extra, test-owned servers (restarts, sweeper settings, ...)."""
    started: list[HeraldServer] = []

    def start(data_dir: Path | None = None, extra_args: list[str] | None = None) -> HeraldServer:
        d = data_dir or (tmp_path / f"data-{len(started)}")
        server = HeraldServer(d, extra_args).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def new_instance(connect):
    """Factory: ``new_instance(**overrides)`` -> {"Id", "Arn", ...}."""
    return lambda **kw: create_instance(connect, **kw)


@pytest.fixture
def instance(new_instance) -> dict:
    """A fresh instance for this test."""
    return new_instance()


@pytest.fixture
def new_user(connect):
    """Factory: ``new_user(instance, username=None, **overrides)``."""
    return lambda inst, username=None, **kw: create_user(connect, inst, username, **kw)


@pytest.fixture
def notify(connect):
    """Factory: ``notify(instance, recipients, text="hello", **overrides)``."""
    return lambda inst, recipients, text="hello", **kw: create_notification(
        connect, inst, recipients, text, **kw
    )


# --------------------------------------------------------------------------
# Chime SDK Identity and Messaging (docs/chime-semantics.md)
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def identity(endpoint):
    """A boto3 ``chime-sdk-identity`` client (admin key test/test)."""
    from chime_testlib import make_chime_client

    return make_chime_client("chime-sdk-identity", endpoint)


@pytest.fixture(scope="session")
def messaging(endpoint):
    """A boto3 ``chime-sdk-messaging`` client (admin key test/test)."""
    from chime_testlib import make_chime_client

    return make_chime_client("chime-sdk-messaging", endpoint)


@pytest.fixture(scope="session")
def identity_unchecked(endpoint):
    from chime_testlib import make_chime_client

    return make_chime_client("chime-sdk-identity", endpoint, validate=False)


@pytest.fixture(scope="session")
def messaging_unchecked(endpoint):
    from chime_testlib import make_chime_client

    return make_chime_client("chime-sdk-messaging", endpoint, validate=False)


@pytest.fixture
def new_chime_app(identity, messaging, endpoint):
    """Factory: ``new_chime_app(**CreateAppInstance overrides)`` -> ChimeApp."""
    from chime_testlib import ChimeApp

    return lambda **kw: ChimeApp.create(identity, messaging, endpoint, **kw)


@pytest.fixture
def chime_app(new_chime_app):
    """A fresh AppInstance for this test."""
    return new_chime_app()


@pytest.fixture
def webhook_receiver():
    """Factory: ``webhook_receiver(fail_first=0, accepting=True)`` -> a
    started WebhookReceiver; all are stopped at the end of the test."""
    from chime_testlib import WebhookReceiver

    started = []

    def start(**kw):
        receiver = WebhookReceiver(**kw).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()
