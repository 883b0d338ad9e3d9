"""The Passport page over real HTTP: changing the login and the password, recovering access.

Mail arrives at a real SMTP server (aiosmtpd), SMS at a local gateway; portals are
relying parties on Authlib's client with back-channel and security-event endpoints.
"""

from __future__ import annotations

import json
import re
import statistics
import threading
import time

import pytest
from sqlalchemy import select

from server import clock
from server.extensions import db
from server.models import Account, OutboxMessage

from ..support.browser import Browser
from ..support.delivery import deliver, events_received, logouts_received
from ..support.mail import link_in
from ..support.receiver import sms_code
from ..support.relying_party import RelyingParty
from ..support.social import signed_in_by_a_network
from ..support.two_factor import next_step_code, turn_on, wrong_code

CREDENTIAL_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/credential-change"
IDENTIFIER_CHANGED = "https://schemas.openid.net/secevent/risc/event-type/identifier-changed"


@pytest.fixture
def person(factories):
    return factories.account(phone=factories.phone_number(), name="Olga Ivanova")


@pytest.fixture
def portals(live_server, factories, receiver):
    """Two portals the person uses; the first listens for logouts and security events."""
    listening = factories.client(
        first_party=True,
        backchannel_logout_uri=receiver.url + "/logout",
        security_events_endpoint=receiver.url + "/events",
    )
    quiet = factories.client(first_party=True)
    return RelyingParty(live_server.url, listening), RelyingParty(live_server.url, quiet)


def sign_in_everywhere(live_server, person, portals):
    """This browser and another device, each signed in to both portals."""
    here, there = Browser(live_server.url), Browser(live_server.url)
    tokens = []
    for browser in (here, there):
        for portal in portals:
            tokens.append((portal, portal.sign_in(browser, person.email, person.password)))
    return here, there, tokens


def assert_everything_revoked(live_server, tokens) -> None:
    for portal, issued in tokens:
        refused = portal.refresh(issued["refresh_token"])
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
        assert portal.userinfo(issued["access_token"]).status_code == 401
        assert portal.introspect(issued["access_token"]) == {"active": False}


def test_change_email_end_to_end(live_server, person, portals, receiver, mailbox):
    here, there, tokens = sign_in_everywhere(live_server, person, portals)
    new_email = f"new-{person.sub[:6].lower()}@example.org"
    page = here.get("/account/email")
    page = here.submit(page, "email", email=new_email, password=person.password, propagate="y")
    assert "confirmation link" in page.text
    deliver(live_server)
    [message] = mailbox.wait_for(new_email)
    assert message["Content-Language"] == "en"

    # Until the link is followed the old login works and the new one does not.
    with Browser(live_server.url) as probe:
        assert probe.sign_in(person.email, person.password).url.endswith("/account")
    with Browser(live_server.url) as probe:
        assert probe.sign_in(new_email, person.password).status == 400

    page = here.open(link_in(message))
    page = here.submit(page, "csrf_token")
    assert "Login confirmed" in page.text and page.url.endswith("/account")
    assert new_email in page.text

    with Browser(live_server.url) as probe:
        assert probe.sign_in(person.email, person.password).status == 400
    with Browser(live_server.url) as probe:
        assert probe.sign_in(new_email, person.password).url.endswith("/account")

    # Invariant 2: every token of every portal dies; the other device is signed out; this one stays.
    assert_everything_revoked(live_server, tokens)
    assert "/login" in there.get("/account").url
    assert here.get("/account").url.endswith("/account")

    deliver(live_server)
    assert mailbox.wait_for(person.email, count=1)  # the old address hears of it
    assert len(mailbox.wait_for(new_email, count=2)) == 2  # …and the new one
    listening = portals[0].client.client_id
    events = events_received(live_server, receiver, listening)
    kinds = {next(iter(e["events"])) for e in events}
    assert kinds == {CREDENTIAL_CHANGE, IDENTIFIER_CHANGED}
    changed = next(
        e["events"][IDENTIFIER_CHANGED] for e in events if IDENTIFIER_CHANGED in e["events"]
    )
    assert changed["new-value"] == new_email and changed["subject"]["email"] == person.email
    assert logouts_received(live_server, receiver, listening)

    # The portal sees the new value at userinfo, with the next token.
    with Browser(live_server.url) as browser:
        tokens = portals[1].sign_in(browser, new_email, person.password)
    claims = portals[1].userinfo(tokens["access_token"]).json()
    assert claims["email"] == new_email and claims["email_verified"] is True


