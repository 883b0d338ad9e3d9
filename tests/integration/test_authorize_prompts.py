"""What a portal asks of the authorization endpoint with prompt and max_age (OIDC Core
§3.1.2.1), and what the endpoint answers to values it cannot take: an OAuth error sent back
to the portal, or an error page when the redirect URI is not known yet; never a 500."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from server import clock
from server.oauth.authorize import MAX_PARAMETER_LENGTH

from ..support.browser import Browser, Page
from ..support.relying_party import RelyingParty


def is_sign_in_page(page: Page) -> bool:
    return urlsplit(page.url).path == "/login" and "password" in page.form("login").fields


def is_consent_page(page: Page) -> bool:
    return any(name == "decision" for form in page.forms for name, _ in form.buttons)


@pytest.mark.parametrize("first_party", [False, True], ids=["consented-to", "first-party"])
def test_prompt_login_consent_asks_to_sign_in_and_then_for_consent(
    live_server, person, factories, first_party
):
    """Both are asked for, one after the other: the fresh sign-in does not stand in for the
    consent, even for a portal that needs none (first party) or has it already."""
    portal = RelyingParty(live_server.url, factories.client(first_party=first_party))
    with Browser(live_server.url) as browser:
        portal.authorize(browser, login=person.email, password=person.password)
        again = browser.open(portal.authorization_url())
        assert "code" in portal.callback_params(again)  # no page: nothing to ask
        clock.travel(60)

        page = browser.open(portal.authorization_url(prompt="login consent"))
        assert is_sign_in_page(page), page.text[:300]
        page = browser.submit(page, "password", login=person.email, password=person.password)
        assert is_consent_page(page), (page.status, page.url, page.text[:300])
        page = browser.submit(page, "decision", button="decision", decision="allow")

    claims = portal.verify_id_token(portal.exchange(portal.callback_params(page))["id_token"])
    assert claims["auth_time"] >= clock.timestamp() - 5  # the sign-in just made


def test_max_age_zero_asks_for_a_fresh_sign_in(live_server, person, factories):
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        clock.travel(60)
        page = browser.open(portal.authorization_url(max_age="0"))
        assert is_sign_in_page(page), page.text[:300]
        page = browser.submit(page, "password", login=person.email, password=person.password)
    claims = portal.verify_id_token(portal.exchange(portal.callback_params(page))["id_token"])
    assert claims["auth_time"] >= clock.timestamp() - 5


def oauth_error(portal: RelyingParty, page: Page) -> str:
    """The OAuth error of an answer: sent back to the portal with its state and our issuer
    (RFC 6749 §4.1.2.1, RFC 9207), or — when the redirect URI is not the portal's — shown
    on an error page."""
    assert page.status in (302, 400), (page.status, page.text[:300])
    if page.status == 400:
        return re.search(r'class="error-code">([a-z_]+)<', page.html).group(1)
    params = portal.callback_params(page)
    assert params["iss"] == portal.issuer and "code" not in params, params
    return params["error"]


def with_parameter(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != name] + [(name, value)]
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.mark.parametrize(("max_age", "asked"), [("600", False), ("599", True)])
def test_a_sign_in_exactly_max_age_old_is_still_young_enough(
    live_server, person, factories, max_age, asked
):
    """OIDC Core §3.1.2.1: re-authenticate when MORE than max_age seconds have passed."""
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    clock.freeze()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        clock.travel(600)
        page = browser.open(portal.authorization_url(max_age=max_age))
    if asked:
        assert is_sign_in_page(page), page.text[:300]
    else:
        assert "code" in portal.callback_params(page)


@pytest.mark.parametrize("max_age", ["-1", "-86400", "abc", "1.5", "1e3", "0x10", "NaN"])
@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "signed-out"])
def test_a_max_age_that_is_no_number_of_seconds_is_an_invalid_request(
    live_server, person, factories, max_age, signed_in
):
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        if signed_in:
            browser.sign_in(person.email, person.password)
        page = browser.open(portal.authorization_url(max_age=max_age))
    assert oauth_error(portal, page) == "invalid_request"
    assert portal.callback_params(page)["state"] == portal.state


@pytest.mark.parametrize("digits", [30, MAX_PARAMETER_LENGTH])
def test_a_huge_max_age_is_a_sign_in_of_any_age(live_server, person, factories, digits):
    """Any whole number of seconds is a max_age (OIDC Core §3.1.2.1), however large."""
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        clock.travel(3600)
        page = browser.open(portal.authorization_url(max_age="9" * digits))
    assert "code" in portal.callback_params(page)


# Each parameter one character longer than a parameter may be, and the error it gets: the
# redirect URI and the client are checked before anything is sent back to the portal, and
# a few values are refused for what they are before their length is looked at.
TOO_LONG = {
    "redirect_uri": "invalid_request",  # not this portal's: an error page
    "client_id": "invalid_client",  # no such portal: an error page
    "response_type": "unsupported_response_type",
    "scope": "invalid_scope",
    "state": "invalid_request",
    "nonce": "invalid_request",
    "code_challenge": "invalid_request",
    "max_age": "invalid_request",
    "prompt": "invalid_request",
    "login_hint": "invalid_request",
    "ui_locales": "invalid_request",
    "acr_values": "invalid_request",
    "id_token_hint": "invalid_request",
    "claims": "invalid_request",
    "unknown": "invalid_request",
}


@pytest.mark.parametrize("name", TOO_LONG)
def test_an_over_long_parameter_gets_an_oauth_error(live_server, person, factories, name):
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    value = ("9" if name == "max_age" else "a") * (MAX_PARAMETER_LENGTH + 1)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(with_parameter(portal.authorization_url(), name, value))
    assert oauth_error(portal, page) == TOO_LONG[name]


@pytest.mark.parametrize("length", [100, 101])
def test_an_over_long_parameter_name_gets_an_oauth_error(live_server, person, factories, length):
    """A name of 100 characters is an unknown parameter, ignored; one more is refused."""
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(with_parameter(portal.authorization_url(), "x" * length, "1"))
    if length > 100:
        assert oauth_error(portal, page) == "invalid_request"
    else:
        assert "code" in portal.callback_params(page)
