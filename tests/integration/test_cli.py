"""The `passport` command, run as a real process against a temporary SQLite database."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ..support.cli import run_in_process
from ..support.ports import free_port
from ..support.processes import serve_argv

PASSPORT = str(Path(sys.executable).with_name("passport"))


def _environment(root: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_")}
    environ.update(
        PASSPORT_DATABASE_URL=f"sqlite:///{root / 'cli.db'}",
        PASSPORT_INSTANCE_DIR=str(root / "instance"),
        PASSPORT_KEYS_DIR=str(root / "keys"),
        PASSPORT_ARGON2_MEMORY_COST="8192",
        PASSPORT_ARGON2_TIME_COST="1",
    )
    return environ


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A database `passport db upgrade` made, once: each test starts from a copy of it."""
    root = tmp_path_factory.mktemp("cli-template")
    upgraded = subprocess.run(
        [PASSPORT, "db", "upgrade"], env=_environment(root), capture_output=True, text=True
    )
    assert upgraded.returncode == 0, upgraded.stderr
    return root / "cli.db"


@pytest.fixture
def run(tmp_path, migrated):
    environ = _environment(tmp_path)
    shutil.copyfile(migrated, tmp_path / "cli.db")

    def passport(*args, stdin=None):
        return subprocess.run(
            [PASSPORT, *args], env=environ, input=stdin, capture_output=True, text=True, timeout=120
        )

    passport.tmp_path = tmp_path
    passport.environ = environ
    return passport


@pytest.fixture
def invoke(tmp_path, migrated):
    """As `run`, in this process (tests/support/cli.py)."""
    environ = _environment(tmp_path)
    shutil.copyfile(migrated, tmp_path / "cli.db")

    def passport(*args, stdin=None):
        return run_in_process(environ, *args, stdin=stdin)

    passport.tmp_path = tmp_path
    passport.environ = environ
    return passport


def test_users_create(invoke):
    created = invoke(
        "users",
        "create",
        "--email",
        "Cli.User@Example.org",
        "--phone",
        "8 912 000 11 22",
        "--password-stdin",
        stdin="a good long passphrase\n",
    )
    assert created.returncode == 0, created.stderr
    user = json.loads(created.stdout)
    assert user["email"] == "cli.user@example.org" and user["phone"] == "+79120001122"
    again = invoke(
        "users", "create", "--email", "cli.user@example.org", "--password", "another passphrase"
    )
    assert again.returncode != 0 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert (
        invoke("users", "create", "--email", "not-an-email", "--password", "x" * 12).returncode != 0
    )
    neither = invoke("users", "create", "--password", "x" * 12)
    assert neither.returncode != 0 and "--email or --phone" in neither.stderr
    both = invoke(
        "users", "create", "--email", "b@example.org", "--password", "x" * 12, "--password-stdin"
    )
    assert both.returncode != 0


def test_clients_create(invoke):
    made = invoke(
        "clients",
        "create",
        "--name",
        "Shop",
        "--redirect-uri",
        "https://shop.example/cb",
        "--backchannel-logout-uri",
        "https://shop.example/logout",
    )
    assert made.returncode == 0, made.stderr
    client = json.loads(made.stdout)
    assert client["client_secret"] and client["redirect_uris"] == ["https://shop.example/cb"]
    assert client["backchannel_logout_uri"] == "https://shop.example/logout"
    public = json.loads(
        invoke(
            "clients",
            "create",
            "--name",
            "App",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1:8080/cb",
        ).stdout
    )
    assert "client_secret" not in public and public["token_endpoint_auth_method"] == "none"
    refused = invoke(
        "clients", "create", "--name", "Bad", "--redirect-uri", "http://shop.example/cb"
    )
    assert refused.returncode != 0 and "https" in refused.stderr
    assert invoke("clients", "create", "--redirect-uri", "https://x.example/cb").returncode != 0


