"""Several browsers of one person, each a "device" with its own User-Agent and tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from .browser import Browser, Page
from .delivery import unverified_claims
from .relying_party import RelyingParty

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX_UBUNTU = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


def device(base_url: str, user_agent: str = CHROME_WINDOWS, *, language: str = "en") -> Browser:
    browser = Browser(base_url, accept_language=language)
    browser.session.headers["User-Agent"] = user_agent
    return browser


@dataclass
class Tokens:
    """A portal's tokens for one sign-in; `refresh()` keeps the rotated refresh token."""

    portal: RelyingParty
    values: dict

    @property
    def sid(self) -> str:
        # Unverified: the tests move the server's clock, so iat may lie in our future.
        return unverified_claims(self.values["id_token"])["sid"]

    def refresh(self):
        response = self.portal.refresh(self.values["refresh_token"])
        if response.status_code == 200:
            self.values = {**self.values, **response.json()}
        return response

    def refresh_refused(self) -> bool:
        response = self.portal.refresh(self.values["refresh_token"])
        return response.status_code == 400 and response.json().get("error") == "invalid_grant"

    def refresh_works(self) -> bool:
        return self.refresh().status_code == 200


def sign_in_to_portal(
    browser: Browser, portal: RelyingParty, person, *, offline: bool = False
) -> Tokens:
    params = {"scope": "openid email offline_access", "prompt": "consent"} if offline else {}
    values = portal.sign_in(browser, person.email, person.password, **params)
    assert ("offline_access" in values.get("scope", "")) == offline, values.get("scope")
    return Tokens(portal, values)


def signed_in(browser: Browser) -> bool:
    """Whether the browser still has a live Passport session (the account page opens)."""
    page = browser.get("/account", allow_redirects=False)
    return page.status == 200


@dataclass
class SessionRow:
    session_id: str
    current: bool
    text: str
    classes: list[str] = field(default_factory=list)
    device: str = ""  # the kind of device its icon draws
    icons: int = 0  # the pictures drawn in it


class _SessionsParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[SessionRow] = []
        self._depth = 0  # <li> nesting inside the current session row

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "li" and "session" in classes and not self._depth:
            row = SessionRow("", "current" in classes, "", classes, attrs.get("data-device", ""))
            self.rows.append(row)
            self._depth = 1
        elif self._depth and tag == "svg" and "device-icon" in classes:
            self.rows[-1].icons += 1
        elif tag == "li" and self._depth:
            self._depth += 1
        elif self._depth and tag == "input" and attrs.get("name") == "session_id":
            self.rows[-1].session_id = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "li" and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            row = self.rows[-1]
            row.text = " ".join((row.text + data).split()) + (" " if data[-1:].isspace() else "")


def session_rows(page: Page) -> list[SessionRow]:
    """The rows of /account/sessions, in page order."""
    parser = _SessionsParser()
    parser.feed(page.html)
    for row in parser.rows:
        row.text = row.text.strip()
    return parser.rows


def log_out_of_all_devices(browser: Browser, *, include_current: bool = False) -> Page:
    """Press "Log out of all devices" on the sessions page, with or without the box ticked."""
    page = browser.get("/account/sessions")
    [form] = [f for f in page.forms if f.action.endswith("/sessions/end-all")]
    data = dict(form.fields)
    if include_current:
        data["include_current"] = "y"
    response = browser.session.post(
        browser.url(form.action), data=data, timeout=15, allow_redirects=False
    )
    return browser.follow(response)
