"""Pages in Russian and English: ui_locales, then the remembered choice, then Accept-Language."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

from ..support.browser import Browser
from ..support.delivery import deliver
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


def test_switching_language_keeps_the_way_back_after_a_refused_sign_in(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        page = browser.get("/login?next=/account/sessions")
        page = browser.submit(page, "login", login=person.email, password="not the password")
        assert page.status == 400
        [russian] = re.findall(r'href="([^"]*ui_locales=ru[^"]*)"', page.html)
        page = browser.get(html.unescape(russian))
        assert "Вход в Паспорт" in page.text
        page = browser.submit(page, "login", login=person.email, password=person.password)
        assert page.url.endswith("/account/sessions")


def test_the_language_chosen_on_the_passport_page_is_the_language_of_the_mail(
    live_server, factories, mailbox
):
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account")
        assert '<option selected value="en">' in page.html
        page = browser.submit(page, "language", language="ru")
        assert '<html lang="ru">' in page.html and "Язык сохранён." in page.text
        assert "Язык сохранён." not in browser.get("/account").text  # shown once
        with Browser(live_server.url, accept_language="en") as elsewhere:
            # The stored language, not this browser's, on a device that never chose one.
            assert '<html lang="ru">' in elsewhere.sign_in(person.email, person.password).html
        page = browser.get("/account/password")
        new = "another long passphrase"
        browser.submit(page, "new", current=person.password, new=new, repeat=new)
    deliver(live_server)
    [message] = mailbox.wait_for(person.email)
    assert message["Subject"] == "Пароль вашего Паспорта изменён"


def test_a_language_without_pages_is_refused_with_a_message(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        page = browser.submit(browser.get("/account"), "language", language="de")
        assert page.url.endswith("/account") and "Not a valid choice" in page.text
        assert '<html lang="en">' in page.html


def test_a_consent_page_reached_by_a_post_keeps_its_request_in_the_language_link(
    live_server, factories
):
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client())
    query = dict(parse_qsl(urlsplit(portal.authorization_url(scope="openid email")).query))
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        answer = browser.session.post(
            live_server.url + "/authorize", data={**query, "decision": "allow"}, timeout=15
        )
        assert answer.status_code == 200 and 'name="decision"' in answer.text  # the consent
        [russian] = re.findall(r'href="([^"]*ui_locales=ru[^"]*)"', answer.text)
        carried = dict(parse_qsl(urlsplit(html.unescape(russian)).query))
        assert carried == {**query, "ui_locales": "ru"}  # the request, and no answer to it
