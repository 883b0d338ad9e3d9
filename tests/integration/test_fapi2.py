"""The FAPI 2.0 Security Profile (final), requirement by requirement, over HTTP: a client
registered with fapi2_security_profile, and a server with FAPI2_SECURITY_PROFILE on for
every client. Each test names the section (and item) it shows."""

from __future__ import annotations

import pytest
import requests

from server import clock

from ..support.assertions import new_key, public_jwks
from ..support.browser import Browser
from ..support.dpop import DPoPKey
from ..support.relying_party import RelyingParty

CALLBACK = "https://bank-portal.example/callback"


def fapi_portal(live_server, factories, *, alg: str = "PS256", **metadata) -> RelyingParty:
    key = new_key(alg)
    client = factories.client(
        redirect_uri=CALLBACK,
        first_party=True,
        token_endpoint_auth_method="private_key_jwt",
        jwks=public_jwks(key),
        fapi2_security_profile=True,
        **metadata,
    )
    return RelyingParty(live_server.url, client, key=key, dpop=DPoPKey(), audience=live_server.url)


def registered(live_server, **metadata) -> requests.Response:
    body = {
        "redirect_uris": [CALLBACK],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": public_jwks(new_key("PS256")),
        "fapi2_security_profile": True,
        **metadata,
    }
    answer = requests.post(live_server.url + "/register", json=body, timeout=10)
    if answer.status_code == 401:
        pytest.skip("this server's registration needs a token")
    return answer


def refused_metadata(answer: requests.Response, field: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] in ("invalid_client_metadata", "invalid_redirect_uri")
    assert field in answer.json()["error_description"], answer.text


def pushed_code(portal: RelyingParty, person, **params) -> dict:
    """Push the request, sign in in a browser, and return the authorization response."""
    answer = portal.push(scope="openid offline_access", **params)
    assert answer.status_code == 201, answer.text
    with Browser(portal.issuer) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(portal.pushed_url(answer.json()["request_uri"]))
        assert page.status in (302, 303), page.status  # §5.3.2.2 items 8, 9: never 307
        return portal.callback_params(page)


def error_of(answer: requests.Response) -> str:
    assert answer.status_code in (400, 401), (answer.status_code, answer.text)
    return answer.json()["error"]


# -- registration ----------------------------------------------------------------------------


def test_registration_holds_the_client_to_the_profile(live_server):
    """§5.3.2.2 item 2 and §5.3.2.1 items 4–5 are stored as the client's own rules; §5.4.1:
    its ID tokens are PS256 unless it asks for ES256."""
    answer = registered(live_server)
    assert answer.status_code == 201, answer.text
    client = answer.json()
    assert client["fapi2_security_profile"] is True
    assert client["require_pushed_authorization_requests"] is True
    assert client["dpop_bound_access_tokens"] is True
    assert client["id_token_signed_response_alg"] == "PS256"


def test_5_3_2_1_item_3_public_clients_are_refused(live_server):
    refused_metadata(registered(live_server, token_endpoint_auth_method="none"), "private_key_jwt")


@pytest.mark.parametrize(
    "method", ["client_secret_basic", "client_secret_post", "client_secret_jwt"]
)
def test_5_3_3_clients_authenticate_with_private_key_jwt(live_server, method):
    refused_metadata(registered(live_server, token_endpoint_auth_method=method), "private_key_jwt")


def test_5_3_2_2_item_1_the_code_response_type_alone(implicit_server):
    answer = registered(
        implicit_server,
        response_types=["code", "id_token"],
        grant_types=["authorization_code", "implicit"],
    )
    refused_metadata(answer, "code alone")


def test_5_3_2_2_item_6_redirect_uris_use_https(live_server):
    answer = registered(live_server, redirect_uris=["http://127.0.0.1:8080/callback"])
    refused_metadata(answer, "https")


@pytest.mark.parametrize(
    "field",
    [
        "id_token_signed_response_alg",
        "token_endpoint_auth_signing_alg",
        "request_object_signing_alg",
        "userinfo_signed_response_alg",
    ],
)
def test_5_4_1_rs256_is_not_among_the_algorithms(live_server, field):
    refused_metadata(registered(live_server, **{field: "RS256"}), field)


def test_fapi2_security_profile_is_true_or_false(live_server):
    refused_metadata(
        registered(live_server, fapi2_security_profile="yes"), "fapi2_security_profile"
    )


# -- the authorization endpoint (§5.3.2.2) ----------------------------------------------------


def test_5_3_2_2_item_2_a_plain_authorization_request_is_refused(live_server, factories, person):
    portal = fapi_portal(live_server, factories)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        params = portal.callback_params(browser.open(portal.authorization_url(scope="openid")))
    assert params["error"] == "invalid_request"


def test_5_3_2_2_item_4_a_push_names_its_redirect_uri(live_server, factories):
    portal = fapi_portal(live_server, factories)
    portal.oauth.redirect_uri = None
    answer = portal.push(scope="openid")
    assert error_of(answer) == "invalid_request" and "redirect_uri" in answer.text


def test_5_3_2_2_item_3_a_push_without_pkce_is_refused(live_server, factories):
    portal = fapi_portal(live_server, factories)
    form = {
        "response_type": "code",
        "client_id": portal.client.client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s",
    }
    answer = portal.post("pushed_authorization_request_endpoint", form)
    assert error_of(answer) == "invalid_request" and "PKCE" in answer.text


def test_5_3_2_2_item_10_a_request_uri_lives_under_600_seconds(live_server, factories):
    answer = fapi_portal(live_server, factories).push(scope="openid")
    assert answer.status_code == 201 and answer.json()["expires_in"] < 600


def test_5_3_2_2_item_5_the_response_names_the_issuer(live_server, factories, person):
    params = pushed_code(fapi_portal(live_server, factories), person)
    assert params["iss"] == live_server.url and "code" in params