def test_keys_and_registration_token(invoke):
    listed = invoke("keys", "list")
    assert listed.returncode == 0 and listed.stdout.count("active") == 3  # RS256, ES256, PS256
    rotated = invoke("keys", "rotate", "--alg", "ES256", "--delay", "0")
    assert rotated.returncode == 0
    states = invoke("keys", "list").stdout
    assert states.count("retired") == 1 and states.count("active") == 3
    assert invoke("keys", "rotate", "--alg", "PS256", "--delay", "0").returncode == 0
    # Each command is a process of its own: the keys are in the database, shared, sealed.
    with sqlite3.connect(invoke.tmp_path / "cli.db") as database:
        sealed = [row[0] for row in database.execute("SELECT private_key_sealed FROM signing_keys")]
    assert len(sealed) == 5 and not any("PRIVATE KEY" in value for value in sealed)
    assert not list((invoke.tmp_path / "keys").glob("*.pem"))  # nothing written to the folder
    token = invoke("registration-token", "create")
    assert token.returncode == 0 and len(token.stdout.strip()) >= 40
    assert invoke("keys", "rotate", "--alg", "HS256").returncode != 0


def test_demo_is_idempotent(invoke):
    first = json.loads(invoke("demo").stdout)
    second = json.loads(invoke("demo").stdout)
    assert first == second and first["login"] == "demo@example.org"
    credentials = invoke.tmp_path / "instance" / "demo-portal.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert json.loads(credentials.read_text())["client_id"] == "demo-portal"
    with sqlite3.connect(invoke.tmp_path / "cli.db") as database:
        (developer,) = database.execute(
            "SELECT is_developer FROM accounts WHERE email = 'demo@example.org'"
        ).fetchone()
    assert developer == 1  # the demo account opens the developer console


def test_the_demo_portal_follows_a_new_port(invoke):
    """make run PORT=… PORTAL_PORT=…: the demo portal's redirect URIs and its credentials
    file follow Passport and the portal to their ports; its secret stays."""
    invoke("demo")
    credentials = invoke.tmp_path / "instance" / "demo-portal.json"
    secret = json.loads(credentials.read_text())["client_secret"]
    invoke.environ["PASSPORT_ISSUER"] = "http://127.0.0.1:5050"
    moved = invoke("demo", "--portal-url", "http://127.0.0.1:5051")
    assert moved.returncode == 0, moved.stderr
    stored = json.loads(credentials.read_text())
    assert stored["issuer"] == "http://127.0.0.1:5050"
    assert stored["portal_url"] == "http://127.0.0.1:5051" and stored["client_secret"] == secret
    with sqlite3.connect(invoke.tmp_path / "cli.db") as database:
        (metadata,) = database.execute(
            "SELECT client_metadata FROM clients WHERE client_id = 'demo-portal'"
        ).fetchone()
    assert json.loads(metadata)["redirect_uris"] == ["http://127.0.0.1:5051/callback"]


def test_the_demo_registers_the_single_page_and_command_line_examples(invoke):
    """`make run` serves clients/spa (public, its redirect URIs following --spa-url) and
    clients/native needs a native client with loopback redirect URIs of any port."""
    seeded = json.loads(invoke("demo", "--spa-url", "http://127.0.0.1:5002").stdout)
    assert seeded["spa_client_id"] == "demo-spa" and seeded["native_client_id"] == "demo-cli"
    moved = invoke("demo", "--spa-url", "http://127.0.0.1:5052")
    assert moved.returncode == 0, moved.stderr
    with sqlite3.connect(invoke.tmp_path / "cli.db") as database:
        rows = dict(
            database.execute(
                "SELECT client_id, client_metadata FROM clients"
                " WHERE client_id IN ('demo-spa', 'demo-cli')"
            )
        )
    spa, native = json.loads(rows["demo-spa"]), json.loads(rows["demo-cli"])
    assert spa["redirect_uris"] == ["http://127.0.0.1:5052/callback"]
    assert spa["token_endpoint_auth_method"] == "none"
    assert native["application_type"] == "native"
    assert native["redirect_uris"] == ["http://127.0.0.1/callback", "http://[::1]/callback"]


def _demo_portal_owner(passport) -> tuple:
    with sqlite3.connect(passport.tmp_path / "cli.db") as database:
        return database.execute(
            "SELECT clients.owner_id, accounts.id FROM clients, accounts"
            " WHERE clients.client_id = 'demo-portal' AND accounts.is_demo"
        ).fetchone()


