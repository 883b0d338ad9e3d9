"""Client authentication with a signed JWT (RFC 7523 §2.2, OIDC Core §9): private_key_jwt
with keys registered by value or at a jwks_uri, client_secret_jwt with the client's secret;
at the token, introspection and revocation endpoints."""

from __future__ import annotations

import json

import pytest
import requests

from server import clock

from ..support import registration
from ..support.assertions import assertion_form, new_key, public_jwks
from ..support.browser import Browser
from ..support.documents import Documents
from ..support.relying_party import RelyingParty

# A token request that tells an authenticated client (invalid_grant: no such refresh token)
# from a refused one (invalid_client).
PROBE = {"grant_type": "refresh_token", "refresh_token": "no-such-token"}


@pytest.fixture
def site():
    with Documents() as documents:
        yield documents


def register(live_server, **metadata) -> dict:
    grants = ["authorization_code", "refresh_token"]
    return registration.registered(live_server.url, grant_types=grants, **metadata)


def portal_of(live_server, info: dict, key=None) -> RelyingParty:
    scope = "openid email offline_access"
    return registration.portal_of(live_server.url, info, scope=scope, key=key)


def signed_in(portal: RelyingParty, person, **params) -> dict:
    with Browser(portal.issuer) as browser:
        return portal.sign_in(browser, person.email, person.password, prompt="consent", **params)


def refresh_form(tokens: dict) -> dict:
    return {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}


def refused(answer: requests.Response) -> bool:
    return answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client"


def test_discovery_offers_both_methods_and_their_algorithms(live_server):
    server = requests.get(live_server.url + "/.well-known/openid-configuration").json()
    for endpoint in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        methods = server[endpoint + "_auth_methods_supported"]
        assert {"private_key_jwt", "client_secret_jwt"} <= set(methods)
        algorithms = server[endpoint + "_auth_signing_alg_values_supported"]
        assert {"RS256", "ES256", "HS256"} <= set(algorithms) and "none" not in algorithms


def test_private_key_jwt_with_registered_keys(live_server, person):
    key = new_key("RS256")
    info = register(
        live_server,
        token_endpoint_auth_method="private_key_jwt",
        jwks=public_jwks(key),
    )
    # It signs with its own key: no secret is issued, none could be used.
    assert "client_secret" not in info
    portal = portal_of(live_server, info, key)
    tokens = signed_in(portal, person)
    assert portal.verify_id_token(tokens["id_token"])["sub"] == person.sub

    # RFC 7523 §3: the issuer is an audience too; any other is not.
    issuer_aud = portal.post("token_endpoint", refresh_form(tokens), audience=live_server.url)
    assert issuer_aud.status_code == 200, issuer_aud.text
    tokens = issuer_aud.json()
    elsewhere = portal.post("token_endpoint", refresh_form(tokens), audience="https://rp.example")
    assert refused(elsewhere)

    # Introspection and revocation take the same assertion.
    introspected = portal.post("introspection_endpoint", {"token": tokens["access_token"]})
    assert introspected.json()["active"] is True
    assert portal.post("revocation_endpoint", {"token": tokens["refresh_token"]}).status_code == 200
    assert portal.post("token_endpoint", refresh_form(tokens)).json()["error"] == "invalid_grant"


