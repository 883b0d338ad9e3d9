"""The overview at the top of the Passport page (how safe the account is, and what to do),
and the sections beside every Passport page."""

from __future__ import annotations

import html
import re

import pytest

from server import clock

from ..support.browser import Browser, Page
from ..support.two_factor import next_step_code, turn_on


def check(page: Page, name: str) -> tuple[str, str]:
    """The state ("ok" or "warn") and the words of one line of the overview."""
    found = re.search(rf'<li id="check-{name}" class="(\w+)">(.*?)</li>', page.html, re.S)
    assert found, f"no {name} line in the overview"
    words = re.sub(r"<[^>]+>", "", found.group(2))
    return found.group(1), " ".join(html.unescape(words).split())


def verdict(page: Page) -> str:
    return re.search(r'id="overview-title">([^<]+)<', page.html).group(1)


def test_a_new_passport_is_told_what_to_do(live_server, factories):
    person = factories.account(phone="+79165554433")
    with Browser(live_server.url, accept_language="en") as browser:
        page = browser.sign_in(person.email, person.password)
        page = browser.get("/account")
        assert verdict(page) == "Your Passport could be safer"
        assert check(page, "password") == ("ok", "Password changed just now")
        assert check(page, "two-factor") == (
            "warn",
            "Two-factor authentication is off · Turn it on",
        )
        assert check(page, "email") == ("ok", f"E-mail {person.email} confirmed")
        assert check(page, "phone") == ("ok", "Phone +7 916 555-44-33 confirmed")
        assert check(page, "activity") == ("ok", "No failed sign-ins in the last 30 days")
        assert 'href="/account/sessions#end-all">Log out of all devices<' in page.html


def test_with_two_factor_and_a_quiet_month_it_is_well_protected(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="ru") as browser:
        browser.sign_in(person.email, person.password)
        totp, _codes = turn_on(browser, person.password)
    clock.travel(61 * 24 * 3600)
    with Browser(live_server.url, accept_language="ru") as browser:
        page = browser.sign_in(person.email, person.password)
        assert page.url.endswith("/login/second-step")
        browser.submit(page, "code", code=next_step_code(totp))
        page = browser.get("/account")
        assert verdict(page) == "Паспорт хорошо защищён"
        assert check(page, "password") == ("ok", "Пароль изменён 2 месяца назад")
        assert check(page, "two-factor")[0] == "ok"


def test_failed_sign_ins_and_an_old_password_are_flagged(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as elsewhere:
        elsewhere.sign_in(person.email, "not the password")
        elsewhere.sign_in(person.email, "not this either")
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        state, words = check(browser.get("/account"), "activity")
        assert state == "warn"
        assert words == "2 failed sign-ins or wrong codes in the last 30 days · See the activity"

        clock.travel(400 * 24 * 3600)  # past the month of the failures, and a year on
        browser.sign_in(person.email, person.password)
        page = browser.get("/account")
        assert check(page, "activity")[0] == "ok"
        assert check(page, "password") == ("warn", "Password changed 1 year ago · Change it")


CURRENT = re.compile(r'<nav class="sections"[^>]*>.*?aria-current="page">([^<]+)</a>', re.S)


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/account", "Overview"),
        ("/account/password", "Sign-in & security"),
        ("/account/2fa", "Sign-in & security"),
        ("/account/address", "Personal info"),
        ("/account/social", "Social networks"),
        ("/account/sessions", "Devices & sessions"),
        ("/account/portals", "Linked portals"),
        ("/account/activity", "Activity"),
    ],
)
def test_every_passport_page_shows_the_sections_and_which_is_open(
    live_server, factories, path, section
):
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        assert 'class="sections"' not in browser.get("/login").html
        browser.sign_in(person.email, person.password)
        page = browser.get(path)
        assert page.url.endswith(path)
        assert CURRENT.search(page.html).group(1) == section
        assert "/developers/clients" not in page.html  # not a developer
