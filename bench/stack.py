"""The bench's own Passport: a fresh database, a temporary folder, and the server process."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import requests
from psycopg import sql

from .probes import children


class BenchError(Exception):
    """Something the bench needs is missing; the message says what."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cores() -> tuple[int, int]:
    """A core for the server and another for the load generator (the same one if only one)."""
    available = sorted(os.sched_getaffinity(0))
    return available[0], available[-1]


class Database:
    """A PostgreSQL database made for one run and dropped after it."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.name = f"passport_bench_{secrets.token_hex(4)}"
        try:
            with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        except psycopg.OperationalError as error:
            raise BenchError(
                f"PostgreSQL is not reachable at {redact(admin_url)}: {str(error).strip()}\n"
                "Start it, or give another server with --postgres URL "
                "(or run on SQLite with --database-url sqlite)."
            ) from error
        self.url = psycopg.conninfo.make_conninfo(admin_url, dbname=self.name)

    def sqlalchemy_url(self) -> str:
        params = psycopg.conninfo.conninfo_to_dict(self.url)
        user = params.get("user", "postgres")
        password = f":{params['password']}" if params.get("password") else ""
        host, port = params.get("host", "127.0.0.1"), params.get("port", "5432")
        return f"postgresql+psycopg://{user}{password}@{host}:{port}/{self.name}"

    def execute(self, statement: str, params: tuple = ()) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(statement, params)

    def set_statement_logging(self, on: bool) -> str | None:
        """log_statement for new connections to this database; the error text if refused."""
        name = sql.Identifier(self.name)
        query = (
            sql.SQL("ALTER DATABASE {} SET log_statement = 'all'")
            if on
            else sql.SQL("ALTER DATABASE {} RESET log_statement")
        )
        try:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(query.format(name))
        except psycopg.Error as error:
            return str(error).strip()
        return None

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )


def redact(url: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(url)
    if params.get("password"):
        params["password"] = "***"
    return psycopg.conninfo.make_conninfo(**params)


class Project:
    """The Passport tree under test: its code, its virtualenv, its `passport` command."""

    def __init__(self, root: Path):
        self.root = root
        own = root / ".venv" / "bin"
        self.bin = own if (own / "passport").exists() else Path(sys.executable).parent
        self.passport = str(self.bin / "passport")
        self.python = str(self.bin / "python")
        help_text = self.run({**os.environ}, "serve", "--help", check=False)
        # Trees from before `passport serve --server` are started with gunicorn directly.
        self.serve_chooses_server = "--server" in help_text

    def run(self, env: dict, *args: str, stdin: str | None = None, check: bool = True) -> str:
        done = subprocess.run(
            [self.passport, *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.root,
            timeout=300,
        )
        if check and done.returncode != 0:
            raise BenchError(f"passport {' '.join(args)} failed:\n{done.stderr.strip()}")
        return done.stdout


def production_env(folder: Path, issuer: str, database_url: str) -> dict:
    """Production mode, as an operator runs it; secrets made for this run only."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_")}
    environ.update(
        PASSPORT_ENV="production",
        PASSPORT_ISSUER=issuer,
        PASSPORT_SECRET_KEY=secrets.token_urlsafe(32),
        PASSPORT_TOTP_ENCRYPTION_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        PASSPORT_KEY_ENCRYPTION_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        PASSPORT_PAIRWISE_SALT=secrets.token_urlsafe(32),
        PASSPORT_DATABASE_URL=database_url,
        PASSPORT_INSTANCE_DIR=str(folder / "instance"),
        PASSPORT_KEYS_DIR=str(folder / "keys"),
        # What operators turn off under load: the access log costs the worker CPU per line.
        PASSPORT_ACCESS_LOG="false",
        # The bench's person signs in by e-mail, and there is no SMS gateway to require.
        PASSPORT_PHONE_LOGINS="false",
    )
    return environ


class Server:
    """One Passport server process (one worker, a few threads) pinned to one core."""

    def __init__(
        self,
        project: Project,
        env: dict,
        port: int,
        kind: str,
        core: int,
        log_path: Path,
        threads: int = 4,
    ):
        self.project, self.env, self.port, self.kind = project, env, port, kind
        self.threads = threads
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.core = core
        self.cwd = project.root

    def command(self) -> list[str]:
        bind = f"127.0.0.1:{self.port}"
        if self.project.serve_chooses_server:
            return [
                self.project.passport,
                "serve",
                "--bind",
                bind,
                "--workers",
                "1",
                "--threads",
                str(self.threads),
                "--server",
                self.kind,
            ]
        if self.kind == "granian":
            host, port = bind.split(":")
            return [
                self.project.python,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                host,
                "--port",
                port,
                "--workers",
                "1",
                "--blocking-threads",
                str(self.threads),
                "--log-level",
                "warning",
                "server.wsgi:app",
            ]
        return [
            self.project.python,
            "-m",
            "gunicorn",
            "--bind",
            bind,
            "--workers",
            "1",
            "--threads",
            str(self.threads),
            "--log-level",
            "warning",
            "server.wsgi:app",
        ]

    def start(self) -> None:
        core = self.core
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Pinned before exec, so every process and thread it starts stays on the core.
                preexec_fn=lambda: os.sched_setaffinity(0, {core}),
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"the server exited at start:\n{self.log_tail()}")
            try:
                if requests.get(self.base + "/jwks.json", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise BenchError(f"the server did not answer within 60 s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: everything under the master, not the master."""
        return children(self.process.pid) if self.process else []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
