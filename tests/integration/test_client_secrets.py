"""Client secrets in the developer console: rotating with and without a grace period, and
what portals holding the old secret see."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from server import clock

from ..support.console import (
    asking,
    client_page,
    introspection_status,
    portal_for,
    press,
    register,
    shown,
    shown_secret,
    with_secret,
)
from ..support.devices import Tokens, sign_in_to_portal


def grace_ends_in(page) -> int:
    """In how many seconds (to the minute) the client page says the previous secret stops
    working: read from the moment it carries, whatever the words around it."""
    found = re.search(r'id="grace-end" data-until="([^"]+)"', page.html)
    assert found, page.text[:500]
    seconds = datetime.fromisoformat(found.group(1)).timestamp() - clock.timestamp()
    return round(seconds / 60) * 60


def test_rotate_without_grace_stops_the_old_secret_at_once(
    live_server, console, person, person_browser
):
    page = register(console)
    old_secret = shown_secret(page)
    portal = portal_for(live_server, page, secret=old_secret)
    tokens = sign_in_to_portal(person_browser, portal, person)

    before = asking(console, portal.client.client_id, "rotate")
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
        console, asking(console, portal.client.client_id, "rotate"), "rotate", grace_hours="2"
    )
    new_secret = shown_secret(rotated)
    assert new_secret and new_secret != old_secret
    # The page tells when the previous secret stops working.
    assert grace_ends_in(client_page(console, portal.client.client_id)) == 2 * 3600

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
        console,
        asking(console, portal.client.client_id, "rotate"),
        "rotate",
        grace_hours=str(too_long),
    )
    assert "The grace period may be at most 168 hours." in refused.text
    assert shown_secret(refused) is None
    assert introspection_status(portal, "anything") == 200  # the secret still works


def test_rotating_again_during_a_grace_period_ends_the_first_secret(
    live_server, console, person, person_browser
):
    page = register(console)
    first = shown_secret(page)
    portal = portal_for(live_server, page, secret=first)
    client_id = portal.client.client_id
    tokens = sign_in_to_portal(person_browser, portal, person, offline=True)
    second = shown_secret(
        press(console, asking(console, client_id, "rotate"), "rotate", grace_hours="2")
    )
    before = asking(console, client_id, "rotate")
    # The page warns that one more rotation ends the secret still in its grace period.
    assert "Rotating again stops the previous secret at once" in before.text
    third = shown_secret(press(console, before, "rotate", grace_hours="1"))
    assert len({first, second, third}) == 3

    # Only one previous secret is kept: the first stops, the second has the new grace.
    refused = portal.refresh(tokens.values["refresh_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert introspection_status(with_secret(portal, second), "anything") == 200
    assert introspection_status(with_secret(portal, third), "anything") == 200
    assert grace_ends_in(client_page(console, client_id)) == 3600
    clock.travel(3600 + 1)
    assert introspection_status(with_secret(portal, second), "anything") == 401
    assert Tokens(with_secret(portal, third), tokens.values).refresh_works()


def test_rotating_asks_first_and_keeps_the_old_secret_a_day(
    live_server, console, person, person_browser
):
    """The client page only leads to rotation; the page that asks proposes a day's grace, so
    portals holding the current secret keep working while they are given the new one."""
    page = register(console)
    old_secret = shown_secret(page)
    portal = portal_for(live_server, page, secret=old_secret)
    client_id = portal.client.client_id
    tokens = sign_in_to_portal(person_browser, portal, person, offline=True)

    client = client_page(console, client_id)
    assert f'action="/developers/clients/{client_id}/rotate"' not in client.html
    assert f'href="/developers/clients/{client_id}/rotate"' in client.html
    asked = asking(console, client_id, "rotate")
    assert asked.status == 200 and "Rotate the secret of" in asked.text
    assert asked.form("grace_hours").fields["grace_hours"] == "24"
    # Asking changed nothing.
    assert introspection_status(portal, "anything") == 200
    assert shown(client_page(console, client_id), "grace-end") is None

    rotated = press(console, asked, "rotate")  # the proposed grace period, as it is
    new_secret = shown_secret(rotated)
    assert new_secret and new_secret != old_secret
    assert grace_ends_in(client_page(console, client_id)) == 24 * 3600
    assert tokens.refresh_works()  # with the old secret, for a day
    clock.travel(24 * 3600 + 1)
    assert introspection_status(portal, "anything") == 401
    assert introspection_status(with_secret(portal, new_secret), "anything") == 200


BAD_GRACE = [
    ("empty", "", "Enter the grace period in whole hours"),
    ("not a number", "a day", "Enter the grace period in whole hours"),
    ("negative", "-1", "Enter the grace period in whole hours"),
    ("fraction", "1.5", "Enter the grace period in whole hours"),
    ("huge", "9" * 40, "The grace period may be at most 168 hours."),
]


@pytest.mark.parametrize(("what", "hours", "message"), BAD_GRACE, ids=[b[0] for b in BAD_GRACE])
def test_rotating_refuses_a_bad_grace_period(live_server, console, what, hours, message):
    page = register(console)
    portal = portal_for(live_server, page, secret=shown_secret(page))
    client_id = portal.client.client_id
    refused = press(console, asking(console, client_id, "rotate"), "rotate", grace_hours=hours)
    assert refused.status == 400 and message in refused.text, (what, refused.text[:500])
    # Asked again, with what was typed, and nothing rotated.
    assert refused.form("grace_hours").fields["grace_hours"] == hours
    assert shown_secret(refused) is None
    assert introspection_status(portal, "anything") == 200


def test_a_public_client_is_not_asked_to_rotate(live_server, console):
    page = register(console, client_type="spa")
    client_id = shown(page, "client-id")
    answer = asking(console, client_id, "rotate")
    assert answer.status == 200 and "A public client has no secret to rotate." in answer.text
    assert shown(answer, "client-id") == client_id  # back on the client's page
