"""Signing up over real HTTP: the login counts only once its link or code is confirmed.

A sign-up claims nothing until then (invariants 3 and 4): whoever signs up with another
person's address keeps nobody out of it. Mail arrives at a real SMTP server (aiosmtpd), SMS
at a local gateway; the clock moves instead of anything sleeping.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading

import pytest
import requests
from sqlalchemy import func, select

from server import clock
from server.extensions import db
from server.models import Account, AuditEvent, Verification
from server.services import retention

from ..support.browser import Browser, Page
from ..support.delivery import deliver
from ..support.devices import signed_in
from ..support.receiver import sms_code
from ..support.relying_party import RelyingParty
from ..support.signup import (
    PASSWORD,
    enter_code,
    follow_link,
    sign_up,
    sign_up_confirmed,
    signup_link,
)


def unique_email(prefix: str = "person") -> str:
    return f"{prefix}-{secrets.token_hex(4)}@example.org"


def accounts_with(live_server, **where) -> list[Account]:
    with live_server.app_context():
        query = select(Account)
        for name, value in where.items():
            query = query.where(getattr(Account, name) == value)
        rows = list(db.session.execute(query).scalars())
        db.session.expunge_all()
        return rows


def sign_ups_of(live_server, target: str) -> list[Verification]:
    with live_server.app_context():
        rows = list(
            db.session.execute(
                select(Verification)
                .where(Verification.purpose == "signup", Verification.target == target)
                .order_by(Verification.id)
            ).scalars()
        )
        db.session.expunge_all()
        return rows


def flashes(page: Page, category: str = "error") -> list[str]:
    found = re.findall(rf'<p class="flash {category}"[^>]*>(.*?)</p>', page.html)
    return [html.unescape(m) for m in found]


def test_an_email_sign_up_counts_once_its_link_is_followed(live_server, browser, mailbox):
    email = unique_email()
    page = sign_up(browser, email.upper(), name="Anna Petrova")
    assert page.status == 200 and page.url.endswith("/signup/confirm"), page.text[:300]
    assert f"We sent a link to {email}; open it to finish creating your Passport." in page.text
    assert not signed_in(browser)
    assert accounts_with(live_server, email=email) == []
    [pending] = sign_ups_of(live_server, email)
    assert pending.account_id is None and pending.password_hash.startswith("$argon2id$")
    assert PASSWORD not in pending.password_hash

    link = signup_link(live_server, mailbox, email)
    [message] = mailbox.messages_to(email)
    assert message["Subject"] == "Confirm your e-mail to finish creating your Passport"
    # Opening the link (as a mail scanner does) creates nothing: the button does.
    page = browser.open(link)
    assert page.status == 200 and f"confirm {email} and create your Passport" in page.text
    assert 'name="password"' not in page.html  # the browser that signed up is not asked
    assert accounts_with(live_server, email=email) == []

    page = browser.submit(page, "csrf_token")
    assert page.status == 200 and page.url.endswith("/account"), page.text[:300]
    assert "Welcome! Your Passport is ready." in page.text
    assert signed_in(browser)
    [account] = accounts_with(live_server, email=email)
    assert account.email_verified and account.name == "Anna Petrova" and account.locale == "en"
    assert account.password_hash == pending.password_hash
    with live_server.app_context():
        kinds = db.session.execute(
            select(AuditEvent.kind, AuditEvent.details).where(AuditEvent.account_id == account.id)
        ).all()
    assert ("account_created", {"identifier": "email"}) in [tuple(k) for k in kinds]

    # The link works once.
    with Browser(live_server.url) as other:
        again = other.open(link)
        assert again.status == 400 and "expired or was already used" in again.text
    with Browser(live_server.url) as other:
        assert other.sign_in(email, PASSWORD).url.endswith("/account")


def test_a_squatter_keeps_nobody_out_and_the_owner_who_confirms_gets_the_address(
    live_server, mailbox
):
    """A signs up with B's address and never confirms (A cannot: the link goes to B).
    B signs up with it too, confirms from B's mailbox and owns it. A's link, followed
    later, says clearly that the address is taken; A's password opens nothing."""
    owner_email = unique_email("owner")
    squatter_password, owner_password = "the squatter's phrase", "the owner's own phrase"
    with Browser(live_server.url) as squatter:
        page = sign_up(squatter, owner_email, squatter_password)
        assert page.url.endswith("/signup/confirm"), page.text[:300]
        squatters_link = signup_link(live_server, mailbox, owner_email)

        with Browser(live_server.url) as owner:
            page = sign_up(owner, owner_email, owner_password)
            assert page.url.endswith("/signup/confirm"), page.text[:300]
            owners_link = signup_link(live_server, mailbox, owner_email, count=2)
            assert owners_link != squatters_link
            page = follow_link(owner, owners_link)
            assert page.url.endswith("/account"), page.text[:300]
        [account] = accounts_with(live_server, email=owner_email)
        assert account.email_verified

        # The squatter's link, opened later: a clear message, no 500, no second account.
        with Browser(live_server.url) as later:
            page = later.open(squatters_link)
            assert page.status == 400
            assert flashes(page) == ["A user with this e-mail already exists"]
            assert not any(f.method == "post" for f in page.forms)
        assert len(accounts_with(live_server, email=owner_email)) == 1
        # The squatter's browser still has its sign-up in the cookie: nothing comes of it,
        # and no more mail goes to the owner.
        page = squatter.get("/signup/confirm")
        assert page.url.endswith("/signup"), page.url
        assert flashes(page) == ["A user with this e-mail already exists"]
        page = squatter.sign_in(owner_email, squatter_password)
        assert page.status == 400 and flashes(page) == ["Wrong login or password."]
    with Browser(live_server.url) as owner:
        assert owner.sign_in(owner_email, owner_password).url.endswith("/account")


