"""A form whose CSRF token no longer matches the browser's cookie (signed out in another
tab, the cookie cleared) is refused in plain words, with the way back to the page."""

from __future__ import annotations

import pytest

from ..support.browser import Browser


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "The form has expired"), ("ru", "Форма устарела")],
)
def test_a_form_left_open_across_a_sign_out_says_it_has_expired(
    live_server, factories, language, said
):
    person = factories.account()
    with Browser(live_server.url, accept_language=language) as browser:
        browser.sign_in(person.email, person.password)
        form = browser.get("/account/address")
        browser.session.cookies.clear()  # as signing out in another tab and in again would
        browser.sign_in(person.email, person.password)
        page = browser.submit(form, "locality", locality="Kazan")
        assert page.status == 400 and said in page.text
        assert 'href="/account/address"' in page.html  # the page, offered again
        assert "Kazan" not in browser.get("/account").text  # and nothing was saved


def test_an_expired_form_of_a_page_without_get_leads_home(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/sessions")
        browser.session.cookies.clear()
        browser.sign_in(person.email, person.password)
        page = browser.submit(page, to="/account/sessions/end-all")
        assert page.status == 400 and "The form has expired" in page.text
        assert "Go to your Passport" in page.text
