"""Sign-in attempts are limited per login and per IP (Redis counters on the PostgreSQL run)."""

from __future__ import annotations

import secrets

import pytest

from ..conftest import LiveServer, build_app
from ..support.browser import Browser


@pytest.fixture
def strict_server(server_settings):
    settings = dict(
        server_settings,
        LOGIN_RATE_LIMIT_PER_LOGIN="3 per minute",
        LOGIN_RATE_LIMIT_PER_IP="5 per minute",
    )
    server = LiveServer(build_app, settings).start()
    yield server
    server.stop()


def test_attempts_are_limited_per_login_then_per_ip(strict_server, factories):
    person = factories.account()
    with Browser(strict_server.url) as browser:
        for _ in range(3):
            assert browser.sign_in(person.email, "wrong password").status == 400
        # The same login in another notation counts against the same limit.
        page = browser.sign_in(person.email.upper(), person.password)
        assert page.status == 429 and "Too many attempts" in page.text
        # Another login is still allowed, until the IP limit (5 a minute) is reached.
        statuses = [
            browser.sign_in("someone-else@example.org", "whatever pass").status for _ in range(3)
        ]
        assert statuses[0] == 400 and statuses[-1] == 429, statuses


def test_counters_live_in_redis_when_configured(strict_server, backend):
    if backend != "postgresql":
        pytest.skip("the SQLite run keeps counters in memory, as a fresh machine would")
    import redis

    login = f"counted-{secrets.token_hex(4)}@example.org"
    with Browser(strict_server.url) as browser:
        browser.sign_in(login, "wrong password")
    client = redis.Redis.from_url(strict_server.app.config["REDIS_URL"])
    assert list(client.scan_iter(f"*login:{login}*")), "no counter for the login in Redis"
