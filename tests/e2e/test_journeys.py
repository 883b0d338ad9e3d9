"""The main journeys in a real browser: sign up from a portal and confirm the address, single
sign-on to the portal, change the password."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from ..support.signup import signup_link


@pytest.fixture
def portal_url(demo_portal, factories):
    return demo_portal.register_with(factories).url


def test_sign_up_at_a_portal_confirm_by_mail_and_come_back_signed_in(
    live_server, portal_url, mailbox, page, tmp_path
):
    """A new person starts at the portal, creates a Passport on the way, confirms the
    address from the mail, and lands back at the portal signed in (single sign-on)."""
    email = f"e2e-{secrets.token_hex(4)}@example.org"
    password = "a long e2e passphrase"
    page.goto(portal_url + "/")
    page.click("text=Sign in with Passport")
    page.wait_for_url(live_server.url + "/login?**")
    page.click("text=Создайте его")
    assert (
        page.locator("h1").inner_text() == "Создать Паспорт"
    )  # Russian, from the browser's locale
    page.fill("#login", email)
    page.fill("#name", "Мария Тестова")
    page.fill("#password", password)
    page.fill("#password_repeat", password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/signup/confirm")
    assert "Проверьте почту" in page.inner_text("h1")
    assert email in page.inner_text("#signup-pending")

    # The link from the mail, in the browser that signed up: one button, no password.
    link = signup_link(live_server, mailbox, email)
    [message] = mailbox.messages_to(email)
    assert message["Content-Language"] == "ru"
    page.goto(link)
    page.click("#signup-confirm button[type=submit]")
    page.wait_for_url(portal_url + "/")
    assert email in page.inner_text("#claims")
    page.screenshot(path=str(tmp_path / "portal.png"))
    page.goto(live_server.url + "/account")
    assert "Мария Тестова" in page.inner_text("h1")

    # Signing out at the portal ends the Passport session too (RP-initiated logout).
    page.goto(portal_url + "/")
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
    expect(page.locator("#password-changed")).to_be_visible()
    page.goto(live_server.url + "/account/sessions")
    assert page.locator("li.session.current").count() == 1
