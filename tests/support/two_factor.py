"""Two-factor authentication from the person's side: turning it on, codes of later steps."""

from __future__ import annotations

import re

import pyotp

from server import clock

from .browser import Browser, Page


def start_setup(browser: Browser, password: str | None) -> tuple[Page, pyotp.TOTP]:
    """Press "Turn on": the page asking for the app's first code, and the app made from the
    key it shows. An account without a password (made through a social network) gives none."""
    fields = {} if password is None else {"password": password}
    page = browser.submit(browser.get("/account/2fa"), to="/account/2fa/setup", **fields)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.html).group(1).replace(" ", "")
    assert "<svg" in page.html  # the QR code is drawn on the server
    return page, pyotp.TOTP(secret)


def recovery_codes(page: Page) -> list[str]:
    """The recovery codes a page shows (once)."""
    return re.search(r'id="recovery-codes" class="codes">([^<]+)</pre>', page.html).group(1).split()


def turn_on(browser: Browser, password: str | None) -> tuple[pyotp.TOTP, list[str]]:
    page, totp = start_setup(browser, password)
    page = browser.submit(page, "code", code=totp.at(clock.timestamp()))
    codes = recovery_codes(page)
    assert len(codes) == 10
    return totp, codes


def next_step_code(totp: pyotp.TOTP) -> str:
    """A code of the next time step (a code, once used, is refused for the rest of its step)."""
    clock.travel(30)
    return totp.at(clock.timestamp())


def wrong_code(totp: pyotp.TOTP) -> str:
    """Six digits that are no code of the app now, nor of the step before or after."""
    now = clock.timestamp()
    valid = {totp.at(now + drift) for drift in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)
