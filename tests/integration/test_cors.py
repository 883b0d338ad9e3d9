"""CORS at the endpoints a single-page app calls (server/oauth/cors.py), over HTTP as a
browser sends it: the preflight, then the request with its Origin. What the browser then
does with the headers is walked in Chromium by tests/e2e/test_spa.py."""

from __future__ import annotations

import secrets

import pytest
import requests

from ..support.browser import Browser
from ..support.relying_party import RelyingParty

SPA = "https://spa.example.org"
ELSEWHERE = "https://elsewhere.example.org"


def spa_of(factories):
    """A public client (a single-page app) whose pages live on its own origin."""
    origin = f"https://spa-{secrets.token_hex(3)}.example.org"
    return origin, factories.client(
        public=True, first_party=True, redirect_uri=origin + "/callback"
    )


@pytest.fixture
def spa(factories):
    return spa_of(factories)


def bad_code(live_server, client, origin: str) -> requests.Response:
    """A token request of `client` from a page on `origin`, refused (the code is made up)."""
    return requests.post(
        live_server.url + "/token",
        data={"grant_type": "authorization_code", "code": "nope", "client_id": client.client_id},
        headers={"Origin": origin},
        timeout=10,
    )


def preflight(url: str, origin: str, method: str = "POST", headers: str = "content-type, dpop"):
    return requests.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
        timeout=10,
    )


