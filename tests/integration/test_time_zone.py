"""The time zone on the Passport page: the pages' times follow it, portals get zoneinfo."""

from __future__ import annotations

import pytest

from ..support.browser import Browser
from ..support.relying_party import RelyingParty


def test_a_chosen_time_zone_reaches_the_portals_and_the_pages(live_server, factories):
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        assert "zoneinfo" not in portal.profile_of(browser)
        sessions = browser.get("/account/sessions").text
        assert "today at" in sessions or "minute" in sessions or "just now" in sessions
        page = browser.get("/account")
        assert 'id="block-time-zone"' in page.html
        assert "UTC+03:00 · Moscow (Europe/Moscow)" in page.text
        page = browser.submit(page, to="/account/time-zone", zoneinfo="Asia/Vladivostok")
        assert "The time zone has been saved." in page.text
        assert '<option selected value="Asia/Vladivostok">' in page.html
        assert portal.profile_of(browser)["zoneinfo"] == "Asia/Vladivostok"
        activity = browser.get("/account/activity").html
        assert "GMT+10" in activity or "+10" in activity


def test_the_zone_list_speaks_the_pages_language(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="ru") as browser:
        browser.sign_in(person.email, person.password)
        assert "UTC+03:00 · Москва (Europe/Moscow)" in browser.get("/account").text


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "US/Eastern", "../../etc/passwd"])
def test_a_zone_not_in_the_list_is_refused_and_nothing_changes(live_server, factories, zone):
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        page = browser.submit(browser.get("/account"), to="/account/time-zone", zoneinfo=zone)
        assert page.status == 200 and "Not a valid choice" in page.text
        assert '<option selected value="">' in page.html


def test_choosing_none_goes_back_to_utc(live_server, factories):
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        browser.submit(browser.get("/account"), to="/account/time-zone", zoneinfo="Europe/Moscow")
        page = browser.submit(browser.get("/account"), to="/account/time-zone", zoneinfo="")
        assert '<option selected value="">' in page.html
        assert "zoneinfo" not in portal.profile_of(browser)
