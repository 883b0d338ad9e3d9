"""Two-factor authentication over real HTTP: turning it on, signing in with it, turning it off."""

from __future__ import annotations

import re

from sqlalchemy import select

from server import clock
from server.extensions import db
from server.models import TotpAuthenticator

from ..support.browser import Browser
from ..support.mail import text_of
from ..support.relying_party import RelyingParty
from ..support.two_factor import next_step_code, start_setup, turn_on


def test_turn_on_sign_in_replay_and_recovery_code(live_server, person):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, codes = turn_on(browser, person.password)

    # The secret is stored encrypted, never as the base32 text.
    with live_server.app_context():
        row = db.session.execute(
            select(TotpAuthenticator).where(TotpAuthenticator.account_id == person.id)
        ).scalar_one()
        assert totp.secret not in row.secret_encrypted

    with Browser(live_server.url) as browser:
        page = browser.sign_in(person.email, person.password)
        assert page.url.endswith("/login/second-step")
        # The first step alone signs nothing in.
        assert "/login?" in browser.get("/account").url
        page = browser.submit(browser.get("/login/second-step"), "code", code=next_step_code(totp))
        assert page.url.endswith("/account")

    # Replaying the code of a step already used is refused.
    used = totp.at(clock.timestamp())
    with Browser(live_server.url) as browser:
        page = browser.sign_in(person.email, person.password)
        page = browser.submit(page, "code", code=used)
        assert page.status == 400 and page.url.endswith("/login/second-step")

    # A recovery code works once.
    for expected_ok in (True, False):
        with Browser(live_server.url) as browser:
            page = browser.sign_in(person.email, person.password)
            page = browser.submit(page, "code", code=codes[0])
            assert page.url.endswith("/account") is expected_ok


def test_the_code_that_turned_2fa_on_is_refused_elsewhere_as_already_used(live_server, person):
    """Turning 2FA on spends the app's code of that 30-second step (RFC 6238 §5.2). Signing
    in on another device with the same code is a replay and stays refused, but the page says
    why and what to do: wait for the app's next code — not that the code is wrong."""
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page, totp = start_setup(browser, person.password)
        used = totp.at(clock.timestamp())
        page = browser.submit(page, "code", code=used)
        assert 'id="recovery-codes"' in page.html

    for language, already_used, wrong in (
        ("en", "This code has already been used", "The code is wrong"),
        ("ru", "Этот код уже использован", "Неверный код"),
    ):
        with Browser(live_server.url, accept_language=language) as elsewhere:
            page = elsewhere.sign_in(person.email, person.password)
            page = elsewhere.submit(page, "code", code=used)
            assert page.status == 400 and page.url.endswith("/login/second-step")
            assert already_used in page.text and wrong not in page.text
            assert "/login?" in elsewhere.get("/account").url  # still not signed in

    # The app's next code is what the message sends the person for, and it works.
    with Browser(live_server.url) as elsewhere:
        page = elsewhere.sign_in(person.email, person.password)
        page = elsewhere.submit(page, "code", code=next_step_code(totp))
        assert page.url.endswith("/account")


def test_amr_and_acr_in_id_tokens(live_server, person, factories):
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        tokens = portal.sign_in(browser, person.email, person.password)
        claims = portal.verify_id_token(tokens["id_token"])
        assert claims["amr"] == ["pwd"]
        assert claims["acr"] == live_server.app.config["ACR_PASSWORD"]
        totp, codes = turn_on(browser, person.password)

    for code, amr in (
        (lambda: next_step_code(totp), ["pwd", "otp", "mfa"]),
        (lambda: codes[1], ["pwd", "kba", "mfa"]),
    ):
        with Browser(live_server.url) as browser:
            page = browser.open(portal.authorization_url())
            page = browser.submit(page, "password", login=person.email, password=person.password)
            page = browser.submit(page, "code", code=code())
            claims = portal.verify_id_token(
                portal.exchange(portal.callback_params(page))["id_token"]
            )
            assert claims["amr"] == amr
            assert claims["acr"] == live_server.app.config["ACR_MFA"]


def test_a_portal_requiring_mfa_gets_a_second_step(live_server, person, factories):
    """A portal registered with require_mfa: a person without 2FA is told to turn it on;
    with 2FA, a password-only session takes the second step first."""
    client = factories.client(first_party=True, require_mfa=True)
    portal = RelyingParty(live_server.url, client)
    mfa = live_server.app.config["ACR_MFA"]
    with Browser(live_server.url) as browser:
        # Without 2FA on, the person is told the portal requires it.
        browser.sign_in(person.email, person.password)
        page = browser.open(portal.authorization_url())
        assert page.status == 403 and 'id="mfa-required"' in page.html
        # prompt=none cannot ask: interaction_required, back at the portal.
        params = portal.callback_params(browser.open(portal.authorization_url(prompt="none")))
        assert params["error"] == "interaction_required"
        totp, _ = turn_on(browser, person.password)
        # With 2FA on, a password-only session is asked for the second step again.
        page = browser.open(portal.authorization_url())
        page = browser.submit(page, "password", login=person.email, password=person.password)
        assert page.url.endswith("/login/second-step")
        page = browser.submit(page, "code", code=next_step_code(totp))
        claims = portal.verify_id_token(portal.exchange(portal.callback_params(page))["id_token"])
        assert claims["acr"] == mfa and "otp" in claims["amr"]