# -- the token endpoint (§5.3.2.1, §5.3.3, §5.3.4) ------------------------------------------


def test_the_whole_flow_gets_dpop_bound_tokens(live_server, factories, person):
    portal = fapi_portal(live_server, factories)
    tokens = portal.exchange(pushed_code(portal, person))
    assert tokens["token_type"] == "DPoP" and "refresh_token" in tokens
    assert portal.verify_id_token(tokens["id_token"])  # PS256, by the published key
    assert portal.userinfo(tokens["access_token"]).json()["sub"]


def test_5_3_2_1_item_4_no_token_without_a_dpop_proof(live_server, factories, person):
    portal = fapi_portal(live_server, factories)
    params = pushed_code(portal, person)
    key, portal.dpop = portal.dpop, None
    assert error_of(portal.post("token_endpoint", portal.code_form(params))) == "invalid_dpop_proof"
    portal.dpop = key
    assert portal.exchange(params)["token_type"] == "DPoP"  # the refusal spent nothing


def test_5_3_2_1_item_12_the_code_is_bound_to_the_pushing_key(live_server, factories, person):
    portal = fapi_portal(live_server, factories)
    params = pushed_code(portal, person)  # pushed with a proof: the code is bound (§10.1)
    other = DPoPKey()
    other.nonce = portal.dpop.nonce
    portal.dpop = other
    assert error_of(portal.post("token_endpoint", portal.code_form(params))) == "invalid_dpop_proof"


def test_5_3_2_1_item_11_a_code_lives_60_seconds_at_most(
    live_server, factories, person, monkeypatch
):
    monkeypatch.setitem(live_server.app.config, "AUTHORIZATION_CODE_LIFETIME", 600)
    portal = fapi_portal(live_server, factories)
    params = pushed_code(portal, person)
    clock.travel(61)
    assert error_of(portal.post("token_endpoint", portal.code_form(params))) == "invalid_grant"


def test_5_3_2_1_item_10_the_refresh_token_does_not_rotate(live_server, factories, person):
    """A refresh answer lost on the way costs nothing: the same refresh token works again."""
    portal = fapi_portal(live_server, factories)
    tokens = portal.exchange(pushed_code(portal, person))
    for _ in range(2):
        answer = portal.refresh(tokens["refresh_token"])
        assert answer.status_code == 200, answer.text
        assert "refresh_token" not in answer.json() and answer.json()["token_type"] == "DPoP"


@pytest.mark.parametrize("audience", ["token endpoint", "a list"], ids=["token-endpoint", "list"])
def test_5_3_2_1_item_8_the_assertion_audience_is_the_issuer_string(
    live_server, factories, audience
):
    portal = fapi_portal(live_server, factories, grant_types=["client_credentials"], scope="")
    aud = portal.metadata["token_endpoint"] if audience == "token endpoint" else [live_server.url]
    answer = portal.post("token_endpoint", {"grant_type": "client_credentials"}, audience=aud)
    assert error_of(answer) == "invalid_client"
    answer = portal.post("token_endpoint", {"grant_type": "client_credentials"})
    assert answer.status_code == 200 and answer.json()["token_type"] == "DPoP", answer.text


def test_5_4_1_an_rs256_assertion_is_refused(live_server, factories):
    portal = fapi_portal(
        live_server, factories, alg="RS256", grant_types=["client_credentials"], scope=""
    )
    assert (
        error_of(portal.post("token_endpoint", {"grant_type": "client_credentials"}))
        == "invalid_client"
    )


def test_5_4_1_es256_serves_as_well(live_server, factories):
    portal = fapi_portal(
        live_server, factories, alg="ES256", grant_types=["client_credentials"], scope=""
    )
    answer = portal.post("token_endpoint", {"grant_type": "client_credentials"})
    assert answer.status_code == 200, answer.text


# -- the whole server held to the profile ------------------------------------------------------


@pytest.fixture
def fapi2_server(live_server, monkeypatch):
    """The shared server with FAPI2_SECURITY_PROFILE on for one test; its discovery
    document, made once per configuration, is made again before and after."""
    live_server.app.extensions.pop("passport.discovery", None)
    monkeypatch.setitem(live_server.app.config, "FAPI2_SECURITY_PROFILE", True)
    yield live_server
    live_server.app.extensions.pop("passport.discovery", None)


def test_discovery_advertises_only_what_the_profile_allows(fapi2_server):
    document = requests.get(
        fapi2_server.url + "/.well-known/openid-configuration", timeout=10
    ).json()
    assert document["require_pushed_authorization_requests"] is True
    assert document["response_types_supported"] == ["code"]
    assert document["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert set(document["id_token_signing_alg_values_supported"]) == {"PS256", "ES256"}
    assert "RS256" not in document["token_endpoint_auth_signing_alg_values_supported"]


def test_a_client_registered_before_the_profile_cannot_use_its_secret(fapi2_server, factories):
    """§5.3.2.1 item 6 for a client that was registered with a secret before."""
    monkeypatch_off = fapi2_server.app.config
    monkeypatch_off["FAPI2_SECURITY_PROFILE"] = False
    client = factories.client(grant_types=["client_credentials"], scope="")
    monkeypatch_off["FAPI2_SECURITY_PROFILE"] = True
    answer = requests.post(
        fapi2_server.url + "/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert error_of(answer) == "invalid_client"


def test_every_client_is_held_to_the_profile(fapi2_server):
    body = {"redirect_uris": [CALLBACK]}
    answer = requests.post(fapi2_server.url + "/register", json=body, timeout=10)
    if answer.status_code == 401:
        pytest.skip("this server's registration needs a token")
    refused_metadata(answer, "private_key_jwt")
