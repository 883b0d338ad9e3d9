"""Load benchmark of Passport's hot endpoints (not a test).

Starts Passport under gunicorn on 127.0.0.1 (SQLite in a temporary folder, or the
PostgreSQL URL given with --database-url), signs a person in through a first-party client
to get tokens, then sends a bounded number of requests per endpoint from a few threads and
prints latency percentiles and throughput. It stops by itself.

    python bench/token_endpoint.py [--requests 400] [--threads 4] [--database-url URL]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import parse_qs, urlsplit

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def passport(env: dict, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "passport"), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout


def sign_in(issuer: str, client_id: str, secret: str, redirect_uri: str) -> dict:
    """The code flow with PKCE, as a portal and a person would do it, to get tokens."""
    browser = requests.Session()
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email profile",
        "state": "s",
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = browser.get(issuer + "/authorize", params=params, timeout=10)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    following = re.search(r'name="next"[^>]*value="([^"]*)"', page.text).group(1)
    response = browser.post(
        issuer + "/login",
        data={
            "csrf_token": csrf,
            "next": html.unescape(following),
            "login": "bench@example.org",
            "password": "benchmark passphrase",
        },
        allow_redirects=False,
        timeout=10,
    )
    response = browser.get(issuer + response.headers["Location"], allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        issuer + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
        timeout=10,
    )
    tokens.raise_for_status()
    return tokens.json()


def measure(name: str, total: int, threads: int, make_request) -> dict:
    """Run `total` requests over `threads` threads; each thread keeps its own state."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def run(count: int, state: dict):
        nonlocal errors
        session = requests.Session()
        for _ in range(count):
            started = time.perf_counter()
            ok = make_request(session, state)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors += 0 if ok else 1

    states = [{} for _ in range(threads)]
    workers = [
        threading.Thread(target=run, args=(total // threads, states[i])) for i in range(threads)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - started
    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

    return {
        "endpoint": name,
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / wall,
        "p50": percentile(0.5),
        "p95": percentile(0.95),
        "p99": percentile(0.99),
        "mean": statistics.mean(latencies) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="passport-bench-")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        PASSPORT_ISSUER=issuer,
        PASSPORT_INSTANCE_DIR=os.path.join(folder, "instance"),
        PASSPORT_KEYS_DIR=os.path.join(folder, "keys"),
        PASSPORT_DATABASE_URL=args.database_url or f"sqlite:///{folder}/passport.db",
        PASSPORT_LOGIN_RATE_LIMIT_PER_LOGIN="100000 per minute",
        PASSPORT_LOGIN_RATE_LIMIT_PER_IP="100000 per minute",
    )
    passport(env, "db", "upgrade")
    passport(
        env,
        "users",
        "create",
        "--email",
        "bench@example.org",
        "--password-stdin",
        stdin="benchmark passphrase\n",
    )
    redirect_uri = "http://127.0.0.1:9/callback"
    import json

    client = json.loads(
        passport(
            env,
            "clients",
            "create",
            "--name",
            "Bench",
            "--redirect-uri",
            redirect_uri,
            "--first-party",
        )
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            "4",
            "--log-level",
            "warning",
            "server.wsgi:app",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                requests.get(issuer + "/jwks.json", timeout=5).raise_for_status()
                break
            except requests.RequestException:
                time.sleep(0.1)
        cid, secret = client["client_id"], client["client_secret"]
        chains = [sign_in(issuer, cid, secret, redirect_uri) for _ in range(args.threads)]
        access_token = chains[0]["access_token"]
        chain_index = iter(range(args.threads))

        def refresh(session, state):
            if "token" not in state:
                state["token"] = chains[next(chain_index)]["refresh_token"]
            response = session.post(
                issuer + "/token",
                auth=(cid, secret),
                timeout=10,
                data={"grant_type": "refresh_token", "refresh_token": state["token"]},
            )
            if response.status_code == 200:
                state["token"] = response.json()["refresh_token"]
                return True
            return False

        def userinfo(session, state):
            return (
                session.get(
                    issuer + "/userinfo",
                    timeout=10,
                    headers={"Authorization": f"Bearer {access_token}"},
                ).status_code
                == 200
            )

        def introspect(session, state):
            return (
                session.post(
                    issuer + "/introspect",
                    auth=(cid, secret),
                    timeout=10,
                    data={"token": access_token},
                )
                .json()
                .get("active")
                is True
            )

        def jwks(session, state):
            return session.get(issuer + "/jwks.json", timeout=10).status_code == 200

        def discovery(session, state):
            return (
                session.get(issuer + "/.well-known/openid-configuration", timeout=10).status_code
                == 200
            )

        rows = [
            measure(name, args.requests, args.threads, fn)
            for name, fn in (
                ("token (refresh grant)", refresh),
                ("userinfo", userinfo),
                ("introspect", introspect),
                ("jwks", jwks),
                ("discovery", discovery),
            )
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"\n{backend}, gunicorn {args.workers} workers x 4 threads, {args.threads} client threads\n"
    )
    print(
        f"{'endpoint':24} {'req':>5} {'err':>4} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    for row in rows:
        print(
            f"{row['endpoint']:24} {row['requests']:5d} {row['errors']:4d} {row['rps']:8.1f} "
            f"{row['p50']:8.2f} {row['p95']:8.2f} {row['p99']:8.2f}"
        )


if __name__ == "__main__":
    main()
