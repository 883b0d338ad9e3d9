"""response_mode=form_post in Chromium: the page posts itself to the portal under its own
Content-Security-Policy, and with JavaScript off the person presses its button."""

from __future__ import annotations

import pytest

from ..support.receiver import Receiver
from ..support.relying_party import RelyingParty


@pytest.fixture
def callback():
    with Receiver() as endpoint:
        yield endpoint


@pytest.fixture
def person(factories):
    return factories.account()


@pytest.fixture
def portal(live_server, factories, callback):
    client = factories.client(redirect_uri=callback.url + "/callback", first_party=True)
    return RelyingParty(live_server.url, client)


def sign_in_for(page, live_server, portal, person) -> None:
    page.goto(portal.authorization_url(response_mode="form_post"))
    page.wait_for_url(live_server.url + "/login?**")
    page.fill("#login", person.email)
    page.fill("#password", person.password)
    page.click("button[type=submit]")


def test_the_page_posts_the_code_to_the_portal(live_server, person, portal, callback, page):
    blocked = []
    page.on("console", lambda message: blocked.append(message.text))
    sign_in_for(page, live_server, portal, person)
    [arrived] = callback.wait_for(1, timeout=15)
    assert arrived.path == "/callback"
    assert arrived.content_type == "application/x-www-form-urlencoded"
    assert set(arrived.form) == {"code", "state", "iss"}
    assert arrived.form["state"] == portal.state and arrived.form["iss"] == live_server.url
    assert not [text for text in blocked if "Content Security Policy" in text], blocked
    assert portal.exchange(arrived.form)["id_token"]


def test_without_javascript_the_person_presses_continue(
    live_server, person, portal, callback, chromium
):
    context = chromium.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_for(page, live_server, portal, person)
        button = page.locator("#form-post button[type=submit]")
        button.wait_for()
        assert button.inner_text() == "Continue"
        assert "JavaScript is off" in page.locator("#form-post").inner_text()
        assert callback.snapshot() == []
        button.click()
        [arrived] = callback.wait_for(1, timeout=15)
        assert arrived.form["state"] == portal.state and arrived.form["code"]
    finally:
        context.close()