def test_the_demo_portal_is_in_the_demo_developers_console(invoke):
    """The demo account owns the demo portal; a portal seeded before it did (no owner) is
    given to it by the next `passport demo`, keeping its credentials."""
    assert invoke("demo").returncode == 0
    owner, demo = _demo_portal_owner(invoke)
    assert owner == demo
    credentials = (invoke.tmp_path / "instance" / "demo-portal.json").read_text()
    with sqlite3.connect(invoke.tmp_path / "cli.db") as database:
        database.execute("UPDATE clients SET owner_id = NULL WHERE client_id = 'demo-portal'")
    again = invoke("demo")
    assert again.returncode == 0, again.stderr
    owner, demo = _demo_portal_owner(invoke)
    assert owner == demo
    assert (invoke.tmp_path / "instance" / "demo-portal.json").read_text() == credentials


def test_demo_on_a_passport_of_email_logins_only(invoke):
    invoke.environ["PASSPORT_PHONE_LOGINS"] = "false"
    seeded = invoke("demo")
    assert seeded.returncode == 0, seeded.stderr
    with sqlite3.connect(invoke.tmp_path / "cli.db") as database:
        (phone,) = database.execute(
            "SELECT phone FROM accounts WHERE email = 'demo@example.org'"
        ).fetchone()
    assert phone is None


def _accounts(run) -> list[tuple]:
    with sqlite3.connect(run.tmp_path / "cli.db") as database:
        return database.execute("SELECT email, phone, name FROM accounts ORDER BY id").fetchall()


@pytest.mark.parametrize("phone_logins", ["true", "false"])
def test_demo_keeps_one_account_after_its_email_changed(invoke, phone_logins):
    """The demo account is found by its mark, not by its e-mail: after the person changed
    the demo account's address, seeding again (`make run` does it on every start) neither
    adds a second Demo Person at the old address nor stumbles on the demo phone number."""
    invoke.environ["PASSPORT_PHONE_LOGINS"] = phone_logins
    assert invoke("demo").returncode == 0
    with sqlite3.connect(invoke.tmp_path / "cli.db") as database:
        # What confirming the new address through the Passport page leaves in the row.
        database.execute(
            "UPDATE accounts SET email = 'my.own@example.org' WHERE email = 'demo@example.org'"
        )
    before = _accounts(invoke)
    again = invoke("demo")
    assert again.returncode == 0, again.stderr
    assert _accounts(invoke) == before and before[0][0] == "my.own@example.org"
    assert json.loads(again.stdout)["login"] == "my.own@example.org"


