"""The developer console over real HTTP: a developer registers a portal, people sign in
through it, and the developer edits, disables, enables and deletes it."""

from __future__ import annotations

import json
import re

import pytest
import requests

from ..support.assertions import new_key, public_jwks
from ..support.browser import Browser
from ..support.console import (
    CALLBACK,
    asking,
    client_page,
    introspection_status,
    portal_for,
    press,
    register,
    shown,
    shown_secret,
    the_logout_token,
)
from ..support.devices import sign_in_to_portal
from ..support.dpop import DPoPKey
from ..support.receiver import Receiver


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


def test_disable_refuses_tokens_and_enable_restores(live_server, console, person, person_browser):
    page = register(console)
    portal = portal_for(live_server, page, secret=shown_secret(page))
    tokens = sign_in_to_portal(person_browser, portal, person)
    client_id = portal.client.client_id

    page = press(console, asking(console, client_id, "disable"), "disable")
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


def test_disabling_asks_first(live_server, console):
    """The client page leads to a page that asks; only its button disables the client."""
    page = register(console, client_name="Careful")
    portal = portal_for(live_server, page, secret=shown_secret(page))
    client_id = portal.client.client_id
    client = client_page(console, client_id)
    assert f'action="/developers/clients/{client_id}/disable"' not in client.html
    assert f'href="/developers/clients/{client_id}/disable"' in client.html

    asked = asking(console, client_id, "disable")
    assert asked.status == 200 and "Disable Careful?" in asked.text
    assert 'class="badge off"' not in client_page(console, client_id).html
    assert introspection_status(portal, "anything") == 200

    done = press(console, asked, "disable")
    assert "The client is disabled" in done.text and 'class="badge off"' in done.html
    assert introspection_status(portal, "anything") == 401


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


def test_a_developer_lets_pages_of_other_origins_call_passport(live_server, console):
    """The web origins box (allowed_cors_origins): written as a browser sends Origin, kept
    by an edit that leaves it, emptied by one that empties it."""
    page = register(console, allowed_cors_origins="https://App.Example.org:443\nhttps://b.example")
    client_id = shown(page, "client-id")
    assert "https://app.example.org" in client_page(console, client_id).text
    form = console.get(f"/developers/clients/{client_id}/edit")
    assert "https://app.example.org\nhttps://b.example</textarea>" in form.html
    saved = console.submit(
        form,
        "client_name",
        client_name="Renamed",
        redirect_uris=CALLBACK,
        allowed_cors_origins="https://app.example.org\nhttps://b.example",
        scope=["openid"],
        id_token_signed_response_alg="RS256",
    )
    assert "The client has been saved." in saved.text
    assert "https://b.example" in client_page(console, client_id).text
    form = console.get(f"/developers/clients/{client_id}/edit")
    saved = console.submit(
        form,
        "client_name",
        redirect_uris=CALLBACK,
        allowed_cors_origins="",
        scope=["openid"],
        id_token_signed_response_alg="RS256",
    )
    assert "The client has been saved." in saved.text
    assert 'id="web-origins"' not in client_page(console, client_id).html


def test_a_developer_requires_a_second_factor_of_everyone(live_server, console, person):
    """The "require two-factor authentication" box: the client's policy (require_mfa), which
    editing keeps and unticking ends; a person without 2FA is then told to turn it on."""
    page = register(console, client_name="Bank", require_mfa="y")
    client_id = shown(page, "client-id")
    assert shown(page, "require-mfa") == "required of everyone who signs in"
    form = console.get(f"/developers/clients/{client_id}/edit")
    assert form.form("client_name").fields.get("require_mfa") == "y"  # ticked
    portal = portal_for(live_server, page)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        answer = browser.open(portal.authorization_url())
        assert answer.status == 403 and 'id="mfa-required"' in answer.html
        saved = console.submit(
            form,
            "client_name",
            redirect_uris=CALLBACK,
            scope=["openid", "email"],
            id_token_signed_response_alg="RS256",
            require_mfa=None,
        )
        assert shown(saved, "require-mfa") == "as each person chooses"
        answer = browser.open(portal.authorization_url())
        assert answer.status == 200 and 'name="decision"' in answer.html  # on to consent


