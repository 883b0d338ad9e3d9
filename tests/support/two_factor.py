"""Two-factor authentication from the person's side: turning it on, codes of later steps."""

from __future__ import annotations

import re

import pyotp

from server import clock

from .browser import Browser


def turn_on(browser: Browser, password: str) -> tuple[pyotp.TOTP, list[str]]:
    page = browser.get("/account/2fa")
    page = browser.submit(page, "password", password=password)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.html).group(1).replace(" ", "")
    totp = pyotp.TOTP(secret)
    assert "<svg" in page.html  # the QR code is drawn on the server
    page = browser.submit(page, "code", code=totp.now())
    codes = (
        re.search(r'id="recovery-codes" class="codes">([^<]+)</pre>', page.html).group(1).split()
    )
    assert len(codes) == 10
    return totp, codes


def next_step_code(totp: pyotp.TOTP) -> str:
    """A code of the next time step (a code, once used, is refused for the rest of its step)."""
    clock.travel(30)
    return totp.at(clock.timestamp())
