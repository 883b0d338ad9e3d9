"""A pushed authorization request (RFC 9126) in Chromium: the browser brings only client_id
and the request_uri, signs in, and lands at the portal. The sign-in page's form-action must
name the portal's redirect URI, which only the pushed request knows (server/csp.py,
server/domain/returns.py): Chromium checks the redirects after the form against it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ..support.receiver import Receiver
from ..support.relying_party import RelyingParty


@pytest.fixture
def callback():
    with Receiver() as endpoint:
        yield endpoint


def test_signing_in_through_a_pushed_request_lands_at_the_portal(
    live_server, factories, callback, page
):
    person = factories.account()
    # Two redirect URIs: which one the answer goes to is in the pushed request alone.
    client = factories.client(redirect_uri=callback.url + "/callback", first_party=True)
    from server.extensions import db
    from server.models import Client
    from server.services.clients import update_client_metadata

    with live_server.app_context():
        stored = db.session.query(Client).filter_by(client_id=client.client_id).one()
        uris = [callback.url + "/callback", callback.url + "/other"]
        update_client_metadata(stored, {**client.metadata, "redirect_uris": uris})
    portal = RelyingParty(live_server.url, client)
    answer = portal.push()
    assert answer.status_code == 201, answer.text
    page.goto(portal.pushed_url(answer.json()["request_uri"]))
    page.wait_for_url(live_server.url + "/login?**")
    page.fill("#login", person.email)
    page.fill("#password", person.password)
    page.click("main form button[type=submit]")
    page.wait_for_url(callback.url + "/callback?**")
    params = parse_qs(urlsplit(page.url).query)
    assert params["state"] == [portal.state] and params["code"]
