"""Passkeys in Chromium with its DevTools virtual authenticator, in Russian and English:
a person adds a passkey on the Passport page, signs in with it to the demo portal, and
removes it. The Passport is served as http://localhost:…, since WebAuthn takes no IP
address as a relying party."""

from __future__ import annotations

import pytest

from ..conftest import LiveServer, build_app
from .conftest import DemoPortal, serving

WORDS = {
    "ru": {"add": "Добавить ключ входа", "with": "Войти с ключом входа", "remove": "Удалить"},
    "en": {"add": "Add a passkey", "with": "Sign in with a passkey", "remove": "Remove"},
}


@pytest.fixture(scope="module")
def localhost_server(server_settings):
    server = LiveServer(build_app, server_settings, host="localhost").start()
    yield server
    server.stop()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_add_a_passkey_sign_in_with_it_at_a_portal_and_remove_it(
    localhost_server, chromium, language
):
    from ..support.factories import Factories

    server = localhost_server
    factories = Factories(server)
    person = factories.account(name="Анна Кузнецова")
    words = WORDS[language]
    context = chromium.new_context(locale="ru-RU" if language == "ru" else "en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    authenticator = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    try:
        page.goto(server.url + "/login")
        page.fill("#login", person.email)
        page.fill("#password", person.password)
        page.click("main form button[type=submit]")
        page.wait_for_url(server.url + "/account")

        page.goto(server.url + "/account/passkeys")
        page.fill("#name", "Ноутбук")
        page.fill("#password", person.password)
        page.click(f"#add-passkey button:text-is('{words['add']}')")
        page.wait_for_selector(".passkey h2")
        assert page.inner_text(".passkey h2") == "Ноутбук"

        with serving(DemoPortal(server.url)) as portal:
            portal.register_with(factories)
            context.clear_cookies()  # signed out: the passkey is what signs in now
            page.goto(portal.url + "/")
            refused = []
            page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)
            # The page asks for a passkey in the login field's autofill (conditional UI)
            # at once; the virtual authenticator would answer that itself. It waits for
            # the button instead, which aborts the autofill's request and asks anew.
            presence(devtools, authenticator, False)
            page.click("text=Sign in with Passport")
            page.wait_for_url(server.url + "/login**")
            page.wait_for_selector("#passkey-sign-in button", state="visible")
            presence(devtools, authenticator, True)
            # The pending autofill request keeps headless Chromium from taking a mouse
            # click on the page: the click is dispatched to the button.
            page.dispatch_event(f"#passkey-sign-in button:text-is('{words['with']}')", "click")
            page.wait_for_url(portal.url + "/")
            assert "Анна Кузнецова" in page.inner_text("#signed-in")
            assert refused == []

        page.goto(server.url + "/login")  # signed in at the portal's request, by the passkey
        page.goto(server.url + "/account/passkeys")
        page.fill("[id^=remove-password-]", person.password)
        page.click(f".passkey button:text-is('{words['remove']}')")
        page.wait_for_selector("#no-passkeys")
    finally:
        context.close()


def presence(devtools, authenticator: dict, automatic: bool) -> None:
    devtools.send(
        "WebAuthn.setAutomaticPresenceSimulation",
        {"authenticatorId": authenticator["authenticatorId"], "enabled": automatic},
    )