def test_change_phone_by_sms_code(live_server, person, portals, sms_gateway):
    here, there, tokens = sign_in_everywhere(live_server, person, portals)
    new_phone = (
        "+7 (913) " + person.phone[-7:-4] + "-" + person.phone[-4:-2] + "-" + person.phone[-2:]
    )
    normalised = "+7913" + person.phone[-7:]
    page = here.submit(
        here.get("/account/phone"), "phone", phone=new_phone, password=person.password
    )
    assert page.url.endswith("/account/phone/confirm")
    as_written = "+7 913 " + new_phone[-9:]  # "+7 913 555-44-33", as people write it
    assert f"Enter the 6-digit code from the SMS to {as_written}." in page.text
    assert f"Waiting for confirmation: {as_written}" in here.get("/account").text
    deliver(live_server)
    code = sms_code(sms_gateway, normalised)

    with Browser(live_server.url) as probe:  # the old number still signs in
        assert probe.sign_in(person.phone, person.password).url.endswith("/account")

    wrong = "000000" if code != "000000" else "111111"
    page = here.submit(here.get("/account/phone/confirm"), "code", code=wrong)
    assert page.status == 400 and "Attempts left" in page.text
    page = here.submit(here.get("/account/phone/confirm"), "code", code=code)
    assert "Login confirmed" in page.text
    with Browser(live_server.url) as probe:
        assert probe.sign_in(person.phone, person.password).status == 400
    with Browser(live_server.url) as probe:
        assert probe.sign_in(normalised, person.password).url.endswith("/account")
    assert_everything_revoked(live_server, tokens)
    deliver(live_server)
    told = {
        json.loads(r.body)["to"]: json.loads(r.body)["text"]
        for r in sms_gateway.snapshot()
        if r.path == "/sms"
    }
    assert normalised in told
    assert f"your phone number was changed to {as_written}." in told[person.phone]


def test_identifier_of_another_account_is_refused(live_server, person, factories):
    other = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.submit(
            browser.get("/account/email"),
            "email",
            email=other.email.upper(),
            password=person.password,
        )
        assert page.status == 400 and "A user with this e-mail already exists" in page.text


def test_identifier_taken_message_in_russian(live_server, person, factories):
    other = factories.account()
    with Browser(live_server.url, accept_language="ru") as browser:
        browser.sign_in(person.email, person.password)
        page = browser.submit(
            browser.get("/account/email"), "email", email=other.email, password=person.password
        )
        assert "Пользователь с таким e-mail уже существует" in page.text


def test_two_accounts_confirming_the_same_email_at_once(live_server, factories, mailbox):
    """The database constraint decides: one owner, one clear error."""
    first, second = factories.account(), factories.account()
    wanted = f"contested-{first.sub[:6].lower()}@example.org"
    links = []
    browsers = []
    for person in (first, second):
        browser = Browser(live_server.url)
        browser.sign_in(person.email, person.password)
        browser.submit(
            browser.get("/account/email"), "email", email=wanted, password=person.password
        )
        browsers.append(browser)
    deliver(live_server)
    messages = mailbox.wait_for(wanted, count=2)
    links = [link_in(m) for m in messages[-2:]]
    pages = [b.open(link) for b, link in zip(browsers, links, strict=True)]
    results = [None, None]
    barrier = threading.Barrier(2)

    def confirm(index):
        barrier.wait()
        results[index] = browsers[index].submit(pages[index], "csrf_token")

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    confirmed = [r for r in results if "Login confirmed" in r.text]
    refused = [r for r in results if "A user with this e-mail already exists" in r.text]
    assert len(confirmed) == 1 and len(refused) == 1
    with live_server.app_context():
        owners = db.session.execute(select(Account).where(Account.email == wanted)).scalars().all()
        assert len(owners) == 1


def test_change_password(live_server, person, portals, receiver, mailbox):
    here, there, tokens = sign_in_everywhere(live_server, person, portals)
    new = "a much better passphrase 2026"
    page = here.submit(
        here.get("/account/password"), "new", current=person.password, new=new, repeat=new
    )
    assert 'id="password-changed"' in page.html
    assert_everything_revoked(live_server, tokens)
    assert "/login" in there.get("/account").url
    assert here.get("/account").url.endswith("/account")
    with Browser(live_server.url) as probe:
        assert probe.sign_in(person.email, person.password).status == 400
    with Browser(live_server.url) as probe:
        assert probe.sign_in(person.email, new).url.endswith("/account")
    deliver(live_server)
    assert mailbox.wait_for(person.email)
    listening = portals[0].client.client_id
    [event] = events_received(live_server, receiver, listening)
    change = event["events"][CREDENTIAL_CHANGE]
    assert change["credential_type"] == "password" and change["change_type"] == "update"
    assert change["subject"] == {"format": "iss_sub", "iss": live_server.url, "sub": person.sub}
    assert logouts_received(live_server, receiver, listening)