def test_turning_off_needs_password_and_code_and_revokes_tokens(live_server, person, factories):
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _ = turn_on(browser, person.password)
    with Browser(live_server.url) as browser:
        page = browser.open(portal.authorization_url())
        page = browser.submit(page, "password", login=person.email, password=person.password)
        page = browser.submit(page, "code", code=next_step_code(totp))
        tokens = portal.exchange(portal.callback_params(page))

        page = browser.get("/account/2fa")
        refused = browser.submit(
            page, "code", button=None, password="wrong password", code=next_step_code(totp)
        )
        assert "two-factor-on" in browser.get("/account/2fa").html, refused.text
        refused = browser.submit(
            browser.get("/account/2fa"), "code", password=person.password, code="000000"
        )
        assert "two-factor-on" in browser.get("/account/2fa").html

        page = browser.get("/account/2fa")
        form_index = [
            i for i, f in enumerate(page.forms) if f.action.endswith("/account/2fa/disable")
        ][0]
        form = page.forms[form_index]
        response = browser.session.post(
            browser.url(form.action),
            data=dict(form.fields, password=person.password, code=next_step_code(totp)),
            timeout=15,
        )
        assert response.status_code == 200 and "two-factor-off" in response.text
    assert portal.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert portal.userinfo(tokens["access_token"]).status_code == 401


def test_turning_on_ends_the_other_sessions_and_their_tokens(live_server, person, factories):
    """Someone who turns 2FA on because someone else may be in: that someone's browser is
    signed out and the tokens its portals hold die; this browser stays signed in."""
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as other, Browser(live_server.url) as own:
        page = other.open(portal.authorization_url())
        page = other.submit(page, "password", login=person.email, password=person.password)
        tokens = portal.exchange(portal.callback_params(page))
        own.sign_in(person.email, person.password)
        mine = portal.sign_in(own, person.email, person.password)

        turn_on(own, person.password)

        assert own.get("/account").url.endswith("/account")  # still signed in
        assert "/login" in other.get("/account").url  # signed out
    for issued in (tokens, mine):  # every token of the account, this browser's too
        assert portal.refresh(issued["refresh_token"]).json()["error"] == "invalid_grant"
        assert portal.userinfo(issued["access_token"]).status_code == 401
        assert portal.introspect(issued["access_token"])["active"] is False


def test_wrong_codes_are_rate_limited_with_growing_delay(live_server, person):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _ = turn_on(browser, person.password)
    with Browser(live_server.url) as browser:
        page = browser.sign_in(person.email, person.password)
        free = live_server.app.config["SECOND_FACTOR_FREE_ATTEMPTS"]
        for _ in range(free + 1):
            page = browser.submit(browser.get("/login/second-step"), "code", code="123456")
        # Now locked for a while: even a right code (the next step's, within the drift) waits.
        right = totp.at(clock.timestamp() + 30)
        page = browser.submit(browser.get("/login/second-step"), "code", code=right)
        assert page.status == 429 and page.url.endswith("/login/second-step")
        assert 0 < int(page.response.headers["Retry-After"]) <= 2
        assert "wait" in page.text.lower()
        # One more wrong code doubles the wait (1 s, then 2 s).
        clock.travel(1.5)
        browser.submit(browser.get("/login/second-step"), "code", code="654321")
        clock.travel(1.5)
        page = browser.submit(browser.get("/login/second-step"), "code", code=right)
        assert page.status == 429
        clock.travel(1)
        page = browser.submit(browser.get("/login/second-step"), "code", code=right)
        assert page.url.endswith("/account")


def test_a_form_refused_for_too_many_codes_answers_429_with_retry_after(live_server, person):
    """A credential change's page drawn again after the code check was refused for too many
    wrong codes answers as the second step does: 429 and how long to wait (RFC 6585 §4)."""
    new = "a new and longer passphrase"
    with Browser(live_server.url) as browser:

        def change_password(current: str, code: str):
            page = browser.get("/account/password")
            return browser.submit(page, "new", current=current, new=new, repeat=new, code=code)

        browser.sign_in(person.email, person.password)
        totp, _ = turn_on(browser, person.password)
        for _ in range(live_server.app.config["SECOND_FACTOR_FREE_ATTEMPTS"] + 1):
            assert change_password(person.password, "123456").status in (400, 429)
        right = totp.at(clock.timestamp() + 30)
        page = change_password(person.password, right)
        assert page.status == 429 and page.url.endswith("/account/password")
        assert 0 < int(page.response.headers["Retry-After"]) <= 2
        assert "wait" in page.text.lower()
        # A form sent with a mistake of its own is still a plain 400.
        clock.travel(3)
        page = change_password("", right)
        assert page.status == 400 and "Retry-After" not in page.response.headers


