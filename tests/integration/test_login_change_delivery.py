"""How the confirmation of a new login is getting there, as the Passport page tells it.

The link (e-mail) or code (SMS) goes through the outbox; the page says whether it is being
sent, is late, was sent, or could not be delivered, and then offers to send it again. The
mail server here is the real SMTP fixture, stopped or refusing; the SMS gateway is the local
receiver answering errors. The worker runs in the test, and the clock moves past the
back-off and the give-up time instead of sleeping.
"""

from __future__ import annotations

import html
import re
import secrets

import pytest

from server import clock
from server.web.formatting import phone_for_people

from ..support.browser import Browser, Page
from ..support.delivery import deliver, outbox_rows, set_aside_pending
from ..support.mail import link_in
from ..support.receiver import sms_code

STATE = re.compile(r'id="(email|phone)-delivery" data-delivery="(\w+)"[^>]*>([^<]*)</p>')

LINK = {
    "en": {
        "sending": "We are sending the link to {}.",
        "delayed": "The link to {} has not been delivered yet; we keep trying.",
        "sent": "The link has been sent to {}. Check the inbox, and the spam folder.",
        "failed": "We could not deliver the link to {}. Check the address, or send the link again.",
        "again": "Send the link again",
        "resent": "We are sending it again.",
        "wait": "Please wait 60 seconds before asking again.",
    },
    "ru": {
        "sending": "Отправляем ссылку на {}.",
        "delayed": "Ссылка на {} пока не доставлена; пробуем ещё.",
        "sent": "Ссылка отправлена на {}. Проверьте входящие и папку «Спам».",
        "failed": "Не удалось доставить ссылку на {}. Проверьте адрес или отправьте ссылку ещё раз.",
        "again": "Отправить ссылку ещё раз",
        "resent": "Отправляем ещё раз.",
        "wait": "Подождите 60 с, прежде чем запрашивать снова.",
    },
}
CODE = {
    "en": {
        "sending": "We are sending the code to {}.",
        "delayed": "The code to {} has not been delivered yet; we keep trying.",
        "sent": "The code has been sent to {}.",
        "failed": "We could not deliver the code to {}. Check the number, or send the code again.",
        "again": "Send the code again",
    },
    "ru": {
        "sending": "Отправляем код на {}.",
        "delayed": "Код на {} пока не доставлен; пробуем ещё.",
        "sent": "Код отправлен на {}.",
        "failed": "Не удалось доставить код на {}. Проверьте номер или отправьте код ещё раз.",
        "again": "Отправить код ещё раз",
    },
}


@pytest.fixture(autouse=True)
def empty_outbox(live_server):
    set_aside_pending(live_server)


def delivery(page: Page, kind: str) -> tuple[str, str] | None:
    """The state the page shows for the pending change of `kind`, and its sentence."""
    for found_kind, state, sentence in STATE.findall(page.html):
        if found_kind == kind:
            return state, html.unescape(sentence).strip()
    return None


def told(texts: dict, state: str, value: str) -> tuple[str, str]:
    return state, texts[state].format(value)


