"""A developer registers a portal in the console, then signs in to it, in a real browser."""

from __future__ import annotations

import base64
import json

import pytest
from playwright.sync_api import expect

# A 1×1 PNG, served for the registered logo's https address (the browser never leaves 127.0.0.1).
LOGO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
LOGO_URI = "https://cdn.tea-shop.example/logo.png"


@pytest.fixture
def developer(live_server, factories):
    from server.services.developers import set_role

    person = factories.account(name="Дарья Разработчица")
    with live_server.app_context():
        assert set_role(person.email, "developer", True) is not None
    return person


def test_register_a_portal_and_sign_in_through_it(live_server, demo_portal, developer, page):
    logo_requests = []

    def serve_logo(route):
        logo_requests.append(route.request)
        route.fulfill(status=200, content_type="image/png", body=LOGO)

    page.route(LOGO_URI, serve_logo)

    page.goto(live_server.url + "/login")
    page.fill("#login", developer.email)
    page.fill("#password", developer.password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/account")

    # The console, in Russian (the browser's language): "New client", a confidential web app.
    page.goto(live_server.url + "/developers/clients")
    page.click("a[href$='/developers/clients/new']")
    page.fill("#client_name", "Чайная лавка")
    page.select_option("#client_type", "web")
    page.fill("#redirect_uris", demo_portal.url + "/callback")
    page.fill("#post_logout_redirect_uris", demo_portal.url + "/")
    page.fill("#logo_uri", LOGO_URI)
    page.fill("#client_uri", demo_portal.url + "/")
    for scope in ("phone", "offline_access"):
        page.check(f"input[name=scope][value={scope}]")
    page.click("main form button[type=submit]")

    # The secret is on the page this once: copy it, with the client's id.
    assert "Клиент зарегистрирован." in page.inner_text("main")
    secret = page.inner_text("#client-secret pre code").strip()
    client_id = page.inner_text("#client-id").strip()
    assert len(secret) >= 40 and client_id

    # Reloading sends the form again: no second client, and the secret is gone for good.
    page.reload()
    assert "Этот клиент уже зарегистрирован." in page.inner_text("main")
    assert page.locator("#client-secret").count() == 0
    assert page.inner_text("#client-id").strip() == client_id
    assert secret not in page.content()
    page.goto(live_server.url + "/developers/clients")
    assert page.locator("li[data-client]").count() == 1

    # The demo portal, configured with what was copied, signs the developer in through Passport.
    demo_portal.use_client(client_id, secret)
    page.goto(demo_portal.url + "/")
    page.click("text=Sign in with Passport")
    # Not a first-party portal: the consent page says who asks and where the answer goes.
    page.wait_for_url(live_server.url + "/authorize**")
    assert "Чайная лавка хочет использовать ваш Паспорт" in page.inner_text("h1")
    assert page.inner_text("#return-host") == demo_portal.url.removeprefix("http://")
    assert page.inner_text("#portal-home-link") == demo_portal.url.removeprefix("http://")
    logo = page.locator("#portal-logo")
    assert logo.get_attribute("alt") == "Логотип Чайная лавка"
    # The logo loaded (the CSP lets https images in) and was fetched without a referrer.
    expect(logo).to_have_js_property("naturalWidth", 1)
    assert logo_requests and "referer" not in logo_requests[0].headers

    page.click("button[name=decision][value=allow]")
    page.wait_for_url(demo_portal.url + "/")
    assert "Дарья Разработчица" in page.inner_text("#signed-in")
    claims = json.loads(page.inner_text("#claims"))
    assert claims["email"] == developer.email and claims["aud"] == [client_id]
