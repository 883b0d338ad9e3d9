"""Pages in Russian and English: ui_locales, then the remembered choice, then Accept-Language."""

from __future__ import annotations

from ..support.browser import Browser
from ..support.relying_party import RelyingParty


def test_accept_language_picks_the_language(live_server):
    with Browser(live_server.url, accept_language="ru-RU,ru;q=0.9,en;q=0.5") as browser:
        page = browser.get("/login")
        assert '<html lang="ru">' in page.html and "Вход в Паспорт" in page.text
    with Browser(live_server.url, accept_language="en-US,en;q=0.9") as browser:
        page = browser.get("/login")
        assert '<html lang="en">' in page.html and "Sign in to Passport" in page.text


def test_ui_locales_overrides_and_is_remembered(live_server):
    with Browser(live_server.url, accept_language="en") as browser:
        assert "Вход в Паспорт" in browser.get("/login?ui_locales=ru").text
        assert "Создать Паспорт" in browser.get("/signup").text


def test_ui_locales_of_the_authorization_request_reaches_the_login_page(live_server, factories):
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url, accept_language="en") as browser:
        page = browser.open(portal.authorization_url(ui_locales="ru en"))
        assert "Вход в Паспорт" in page.text


def test_wrong_password_message_in_russian(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="ru") as browser:
        page = browser.sign_in(person.email, "not the password")
        assert page.status == 400 and "Неверный логин или пароль." in page.text