def test_the_link_in_another_browser_asks_for_the_password(live_server, mailbox):
    """Whoever follows the link where the password was not typed gives it: the owner of a
    mailbox who follows a stranger's link cannot make a Passport the stranger can open."""
    email = unique_email()
    with Browser(live_server.url) as signing_up:
        sign_up(signing_up, email)
    link = signup_link(live_server, mailbox, email)
    with Browser(live_server.url) as phone:
        page = phone.open(link)
        assert 'name="password"' in page.html
        assert "enter the password you chose then" in page.text
        page = follow_link(phone, link, password="not the password")
        assert page.status == 400
        assert flashes(page) == ["This is not the password you chose when you signed up."]
        assert accounts_with(live_server, email=email) == []
        page = follow_link(phone, link, password=PASSWORD)
        assert page.url.endswith("/account"), page.text[:300]
        assert signed_in(phone)
    assert len(accounts_with(live_server, email=email)) == 1


def test_a_sign_up_expires_and_is_pruned(live_server, browser, mailbox):
    email = unique_email()
    sign_up(browser, email)
    link = signup_link(live_server, mailbox, email)
    config = live_server.app.config
    clock.travel(config["EMAIL_LINK_LIFETIME"] + 1)

    page = browser.open(link)
    assert page.status == 400 and "expired" in page.text
    assert accounts_with(live_server, email=email) == []
    # The waiting page has nothing to wait for; sign-in knows no such login.
    page = browser.get("/signup/confirm")
    assert page.url.endswith("/signup") and "expired" in page.text
    page = browser.sign_in(email, PASSWORD)
    assert page.status == 400 and flashes(page) == ["Wrong login or password."]

    clock.travel(config["RETENTION_GRACE"])
    with live_server.app_context():
        assert retention.prune()["verifications"] >= 1
    assert sign_ups_of(live_server, email) == []
    # The address was never taken: signing up again works.
    page = sign_up_confirmed(browser, live_server, mailbox, email)
    assert page.url.endswith("/account"), page.text[:300]


def test_resend_waits_for_the_cool_down_and_the_new_link_replaces_the_old(
    live_server, browser, mailbox
):
    email = unique_email()
    page = sign_up(browser, email)
    first = signup_link(live_server, mailbox, email)
    page = browser.submit(page, "csrf_token", button=None)  # the first form: the resend button
    assert page.url.endswith("/signup/confirm")
    [wait] = flashes(page)
    assert re.fullmatch(r"Please wait \d+ seconds before asking again\.", wait), wait

    clock.travel(live_server.app.config["RESEND_COOLDOWN"] + 1)
    page = browser.submit(browser.get("/signup/confirm"), "csrf_token")
    assert flashes(page, "success") == ["Sent again."]
    second = signup_link(live_server, mailbox, email, count=2)
    assert second != first
    with Browser(live_server.url) as other:
        assert other.open(first).status == 400
    page = follow_link(browser, second)
    assert page.url.endswith("/account"), page.text[:300]


