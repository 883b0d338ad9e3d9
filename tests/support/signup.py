"""Signing up through the pages: the form, then the link from the mailbox or the code from
the SMS gateway, as a person does."""

from __future__ import annotations

from .browser import Browser, Page
from .delivery import deliver
from .mail import link_in
from .receiver import sms_code

PASSWORD = "correct horse battery"


def sign_up(
    browser: Browser,
    login: str,
    password: str = PASSWORD,
    repeat: str | None = None,
    *,
    path: str = "/signup",
    **fields,
) -> Page:
    """Fill the sign-up form (of `path`, which may carry a `next`) and submit it; the answer
    is the page that waits for the confirmation, or the form with what was refused."""
    page = browser.get(path)
    return browser.submit(
        page,
        "password_repeat",
        login=login,
        password=password,
        password_repeat=repeat if repeat is not None else password,
        **fields,
    )


def signup_link(live_server, mailbox, email: str, *, count: int = 1) -> str:
    """The link of the `count`-th sign-up mail to this address, once the worker sent it."""
    deliver(live_server)
    messages = [m for m in mailbox.wait_for(email, count=count) if "/signup/confirm/" in link_in(m)]
    assert len(messages) >= count, f"{len(messages)} sign-up mails to {email}, not {count}"
    return link_in(messages[count - 1])


def follow_link(browser: Browser, link: str, password: str | None = None) -> Page:
    """Open a sign-up link and press its button (giving the password when it is asked)."""
    page = browser.open(link)
    if page.status != 200:
        return page
    values = {"password": password} if password is not None else {}
    return browser.submit(page, "csrf_token", **values)


def enter_code(browser: Browser, live_server, sms_gateway, phone: str) -> Page:
    """Type the code the SMS gateway took for `phone` into the waiting page."""
    deliver(live_server)
    page = browser.get("/signup/confirm")
    return browser.submit(page, "code", code=sms_code(sms_gateway, phone))


def sign_up_confirmed(
    browser: Browser,
    live_server,
    mailbox,
    email: str,
    password: str = PASSWORD,
    **fields,
) -> Page:
    """Sign up with an e-mail and follow the link in the same browser: signed in."""
    waiting = sign_up(browser, email, password, **fields)
    assert waiting.url.endswith("/signup/confirm"), waiting.text[:300]
    count = len([m for m in mailbox.messages_to(email) if "/signup/confirm/" in link_in(m)])
    return follow_link(browser, signup_link(live_server, mailbox, email, count=count + 1))
