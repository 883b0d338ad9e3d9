"""Shared fixtures: a real Passport served over HTTP on 127.0.0.1, on SQLite and PostgreSQL.

PostgreSQL: PASSPORT_TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
names a server where each test run creates, and drops, its own database. Redis:
PASSPORT_TEST_REDIS_URL, used for rate-limit counters by the PostgreSQL variant. When
PASSPORT_TEST_REQUIRE_SERVICES=1 (CI) a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from server import create_app
from server.extensions import db

from .conformance import tally as conformance_tally
from .support.browser import Browser
from .support.factories import Factories
from .support.serving import InThread

REQUIRE_SERVICES = os.environ.get("PASSPORT_TEST_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get(
    "PASSPORT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _redis_url_of_this_process(url: str) -> str:
    """Under pytest-xdist each worker (gw0, gw1, …) counts in its own Redis database, the
    given number and those below it, so one worker's rate-limit counters and their clean-up
    never meet another's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(database - int(worker[2:])) % 16}"))


REDIS_URL = _redis_url_of_this_process(
    os.environ.get("PASSPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
)

# Generous limits so the suite is never throttled; the rate-limit tests set their own.
TEST_SETTINGS = {
    "ENV": "development",
    "SECRET_KEY": "test-secret-key-" + "x" * 32,
    "ARGON2_MEMORY_COST": 8192,
    "ARGON2_TIME_COST": 1,
    "LOGIN_RATE_LIMIT_PER_LOGIN": "1000 per minute",
    "LOGIN_RATE_LIMIT_PER_IP": "10000 per minute",
    "SIGNUP_RATE_LIMIT_PER_IP": "10000 per minute",
    "RECOVERY_RATE_LIMIT_PER_IDENTIFIER": "10000 per minute",
    "RECOVERY_RATE_LIMIT_PER_IP": "10000 per minute",
    "SMS_RATE_LIMIT_PER_IP": "10000 per minute",
    "LOGIN_CHANGE_RATE_LIMIT": "10000 per minute",
    "PASSKEY_RATE_LIMIT": "10000 per minute",
    "DEVICE_CODE_RATE_LIMIT": "10000 per minute",
    "REGISTRATION": "open",
    "METRICS_TOKEN": "test-metrics-token",
    # One for every Passport process of the suite: they share the keys in the database.
    "KEY_ENCRYPTION_KEY": "0fNdSg3Jg0zZ6U8m0qHfHJ7cQjLwHh0m8u1Gq6pVb1o=",
    # A process asks whether the keys changed once this often, in whichever request comes
    # then; the round-trip budgets count a request's own statements, so the suite asks
    # rarely. A test that rotates keys from another process sets its own.
    "KEYS_RECHECK_SECONDS": 3600,
}


def _service_missing(what: str, error: Exception):
    message = f"{what} is not reachable: {error}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (PASSPORT_TEST_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


def create_postgres_database() -> str:
    """A new empty database on the test server; returns its URL."""
    import psycopg

    admin = make_url(POSTGRES_URL).set(drivername="postgresql")
    name = "passport_test_" + secrets.token_hex(6)
    try:
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        _service_missing("PostgreSQL", error)
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    import psycopg

    name = make_url(url).database
    admin = make_url(POSTGRES_URL).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_url_or_skip() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
        # The test database's rate-limit counters start empty, so an earlier run's
        # attempts are not counted against this one.
        for key in client.scan_iter("LIMITS*"):
            client.delete(key)
    except redis.RedisError as error:
        _service_missing("Redis", error)
    return REDIS_URL


class LiveServer:
    """A Passport app served by Werkzeug in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app_factory, settings: dict, *, host: str = "127.0.0.1"):
        """`host` names it in its URL and issuer: "localhost" for a browser's WebAuthn,
        which takes no IP address as a relying party."""
        self._server = make_server("127.0.0.1", 0, None, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self.app = app_factory({**settings, "ISSUER": self.url})
        self._server.app = self.app
        self._serving = InThread(self._server)

    def start(self) -> LiveServer:
        self._serving.start()
        return self

    def stop(self) -> None:
        from server.domain import client_cache

        self._serving.stop()
        client_cache.stop(self.app)

    def app_context(self):
        return self.app.app_context()


def build_app(settings: dict):
    """create_app + the schema through the migrations, as `passport db upgrade` does."""
    from flask_migrate import upgrade

    app = create_app(settings)
    with app.app_context():
        upgrade()
        app.extensions["passport.keys"].keys()  # as a start on a migrated database does
    return app


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def mailbox():
    """A real SMTP server the live Passport sends its mail to."""
    from .support.mail import Mailbox

    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def sms_gateway():
    """A local HTTP server standing in for the SMS gateway."""
    from .support.receiver import Receiver

    with Receiver() as gateway:
        yield gateway


@pytest.fixture(scope="session")
def server_settings(backend, tmp_path_factory, mailbox, sms_gateway) -> dict:
    root: Path = tmp_path_factory.mktemp(f"passport-{backend}")
    settings = dict(
        TEST_SETTINGS,
        INSTANCE_DIR=str(root / "instance"),
        KEYS_DIR=str(root / "keys"),
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=mailbox.port,
        SMTP_SECURITY="none",
        SMS_GATEWAY_URL=sms_gateway.url + "/sms",
    )
    if backend == "sqlite":
        settings["DATABASE_URL"] = f"sqlite:///{root / 'passport.db'}"
    else:
        settings["DATABASE_URL"] = create_postgres_database()
        settings["REDIS_URL"] = redis_url_or_skip()
    yield settings
    if backend == "postgresql":
        drop_postgres_database(settings["DATABASE_URL"])


@pytest.fixture(scope="session")
def live_server(server_settings):
    server = LiveServer(build_app, server_settings).start()
    yield server
    server.stop()
    with server.app_context():
        db.engine.dispose()
        autocommit = server.app.extensions.get("passport.autocommit_engine")
        if autocommit is not None:
            autocommit.dispose()


@pytest.fixture
def factories(live_server) -> Factories:
    return Factories(live_server)


@pytest.fixture
def browser(live_server) -> Browser:
    with Browser(live_server.url) as client:
        yield client


@pytest.fixture(autouse=True)
def _reset_clock():
    from server import clock

    yield
    clock.reset()


# endpoint -> malformed requests sent, and the examples asked per endpoint and database
FUZZ_SENT: dict[str, int] = {}
FUZZ_EXAMPLES: set[int] = set()


def pytest_runtest_logreport(report):
    """Collects what the tests recorded, from this process or from xdist's workers: the
    certification plans' outcomes (tests/conformance/tally.py), the fuzz tests' counts."""
    conformance_tally.record(report)
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == "fuzz":
            endpoint, sent, examples = value
            FUZZ_SENT[endpoint] = FUZZ_SENT.get(endpoint, 0) + sent
            FUZZ_EXAMPLES.add(examples)


def pytest_terminal_summary(terminalreporter):
    """The certification plans' tally, and how many malformed requests the fuzz suite sent
    (tests/integration/test_fuzz.py)."""
    conformance_tally.summarize(terminalreporter)
    if FUZZ_SENT:
        terminalreporter.write_line(
            f"fuzz: {sum(FUZZ_SENT.values())} malformed requests to {len(FUZZ_SENT)} endpoints"
            f" ({max(FUZZ_EXAMPLES)} examples each per database)"
        )
