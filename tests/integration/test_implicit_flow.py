"""The implicit flow (OIDC Core §3.2): off by default (RFC 9700 §2.1.2), and when the operator
turns it on, ID tokens (and access tokens) in the fragment, with a nonce and at_hash."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from ..support import registration
from ..support.browser import Browser
from ..support.relying_party import RelyingParty

CALLBACK = registration.CALLBACK


def register(server, **metadata) -> requests.Response:
    return registration.register(server.url, **metadata)


def implicit_portal(server) -> RelyingParty:
    info = registration.registered(
        server.url, response_types=["id_token", "id_token token"], grant_types=["implicit"]
    )
    return registration.portal_of(server.url, info)


def authorize(server, portal: RelyingParty, browser: Browser, person=None, **params):
    """Ask for an implicit response, sign in and consent; the page that redirects back."""
    query = {
        "client_id": portal.client.client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid email",
        "state": "s-" + secrets.token_hex(4),
        "nonce": "n-" + secrets.token_hex(4),
        **params,
    }
    page = browser.open(server.url + "/authorize?" + urlencode(query))
    login = person.email if person else None
    return RelyingParty.walk(browser, page, login=login, password=person and person.password)


def half_hash(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_off_by_default_neither_offered_nor_accepted(live_server, portal):
    server = requests.get(live_server.url + "/.well-known/openid-configuration").json()
    assert server["response_types_supported"] == ["code"]
    assert "implicit" not in server["grant_types_supported"]
    assert server["response_modes_supported"] == ["query", "form_post"]
    refused = register(live_server, response_types=["id_token"], grant_types=["implicit"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_client_metadata"
    # A registered client asking for it: unsupported_response_type, in the fragment.
    with Browser(live_server.url) as browser:
        page = browser.open(
            "/authorize?"
            + urlencode(
                {
                    "client_id": portal.client.client_id,
                    "redirect_uri": portal.client.redirect_uri,
                    "response_type": "id_token",
                    "scope": "openid",
                    "state": "xyz",
                    "nonce": "n",
                }
            )
        )
    answer = portal.fragment_params(page)
    assert answer["error"] == "unsupported_response_type" and answer["state"] == "xyz"
    assert answer["iss"] == live_server.url


def test_discovery_offers_it_when_turned_on(implicit_server):
    server = requests.get(implicit_server.url + "/.well-known/openid-configuration").json()
    assert {"code", "id_token", "id_token token"} <= set(server["response_types_supported"])
    assert {"authorization_code", "implicit"} <= set(server["grant_types_supported"])
    assert set(server["response_modes_supported"]) == {"query", "form_post", "fragment"}


def test_id_token_alone_in_the_fragment(implicit_server, person):
    portal = implicit_portal(implicit_server)
    with Browser(implicit_server.url) as browser:
        page = authorize(implicit_server, portal, browser, person, response_type="id_token")
    assert not urlsplit(page.response.headers["Location"]).query
    answer = portal.fragment_params(page)
    assert answer["state"].startswith("s-") and answer["iss"] == implicit_server.url
    assert "access_token" not in answer and "code" not in answer
    claims = portal.verify_id_token(answer["id_token"])
    assert claims["sub"] == person.sub and claims["nonce"].startswith("n-")
    assert claims["email"] == person.email  # no userinfo call to get it from: OIDC Core §5.4
    assert "at_hash" not in claims


def test_id_token_and_access_token(implicit_server, person):
    portal = implicit_portal(implicit_server)
    with Browser(implicit_server.url) as browser:
        # "token id_token" is the same response type (OAuth 2.0 Multiple Response Types §2).
        page = authorize(implicit_server, portal, browser, person, response_type="token id_token")
    answer = portal.fragment_params(page)
    assert answer["token_type"] == "Bearer" and int(answer["expires_in"]) > 0
    assert "refresh_token" not in answer
    claims = portal.verify_id_token(answer["id_token"])
    assert claims["at_hash"] == half_hash(answer["access_token"])
    info = portal.userinfo(answer["access_token"])
    assert info.status_code == 200 and info.json()["sub"] == person.sub


def test_signing_out_ends_the_access_token_of_an_implicit_response(implicit_server, person):
    """An implicit grant belongs to its sign-in (it issues no refresh token to outlive it):
    the access token stops working when the person signs out."""
    portal = implicit_portal(implicit_server)
    with Browser(implicit_server.url) as browser:
        page = authorize(implicit_server, portal, browser, person, response_type="id_token token")
        access_token = portal.fragment_params(page)["access_token"]
        assert portal.userinfo(access_token).status_code == 200
        browser.submit(browser.get("/logout"), "csrf_token")
    assert portal.userinfo(access_token).status_code == 401


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"nonce": ""}, "invalid_request"),  # Core §3.2.2.1: a nonce is required
        ({"response_mode": "query"}, "invalid_request"),  # tokens never in the query
        ({"scope": "email"}, "invalid_scope"),
    ],
)
def test_refusals_go_in_the_fragment(implicit_server, person, params, error):
    portal = implicit_portal(implicit_server)
    with Browser(implicit_server.url) as browser:
        page = authorize(
            implicit_server, portal, browser, person, response_type="id_token", **params
        )
    answer = portal.fragment_params(page)
    assert answer["error"] == error and answer["state"].startswith("s-")
    assert not urlsplit(page.response.headers["Location"]).query


def test_denied_and_prompt_none_answer_in_the_fragment(implicit_server, person):
    portal = implicit_portal(implicit_server)
    with Browser(implicit_server.url) as browser:
        page = authorize(implicit_server, portal, browser, response_type="id_token", prompt="none")
        assert portal.fragment_params(page)["error"] == "login_required"
        browser.sign_in(person.email, person.password)
        page = browser.open(
            implicit_server.url
            + "/authorize?"
            + urlencode(
                {
                    "client_id": portal.client.client_id,
                    "redirect_uri": CALLBACK,
                    "response_type": "id_token",
                    "scope": "openid",
                    "state": "deny-me",
                    "nonce": "n",
                }
            )
        )
        page = RelyingParty.walk(browser, page, consent=False)
    answer = portal.fragment_params(page)
    assert answer["error"] == "access_denied" and answer["state"] == "deny-me"
    assert answer["iss"] == implicit_server.url


def test_every_id_token_is_signed(implicit_server):
    # OpenID Connect Registration §2 would allow "none" for a client of the code flow
    # alone; Passport offers it to none.
    server = requests.get(implicit_server.url + "/.well-known/openid-configuration").json()
    assert "none" not in server["id_token_signing_alg_values_supported"]
    refused = register(implicit_server, id_token_signed_response_alg="none")
    assert refused.status_code == 400
    assert "id_token_signed_response_alg" in refused.json()["error_description"]


def test_form_post_carries_the_id_token(implicit_server, person):
    """OAuth 2.0 Form Post Response Mode §2, for the implicit response types too."""
    portal = implicit_portal(implicit_server)
    with Browser(implicit_server.url) as browser:
        page = authorize(
            implicit_server, portal, browser, person, response_type="id_token",
            response_mode="form_post",
        )  # fmt: skip
    assert page.status == 200 and "Location" not in page.response.headers
    [form] = [f for f in page.forms if f.action == portal.client.redirect_uri]
    assert form.fields["state"].startswith("s-") and form.fields["iss"] == implicit_server.url
    claims = portal.verify_id_token(form.fields["id_token"])
    assert claims["sub"] == person.sub and "access_token" not in form.fields