def past_the_give_up(live_server, setting: str) -> None:
    """Move the clock past the give-up time of a confirmation: half its life."""
    clock.travel(live_server.app.config[setting] // 2 + 1)


def ask_for_email(browser: Browser, person, new_email: str) -> Page:
    page = browser.get("/account/email")
    return browser.submit(page, "email", email=new_email, password=person.password)


def new_address() -> str:
    return f"moved-{secrets.token_hex(4)}@example.org"


def test_the_page_follows_a_link_while_the_mail_server_is_down(live_server, person, mailbox):
    new_email, texts = new_address(), LINK["en"]
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        with mailbox.stopped():
            page = ask_for_email(browser, person, new_email)
            assert f"We are sending a confirmation link to {new_email}." in page.text
            assert delivery(page, "email") == told(texts, "sending", new_email)
            deliver(live_server)  # the server is down: the attempt fails and waits its turn
            page = browser.get("/account")
            assert delivery(page, "email") == told(texts, "delayed", new_email)
            assert texts["again"] not in page.text  # nothing to do but wait
            assert delivery(browser.get("/account/email"), "email")[0] == "delayed"

        clock.travel(60)  # past the back-off, with the server up again
        deliver(live_server)
        [message] = mailbox.wait_for(new_email)
        assert delivery(browser.get("/account"), "email") == told(texts, "sent", new_email)
        page = browser.submit(browser.open(link_in(message)), "csrf_token")
        assert "Login confirmed" in page.text and delivery(page, "email") is None


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_link_never_delivered_is_told_and_sent_again(live_server, person, mailbox, language):
    new_email, texts = new_address(), LINK[language]
    with Browser(live_server.url, accept_language=language) as browser:
        browser.sign_in(person.email, person.password)
        with mailbox.stopped():
            ask_for_email(browser, person, new_email)
            deliver(live_server)
            past_the_give_up(live_server, "EMAIL_LINK_LIFETIME")
            deliver(live_server)
            [given_up] = outbox_rows(live_server, target=new_email)
            assert given_up.status == "failed" and given_up.attempts == 2

            page = browser.get("/account")
            assert delivery(page, "email") == told(texts, "failed", new_email)
            assert page.form("verification").fields["kind"] == "email"
            assert texts["again"] in page.text

            page = browser.submit(page, "verification")
            assert page.url.endswith("/account/email") and texts["resent"] in page.text
            assert delivery(page, "email") == told(texts, "sending", new_email)
            # The wait between two sends holds for this button too.
            page = browser.submit(page, "verification")
            assert texts["wait"] in page.text
            assert len(outbox_rows(live_server, target=new_email)) == 2

        deliver(live_server)
        [message] = mailbox.wait_for(new_email)
        assert delivery(browser.get("/account/email"), "email") == told(texts, "sent", new_email)
        browser.submit(browser.open(link_in(message)), "csrf_token")
        assert new_email in browser.get("/account").text


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_code_the_gateway_never_took_is_told_and_sent_again(
    live_server, person, factories, sms_gateway, language
):
    number, texts = factories.phone_number(), CODE[language]
    with Browser(live_server.url, accept_language=language) as browser:
        browser.sign_in(person.email, person.password)
        sms_gateway.fail_first(1000, 503)
        try:
            page = browser.get("/account/phone")
            page = browser.submit(page, "phone", phone=number, password=person.password)
            assert page.url.endswith("/account/phone/confirm")
            assert delivery(page, "phone") == told(texts, "sending", number)
            deliver(live_server)
            page = browser.get("/account/phone/confirm")
            assert delivery(page, "phone") == told(texts, "delayed", number)
            past_the_give_up(live_server, "SMS_CODE_LIFETIME")
            deliver(live_server)
        finally:
            sms_gateway.fail_first(0)

        page = browser.get("/account")
        assert delivery(page, "phone") == told(texts, "failed", number)
        assert texts["again"] in page.text
        page = browser.submit(page, "verification")
        assert page.url.endswith("/account/phone/confirm")
        assert delivery(page, "phone") == told(texts, "sending", number)
        deliver(live_server)
        page = browser.get("/account/phone/confirm")
        assert delivery(page, "phone") == told(texts, "sent", number)
        page = browser.submit(page, "code", code=sms_code(sms_gateway, number))
        assert page.url.endswith("/account") and phone_for_people(number) in page.text


@pytest.mark.parametrize(
    ("reply", "state", "finally_"),
    [
        ("550 5.1.1 No such mailbox here", "failed", "failed"),
        ("451 4.7.1 Greylisted, please try again later", "delayed", "delivered"),
    ],
)
def test_a_refused_recipient_is_given_up_only_for_good(
    live_server, person, mailbox, reply, state, finally_
):
    """RFC 5321 §4.2.1: a 5yz reply to RCPT refuses for good, and the page says so at once;
    a 4yz one (greylisting, a full mailbox) puts off, and the link is tried again."""
    new_email = new_address()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        with mailbox.refusing(reply):
            ask_for_email(browser, person, new_email)
            deliver(live_server)
        page = browser.get("/account/email")
        assert delivery(page, "email") == told(LINK["en"], state, new_email)
    clock.travel(60)
    deliver(live_server)
    [message] = outbox_rows(live_server, target=new_email)
    assert message.status == finally_ and len(mailbox.messages_to(new_email)) == (
        finally_ == "delivered"
    )


@pytest.mark.parametrize("language", ["en", "ru"])
def test_asking_for_the_code_again_too_soon_stays_on_the_code_page(
    live_server, person, factories, sms_gateway, language
):
    number = factories.phone_number()
    with Browser(live_server.url, accept_language=language) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/phone")
        page = browser.submit(page, "phone", phone=number, password=person.password)
        deliver(live_server)
        page = browser.submit(page, to="/account/login-change/resend")  # at once
        assert page.url.endswith("/account/phone/confirm")
        assert LINK[language]["wait"] in page.text
        assert 'name="code"' in page.html
        page = browser.submit(page, "code", code=sms_code(sms_gateway, number))
        assert page.url.endswith("/account") and phone_for_people(number) in page.text
