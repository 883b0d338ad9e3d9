"""The JWKS over HTTP, and tokens signed before a key rotation staying verifiable."""

from __future__ import annotations

import requests
from joserfc import jws

from server import clock

from ..support.browser import Browser
from ..support.relying_party import RelyingParty

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


def kid_of(token: str) -> str:
    return jws.extract_compact(token.encode()).protected["kid"]


def alg_of(token: str) -> str:
    return jws.extract_compact(token.encode()).protected["alg"]


def test_jwks_holds_public_keys_only(live_server):
    response = requests.get(live_server.url + "/jwks.json", timeout=10)
    assert response.status_code == 200 and "max-age" in response.headers["Cache-Control"]
    keys = response.json()["keys"]
    assert {k["alg"] for k in keys} >= {"RS256", "ES256", "PS256"}
    assert len({k["kid"] for k in keys}) == len(keys)
    # RSASSA-PSS has an RSA key of its own: a key names one algorithm (RFC 7517 §4.4).
    rsa = [k for k in keys if k["kty"] == "RSA"]
    assert {k["alg"] for k in rsa} == {"RS256", "PS256"}
    assert len({k["n"] for k in rsa}) == len(rsa)
    for key in keys:
        assert not PRIVATE_MEMBERS & set(key), key["kid"]
        assert key["use"] == "sig"


def test_rotation_keeps_earlier_tokens_verifiable(live_server, factories):
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        before = portal.sign_in(browser, person.email, person.password)
    store = live_server.app.extensions["passport.keys"]
    # ID tokens follow the client's algorithm (RS256 by default); access tokens are ES256.
    assert (alg_of(before["id_token"]), alg_of(before["access_token"])) == ("RS256", "ES256")
    old_kids = {kid_of(before["id_token"]), kid_of(before["access_token"])}
    delay = 300
    with live_server.app_context():
        new = store.rotate("RS256", delay_seconds=delay)
        new_access = store.rotate("ES256", delay_seconds=delay)
    try:
        published = {
            k["kid"]
            for k in requests.get(live_server.url + "/jwks.json", timeout=10).json()["keys"]
        }
        # the next keys are published at once…
        assert old_kids | {new.kid, new_access.kid} <= published
        with Browser(live_server.url) as browser:
            during = portal.sign_in(browser, person.email, person.password)
        # …but do not sign before their time
        assert {kid_of(during["id_token"]), kid_of(during["access_token"])} == old_kids

        clock.travel(delay + 1)
        with Browser(live_server.url) as browser:
            after = portal.sign_in(browser, person.email, person.password)
        assert kid_of(after["id_token"]) == new.kid
        assert kid_of(after["access_token"]) == new_access.kid
        # Tokens signed with the previous key still verify against the JWKS and still work.
        assert portal.verify_id_token(during["id_token"])["sub"] == person.sub
        assert portal.userinfo(during["access_token"]).status_code == 200
        assert portal.refresh(during["refresh_token"]).status_code == 200
    finally:
        clock.reset()
        # Leave the server signing with a key of the ordinary kind for the other tests.
        with live_server.app_context():
            store.rotate("RS256", delay_seconds=0)
            store.rotate("ES256", delay_seconds=0)


def test_jwks_and_discovery_answer_a_cached_copy_with_304(live_server):
    for path in ("/jwks.json", "/.well-known/openid-configuration"):
        first = requests.get(live_server.url + path, timeout=10)
        tag = first.headers["ETag"]
        assert first.status_code == 200 and first.json() and tag
        # One copy serves everyone: no cookie is read or set, so a shared cache keeps it.
        assert "cookie" not in first.headers.get("Vary", "").lower()
        assert "Set-Cookie" not in first.headers
        again = requests.get(live_server.url + path, headers={"If-None-Match": tag}, timeout=10)
        assert again.status_code == 304 and not again.content
        other = requests.get(live_server.url + path, headers={"If-None-Match": '"x"'}, timeout=10)
        assert other.status_code == 200 and other.json() == first.json()


def test_any_page_may_read_discovery_and_the_keys(live_server):
    """CORS: a single-page app on another origin reads the public documents (and only
    those: the pages for people answer no CORS)."""
    origin = {"Origin": "https://spa.example"}
    for path in (
        "/jwks.json",
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ):
        answer = requests.get(live_server.url + path, headers=origin, timeout=10)
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in answer.headers
    for path in ("/login", "/account"):
        page = requests.get(live_server.url + path, headers=origin, timeout=10)
        assert "Access-Control-Allow-Origin" not in page.headers
