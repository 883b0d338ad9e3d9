"""Readiness for the load balancer, and what a person sees while Redis is away."""

from __future__ import annotations

import pytest
import requests

from server.oauth.keys import KeyStore

from ..support.browser import Browser
from ..support.ports import free_port
from ..support.processes import passport_process


def test_a_serving_node_is_live_and_ready(live_server):
    for path in ("/healthz", "/health/live"):
        live = requests.get(live_server.url + path, timeout=10)
        assert live.json() == {"status": "live"} and "Set-Cookie" not in live.headers
    for path in ("/readyz", "/health/ready"):
        ready = requests.get(live_server.url + path, timeout=10)
        assert ready.status_code == 200 and "Set-Cookie" not in ready.headers
        assert ready.json() == {
            "status": "ready",
            "checks": {"database": "ok", "rate_limits": "ok", "keys": "ok"},
        }


def test_no_answer_tells_the_version_unless_the_operator_asks(live_server):
    """VERSION_HEADER is off by default (test_wheel.py turns it on)."""
    from server.config import version

    answer = requests.get(live_server.url + "/.well-known/openid-configuration", timeout=10)
    assert version() not in answer.headers.values()
    assert not [name for name in answer.headers if "version" in name.lower()]


def test_a_node_without_a_signing_key_is_not_ready(live_server, tmp_path):
    app = live_server.app
    kept = app.extensions["passport.keys"]
    app.extensions["passport.keys"] = KeyStore(tmp_path, retention_seconds=600)  # empty
    try:
        ready = requests.get(live_server.url + "/readyz", timeout=10)
    finally:
        app.extensions["passport.keys"] = kept
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "rate_limits": "ok", "keys": "missing"},
    }
    assert requests.get(live_server.url + "/healthz", timeout=10).status_code == 200


class Served:
    def __init__(self, url: str):
        self.url = url


@pytest.fixture
def without_redis(server_settings):
    """The same Passport (its database and keys) as a process of its own, with its
    rate-limit store on a port where nothing listens. A process, not a second app in this
    one: Flask-Limiter's storage is shared by the apps of a process."""
    names = ("DATABASE_URL", "INSTANCE_DIR", "KEYS_DIR", "SECRET_KEY", "KEY_ENCRYPTION_KEY")
    with passport_process(
        {name: server_settings[name] for name in names},
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    ) as url:
        yield Served(url)


def test_without_redis_sign_in_says_temporarily_unavailable(without_redis, factories):
    """This used to be a generic 'Something went wrong' 500."""
    ready = requests.get(without_redis.url + "/readyz", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "ok", "rate_limits": "unreachable", "keys": "ok"}
    assert requests.get(without_redis.url + "/healthz", timeout=10).status_code == 200

    person = factories.account()
    for language, words in (("en", "temporarily unavailable"), ("ru", "временно недоступен")):
        with Browser(without_redis.url, accept_language=language) as browser:
            page = browser.get("/login")
            assert page.status == 200  # the page itself needs no count
            answer = browser.submit(page, "login", login=person.email, password=person.password)
        assert answer.status == 503 and words in answer.text
        assert answer.response.headers["Retry-After"] == "30"
