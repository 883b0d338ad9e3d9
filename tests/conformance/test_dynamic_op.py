"""Dynamic OP: the modules of the plan about tokens, userinfo and keys, each run the way the
conformance suite runs it: a client registered over RFC 7591 with a key of its own,
private_key_jwt at the token endpoint, against a Passport configured as the profile asks
(implicit_server: IMPLICIT_FLOW on)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time

import pytest
import requests
from joserfc import jwt

from server import clock

from ..support.assertions import new_key, public_jwks
from ..support.browser import Browser
from ..support.console import passport_cli
from ..support.documents import Documents
from ..support.dynamic_rp import DynamicRelyingParty, token_response_headers_are_not_cached

# RFC 6749 A.17 (VSCHAR), what EnsureRefreshTokenContainsAllowedCharactersOnly allows.
VSCHAR = re.compile(r"[\x20-\x7e]+")


@pytest.fixture
def site():
    with Documents() as documents:
        yield documents


def signed_in_code(op, rp: DynamicRelyingParty, person, **params) -> str:
    """A fresh browser through login and consent, back with the code (code flow)."""
    with Browser(op.url) as browser:
        params_back = rp.callback(rp.authorize(browser, person, **params))
    assert "error" not in params_back, params_back
    return params_back["code"]


def tokens_for(op, rp: DynamicRelyingParty, person, **params) -> dict:
    answer = rp.redeem(signed_in_code(op, rp, person, **params))
    assert answer.status_code == 200, answer.text
    token_response_headers_are_not_cached(answer)
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    return body


def half_hash(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_oidcc_idtoken_rs256(implicit_server, person):
    rp = DynamicRelyingParty(implicit_server.url, id_token_signed_response_alg="RS256").registered()
    header, claims = rp.id_token(tokens_for(implicit_server, rp, person)["id_token"])
    # EnsureIdTokenContainsKid (OIDCC-10.1), CheckIdTokenSignatureAlgorithm (OIDCC-3.1.3.7).
    assert header["kid"] and header["alg"] == "RS256"
    assert claims["sub"] == person.sub
    rp.unregister()


@pytest.mark.parametrize("plan", ["dynamic"])
def test_oidcc_idtoken_unsigned(implicit_server, person, plan):
    # OIDCCCheckIdTokenSigningAlgValuesSupportedAlgNone: without "none" in discovery the
    # module is skipped, which certification accepts. Passport signs every ID token (the
    # shared oidc-check refuses a provider that lists "none"), so the module skips here.
    server = implicit_server_document(implicit_server)
    if "none" not in server["id_token_signing_alg_values_supported"]:
        refused = DynamicRelyingParty(implicit_server.url, id_token_signed_response_alg="none")
        assert refused.register().status_code == 400  # and a client cannot ask for it
        pytest.skip("id_token_signing_alg_values_supported does not list none")
    rp = DynamicRelyingParty(implicit_server.url, id_token_signed_response_alg="none").registered()
    id_token = tokens_for(implicit_server, rp, person)["id_token"]
    header, payload, signature = id_token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "=="))["alg"] == "none"
    assert signature == ""
    rp.unregister()


def test_oidcc_userinfo_rs256(implicit_server, person):
    server = implicit_server_document(implicit_server)
    # CheckDiscEndpointUserinfoSigningAlgValuesSupportedContainsRS256 (OIDCD-3)
    assert "RS256" in server["userinfo_signing_alg_values_supported"]
    rp = DynamicRelyingParty(implicit_server.url, userinfo_signed_response_alg="RS256").registered()
    answer = rp.userinfo(tokens_for(implicit_server, rp, person)["access_token"])
    # EnsureContentTypeApplicationJwt, ValidateUserInfoResponseSignature (OIDCC-5.3.2)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0] == "application/jwt"
    decoded = jwt.decode(answer.text, rp.server_keys(), algorithms=["RS256"])
    assert decoded.header["alg"] == "RS256"  # ValidateUserInfoSigningAlgIsRS256
    claims = decoded.claims
    assert claims["iss"] == implicit_server.url and claims["aud"] == rp.client_id
    assert claims["sub"] == person.sub
    assert "nonce" not in claims  # EnsureUserInfoDoesNotContainNonce
    rp.unregister()


@pytest.mark.parametrize("plan", ["dynamic"])
@pytest.mark.parametrize("response_type", ["code", "id_token", "id_token token"])
def test_oidcc_server(implicit_server, person, plan, response_type):
    rp = DynamicRelyingParty(implicit_server.url, response_type=response_type).registered()
    with Browser(implicit_server.url) as browser:
        answer = rp.callback(rp.authorize(browser, person))
    assert "error" not in answer, answer
    if "id_token" in answer:
        _, claims = rp.id_token(answer["id_token"])
        # ExtractAtHash/ValidateAtHash (OIDCC-3.3.2.11): required with an access token.
        if "token" in response_type.split():
            assert claims["at_hash"] == half_hash(answer["access_token"])
        else:
            assert "at_hash" not in claims
        assert "name" not in claims  # EnsureIdTokenDoesNotContainName (OIDCC-5.5)
    if "code" in response_type.split():
        code = answer["code"]
        # EnsureMinimumAuthorizationCodeLength / Entropy (RFC 6749 §10.10): 128 bits or more.
        assert len(code.encode()) * 8 >= 128 and len(set(code)) > 16
        tokens = rp.redeem(code)
        assert tokens.status_code == 200, tokens.text
        token_response_headers_are_not_cached(tokens)
        _, claims = rp.id_token(tokens.json()["id_token"])
        # EnsureIdTokenDoesNotContainNonRequestedClaims: scope=openid asked for no more.
        assert not {"email", "name", "phone_number", "address"} & claims.keys()
        answer = tokens.json()
    if "access_token" in answer:
        assert rp.userinfo(answer["access_token"]).status_code == 200
    rp.unregister()


@pytest.mark.parametrize("plan", ["dynamic"])
def test_oidcc_refresh_token(implicit_server, person, plan):
    server = implicit_server_document(implicit_server)
    assert "offline_access" in server["scopes_supported"]
    assert (
        "refresh_token" in server["grant_types_supported"]
    )  # EnsureServerConfigurationSupportsRefreshToken
    first, second = (
        DynamicRelyingParty(
            implicit_server.url, grant_types=["authorization_code", "refresh_token"]
        ).registered()
        for _ in range(2)
    )
    refresh_tokens = {}
    for rp in (first, second):
        tokens = tokens_for(
            implicit_server, rp, person, scope="openid offline_access", prompt="consent"
        )
        assert VSCHAR.fullmatch(tokens["refresh_token"])
        time.sleep(1)  # WaitForOneSecond: the new ID token has another iat
        refreshed = rp.refresh(tokens["refresh_token"], scope="openid offline_access")
        assert refreshed.status_code == 200, refreshed.text
        token_response_headers_are_not_cached(refreshed)
        body = refreshed.json()
        assert body["token_type"] == "Bearer" and body["access_token"] != tokens["access_token"]
        # CompareIdTokenClaims (OIDCC-12.2)
        _, before = rp.id_token(tokens["id_token"])
        _, after = rp.id_token(body["id_token"], nonce=False)
        assert (after["iss"], after["sub"], after["aud"]) == (
            before["iss"],
            before["sub"],
            before["aud"],
        )
        assert after["iat"] != before["iat"] and after["auth_time"] == before["auth_time"]
        assert "azp" not in after or after.get("azp") == before.get("azp")
        assert rp.userinfo(body["access_token"]).status_code == 200
        refresh_tokens[rp.client_id] = body["refresh_token"]
    # RefreshTokenRequestExpectingErrorSteps: the second client's token, presented by the
    # first, is invalid_grant (RFC 6749 §6: bound to the client it was issued to).
    refused = first.refresh(refresh_tokens[second.client_id])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    for rp in (first, second):
        rp.unregister()


def test_oidcc_ensure_client_assertion_with_iss_aud_succeeds(implicit_server, person):
    rp = DynamicRelyingParty(implicit_server.url).registered()
    code = signed_in_code(implicit_server, rp, person)
    # UpdateClientAuthenticationAssertionClaimsWithISSAud: aud is the issuer identifier.
    answer = rp.redeem(code, audience=implicit_server.url)
    assert answer.status_code == 200, answer.text
    rp.id_token(answer.json()["id_token"])
    rp.unregister()


@pytest.fixture(scope="module")
def rotating_op(server_settings, tmp_path_factory):
    """A Passport with a database of its own, so that rotating its signing keys (kept in
    the database) touches no other test."""
    from ..conftest import (
        LiveServer,
        build_app,
        create_postgres_database,
        drop_postgres_database,
    )

    root = tmp_path_factory.mktemp("rotated-keys")
    postgres = server_settings["DATABASE_URL"].startswith("postgresql")
    database = create_postgres_database() if postgres else f"sqlite:///{root / 'rotating.db'}"
    settings = {
        **server_settings,
        "IMPLICIT_FLOW": True,
        "KEYS_DIR": str(root / "keys"),
        "INSTANCE_DIR": str(root / "instance"),
        "DATABASE_URL": database,
        "KEYS_RECHECK_SECONDS": 1,  # `passport keys rotate` runs in a process of its own
    }
    server = LiveServer(build_app, settings).start()
    yield server
    server.stop()
    if postgres:
        drop_postgres_database(database)


def test_oidcc_server_rotate_keys(rotating_op):
    def fetched() -> list[dict]:
        answer = requests.get(implicit_server_document(rotating_op)["jwks_uri"], timeout=10)
        keys = answer.json()["keys"]
        # CheckServerKeysIsValid, CheckForKeyIdInServerJWKs, CheckDistinctKeyIdValueInServerJWKs
        assert all(key.get("kid") and key.get("use", "sig") == "sig" for key in keys)
        assert len({key["kid"] for key in keys}) == len(keys)
        assert not any({"d", "p", "q"} & key.keys() for key in keys)
        return keys

    original = fetched()
    # TellUserToRotateOpKeys: the operator rotates with `passport keys rotate`.
    rotated = passport_cli(rotating_op, "keys", "rotate", "--alg", "RS256", "--delay", "0")
    assert rotated.returncode == 0, rotated.stderr
    old_kids = {key["kid"] for key in original}
    deadline = time.monotonic() + 5  # each process looks at the key files once a second
    while len(new := fetched()) == len(original) and time.monotonic() < deadline:
        time.sleep(0.2)
    # VerifyNewJwksHasNewSigningKey, VerifyNewJwksStillHasOldSigningKey (OIDCC-10.1.1)
    assert {key["kid"] for key in new if key["alg"] == "RS256"} - old_kids
    assert old_kids <= {key["kid"] for key in new}


def test_oidcc_refresh_token_rp_key_rotation(implicit_server, person, site):
    old = new_key("RS256")
    jwks_uri = site.publish("/client1_jwks", public_jwks(old))
    rp = DynamicRelyingParty(
        implicit_server.url,
        key=old,
        jwks_uri=jwks_uri,
        grant_types=["authorization_code", "refresh_token"],
    ).registered()
    tokens = tokens_for(
        implicit_server, rp, person, scope="openid offline_access", prompt="consent"
    )
    # Cycling keys in RP jwks_uri: a new key with a new kid replaces the old one…
    rp.key = new_key("RS256")
    site.publish("/client1_jwks", public_jwks(rp.key))
    # …then WaitForJWKSRefreshDelay, here on Passport's clock rather than sixty seconds.
    clock.travel(implicit_server.app.config["CLIENT_JWKS_REFETCH_INTERVAL"] + 1)
    refreshed = rp.refresh(tokens["refresh_token"], scope="openid offline_access")
    assert refreshed.status_code == 200, refreshed.text
    assert rp.userinfo(refreshed.json()["access_token"]).status_code == 200
    assert site.fetched["/client1_jwks"] == 2
    rp.unregister()


def implicit_server_document(server) -> dict:
    return requests.get(server.url + "/.well-known/openid-configuration", timeout=10).json()
