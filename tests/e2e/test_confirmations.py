"""Destructive actions confirm in a dialog in Chromium: Cancel changes nothing, Continue
goes ahead. In both languages, on a phone's screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..support import two_factor
from ..support.browser import Browser
from ..support.relying_party import RelyingParty

QUESTION = {
    "en": "Log out of all devices? Every portal you use on them will sign you out too.",
    "ru": "Выйти на всех устройствах? Порталы, которыми вы пользуетесь на них, тоже выведут вас.",
}
ENDED = {"en": "Other sessions ended: 1.", "ru": "Завершено других сеансов: 1."}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_logging_out_of_all_devices_asks_first(live_server, factories, chromium, language):
    person = factories.account()
    elsewhere = Browser(live_server.url)
    elsewhere.sign_in(person.email, person.password)
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login?ui_locales={language}")
        page.fill("#login", person.email)
        page.fill("#password", person.password)
        page.click("button[type=submit]")
        page.wait_for_url(live_server.url + "/account")
        page.goto(live_server.url + "/account/sessions")
        assert page.locator("li.session").count() == 2

        page.click("#end-all button[type=submit]")
        dialog = page.locator("#confirm-dialog")
        assert dialog.is_visible() and dialog.inner_text().startswith(QUESTION[language])
        dialog.locator("[data-close]").click()
        assert not dialog.is_visible()
        page.reload()
        assert page.locator("li.session").count() == 2  # Cancel ended nothing

        page.click("#end-all button[type=submit]")
        dialog.locator("[data-confirm-yes]").click()
        expect(page.locator("main")).to_contain_text(ENDED[language])
        expect(page.locator("li.session")).to_have_count(1)
        assert elsewhere.get("/account").url.startswith(live_server.url + "/login")
    finally:
        context.close()
        elsewhere.session.close()


def in_chromium(chromium, browser: Browser, base_url: str):
    """A Chromium page signed in as `browser` is: its cookies carried over."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies(
        [
            {"name": c.name, "value": c.value, "url": base_url}
            for c in browser.session.cookies
            if c.value is not None
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_turning_two_factor_off_asks_first(live_server, factories, chromium):
    person = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _codes = two_factor.turn_on(browser, person.password)
        context, page = in_chromium(chromium, browser, live_server.url)
    try:
        page.goto(live_server.url + "/account/2fa?ui_locales=en")
        form = page.locator("form[action='/account/2fa/disable']")
        form.locator("input[name=password]").fill(person.password)
        form.locator("input[name=code]").fill(two_factor.next_step_code(totp))
        form.locator("button[type=submit]").click()
        dialog = page.locator("#confirm-dialog")
        assert dialog.is_visible() and "Turn off two-factor authentication?" in dialog.inner_text()
        dialog.locator("[data-close]").click()
        page.reload()
        assert page.locator("#two-factor-on").is_visible()  # Cancel: still on

        form.locator("input[name=password]").fill(person.password)
        form.locator("input[name=code]").fill(two_factor.next_step_code(totp))
        form.locator("button[type=submit]").click()
        dialog.locator("[data-confirm-yes]").click()
        page.wait_for_selector("#two-factor-off")
    finally:
        context.close()


def test_revoking_a_portal_asks_first(live_server, factories, chromium):
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client(client_name="Книжный магазин"))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        portal.exchange(portal.authorize(browser))
        context, page = in_chromium(chromium, browser, live_server.url)
    try:
        page.goto(live_server.url + "/account/portals?ui_locales=ru")
        page.click("li.portal form button[type=submit]")
        dialog = page.locator("#confirm-dialog")
        assert "Отозвать доступ у портала Книжный магазин?" in dialog.inner_text()
        dialog.locator("[data-close]").click()
        page.reload()
        assert page.locator("li.portal").count() == 1
        page.click("li.portal form button[type=submit]")
        dialog.locator("[data-confirm-yes]").click()
        expect(page.locator("li.portal form")).to_have_count(0)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_deleting_the_passport_asks_first(live_server, factories, chromium, language):
    words = {
        "en": ("Delete your Passport for good?", "Your Passport has been deleted"),
        "ru": ("Удалить Паспорт навсегда?", "Ваш Паспорт удалён"),
    }
    question, deleted = words[language]
    person = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        context, page = in_chromium(chromium, browser, live_server.url)
    try:
        page.goto(f"{live_server.url}/account/data?ui_locales={language}")
        page.fill("#delete-password", person.password)
        page.check("#delete-understood")
        page.click("#delete button[type=submit]")
        dialog = page.locator("#confirm-dialog")
        expect(dialog).to_be_visible()
        assert dialog.inner_text().startswith(question)
        dialog.locator("[data-close]").click()
        expect(dialog).to_be_hidden()
        page.goto(live_server.url + "/account/data")  # Cancel deleted nothing
        expect(page.locator("#delete-password")).to_be_visible()

        page.fill("#delete-password", person.password)
        page.check("#delete-understood")
        page.click("#delete button[type=submit]")
        dialog.locator("[data-confirm-yes]").click()
        expect(page.locator("#passport-deleted")).to_have_text(deleted)
    finally:
        context.close()
