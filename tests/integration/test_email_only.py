"""A Passport of e-mail logins only (PHONE_LOGINS = false): no page speaks of phone logins.

A second server on the same database, with phone logins off, beside the usual one, so the
same pages can be read both ways.
"""

from __future__ import annotations

import secrets

import pytest

from server.web.formatting import phone_for_people

from ..conftest import LiveServer, build_app
from ..support.browser import Browser
from ..support.delivery import deliver
from ..support.mail import html_of, text_of
from ..support.social import signed_in_by_a_network

PHONE_WORDS = {"en": ("phone", "SMS", " code"), "ru": ("телефон", "SMS", " код")}
EMAIL_LABEL = '<label for="login">E-mail</label>'


@pytest.fixture(scope="module")
def email_only(server_settings):
    server = LiveServer(build_app, dict(server_settings, PHONE_LOGINS=False)).start()
    yield server
    server.stop()


def assert_no_phone(text: str, language: str) -> None:
    for word in PHONE_WORDS[language]:
        assert word not in text, (word, text[:400])


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("path", ["/login", "/signup", "/recover"])
def test_the_sign_in_pages_ask_for_an_e_mail(email_only, live_server, path, language):
    with Browser(email_only.url, accept_language=language) as browser:
        page = browser.get(path)
        assert page.status == 200 and EMAIL_LABEL in page.html
        assert_no_phone(page.text, language)
    # With phone logins on, the same page names both.
    with Browser(live_server.url, accept_language=language) as browser:
        page = browser.get(path)
        assert EMAIL_LABEL not in page.html
        assert PHONE_WORDS[language][0] in page.text


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Enter the e-mail of your Passport. We will send a link to set a new password."),
        ("ru", "Введите e-mail вашего Паспорта. Мы пришлём ссылку, чтобы задать новый пароль."),
    ],
)
def test_recovery_speaks_of_a_link_only(email_only, language, said):
    with Browser(email_only.url, accept_language=language) as browser:
        assert said in browser.get("/recover").text


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("en", "This Passport takes e-mail addresses only."),
        ("ru", "Этот Паспорт принимает только адреса электронной почты."),
    ],
)
def test_a_phone_number_is_refused_with_a_clear_message(email_only, factories, language, refusal):
    with Browser(email_only.url, accept_language=language) as browser:
        page = browser.submit(browser.get("/recover"), "login", login=factories.phone_number())
        assert page.status == 400 and refusal in page.text


def test_the_passport_page_offers_no_phone_change(email_only, factories):
    person = factories.account()
    with Browser(email_only.url) as browser:
        page = browser.sign_in(person.email, person.password)
        assert page.url.endswith("/account")
        assert 'id="block-phone"' not in page.html and "/account/phone" not in page.html
        assert_no_phone(page.text, "en")
        assert browser.get("/account/phone").status == 404
        assert browser.get("/account/phone/confirm").status == 404
        token = browser.get("/account/email").form("email").fields["csrf_token"]
        data = {"csrf_token": token, "phone": factories.phone_number(), "password": person.password}
        refused = browser.session.post(browser.url("/account/phone"), data=data, timeout=15)
        assert refused.status_code == 404


def test_a_number_kept_from_before_is_shown_but_not_offered_for_change(email_only, factories):
    person = factories.account(phone=factories.phone_number())
    with Browser(email_only.url) as browser:
        page = browser.sign_in(person.email, person.password)
        assert 'id="block-phone"' in page.html and phone_for_people(person.phone) in page.text
        assert "/account/phone" not in page.html


def test_a_new_password_is_said_to_sign_in_with_the_e_mail(email_only, live_server, mailbox):
    email = f"network-{secrets.token_hex(4)}@example.org"
    with signed_in_by_a_network(email_only, email) as browser:
        page = browser.get("/account/password")
        assert "With a password you can also sign in with your e-mail." in page.text
        assert_no_phone(page.text, "en")
        new = "my first real passphrase"
        assert 'id="password-changed"' in browser.submit(page, "new", new=new, repeat=new).html
    deliver(live_server)
    [message] = mailbox.wait_for(email)
    said = "you can now also sign in with your e-mail."
    assert said in text_of(message) and said in html_of(message)
    assert "phone" not in text_of(message)
