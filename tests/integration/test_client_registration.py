"""The developer console over real HTTP: a developer registers a portal, people sign in
through it, and the developer rotates its secret, disables, enables and deletes it."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from server import clock

from ..support.browser import Browser, Page
from ..support.delivery import (
    for_client,
    logout_tokens_for,
    passport_environment,
    run_worker,
    verify_logout_token,
)
from ..support.devices import Tokens, device, sign_in_to_portal
from ..support.factories import ClientInfo
from ..support.receiver import Receiver
from ..support.relying_party import RelyingParty

PASSPORT = str(Path(sys.executable).with_name("passport"))
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CALLBACK = "http://127.0.0.1:9/callback"
ALL_SCOPES = ["openid", "email", "phone", "profile", "offline_access"]


def grant_role(live_server, login: str, role: str = "developer") -> None:
    from server.services.developers import set_role

    with live_server.app_context():
        assert set_role(login, role, True) is not None


@pytest.fixture
def developer(factories, live_server):
    person = factories.account()
    grant_role(live_server, person.email)
    return person


@pytest.fixture
def console(live_server, developer):
    with Browser(live_server.url) as browser:
        browser.sign_in(developer.email, developer.password)
        yield browser


@pytest.fixture
def person_browser(live_server):
    with device(live_server.url) as browser:
        yield browser


def register(console: Browser, form: Page | None = None, **fields) -> Page:
    """Fill "New client" in the console and submit it."""
    values = {
        "client_name": "Shop " + os.urandom(3).hex(),
        "client_type": "web",
        "redirect_uris": CALLBACK,
        "post_logout_redirect_uris": "",
        "backchannel_logout_uri": "",
        "security_events_endpoint": "",
        "logo_uri": "",
        "client_uri": "",
        "scope": ALL_SCOPES,
        "id_token_signed_response_alg": "RS256",
        "contacts": "",
    }
    values.update(fields)
    return console.submit(form or console.get("/developers/clients/new"), "client_name", **values)


def shown(page: Page, element_id: str) -> str | None:
    found = re.search(rf'id="{element_id}"[^>]*>(?:<code>)?([^<]*)<', page.html)
    return html.unescape(found.group(1)).strip() if found else None


def shown_secret(page: Page) -> str | None:
    found = re.search(r'<pre class="codes"><code>([^<]+)</code>', page.html)
    return found.group(1) if found else None


def portal_for(live_server, page: Page, *, secret: str | None = None) -> RelyingParty:
    client_id = shown(page, "client-id")
    assert client_id, page.text[:500]
    method = "client_secret_basic" if secret else "none"
    info = ClientInfo(client_id, secret, CALLBACK, {"token_endpoint_auth_method": method})
    return RelyingParty(live_server.url, info)


def with_secret(portal: RelyingParty, secret: str) -> RelyingParty:
    client = portal.client
    return RelyingParty(
        portal.issuer, ClientInfo(client.client_id, secret, client.redirect_uri, client.metadata)
    )


def client_page(console: Browser, client_id: str) -> Page:
    return console.get(f"/developers/clients/{client_id}")


def press(console: Browser, page: Page, button: str, **values) -> Page:
    return console.submit(page, button, button=button, **values)


def introspection_status(portal: RelyingParty, token: str) -> int:
    """200 when the portal's credentials are accepted (whatever the token), 401 when not."""
    return portal.post("introspection_endpoint", {"token": token}).status_code


def test_create_see_the_secret_once_and_sign_in(live_server, console, person, person_browser):
    form = console.get("/developers/clients/new")
    page = register(console, form, client_name="Tea shop", contacts="dev@tea.example")
    assert page.status == 200, page.text[:500]
    assert "The client has been registered." in page.text
    secret = shown_secret(page)
    assert secret and len(secret) >= 40
    assert "Copy the secret now" in page.text
    portal = portal_for(live_server, page, secret=secret)
    client_id = portal.client.client_id
    assert shown(page, "discovery-url") == live_server.url + "/.well-known/openid-configuration"
    # Example configurations name this client, never its secret.
    for example in ("example-authlib", "example-openid-client", "example-mod-auth-openidc"):
        block = re.search(rf'id="{example}"><code>(.*?)</code>', page.html, re.S).group(1)
        assert client_id in block and secret not in block
        assert live_server.url + "/.well-known/openid-configuration" in block

    # Shown once: neither the client page nor the list shows it again.
    again = client_page(console, client_id)
    assert again.status == 200 and "Tea shop" in again.text
    assert "Web application with a server (confidential: has a secret)" in again.text
    assert secret not in again.html and shown_secret(again) is None
    listing = console.get("/developers/clients")
    assert "Tea shop" in listing.text and secret not in listing.html
    # Reloading the page that showed the secret sends the form again: no second client.
    reloaded = register(console, form, client_name="Tea shop", contacts="dev@tea.example")
    assert "This client has been registered already." in reloaded.text
    assert shown(reloaded, "client-id") == client_id and shown_secret(reloaded) is None
    assert console.get("/developers/clients").text.count("Tea shop") == 1
    assert shown(again, "accounts-linked") == "0" and shown(again, "tokens-issued") == "0"

    # A person signs in through the new client with the code flow (PKCE, consent).
    tokens = sign_in_to_portal(person_browser, portal, person)
    claims = portal.verify_id_token(tokens.values["id_token"])
    assert claims["sub"] == person.sub and claims["aud"] == [client_id]
    assert portal.userinfo(tokens.values["access_token"]).status_code == 200
    assert tokens.refresh_works()
    page = client_page(console, client_id)
    assert shown(page, "accounts-linked") == "1"
    assert shown(page, "tokens-issued") == "2"  # the sign-in and one refresh

    activity = console.get("/account/activity")
    assert "Client registered" in activity.text and "Tea shop" in activity.text


