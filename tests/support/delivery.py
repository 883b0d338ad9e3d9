"""Driving the outbox worker from the tests, in process or as `passport worker` subprocesses."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from server import clock
from server.delivery import worker

from .receiver import Received

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BACKCHANNEL = "http://schemas.openid.net/event/backchannel-logout"


def unverified_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def logout_tokens_for(received: list[Received], client_id: str) -> list[str]:
    """The logout tokens among `received` meant for this portal (aud), in arrival order."""
    tokens = [r.form.get("logout_token", "") for r in received]
    return [t for t in tokens if t.count(".") == 2 and unverified_claims(t).get("aud") == client_id]


def for_client(client_id: str):
    """A `where` filter for Receiver.wait_for: logout tokens addressed to this portal."""
    return lambda r: bool(logout_tokens_for([r], client_id))


def verify_logout_token(issuer: str, token: str) -> tuple[dict, dict]:
    """Check a logout token as a portal must (Back-Channel Logout 1.0 §2.6); (header, claims)."""
    jwks_uri = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()[
        "jwks_uri"
    ]
    keys = KeySet.import_key_set(requests.get(jwks_uri, timeout=10).json())
    decoded = jwt.decode(token, keys, algorithms=["RS256", "ES256"])
    return dict(decoded.header), dict(decoded.claims)


def set_aside_pending(live_server) -> None:
    """Earlier tests' pending messages are marked failed, so the outbox holds only the
    messages of the test that calls this."""
    from sqlalchemy import update

    from server.extensions import db
    from server.models import OutboxMessage

    with live_server.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(status="failed", last_error="set aside by a later test")
        )
        db.session.commit()


def deliver(live_server) -> None:
    """Run the outbox worker in the server's process until nothing is due."""
    with live_server.app_context():
        for _ in range(10):
            if worker.run_once() == 0:
                return


def jwks(live_server) -> KeySet:
    return KeySet.import_key_set(requests.get(live_server.url + "/jwks.json", timeout=10).json())


def events_received(live_server, receiver, client_id) -> list[dict]:
    keys = jwks(live_server)
    found = []
    for request in receiver.snapshot():
        if request.path != "/events":
            continue
        token = jwt.decode(request.body, keys, algorithms=["RS256", "ES256"])
        assert token.header["typ"] == "secevent+jwt"
        assert request.content_type == "application/secevent+jwt"
        found.append(token.claims)
    return [c for c in found if c["aud"] == client_id]


def logouts_received(live_server, receiver, client_id) -> list[dict]:
    keys = jwks(live_server)
    claims = []
    for request in receiver.snapshot():
        if request.path == "/logout":
            token = jwt.decode(request.form["logout_token"], keys, algorithms=["RS256", "ES256"])
            assert BACKCHANNEL in token.claims["events"]
            claims.append(token.claims)
    return [c for c in claims if c["aud"] == client_id]


def run_worker(live_server, until, *, travel: float = 0, passes: int = 20) -> bool:
    """Run worker passes in the live server's process until `until()` holds.

    Between passes the shared clock moves `travel` seconds, past the retry back-off, so
    nothing sleeps. Bounded by `passes`.
    """
    with live_server.app_context():
        for _ in range(passes):
            worker.run_once()
            if until():
                return True
            clock.travel(travel)
    return until()


def outbox_rows(live_server, **where) -> list:
    from sqlalchemy import select

    from server.extensions import db
    from server.models import OutboxMessage

    with live_server.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        rows = db.session.execute(query).scalars().all()
        db.session.expunge_all()
        return rows


def passport_environment(live_server) -> dict[str, str]:
    """The environment of a `passport` command working on the live server's data."""
    config = live_server.app.config
    env = dict(os.environ)
    env.update(
        PASSPORT_DATABASE_URL=config["DATABASE_URL"],
        PASSPORT_KEYS_DIR=config["KEYS_DIR"],
        PASSPORT_INSTANCE_DIR=config["INSTANCE_DIR"],
        PASSPORT_ISSUER=config["ISSUER"],
        PASSPORT_SECRET_KEY=config["SECRET_KEY"],
        PASSPORT_KEY_ENCRYPTION_KEY=config["KEY_ENCRYPTION_KEY"],
    )
    return env


class WorkerProcess:
    """`passport worker` in a subprocess, configured like the live server it serves."""

    def __init__(self, live_server, **settings):
        env = passport_environment(live_server)
        env["PASSPORT_DELIVERY_POLL_INTERVAL"] = "0.2"
        env.update({"PASSPORT_" + name: str(value) for name, value in settings.items()})
        self._output = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "passport"), "worker"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: no clean-up, no chance to record what it was doing."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.output()

    def output(self) -> str:
        self._output.seek(0)
        return self._output.read().decode("utf-8", "replace")


def wait_until(condition, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