def test_trusted_device_skips_the_second_step_until_logout_everywhere(live_server, person):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _ = turn_on(browser, person.password)
    with Browser(live_server.url) as browser:
        page = browser.sign_in(person.email, person.password)
        page = browser.submit(page, "code", code=next_step_code(totp), trust="y")
        assert page.url.endswith("/account")
        assert browser.session.cookies.get(live_server.app.config["TRUSTED_DEVICE_COOKIE_NAME"])
        browser.submit(browser.get("/logout"), "csrf_token")
        # The same device: no second step.
        assert browser.sign_in(person.email, person.password).url.endswith("/account")
        # "Log out of all devices" ends the trust too.
        page = browser.get("/account/sessions")
        form = next(f for f in page.forms if f.action.endswith("/end-all"))
        browser.session.post(
            browser.url(form.action), data=dict(form.fields, include_current="y"), timeout=15
        )
        assert browser.sign_in(person.email, person.password).url.endswith("/login/second-step")


def test_a_trusted_device_signs_in_to_a_portal_without_the_second_step(
    live_server, person, factories
):
    """Sent from a portal to the sign-in page, a trusted device is still trusted; only a
    portal that asks for a fresh sign-in (prompt=login, max_age) gets the second step again."""
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _ = turn_on(browser, person.password)
    with Browser(live_server.url) as browser:
        page = browser.sign_in(person.email, person.password)
        browser.submit(page, "code", code=next_step_code(totp), trust="y")
        browser.submit(browser.get("/logout"), "csrf_token")
        page = browser.open(portal.authorization_url())  # signed out: to the sign-in page
        page = browser.submit(page, "login", login=person.email, password=person.password)
        assert "code" in portal.callback_params(page)  # no second step on the way
        page = browser.open(portal.authorization_url(prompt="login"))
        page = browser.submit(page, "login", login=person.email, password=person.password)
        assert page.url.endswith("/login/second-step")


def test_recovery_does_not_skip_the_second_factor(live_server, person, mailbox):
    """A link to the mailbox is a first factor at most: with 2FA on, whoever holds the
    person's mail sets a new password but is not signed in without the app's code."""
    from server.delivery import worker

    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _ = turn_on(browser, person.password)
    before = len(mailbox.messages_to(person.email))
    with Browser(live_server.url) as stranger:
        stranger.submit(stranger.get("/recover"), "login", login=person.email)
        with live_server.app_context():
            while worker.run_once():
                pass
        message = mailbox.wait_for(person.email, count=before + 1)[-1]
        link = re.search(r"https?://\S+/recover/reset/\S+", text_of(message)).group(0)
        new = "recovered but not in 2026"
        page = stranger.submit(stranger.open(link), "new", new=new, repeat=new)
        assert page.url.endswith("/login/second-step"), page.url
        assert "/login" in stranger.get("/account").url  # not signed in
        page = stranger.submit(
            stranger.get("/login/second-step"), "code", code=next_step_code(totp)
        )
        assert page.url.endswith("/account")


def test_repeated_wrong_codes_notify_the_person(live_server, person, mailbox):
    from server.delivery import worker

    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        turn_on(browser, person.password)
    with live_server.app_context():
        while worker.run_once():
            pass
    before = len(mailbox.messages_to(person.email))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        for _ in range(live_server.app.config["SECOND_FACTOR_NOTIFY_AFTER"]):
            clock.travel(120)  # past any delay, so every try is really checked
            browser.submit(browser.get("/login/second-step"), "code", code="999999")
    with live_server.app_context():
        while worker.run_once():
            pass
    subjects = [m["Subject"] for m in mailbox.wait_for(person.email, count=before + 1)[before:]]
    assert "Wrong codes entered for your Passport" in subjects


def test_credential_changes_ask_for_the_code_when_2fa_is_on(live_server, person):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _ = turn_on(browser, person.password)
        page = browser.get("/account/password")
        assert 'name="code"' in page.html
        new = "a newer long passphrase"
        page = browser.submit(page, "new", current=person.password, new=new, repeat=new)
        assert page.status == 400 and "authenticator app" in page.text
        page = browser.submit(
            browser.get("/account/password"),
            "new",
            current=person.password,
            new=new,
            repeat=new,
            code=next_step_code(totp),
        )
        assert 'id="password-changed"' in page.html
