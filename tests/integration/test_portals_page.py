"""The linked portals page: each portal by its logo, name and home page, the access it has in
words (as the consent page asked for it), first-party portals marked, in English and Russian."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from ..support.browser import Browser, Page
from ..support.devices import log_out_of_all_devices, sign_in_to_portal
from ..support.relying_party import RelyingParty

WORDS = {
    "en": {
        "email": "Your e-mail address",
        "phone": "Your phone number",
        "profile": "Your name and language",
        "openid": "Your Passport identifier",
        "offline": "Access while you are not signed in",
        "logo": "Logo of {}",
        "ours": "A service of this Passport",
        "home": "Home page:",
    },
    "ru": {
        "email": "Ваш e-mail",
        "phone": "Ваш номер телефона",
        "profile": "Ваше имя и язык",
        "openid": "Идентификатор вашего Паспорта",
        "offline": "Доступ, когда вы не в сети",
        "logo": "Логотип {}",
        "ours": "Сервис этого Паспорта",
        "home": "Сайт:",
    },
}


@dataclass
class PortalRow:
    client_id: str
    classes: list[str]
    text: str = ""
    logo: dict = field(default_factory=dict)
    links: list[dict] = field(default_factory=list)
    access: list[str] = field(default_factory=list)
    buttons: list[dict] = field(default_factory=list)


class _PortalsParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[PortalRow] = []
        self._depth = 0
        self._in_access = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "li" and "portal" in classes and not self._depth:
            self.rows.append(PortalRow(attrs.get("data-client", ""), classes))
            self._depth = 1
            return
        if not self._depth:
            return
        row = self.rows[-1]
        if tag == "li":
            self._depth += 1
            if self._in_access:
                row.access.append("")
        elif tag == "ul" and "access" in classes:
            self._in_access = True
        elif tag == "img":
            row.logo = attrs
        elif tag == "a":
            row.links.append(attrs)
        elif tag == "button":
            row.buttons.append(attrs)

    def handle_endtag(self, tag):
        if tag == "ul" and self._in_access:
            self._in_access = False
        elif tag == "li" and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if not self._depth:
            return
        row = self.rows[-1]
        row.text = " ".join((row.text + " " + data).split())
        if self._in_access and row.access and data.strip():
            row.access[-1] = " ".join((row.access[-1] + " " + data).split())


def portal_rows(page: Page) -> dict[str, PortalRow]:
    parser = _PortalsParser()
    parser.feed(page.html)
    return {row.client_id: row for row in parser.rows}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_each_portal_shows_its_logo_home_page_and_access_in_words(
    live_server, person, factories, language
):
    words = WORDS[language]
    shop = factories.client(
        client_name="Чайная <лавка>",
        logo_uri="https://cdn.tea.example/logo.png",
        client_uri="https://tea.example/shop",
    )
    plain = factories.client(logo_uri="http://127.0.0.1:9/logo.png")
    with Browser(live_server.url, accept_language=language) as browser:
        offline = sign_in_to_portal(
            browser, RelyingParty(live_server.url, shop), person, offline=True
        )
        RelyingParty(live_server.url, plain).sign_in(
            browser, person.email, person.password, scope="openid phone profile"
        )
        page = browser.get("/account/portals")
        assert page.status == 200
        rows = portal_rows(page)

        row = rows[shop.client_id]
        assert "Чайная <лавка>" in row.text
        assert row.logo["src"] == "https://cdn.tea.example/logo.png"
        assert row.logo["alt"] == words["logo"].format("Чайная <лавка>")
        assert row.logo["referrerpolicy"] == "no-referrer"
        assert f"{words['home']} tea.example" in row.text
        assert [a["href"] for a in row.links] == ["https://tea.example/shop"]
        assert row.access == [words["openid"], words["email"], words["offline"]]
        [revoke] = row.buttons
        assert "danger" in revoke["class"].split()
        assert words["ours"] not in row.text

        # A logo that is not https is not shown, as on the consent page; no home page, no link.
        other = rows[plain.client_id]
        assert other.logo == {} and other.links == []
        assert other.access == [words["openid"], words["phone"], words["profile"]]
        # The logos have ids of their own.
        assert page.html.count('id="portal-logo-') == 1

        # Logged out everywhere, the portal's offline tokens are dead: it no longer has
        # access while the person is away, though it stays allowed.
        log_out_of_all_devices(browser, include_current=True)
        assert offline.refresh_refused()
        browser.sign_in(person.email, person.password)
        rows = portal_rows(browser.get("/account/portals"))
        assert rows[shop.client_id].access == [words["openid"], words["email"]]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_first_party_portals_are_listed_and_marked(live_server, person, factories, language):
    words = WORDS[language]
    ours = factories.client(client_name="Passport Mail", first_party=True)
    never_used = factories.client(client_name="Passport Disk", first_party=True)
    with Browser(live_server.url, accept_language=language) as browser:
        RelyingParty(live_server.url, ours).sign_in(
            browser, person.email, person.password, scope="openid email offline_access"
        )
        rows = portal_rows(browser.get("/account/portals"))
    assert never_used.client_id not in rows
    row = rows[ours.client_id]
    assert "first-party" in row.classes
    assert words["ours"] in row.text
    assert row.access == [words["openid"], words["email"], words["offline"]]
    # Nobody was asked, so there is no permission to take back here.
    assert row.buttons == []
