"""Every page of Passport fits a phone (390 × 844) and a desktop (1280 × 800) in Chromium, in
both languages: nothing runs off the side (no horizontal scrolling), and the header stays
one line. Each page is saved as a screenshot in .screenshots/ (git-ignored) for review."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..support.two_factor import turn_on

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
SIGNED_OUT = ["/login", "/signup", "/recover"]
SIGNED_IN = [
    "/account",
    "/account/email",
    "/account/phone",
    "/account/password",
    "/account/2fa",
    "/account/address",
    "/account/sessions",
    "/account/portals",
    "/account/activity",
    "/developers/clients",
    "/developers/clients/new",
]


@pytest.fixture
def developer(live_server, factories):
    """A developer with a portal of their own, 2FA on and a few events on the activity page."""
    from server.services.clients import create_client
    from server.services.developers import set_role

    from ..support.browser import Browser

    person = factories.account(name="Анастасия Длиннофамильная-Константинопольская")
    with live_server.app_context():
        set_role(person.email, "developer", True)
        client, _secret = create_client(
            {
                "client_name": "Интернет-магазин чая и кофе с очень длинным названием",
                "redirect_uris": ["https://shop.example/a/very/long/callback/path/for/testing"],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "client_secret_basic",
                "scope": "openid email profile",
            },
            owner_id=person.id,
        )
        client_id = client.client_id
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, "not the password")  # an event for the activity page
        browser.sign_in(person.email, person.password)
        totp, _codes = turn_on(browser, person.password)
    person.client_id = client_id
    person.totp = totp
    return person


def fits(page) -> dict:
    return page.evaluate(
        """() => {
            const header = document.querySelector('header.top');
            const links = [...header.querySelectorAll('a, button')];
            const lines = links.map(e => e.getClientRects().length);
            const right = Math.max(...links.map(e => e.getBoundingClientRect().right));
            return {
                overflow: Math.max(
                    document.documentElement.scrollWidth - window.innerWidth,
                    Math.ceil(right) - window.innerWidth,
                ),
                header: header.getBoundingClientRect().height,
                broken: lines.filter(n => n > 1).length,
            };
        }"""
    )


def check(page, name: str, viewport: str, language: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{viewport}-{language}-{name}.png"), full_page=True)
    measured = fits(page)
    assert measured["overflow"] <= 0, f"{name} runs {measured['overflow']} px off the side"
    assert measured["broken"] == 0, f"{name}: a header link wraps onto two lines"
    assert measured["header"] < 80, f"{name}: the header takes {measured['header']} px"


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_page_fits_the_screen(live_server, chromium, developer, viewport, language):
    from ..support.two_factor import next_step_code

    context = chromium.new_context(viewport=VIEWPORTS[viewport], locale=language)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        for path in SIGNED_OUT:
            page.goto(live_server.url + path)
            check(page, path.strip("/").replace("/", "-"), viewport, language)
        page.goto(live_server.url + "/login")
        page.fill("#login", developer.email)
        page.fill("#password", developer.password)
        page.click("main form button[type=submit]")
        page.wait_for_url(live_server.url + "/login/second-step")
        check(page, "login-second-step", viewport, language)
        page.fill("#code", next_step_code(developer.totp))
        page.click("main form button[type=submit]")
        page.wait_for_url(live_server.url + "/account")
        for path in [*SIGNED_IN, f"/developers/clients/{developer.client_id}"]:
            page.goto(live_server.url + path)
            assert page.url == live_server.url + path
            name = path.strip("/").replace("/", "-").replace(developer.client_id, "client")
            check(page, name, viewport, language)
    finally:
        context.close()
