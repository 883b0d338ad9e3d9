"""The setup the bench needs, done the way a person and a portal do it: over HTTP.

The person signs in once through the /login form (argon2 runs there and only there); the
browser session then lets many code flows run without the form, each ending in a fresh,
never-used refresh token and an access token.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests

from .stack import BenchError, Project

LOGIN = "bench@example.org"
PASSWORD = "benchmark passphrase"
REDIRECT_URI = "http://127.0.0.1:9/callback"
SCOPE = "openid email profile"
TIMEOUT = 30


@dataclass
class Client:
    client_id: str
    secret: str


def create_account_and_clients(project: Project, env: dict) -> tuple[Client, Client | None]:
    """The person, the first-party portal (code flow) and a service (client_credentials).

    The service is None when the tree's CLI cannot give a client the client_credentials
    grant; `register_service` then registers it at /register once the server runs.
    """
    project.run(env, "users", "create", "--email", LOGIN, "--password-stdin", stdin=PASSWORD + "\n")
    portal = json.loads(
        project.run(
            env,
            "clients",
            "create",
            "--name",
            "Bench portal",
            "--redirect-uri",
            REDIRECT_URI,
            "--first-party",
        )
    )
    portal = Client(portal["client_id"], portal["client_secret"])
    if "--grant-type" in project.run(env, "clients", "create", "--help"):
        made = project.run(
            env,
            "clients",
            "create",
            "--name",
            "Bench service",
            "--redirect-uri",
            REDIRECT_URI,
            "--grant-type",
            "client_credentials",
        )
        service = json.loads(made)
        return portal, Client(service["client_id"], service["client_secret"])
    return portal, None


def register_service(project: Project, env: dict, base: str) -> Client:
    """A client_credentials client through RFC 7591 registration (production: token mode)."""
    token = project.run(env, "registration-token", "create").strip()
    response = requests.post(
        base + "/register",
        json={
            "client_name": "Bench service",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_basic",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    if response.status_code != 201:
        raise BenchError(f"registering the service client failed: {response.text[:300]}")
    body = response.json()
    return Client(body["client_id"], body["client_secret"])


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(client: Client, challenge: str) -> dict:
    return {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def code_from(response: requests.Response) -> str:
    location = response.headers.get("Location", "")
    query = parse_qs(urlsplit(location).query)
    if response.status_code not in (302, 303) or "code" not in query:
        raise BenchError(
            f"expected a redirect with a code, got {response.status_code} {location[:200]}"
        )
    return query["code"][0]


def redeem(base: str, client: Client, code: str, verifier: str) -> dict:
    response = requests.post(
        base + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(client.client_id, client.secret),
        timeout=TIMEOUT,
    )
    if response.status_code != 200:
        raise BenchError(f"the code exchange failed: {response.status_code} {response.text[:300]}")
    return response.json()


def sign_in(base: str, client: Client) -> tuple[requests.Session, dict]:
    """The whole first visit: /authorize → /login form → back to /authorize → /token."""
    browser = requests.Session()
    verifier, challenge = pkce_pair()
    page = browser.get(
        base + "/authorize", params=authorize_params(client, challenge), timeout=TIMEOUT
    )
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    following = re.search(r'name="next"[^>]*value="([^"]*)"', page.text)
    if not csrf or not following:
        raise BenchError(f"no sign-in form at {page.url} ({page.status_code})")
    response = browser.post(
        base + "/login",
        data={
            "csrf_token": csrf.group(1),
            "next": html.unescape(following.group(1)),
            "login": LOGIN,
            "password": PASSWORD,
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    if response.status_code not in (302, 303):
        raise BenchError(f"the sign-in was refused ({response.status_code})")
    back = browser.get(
        requests.compat.urljoin(base, response.headers["Location"]),
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    return browser, redeem(base, client, code_from(back), verifier)


def code_flow(base: str, browser: requests.Session, client: Client) -> dict:
    """One code flow on an existing browser session: /authorize → code → /token."""
    verifier, challenge = pkce_pair()
    response = browser.get(
        base + "/authorize",
        params=authorize_params(client, challenge),
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    return redeem(base, client, code_from(response), verifier)


def prepare_tokens(
    base: str, browser: requests.Session, client: Client, count: int, threads: int = 4
) -> list[dict]:
    """`count` token responses, each from its own code flow, so every refresh token is unused."""

    def batch(size: int) -> list[dict]:
        own = requests.Session()  # a Session is not shared between threads
        own.cookies.update(browser.cookies)
        return [code_flow(base, own, client) for _ in range(size)]

    sizes = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        return [token for part in pool.map(batch, sizes) for token in part]


def service_token(base: str, service: Client) -> dict:
    response = requests.post(
        base + "/token",
        data={"grant_type": "client_credentials"},
        auth=(service.client_id, service.secret),
        timeout=TIMEOUT,
    )
    if response.status_code != 200:
        raise BenchError(f"client_credentials failed: {response.status_code} {response.text[:300]}")
    return response.json()
