"""Helpers for signing in through upstream providers: a browser that crosses servers."""

from __future__ import annotations

import socket
from urllib.parse import urljoin

from .browser import Browser, Page

REDIRECTS = (301, 302, 303, 307, 308)


def travel(browser: Browser, page: Page, *, limit: int = 15) -> Page:
    """Follow redirects wherever they lead (the upstream provider and back)."""
    response = page.response
    for _ in range(limit):
        location = response.headers.get("Location")
        if response.status_code not in REDIRECTS or not location:
            break
        response = browser.session.get(
            urljoin(response.url, location), timeout=15, allow_redirects=False
        )
    return Page(response)


def go(browser: Browser, url: str) -> Page:
    return travel(browser, browser.get(url, allow_redirects=False))


def through_upstream(
    browser: Browser, page: Page, *, login=None, password=None, consent: bool = True
) -> Page:
    """Walk the upstream Passport's pages (sign-in, consent) until a page that needs nothing."""
    for _ in range(6):
        page = travel(browser, page)
        if login is not None and any(
            "password" in f.fields and "login" in f.fields for f in page.forms
        ):
            page = browser.submit(page, "password", login=login, password=password)
        elif any(n == "decision" for f in page.forms for n, _ in f.buttons):
            decision = "allow" if consent else "deny"
            page = browser.submit(page, "decision", button="decision", decision=decision)
        else:
            return page
    return page


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
