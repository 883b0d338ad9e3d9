"""The main journeys in a real browser: sign up, single sign-on to a portal, change the password."""

from __future__ import annotations

import secrets

import pytest


@pytest.fixture
def portal_url(demo_portal, factories):
    url = demo_portal.url
    client = factories.client(
        redirect_uri=url + "/callback",
        first_party=True,
        post_logout_redirect_uris=[url + "/"],
        backchannel_logout_uri=url + "/backchannel-logout",
    )
    demo_portal.use_client(client.client_id, client.client_secret)
    return url


def test_sign_up_then_single_sign_on_to_a_portal(live_server, portal_url, page, tmp_path):
    email = f"e2e-{secrets.token_hex(4)}@example.org"
    password = "a long e2e passphrase"
    page.goto(live_server.url + "/signup")
    assert (
        page.locator("h1").inner_text() == "Создать Паспорт"
    )  # Russian, from the browser's locale
    page.fill("#login", email)
    page.fill("#name", "Мария Тестова")
    page.fill("#password", password)
    page.fill("#password_repeat", password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/account")
    assert "Мария Тестова" in page.inner_text("h1")

    # Already signed in to Passport: the portal signs in without asking again.
    page.goto(portal_url + "/")
    page.click("text=Sign in with Passport")
    page.wait_for_url(portal_url + "/")
    assert email in page.inner_text("#claims")
    page.screenshot(path=str(tmp_path / "portal.png"))

    # Signing out at the portal ends the Passport session too (RP-initiated logout).
    page.click("text=Sign out")
    page.wait_for_url(portal_url + "/")
    page.goto(live_server.url + "/account")
    assert "/login" in page.url


def test_change_the_password_in_the_browser(live_server, factories, page):
    person = factories.account()
    page.goto(live_server.url + "/login?ui_locales=en")
    page.fill("#login", person.email)
    page.fill("#password", person.password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/account")
    page.click("#block-password a.button")
    new = "a brand new passphrase"
    page.fill("#current", person.password)
    page.fill("#new", new)
    page.fill("#repeat", new)
    page.click("button[type=submit]")
    assert page.locator("#password-changed").is_visible()
    page.goto(live_server.url + "/account/sessions")
    assert page.locator("li.session.current").count() == 1