def test_signing_in_before_the_confirmation_says_so_and_offers_the_link_again(live_server, mailbox):
    email = unique_email()
    with Browser(live_server.url) as browser:
        sign_up(browser, email)
    with Browser(live_server.url) as later:
        page = later.sign_in(email, PASSWORD)
        assert page.url.endswith("/signup/confirm"), page.text[:300]
        assert flashes(page) == [
            f"Your Passport is not ready yet: open the link we sent to {email}."
        ]
        assert "Send the link again" in page.text
        # The password proved it: the link is sent again from here, after the cool-down.
        clock.travel(live_server.app.config["RESEND_COOLDOWN"] + 1)
        page = later.submit(page, "csrf_token")
        assert flashes(page, "success") == ["Sent again."]
        link = signup_link(live_server, mailbox, email, count=2)
        # This browser gave the password at sign-in, so the link does not ask for it again.
        page = later.open(link)
        assert page.status == 200 and 'name="password"' not in page.html
        page = follow_link(later, link)
        assert page.url.endswith("/account"), page.text[:300]

    # A wrong password for a sign-up reads like an unknown login: nothing tells it exists.
    other_email = unique_email()
    with Browser(live_server.url) as browser:
        sign_up(browser, other_email)
    with Browser(live_server.url) as stranger:
        wrong = stranger.sign_in(other_email, "a guess at the phrase")
        unknown = stranger.sign_in(unique_email(), "a guess at the phrase")
        for page in (wrong, unknown):
            assert page.status == 400 and flashes(page) == ["Wrong login or password."]


def test_a_sign_up_started_at_a_portal_continues_to_it(live_server, factories, mailbox):
    """Single sign-on for new people: the sign-up keeps the portal's authorization request
    through the confirmation, in this browser or in another one."""
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    for same_browser in (True, False):
        email = unique_email()
        with Browser(live_server.url) as browser:
            page = browser.open(portal.authorization_url())
            assert page.url.split("?")[0].endswith("/login")
            signup_href = re.search(r'href="(/signup\?next=[^"]+)"', page.html).group(1)
            page = sign_up(browser, email, path=html.unescape(signup_href))
            assert page.url.endswith("/signup/confirm"), page.text[:300]
            link = signup_link(live_server, mailbox, email)
            if same_browser:
                page = follow_link(browser, link)
            else:
                with Browser(live_server.url) as other:
                    page = follow_link(other, link, password=PASSWORD)
            params = portal.callback_params(page)
        tokens = portal.exchange(params)
        assert portal.verify_id_token(tokens["id_token"])["sub"]
        claims = portal.userinfo(tokens["access_token"]).json()
        assert claims["email"] == email and claims["email_verified"] is True


def test_a_phone_sign_up_is_confirmed_by_an_sms_code(live_server, browser, factories, sms_gateway):
    phone = factories.phone_number()
    typed = f"8 ({phone[2:5]}) {phone[5:8]}-{phone[8:10]}-{phone[10:]}"
    page = sign_up(browser, typed)
    assert page.url.endswith("/signup/confirm"), page.text[:300]
    as_written = f"+7 {phone[2:5]} {phone[5:8]}-{phone[8:10]}-{phone[10:]}"
    assert f"We sent a 6-digit code to {as_written}" in page.text  # as people write it
    assert accounts_with(live_server, phone=phone) == []
    deliver(live_server)
    code = sms_code(sms_gateway, phone)
    wrong = "000000" if code != "000000" else "111111"
    page = browser.submit(browser.get("/signup/confirm"), "code", code=wrong)
    assert page.status == 400 and "The code is wrong. Attempts left: 4." in page.text
    assert accounts_with(live_server, phone=phone) == []

    page = enter_code(browser, live_server, sms_gateway, phone)
    assert page.url.endswith("/account"), page.text[:300]
    assert "Welcome! Your Passport is ready." in page.text
    [account] = accounts_with(live_server, phone=phone)
    assert account.phone_verified and account.email is None
    with Browser(live_server.url) as other:
        assert other.sign_in(f"+7 {phone[2:]}", PASSWORD).url.endswith("/account")


