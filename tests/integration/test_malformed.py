"""No endpoint answers 500 to malformed input: a 4xx with a clear error instead."""

from __future__ import annotations

import base64
import random

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

JSON_ENDPOINTS = ("/token", "/revoke", "/introspect", "/userinfo", "/register")
LONG = "x" * 100_000


def garbage_jwts() -> list[str]:
    none_alg = (
        base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').rstrip(b"=").decode()
        + "."
        + base64.urlsafe_b64encode(b'{"sub":"x"}').rstrip(b"=").decode()
        + "."
    )
    foreign = jwt.encode({"alg": "RS256", "typ": "at+jwt"}, {"sub": "x"}, RSAKey.generate_key(2048))
    return ["garbage", "a.b.c", none_alg, foreign, "é" * 50, LONG]


def cases(client_id: str, secret: str):
    basic = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    yield "GET", "/authorize", {"params": {}}
    yield "GET", "/authorize", {"params": {"client_id": "nope", "response_type": "code"}}
    yield "GET", "/authorize", {"params": {"client_id": client_id}}
    yield "GET", "/authorize", {"params": {"client_id": client_id, "response_type": "token"}}
    yield (
        "GET",
        "/authorize",
        {"params": [("client_id", client_id), ("client_id", "x"), ("response_type", "code")]},
    )
    yield "GET", "/authorize", {"params": {"client_id": LONG, "response_type": "code"}}
    yield (
        "GET",
        "/authorize",
        {"params": {"client_id": client_id, "response_type": "code", "redirect_uri": "::::"}},
    )
    yield (
        "POST",
        "/authorize",
        {
            "data": b"\xff\xfe\x00garbage",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
    )
    yield "POST", "/token", {}
    yield "POST", "/token", {"data": {"grant_type": "authorization_code"}}
    yield (
        "POST",
        "/token",
        {"data": {"grant_type": "nonsense"}, "headers": {"Authorization": basic}},
    )
    yield (
        "POST",
        "/token",
        {
            "data": {"grant_type": "authorization_code", "code": LONG},
            "headers": {"Authorization": basic},
        },
    )
    yield (
        "POST",
        "/token",
        {
            "data": [("grant_type", "authorization_code"), ("code", "a"), ("code", "b")],
            "headers": {"Authorization": basic},
        },
    )
    yield (
        "POST",
        "/token",
        {"data": {"grant_type": "refresh_token"}, "headers": {"Authorization": basic}},
    )
    yield (
        "POST",
        "/token",
        {
            "data": {"grant_type": "refresh_token", "refresh_token": "x"},
            "headers": {"Authorization": "Basic !!!"},
        },
    )
    yield (
        "POST",
        "/token",
        {
            "data": {"grant_type": "refresh_token", "refresh_token": "x"},
            "headers": {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        },
    )
    yield (
        "POST",
        "/token",
        {"data": {"grant_type": "client_credentials"}, "headers": {"Authorization": basic}},
    )
    yield (
        "POST",
        "/token",
        {"json": {"grant_type": "refresh_token"}, "headers": {"Authorization": basic}},
    )
    yield (
        "POST",
        "/token",
        {
            "data": b"\xff\xfe",
            "headers": {
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": basic,
            },
        },
    )
    yield "GET", "/token", {}
    yield "POST", "/revoke", {}
    yield "POST", "/revoke", {"data": {"token": "x"}}
    yield (
        "POST",
        "/revoke",
        {"data": {"token": "x", "token_type_hint": "weird"}, "headers": {"Authorization": basic}},
    )
    yield "POST", "/introspect", {"data": {}, "headers": {"Authorization": basic}}
    yield "POST", "/introspect", {"data": {"token": LONG}, "headers": {"Authorization": basic}}
    for token in garbage_jwts():
        yield "POST", "/introspect", {"data": {"token": token}, "headers": {"Authorization": basic}}
        yield "GET", "/userinfo", {"headers": {"Authorization": "Bearer " + token}}
    yield "GET", "/userinfo", {}
    yield "POST", "/userinfo", {"headers": {"Authorization": "Bearer"}}
    yield "GET", "/userinfo", {"headers": {"Authorization": "Token abc"}}
    yield "POST", "/register", {"data": "not json", "headers": {"Content-Type": "application/json"}}
    yield "POST", "/register", {"json": ["a", "list"]}
    yield "POST", "/register", {"json": "a string"}
    yield "POST", "/register", {"json": 42}
    yield "POST", "/register", {"json": {}}
    yield "POST", "/register", {"json": {"redirect_uris": "http://127.0.0.1/cb"}}
    yield "POST", "/register", {"json": {"redirect_uris": [42]}}
    yield (
        "POST",
        "/register",
        {
            "json": {
                "redirect_uris": ["https://a.example/cb"],
                "token_endpoint_auth_method": "none",
                "post_logout_redirect_uris": ["http://a.example/x"],
            }
        },
    )
    yield (
        "POST",
        "/register",
        {"json": {"redirect_uris": ["https://a.example/cb"], "grant_types": "authorization_code"}},
    )
    yield "POST", "/register", {"data": {"redirect_uris": "x"}}
    yield "GET", "/register/nope", {}
    yield "GET", "/register/nope", {"headers": {"Authorization": "Bearer nope"}}
    yield (
        "PUT",
        "/register/nope",
        {
            "data": "{",
            "headers": {"Authorization": "Bearer nope", "Content-Type": "application/json"},
        },
    )
    yield "DELETE", "/register/" + LONG[:3000], {"headers": {"Authorization": "Bearer nope"}}
    yield "POST", "/end-session", {"data": {"id_token_hint": "garbage"}}
    yield "GET", "/end-session", {"params": {"id_token_hint": LONG}}
    yield (
        "GET",
        "/end-session",
        {"params": {"post_logout_redirect_uri": "javascript:alert(1)", "client_id": client_id}},
    )
    yield "POST", "/login", {"data": {"login": LONG, "password": LONG}}
    yield "POST", "/signup", {"data": {"login": "\x00"}}
    yield "POST", "/logout", {"data": {}}
    yield "POST", "/recover", {"data": {"login": "\x00"}}
    yield "GET", "/recover/reset/" + "x" * 500, {}
    yield (
        "POST",
        "/token",
        {
            "data": "x" * (2 * 1024 * 1024),
            "headers": {
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": basic,
            },
        },
    )
    yield "DELETE", "/jwks.json", {}
    yield "GET", "/account/email/confirm/" + "%ff" * 10, {}
    yield from found_by_the_attack_run(client_id)


def found_by_the_attack_run(client_id: str):
    """Each of these used to answer 500 (found by an attack run)."""
    nul = "portal\x00"
    for path in ("/token", "/introspect", "/revoke"):
        form = {"grant_type": "client_credentials", "token": "x"}
        yield "POST", path, {"data": dict(form, client_id=nul, client_secret="x")}
        # HTTP Basic credentials that are base64 but not UTF-8.
        undecodable = "Basic " + base64.b64encode(b"\xff\xfe:\xc3\x28").decode()
        yield "POST", path, {"data": form, "headers": {"Authorization": undecodable}}
        # A scheme with nothing after it (found by the fuzz suite).
        yield "POST", path, {"data": form, "headers": {"Authorization": "Bearer "}}
    yield "GET", "/authorize", {"params": {"client_id": nul, "response_type": "code"}}
    yield "GET", "/end-session", {"params": {"client_id": nul}}
    deep = "[" * 50_000 + "]" * 50_000  # within the size limit, too deep for a parser
    json_body = {"Content-Type": "application/json"}
    yield "POST", "/register", {"data": deep, "headers": json_body}
    for uri in ('https://a.example/"cb', "https://a.example/\\cb", "https://a.example/é"):
        params = {"client_id": client_id, "response_type": "code", "redirect_uri": uri}
        yield "GET", "/authorize", {"params": params}
    # A body over the limit on the pages' forms (the protocol endpoints were already right).
    for path in ("/login", "/signup", "/recover", "/authorize"):
        yield "POST", path, {"data": {"login": "x" * (2 * 1024 * 1024)}}


@pytest.fixture
def confidential(factories):
    return factories.client()


def test_malformed_requests_get_4xx_with_a_clear_error(live_server, confidential):
    for method, path, options in cases(confidential.client_id, confidential.client_secret):
        response = requests.request(
            method, live_server.url + path, timeout=15, allow_redirects=False, **options
        )
        where = f"{method} {path[:60]} {str(options)[:120]}"
        location = response.headers.get("Location", "")
        if response.status_code == 302 and location.startswith(confidential.redirect_uri):
            # RFC 6749 §4.1.2.1: the error goes back to the client's registered redirect URI.
            assert "error=" in location, where
            continue
        if response.status_code == 200 and path == "/end-session":
            # Nothing to end and nowhere legitimate to go: a page, never a redirect.
            assert "Location" not in response.headers, where
            continue
        if response.status_code == 200 and path in ("/introspect", "/revoke"):
            # RFC 7662 §2.2 / RFC 7009 §2.2: an unknown token is inactive, not an error.
            assert response.json() in ({"active": False}, {}), where
            continue
        assert 400 <= response.status_code < 500, (
            f"{where}: {response.status_code} {response.text[:200]}"
        )
        oversized_header = any(len(v) > 8000 for v in options.get("headers", {}).values())
        if path.startswith(JSON_ENDPOINTS) and response.status_code != 405 and not oversized_header:
            # (an oversized header is refused by the HTTP server before the app sees it)
            assert response.headers["Content-Type"].startswith("application/json"), where
            assert "error" in response.json(), where


def test_random_fuzz_never_gets_a_5xx(live_server, confidential):
    """A bounded, seeded fuzz over the protocol endpoints (a few hundred requests)."""
    rng = random.Random(20261124)
    names = [
        "client_id",
        "grant_type",
        "code",
        "refresh_token",
        "token",
        "redirect_uri",
        "scope",
        "response_type",
        "state",
        "nonce",
        "code_verifier",
        "code_challenge",
        "prompt",
        "max_age",
        "token_type_hint",
        "id_token_hint",
        "post_logout_redirect_uri",
    ]
    values = [
        "",
        "x",
        "authorization_code",
        "refresh_token",
        "code",
        "openid",
        "none",
        "-1",
        "99999999999999999999",
        "S256",
        confidential.client_id,
        "%00",
        "\u202e",
        "😀" * 20,
        "http://127.0.0.1:9/callback",
        "javascript:alert(1)",
        "a" * 5000,
    ]
    paths = [
        "/authorize",
        "/token",
        "/revoke",
        "/introspect",
        "/userinfo",
        "/end-session",
        "/register",
    ]
    for _ in range(300):
        path = rng.choice(paths)
        data = [(rng.choice(names), rng.choice(values)) for _ in range(rng.randint(0, 6))]
        method = rng.choice(["GET", "POST"])
        headers = {}
        if rng.random() < 0.5:
            headers["Authorization"] = rng.choice(
                [
                    "Basic "
                    + base64.b64encode(
                        f"{confidential.client_id}:{confidential.client_secret}".encode()
                    ).decode(),
                    "Bearer " + rng.choice([v for v in values if v.isascii()]),
                    "Basic",
                    "Basic ===",
                    "Digest x",
                ]
            )
        kwargs = {"params": data} if method == "GET" else {"data": data}
        response = requests.request(
            method,
            live_server.url + path,
            headers=headers,
            timeout=15,
            allow_redirects=False,
            **kwargs,
        )
        assert response.status_code < 500, (
            f"{method} {path} {data} {headers}: {response.text[:200]}"
        )
