"""`--node`: node's oidc-provider measured beside Passport, on the same core, cell by cell.

Passport's CPU targets are set against node `oidc-provider` 9.13 on the same machine; the
bench runs that comparison itself so that it can be repeated. bench/node/server.mjs sets
node up like the bench's Passport (one confidential client, rotation, PKCE S256, RS256 ID
tokens), with its routes named as Passport's, so the endpoints of cells.py serve both.
node runs as one process pinned to the core of Passport's worker; the two are never
loaded at once: each Passport cell is followed by the same cell on node.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin

import requests

from . import cells, flows
from .probes import CpuMeter
from .stack import BenchError, Server, free_port

NODE_DIR = Path(__file__).resolve().parent / "node"
# node issues a refresh token only for offline_access, and keeps offline_access only when
# the request asks for consent (prompt=consent; without it the scope is dropped).
SCOPE = "openid email profile offline_access"
ACCOUNT = "bench"
# The targets: Passport's requests per CPU-second at least this share of node's.
TARGETS = {"refresh": 0.5}
DEFAULT_TARGET = 0.3


def target(endpoint: str) -> float:
    return TARGETS.get(endpoint, DEFAULT_TARGET)


def install() -> None:
    """node and npm on PATH, and bench/node's locked packages (`npm ci` when absent)."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        raise BenchError(
            f"--node needs {' and '.join(missing)} on PATH (node 20 or later); "
            "install Node.js or run the bench without --node."
        )
    if (NODE_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    print("bench: npm ci in bench/node (its node_modules is absent)", file=sys.stderr)
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise BenchError(f"npm ci in bench/node failed:\n{done.stderr.strip()[-2000:]}")


def versions() -> str:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    package = NODE_DIR / "node_modules" / "oidc-provider" / "package.json"
    return f"oidc-provider {json.loads(package.read_text())['version']} on node {node}"


class NodeServer(Server):
    """server.mjs as one node process; its CPU is that process's, every thread included."""

    def __init__(self, env: dict, port: int, core: int, log_path: Path):
        self.env, self.port, self.core, self.log_path = env, port, core, log_path
        self.base = f"http://127.0.0.1:{port}"
        self.cwd = NODE_DIR
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return ["node", "server.mjs", str(self.port)]

    def worker_pids(self) -> list[int]:
        # node serves on its main thread; libuv's pool (RSA signing) and V8's GC threads
        # belong to the same process and are counted in its /proc/<pid>/stat.
        return [self.process.pid] if self.process and self.process.poll() is None else []


class Node:
    """node's server, its client, its prepared tokens and its measured cells."""

    def __init__(self, folder: Path, core: int):
        install()
        self.version = versions()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # Hex: client_secret_basic form-encodes the secret, and hex needs no encoding.
        self.client = flows.Client("bench-portal", secrets.token_hex(32))
        environ = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
        environ.update(
            NODE_ENV="production",
            BENCH_CLIENT_ID=self.client.client_id,
            BENCH_CLIENT_SECRET=self.client.secret,
        )
        self.server = NodeServer(environ, self.port, core, folder / "node.log")
        self.cells: list[cells.Cell] = []

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def code_flow(self) -> dict:
        """A first visit in a new browser: /authorize → sign-in → consent → code → /token.

        Each flow has its own session and so its own grant, as Passport's flows each have
        theirs. Flows on one session would share one grant, and node's store keeps a list of
        a grant's tokens that it walks on every save: thousands long, it would cost node
        what no real person's grant does.
        """
        browser = requests.Session()
        verifier, challenge = flows.pkce_pair()
        params = {
            **flows.authorize_params(self.client, challenge),
            "scope": SCOPE,
            "prompt": "consent",
        }
        response = browser.get(
            self.base + "/authorize", params=params, allow_redirects=False, timeout=flows.TIMEOUT
        )
        # devInteractions: the login prompt, then the consent prompt, each a form posted to
        # /interaction/<uid> that redirects back to /authorize/<uid>.
        for form in (
            {"prompt": "login", "login": ACCOUNT, "password": "any"},
            {"prompt": "consent"},
        ):
            interaction = self._follow(response, "/interaction/")
            response = browser.post(
                interaction, data=form, allow_redirects=False, timeout=flows.TIMEOUT
            )
            response = browser.get(
                self._follow(response, "/authorize/"), allow_redirects=False, timeout=flows.TIMEOUT
            )
        tokens = flows.redeem(self.base, self.client, flows.code_from(response), verifier)
        if "refresh_token" not in tokens:
            raise BenchError(f"node issued no refresh token: {sorted(tokens)}")
        return tokens

    def _follow(self, response: requests.Response, expected: str) -> str:
        location = response.headers.get("Location", "")
        if response.status_code not in (302, 303) or expected not in location:
            raise BenchError(
                f"node: expected a redirect to {expected}…, got {response.status_code} "
                f"{location[:200]} {response.text[:200]}"
            )
        return urljoin(self.base, location)

    def prepare_tokens(self, count: int, threads: int = 4) -> list[str]:
        """`count` never-used refresh tokens, one whole code flow each."""

        def batch(size: int) -> list[str]:
            return [self.code_flow()["refresh_token"] for _ in range(size)]

        sizes = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
        with ThreadPoolExecutor(threads) as pool:
            return [token for part in pool.map(batch, sizes) for token in part]

    def endpoints(self, refresh_tokens) -> dict[str, cells.Endpoint]:
        """The same requests as Passport's, to node's client and tokens."""

        def access_token() -> str:
            return self.code_flow()["access_token"]

        made = [
            cells.refresh(self.client, refresh_tokens),
            cells.client_credentials(self.client),
            cells.userinfo(access_token),
            cells.introspection(self.client, access_token),
            cells.discovery(),
            cells.jwks(),
        ]
        return {endpoint.name: endpoint for endpoint in made}

    def measure(self, endpoint: cells.Endpoint, connections: int, total: int, warmup: int) -> None:
        meter = CpuMeter(self.server.worker_pids)
        self.cells.append(
            cells.measure(self.port, endpoint, connections, total, warmup, meter, None)
        )
