"""Readiness for the load balancer, and what a person sees while Redis is away."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from server.oauth.keys import KeyStore

from ..support.browser import Browser
from ..support.ports import free_port


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
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_")}
    environ.update(
        {
            f"PASSPORT_{name}": str(server_settings[name])
            for name in ("DATABASE_URL", "INSTANCE_DIR", "KEYS_DIR", "SECRET_KEY")
        },
        PASSPORT_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        PASSPORT_RUN_WORKER_IN_PROCESS="false",  # the suite's own worker delivers
    )
    passport = str(Path(sys.executable).with_name("passport"))
    process = subprocess.Popen(
        [passport, "run", "--port", str(port)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                requests.get(url + "/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield Served(url)
    finally:
        process.terminate()
        process.wait(timeout=20)


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
