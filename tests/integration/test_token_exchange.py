"""Token exchange (RFC 8693) over HTTP: a portal's back end trades the person's access
token for one made for another API, acting for them — only when the operators allowed it,
and never beyond what the subject token holds."""

from __future__ import annotations

import pytest
import requests

from ..support.browser import Browser
from ..support.delivery import unverified_claims
from ..support.relying_party import RelyingParty

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
RESOURCE = "https://api.bank.example/"


@pytest.fixture
def allowed(live_server, monkeypatch):
    """The operators' list of clients that may exchange tokens, and the registered resources."""
    names: list[str] = []
    monkeypatch.setitem(live_server.app.config, "TOKEN_EXCHANGE_CLIENTS", names)
    monkeypatch.setitem(live_server.app.config, "RESOURCES", {RESOURCE: ["accounts"]})
    return names


@pytest.fixture
def portal(live_server, factories, person, allowed):
    """A portal allowed to exchange, and the access token it got for the person."""
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    allowed.append(portal.client.client_id)
    with Browser(live_server.url) as browser:
        portal.tokens = portal.sign_in(browser, person.email, person.password, scope="openid email")
    return portal


def exchange(portal: RelyingParty, subject_token: str, **params) -> requests.Response:
    form = {
        "grant_type": EXCHANGE,
        "subject_token": subject_token,
        "subject_token_type": ACCESS_TOKEN,
        **params,
    }
    return portal.post("token_endpoint", {k: v for k, v in form.items() if v is not None})


def error_of(answer: requests.Response) -> str:
    assert answer.status_code in (400, 401), (answer.status_code, answer.text)
    return answer.json()["error"]


def introspected(live_server, client, token: str) -> dict:
    return requests.post(
        live_server.url + "/introspect",
        data={"token": token},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    ).json()


def test_discovery_names_the_grant(live_server):
    document = requests.get(live_server.url + "/.well-known/openid-configuration", timeout=10)
    assert EXCHANGE in document.json()["grant_types_supported"]


def test_a_portal_gets_a_token_for_another_api_acting_for_the_person(
    live_server, factories, portal, person
):
    api = factories.client(grant_types=["client_credentials"], scope="")
    answer = exchange(portal, portal.tokens["access_token"], audience=api.client_id, scope="email")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["issued_token_type"] == ACCESS_TOKEN and body["token_type"] == "Bearer"
    assert "refresh_token" not in body and body["scope"] == "email"
    claims = unverified_claims(body["access_token"])
    subject = unverified_claims(portal.tokens["access_token"])
    assert claims["aud"] == api.client_id and claims["sub"] == subject["sub"]
    assert claims["act"] == {"sub": portal.client.client_id}
    assert claims["gid"] == subject["gid"] and claims["exp"] <= subject["exp"]
    # The API it was made for reads it at introspection; Passport's userinfo does not take it.
    seen = introspected(live_server, api, body["access_token"])
    assert seen["active"] is True and seen["act"] == {"sub": portal.client.client_id}
    userinfo = portal.userinfo(body["access_token"])
    assert userinfo.status_code == 401


def test_a_registered_resource_is_an_audience(portal):
    answer = exchange(portal, portal.tokens["access_token"], resource=RESOURCE)
    assert answer.status_code == 200, answer.text
    assert unverified_claims(answer.json()["access_token"])["aud"] == RESOURCE


def test_a_client_the_operators_did_not_allow_is_refused(live_server, factories, person, allowed):
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        tokens = portal.sign_in(browser, person.email, person.password, scope="openid")
    answer = exchange(portal, tokens["access_token"], resource=RESOURCE)
    assert error_of(answer) == "unauthorized_client"


def test_another_clients_token_is_not_exchanged(live_server, factories, portal, person):
    other = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        tokens = other.sign_in(browser, person.email, person.password, scope="openid")
    assert error_of(exchange(portal, tokens["access_token"], resource=RESOURCE)) == "invalid_grant"


@pytest.mark.parametrize(
    "params, error",
    [
        ({"audience": "no-such-client"}, "invalid_target"),
        ({"resource": "https://elsewhere.example/"}, "invalid_target"),
        ({"resource": RESOURCE, "audience": "x"}, "invalid_request"),
        ({}, "invalid_request"),
        ({"resource": RESOURCE, "scope": "email phone"}, "invalid_scope"),
        ({"resource": RESOURCE, "subject_token_type": "urn:x"}, "invalid_request"),
        (
            {
                "resource": RESOURCE,
                "requested_token_type": "urn:ietf:params:oauth:token-type:id_token",
            },
            "invalid_request",
        ),
        (
            {"resource": RESOURCE, "actor_token": "x", "actor_token_type": ACCESS_TOKEN},
            "invalid_request",
        ),
    ],
    ids=[
        "unknown-audience",
        "unknown-resource",
        "both",
        "neither",
        "wider-scope",
        "subject-type",
        "requested-type",
        "actor-token",
    ],
)
def test_what_cannot_be_exchanged_is_refused(portal, params, error):
    assert error_of(exchange(portal, portal.tokens["access_token"], **params)) == error


def test_a_dead_subject_token_is_refused(portal):
    assert error_of(exchange(portal, "not.a-token.at-all", resource=RESOURCE)) == "invalid_grant"


def test_revoking_the_grant_ends_the_exchanged_token(live_server, factories, portal):
    api = factories.client(grant_types=["client_credentials"], scope="")
    exchanged = exchange(portal, portal.tokens["access_token"], audience=api.client_id).json()
    assert portal.revoke(portal.tokens["refresh_token"]).status_code == 200
    assert introspected(live_server, api, exchanged["access_token"]) == {"active": False}


def test_an_api_passes_the_token_on_and_both_actors_are_named(
    live_server, factories, portal, allowed
):
    """A chain of back ends: the API the token was made for exchanges it in turn."""
    api = factories.client(grant_types=["client_credentials"], scope="")
    allowed.append(api.client_id)
    first = exchange(portal, portal.tokens["access_token"], audience=api.client_id).json()
    api_side = RelyingParty(live_server.url, api)
    second = exchange(api_side, first["access_token"], resource=RESOURCE)
    assert second.status_code == 200, second.text
    claims = unverified_claims(second.json()["access_token"])
    assert claims["act"] == {"sub": api.client_id, "act": {"sub": portal.client.client_id}}


def test_a_client_registered_for_dpop_exchanges_with_a_proof_only(
    live_server, factories, person, allowed
):
    from ..support.dpop import DPoPKey

    portal = RelyingParty(
        live_server.url, factories.client(first_party=True, dpop_bound_access_tokens=True)
    )
    allowed.append(portal.client.client_id)
    portal.dpop = DPoPKey()
    with Browser(live_server.url) as browser:
        tokens = portal.sign_in(browser, person.email, person.password, scope="openid")
    key, portal.dpop = portal.dpop, None
    assert error_of(exchange(portal, tokens["access_token"], resource=RESOURCE)) == (
        "invalid_dpop_proof"
    )
    portal.dpop = key
    answer = exchange(portal, tokens["access_token"], resource=RESOURCE)
    assert answer.status_code == 200 and answer.json()["token_type"] == "DPoP", answer.text
