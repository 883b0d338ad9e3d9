"""The name on the Passport page: what portals get with the profile scope."""

from __future__ import annotations

import pytest

from server import clock

from ..support.browser import Browser
from ..support.relying_party import RelyingParty


def test_a_new_name_reaches_the_portals_with_a_new_updated_at(live_server, factories):
    person = factories.account(name="Olga Ivanova")
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        before = portal.profile_of(browser)
        assert before["name"] == "Olga Ivanova"
        clock.travel(60)
        page = browser.get("/account/name")
        page = browser.submit(page, "name", name="  Ольга   Петрова ")
        assert page.url.endswith("/account#personal") and "The name has been saved." in page.text
        assert "Ольга Петрова" in page.text
        after = portal.profile_of(browser)
        assert after["name"] == "Ольга Петрова" and after["updated_at"] > before["updated_at"]
        assert "Name changed" in browser.get("/account/activity").text


@pytest.mark.parametrize(
    ("language", "refused"),
    [
        ("en", "The name is too long or holds characters a name cannot."),
        ("ru", "Имя слишком длинное или содержит недопустимые символы."),
    ],
)
def test_a_name_with_control_characters_is_refused_at_its_field(
    live_server, factories, language, refused
):
    person = factories.account(name="Olga")
    with Browser(live_server.url, accept_language=language) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.submit(browser.get("/account/name"), "name", name="Olga\u202eavgI")
        assert page.status == 400 and refused in page.text
        assert 'aria-invalid="true"' in page.html
        assert "Olga" in browser.get("/account").text


def test_an_empty_name_removes_it(live_server, factories):
    person = factories.account(name="Olga")
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        page = browser.submit(browser.get("/account/name"), "name", name="   ")
        assert 'id="block-name"' in page.html and "Olga" not in page.text
