"""Native apps (RFC 8252) over HTTP: a loopback redirect URI registered without a port
takes any port at the time of the request (§7.3), for the app that registered it and only
on the loopback IP literals; everything else is compared as written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..support.browser import Browser
from ..support.factories import ClientInfo
from ..support.relying_party import RelyingParty

CHECKOUT = Path(__file__).resolve().parents[2]


def native_app(factories, redirect_uri: str, application_type: str = "native") -> ClientInfo:
    return factories.client(
        public=True,
        first_party=True,
        redirect_uri=redirect_uri,
        application_type=application_type,
    )


def authorize(live_server, person, client: ClientInfo, redirect_uri: str):
    """The authorization response (or the page) for `redirect_uri`, signed in."""
    app = RelyingParty(live_server.url, client)
    app.oauth.redirect_uri = redirect_uri
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(app.authorization_url(scope="openid"))
    return app, page


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]"])
def test_a_loopback_redirect_uri_takes_any_port(live_server, factories, person, host):
    client = native_app(factories, f"http://{host}/callback")
    asked = f"http://{host}:53124/callback"
    app, page = authorize(live_server, person, client, asked)
    location = page.response.headers.get("Location", "")
    assert location.startswith(asked + "?code="), (page.status, location, page.text[:200])
    code = location.split("code=")[1].split("&")[0]
    tokens = app.post("token_endpoint", {**app.code_form({"code": code}), "redirect_uri": asked})
    assert tokens.status_code == 200, tokens.text


@pytest.mark.parametrize(
    "asked",
    [
        "http://127.0.0.1:53124/other",
        "http://127.0.0.2:53124/callback",
        "http://localhost:53124/callback",
        "https://127.0.0.1:53124/callback",
        "http://127.0.0.1:53124/callback/",
    ],
    ids=["another-path", "another-address", "localhost", "https", "trailing-slash"],
)
def test_anything_but_the_port_is_compared_as_written(live_server, factories, person, asked):
    client = native_app(factories, "http://127.0.0.1/callback")
    _app, page = authorize(live_server, person, client, asked)
    assert page.status == 400 and "redirect_uri" in page.text, page.response.headers


def test_a_web_client_gets_no_port_of_its_choosing(live_server, factories, person):
    client = native_app(factories, "http://127.0.0.1/callback", application_type="web")
    _app, page = authorize(live_server, person, client, "http://127.0.0.1:53124/callback")
    assert page.status == 400


def test_the_command_line_example_signs_in(live_server, factories, person):
    """clients/native as a person runs it: it prints where to sign in, a browser does,
    Passport sends the browser back to the port the program listens on."""
    client = native_app(factories, "http://127.0.0.1/callback")
    program = subprocess.Popen(
        [sys.executable, "-m", "clients.native", "--issuer", live_server.url]
        + ["--client-id", client.client_id, "--no-browser"],
        cwd=CHECKOUT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        asked = program.stderr.readline().split("Sign in at: ", 1)[1].strip()
        with Browser(live_server.url) as browser:
            browser.sign_in(person.email, person.password)
            back = browser.open(asked).response.headers["Location"]
            assert back.startswith("http://127.0.0.1:") and "code=" in back, back
            assert "Signed in" in browser.session.get(back, timeout=10).text
        output, errors = program.communicate(timeout=30)
    finally:
        program.kill()
    assert program.returncode == 0, errors
    result = json.loads(output)
    assert result["userinfo"]["email"] == person.email
    assert result["id_token"]["sub"] == result["userinfo"]["sub"]
    assert client.client_id in result["id_token"]["aud"]


@pytest.mark.parametrize(
    "redirect_uri",
    ["com.example.tea:/callback", "https://tea.example.org/app/callback"],
    ids=["private-use-scheme", "claimed-https"],
)
def test_a_native_app_gets_its_code_at_its_own_redirect_uri(
    live_server, factories, person, redirect_uri
):
    """RFC 8252 §7.1 (a private-use scheme, a reverse domain name) and §7.2 (an https URI
    the app claims): compared as written, with PKCE."""
    client = native_app(factories, redirect_uri)
    app, page = authorize(live_server, person, client, redirect_uri)
    location = page.response.headers.get("Location", "")
    assert location.startswith(redirect_uri + "?code="), (page.status, location)
    code = location.split("code=")[1].split("&")[0]
    tokens = app.post("token_endpoint", app.code_form({"code": code}))
    assert tokens.status_code == 200, tokens.text
    other = redirect_uri.replace("callback", "other")
    _app, refused = authorize(live_server, person, client, other)
    assert refused.status == 400
