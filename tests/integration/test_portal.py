"""The demo portal as its own server: single sign-on through Passport, and back-channel logout."""

from __future__ import annotations

import pytest
from werkzeug.serving import make_server

from clients.portal import create_portal
from server.delivery import worker

from ..support.browser import Browser
from ..support.serving import InThread


@pytest.fixture
def portal(request, live_server, factories):
    server = make_server("127.0.0.1", 0, None, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    client = factories.client(
        redirect_uri=url + "/callback",
        first_party=True,
        post_logout_redirect_uris=[url + "/"],
        backchannel_logout_uri=url + "/backchannel-logout",
        backchannel_logout_session_required=True,
    )
    server.app = create_portal(
        {
            "ISSUER": live_server.url,
            "CLIENT_ID": client.client_id,
            "CLIENT_SECRET": client.client_secret,
            "URL": url,
            "SECRET_KEY": "portal-test",
            "DPOP": getattr(request, "param", "1"),
        }
    )
    serving = InThread(server).start()
    yield url
    serving.stop()


def portal_sign_in(browser: Browser, portal: str, login: str, password: str) -> str:
    """Follow the whole redirect dance across the two servers; returns the portal's home page."""
    response = browser.session.get(portal + "/login", timeout=15)
    page = browser.follow(response.history[-1] if response.history else response)
    if any("password" in f.fields for f in page.forms):
        page = browser.submit(page, "password", login=login, password=password)
    location = page.response.headers["Location"]
    assert location.startswith(portal + "/callback"), location
    return browser.session.get(location, timeout=15).text


def test_sso_and_backchannel_logout(live_server, portal, factories):
    person = factories.account(name="Ivan Demo")
    with Browser(live_server.url) as browser:
        home = portal_sign_in(browser, portal, person.email, person.password)
        assert 'id="signed-in"' in home and "Ivan Demo" in home
        assert "Tokens: <strong>DPoP</strong>" in home  # RFC 9449: bound to the portal's key
        assert browser.session.get(portal + "/userinfo", timeout=15).json()["sub"] == person.sub
        assert browser.session.post(portal + "/refresh", timeout=15).status_code == 200
        assert browser.session.get(portal + "/userinfo", timeout=15).json()["sub"] == person.sub

        # Signing out of Passport queues a logout token; the worker delivers it to the portal.
        logout_page = browser.get("/logout")
        browser.submit(logout_page, "csrf_token")
        with live_server.app_context():
            assert worker.run_once() >= 1
        home = browser.session.get(portal + "/", timeout=15).text
        assert 'id="signed-out"' in home


def test_portal_refuses_forged_logout_token(live_server, portal, factories):
    person = factories.account()
    with Browser(live_server.url) as browser:
        portal_sign_in(browser, portal, person.email, person.password)
        forged = browser.session.post(
            portal + "/backchannel-logout", data={"logout_token": "e30.e30.c2ln"}, timeout=15
        )
        assert forged.status_code == 400
        assert 'id="signed-in"' in browser.session.get(portal + "/", timeout=15).text


def test_portal_rp_initiated_logout(live_server, portal, factories):
    person = factories.account()
    with Browser(live_server.url) as browser:
        portal_sign_in(browser, portal, person.email, person.password)
        response = browser.session.post(portal + "/logout", timeout=15, allow_redirects=True)
        # id_token_hint names the session: no confirmation, straight back to the portal.
        assert response.url == portal + "/"
        assert 'id="signed-out"' in response.text
        assert browser.get("/account").url.startswith(live_server.url + "/login")


@pytest.mark.parametrize("portal", ["0"], indirect=True)
def test_portal_without_dpop_gets_bearer_tokens(live_server, portal, factories):
    person = factories.account()
    with Browser(live_server.url) as browser:
        home = portal_sign_in(browser, portal, person.email, person.password)
        assert "Tokens: <strong>Bearer</strong>" in home
        assert browser.session.get(portal + "/userinfo", timeout=15).json()["sub"] == person.sub
