"""The Passport page as a person uses it in Chromium, in both languages, on a phone and on a
desktop: the overview tells what to do, a refused form says why at its field and keeps what
was typed, a new phone number is confirmed by SMS (asking again too soon stays on the code
page), numbers read as people write them, the activity says what happened in words, and a
code of the authenticator app already spent says to wait for the next one."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from server import clock
from server.domain.audit import GROUPS

from ..support.delivery import deliver
from ..support.receiver import sms_code

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
WORDS = {
    "en": {
        "failed": "1 failed sign-in or wrong code in the last 30 days",
        "wrong_password": "The current password is wrong.",
        "wait": "Please wait 60 seconds before asking again.",
        "confirm_to": "Enter the 6-digit code from the SMS to {}.",
        "phone_ok": "Phone {} confirmed",
        "failed_event": "Failed sign-in",
        "spent": "This code has already been used. Wait for the next code",
    },
    "ru": {
        "failed": "1 неудачный вход или неверный код за последние 30 дней",
        "wrong_password": "Текущий пароль указан неверно.",
        "wait": "Подождите 60 с, прежде чем запрашивать снова.",
        "confirm_to": "Введите 6-значный код из SMS на номер {}.",
        "phone_ok": "Телефон {} подтверждён",
        "failed_event": "Неудачная попытка входа",
        "spent": "Этот код уже использован. Дождитесь следующего кода",
    },
}
# What the pages must never show: the codes events and methods are stored under.
RAW_CODES = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b|\b(kba|otp|pwd|mfa)\b")


def as_people_write(number: str) -> str:
    """+79165554433 -> "+7 916 555-44-33"."""
    return f"+7 {number[2:5]} {number[5:8]}-{number[8:10]}-{number[10:]}"


@pytest.fixture(params=["en", "ru"])
def language(request) -> str:
    return request.param


@pytest.fixture(params=VIEWPORTS)
def page(request, chromium, language):
    context = chromium.new_context(viewport=VIEWPORTS[request.param], locale=language)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, base: str, login: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("main form button[type=submit]")


def test_the_passport_page_as_a_person_uses_it(live_server, factories, sms_gateway, page, language):
    base = live_server.url
    words = WORDS[language]
    person = factories.account()
    sign_in(page, base, person.email, "not the password")
    expect(page.locator("#login")).to_have_value(person.email)  # kept; the password is not
    sign_in(page, base, person.email, person.password)
    page.wait_for_url(base + "/account")

    # The overview: the failed sign-in is counted, and logging out everywhere is one click.
    expect(page.locator("#check-activity")).to_contain_text(words["failed"])
    page.click("#overview a[href$='#end-all']")
    expect(page.locator("#end-all button[type=submit]")).to_be_visible()

    # A refused form says why at the field at fault and keeps what was typed there.
    new_email = f"new-{person.email}"
    page.goto(base + "/account/email")
    page.fill("#email", new_email)
    page.fill("#password", "not the password")
    page.click("main form button[type=submit]")
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    described = page.get_attribute("#password", "aria-describedby")
    expect(page.locator(f"#{described}")).to_have_text(words["wrong_password"])
    expect(page.locator("#email")).to_have_value(new_email)
    expect(page.locator("#email")).not_to_have_attribute("aria-invalid", "true")

    # A new phone number: the code page names it as people write it; asking for the code
    # again at once stays there and says to wait; the code confirms it.
    number = factories.phone_number()
    page.goto(base + "/account/phone")
    page.fill("#phone", number)
    page.fill("#password", person.password)
    page.click("main form button[type=submit]")
    page.wait_for_url(base + "/account/phone/confirm")
    expect(page.locator("main")).to_contain_text(
        words["confirm_to"].format(as_people_write(number))
    )
    deliver(live_server)
    page.click("form[action$='/login-change/resend'] button[type=submit]")
    expect(page.locator("main")).to_contain_text(words["wait"])
    assert page.url.endswith("/account/phone/confirm")
    page.fill("#code", sms_code(sms_gateway, number))
    page.click("main form:has(#code) button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base + "/account") + r"(#.*)?$"))
    expect(page.locator("#check-phone")).to_have_text(
        words["phone_ok"].format(as_people_write(number))
    )

    # The activity says what happened in words, and filters by kind.
    page.goto(base + "/account/activity")
    expect(page.locator("main table")).to_contain_text(words["failed_event"])
    assert not RAW_CODES.search(page.inner_text("main"))
    page.click(".filters a[href$='kind=security']")
    expect(page.locator(".filters a[aria-current=page]")).to_have_attribute(
        "href", "/account/activity?kind=security"
    )
    kinds = page.locator("main tbody tr").evaluate_all("rows => rows.map(r => r.dataset.kind)")
    assert "login_changed" in kinds and set(kinds) <= GROUPS["security"]
    expect(page.locator("main table")).not_to_contain_text(words["failed_event"])
    assert not RAW_CODES.search(page.inner_text("main"))

    # Turning two-factor on spends the code typed; the same code elsewhere is refused with
    # words that say to wait for the next one, not that it is wrong.
    page.goto(base + "/account/2fa")
    page.fill("form[action$='/2fa/setup'] input[name=password]", person.password)
    page.click("form[action$='/2fa/setup'] button[type=submit]")
    secret = page.inner_text("#totp-secret").replace(" ", "")
    spent = pyotp.TOTP(secret).at(clock.timestamp())
    page.fill("#code", spent)
    page.click("main form:has(#code) button[type=submit]")
    expect(page.locator("#recovery-codes")).to_be_visible()
    elsewhere = page.context.browser.new_context(locale=language)
    try:
        other = elsewhere.new_page()
        sign_in(other, base, person.email, person.password)
        other.wait_for_url(base + "/login/second-step")
        other.fill("#code", spent)
        other.click("main form button[type=submit]")
        expect(other.locator("main")).to_contain_text(words["spent"])
    finally:
        elsewhere.close()
