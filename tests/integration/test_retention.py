"""Retention against the real token endpoint: pruning never weakens reuse detection."""

from __future__ import annotations

from server import clock
from server.services import retention

from ..support.devices import device, sign_in_to_portal
from ..support.relying_party import RelyingParty


def test_a_pruned_server_still_revokes_a_family_on_reuse(live_server, factories):
    portal = RelyingParty(live_server.url, factories.client())
    person = factories.account()
    with device(live_server.url) as browser:
        tokens = sign_in_to_portal(browser, portal, person, offline=True)
    first = tokens.values["refresh_token"]
    assert tokens.refresh_works()
    second = tokens.values
    grace = live_server.app.config["RETENTION_GRACE"]
    clock.travel(grace + 60)
    with live_server.app_context():
        retention.prune()
    # The rotated token of the live family was kept: presenting it revokes the family.
    reused = portal.refresh(first)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert portal.refresh(second["refresh_token"]).json()["error"] == "invalid_grant"
    assert portal.userinfo(second["access_token"]).status_code == 401
    # A grace after the revocation the family's tokens are gone, and still refused.
    clock.travel(grace + 60)
    with live_server.app_context():
        assert retention.prune()["refresh_tokens_of_revoked_grants"] >= 2
    assert portal.refresh(second["refresh_token"]).json()["error"] == "invalid_grant"
    assert portal.introspect(second["refresh_token"]) == {"active": False}
