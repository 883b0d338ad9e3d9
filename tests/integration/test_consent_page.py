"""The consent page over real HTTP, in Russian: who asks, and where the answer goes."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

from ..support.browser import Browser, Page
from ..support.relying_party import RelyingParty

RUSSIAN = "ru-RU,ru;q=0.9,en;q=0.5"


def tag(page: Page, name: str, element_id: str) -> dict[str, str] | None:
    """The attributes of the <name id=element_id> tag, unescaped; None when it is absent."""
    found = re.search(rf'<{name}\b[^>]*\bid="{element_id}"[^>]*>', page.html)
    if not found:
        return None
    pairs = re.findall(r'([a-z-]+)="([^"]*)"', found.group(0))
    return {key: html.unescape(value) for key, value in pairs}


def inner(page: Page, element_id: str) -> str | None:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page.html, re.S)
    return found.group(1) if found else None


def consent_page(live_server, person, client) -> tuple[Browser, RelyingParty, Page]:
    portal = RelyingParty(live_server.url, client)
    browser = Browser(live_server.url, accept_language=RUSSIAN)
    browser.sign_in(person.email, person.password)
    page = browser.open(portal.authorization_url())
    assert page.status == 200 and 'name="decision"' in page.html, page.text[:300]
    return browser, portal, page


def test_consent_page_shows_name_logo_home_page_and_the_return_host(live_server, person, factories):
    client = factories.client(
        client_name="Чайная <лавка> & Co",
        redirect_uri="https://login.tea-shop.example:8443/callback",
        logo_uri="https://cdn.tea-shop.example/logo.png?size=64&v=2",
        client_uri="https://tea-shop.example/about",
    )
    browser, portal, page = consent_page(live_server, person, client)
    with browser:
        assert '<html lang="ru">' in page.html
        # The name, escaped wherever it appears: the heading and the logo's alt text.
        assert "Чайная <лавка> & Co хочет использовать ваш Паспорт" in page.text
        assert "<лавка>" not in page.html and "&lt;лавка&gt; &amp; Co" in page.html
        logo = tag(page, "img", "portal-logo")
        assert logo["src"] == "https://cdn.tea-shop.example/logo.png?size=64&v=2"
        assert logo["alt"] == "Логотип Чайная <лавка> & Co"
        assert logo["width"] == logo["height"] == "64"
        assert logo["referrerpolicy"] == "no-referrer"
        # The CSP lets the logo load, from https only.
        policy = page.response.headers["Content-Security-Policy"]
        img_src = re.search(r"img-src ([^;]*)", policy).group(1).split()
        assert "https:" in img_src and "http:" not in img_src and "*" not in img_src

        home = tag(page, "a", "portal-home-link")
        assert home["href"] == "https://tea-shop.example/about"
        assert home["rel"] == "noopener noreferrer"
        assert inner(page, "portal-home-link") == "tea-shop.example"
        assert "Сайт: tea-shop.example" in page.text

        assert inner(page, "return-host") == "login.tea-shop.example:8443"
        assert "вы вернётесь на login.tea-shop.example:8443" in page.text

        # The page is a plain form: allowing sends the person to that very host.
        allowed = portal.walk(browser, page, consent=True)
        location = urlsplit(allowed.response.headers["Location"])
        assert location.netloc == "login.tea-shop.example:8443" and "code=" in location.query


def test_consent_page_without_logo_or_home_page(live_server, person, factories):
    # http on a loopback host is a valid logo for development, but the page's CSP would block
    # it: the page shows no broken image, and the name alone.
    client = factories.client(
        client_name="Local portal", logo_uri="http://127.0.0.1:9/logo.png", client_uri=None
    )
    browser, _, page = consent_page(live_server, person, client)
    with browser:
        assert "Local portal хочет использовать ваш Паспорт" in page.text
        assert "<img" not in page.html and tag(page, "a", "portal-home-link") is None
        assert inner(page, "return-host") == "127.0.0.1:9"


def test_consent_page_names_the_app_a_native_client_returns_to(live_server, person, factories):
    client = factories.client(
        client_name="Tea app",
        public=True,
        application_type="native",
        redirect_uri="com.example.tea:/callback",
    )
    browser, _, page = consent_page(live_server, person, client)
    with browser:
        assert inner(page, "return-host") == "com.example.tea"
        assert "вы вернётесь в приложение com.example.tea" in page.text


def test_a_decision_only_counts_when_posted(live_server, person, factories):
    """The consent form posts; the same fields in the body of a GET (a link, an image, a
    redirect can make one) are no decision, even with the form's token."""
    browser, portal, page = consent_page(live_server, person, factories.client())
    form = page.form("decision")
    fields = {**dict(form.fields), "decision": "allow"}
    response = browser.session.get(page.url, data=fields, allow_redirects=False, timeout=15)
    assert response.status_code == 200 and 'name="decision"' in response.text
    allowed = browser.session.post(
        browser.url(form.action), data=fields, allow_redirects=False, timeout=15
    )
    assert allowed.status_code in (302, 303) and "code=" in allowed.headers["Location"]
    browser.session.close()


def test_a_decision_made_after_the_sign_in_ended_is_not_carried_to_the_sign_in(
    live_server, person, factories
):
    """The sign-in ended while the consent page was open: the person signs in again and
    comes back to the question, not to an answer the old page gave (nor its form token)."""
    from urllib.parse import parse_qs

    from server import clock

    browser, portal, page = consent_page(live_server, person, factories.client())
    form = page.form("decision")
    clock.travel(live_server.app.config["SESSION_IDLE_TIMEOUT"] + 1)
    response = browser.session.post(
        browser.url(form.action),
        data={**dict(form.fields), "decision": "allow"},
        allow_redirects=False,
        timeout=15,
    )
    assert response.status_code in (302, 303)
    login = urlsplit(response.headers["Location"])
    assert login.path == "/login"
    back = urlsplit(parse_qs(login.query)["next"][0])
    assert back.path == "/authorize"
    carried = parse_qs(back.query)
    assert carried["client_id"] == [portal.client.client_id]
    assert "decision" not in carried and "csrf_token" not in carried
    browser.session.close()


def test_switch_account_asks_the_same_with_a_fresh_sign_in(live_server, person, factories):
    """ "Not you?" repeats the request as it came, its prompt values and login, no more."""
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        asked = portal.authorization_url(prompt="consent")
        page = browser.open(asked)
        assert 'name="decision"' in page.html, page.text[:300]
    link = urlsplit(tag(page, "a", "switch-account")["href"])
    assert link.path == "/authorize"
    again = dict(parse_qsl(link.query))
    assert again.pop("prompt") == "consent login"
    original = dict(parse_qsl(urlsplit(asked).query))
    original.pop("prompt")
    assert again == original