def test_public_clients_have_no_secret(live_server, console, person, person_browser):
    page = register(console, client_type="spa", client_name="Single page")
    assert page.status == 200 and shown_secret(page) is None
    assert "Rotate secret" not in page.text
    assert "Single-page application in the browser" in page.text
    portal = portal_for(live_server, page)
    tokens = sign_in_to_portal(person_browser, portal, person)
    assert portal.userinfo(tokens.values["access_token"]).status_code == 200
    native = register(console, client_type="native", redirect_uris="com.example.tea:/callback")
    assert native.status == 200 and shown(native, "client-id"), native.text[:500]
    assert "Native or mobile app" in native.text
    # The type is fixed after registration: the edit page names it instead of offering it.
    edit = console.get(f"/developers/clients/{shown(native, 'client-id')}/edit")
    assert "Native or mobile app" in edit.text and 'name="client_type"' not in edit.html


def test_rotate_without_grace_stops_the_old_secret_at_once(
    live_server, console, person, person_browser
):
    page = register(console)
    old_secret = shown_secret(page)
    portal = portal_for(live_server, page, secret=old_secret)
    tokens = sign_in_to_portal(person_browser, portal, person)

    before = client_page(console, portal.client.client_id)
    rotated = press(console, before, "rotate", grace_hours="0")
    assert "A new secret has been issued." in rotated.text
    new_secret = shown_secret(rotated)
    assert new_secret and new_secret != old_secret
    assert shown(rotated, "grace-end") is None
    assert new_secret not in client_page(console, portal.client.client_id).html

    old, new = portal, with_secret(portal, new_secret)
    refused = old.refresh(tokens.values["refresh_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert introspection_status(old, tokens.values["refresh_token"]) == 401
    assert Tokens(new, tokens.values).refresh_works()

    # Reloading the page that showed the secret sends the form again: nothing rotates,
    # so the secret the developer just copied keeps working.
    again = press(console, before, "rotate", grace_hours="0")
    assert "This secret has been rotated already" in again.text
    assert shown_secret(again) is None
    assert introspection_status(new, "anything") == 200


def test_rotate_with_grace_keeps_the_old_secret_until_it_ends(
    live_server, console, person, person_browser
):
    page = register(console)
    old_secret = shown_secret(page)
    portal = portal_for(live_server, page, secret=old_secret)
    tokens = sign_in_to_portal(person_browser, portal, person, offline=True)

    rotated = press(
        console, client_page(console, portal.client.client_id), "rotate", grace_hours="2"
    )
    new_secret = shown_secret(rotated)
    assert new_secret and new_secret != old_secret
    # The page tells when the previous secret stops working.
    ends = shown(client_page(console, portal.client.client_id), "grace-end")
    shown_at = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d)", ends or "")
    assert shown_at, ends
    parsed = datetime.strptime(shown_at.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert abs(parsed.timestamp() - (clock.timestamp() + 2 * 3600)) <= 120

    old, new = portal, with_secret(portal, new_secret)
    # During the grace period both secrets authenticate, at the token and introspection endpoints.
    assert introspection_status(old, tokens.values["refresh_token"]) == 200
    assert tokens.refresh_works()  # with the old secret
    newer = Tokens(new, tokens.values)
    assert newer.refresh_works()

    clock.travel(2 * 3600 + 1)
    refused = old.refresh(newer.values["refresh_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert introspection_status(old, newer.values["refresh_token"]) == 401
    assert introspection_status(new, newer.values["refresh_token"]) == 200
    assert newer.refresh_works()
    assert shown(client_page(console, portal.client.client_id), "grace-end") is None


def test_grace_period_cannot_exceed_the_maximum(live_server, console):
    page = register(console)
    portal = portal_for(live_server, page, secret=shown_secret(page))
    too_long = live_server.app.config["CLIENT_SECRET_GRACE_MAX"] // 3600 + 1
    refused = press(
        console, client_page(console, portal.client.client_id), "rotate", grace_hours=str(too_long)
    )
    assert "The grace period may be at most 168 hours." in refused.text
    assert shown_secret(refused) is None
    assert introspection_status(portal, "anything") == 200  # the secret still works


def test_disable_refuses_tokens_and_enable_restores(live_server, console, person, person_browser):
    page = register(console)
    portal = portal_for(live_server, page, secret=shown_secret(page))
    tokens = sign_in_to_portal(person_browser, portal, person)
    client_id = portal.client.client_id

    page = press(console, client_page(console, client_id), "disable")
    assert "The client is disabled" in page.text and "disabled" in page.text
    # No new tokens: the token endpoint refuses the client, and so does authorization.
    refused = portal.refresh(tokens.values["refresh_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    authorize = person_browser.open(portal.authorization_url())
    assert authorize.status == 400 and "Location" not in authorize.response.headers
    # Existing tokens are refused where resource servers check them.
    assert portal.userinfo(tokens.values["access_token"]).status_code == 401
    assert introspection_status(portal, tokens.values["access_token"]) == 401

    page = press(console, client_page(console, client_id), "enable")
    assert "The client is enabled again." in page.text
    assert portal.userinfo(tokens.values["access_token"]).status_code == 200
    assert tokens.refresh_works()
    assert sign_in_to_portal(person_browser, portal, person).values["id_token"]
    activity = console.get("/account/activity")
    assert "Client disabled" in activity.text and "Client enabled" in activity.text


def the_logout_token(live_server, receiver: Receiver, client_id: str) -> tuple[dict, dict]:
    """Run the outbox worker until the client's one logout token arrives; its header and claims."""
    run_worker(
        live_server,
        lambda: len(receiver.wait_for(1, 0, for_client(client_id))) >= 1,
        passes=5,
    )
    [token] = logout_tokens_for(receiver.snapshot(), client_id)
    return verify_logout_token(live_server.url, token)


def test_delete_after_confirmation_revokes_and_logs_out(
    live_server, console, person, person_browser
):
    with Receiver() as receiver:
        page = register(console, backchannel_logout_uri=receiver.url + "/backchannel-logout")
        portal = portal_for(live_server, page, secret=shown_secret(page))
        client_id = portal.client.client_id
        tokens = sign_in_to_portal(person_browser, portal, person)

        confirm = console.get(f"/developers/clients/{client_id}/delete")
        assert confirm.status == 200 and "cannot be undone" in confirm.text
        # Opening the confirmation deletes nothing.
        assert client_page(console, client_id).status == 200
        assert tokens.refresh_works()

        done = press(console, confirm, "confirm")
        assert "has been deleted" in done.text
        assert client_id not in done.html
        assert client_page(console, client_id).status == 404

        refused = portal.refresh(tokens.values["refresh_token"])
        assert refused.status_code in (400, 401)
        assert refused.json()["error"] in ("invalid_client", "invalid_grant")
        assert portal.userinfo(tokens.values["access_token"]).status_code == 401

        # The back-channel endpoint is told the person's session there is over, even
        # though the client's row is gone by the time the worker delivers.
        header, claims = the_logout_token(live_server, receiver, client_id)
        assert header["typ"] == "logout+jwt"
        assert claims["aud"] == client_id and claims["sub"] == person.sub
        assert claims["sid"] == tokens.sid
        assert "Client deleted" in console.get("/account/activity").text


def test_edit_keeps_the_rules_and_is_audited(live_server, console):
    page = register(console, client_name="Before")
    client_id = shown(page, "client-id")
    form = console.get(f"/developers/clients/{client_id}/edit")
    assert form.status == 200 and "Before" in form.html
    saved = console.submit(
        form,
        "client_name",
        client_name="After",
        redirect_uris="https://after.example/cb\nhttp://localhost:8080/cb",
        scope=["openid", "email"],
        id_token_signed_response_alg="ES256",
    )
    assert "The client has been saved." in saved.text
    assert "After" in saved.text and "https://after.example/cb" in saved.text
    refused = console.submit(
        console.get(f"/developers/clients/{client_id}/edit"),
        "client_name",
        redirect_uris="https://after.example/cb#frag",
        scope=["openid"],
        id_token_signed_response_alg="ES256",
    )
    assert "must not contain a fragment" in refused.text
    assert "https://after.example/cb#frag" not in client_page(console, client_id).text
    assert "Client changed" in console.get("/account/activity").text


REFUSALS = [
    # (what, form fields, the message shown next to the field)
    ("fragment", {"redirect_uris": "https://shop.example/cb#x"}, "must not contain a fragment"),
    ("http elsewhere", {"redirect_uris": "http://shop.example/cb"}, "use https"),
    ("wildcard", {"redirect_uris": "https://*.shop.example/cb"}, "wildcards (*) are not allowed"),
    ("relative", {"redirect_uris": "/callback"}, "enter an absolute URL"),
    ("port out of range", {"redirect_uris": "https://shop.example:99999/cb"}, "absolute URL"),
    ("invisible character", {"redirect_uris": "https://shop.example/c\u200bb"}, "absolute URL"),
    (
        "private scheme for a web app",
        {"redirect_uris": "com.example.shop:/cb"},
        "are for native apps only",
    ),
    ("javascript", {"redirect_uris": "javascript:alert(1)"}, "use https"),
    (
        "user name in the URL",
        {"redirect_uris": "https://shop.example@evil.example/cb"},
        "must not contain a user name or password",
    ),
    (
        "loopback behind a user name",
        {"redirect_uris": "http://user:pw@127.0.0.1:8080/cb"},
        "must not contain a user name or password",
    ),
    ("no redirect URI", {"redirect_uris": ""}, "This field is required."),
    (
        "post-logout fragment",
        {"post_logout_redirect_uris": "https://shop.example/bye#x"},
        "must not contain a fragment",
    ),
    (
        "back-channel over http",
        {"backchannel_logout_uri": "http://shop.example/logout"},
        "use https",
    ),
    (
        "security events wildcard",
        {"security_events_endpoint": "https://shop.example/*"},
        "wildcards (*) are not allowed",
    ),
    ("logo over http", {"logo_uri": "http://cdn.example/logo.png"}, "use https"),
    ("home page relative", {"client_uri": "shop.example"}, "enter an absolute URL"),
    ("contact", {"contacts": "not-an-address"}, "is not an e-mail address"),
    ("first party by a developer", {"first_party": "y"}, "Only operators may mark"),
]


@pytest.mark.parametrize(("what", "fields", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_console_refuses_bad_metadata(live_server, console, what, fields, message):
    before = console.get("/developers/clients").html.count("data-client=")
    page = register(console, **fields)
    assert page.status == 200
    assert message in page.text, (what, page.text[:800])
    assert 'class="field-error"' in page.html
    assert shown(page, "client-id") is None
    assert console.get("/developers/clients").html.count("data-client=") == before


REGISTRATION_REFUSALS = [
    ({"redirect_uris": ["https://shop.example/cb#x"]}, "invalid_redirect_uri", "fragment"),
    ({"redirect_uris": ["http://shop.example/cb"]}, "invalid_redirect_uri", "https"),
    ({"redirect_uris": ["https://*.shop.example/cb"]}, "invalid_redirect_uri", "wildcard"),
    ({"redirect_uris": ["/callback"]}, "invalid_redirect_uri", "absolute"),
    ({"redirect_uris": ["com.example.shop:/cb"]}, "invalid_redirect_uri", "native apps only"),
    ({"redirect_uris": ["https://a@shop.example/cb"]}, "invalid_redirect_uri", "user name"),
    ({"redirect_uris": ["https://shop.example:99999/cb"]}, "invalid_redirect_uri", "not a valid"),
    ({"redirect_uris": ["https://shop.example/cb\x00"]}, "invalid_redirect_uri", "not a valid"),
    ({"redirect_uris": ["https://shop.example/\u202ebc"]}, "invalid_redirect_uri", "not a valid"),
    (
        {"redirect_uris": ["https://evil.example\\.shop.example/cb"]},
        "invalid_redirect_uri",
        "not a valid",
    ),
    (
        {"redirect_uris": [CALLBACK], "client_uri": "https://x:y@shop.example/"},
        "invalid_client_metadata",
        "user name",
    ),
    (
        {"redirect_uris": [CALLBACK], "post_logout_redirect_uris": ["https://x.example/#y"]},
        "invalid_client_metadata",
        "fragment",
    ),
    (
        {"redirect_uris": [CALLBACK], "backchannel_logout_uri": "http://x.example/logout"},
        "invalid_client_metadata",
        "https",
    ),
    (
        {"redirect_uris": [CALLBACK], "logo_uri": "http://x.example/logo.png"},
        "invalid_client_metadata",
        "https",
    ),
    (
        {"redirect_uris": [CALLBACK], "scope": "openid admin"},
        "invalid_client_metadata",
        "not supported",
    ),
    (
        {"redirect_uris": [CALLBACK], "userinfo_signed_response_alg": "HS256"},
        "invalid_client_metadata",
        "userinfo_signed_response_alg",
    ),
    (  # a field Passport does not check is still stored: the whole is bounded
        {"redirect_uris": [CALLBACK], "software_statement_notes": "x" * 70000},
        "invalid_client_metadata",
        "at most 64 KiB",
    ),
]


@pytest.mark.parametrize(("metadata", "error", "described"), REGISTRATION_REFUSALS)
def test_registration_refuses_the_same(live_server, metadata, error, described):
    response = requests.post(live_server.url + "/register", json=metadata, timeout=10)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error and described in body["error_description"]


def test_registration_accepts_a_native_private_scheme(live_server):
    response = requests.post(
        live_server.url + "/register",
        json={
            "redirect_uris": ["com.example.shop:/cb", "http://127.0.0.1:7000/cb"],
            "application_type": "native",
            "token_endpoint_auth_method": "none",
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    assert "client_secret" not in response.json()


def test_operator_may_mark_first_party(live_server, factories, person, person_browser):
    operator = factories.account()
    grant_role(live_server, operator.email, "operator")
    with Browser(live_server.url) as console:
        console.sign_in(operator.email, operator.password)
        page = register(console, first_party="y")
        assert "first-party" in page.text
        portal = portal_for(live_server, page, secret=shown_secret(page))
    # A first-party portal signs the person in without a consent screen.
    params = portal.authorize(
        person_browser, login=person.email, password=person.password, consent=False
    )
    assert "code" in params


def test_another_developer_gets_404_everywhere(live_server, console, factories):
    page = register(console)
    secret = shown_secret(page)
    portal = portal_for(live_server, page, secret=secret)
    client_id = portal.client.client_id
    stranger = factories.account()
    grant_role(live_server, stranger.email)
    with Browser(live_server.url) as other:
        other.sign_in(stranger.email, stranger.password)
        assert client_id not in other.get("/developers/clients").html
        base = f"/developers/clients/{client_id}"
        for path in (base, base + "/edit", base + "/delete"):
            assert other.get(path).status == 404, path
        # Forged posts, with a valid CSRF token of the stranger's own session.
        token = other.get("/developers/clients/new").form("csrf_token").fields["csrf_token"]
        for action in ("/rotate", "/disable", "/enable", "/delete", "/edit"):
            response = other.session.post(
                other.url(base + action),
                data={"csrf_token": token, "grace_hours": "0", "client_name": "Mine"},
                timeout=15,
                allow_redirects=False,
            )
            assert response.status_code == 404, action
    # Nothing changed: the client is enabled, named as before, and its secret still works.
    assert introspection_status(portal, "anything") == 200
    assert "Mine" not in client_page(console, client_id).text


def test_non_developers_are_told_and_strangers_sign_in_first(live_server, person):
    with Browser(live_server.url) as browser:
        anonymous = browser.session.get(
            browser.url("/developers/clients"), timeout=15, allow_redirects=False
        )
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
        browser.sign_in(person.email, person.password)
        page = browser.get("/developers/clients")
        assert page.status == 403
        assert "The developer console is for developers." in page.text
        assert browser.get("/developers/clients/new").status == 403
        assert 'href="/developers/clients"' not in browser.get("/account").html


def passport_cli(live_server, *args) -> subprocess.CompletedProcess:
    """`passport …` as an operator runs it, against the live server's database."""
    return subprocess.run(
        [PASSPORT, *args],
        cwd=PROJECT_ROOT,
        env=passport_environment(live_server),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_grant_developer_from_the_command_line(live_server, factories):
    someone = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(someone.email, someone.password)
        assert browser.get("/developers/clients").status == 403
        granted = passport_cli(live_server, "users", "grant-developer", someone.email.upper())
        assert granted.returncode == 0, granted.stderr
        page = browser.get("/developers/clients")
        assert page.status == 200 and "New client" in page.text
        assert 'href="/developers/clients"' in page.html  # the "Developers" link
        revoked = passport_cli(live_server, "users", "revoke-developer", someone.email)
        assert revoked.returncode == 0
        assert browser.get("/developers/clients").status == 403
    unknown = passport_cli(live_server, "users", "grant-developer", "nobody@example.org")
    assert unknown.returncode != 0 and "no account" in unknown.stderr
    # Clients registered with a token belong to its owner: only a developer may own them.
    refused = passport_cli(live_server, "registration-token", "create", "--owner", someone.email)
    assert refused.returncode != 0 and "is not a developer" in refused.stderr


def test_registration_with_a_developers_token_shows_in_the_console(live_server, developer, console):
    made = passport_cli(live_server, "registration-token", "create", "--owner", developer.email)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    response = requests.post(
        live_server.url + "/register",
        json={"client_name": "Automated portal", "redirect_uris": ["https://auto.example/cb"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    client_id = response.json()["client_id"]
    listing = console.get("/developers/clients")
    assert client_id in listing.html and "Automated portal" in listing.text
    page = client_page(console, client_id)
    assert page.status == 200 and shown(page, "client-id") == client_id


def test_console_in_russian(live_server, console):
    page = console.get("/developers/clients?ui_locales=ru")
    assert '<html lang="ru"' in page.html
    assert "Новый клиент" in page.text
    refused = register(console, redirect_uris="https://shop.example/cb#x")
    assert "фрагмент" in refused.text


def registered_by(live_server, developer, **metadata) -> dict:
    """A client registered over RFC 7591 with an initial access token of the developer."""
    from server.services.clients import create_initial_access_token

    with live_server.app_context():
        token = create_initial_access_token(owner_id=developer.id)
    response = requests.post(
        live_server.url + "/register",
        json={"client_name": "Automated " + os.urandom(3).hex(), **metadata},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_disabled_client_cannot_manage_itself_nor_get_client_credentials(
    live_server, developer, console
):
    info = registered_by(
        live_server,
        developer,
        redirect_uris=["https://auto.example/cb"],
        grant_types=["authorization_code", "client_credentials"],
    )
    client_id, secret = info["client_id"], info["client_secret"]
    configuration = info["registration_client_uri"]
    management = {"Authorization": "Bearer " + info["registration_access_token"]}
    token_endpoint = live_server.url + "/token"
    issued = requests.post(
        token_endpoint, data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert issued.status_code == 200, issued.text

    press(console, client_page(console, client_id), "disable")
    refused = requests.post(
        token_endpoint, data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    # RFC 7592: while disabled, its registration access token reads, changes and deletes nothing.
    assert requests.get(configuration, headers=management, timeout=10).status_code == 401
    changed = requests.put(
        configuration,
        json={
            "client_id": client_id,
            "client_name": "Taken over",
            "redirect_uris": ["https://attacker.example/cb"],
        },
        headers=management,
        timeout=10,
    )
    assert changed.status_code == 401 and changed.json()["error"] == "invalid_token"
    assert requests.delete(configuration, headers=management, timeout=10).status_code == 401
    page = client_page(console, client_id)
    assert page.status == 200 and "attacker.example" not in page.text

    press(console, page, "enable")
    assert requests.get(configuration, headers=management, timeout=10).status_code == 200


def test_registration_answers_json_of_the_wrong_shape_with_a_400(live_server):
    base = {"redirect_uris": ["https://auto.example/cb"]}
    for jwks in ({}, {"key": []}):
        response = requests.post(
            live_server.url + "/register", json={**base, "jwks": jwks}, timeout=10
        )
        assert response.status_code == 400, (jwks, response.text)
        assert response.json()["error"] == "invalid_client_metadata"
    info = requests.post(live_server.url + "/register", json=base, timeout=10).json()
    management = {"Authorization": "Bearer " + info["registration_access_token"]}
    for wrong in ({"client_secret": 42}, {"client_secret": ["x"]}, {"jwks": {}}):
        response = requests.put(
            info["registration_client_uri"],
            json={**base, "client_id": info["client_id"], **wrong},
            headers=management,
            timeout=10,
        )
        assert response.status_code == 400, (wrong, response.text)
        assert response.json()["error"] in ("invalid_request", "invalid_client_metadata")


def rename(console: Browser, client_id: str, name: str, redirect_uri: str) -> None:
    """Save the client's edit form with a new name (and the fields the browser cannot keep)."""
    saved = console.submit(
        console.get(f"/developers/clients/{client_id}/edit"),
        "client_name",
        client_name=name,
        redirect_uris=redirect_uri,
        scope=["openid"],
        id_token_signed_response_alg="RS256",
    )
    assert "The client has been saved." in saved.text, saved.text[:500]


def test_editing_a_registered_client_keeps_how_it_authenticates(live_server, developer, console):
    info = registered_by(
        live_server,
        developer,
        redirect_uris=["https://auto.example/cb"],
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        token_endpoint_auth_method="client_secret_post",
    )
    client_id = info["client_id"]
    rename(console, client_id, "Renamed in the console", "https://auto.example/cb")
    # The portal's own choices at registration still hold: it authenticates in the body
    # and may still use client_credentials.
    issued = requests.post(
        live_server.url + "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": info["client_secret"],
        },
        timeout=10,
    )
    assert issued.status_code == 200, issued.text
    management = {"Authorization": "Bearer " + info["registration_access_token"]}
    read = requests.get(info["registration_client_uri"], headers=management, timeout=10).json()
    assert read["client_name"] == "Renamed in the console"
    assert read["token_endpoint_auth_method"] == "client_secret_post"

    native = registered_by(
        live_server,
        developer,
        redirect_uris=["com.example.auto:/cb"],
        application_type="native",
    )
    rename(console, native["client_id"], "Native, renamed", "com.example.auto:/cb")


def test_rotating_again_during_a_grace_period_ends_the_first_secret(
    live_server, console, person, person_browser
):
    page = register(console)
    first = shown_secret(page)
    portal = portal_for(live_server, page, secret=first)
    client_id = portal.client.client_id
    tokens = sign_in_to_portal(person_browser, portal, person, offline=True)
    second = shown_secret(
        press(console, client_page(console, client_id), "rotate", grace_hours="2")
    )
    before = client_page(console, client_id)
    # The page warns that one more rotation ends the secret still in its grace period.
    assert "Rotating again stops the previous secret at once" in before.text
    third = shown_secret(press(console, before, "rotate", grace_hours="1"))
    assert len({first, second, third}) == 3

    # Only one previous secret is kept: the first stops, the second has the new grace.
    refused = portal.refresh(tokens.values["refresh_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert introspection_status(with_secret(portal, second), "anything") == 200
    assert introspection_status(with_secret(portal, third), "anything") == 200
    ends = shown(client_page(console, client_id), "grace-end")
    shown_at = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d)", ends or "")
    parsed = datetime.strptime(shown_at.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert abs(parsed.timestamp() - (clock.timestamp() + 3600)) <= 120
    clock.travel(3600 + 1)
    assert introspection_status(with_secret(portal, second), "anything") == 401
    assert Tokens(with_secret(portal, third), tokens.values).refresh_works()


def test_every_console_post_needs_the_csrf_token(live_server, console):
    page = register(console, client_name="Guarded")
    portal = portal_for(live_server, page, secret=shown_secret(page))
    base = f"/developers/clients/{portal.client.client_id}"
    before = console.get("/developers/clients").html.count("data-client=")
    forged = {"client_name": "Forged", "redirect_uris": CALLBACK, "grace_hours": "0"}
    for path in ("/developers/clients/new", *(base + a for a in ACTIONS)):
        response = console.session.post(
            console.url(path), data=forged, timeout=15, allow_redirects=False
        )
        assert response.status_code == 400, (path, response.status_code)
    # The owner's session did not change a thing: same clients, same name, secret still valid.
    assert console.get("/developers/clients").html.count("data-client=") == before
    after = client_page(console, portal.client.client_id)
    assert "Forged" not in after.text and 'class="badge off"' not in after.html
    assert introspection_status(portal, "anything") == 200


ACTIONS = ("/edit", "/rotate", "/disable", "/enable", "/delete")


@pytest.mark.parametrize(("metadata", "error", "described"), REGISTRATION_REFUSALS)
def test_registration_updates_refuse_the_same(live_server, metadata, error, described):
    original = {"client_name": "Kept", "redirect_uris": [CALLBACK]}
    info = requests.post(live_server.url + "/register", json=original, timeout=10).json()
    management = {"Authorization": "Bearer " + info["registration_access_token"]}
    response = requests.put(
        info["registration_client_uri"],
        json={"client_id": info["client_id"], "client_name": "Changed", **metadata},
        headers=management,
        timeout=10,
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error and described in body["error_description"]
    read = requests.get(info["registration_client_uri"], headers=management, timeout=10).json()
    assert read["client_name"] == "Kept" and read["redirect_uris"] == [CALLBACK]


def test_an_operator_manages_every_developers_client(live_server, console, factories):
    page = register(console, client_name="Owned by a developer")
    portal = portal_for(live_server, page, secret=shown_secret(page))
    client_id = portal.client.client_id
    operator = factories.account()
    grant_role(live_server, operator.email, "operator")
    with Browser(live_server.url) as other:
        other.sign_in(operator.email, operator.password)
        assert client_id in other.get("/developers/clients").html
        disabled = press(other, client_page(other, client_id), "disable")
        assert "The client is disabled" in disabled.text
    assert introspection_status(portal, "anything") == 401
    # The owner sees what the operator did, in the client's page and the activity.
    assert 'class="badge off"' in client_page(console, client_id).html
    assert "Client disabled" in console.get("/account/activity").text
    # It is the operator's hold: the owner cannot lift it…
    refused = press(console, client_page(console, client_id), "enable")
    assert "only an operator can enable it again" in refused.text
    assert 'class="badge off"' in client_page(console, client_id).html
    assert introspection_status(portal, "anything") == 401
    # …an operator can.
    with Browser(live_server.url) as other:
        other.sign_in(operator.email, operator.password)
        enabled = press(other, client_page(other, client_id), "enable")
        assert "The client is enabled again." in enabled.text
    assert introspection_status(portal, "anything") == 200
    assert 'class="badge off"' not in client_page(console, client_id).html


def test_userinfo_refuses_a_client_credentials_token(live_server, developer):
    info = registered_by(
        live_server,
        developer,
        grant_types=["client_credentials"],
        scope="openid email",
    )
    issued = requests.post(
        live_server.url + "/token",
        data={"grant_type": "client_credentials", "scope": "openid email"},
        auth=(info["client_id"], info["client_secret"]),
        timeout=10,
    )
    assert issued.status_code == 200, issued.text
    # The token stands for the portal itself: there is no person to describe.
    response = requests.get(
        live_server.url + "/userinfo",
        headers={"Authorization": "Bearer " + issued.json()["access_token"]},
        timeout=10,
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_deleting_by_registration_access_token_revokes_and_logs_out(
    live_server, person, person_browser
):
    with Receiver() as receiver:
        response = requests.post(
            live_server.url + "/register",
            json={
                "client_name": "Deleted by automation",
                "redirect_uris": [CALLBACK],
                "grant_types": ["authorization_code", "refresh_token"],
                "backchannel_logout_uri": receiver.url + "/backchannel-logout",
            },
            timeout=10,
        )
        assert response.status_code == 201, response.text
        info = response.json()
        client_id = info["client_id"]
        portal = RelyingParty(
            live_server.url, ClientInfo(client_id, info["client_secret"], CALLBACK, {})
        )
        tokens = sign_in_to_portal(person_browser, portal, person)

        management = {"Authorization": "Bearer " + info["registration_access_token"]}
        deleted = requests.delete(info["registration_client_uri"], headers=management, timeout=10)
        assert deleted.status_code == 204, deleted.text
        refused = portal.refresh(tokens.values["refresh_token"])
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        assert portal.userinfo(tokens.values["access_token"]).status_code == 401
        gone = requests.get(info["registration_client_uri"], headers=management, timeout=10)
        assert gone.status_code == 401

        _header, claims = the_logout_token(live_server, receiver, client_id)
        assert claims["sub"] == person.sub and claims["sid"] == tokens.sid


@pytest.mark.parametrize(
    ("registered", "asked"), [("none", "client_secret_basic"), ("client_secret_basic", "none")]
)
def test_registration_updates_keep_a_client_public_or_confidential(live_server, registered, asked):
    info = requests.post(
        live_server.url + "/register",
        json={"redirect_uris": [CALLBACK], "token_endpoint_auth_method": registered},
        timeout=10,
    ).json()
    management = {"Authorization": "Bearer " + info["registration_access_token"]}
    response = requests.put(
        info["registration_client_uri"],
        json={
            "client_id": info["client_id"],
            "redirect_uris": [CALLBACK],
            "token_endpoint_auth_method": asked,
        },
        headers=management,
        timeout=10,
    )
    # A secret is issued at registration only: a public client given client_secret_basic
    # could never authenticate, a confidential one made public would keep a dead secret.
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    assert "token_endpoint_auth_method" in response.json()["error_description"]
    read = requests.get(info["registration_client_uri"], headers=management, timeout=10).json()
    assert read["token_endpoint_auth_method"] == registered


def test_a_registration_access_token_serves_the_client_its_url_names(live_server):
    first, second = (
        requests.post(live_server.url + "/register", json={"redirect_uris": [CALLBACK]}).json()
        for _ in range(2)
    )
    management = {"Authorization": "Bearer " + first["registration_access_token"]}
    # The client is the one in the path, whatever a query string may add.
    misleading = second["registration_client_uri"] + "?then=/" + first["client_id"]
    response = requests.get(misleading, headers=management, timeout=10)
    assert response.status_code in (400, 401, 403), response.text
    changed = requests.put(
        misleading,
        json={
            "client_id": first["client_id"],
            "client_name": "Hijacked",
            "redirect_uris": [CALLBACK],
        },
        headers=management,
        timeout=10,
    )
    assert changed.status_code in (400, 401, 403), changed.text
    read = requests.get(first["registration_client_uri"], headers=management, timeout=10).json()
    assert read.get("client_name") != "Hijacked"
