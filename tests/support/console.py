"""The developer console as a test drives it: filling the forms, reading the pages, the
portal a registered client becomes, and the `passport` command an operator runs."""

from __future__ import annotations

import html
import os
import re

from .browser import Browser, Page
from .cli import Ran, run_in_process
from .delivery import (
    for_client,
    logout_tokens_for,
    passport_environment,
    run_worker,
    verify_logout_token,
)
from .factories import ClientInfo
from .receiver import Receiver
from .relying_party import RelyingParty

CALLBACK = "http://127.0.0.1:9/callback"
ALL_SCOPES = ["openid", "email", "phone", "profile", "offline_access"]


def grant_role(live_server, login: str, role: str = "developer") -> None:
    from server.services.developers import set_role

    with live_server.app_context():
        assert set_role(login, role, True) is not None


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
    found = re.search(r'<pre class="codes"><code[^>]*>([^<]+)</code>', page.html)
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


def asking(console: Browser, client_id: str, change: str) -> Page:
    """The page that asks before a change to the client ("rotate", "disable", "delete")."""
    return console.get(f"/developers/clients/{client_id}/{change}")


def press(console: Browser, page: Page, button: str, **values) -> Page:
    return console.submit(page, button, button=button, **values)


def introspection_status(portal: RelyingParty, token: str) -> int:
    """200 when the portal's credentials are accepted (whatever the token), 401 when not."""
    return portal.post("introspection_endpoint", {"token": token}).status_code


def the_logout_token(live_server, receiver: Receiver, client_id: str) -> tuple[dict, dict]:
    """Run the outbox worker until the client's one logout token arrives; its header and claims."""
    run_worker(
        live_server,
        lambda: len(receiver.wait_for(1, 0, for_client(client_id))) >= 1,
        passes=5,
    )
    [token] = logout_tokens_for(receiver.snapshot(), client_id)
    return verify_logout_token(live_server.url, token)


def passport_cli(live_server, *args) -> Ran:
    """`passport …` as an operator runs it, against the live server's database (in this
    process: tests/support/cli.py)."""
    return run_in_process(passport_environment(live_server), *args)
