"""Passport behind PgBouncer in transaction mode, as the README tells operators to run it.

Each transaction may run on another of PgBouncer's server connections, where a statement
psycopg prepared on an earlier one does not exist: this used to answer the sixth execution
of a hot statement with a 500 ("prepared statement "_pg3_0" already exists"). The token
paths are run well past that.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from ..conftest import REQUIRE_SERVICES, create_postgres_database, drop_postgres_database
from ..support.browser import Browser
from ..support.factories import ClientInfo
from ..support.ports import free_port
from ..support.processes import serve_argv
from ..support.relying_party import RelyingParty

PASSPORT = str(Path(sys.executable).with_name("passport"))
CALLBACK = "http://127.0.0.1:9/callback"


def _pgbouncer() -> str:
    found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(found).exists():
        if REQUIRE_SERVICES:
            pytest.fail("pgbouncer is not installed (.ci/run installs it)", pytrace=False)
        pytest.skip("pgbouncer is not installed")
    return found


@pytest.fixture
def behind_pgbouncer(tmp_path):
    binary = _pgbouncer()
    database = create_postgres_database()
    server = urlsplit(database)
    name = server.path.lstrip("/")
    port, bouncer_port = free_port(), free_port()
    # PgBouncer will not run as root: as root it is started as the postgres user, which
    # must read its configuration.
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    folder.chmod(0o755)
    (folder / "users.txt").write_text(f'"{server.username or "postgres"}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        f"[databases]\n{name} = host={server.hostname} port={server.port or 5432} dbname={name}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {bouncer_port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 3\nmax_client_conn = 100\n"
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    argv = [binary, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        argv[1:1] = ["-u", "postgres"]
    bouncer = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    through = f"postgresql://{server.username or 'postgres'}@127.0.0.1:{bouncer_port}/{name}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_")}
    environ.update(
        PASSPORT_ISSUER=f"http://127.0.0.1:{port}",
        PASSPORT_DATABASE_URL=through,
        PASSPORT_DATABASE_LISTEN_URL=database,
        PASSPORT_INSTANCE_DIR=str(tmp_path / "instance"),
        PASSPORT_KEYS_DIR=str(tmp_path / "keys"),
        PASSPORT_ARGON2_MEMORY_COST="8192",
        PASSPORT_ARGON2_TIME_COST="1",
        PASSPORT_ACCESS_LOG="false",
    )

    def passport(*args, stdin=None) -> str:
        done = subprocess.run(
            [PASSPORT, *args], env=environ, input=stdin, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    served = None
    try:
        passport("db", "upgrade")
        served = subprocess.Popen(
            serve_argv(port),
            env=environ,
            stdout=open(tmp_path / "serve.log", "w"),  # noqa: SIM115 - the process keeps it
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/readyz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        yield url, passport, tmp_path / "serve.log"
    finally:
        if served is not None:
            served.terminate()
            served.wait(timeout=20)
        bouncer.terminate()
        bouncer.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
        drop_postgres_database(database)


def test_the_token_paths_work_through_pgbouncer(behind_pgbouncer):
    url, passport, log = behind_pgbouncer
    passport(
        "users",
        "create",
        "--email",
        "pooled@example.org",
        "--password-stdin",
        stdin="pooled passphrase\n",
    )
    made = json.loads(
        passport(
            "clients", "create", "--name", "Pooled", "--redirect-uri", CALLBACK, "--first-party"
        )
    )
    portal = RelyingParty(
        url,
        ClientInfo(made["client_id"], made["client_secret"], CALLBACK, made),
        scope="openid email offline_access",
    )
    with Browser(url) as browser:
        tokens = portal.sign_in(browser, "pooled@example.org", "pooled passphrase")
        refresh = tokens["refresh_token"]
        for _ in range(12):  # psycopg prepares a statement at its sixth execution
            answer = portal.refresh(refresh)
            assert answer.status_code == 200, answer.text
            refresh, access = answer.json()["refresh_token"], answer.json()["access_token"]
            assert portal.userinfo(access).status_code == 200
            assert portal.introspect(access)["active"] is True
        for _ in range(3):
            portal.sign_in(browser, "pooled@example.org", "pooled passphrase")
    assert "Traceback" not in log.read_text()
