"""Passkey ceremonies over HTTP, as static/passkeys.js runs them, answered by a software
authenticator (webauthn.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from .browser import Browser
from .webauthn import SoftwareAuthenticator


def authenticator_for(live_server, **options) -> SoftwareAuthenticator:
    return SoftwareAuthenticator(live_server.url, urlsplit(live_server.url).hostname, **options)


def csrf(browser: Browser, path: str, to: str) -> str:
    return browser.get(path).form(to=to).fields["csrf_token"]


def adding_options(browser: Browser, password: str | None, name: str = "Phone"):
    token = csrf(browser, "/account/passkeys", "/account/passkeys/options")
    data = {"csrf_token": token, "name": name}
    if password is not None:
        data["password"] = password
    answer = browser.session.post(browser.url("/account/passkeys/options"), data=data, timeout=10)
    return answer, token


def add_passkey(browser: Browser, person, authenticator, name="Phone", **spoil):
    """Add a passkey on the Passport page (the person's password, when they have one)."""
    answer, token = adding_options(browser, getattr(person, "password", None), name)
    assert answer.status_code == 200, answer.text
    credential = authenticator.register(answer.json(), **spoil)
    return browser.session.post(
        browser.url("/account/passkeys/add"),
        json={"name": name, "credential": credential},
        headers={"X-CSRFToken": token},
        timeout=10,
    )


def sign_in_options(browser: Browser) -> tuple[dict, str]:
    token = csrf(browser, "/login", "/login")
    answer = browser.session.post(
        browser.url("/login/passkey/options"), headers={"X-CSRFToken": token}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json(), token


def answer_sign_in(browser: Browser, token: str, credential: dict, next_url: str = ""):
    return browser.session.post(
        browser.url("/login/passkey"),
        json={"credential": credential, "next": next_url},
        headers={"X-CSRFToken": token},
        timeout=10,
    )


def passkey_sign_in(browser: Browser, authenticator, **spoil):
    options, token = sign_in_options(browser)
    return answer_sign_in(browser, token, authenticator.assertion(options, **spoil))
