"""Signing in with a social network in a real browser: the upstream is a second Passport."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..support.social import running_social


@pytest.fixture(scope="module")
def social(server_settings, backend, tmp_path_factory):
    with running_social(server_settings, backend, tmp_path_factory) as servers:
        yield servers


def test_sign_in_with_a_network_that_stays_the_last_way_in(social, page):
    person = social.upstream_factories.account(name="Анна Соколова")
    page.goto(social.passport.url + "/login")
    page.click("[data-network=upstream]")
    # At the upstream Passport: sign in there, allow the Passport under test.
    page.wait_for_url(social.upstream.url + "/login**")
    page.fill("#login", person.email)
    page.fill("#password", person.password)
    page.click("button[type=submit]")
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(social.passport.url + "/account")
    assert "Анна Соколова" in page.inner_text("h1")
    assert "Добро пожаловать" in page.inner_text("main")

    page.goto(social.passport.url + "/account/sessions")
    assert "Способ: Социальная сеть Upstream ID" in page.inner_text("li.session.current")

    # The network is a switch, on; it asks in a dialog, which Cancel closes.
    page.goto(social.passport.url + "/account/social")
    switch = page.locator("#switch-upstream")
    assert switch.get_attribute("role") == "switch"
    assert switch.get_attribute("aria-checked") == "true"
    dialog = page.locator("#dialog-upstream")
    assert not dialog.is_visible()
    switch.click()
    assert dialog.is_visible() and "Отвязать Upstream ID" in dialog.inner_text()
    dialog.locator("[data-close]").click()
    assert not dialog.is_visible()
    assert page.url == social.passport.url + "/account/social"

    # The Passport has no password: the only network cannot be unlinked.
    switch.click()
    dialog.locator("button[name=switch]").click()
    expect(page.locator("main")).to_contain_text("Сначала создайте пароль.")
    assert page.locator("#switch-upstream").get_attribute("aria-checked") == "true"
