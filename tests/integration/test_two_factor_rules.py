"""The rules of the second factor over real HTTP: an app is set up once and confirmed by
its own code, new recovery codes replace the old ones, a time step's code is taken once,
and a credential change ends the trust in devices that skipped the second step."""

from __future__ import annotations

import pytest

from server import clock

from ..support.browser import Browser
from ..support.devices import signed_in
from ..support.two_factor import (
    next_step_code,
    recovery_codes,
    start_setup,
    turn_on,
    wrong_code,
)


def signs_in_with_code(live_server, person, code: str) -> bool:
    """Whether a new browser gets in with the password and `code`."""
    with Browser(live_server.url) as browser:
        page = browser.sign_in(person.email, person.password)
        assert page.url.endswith("/login/second-step"), page.text[:300]
        return browser.submit(page, "code", code=code).url.endswith("/account")


def sign_out(browser: Browser) -> None:
    browser.submit(browser.get("/logout"), "csrf_token")
    assert not signed_in(browser)


def test_setting_up_again_while_two_factor_is_on_is_refused(live_server, person):
    """The password alone must not replace the app that is on (2FA would be off until a new
    app is confirmed). A tab opened before 2FA was turned on still shows "Turn on"."""
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        stale = browser.get("/account/2fa")
        totp, _ = turn_on(browser, person.password)

        page = browser.submit(stale, to="/account/2fa/setup", password=person.password)
        assert "Two-factor authentication is on already." in page.text, page.text[:300]
        assert page.url.endswith("/account/2fa") and 'id="two-factor-on"' in page.html
        # No new secret waits for a code.
        assert browser.get("/account/2fa/confirm").url.endswith("/account/2fa")
    assert signs_in_with_code(live_server, person, next_step_code(totp))


def test_a_wrong_code_does_not_confirm_the_set_up(live_server, person):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page, totp = start_setup(browser, person.password)

        page = browser.submit(page, "code", code=wrong_code(totp))
        assert page.status == 400 and "The code is wrong." in page.text
        assert 'id="two-factor-off"' in browser.get("/account/2fa").html
        with Browser(live_server.url) as other:  # signing in asks for no code
            assert other.sign_in(person.email, person.password).url.endswith("/account")

        # The set-up still waits for the app's code.
        page = browser.get("/account/2fa/confirm")
        page = browser.submit(page, "code", code=totp.at(clock.timestamp()))
        assert len(recovery_codes(page)) == 10
    assert signs_in_with_code(live_server, person, next_step_code(totp))


def test_new_recovery_codes_replace_the_old_ones(live_server, person):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, old = turn_on(browser, person.password)
        page = browser.submit(
            browser.get("/account/2fa"),
            to="/account/2fa/recovery-codes",
            password=person.password,
            code=next_step_code(totp),
        )
        new = recovery_codes(page)
        assert len(new) == 10 and not set(new) & set(old)
        assert 'data-kind="recovery_codes_regenerated"' in browser.get("/account/activity").html

    assert not signs_in_with_code(live_server, person, old[0])
    assert signs_in_with_code(live_server, person, new[0])


def test_a_time_steps_code_is_taken_once_and_the_next_steps_is_accepted(live_server, person):
    """RFC 6238 §5.2: a code accepted once is not accepted again, for the rest of its step
    nor later; the next step's code is accepted, even a step early (one step of drift)."""
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _ = turn_on(browser, person.password)

    code = next_step_code(totp)
    assert signs_in_with_code(live_server, person, code)
    assert not signs_in_with_code(live_server, person, code)

    following = totp.at(clock.timestamp() + 30)
    assert signs_in_with_code(live_server, person, following)
    clock.travel(30)  # the following step is now the current one: its code is taken already
    assert not signs_in_with_code(live_server, person, following)


@pytest.mark.parametrize("changed_in", ["the trusted browser", "another browser"])
def test_a_password_change_ends_the_trust_in_devices(live_server, person, changed_in):
    """A device trusted to skip the second step was trusted by whoever had the old password:
    after a password change it asks for the app's code again."""
    with Browser(live_server.url) as other, Browser(live_server.url) as trusted:
        other.sign_in(person.email, person.password)
        totp, _ = turn_on(other, person.password)
        page = trusted.sign_in(person.email, person.password)
        page = trusted.submit(page, "code", code=next_step_code(totp), trust="y")
        assert page.url.endswith("/account") and trusted.session.cookies.get(
            live_server.app.config["TRUSTED_DEVICE_COOKIE_NAME"]
        )
        sign_out(trusted)
        assert trusted.sign_in(person.email, person.password).url.endswith("/account")

        changer = trusted if changed_in == "the trusted browser" else other
        new = "a password after the trust"
        page, code = changer.get("/account/password"), next_step_code(totp)
        page = changer.submit(page, "new", current=person.password, new=new, repeat=new, code=code)
        assert 'id="password-changed"' in page.html, page.text[:300]
        if signed_in(trusted):
            sign_out(trusted)

        assert trusted.session.cookies.get(
            live_server.app.config["TRUSTED_DEVICE_COOKIE_NAME"]
        )  # the cookie is still sent
        assert trusted.sign_in(person.email, new).url.endswith("/login/second-step")
