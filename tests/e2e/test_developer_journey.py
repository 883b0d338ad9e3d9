"""A developer registers a portal in the console, then signs in to it, in a real browser."""

from __future__ import annotations

import base64
import json

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

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


def register_a_web_app(page, live_server, name: str) -> None:
    page.goto(live_server.url + "/developers/clients/new")
    page.fill("#client_name", name)
    page.select_option("#client_type", "web")
    page.fill("#redirect_uris", "https://tea.example/callback")
    page.click("main form button[type=submit]")
    # The page that shows the new client once: counting its buttons before it is there
    # (a loaded machine) would count the form's.
    page.wait_for_selector("#secret-value")


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def test_copy_buttons_and_changes_that_ask_first(live_server, chromium, developer):
    context = chromium.new_context(
        locale="ru-RU", permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    refused_scripts = []
    page.on("console", lambda message: refused_scripts.append(message.text))
    try:
        sign_in(page, live_server.url, developer)
        register_a_web_app(page, live_server, "Самовар")
        secret = page.inner_text("#secret-value").strip()
        client_id = page.inner_text("#client-id").strip()

        # Each copy button copies its value and says so, in Russian, where a screen reader hears it.
        page.get_by_role("button", name="Копировать секрет").click()
        expect(page.locator("#secret-value-copied")).to_have_text("Скопировано")
        assert clipboard(page) == secret
        expect(page.locator("#client-id-copied")).to_have_text("")
        page.get_by_role("button", name="Копировать идентификатор клиента").click()
        expect(page.locator("#client-id-copied")).to_have_text("Скопировано")
        assert clipboard(page) == client_id

        # Rotating is a red-outlined link to a page that asks, proposing a day's grace.
        rotate = page.locator("#rotate-secret")
        assert rotate.evaluate("e => getComputedStyle(e).color") == "rgb(179, 38, 30)"
        assert page.locator("main form button[name=rotate]").count() == 0
        rotate.click()
        page.wait_for_url(f"{live_server.url}/developers/clients/{client_id}/rotate")
        assert "Заменить секрет клиента Самовар?" in page.inner_text("h1")
        expect(page.locator("#grace_hours")).to_have_value("24")
        page.click("text=Отмена")
        page.wait_for_url(f"{live_server.url}/developers/clients/{client_id}")
        assert page.locator("#grace-end").count() == 0  # cancelling rotated nothing
        page.click("#rotate-secret")
        page.click("button[name=rotate]")
        new_secret = page.inner_text("#secret-value").strip()
        assert new_secret and new_secret != secret
        assert page.locator("#grace-end").count() == 1  # the old secret works a while yet
        page.get_by_role("button", name="Копировать секрет").click()
        expect(page.locator("#secret-value-copied")).to_have_text("Скопировано")
        assert clipboard(page) == new_secret

        # Disabling and deleting ask too, and their buttons look like what they do.
        page.click("#disable-client")
        page.wait_for_url(f"{live_server.url}/developers/clients/{client_id}/disable")
        assert page.locator(".badge.off").count() == 0
        page.click("button[name=disable]")
        expect(page.locator(".badge.off")).to_have_count(1)
        page.click("#delete-client")
        page.wait_for_url(f"{live_server.url}/developers/clients/{client_id}/delete")
        confirm = page.locator("button[name=confirm]")
        assert confirm.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(179, 38, 30)"
        confirm.click()
        page.wait_for_url(live_server.url + "/developers/clients")
        assert page.locator("li[data-client]").count() == 0
        # The policy let the script in: the browser refused nothing.
        assert not [text for text in refused_scripts if "Content Security Policy" in text]
    finally:
        context.close()


def test_without_javascript_the_values_stay_and_changes_still_ask(live_server, chromium, developer):
    context = chromium.new_context(locale="en-US", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server.url, developer)
        register_a_web_app(page, live_server, "Samovar")
        # No button that would do nothing: the values are there to be selected.
        assert page.locator("button.copy").count() == 2
        assert page.locator("button.copy:visible").count() == 0
        assert len(page.inner_text("#secret-value").strip()) >= 40
        client_id = page.inner_text("#client-id").strip()
        page.click("#rotate-secret")
        expect(page.locator("#grace_hours")).to_have_value("24")
        page.click("button[name=rotate]")
        expect(page.locator("main")).to_contain_text("A new secret has been issued.")
        page.goto(f"{live_server.url}/developers/clients/{client_id}")
        page.click("#disable-client")
        page.click("button[name=disable]")
        expect(page.locator(".badge.off")).to_have_count(1)
    finally:
        context.close()
