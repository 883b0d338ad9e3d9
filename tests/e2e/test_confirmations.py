"""Destructive actions confirm in a dialog in Chromium: Cancel changes nothing, Continue
goes ahead. In both languages, on a phone's screen."""

from __future__ import annotations

import pytest

from ..support.browser import Browser

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
        page.wait_for_load_state()
        assert ENDED[language] in page.inner_text("main")
        assert page.locator("li.session").count() == 1
        assert elsewhere.get("/account").url.startswith(live_server.url + "/login")
    finally:
        context.close()
        elsewhere.session.close()
