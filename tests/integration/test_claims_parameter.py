"""Where a portal gets a person's claims: the scopes' claims at userinfo (OIDC Core §5.4),
and single claims asked for the ID token or userinfo with the claims parameter (§5.5)."""

from __future__ import annotations

import json

import pytest
import requests

from ..support.browser import Browser
from ..support.relying_party import RelyingParty


@pytest.fixture
def person(factories):
    return factories.account(phone=factories.phone_number(), name="Anna Petrova")


def claims(**targets) -> str:
    return json.dumps(targets)


def signed_in(live_server, portal, person, **params) -> dict:
    with Browser(live_server.url) as browser:
        return portal.sign_in(browser, person.email, person.password, **params)


def test_the_id_token_carries_the_claims_asked_for_it(live_server, factories, person):
    portal = RelyingParty(live_server.url, factories.client(first_party=True), scope="openid")
    asked = claims(id_token={"email": None, "name": {"essential": True}, "auth_time": None})
    tokens = signed_in(live_server, portal, person, claims=asked)
    id_token = portal.verify_id_token(tokens["id_token"])
    assert id_token["email"] == person.email and id_token["name"] == "Anna Petrova"
    assert "email_verified" not in id_token and "phone_number" not in id_token
    # Asked for the ID token only: userinfo with scope openid has sub alone.
    assert portal.userinfo(tokens["access_token"]).json() == {"sub": person.sub}
    # A refreshed ID token says the same (OIDC Core §12.2).
    refreshed = portal.refresh(tokens["refresh_token"]).json()
    assert portal.verify_id_token(refreshed["id_token"])["email"] == person.email


def test_userinfo_gets_claims_beyond_its_scopes_and_the_person_consents_to_them(
    live_server, factories, person
):
    """name for userinfo with scope openid: the consent page names the profile, and
    userinfo has the name, not the rest of the profile."""
    portal = RelyingParty(live_server.url, factories.client(), scope="openid")
    asked = claims(userinfo={"name": {"essential": True}, "phone_number": None})
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(portal.authorization_url(claims=asked))
        assert "Your name and language" in page.text and "Your phone number" in page.text
        assert "Your e-mail address" not in page.text
        page = browser.submit(page, "decision", button="decision", decision="allow")
        params = portal.callback_params(page)
        tokens = portal.exchange(params)
        # Consented once, the same request is not asked again.
        page = browser.open(portal.authorization_url(claims=asked))
        assert page.status == 302 and "code=" in page.response.headers["Location"]
    info = portal.userinfo(tokens["access_token"]).json()
    assert info == {"sub": person.sub, "name": "Anna Petrova", "phone_number": person.phone}
    assert "name" not in portal.verify_id_token(tokens["id_token"])


def test_claims_of_a_scope_the_portal_may_not_ask_for_are_left_out(live_server, factories, person):
    """§5.5.1: a claim that is not released is left out, with no error."""
    client = factories.client(first_party=True, scope="openid email")
    portal = RelyingParty(live_server.url, client, scope="openid")
    asked = claims(id_token={"phone_number": {"essential": True}, "email": None})
    tokens = signed_in(live_server, portal, person, claims=asked)
    id_token = portal.verify_id_token(tokens["id_token"])
    assert id_token["email"] == person.email and "phone_number" not in id_token


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "The claims parameter is not JSON."),
        ('["userinfo"]', "The claims parameter must be a JSON object."),
        ('{"userinfo": ["name"]}', "claims.userinfo must be a JSON object."),
        ('{"id_token": {"email": true}}', "Each claim in claims.id_token must be null or an object."),
        ('{"id_token": {"acr": {"essential": "yes"}}}', "An essential member in claims.id_token is not a boolean."),
        ('{"userinfo": {"sub": {"value": 42}}}', "The value of claims.userinfo.sub must be a string."),
        ("[" * 3000, "The claims parameter is not JSON."),
    ],
)  # fmt: skip
@pytest.mark.parametrize("response_mode", ["query", "form_post"])
def test_a_malformed_claims_parameter_is_refused_to_the_client(
    live_server, factories, person, value, message, response_mode
):
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(portal.authorization_url(claims=value, response_mode=response_mode))
        if response_mode == "form_post":
            params = page.form().fields
        else:
            params = portal.callback_params(page)
    assert params["error"] == "invalid_request" and params["error_description"] == message
    assert params["state"] == portal.state and "code" not in params


def test_a_sub_asked_by_value_is_answered_for_that_person_only(live_server, factories, person):
    """OIDC Core §5.5.1: with another person signed in, prompt=none is login_required, and
    without prompt=none the person is asked to sign in."""
    other = factories.account()
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    asked = claims(id_token={"sub": {"value": other.sub}})
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        params = portal.callback_params(
            browser.open(portal.authorization_url(claims=asked, prompt="none"))
        )
        assert params["error"] == "login_required"
        page = browser.open(portal.authorization_url(claims=asked))
        assert "/login?" in page.url and any("password" in f.fields for f in page.forms)
        page = portal.walk(browser, page, login=other.email, password=other.password)
        tokens = portal.exchange(portal.callback_params(page))
    assert portal.verify_id_token(tokens["id_token"])["sub"] == other.sub


def test_discovery_says_the_claims_parameter_works(live_server):
    metadata = requests.get(live_server.url + "/.well-known/openid-configuration", timeout=10)
    assert metadata.json()["claims_parameter_supported"] is True
    assert {"email", "phone_number", "name", "acr"} <= set(metadata.json()["claims_supported"])
