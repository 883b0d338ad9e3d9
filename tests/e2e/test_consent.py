"""The consent page in Chromium: "Not you?" signs in as someone else and comes back to the
same request."""

from __future__ import annotations

from .test_form_targets import sign_in_on_the_page


def test_not_you_switches_account_and_keeps_the_request(live_server, demo_portal, factories, page):
    client = factories.client(
        client_name="Книжный клуб",
        redirect_uri=demo_portal.url + "/callback",
        post_logout_redirect_uris=[demo_portal.url + "/"],
    )
    demo_portal.use_client(client.client_id, client.client_secret)
    first, second = factories.account(name="Первый Человек"), factories.account(name="Вторая")

    page.goto(demo_portal.url + "/")
    page.click("text=Sign in with Passport")
    sign_in_on_the_page(page, first)
    page.wait_for_url(live_server.url + "/authorize**")
    assert first.email in page.inner_text("#signed-in-as")

    page.click("#switch-account")
    page.wait_for_url(live_server.url + "/login**")
    sign_in_on_the_page(page, second)
    page.wait_for_url(live_server.url + "/authorize**")
    assert second.email in page.inner_text("#signed-in-as")
    page.click("button[value=allow]")
    page.wait_for_url(demo_portal.url + "/")
    assert "Вторая" in page.inner_text("#signed-in")
