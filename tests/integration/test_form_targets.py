"""Where each page's forms may lead: the Content-Security-Policy form-action, over real HTTP.

Passport's own forms post to Passport ('self'); a page from which the authorization flow
answers a portal adds that portal's registered origin, for that response only. The browser
journeys in tests/e2e/test_form_targets.py show Chromium following exactly these policies.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode, urlsplit

import pytest

from ..support.browser import Browser
from ..support.devices import device, sign_in_to_portal
from ..support.relying_party import RelyingParty
from ..support.signup import sign_up, signup_link

PORTAL = "https://login.tea-shop.example:8443"
POLICY = re.compile(r"(?:^|;)\s*form-action ([^;]*)")


def form_action(page) -> list[str]:
    """The form-action sources of a page; the policy names the directive exactly once."""
    policy = page.response.headers["Content-Security-Policy"]
    [sources] = POLICY.findall(policy)
    return sources.split()


@pytest.fixture
def portal(live_server, factories) -> RelyingParty:
    client = factories.client(
        redirect_uri=PORTAL + "/callback",
        post_logout_redirect_uris=["https://tea-shop.example/bye"],
    )
    return RelyingParty(live_server.url, client)


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + "?" + parts.query


def test_passport_pages_post_only_to_passport(live_server, person, browser):
    for path in ("/login", "/signup", "/recover"):
        assert form_action(browser.get(path)) == ["'self'"], path
    browser.sign_in(person.email, person.password)
    for path in ("/account", "/account/email", "/account/social", "/account/sessions"):
        assert form_action(browser.get(path)) == ["'self'"], path


def test_pages_allow_no_inline_style_or_script(live_server, person, browser):
    """Styles and scripts come only from Passport's own files: an injected `<style>` or
    `style=` attribute does nothing (the browser check in tests/e2e/test_layout.py shows no
    page needs one)."""
    browser.sign_in(person.email, person.password)
    for path in ("/login", "/account", "/account/photo", "/developers"):
        policy = browser.get(path).response.headers["Content-Security-Policy"]
        assert "unsafe-" not in policy, path
        assert "style-src 'self';" in policy and "default-src 'self';" in policy, path


def test_sign_in_pages_of_an_authorization_request_add_exactly_the_portal(
    live_server, person, portal, browser
):
    page = browser.open(portal.authorization_url())
    assert urlsplit(page.url).path == "/login"
    assert form_action(page) == ["'self'", PORTAL]
    # Sign-up from there carries the request on, and so does a refused attempt.
    next_path = local(portal.authorization_url())
    assert form_action(browser.get("/signup?" + urlencode({"next": next_path}))) == [
        "'self'",
        PORTAL,
    ]
    refused = browser.submit(page, "login", login=person.email, password="not the password")
    assert refused.status == 400 and form_action(refused) == ["'self'", PORTAL]


def test_the_sign_in_page_of_a_pushed_request_adds_the_portal_it_names(
    live_server, factories, browser
):
    """RFC 9126: the redirect URI is in the pushed request alone, of a client that has
    registered more than one; another client's request_uri widens nothing."""
    client = factories.client(redirect_uri=PORTAL + "/callback")
    from server.extensions import db
    from server.models import Client
    from server.services.clients import update_client_metadata

    with live_server.app_context():
        stored = db.session.query(Client).filter_by(client_id=client.client_id).one()
        uris = [PORTAL + "/callback", "https://b.example/cb"]
        update_client_metadata(stored, {**client.metadata, "redirect_uris": uris})
    portal = RelyingParty(live_server.url, client)
    request_uri = portal.push().json()["request_uri"]
    page = browser.open(portal.pushed_url(request_uri))
    assert urlsplit(page.url).path == "/login"
    assert form_action(page) == ["'self'", PORTAL]
    other = RelyingParty(live_server.url, factories.client(redirect_uri="https://c.example/cb"))
    with Browser(live_server.url) as elsewhere:
        page = elsewhere.open(other.pushed_url(request_uri))  # refused: not its request
        assert form_action(page) == ["'self'"]


@pytest.mark.parametrize(
    "next_path",
    [
        # A redirect_uri the portal never registered, on the right path or not.
        "/authorize?client_id={client_id}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
        "/authorize?client_id={client_id}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb"
        "&redirect_uri=https%3A%2F%2Flogin.tea-shop.example%3A8443%2Fcallback",
        "/authorize?client_id=no-such-client&redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
        "/account?client_id={client_id}&redirect_uri=https%3A%2F%2Flogin.tea-shop.example%3A8443%2Fcallback",
        "//evil.example/authorize?client_id={client_id}",
    ],
)
def test_a_crafted_next_widens_nothing(live_server, portal, browser, next_path):
    target = next_path.format(client_id=portal.client.client_id)
    assert form_action(browser.get("/login?" + urlencode({"next": target}))) == ["'self'"]


def test_consent_adds_exactly_the_portal(live_server, person, portal, browser):
    browser.sign_in(person.email, person.password)
    page = browser.open(portal.authorization_url())
    assert page.status == 200 and page.form("decision")
    assert form_action(page) == ["'self'", PORTAL]
    # The next page of this browser asks nothing of the kind.
    assert form_action(browser.get("/account")) == ["'self'"]


def test_consent_of_a_native_app_adds_its_scheme(live_server, person, factories, browser):
    client = factories.client(
        public=True, application_type="native", redirect_uri="com.example.tea:/callback"
    )
    browser.sign_in(person.email, person.password)
    page = browser.open(RelyingParty(live_server.url, client).authorization_url())
    assert page.form("decision") and form_action(page) == ["'self'", "com.example.tea:"]


def test_the_second_step_keeps_the_portal(live_server, factories, portal):
    from ..support.two_factor import turn_on

    person = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        turn_on(browser, person.password)
    with Browser(live_server.url) as browser:
        page = browser.open(portal.authorization_url())
        page = browser.submit(page, "login", login=person.email, password=person.password)
        assert urlsplit(page.url).path == "/login/second-step"
        assert form_action(page) == ["'self'", PORTAL]


def test_logout_confirmation_adds_exactly_the_return_address(live_server, person, portal):
    with device(live_server.url) as browser:
        old = sign_in_to_portal(browser, portal, person)
        browser.submit(browser.get("/logout"), "csrf_token")
        sign_in_to_portal(browser, portal, person)
        query = urlencode(
            {
                "id_token_hint": old.values["id_token"],
                "post_logout_redirect_uri": "https://tea-shop.example/bye",
            }
        )
        page = browser.open("/end-session?" + query)
        assert page.form("confirm")
        assert form_action(page) == ["'self'", "https://tea-shop.example"]


def test_a_sign_up_being_confirmed_keeps_the_portal(live_server, portal, factories, mailbox):
    """The sign-up keeps `next` with itself: the page of the mailed link, and the page that
    takes the SMS code, both end at the portal after their form."""
    signup_path = "/signup?" + urlencode({"next": local(portal.authorization_url())})
    email = f"new-{secrets.token_hex(4)}@example.org"
    with Browser(live_server.url) as browser:
        sign_up(browser, email, path=signup_path)
        page = browser.open(signup_link(live_server, mailbox, email))
        assert page.form("csrf_token") and form_action(page) == ["'self'", PORTAL]
    with Browser(live_server.url) as browser:
        page = sign_up(browser, factories.phone_number(), path=signup_path)
        assert page.form("code") and form_action(page) == ["'self'", PORTAL]
