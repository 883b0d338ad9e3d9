"""The rules of the second factor over real HTTP: an app is set up once."""

from __future__ import annotations

from ..support.browser import Browser
from ..support.two_factor import next_step_code, turn_on


def signs_in_with_code(live_server, person, code: str) -> bool:
    """Whether a new browser gets in with the password and `code`."""
    with Browser(live_server.url) as browser:
        page = browser.sign_in(person.email, person.password)
        assert page.url.endswith("/login/second-step"), page.text[:300]
        return browser.submit(page, "code", code=code).url.endswith("/account")


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
