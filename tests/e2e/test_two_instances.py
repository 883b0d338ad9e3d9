"""Two Passports on one host, as in a local trial with one as the other's upstream social
network: Chromium keeps cookies per host whatever the port, so each Passport's cookie is
named after its issuer (server/config.py cookie_prefix) and neither signs the other out."""

from __future__ import annotations

import pytest

from ..conftest import LiveServer, build_app
from ..support.factories import Factories
from .conftest import sign_in


@pytest.fixture
def second_server(server_settings, tmp_path):
    settings = dict(server_settings, INSTANCE_DIR=str(tmp_path / "second"))
    server = LiveServer(build_app, settings).start()
    yield server
    server.stop()


def test_two_passports_on_one_host_keep_their_sessions_apart(live_server, second_server, chromium):
    first, second = Factories(live_server).account(), Factories(second_server).account()
    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, first)
        page.goto(second_server.url + "/account")
        page.wait_for_url(second_server.url + "/login**")  # not signed in there
        sign_in(page, second_server.url, second)
        page.goto(live_server.url + "/account")
        assert page.url == live_server.url + "/account"  # still signed in here
        assert first.email in page.content() and second.email not in page.content()
        page.goto(second_server.url + "/account")
        assert second.email in page.content()
        names = {cookie["name"] for cookie in context.cookies()}
        assert {
            live_server.app.config["SESSION_COOKIE_NAME"],
            second_server.app.config["SESSION_COOKIE_NAME"],
        } <= names
    finally:
        context.close()