def test_a_phone_sign_up_waits_as_long_as_its_code_lives(
    live_server, browser, factories, sms_gateway
):
    phone = factories.phone_number()
    sign_up(browser, phone)
    deliver(live_server)
    code = sms_code(sms_gateway, phone)
    clock.travel(live_server.app.config["SMS_CODE_LIFETIME"] + 1)
    page = browser.get("/signup/confirm")
    assert page.url.endswith("/signup") and "expired" in page.text
    with Browser(live_server.url) as other:
        page = other.sign_in(phone, PASSWORD)
        assert page.status == 400 and flashes(page) == ["Wrong login or password."]
    assert accounts_with(live_server, phone=phone) == []
    assert code  # it came, and went unused


def test_two_sign_ups_of_one_address_confirmed_at_once_make_one_account(live_server, mailbox):
    email = unique_email()
    browsers = [Browser(live_server.url) for _ in range(2)]
    forms = []
    for number, browser in enumerate(browsers):
        sign_up(browser, email)
        link = signup_link(live_server, mailbox, email, count=number + 1)
        page = browser.open(link)
        forms.append((browser, page.url, page.form("csrf_token").fields))
    barrier = threading.Barrier(len(forms))
    answers: list[requests.Response] = []

    def confirm(browser, url, fields):
        barrier.wait()
        answers.append(browser.session.post(url, data=fields, timeout=30, allow_redirects=False))

    threads = [threading.Thread(target=confirm, args=form) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for browser in browsers:
        browser.session.close()
    assert sorted(a.status_code for a in answers) == [302, 400], [a.text[:300] for a in answers]
    [refused] = [a for a in answers if a.status_code == 400]
    assert "A user with this e-mail already exists" in html.unescape(refused.text)
    with live_server.app_context():
        count = db.session.scalar(select(func.count()).where(Account.email == email))
    assert count == 1


@pytest.mark.parametrize("path", ["/signup/confirm", "/signup/resend"])
def test_without_a_sign_up_the_pages_send_back_to_the_form(live_server, browser, path):
    page = browser.get("/signup")
    token = page.form("csrf_token").fields["csrf_token"]
    response = browser.session.post(
        browser.url(path), data={"csrf_token": token, "code": "123456"}, allow_redirects=False
    )
    page = browser.follow(response)
    assert page.url.endswith("/signup"), page.url
    assert page.status == 200


def test_the_pages_mail_and_sms_of_a_sign_up_speak_its_language(
    live_server, factories, mailbox, sms_gateway
):
    email, phone = unique_email(), factories.phone_number()
    with Browser(live_server.url, accept_language="ru-RU,ru;q=0.9") as browser:
        page = sign_up(browser, email)
        assert "Проверьте почту" in page.text and "откройте её" in page.text
        link = signup_link(live_server, mailbox, email)
        [message] = mailbox.messages_to(email)
        assert message["Content-Language"] == "ru"
        assert message["Subject"] == "Подтвердите e-mail, чтобы завершить создание Паспорта"
        page = browser.open(link)
        assert "Завершите создание Паспорта" in page.text and "Создать мой Паспорт" in page.text
    with Browser(live_server.url, accept_language="ru") as browser:
        page = sign_up(browser, phone)
        assert "введите его, чтобы завершить создание Паспорта" in page.text
        deliver(live_server)
        sent = [json.loads(r.body) for r in sms_gateway.snapshot() if r.path == "/sms"]
        [text] = [s["text"] for s in sent if s["to"] == phone]
        assert text.startswith("Код регистрации в Паспорте: ")
        with Browser(live_server.url, accept_language="ru") as later:
            page = later.sign_in(phone, PASSWORD)
            assert flashes(page) == [
                f"Ваш Паспорт ещё не готов: подтвердите номер {phone} кодом, "
                "который мы отправили по SMS."
            ]