@pytest.mark.parametrize(
    ("current", "new", "repeat", "message"),
    [
        (
            "wrong password",
            "a fine new passphrase",
            "a fine new passphrase",
            "The current password is wrong.",
        ),
        (None, "short", "short", "at least 8 characters"),
        (None, "password123", "password123", "too common"),
        (None, "a fine new passphrase", "a different passphrase", "The passwords do not match."),
    ],
)
def test_password_change_refusals_change_nothing(
    live_server, person, current, new, repeat, message
):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.submit(
            browser.get("/account/password"),
            "new",
            current=current or person.password,
            new=new,
            repeat=repeat,
        )
        assert page.status == 400 and message in page.text
    with Browser(live_server.url) as probe:
        assert probe.sign_in(person.email, person.password).url.endswith("/account")


def test_password_equal_to_login_is_refused(live_server, factories):
    person = factories.account(email="someone.long@example.org")
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.submit(
            browser.get("/account/password"),
            "new",
            current=person.password,
            new="someone.long@example.org",
            repeat="someone.long@example.org",
        )
        assert "must not be the same as the login" in page.text


def test_recovery_by_email_ends_every_session(live_server, person, portals, mailbox):
    here, there, tokens = sign_in_everywhere(live_server, person, portals)
    with Browser(live_server.url) as stranger:
        page = stranger.submit(stranger.get("/recover"), "login", login=person.email)
        assert 'id="recover-sent"' in page.html
        # A way to ask again, and a way back.
        assert 'href="/recover">Ask again</a>' in page.html
        assert 'href="/login">Back to sign-in</a>' in page.html
        # The same answer for an address nobody has.
        page = stranger.submit(stranger.get("/recover"), "login", login="nobody-at-all@example.org")
        assert 'id="recover-sent"' in page.html
        deliver(live_server)
        [message] = mailbox.wait_for(person.email)
        link = link_in(message)
        new = "recovered and fresh 2026"
        page = stranger.submit(stranger.open(link), "new", new=new, repeat=new)
        assert page.url.endswith("/account")
        # The link works once.
        assert stranger.open(link).status == 400
    assert_everything_revoked(live_server, tokens)
    assert "/login" in here.get("/account").url and "/login" in there.get("/account").url
    with Browser(live_server.url) as probe:
        assert probe.sign_in(person.email, new).url.endswith("/account")


def test_recovery_takes_as_long_for_a_login_nobody_has(live_server, person):
    """The answer for an unknown login came about 25 ms sooner than for a known one, which
    told an attacker which logins exist."""

    def answer_time(login: str) -> float:
        with Browser(live_server.url) as browser:
            page = browser.get("/recover")
            started = time.perf_counter()
            sent = browser.submit(page, "login", login=login)
            elapsed = time.perf_counter() - started
        assert 'id="recover-sent"' in sent.html
        return elapsed

    known, unknown = [], []
    for number in range(12):
        known.append(answer_time(person.email))
        unknown.append(answer_time(f"nobody-{number}@example.org"))
    floor = live_server.app.config["RECOVERY_ANSWER_SECONDS"]
    assert min(known + unknown) >= floor
    difference = abs(statistics.median(known) - statistics.median(unknown))
    assert difference < 0.1 * floor, (known, unknown)


def test_recovery_by_sms_code_and_too_many_attempts(live_server, person, sms_gateway):
    with Browser(live_server.url) as browser:
        page = browser.submit(browser.get("/recover"), "login", login=person.phone)
        assert page.url.endswith("/recover/code")
        deliver(live_server)
        code = sms_code(sms_gateway, person.phone)
        wrong = "000000" if code != "000000" else "111111"
        limit = live_server.app.config["CODE_MAX_ATTEMPTS"]
        for _ in range(limit):
            page = browser.submit(
                browser.get("/recover/code"),
                "code",
                code=wrong,
                new="never used passphrase",
                repeat="never used passphrase",
            )
            assert page.status == 400
        # After too many wrong codes even the right one is refused: request a new code.
        page = browser.submit(
            browser.get("/recover/code"),
            "code",
            code=code,
            new="never used passphrase",
            repeat="never used passphrase",
        )
        assert page.status == 400
    with Browser(live_server.url) as probe:
        assert probe.sign_in(person.email, person.password).url.endswith("/account")