def signed_in_tokens(live_server, person, client, origin: str) -> tuple[RelyingParty, dict]:
    app = RelyingParty(live_server.url, client, scope="openid email offline_access")
    with Browser(live_server.url) as browser:
        params = app.authorize(browser, login=person.email, password=person.password)
    answer = requests.post(
        app.metadata["token_endpoint"],
        data={**app.code_form(params), "client_id": client.client_id},
        headers={"Origin": origin},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == origin
    return app, answer.json()


@pytest.mark.parametrize("path", ["/token", "/revoke", "/userinfo"])
def test_a_preflight_from_a_registered_origin_is_allowed(live_server, spa, path):
    origin, _client = spa
    answer = preflight(live_server.url + path, origin)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "dpop"} <= allowed
    assert int(answer.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in answer.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in answer.headers
    # An OPTIONS that asks no method is no preflight: it is answered as any OPTIONS.
    plain = requests.options(live_server.url + path, headers={"Origin": origin}, timeout=10)
    assert "Access-Control-Allow-Methods" not in plain.headers


@pytest.mark.parametrize("path", ["/token", "/revoke", "/userinfo"])
def test_a_preflight_from_an_unregistered_origin_is_not(live_server, spa, path):
    answer = preflight(live_server.url + path, ELSEWHERE)
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert "Access-Control-Allow-Methods" not in answer.headers


def test_the_app_reads_its_tokens_userinfo_and_revocation(live_server, spa, person):
    origin, client = spa
    app, tokens = signed_in_tokens(live_server, person, client, origin)
    info = requests.get(
        app.metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Origin": origin},
        timeout=10,
    )
    assert info.status_code == 200 and info.json()["email"] == person.email
    assert info.headers["Access-Control-Allow-Origin"] == origin
    assert "WWW-Authenticate" in info.headers["Access-Control-Expose-Headers"]
    assert "DPoP-Nonce" in info.headers["Access-Control-Expose-Headers"]
    refreshed = requests.post(
        app.metadata["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client.client_id,
        },
        headers={"Origin": origin},
        timeout=10,
    )
    assert refreshed.status_code == 200
    assert refreshed.headers["Access-Control-Allow-Origin"] == origin
    revoked = requests.post(
        app.metadata["revocation_endpoint"],
        data={"token": refreshed.json()["refresh_token"], "client_id": client.client_id},
        headers={"Origin": origin},
        timeout=10,
    )
    assert revoked.status_code == 200
    assert revoked.headers["Access-Control-Allow-Origin"] == origin


def test_a_refusal_is_readable_too(live_server, spa):
    """The app must read why (a bad code, a nonce to use, an expired token)."""
    origin, client = spa
    token = bad_code(live_server, client, origin)
    assert token.status_code == 400
    assert token.headers["Access-Control-Allow-Origin"] == origin
    info = requests.get(
        live_server.url + "/userinfo",
        headers={"Authorization": "Bearer not-a-token", "Origin": origin},
        timeout=10,
    )
    assert info.status_code == 401 and "WWW-Authenticate" in info.headers
    assert info.headers["Access-Control-Allow-Origin"] == origin
    elsewhere = requests.get(
        live_server.url + "/userinfo",
        headers={"Authorization": "Bearer not-a-token", "Origin": ELSEWHERE},
        timeout=10,
    )
    assert "Access-Control-Allow-Origin" not in elsewhere.headers


def test_another_clients_origin_reads_nothing_of_this_ones_answers(live_server, spa, factories):
    _origin, client = spa
    other_origin, _other = spa_of(factories)
    answer = bad_code(live_server, client, other_origin)
    assert answer.status_code == 400
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert "Origin" in answer.headers["Vary"]


def test_a_confidential_client_reads_only_from_the_origins_it_lists(live_server, factories):
    listed = f"https://app-{secrets.token_hex(3)}.example.org"
    client = factories.client(
        redirect_uri=listed + "/callback",
        grant_types=["client_credentials"],
        allowed_cors_origins=[listed.upper() + ":443"],
        scope="openid",
    )
    assert client.metadata["allowed_cors_origins"] == [listed]  # kept as a browser writes it
    for origin, readable in ((listed, True), (ELSEWHERE, False)):
        answer = requests.post(
            live_server.url + "/token",
            data={"grant_type": "client_credentials"},
            auth=(client.client_id, client.client_secret),
            headers={"Origin": origin},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert (answer.headers.get("Access-Control-Allow-Origin") == origin) is readable
    assert (
        preflight(live_server.url + "/token", listed).headers["Access-Control-Allow-Origin"]
        == listed
    )
    # Its redirect URI's origin is not one: a confidential client's pages are a server's.
    unlisted = factories.client(redirect_uri=f"https://web-{secrets.token_hex(3)}.example.org/cb")
    origin = unlisted.redirect_uri.rsplit("/", 1)[0]
    assert (
        "Access-Control-Allow-Origin" not in preflight(live_server.url + "/token", origin).headers
    )


def test_a_disabled_clients_origin_is_no_longer_allowed(live_server, spa):
    from server.clock import now
    from server.extensions import db
    from server.models import Client

    origin, client = spa
    assert preflight(live_server.url + "/token", origin).headers["Access-Control-Allow-Origin"]
    with live_server.app_context():
        row = db.session.execute(
            db.select(Client).where(Client.client_id == client.client_id)
        ).scalar_one()
        row.disabled_at = now()
        db.session.commit()
    assert (
        "Access-Control-Allow-Origin" not in preflight(live_server.url + "/token", origin).headers
    )
    assert "Access-Control-Allow-Origin" not in bad_code(live_server, client, origin).headers


@pytest.mark.parametrize(
    "origins",
    [
        ["https://app.example.org/path"],
        ["https://app.example.org?x=1"],
        ["http://app.example.org"],
        ["https://*.example.org"],
        ["https://user@app.example.org"],
        "https://app.example.org",
        [42],
    ],
    ids=["path", "query", "plain-http", "wildcard", "user", "not-a-list", "not-a-string"],
)
def test_allowed_cors_origins_must_be_origins(live_server, origins):
    answer = requests.post(
        live_server.url + "/register",
        json={
            "redirect_uris": ["https://app.example.org/callback"],
            "allowed_cors_origins": origins,
        },
        timeout=10,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_client_metadata"
    assert "allowed_cors_origins" in answer.json()["error_description"]


@pytest.mark.parametrize(
    "path", ["/login", "/account", "/consent", "/signup", "/authorize", "/end-session"]
)
def test_pages_for_people_answer_no_cors(live_server, spa, path):
    origin, _client = spa
    for answer in (
        preflight(live_server.url + path, origin, method="GET"),
        requests.get(live_server.url + path, headers={"Origin": origin}, timeout=10),
    ):
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")]
