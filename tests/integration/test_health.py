"""Readiness for the load balancer, and what a person sees while Redis is away."""

from __future__ import annotations

import socket

import pytest
import requests

from ..conftest import LiveServer, build_app
from ..support.browser import Browser


def test_a_serving_node_is_live_and_ready(live_server):
    assert requests.get(live_server.url + "/health/live", timeout=10).json() == {"status": "live"}
    ready = requests.get(live_server.url + "/health/ready", timeout=10)
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "rate_limits": "ok"}}


@pytest.fixture
def without_redis(server_settings):
    """The same Passport with its rate-limit store on a port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = LiveServer(build_app, dict(server_settings, REDIS_URL=f"redis://127.0.0.1:{port}/0"))
    yield server.start()
    server.stop()


def test_without_redis_sign_in_says_temporarily_unavailable(without_redis, factories):
    """This used to be a generic 'Something went wrong' 500."""
    ready = requests.get(without_redis.url + "/health/ready", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "ok", "rate_limits": "unreachable"}
    assert requests.get(without_redis.url + "/health/live", timeout=10).status_code == 200

    person = factories.account()
    for language, words in (("en", "temporarily unavailable"), ("ru", "временно недоступен")):
        with Browser(without_redis.url, accept_language=language) as browser:
            page = browser.get("/login")
            assert page.status == 200  # the page itself needs no count
            answer = browser.submit(page, "login", login=person.email, password=person.password)
        assert answer.status == 503 and words in answer.text
        assert answer.response.headers["Retry-After"] == "30"