def test_expired_link_changes_nothing(live_server, person, mailbox):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        new_email = f"late-{person.sub[:6].lower()}@example.org"
        browser.submit(
            browser.get("/account/email"), "email", email=new_email, password=person.password
        )
        deliver(live_server)
        [message] = mailbox.wait_for(new_email)
        clock.travel(live_server.app.config["EMAIL_LINK_LIFETIME"] + 1)
        page = browser.open(link_in(message))
        assert page.status == 400 and "expired" in page.text
        assert not any(
            "csrf_token" in f.fields for f in page.forms if f.method == "post" and not f.action
        )
    with live_server.app_context():
        assert db.session.get(Account, person.id).email == person.email


def test_social_only_account_creates_a_password(live_server, factories):
    """An account stored without a password (as a social sign-in makes) creates one."""
    email = f"social-{factories.phone_number()[-6:]}@example.org"
    with signed_in_by_a_network(live_server, email) as browser:
        page = browser.get("/account/password")
        assert "Create a password" in page.text and 'name="current"' not in page.html
        new = "my first real passphrase"
        page = browser.submit(page, "new", new=new, repeat=new)
        assert 'id="password-changed"' in page.html
    with Browser(live_server.url) as probe:
        assert probe.sign_in(email, new).url.endswith("/account")


def test_outbox_never_holds_links_in_the_clear(live_server, person, mailbox):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        new_email = f"sealed-{person.sub[:6].lower()}@example.org"
        browser.submit(
            browser.get("/account/email"), "email", email=new_email, password=person.password
        )
    with live_server.app_context():
        row = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.target == new_email)
        ).scalar_one()
        assert "/account/email/confirm/" not in json.dumps(row.payload)
    deliver(live_server)
    [message] = mailbox.wait_for(new_email)
    assert "/account/email/confirm/" in link_in(message)
    with live_server.app_context():
        row = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.target == new_email)
        ).scalar_one()
        assert row.status == "delivered" and "sealed" not in row.payload


@pytest.mark.parametrize(
    ("language", "title", "shown"),
    [
        (
            "en",
            "Activity",
            [
                "Two-factor authentication turned on",
                "Wrong two-factor code",
                "Signed in: password and one-time code",
                "Method: Password and one-time code",
            ],
        ),
        (
            "ru",
            "Действия",
            [
                "Двухфакторная аутентификация включена",
                "Неверный код двухфакторной аутентификации",
                "Вход: пароль и одноразовый код",
                "Способ: Пароль и одноразовый код",
            ],
        ),
    ],
)
def test_activity_and_sessions_say_what_happened_in_words(
    live_server, person, language, title, shown
):
    """Turning 2FA on, a wrong code, then signing in with the app's code: the activity and
    sessions pages say it in the page's language, never as the codes the records keep, and
    the page is called what the link to it says."""
    with Browser(live_server.url, accept_language=language) as browser:
        browser.sign_in(person.email, person.password)
        totp, _codes = turn_on(browser, person.password)
    with Browser(live_server.url, accept_language=language) as browser:
        page = browser.sign_in(person.email, person.password)
        browser.submit(page, "code", code=wrong_code(totp))
        page = browser.submit(browser.get("/login/second-step"), "code", code=next_step_code(totp))
        link = re.search(r'<a href="/account/activity">([^<]+)</a>', page.html).group(1)
        activity = browser.get("/account/activity")
        sessions = browser.get("/account/sessions")
    heading = re.search(r"<h1>([^<]+)</h1>", activity.html).group(1)
    assert link == heading == title and f"<title>{title} " in activity.html
    seen = activity.text + " " + sessions.text
    for words in shown:
        assert words in seen, words
    for code in ("2fa_enabled", "second_factor_failed", "pwd", "otp", "mfa"):
        assert code not in seen, code


def test_activity_lists_security_events(live_server, person):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, "a wrong password")
        browser.sign_in(person.email, person.password)
        new = "another good passphrase"
        browser.submit(
            browser.get("/account/password"), "new", current=person.password, new=new, repeat=new
        )
        page = browser.get("/account/activity")
    for label in (
        "Failed sign-in",
        "Signed in",
        "Password changed",
        "new device",
        "Passport created",
    ):
        assert label in page.text, label