def test_an_assertion_is_used_once(live_server, person):
    key = new_key("ES256")
    info = register(
        live_server, token_endpoint_auth_method="private_key_jwt", jwks=public_jwks(key)
    )
    portal = portal_of(live_server, info, key)
    token_endpoint = portal.metadata["token_endpoint"]
    form = assertion_form(info["client_id"], key, token_endpoint)
    first = requests.post(token_endpoint, data={**PROBE, **form}, timeout=10)
    assert first.json()["error"] == "invalid_grant"  # authenticated, then refused
    again = requests.post(token_endpoint, data={**PROBE, **form}, timeout=10)
    assert refused(again)


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"lifetime": -120}, "expired"),
        ({"lifetime": 7200}, "lives longer than CLIENT_ASSERTION_MAX_LIFETIME"),
        ({"iss": "someone-else"}, "iss is not the client"),
        ({"jti": "x" * 300}, "jti too long"),
        ({"alg": "RS256", "header": {"alg": "none"}}, "unsigned"),
    ],
)
def test_bad_assertions_are_refused(live_server, options, why):
    key = new_key("RS256")
    info = register(
        live_server, token_endpoint_auth_method="private_key_jwt", jwks=public_jwks(key)
    )
    portal = portal_of(live_server, info, key)
    if options.get("header", {}).get("alg") == "none":
        form = assertion_form(info["client_id"], key, portal.metadata["token_endpoint"])
        head, body, _ = form["client_assertion"].split(".")
        form["client_assertion"] = "eyJhbGciOiJub25lIn0." + body + "."
        answer = requests.post(
            portal.metadata["token_endpoint"], data={**PROBE, **form}, timeout=10
        )
    else:
        answer = portal.post("token_endpoint", PROBE, **options)
    assert refused(answer), why


def test_another_key_or_algorithm_is_refused(live_server):
    key, stranger = new_key("RS256"), new_key("RS256")
    info = register(
        live_server,
        token_endpoint_auth_method="private_key_jwt",
        token_endpoint_auth_signing_alg="RS256",
        jwks=public_jwks(key, new_key("ES256")),
    )
    assert refused(portal_of(live_server, info, stranger).post("token_endpoint", PROBE))
    # Its other key signs ES256, which it registered it would not use (OIDC Registration §2).
    es_key = new_key("ES256", kid=info["jwks"]["keys"][1]["kid"])
    assert refused(portal_of(live_server, info, es_key).post("token_endpoint", PROBE))


def test_keys_at_a_jwks_uri_are_fetched_again_when_the_portal_rotates_them(
    live_server, person, site
):
    old = new_key("RS256")
    jwks_uri = site.publish("/jwks", public_jwks(old))
    info = register(
        live_server,
        token_endpoint_auth_method="private_key_jwt",
        jwks_uri=jwks_uri,
    )
    portal = portal_of(live_server, info, old)
    tokens = signed_in(portal, person)
    fetched = site.fetched["/jwks"]
    assert fetched == 1

    # OIDC Core §10.1.1: the portal publishes a new key and signs with it.
    new = new_key("RS256")
    site.publish("/jwks", public_jwks(new))
    portal.key = new
    # Made-up or new kids fetch the keys again at most once every few seconds...
    soon = portal.post("token_endpoint", refresh_form(tokens))
    assert refused(soon) and site.fetched["/jwks"] == fetched
    clock.travel(live_server.app.config["CLIENT_JWKS_REFETCH_INTERVAL"] + 1)
    later = portal.post("token_endpoint", refresh_form(tokens))
    assert later.status_code == 200, later.text
    assert site.fetched["/jwks"] == fetched + 1
    # ...and keys it knows are not fetched again until they are old.
    portal.post("token_endpoint", refresh_form(later.json()))
    assert site.fetched["/jwks"] == fetched + 1


def test_an_unreachable_jwks_uri_is_refused_not_a_500(live_server, site):
    key = new_key("RS256")
    info = register(
        live_server,
        token_endpoint_auth_method="private_key_jwt",
        jwks_uri=site.url + "/nothing-here",
    )
    answer = portal_of(live_server, info, key).post("token_endpoint", PROBE)
    assert refused(answer)


def test_client_secret_jwt(live_server, person):
    info = register(
        live_server,
        token_endpoint_auth_method="client_secret_jwt",
    )
    portal = portal_of(live_server, info)
    tokens = signed_in(portal, person)
    assert portal.verify_id_token(tokens["id_token"])["sub"] == person.sub
    # The secret signs; sent as it is, it is not what this client registered.
    basic = requests.post(
        portal.metadata["token_endpoint"],
        data=refresh_form(tokens),
        auth=(info["client_id"], info["client_secret"]),
        timeout=10,
    )
    assert refused(basic)
    assert refused(
        portal_of(live_server, info, key="not the secret " * 3).post(
            "token_endpoint", refresh_form(tokens)
        )
    )