def registered_with_box(console, box: str, **fields):
    """A portal registered with the box `box` ticked; its edit form keeps it ticked."""
    page = register(console, client_name="Portal with " + box, **{box: "y"}, **fields)
    form = console.get(f"/developers/clients/{shown(page, 'client-id')}/edit")
    assert form.form("client_name").fields.get(box) == "y"
    return page


def test_a_developer_makes_a_portal_push_its_requests(live_server, console, person):
    """The "only pushed authorization requests" box: require_pushed_authorization_requests
    (RFC 9126 §6), kept by editing; the portal's plain request is then refused."""
    page = registered_with_box(console, "require_pushed_authorization_requests")
    assert shown(page, "require-par") == "pushed only (PAR)"
    portal = portal_for(live_server, page, secret=shown_secret(page))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        refused = portal.callback_params(browser.open(portal.authorization_url()))
        assert refused["error"] == "invalid_request"
        answer = portal.push()
        assert answer.status_code == 201, answer.text
        page = browser.open(portal.pushed_url(answer.json()["request_uri"]))
        assert page.status == 200 and 'name="decision"' in page.html  # on to consent


def test_a_developer_makes_a_portal_use_dpop(live_server, console, person):
    """The "only DPoP-bound tokens" box: dpop_bound_access_tokens (RFC 9449 §5.2), kept by
    editing; the portal's token request without a proof is then refused."""
    page = registered_with_box(console, "dpop_bound_access_tokens")
    assert shown(page, "dpop-bound") == "DPoP-bound only"
    portal = portal_for(live_server, page, secret=shown_secret(page))
    with Browser(live_server.url) as browser:
        params = portal.authorize(browser, login=person.email, password=person.password)
    answer = portal.post("token_endpoint", portal.code_form(params))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_dpop_proof"
    portal.dpop = DPoPKey()
    assert portal.exchange(params)["token_type"] == "DPoP"


def test_a_developer_holds_a_portal_to_fapi2(live_server, console):
    """The FAPI 2.0 box: kept by editing, and a portal with a secret is refused under it."""
    key = new_key("PS256")
    page = registered_with_box(
        console,
        "fapi2_security_profile",
        token_endpoint_auth_method="private_key_jwt",
        jwks=json.dumps(public_jwks(key)),
        redirect_uris="https://bank.example/callback",
        id_token_signed_response_alg="PS256",
    )
    assert shown(page, "fapi2") == "FAPI 2.0" and shown(page, "require-par") == "pushed only (PAR)"
    refused = register(console, client_name="Bank with a secret", fapi2_security_profile="y")
    assert "private_key_jwt" in refused.text


def test_a_developer_lets_a_portal_sign_in_on_devices(live_server, console, person):
    """The device box adds RFC 8628's grant type; the portal's device then signs in."""
    page = registered_with_box(console, "device_sign_in")
    client_id = shown(page, "client-id")
    answer = requests.post(
        live_server.url + "/device_authorization",
        data={"client_id": client_id, "scope": "openid"},
        auth=(client_id, shown_secret(page)),
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["verification_uri"].endswith("/device")


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
    (
        "origin with a path",
        {"allowed_cors_origins": "https://app.example/spa"},
        "an origin is a scheme and a host",
    ),
    ("origin over http", {"allowed_cors_origins": "http://app.example"}, "use https"),
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


def test_console_in_russian(live_server, console):
    page = console.get("/developers/clients?ui_locales=ru")
    assert '<html lang="ru"' in page.html
    assert "Новый клиент" in page.text
    refused = register(console, redirect_uris="https://shop.example/cb#x")
    assert "фрагмент" in refused.text


ACTIONS = ("/edit", "/rotate", "/disable", "/enable", "/delete")


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
