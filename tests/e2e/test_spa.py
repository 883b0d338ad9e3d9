"""The single-page example (clients/spa) in Chromium: oidc-client-ts signs in with PKCE,
shows the claims, asks userinfo, refreshes with a rotating refresh token and signs out,
every call to Passport made by the page across origins (the page on its own port of
127.0.0.1, Passport on another), so the browser enforces Passport's CORS answers."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import requests
from werkzeug.serving import make_server

from clients.spa import create_spa, library_installed

from ..conftest import REQUIRE_SERVICES
from ..support.ports import free_port
from ..support.serving import InThread


@pytest.fixture(scope="module", autouse=True)
def _library():
    if not library_installed():
        message = "oidc-client-ts is not installed (npm ci --prefix clients/spa; make setup does)"
        if REQUIRE_SERVICES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@contextmanager
def serving_spa(issuer: str, client_id: str, port: int):
    server = make_server("127.0.0.1", port, create_spa(issuer, client_id), threaded=True)
    serving = InThread(server).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        serving.stop()


@pytest.fixture
def spa(live_server, factories):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client = factories.client(
        public=True,
        first_party=True,
        redirect_uri=url + "/callback",
        post_logout_redirect_uris=[url + "/"],
        scope="openid email profile offline_access",
    )
    with serving_spa(live_server.url, client.client_id, port) as served:
        yield served, client


def fetch_from_page(page, url: str, token: str | None = None) -> str:
    """What a script of the page gets from fetch(): the status, or the browser's refusal."""
    return page.evaluate(
        """async ([url, token]) => {
            const headers = token ? {Authorization: `Bearer ${token}`} : {};
            try {
                const answer = await fetch(url, {headers});
                return `status ${answer.status}`;
            } catch (error) {
                return `refused: ${error.name}`;
            }
        }""",
        [url, token],
    )


def test_the_single_page_app_signs_in_refreshes_and_signs_out(live_server, factories, page, spa):
    url, client = spa
    person = factories.account()
    page.goto(url + "/")
    page.click("#sign-in")
    page.wait_for_url(live_server.url + "/login**")
    page.fill("#login", person.email)
    page.fill("#password", person.password)
    page.click("button[type=submit]")

    page.wait_for_url(url + "/")
    assert page.inner_text("#who") == person.email
    assert person.email in page.inner_text("#claims")

    page.click("#userinfo")
    page.wait_for_selector("#status:has-text('Userinfo answered 200.')")
    assert person.email in page.inner_text("#userinfo-answer")

    access = page.get_attribute("#access-token", "data-value")
    refresh = page.get_attribute("#refresh-token", "data-value")
    assert refresh, "no refresh token: offline_access was asked"
    page.click("#refresh")
    page.wait_for_selector("#refreshes:has-text('1 time')")
    assert page.get_attribute("#access-token", "data-value") != access
    rotated = page.get_attribute("#refresh-token", "data-value")
    assert rotated and rotated != refresh

    page.click("#sign-out")
    page.wait_for_url(url + "/")
    page.wait_for_selector("#sign-in")
    page.goto(live_server.url + "/account")
    assert "/login" in page.url  # the Passport session ended too
    # oidc-client-ts revoked the refresh token from the page before leaving.
    answer = requests.post(
        live_server.url + "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": rotated,
            "client_id": client.client_id,
        },
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_a_page_on_an_unregistered_origin_is_refused_by_the_browser(live_server, page, spa):
    url, client = spa
    userinfo = live_server.url + "/userinfo"
    page.goto(url + "/")
    page.wait_for_selector("#sign-in")
    # From the registered origin the page reads Passport's answer (a refusal of the token).
    assert fetch_from_page(page, userinfo, "not-a-token") == "status 401"
    with serving_spa(live_server.url, client.client_id, free_port()) as elsewhere:
        page.goto(elsewhere + "/")
        page.wait_for_selector("#status")
        assert fetch_from_page(page, userinfo, "not-a-token") == "refused: TypeError"
        # The public documents are readable from any page.
        discovery = live_server.url + "/.well-known/openid-configuration"
        assert fetch_from_page(page, discovery) == "status 200"
