"""The footer of every page: the language switch and help; the help page; the icon."""

from __future__ import annotations

import pytest

from ..support.browser import Browser


@pytest.mark.parametrize(
    ("language", "heading", "other"),
    [("en", "I forgot my password", "Русский"), ("ru", "Я забыл пароль", "English")],
)
def test_help_is_linked_from_every_page_in_its_language(live_server, language, heading, other):
    with Browser(live_server.url, accept_language=language) as browser:
        page = browser.get("/login")
        footer = page.html.split('<footer class="bottom">', 1)[1]
        assert 'href="/help"' in footer and f">{other}</a>" in footer
        page = browser.get("/help")
        assert page.status == 200 and heading in page.text
        assert 'href="/recover"' in page.html


def test_the_pages_name_their_icon(live_server):
    with Browser(live_server.url) as browser:
        page = browser.get("/login")
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.html
        icon = browser.session.get(live_server.url + "/static/favicon.svg", timeout=15)
        assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg")
