"""Real Chromium (Debian's package) driven by Playwright, against the live server."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from clients.portal import create_portal

from ..conftest import REQUIRE_SERVICES
from ..support.serving import InThread

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session", params=["sqlite"])
def backend(request) -> str:
    """The browser tests run on SQLite only. What they add to the integration tests is the
    browser — pages, scripts, the policy, the layout — which no database changes; every
    flow they walk runs over HTTP on PostgreSQL too, in tests/integration and
    tests/conformance. Running them twice cost about two minutes of each `make test`."""
    return request.param


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("PASSPORT_TEST_CHROMIUM") or shutil.which("chromium")
    if not path:
        message = "Chromium is not installed (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def chromium(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


class DemoPortal:
    """The demo portal (clients/portal) on a free loopback port.

    Its address is known at once, so a client can be registered for it; it answers requests
    once `use_client` has given it that client's credentials.
    """

    def __init__(self, issuer: str):
        self.issuer = issuer
        self.server = make_server("127.0.0.1", 0, None, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def register_with(self, factories) -> DemoPortal:
        """Register it as a first-party client of the Passport `factories` write to (no
        consent page; signing out comes back to its home page), and use that client."""
        client = factories.client(
            redirect_uri=self.url + "/callback",
            first_party=True,
            post_logout_redirect_uris=[self.url + "/"],
            backchannel_logout_uri=self.url + "/backchannel-logout",
        )
        self.use_client(client.client_id, client.client_secret)
        return self

    def use_client(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.server.app = create_portal(
            {
                "ISSUER": self.issuer,
                "CLIENT_ID": client_id,
                "CLIENT_SECRET": client_secret,
                "URL": self.url,
                "SECRET_KEY": "e2e",
            }
        )


@contextmanager
def serving(portal: DemoPortal):
    serving = InThread(portal.server).start()
    try:
        yield portal
    finally:
        serving.stop()


@pytest.fixture
def demo_portal(live_server):
    with serving(DemoPortal(live_server.url)) as portal:
        yield portal


def sign_in(page, base_url: str, person) -> None:
    """Sign in on Passport's page at `base_url` with the person's e-mail and password."""
    page.goto(base_url + "/login")
    page.fill("#login", person.email)
    page.fill("#password", person.password)
    page.click("main form button[type=submit]")
    page.wait_for_url(base_url + "/account")
