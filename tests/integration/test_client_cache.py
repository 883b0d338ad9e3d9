"""Clients cached in each process: no SQL on a warm client_credentials request, and a
change made on one node refused by another within a second (two real processes)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from server.domain import client_cache
from server.extensions import db
from server.services import clients, developers
from server.services.accounts import create_account

from ..support.ports import free_port

PASSPORT = str(Path(sys.executable).with_name("passport"))
WITHIN = 1.0  # seconds: a change takes effect on every node within this


class SecondNode:
    """Another Passport, as its own OS process (`passport run`), on the same database."""

    def __init__(self, settings: dict, root: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_")}
        environ.update(
            PASSPORT_DATABASE_URL=settings["DATABASE_URL"],
            PASSPORT_ISSUER=self.url,
            PASSPORT_SECRET_KEY=settings["SECRET_KEY"],
            PASSPORT_KEY_ENCRYPTION_KEY=settings["KEY_ENCRYPTION_KEY"],
            PASSPORT_INSTANCE_DIR=str(root / "instance"),
            PASSPORT_KEYS_DIR=str(root / "keys"),
            PASSPORT_RUN_WORKER_IN_PROCESS="false",
        )
        self.postgres = settings["DATABASE_URL"].startswith("postgresql")
        if self.postgres:
            # Only a notification can then make this node let go of a client within a
            # second: the expiry it falls back on without one is far longer.
            environ["PASSPORT_CLIENT_CACHE_TTL_LOCAL"] = "30"
        self._log = (root / "second-node.log").open("w")
        self._process = subprocess.Popen(
            [PASSPORT, "run", "--port", str(self.port)],
            env=environ,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_serving(root)

    def _wait_until_serving(self, root: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError((root / "second-node.log").read_text())
            try:
                requests.get(self.url + "/.well-known/openid-configuration", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError("the second node did not start")

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)
        self._log.close()


@pytest.fixture(scope="module")
def second_node(live_server, server_settings, tmp_path_factory):
    node = SecondNode(server_settings, tmp_path_factory.mktemp("second-node"))
    yield node
    node.stop()


@pytest.fixture
def batch_client(factories):
    return factories.client(grant_types=["client_credentials"])


def client_credentials(url: str, client_id: str, secret: str) -> requests.Response:
    return requests.post(
        url + "/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


def refused(response: requests.Response) -> bool:
    return response.status_code == 401 and response.json()["error"] == "invalid_client"


def refused_within(url: str, client_id: str, secret: str, seconds: float) -> bool:
    """Every request sent `seconds` after now is refused (and any sent sooner may be)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if refused(client_credentials(url, client_id, secret)):
            return True
        time.sleep(0.02)
    return refused(client_credentials(url, client_id, secret))


def test_a_warm_client_credentials_request_makes_no_sql(live_server, batch_client):
    with live_server.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        args = (live_server.url, batch_client.client_id, batch_client.client_secret)
        assert client_credentials(*args).status_code == 200  # fills the cache
        listener = live_server.app.extensions[client_cache.EXTENSION].listener
        if listener is not None:
            # On PostgreSQL the first lookup starts the listener, which clears the cache
            # once it listens (changes before that went unheard): fill it again after.
            wait_for(lambda: listener.backend_pid)
            assert client_credentials(*args).status_code == 200
        statements.clear()
        response = client_credentials(*args)
        assert response.status_code == 200, response.text
        assert statements == []
        # Introspecting that token reads no row either: the client comes from the cache.
        introspected = requests.post(
            live_server.url + "/introspect",
            data={"token": response.json()["access_token"]},
            auth=args[1:],
        )
        assert introspected.json()["active"] is True
        assert statements == []
    finally:
        event.remove(engine, "before_cursor_execute", count)


def disable(client_id: str) -> None:
    row = clients.find_client(client_id)
    row.disabled_at = row.created_at
    db.session.commit()


def delete(client_id: str) -> None:
    clients.delete_client(clients.find_client(client_id))


def rotate(client_id: str) -> str:
    operator = create_account(
        email=f"operator-{client_id[:8].lower()}@example.org",
        password="correct horse battery",
        email_verified=True,
    )
    developers.set_role(operator.email, "operator", True)
    return developers.rotate_secret(operator, clients.find_client(client_id))


@pytest.mark.parametrize("change", [disable, rotate, delete])
def test_a_change_on_one_node_is_refused_by_the_other_within_a_second(
    live_server, second_node, batch_client, change
):
    client_id, secret = batch_client.client_id, batch_client.client_secret
    for node in (live_server.url, second_node.url):
        assert client_credentials(node, client_id, secret).status_code == 200
    if second_node.postgres:
        # Its listener clears the cache when it starts listening: warm it again after.
        wait_for(lambda: listeners(live_server) >= 2)
        assert client_credentials(second_node.url, client_id, secret).status_code == 200
    with live_server.app_context():
        new_secret = change(client_id)
    # The node that made the change refuses at once; the other within a second.
    assert refused(client_credentials(live_server.url, client_id, secret))
    assert refused_within(second_node.url, client_id, secret, WITHIN)
    if new_secret:
        for node in (live_server.url, second_node.url):
            assert client_credentials(node, client_id, new_secret).status_code == 200


def test_the_listener_recovers_after_its_connection_is_killed(
    live_server, server_settings, batch_client
):
    if not server_settings["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    client_id, secret = batch_client.client_id, batch_client.client_secret
    assert client_credentials(live_server.url, client_id, secret).status_code == 200
    listener = live_server.app.extensions[client_cache.EXTENSION].listener
    killed = wait_for(lambda: listener.backend_pid)
    database = make_url(server_settings["DATABASE_URL"]).set(drivername="postgresql")
    with psycopg.connect(database.render_as_string(hide_password=False), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (killed,))
        # Another node disables the client while nobody here listens: the news is lost.
        with other.transaction():
            other.execute(
                "UPDATE clients SET disabled_at = now() WHERE client_id = %s", (client_id,)
            )
            other.execute("SELECT pg_notify('passport_clients', %s)", (client_id,))
        assert refused_within(live_server.url, client_id, secret, WITHIN)
        reconnected = wait_for(lambda: listener.backend_pid not in (None, killed))
        assert reconnected
        # Listening again: the next change is heard, well before the 60 s safety net.
        with other.transaction():
            other.execute(
                "UPDATE clients SET disabled_at = NULL WHERE client_id = %s", (client_id,)
            )
            other.execute("SELECT pg_notify('passport_clients', %s)", (client_id,))
        assert wait_for(
            lambda: client_credentials(live_server.url, client_id, secret).status_code == 200,
            limit=WITHIN,
        )


def listeners(live_server) -> int:
    """Processes listening for client changes on the test database (both nodes, at most)."""
    with live_server.app_context():
        return db.session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = 'passport-client-changes'"
                " AND query = 'LISTEN passport_clients'"
            )
        ).scalar_one()


def wait_for(check, *, limit: float = 15.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.02)
    pytest.fail("waited in vain")