def test_demo_adopts_the_account_seeded_before_it_was_marked(run):
    """An installation seeded before the mark existed: the upgrade marks the account at the
    demo address, so the next `passport demo` finds it and adds no other."""
    (run.tmp_path / "cli.db").unlink()
    assert run("db", "upgrade", "0013").returncode == 0
    with sqlite3.connect(run.tmp_path / "cli.db") as database:
        database.execute(
            "INSERT INTO accounts (sub, email, email_verified, phone_verified, name,"
            " credential_epoch, is_developer, is_operator, created_at, updated_at)"
            " VALUES ('old-demo', 'demo@example.org', 1, 0, 'Demo Person', 0, 1, 0,"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    upgraded = run("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    with sqlite3.connect(run.tmp_path / "cli.db") as database:
        database.execute("UPDATE accounts SET email = 'my.own@example.org'")
    seeded = run("demo")
    assert seeded.returncode == 0, seeded.stderr
    assert _accounts(run) == [("my.own@example.org", None, "Demo Person")]


def test_demo_refuses_clearly_when_someone_else_holds_its_address(invoke):
    """An account that `passport demo` did not make is not taken over as the demo one (nor
    made a developer): the command says why it stops."""
    made = invoke("users", "create", "--email", "demo@example.org", "--password", "x" * 12)
    assert made.returncode == 0, made.stderr
    seeded = invoke("demo")
    assert seeded.returncode != 0 and "Traceback" not in seeded.stderr
    assert "A user with this e-mail already exists" in seeded.stderr
    with sqlite3.connect(invoke.tmp_path / "cli.db") as database:
        assert database.execute("SELECT is_developer, is_demo FROM accounts").fetchall() == [(0, 0)]


def test_prune_prints_what_it_deleted(invoke):
    # Rows written the way the database holds them: naive UTC. Two audit events are past
    # the default retention (365 days), one is recent; a delivered message is a month old.
    with sqlite3.connect(invoke.tmp_path / "cli.db") as database:
        for created in ("2001-01-01 00:00:00", "2001-01-02 00:00:00", "2999-01-01 00:00:00"):
            database.execute(
                "INSERT INTO audit_events (kind, details, created_at) VALUES ('test', '{}', ?)",
                (created,),
            )
        database.execute(
            "INSERT INTO outbox_messages (kind, target, payload, jti, status, attempts,"
            " created_at, next_attempt_at, give_up_at) VALUES ('mail', 'x', '{}', 'j1',"
            " 'delivered', 1, '2001-01-01', '2001-01-01', '2001-01-04')"
        )
    pruned = invoke("prune", "--batch", "1")
    assert pruned.returncode == 0, pruned.stderr
    lines = pruned.stdout.splitlines()
    assert "audit_events: 2" in lines and "outbox_messages: 1" in lines
    assert "refresh_tokens_of_expired_families: 0" in lines and lines[-1] == "total: 3"
    with sqlite3.connect(invoke.tmp_path / "cli.db") as database:
        (left,) = database.execute("SELECT count(*) FROM audit_events").fetchone()
    assert left == 1
    again = invoke("prune")
    assert again.returncode == 0 and again.stdout.splitlines()[-1] == "total: 0"


@pytest.mark.parametrize(("server", "access_log"), [("gunicorn", "true"), ("granian", "false")])
def test_serve_starts_the_chosen_server(run, server, access_log):
    port = free_port()
    served = subprocess.Popen(
        [PASSPORT, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--server", server],
        env={**run.environ, "PASSPORT_ACCESS_LOG": access_log},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline, status = time.monotonic() + 60, None
        while status is None and time.monotonic() < deadline and served.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/jwks.json", timeout=2) as r:
                    status, body = r.status, json.load(r)
            except OSError:
                time.sleep(0.2)
        assert status == 200 and body["keys"]
    finally:
        served.terminate()
        output = served.communicate(timeout=30)[0]
    assert ("/jwks.json" in output) == (access_log == "true")


def test_metrics_sum_every_worker_of_the_server(run):
    """Each worker counts into the instance's metrics folder; a scrape reads them all.
    (Shown with gunicorn: granian, stopped while a worker is still starting, hangs.)"""
    port = free_port()
    served = subprocess.Popen(
        serve_argv(port, workers=2),
        env={**run.environ, "PASSPORT_METRICS_TOKEN": "scraper", "PASSPORT_ACCESS_LOG": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for_health(port, served)
        for _ in range(30):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10):
                pass
        scrape = urllib.request.Request(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": "Bearer scraper"}
        )
        with urllib.request.urlopen(scrape, timeout=10) as answer:
            text = answer.read().decode()
    finally:
        served.terminate()
        served.wait(timeout=30)
    line = 'passport_http_requests_total{endpoint="health.ready",method="GET",status="200"}'
    [count] = [float(row.split()[-1]) for row in text.splitlines() if row.startswith(line)]
    assert count == 30
    folder = run.tmp_path / "instance" / "metrics"
    assert list(folder.glob("counter_*.db"))  # the workers' files, where every scrape reads


def test_serve_refuses_a_bind_without_a_port(run):
    refused = run("serve", "--bind", "127.0.0.1")
    assert refused.returncode == 2 and "HOST:PORT" in refused.stderr


def _wait_for_health(port: int, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return r.status == 200
        except OSError:
            time.sleep(0.2)
    return False


@pytest.mark.parametrize(
    "command",
    [["run", "--port", "{port}"], ["serve", "--bind", "127.0.0.1:{port}", "--workers", "1"]],
)
def test_servers_stop_on_sigterm(run, command):
    """`passport run` used to need a SIGKILL. Each stops within seconds,
    with status 0; `run` stops its delivery worker on the way out."""
    port = free_port()
    argv = [PASSPORT, *(part.format(port=port) for part in command)]
    served = subprocess.Popen(
        argv, env=run.environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert _wait_for_health(port, served)
        served.terminate()
        output = served.communicate(timeout=15)[0]
    finally:
        if served.poll() is None:
            served.kill()
    assert served.returncode == 0, output
    if command[0] == "run":
        assert "Passport stopped." in output


def test_worker_stops_on_sigterm(run):
    worker = subprocess.Popen(
        [PASSPORT, "worker"], env=run.environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        assert b"running" in worker.stdout.readline()
        worker.terminate()
        worker.wait(timeout=15)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0
