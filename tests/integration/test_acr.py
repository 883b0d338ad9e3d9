"""The authentication context: acr_values are voluntary (OIDC Core §3.1.2.1), an essential
acr claim is met or refused at the portal (§5.5.1.1), and the ID token's acr says what the
sign-in got."""

from __future__ import annotations

import json

import pytest

from ..support.browser import Browser
from ..support.relying_party import RelyingParty
from ..support.two_factor import next_step_code, turn_on


@pytest.fixture
def acr(live_server) -> dict[str, str]:
    config = live_server.app.config
    return {"pwd": config["ACR_PASSWORD"], "fed": config["ACR_FEDERATED"], "mfa": config["ACR_MFA"]}


@pytest.fixture
def portal(live_server, factories):
    return RelyingParty(live_server.url, factories.client(first_party=True))


def essential(*values: str) -> str:
    return json.dumps({"id_token": {"acr": {"essential": True, "values": list(values)}}})


def acr_of(portal, page) -> str:
    return portal.verify_id_token(portal.exchange(portal.callback_params(page))["id_token"])["acr"]


@pytest.mark.parametrize("asked", [["pwd", "fed", "mfa"], ["mfa"], ["mfa", "pwd"], ["fed"]])
def test_acr_values_never_end_the_request_without_a_second_factor(
    live_server, person, portal, acr, asked
):
    """Whatever is asked, a person without 2FA gets a code; the acr is the password's."""
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(portal.authorization_url(acr_values=" ".join(acr[a] for a in asked)))
        assert page.status == 302, page.text[:300]
        assert acr_of(portal, page) == acr["pwd"]


def test_acr_values_asking_for_mfa_take_the_second_step_of_a_person_who_has_one(
    live_server, person, portal, acr
):
    """The best this person can: with 2FA on, a password-only session takes the second
    step; with prompt=none it cannot be asked, and the answer says what there is."""
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _ = turn_on(browser, person.password)
        quiet = browser.open(portal.authorization_url(acr_values=acr["mfa"], prompt="none"))
        assert acr_of(portal, quiet) == acr["pwd"]
        page = browser.open(portal.authorization_url(acr_values=f"{acr['mfa']} {acr['pwd']}"))
        page = browser.submit(page, "password", login=person.email, password=person.password)
        assert page.url.endswith("/login/second-step")
        page = browser.submit(page, "code", code=next_step_code(totp))
        assert acr_of(portal, page) == acr["mfa"]
        # The second factor meets a later request for the password alone, too.
        page = browser.open(portal.authorization_url(claims=essential(acr["pwd"])))
        assert acr_of(portal, page) == acr["pwd"]


@pytest.mark.parametrize("response_mode", ["query", "form_post"])
def test_an_essential_acr_that_cannot_be_met_is_refused_at_the_portal(
    live_server, person, portal, acr, response_mode
):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(
            portal.authorization_url(claims=essential(acr["mfa"]), response_mode=response_mode)
        )
        params = (
            page.form().fields if response_mode == "form_post" else portal.callback_params(page)
        )
    assert params["error"] == "unmet_authentication_requirements" and "code" not in params
    assert params["state"] == portal.state and params["iss"] == live_server.url


def test_an_essential_acr_is_met_with_a_second_step_or_refused_without_asking(
    live_server, person, portal, acr
):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _ = turn_on(browser, person.password)
        asked = essential(acr["mfa"])
        params = portal.callback_params(
            browser.open(portal.authorization_url(claims=asked, prompt="none"))
        )
        assert params["error"] == "interaction_required"
        page = browser.open(portal.authorization_url(claims=asked))
        page = browser.submit(page, "password", login=person.email, password=person.password)
        page = browser.submit(page, "code", code=next_step_code(totp))
        assert acr_of(portal, page) == acr["mfa"]


def test_a_single_value_and_the_clients_default_count_too(live_server, person, factories, acr):
    """acr asked with value (not values), and default_acr_values when the request names
    none (OIDC Registration §2): both voluntary or essential as asked."""
    portal = RelyingParty(
        live_server.url, factories.client(first_party=True, default_acr_values=[acr["mfa"]])
    )
    one = json.dumps({"id_token": {"acr": {"essential": True, "value": acr["mfa"]}}})
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        assert acr_of(portal, browser.open(portal.authorization_url())) == acr["pwd"]
        params = portal.callback_params(browser.open(portal.authorization_url(claims=one)))
        assert params["error"] == "unmet_authentication_requirements"


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"require_mfa": "yes"}, "require_mfa"),
        ({"default_acr_values": "urn:passport:acr:mfa"}, "default_acr_values"),
        ({"default_acr_values": [42]}, "default_acr_values"),
    ],
)
def test_registration_checks_the_authentication_context_fields(live_server, metadata, field):
    import requests

    body = {"redirect_uris": ["http://127.0.0.1:9/callback"], **metadata}
    answer = requests.post(live_server.url + "/register", json=body, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client_metadata"
    assert field in answer.json()["error_description"]
