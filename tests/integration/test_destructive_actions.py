"""Actions that take something away look it, and say what they take, before they happen."""

from __future__ import annotations

import re

import pytest

from ..support.browser import Browser
from ..support.two_factor import turn_on


def button_class(html: str, form_action: str) -> str:
    form = re.search(rf'<form[^>]*action="{re.escape(form_action)}".*?</form>', html, re.S)
    return re.search(r'<button type="submit"[^>]*class="([^"]*)"', form.group(0)).group(1)


@pytest.mark.parametrize(
    ("language", "warning"),
    [
        ("en", "Without it, your password alone lets anyone who knows it into your Passport."),
        ("ru", "Без неё любой, кто знает ваш пароль, сможет войти в Паспорт."),
    ],
)
def test_turning_two_factor_off_looks_destructive_and_says_what_it_takes(
    live_server, factories, language, warning
):
    person = factories.account()
    with Browser(live_server.url, accept_language=language) as browser:
        browser.sign_in(person.email, person.password)
        turn_on(browser, person.password)
        page = browser.get("/account/2fa")
        assert button_class(page.html, "/account/2fa/disable") == "danger"
        assert warning in page.text
        assert button_class(page.html, "/account/2fa/recovery-codes") == ""
