"""Helpers for signing in through upstream providers: a browser that crosses servers."""

from __future__ import annotations

import socket
from urllib.parse import urljoin

from .browser import Browser, Page

REDIRECTS = (301, 302, 303, 307, 308)


def travel(browser: Browser, page: Page, *, limit: int = 15, stop_at: str | None = None) -> Page:
    """Follow redirects wherever they lead (the upstream provider and back); with `stop_at`,
    stop at a redirect to that server, to look at (or change) what it would receive."""
    response = page.response
    for _ in range(limit):
        location = response.headers.get("Location")
        if response.status_code not in REDIRECTS or not location:
            break
        target = urljoin(response.url, location)
        if stop_at and target.startswith(stop_at) and not response.url.startswith(stop_at):
            break
        response = browser.session.get(target, timeout=15, allow_redirects=False)
    return Page(response)


def go(browser: Browser, url: str) -> Page:
    return travel(browser, browser.get(url, allow_redirects=False))


def through_upstream(
    browser: Browser,
    page: Page,
    *,
    login=None,
    password=None,
    consent: bool = True,
    stop_at: str | None = None,
) -> Page:
    """Walk the upstream Passport's pages (sign-in, consent) until a page that needs nothing."""
    for _ in range(6):
        page = travel(browser, page, stop_at=stop_at)
        if page.status in REDIRECTS:
            return page
        if login is not None and any(
            "password" in f.fields and "login" in f.fields for f in page.forms
        ):
            page = post(browser, page, "password", login=login, password=password)
        elif any(n == "decision" for f in page.forms for n, _ in f.buttons):
            page = post(browser, page, "decision", decision="allow" if consent else "deny")
        else:
            return page
    return page


def post(browser: Browser, page: Page, having: str, **values) -> Page:
    """Submit a form of `page` and return the answer itself, redirect or not."""
    form = page.form(having)
    response = browser.session.post(
        urljoin(page.url, form.action or page.url),
        data=dict(form.fields, **values),
        timeout=15,
        allow_redirects=False,
    )
    return Page(response)


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
