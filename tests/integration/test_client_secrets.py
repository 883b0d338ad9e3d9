"""Client secrets in the developer console: rotating with and without a grace period, and
what portals holding the old secret see."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from server import clock

from ..support.console import (
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
