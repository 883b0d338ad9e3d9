"""Every way a Passport form ends at a portal or a provider, in Chromium, under the page's
Content-Security-Policy: form-action 'self' plus, per page, the one origin its answer goes
to. Chromium checks each redirect after a form against it, so these journeys are what
shows the policy names everything a page needs, and nothing more (server/csp.py)."""

from __future__ import annotations

import re

import pytest

from ..support.browser import Browser
from ..support.social import running_social
from ..support.two_factor import next_step_code, turn_on
from .conftest import DemoPortal, serving

FORM_ACTION = re.compile(r"form-action ([^;]*)")


def form_action(response) -> list[str]:
    return FORM_ACTION.search(response.headers["content-security-policy"]).group(1).split()


@pytest.fixture
def portal(demo_portal, factories):
    """A first-party portal: no consent page, straight back after signing in."""
    return demo_portal.register_with(factories)


def sign_in_on_the_page(page, person) -> None:
    page.fill("#login", person.email)
    page.fill("#password", person.password)
    page.click("main form button[type=submit]")


def test_signing_in_from_a_portal_leads_back_to_it(live_server, portal, factories, page):
    person = factories.account(name="Вера Лебедева")
    page.goto(portal.url + "/")
    page.click("text=Sign in with Passport")
    page.wait_for_url(live_server.url + "/login**")
    answer = page.context.request.get(page.url)
    assert form_action(answer) == ["'self'", portal.url]

    sign_in_on_the_page(page, person)
    page.wait_for_url(portal.url + "/")
    assert "Вера Лебедева" in page.inner_text("#signed-in")


def test_the_second_step_leads_back_to_the_portal(live_server, portal, factories, page):
    person = factories.account(name="Глеб Орлов")
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _codes = turn_on(browser, person.password)
    page.goto(portal.url + "/")
    page.click("text=Sign in with Passport")
    sign_in_on_the_page(page, person)
    page.wait_for_url(live_server.url + "/login/second-step")
    page.fill("#code", next_step_code(totp))
    page.click("main form button[type=submit]")
    page.wait_for_url(portal.url + "/")
    assert "Глеб Орлов" in page.inner_text("#signed-in")


def test_confirming_a_logout_leads_to_the_portal(live_server, portal, factories, page):
    person = factories.account(name="Нина Котова")
    page.goto(portal.url + "/")
    page.click("text=Sign in with Passport")
    sign_in_on_the_page(page, person)
    page.wait_for_url(portal.url + "/")
    # Signed out of Passport and in again: the portal's ID token names an ended session.
    page.goto(live_server.url + "/logout")
    page.click("main form button[type=submit]")
    sign_in_on_the_page(page, person)
    page.wait_for_url(live_server.url + "/account")

    page.goto(portal.url + "/")
    page.click("text=Sign out")
    # The hint names another session: Passport asks first; the answer goes to the portal.
    page.wait_for_url(live_server.url + "/end-session**")
    page.click("button[name=confirm]")
    page.wait_for_url(portal.url + "/")
    page.goto(live_server.url + "/account")
    assert "/login" in page.url


@pytest.fixture(scope="module")
def social(server_settings, backend, tmp_path_factory):
    with running_social(server_settings, backend, tmp_path_factory) as servers:
        yield servers


@pytest.fixture
def social_portal(social):
    with serving(DemoPortal(social.passport.url)) as portal:
        yield portal.register_with(social.factories)


def through_the_upstream(page, social, person) -> None:
    """Sign in at the upstream Passport and allow the Passport under test there."""
    page.wait_for_url(social.upstream.url + "/login**")
    sign_in_on_the_page(page, person)
    page.click("button[name=decision][value=allow]")


def test_a_social_sign_in_from_a_portal_leads_back_to_it(social, social_portal, page):
    person = social.upstream_factories.account(name="Лидия Зуева")
    page.goto(social_portal.url + "/")
    page.click("text=Sign in with Passport")
    page.wait_for_url(social.passport.url + "/login**")
    page.click("[data-network=upstream]")
    # The upstream's consent form may lead only back to Passport's callback; from there
    # Passport goes on to the portal by a navigation of its own.
    through_the_upstream(page, social, person)
    page.wait_for_url(social_portal.url + "/")
    assert "Лидия Зуева" in page.inner_text("#signed-in")


def test_linking_a_network_from_the_passport_page(social, page):
    person = social.factories.account()
    upstream = social.upstream_factories.account(name="Тимур Белов")
    page.goto(social.passport.url + "/login")
    sign_in_on_the_page(page, person)
    page.wait_for_url(social.passport.url + "/account")
    page.goto(social.passport.url + "/account/social")
    page.click("#switch-upstream")  # the switch opens the dialog with the owner check
    page.fill("#dialog-upstream input[name=password]", person.password)
    page.click("#dialog-upstream button[type=submit]")
    through_the_upstream(page, social, upstream)
    page.wait_for_url(social.passport.url + "/account/social")
    assert "Upstream ID" in page.inner_text("main") and "Тимур Белов" in page.inner_text("main")
    assert page.get_attribute("#switch-upstream", "aria-checked") == "true"
