"""Two Passport nodes behind a real load balancer, as production runs them.

Each node is a `passport serve` and a `passport worker` of its own, with an instance folder
of its own; they share PostgreSQL and Redis, and HAProxy on loopback hands requests to
them in turn. Through it: a sign-in, tokens that work on either node, a key rotation made
on one that both see, a rate limit counted across both, and back-channel logouts each
delivered once though two workers deliver.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from joserfc import jws

from ..conftest import (
    REQUIRE_SERVICES,
    create_postgres_database,
    drop_postgres_database,
    redis_url_or_skip,
)
from ..support.browser import Browser
from ..support.factories import ClientInfo
from ..support.ports import free_port
from ..support.processes import serve_argv
from ..support.receiver import Receiver
from ..support.relying_party import RelyingParty

PASSPORT = str(Path(sys.executable).with_name("passport"))
CALLBACK = "http://127.0.0.1:9/callback"

HAPROXY_CONFIG = """
global
    maxconn 256
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend passport
    bind 127.0.0.1:{port}
    default_backend nodes
backend nodes
    balance roundrobin
    http-response set-header X-Node %[srv_name]
    server a 127.0.0.1:{a}
    server b 127.0.0.1:{b}
"""


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


class Cluster:
    """The load balancer's URL, each node's own, and the environment of each node."""

    def __init__(self, root: Path, database_url: str, redis_url: str):
        self.root = root
        self.port, self.ports = free_port(), {"a": free_port(), "b": free_port()}
        self.url = f"http://127.0.0.1:{self.port}"
        shared = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_")}
        shared.update(
            PASSPORT_ISSUER=self.url,
            PASSPORT_DATABASE_URL=database_url,
            PASSPORT_REDIS_URL=redis_url,
            PASSPORT_SECRET_KEY=secrets.token_urlsafe(48),
            PASSPORT_KEY_ENCRYPTION_KEY=_fernet_key(),
            PASSPORT_TOTP_ENCRYPTION_KEY=_fernet_key(),
            PASSPORT_PAIRWISE_SALT=secrets.token_urlsafe(32),
            PASSPORT_KEYS_RECHECK_SECONDS="1",
            PASSPORT_LOGIN_RATE_LIMIT_PER_LOGIN="5 per minute",
            PASSPORT_ARGON2_MEMORY_COST="8192",
            PASSPORT_ARGON2_TIME_COST="1",
            PASSPORT_DELIVERY_POLL_INTERVAL="0.2",
            PASSPORT_ACCESS_LOG="false",
        )
        self.environ = {
            name: {
                **shared,
                "PASSPORT_INSTANCE_DIR": str(root / name / "instance"),
                "PASSPORT_KEYS_DIR": str(root / name / "keys"),
            }
            for name in self.ports
        }

    def passport(self, node: str, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [PASSPORT, *args],
            env=self.environ[node],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def node_url(self, node: str) -> str:
        return f"http://127.0.0.1:{self.ports[node]}"


def _start(stack: ExitStack, argv: list[str], environ: dict, log: Path) -> subprocess.Popen:
    with open(log, "w") as output:  # the process keeps its own copy of the descriptor
        process = subprocess.Popen(argv, env=environ, stdout=output, stderr=subprocess.STDOUT)

    def stop():
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()

    stack.callback(stop)
    return process


def _wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(url + "/readyz", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or busy starting
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never became ready:\n{log.read_text()[-2000:]}")


@pytest.fixture
def cluster(tmp_path):
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        if REQUIRE_SERVICES:
            pytest.fail("haproxy is not installed (.ci/run installs it)", pytrace=False)
        pytest.skip("haproxy is not installed")
    redis_url = redis_url_or_skip()
    database = create_postgres_database()
    cluster = Cluster(tmp_path, database, redis_url)
    with ExitStack() as stack:
        stack.callback(drop_postgres_database, database)
        cluster.passport("a", "db", "upgrade")
        for name, port in cluster.ports.items():
            log = tmp_path / f"{name}.log"
            server = _start(stack, serve_argv(port), cluster.environ[name], log)
            _wait_ready(cluster.node_url(name), server, log)
            _start(
                stack, [PASSPORT, "worker"], cluster.environ[name], tmp_path / f"{name}-worker.log"
            )
        config = tmp_path / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(port=cluster.port, **cluster.ports))
        balancer = _start(
            stack, [haproxy, "-db", "-f", str(config)], os.environ.copy(), tmp_path / "haproxy.log"
        )
        _wait_ready(cluster.url, balancer, tmp_path / "haproxy.log")
        yield cluster


def kid_of(token: str) -> str:
    return jws.extract_compact(token.encode()).protected["kid"]


def test_two_nodes_behind_a_load_balancer(cluster):
    person = json.loads(
        cluster.passport(
            "a",
            "users",
            "create",
            "--email",
            "two.nodes@example.org",
            "--password-stdin",
            stdin="two nodes, one passport\n",
        )
    )
    with Receiver() as receiver:
        made = json.loads(
            cluster.passport(
                "b",
                "clients",
                "create",
                "--name",
                "Portal",
                "--redirect-uri",
                CALLBACK,
                "--first-party",
                "--backchannel-logout-uri",
                receiver.url + "/logout",
            )
        )
        client = ClientInfo(made["client_id"], made["client_secret"], CALLBACK, made)
        portal = RelyingParty(cluster.url, client, scope="openid email offline_access")

        # Requests go to both nodes in turn.
        nodes = {
            requests.get(cluster.url + "/healthz", timeout=5).headers["X-Node"] for _ in range(4)
        }
        assert nodes == {"a", "b"}

        # A sign-in and its tokens through the balancer; each token works on either node.
        with Browser(cluster.url) as browser, Browser(cluster.url) as other:
            tokens = portal.sign_in(browser, "two.nodes@example.org", "two nodes, one passport")
            other_tokens = portal.sign_in(other, "two.nodes@example.org", "two nodes, one passport")
            access = tokens["access_token"]
            for node in ("a", "b"):
                answer = requests.get(
                    cluster.node_url(node) + "/userinfo",
                    headers={"Authorization": f"Bearer {access}"},
                    timeout=10,
                )
                assert answer.status_code == 200 and answer.json()["sub"] == person["sub"]
            refresh = tokens["refresh_token"]
            for node in ("a", "b", "a"):
                answer = requests.post(
                    cluster.node_url(node) + "/token",
                    data={"grant_type": "refresh_token", "refresh_token": refresh},
                    auth=(client.client_id, client.client_secret),
                    timeout=10,
                )
                assert answer.status_code == 200, answer.text
                refresh = answer.json()["refresh_token"]

            # A rotation on one node: both publish the new key and sign with it.
            rotated = cluster.passport("b", "keys", "rotate", "--alg", "RS256", "--delay", "0")
            new_kid = rotated.split()[0]
            time.sleep(1.5)  # KEYS_RECHECK_SECONDS
            for node in ("a", "b"):
                jwks = requests.get(cluster.node_url(node) + "/jwks.json", timeout=10).json()
                assert new_kid in {k["kid"] for k in jwks["keys"]}
                assert kid_of(tokens["id_token"]) in {k["kid"] for k in jwks["keys"]}
            fresh = portal.sign_in(browser, "two.nodes@example.org", "two nodes, one passport")
            assert kid_of(fresh["id_token"]) == new_kid
            portal.verify_id_token(fresh["id_token"])

            # Logging out of all devices: each ended session's logout is delivered once,
            # though both nodes' workers deliver.
            sids = {
                json.loads(base64.urlsafe_b64decode(t["id_token"].split(".")[1] + "=="))["sid"]
                for t in (tokens, other_tokens, fresh)
            }
            page = browser.get("/account/sessions")
            browser.submit(page, to="/account/sessions/end-all", include_current="y")
            logouts = receiver.wait_for(len(sids), timeout=30, where=lambda r: r.path == "/logout")
            time.sleep(2)  # anything delivered twice would have arrived by now
            delivered = [r for r in receiver.snapshot() if r.path == "/logout"]
            assert len(delivered) == len(logouts) == len(sids)
            claims = [
                json.loads(base64.urlsafe_b64decode(r.form["logout_token"].split(".")[1] + "=="))
                for r in delivered
            ]
            assert {c["sid"] for c in claims} == sids
            assert len({c["jti"] for c in claims}) == len(sids)

    # Attempts on one login count across both nodes (in Redis): with 5 a minute, the sixth is
    # refused, though each node has seen only three.
    with Browser(cluster.node_url("a")) as on_a, Browser(cluster.node_url("b")) as on_b:
        statuses = [
            (on_a, on_b)[n % 2].sign_in("guessed@example.org", f"guess {n}").status
            for n in range(6)
        ]
    assert statuses == [400] * 5 + [429]
