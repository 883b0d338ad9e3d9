"""Every page of Passport fits a phone (390 × 844) and a desktop (1280 × 800) in Chromium, in
both languages: nothing runs off the side (no horizontal scrolling), the header stays one
line, axe-core (the accessibility rules, run in the page) finds no violation of any impact,
and the browser reports no breach of the Content-Security-Policy (no inline style or script
is needed). Each page is saved as a screenshot in .screenshots/ (git-ignored) for review."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..support.relying_party import RelyingParty
from ..support.two_factor import turn_on

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".screenshots"
# The tea shop's logo, served in place of its site.
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<rect width="64" height="64" rx="12" fill="#2e7d32"/>'
    '<circle cx="32" cy="34" r="14" fill="#fff"/></svg>'
)
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
SIGNED_OUT = ["/login", "/signup", "/recover", "/help"]
SIGNED_IN = [
    "/account",
    "/account/email",
    "/account/phone",
    "/account/password",
    "/account/2fa",
    "/account/address",
    "/account/name",
    "/account/photo",
    "/account/social",
    "/account/passkeys",
    "/account/sessions",
    "/account/portals",
    "/account/activity",
    "/account/data",
    "/device",
    "/developers/clients",
    "/developers/clients/new",
    "/admin/accounts",
    "/admin/clients",
    "/admin/audit",
    "/admin/outbox",
]


@pytest.fixture
def developer(live_server, factories):
    """A developer with a portal of their own, 2FA on and a few events on the activity page."""
    from server.extensions import db
    from server.models import Account
    from server.services.clients import create_client
    from server.services.developers import set_role

    from ..support.browser import Browser

    person = factories.account(name="Анастасия Длиннофамильная-Константинопольская")
    with live_server.app_context():
        set_role(person.email, "developer", True)
        set_role(person.email, "operator", True)
        person.sub = db.session.query(Account).filter_by(email=person.email).one().sub
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
    # A portal of someone else's, with its documents, for the consent page.
    portal = factories.client(
        client_name="Чайная лавка",
        logo_uri="https://tea.example/logo.png",
        client_uri="https://tea.example/",
        policy_uri="https://tea.example/privacy",
        tos_uri="https://tea.example/terms",
    )
    person.consent_url = RelyingParty(live_server.url, portal).authorization_url(
        scope="openid email profile offline_access", prompt="consent"
    )
    # Allowed once already, so the linked portals page has it to show.
    from server.models import Client
    from server.services.consents import grant_consent

    with live_server.app_context():
        tea = db.session.query(Client).filter_by(client_id=portal.client_id).one()
        grant_consent(db.session.get(Account, person.id), tea, "openid email profile")
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


def accessibility_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in found
    ]


def problems(page, name: str, viewport: str, language: str) -> list[str]:
    """What is wrong with the page shown: runs off the side, a header on more than one
    line, axe-core's violations; and its screenshot saved."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{viewport}-{language}-{name}.png"), full_page=True)
    measured = fits(page)
    found = [f"{name}: {v}" for v in accessibility_violations(page)]
    if measured["overflow"] > 0:
        found.append(f"{name}: runs {measured['overflow']} px off the side")
    if measured["broken"]:
        found.append(f"{name}: a header link wraps onto two lines")
    if measured["header"] >= 80:
        found.append(f"{name}: the header takes {measured['header']} px")
    return found


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_page_fits_the_screen(live_server, chromium, developer, viewport, language):
    from ..support.two_factor import next_step_code

    context = chromium.new_context(viewport=VIEWPORTS[viewport], locale=language)
    page = context.new_page()
    page.set_default_timeout(15_000)
    found = []
    page.on(
        "console",
        lambda message: (
            found.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    try:
        for path in SIGNED_OUT:
            page.goto(live_server.url + path)
            found += problems(page, path.strip("/").replace("/", "-"), viewport, language)
        page.goto(live_server.url + "/login")
        page.fill("#login", developer.email)
        page.fill("#password", developer.password)
        page.click("main form button[type=submit]")
        page.wait_for_url(live_server.url + "/login/second-step")
        found += problems(page, "login-second-step", viewport, language)
        page.fill("#code", next_step_code(developer.totp))
        page.click("main form button[type=submit]")
        page.wait_for_url(live_server.url + "/account")
        page.route(
            "https://tea.example/**",
            lambda route: route.fulfill(content_type="image/svg+xml", body=LOGO),
        )
        client = f"/developers/clients/{developer.client_id}"
        asking = [client + change for change in ("/rotate", "/disable", "/delete")]
        found_person = [f"/admin/accounts?q={developer.email}", f"/admin/accounts/{developer.sub}"]
        for path in [*SIGNED_IN, client, *asking, *found_person]:
            page.goto(live_server.url + path)
            assert page.url == live_server.url + path
            name = path.strip("/").replace("/", "-").replace(developer.client_id, "client")
            name = name.replace(developer.sub, "person")
            name = name.split("?")[0] + ("-found" if "?" in name else "")
            found += problems(page, name, viewport, language)
        page.goto(live_server.url + "/developers/clients/new")
        page.fill("#client_name", "Магазин")
        page.fill("#redirect_uris", "https://shop.example/callback")
        page.click("main form button[type=submit]")
        page.wait_for_selector("#secret-value")
        found += problems(page, "developers-clients-new-secret", viewport, language)
        page.goto(developer.consent_url)
        assert page.locator("button[value=allow]").count() == 1
        found += problems(page, "consent", viewport, language)
        page.goto(live_server.url + "/authorize?client_id=nobody")
        found += problems(page, "authorize-error", viewport, language)
        page.goto(live_server.url + "/logout")
        found += problems(page, "logout", viewport, language)
    finally:
        context.close()
    assert found == []
