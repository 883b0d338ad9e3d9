"""Resource indicators (RFC 8707) over HTTP: a portal names the API a token is for, and the
access token's audience is that API; unknown resources and widening are refused."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests

from ..support.browser import Browser
from ..support.delivery import unverified_claims
from ..support.relying_party import RelyingParty

BANK = "https://api.bank.example/"
FILES = "https://files.example/api"


@pytest.fixture(autouse=True)
def registered_resources(live_server, monkeypatch):
    resources = {BANK: ["accounts", "payments"], FILES: ["files"]}
    monkeypatch.setitem(live_server.app.config, "RESOURCES", resources)


def portal_of(live_server, factories, **options) -> RelyingParty:
    options.setdefault("first_party", True)
    options.setdefault("scope", "openid email offline_access accounts payments files")
    return RelyingParty(live_server.url, factories.client(**options))


def code_for(portal: RelyingParty, person, resources: list[str], **params) -> dict:
    url = portal.authorization_url(**params)
    url += "&" + urlencode([("resource", r) for r in resources])
    with Browser(portal.issuer) as browser:
        page = browser.open(url)
        page = portal.walk(browser, page, login=person.email, password=person.password)
        return portal.callback_params(page)


def redeem(portal: RelyingParty, params: dict, **form) -> requests.Response:
    return portal.post("token_endpoint", {**portal.code_form(params), **form})


def refused(answer: requests.Response, error: str) -> None:
    assert answer.status_code == 400 and answer.json()["error"] == error, answer.text


def test_a_token_for_a_resource_has_it_as_audience(live_server, factories, person):
    portal = portal_of(live_server, factories)
    params = code_for(portal, person, [BANK], scope="openid accounts")
    answer = redeem(portal, params)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert unverified_claims(tokens["access_token"])["aud"] == BANK
    assert "accounts" in tokens["scope"].split()
    # Made for the bank's API, not for Passport's userinfo.
    assert portal.userinfo(tokens["access_token"]).status_code == 401


def test_a_token_request_narrows_the_resources_and_never_widens_them(
    live_server, factories, person
):
    portal = portal_of(live_server, factories)
    alone = code_for(portal, person, [BANK], scope="openid accounts")
    # FILES is registered, but this authorization did not name it.
    refused(redeem(portal, alone, resource=FILES), "invalid_target")
    params = code_for(portal, person, [BANK, FILES], scope="openid accounts files offline_access")
    refused(redeem(portal, params, resource="https://elsewhere.example/"), "invalid_target")
    answer = redeem(portal, params, resource=FILES)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert unverified_claims(tokens["access_token"])["aud"] == FILES
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refreshed = portal.post("token_endpoint", refresh).json()
    assert sorted(unverified_claims(refreshed["access_token"])["aud"]) == sorted([BANK, FILES])
    refresh["refresh_token"] = refreshed["refresh_token"]
    refused(
        portal.post("token_endpoint", {**refresh, "resource": "https://x.example/"}),
        "invalid_target",
    )


def test_without_a_resource_the_token_is_for_passport(live_server, factories, person):
    portal = portal_of(live_server, factories)
    with Browser(live_server.url) as browser:
        tokens = portal.sign_in(browser, person.email, person.password, scope="openid")
    assert unverified_claims(tokens["access_token"])["aud"] == live_server.url
    assert portal.userinfo(tokens["access_token"]).status_code == 200


def test_an_unknown_resource_is_refused_at_the_redirect_uri(live_server, factories, person):
    portal = portal_of(live_server, factories)
    params = code_for(portal, person, ["https://elsewhere.example/"], scope="openid")
    assert params["error"] == "invalid_target" and params["state"] == portal.state


def test_a_resources_scope_needs_its_resource(live_server, factories, person):
    portal = portal_of(live_server, factories)
    params = code_for(portal, person, [FILES], scope="openid accounts")
    assert params["error"] == "invalid_scope"


def test_client_credentials_names_a_resource(live_server, factories):
    client = factories.client(grant_types=["client_credentials"], scope="accounts")
    form = {"grant_type": "client_credentials", "scope": "accounts"}
    auth = (client.client_id, client.client_secret)
    url = live_server.url + "/token"
    answer = requests.post(url, data={**form, "resource": BANK}, auth=auth, timeout=10)
    assert unverified_claims(answer.json()["access_token"])["aud"] == BANK, answer.text
    answer = requests.post(url, data={**form, "resource": "urn:nothing"}, auth=auth, timeout=10)
    refused(answer, "invalid_target")


def test_a_client_registers_the_scopes_of_registered_resources_only(live_server):
    body = {"redirect_uris": ["https://portal.example/cb"], "scope": "openid payments"}
    answer = requests.post(live_server.url + "/register", json=body, timeout=10)
    if answer.status_code == 401:
        pytest.skip("this server's registration needs a token")
    assert answer.status_code == 201, answer.text
    body["scope"] = "openid transfers"
    assert requests.post(live_server.url + "/register", json=body, timeout=10).status_code == 400


def test_the_consent_page_names_the_api(live_server, factories, person):
    portal = portal_of(live_server, factories, first_party=False)
    url = portal.authorization_url(scope="openid payments") + "&" + urlencode({"resource": BANK})
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(url)
    assert BANK in page.text and "payments" in page.text