def test_only_the_secret_of_a_client_secret_jwt_client_is_kept_sealed(live_server):
    from server.services.clients import find_client

    sealed = register(live_server, token_endpoint_auth_method="client_secret_jwt")
    hashed = register(live_server, token_endpoint_auth_method="client_secret_basic")
    with live_server.app_context():
        assert find_client(sealed["client_id"]).client_secret_sealed
        assert sealed["client_secret"] not in find_client(sealed["client_id"]).client_secret_sealed
        assert find_client(hashed["client_id"]).client_secret_sealed is None


@pytest.mark.parametrize(
    ("metadata", "described"),
    [
        ({"token_endpoint_auth_method": "private_key_jwt"}, "jwks or jwks_uri"),
        (
            {"jwks": {"keys": [new_key("RS256").as_dict(private=True)]}},
            "public keys only",
        ),
        ({"jwks": {"keys": [{"kty": "RSA", "n": "x"}]}}, "cannot be read"),
        (
            {"jwks": public_jwks(new_key("RS256")), "jwks_uri": "https://rp.example/jwks"},
            "must not both",
        ),
        ({"jwks_uri": "http://rp.example/jwks"}, "https"),
        (
            {
                "token_endpoint_auth_method": "client_secret_jwt",
                "token_endpoint_auth_signing_alg": "RS256",
            },
            "HS256",
        ),
    ],
)
def test_registration_refuses_keys_that_cannot_serve(live_server, metadata, described):
    response = registration.register(live_server.url, **metadata)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    assert described in response.json()["error_description"]


def test_used_assertions_are_pruned_once_expired(live_server):
    from server.services import retention

    key = new_key("RS256")
    info = register(
        live_server, token_endpoint_auth_method="private_key_jwt", jwks=public_jwks(key)
    )
    portal = portal_of(live_server, info, key)
    form = assertion_form(info["client_id"], key, portal.metadata["token_endpoint"], jti="once")
    token_endpoint = portal.metadata["token_endpoint"]
    # The clock stands still, and what earlier tests left and has expired is gone: on a slow
    # run their assertions expire in real time while this test runs.
    clock.freeze()
    with live_server.app_context():
        retention.prune()
    requests.post(token_endpoint, data={**PROBE, **form}, timeout=10)
    with live_server.app_context():
        assert retention.prune()["used_client_assertions"] == 0
        clock.travel(200)
        assert retention.prune()["used_client_assertions"] >= 1
    # The jti is forgotten, and the assertion has expired with it: still refused.
    assert refused(requests.post(token_endpoint, data={**PROBE, **form}, timeout=10))


def test_the_console_registers_a_client_that_signs_with_its_own_key(live_server, console, person):
    from ..support.console import register as register_in_console
    from ..support.console import shown, shown_secret

    key = new_key("RS256")
    page = register_in_console(
        console,
        token_endpoint_auth_method="private_key_jwt",
        jwks=json.dumps(public_jwks(key)),
        policy_uri="https://shop.example/privacy",
        tos_uri="https://shop.example/terms",
    )
    assert page.status == 200, page.text[:500]
    assert shown_secret(page) is None and shown(page, "auth-method") == "private_key_jwt"
    info = {"client_id": shown(page, "client-id"), "token_endpoint_auth_method": "private_key_jwt"}
    tokens = signed_in(portal_of(live_server, info, key), person)
    assert "access_token" in tokens

    # Without keys there is nothing to check its signatures with: refused, next to the field.
    refused_page = register_in_console(console, token_endpoint_auth_method="private_key_jwt")
    assert refused_page.status == 200
    assert "private_key_jwt needs your public keys" in refused_page.text
    assert shown(refused_page, "client-id") is None


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
def test_every_advertised_algorithm_of_private_key_jwt_authenticates(live_server, alg):
    server = requests.get(live_server.url + "/.well-known/openid-configuration").json()
    assert alg in server["token_endpoint_auth_signing_alg_values_supported"]
    key = new_key(alg)
    info = register(
        live_server, token_endpoint_auth_method="private_key_jwt", jwks=public_jwks(key)
    )
    answer = portal_of(live_server, info, key).post("token_endpoint", PROBE)
    assert answer.json()["error"] == "invalid_grant"  # authenticated, then no such token
