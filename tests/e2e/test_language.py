"""Switching the language of a page in Chromium keeps the page: the sign-in page its way
back to the portal, the consent page its authorization request."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit


def switch_to(page, label: str) -> None:
    page.click(f"footer.bottom nav a:text-is('{label}')")
    page.wait_for_load_state()


def test_switching_language_keeps_the_sign_in_and_the_consent(
    live_server, demo_portal, factories, page
):
    client = factories.client(
        client_name="Чайная лавка",
        redirect_uri=demo_portal.url + "/callback",
        post_logout_redirect_uris=[demo_portal.url + "/"],
    )
    demo_portal.use_client(client.client_id, client.client_secret)
    person = factories.account(name="Ольга Смирнова")

    page.goto(demo_portal.url + "/")
    page.click("text=Sign in with Passport")
    page.wait_for_url(live_server.url + "/login**")
    assert page.inner_text("h1") == "Вход в Паспорт"
    way_back = parse_qs(urlsplit(page.url).query)["next"]

    switch_to(page, "English")
    assert page.inner_text("h1") == "Sign in to Passport"
    assert parse_qs(urlsplit(page.url).query)["next"] == way_back

    page.fill("#login", person.email)
    page.fill("#password", person.password)
    page.click("main form button[type=submit]")
    page.wait_for_url(live_server.url + "/authorize**")
    assert page.inner_text("h1") == "Чайная лавка wants to use your Passport"
    asked = parse_qs(urlsplit(page.url).query)

    switch_to(page, "Русский")
    assert page.inner_text("h1") == "Чайная лавка хочет использовать ваш Паспорт"
    again = parse_qs(urlsplit(page.url).query)
    assert {k: v for k, v in again.items() if k != "ui_locales"} == {
        k: v for k, v in asked.items() if k != "ui_locales"
    }

    page.click("button[value=allow]")
    page.wait_for_url(demo_portal.url + "/")
    assert "Ольга Смирнова" in page.inner_text("#signed-in")
