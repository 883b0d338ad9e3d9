"""Dynamic client registration (RFC 7591) and management (RFC 7592): the same rules as
the console, registration access tokens, and clients registered by a developer's token."""

from __future__ import annotations

import os

import pytest
import requests

from ..support.browser import Browser
from ..support.console import (
    CALLBACK,
    asking,
    client_page,
    passport_cli,
    press,
    shown,
    the_logout_token,
)
from ..support.devices import sign_in_to_portal
from ..support.factories import ClientInfo
from ..support.receiver import Receiver
from ..support.relying_party import RelyingParty

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

    press(console, asking(console, client_id, "disable"), "disable")
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
