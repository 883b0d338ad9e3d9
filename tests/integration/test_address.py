"""The postal address (OIDC Core §5.1.1): set on the Passport page, released to portals for
the address scope (§5.4)."""

from __future__ import annotations

import pytest

from ..support.browser import Browser
from ..support.relying_party import RelyingParty

STREET = "Tverskaya 7, apt. 12\nEntrance 2"


@pytest.fixture
def address_portal(live_server, factories):
    client = factories.client(scope="openid email address")
    return RelyingParty(live_server.url, client, scope="openid address")


def set_address(browser: Browser, **parts) -> object:
    page = browser.get("/account/address")
    values = {"street_address": "", "locality": "", "region": "", "postal_code": "", "country": ""}
    return browser.submit(page, "locality", **{**values, **parts})


def test_the_person_sets_it_and_portals_with_the_scope_get_it(
    live_server, person, address_portal, factories
):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        assert "not set" in browser.get("/account").text
        page = set_address(
            browser,
            street_address=STREET,
            locality="Moscow",
            postal_code="125009",
            country="Russia",
        )
        assert page.url.endswith("/account") and "The address has been saved." in page.text
        assert "Tverskaya 7" in page.text
        assert "Postal address changed" in browser.get("/account/activity").text

        tokens = address_portal.sign_in(browser, person.email, person.password)
    expected = {
        "street_address": STREET,
        "locality": "Moscow",
        "postal_code": "125009",
        "country": "Russia",
        "formatted": STREET + "\n125009 Moscow\nRussia",
    }
    # OIDC Core §5.4: with an access token issued, the scope's claims come from userinfo.
    assert address_portal.userinfo(tokens["access_token"]).json()["address"] == expected

    # A portal not given the scope does not get it.
    other = RelyingParty(live_server.url, factories.client(), scope="openid email")
    with Browser(live_server.url) as browser:
        tokens = other.sign_in(browser, person.email, person.password)
    assert "address" not in other.userinfo(tokens["access_token"]).json()


def test_emptied_it_is_gone(live_server, person, address_portal):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        set_address(browser, locality="Kazan")
        set_address(browser)
        assert "Kazan" not in browser.get("/account").text
        tokens = address_portal.sign_in(browser, person.email, person.password)
    assert "address" not in address_portal.userinfo(tokens["access_token"]).json()


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"postal_code": "1" * 30}, "Field cannot be longer than 20 characters."),
        ({"locality": "Mos\u202ecow"}, "This part of the address is too long"),
    ],
)
def test_what_an_address_cannot_hold_is_refused_next_to_the_field(
    live_server, person, parts, message
):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = set_address(browser, **parts)
        assert page.status == 200 and message in page.text
        assert "The address has been saved." not in page.text


def test_the_page_in_russian(live_server, person):
    with Browser(live_server.url, accept_language="ru") as browser:
        browser.sign_in(person.email, person.password)
        assert "Почтовый адрес" in browser.get("/account").text
        page = browser.get("/account/address")
        assert "Почтовый адрес" in page.text and "Почтовый индекс" in page.text
        page = set_address(browser, locality="Казань")
        assert "Адрес сохранён." in page.text
