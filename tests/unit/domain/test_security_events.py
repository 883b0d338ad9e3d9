"""Security events for the portals (RFC 8417 SETs: CAEP credential-change, RISC
identifier-changed), each rule alone: which portals are linked, which are sent an event, what
each event says, and the SET a portal receives."""

from __future__ import annotations

import pytest

from server import clock
from server.domain import grants, security_events
from server.domain.security_events import SECURITY_EVENT
from server.extensions import db
from server.models import Consent
from server.oauth.events import security_event_token, subject
from server.services import portals

from .conftest import grant, mark, person, portal, queued, verified

# OpenID CAEP 1.0 §3.2 and RISC Profile 1.0 §2.3: the event types a receiver recognises.
CREDENTIAL_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/credential-change"
IDENTIFIER_CHANGED = "https://schemas.openid.net/secevent/risc/event-type/identifier-changed"


@pytest.fixture
def linked(app):
    """A person and portals: `allowed` by consent (third party, no tokens yet); first-party
    portals, never asked, that received tokens: `granted`, `revoked` (its grant revoked
    since, as a logout does), `silent` (no events endpoint), `disabled`; `unlinked`, a third
    party the person allowed, used, then took back; `unrelated`, never used; `theirs`, used
    by a bystander only."""
    me, bystander = person(), person()
    allowed, unlinked, unrelated, theirs = (portal() for _ in range(4))
    granted, revoked, disabled = (portal(first_party=True) for _ in range(3))
    silent = portal(first_party=True, events=False)
    disabled.disabled_at = clock.now()
    for client in (allowed, unlinked):
        db.session.add(Consent(account_id=me.id, client_id=client.id, scope="openid"))
    for client in (granted, revoked, silent, disabled, unlinked):
        grant(me, client)
    grants.revoke(reason="logout", account_id=me.id, client=revoked)
    grant(bystander, theirs)
    db.session.commit()
    assert portals.revoke_portal(me, unlinked.client_id)
    return me, {
        "allowed": allowed,
        "granted": granted,
        "revoked": revoked,
        "silent": silent,
        "disabled": disabled,
        "unlinked": unlinked,
        "unrelated": unrelated,
        "theirs": theirs,
    }


def names(portals: dict, client_ids) -> set[str]:
    return {name for name, client in portals.items() if client.client_id in set(client_ids)}


def test_the_linked_portals_are_those_allowed_and_the_first_party_ones_used(app, linked):
    me, portals = linked
    found = [client.client_id for client in security_events.linked_clients(me)]
    assert names(portals, found) == {"allowed", "granted", "revoked", "silent", "disabled"}
    assert security_events.linked_clients(person()) == []


def test_a_portal_the_person_took_back_is_told_nothing_more(app, linked):
    me, portals = linked
    since = mark()
    security_events.queue_identifier_changed(
        me, kind="email", old_value=me.email, new_value="new@example.org"
    )
    told = [m.payload["client_id"] for m in queued(since, SECURITY_EVENT)]
    assert portals["unlinked"].client_id not in told


def test_a_credential_change_is_sent_to_each_linked_enabled_portal_with_an_endpoint(app, linked):
    me, portals = linked
    since = mark()
    assert (
        security_events.queue_credential_change(
            me, credential_type="password", change_type="update"
        )
        == 3
    )
    messages = queued(since, SECURITY_EVENT)
    assert names(portals, [m.payload["client_id"] for m in messages]) == {
        "allowed",
        "granted",
        "revoked",
    }
    for message in messages:
        client = next(c for c in portals.values() if c.client_id == message.payload["client_id"])
        assert message.target == client.client_metadata["security_events_endpoint"]
        assert message.payload["sub"] == me.sub and "subject" not in message.payload
        assert message.payload["event_type"] == CREDENTIAL_CHANGE
        event = message.payload["event"]
        assert (event["credential_type"], event["change_type"]) == ("password", "update")
        assert abs(event["event_timestamp"] - clock.timestamp()) <= 1


OLD_EMAIL, OLD_PHONE, NEW_PHONE = "old@example.org", "+79120000000", "+79120000001"
IDENTIFIER_CHANGES = {
    "e-mail": ("email", OLD_EMAIL, "new@example.org", {"format": "email", "email": OLD_EMAIL}),
    "phone": ("phone", OLD_PHONE, NEW_PHONE, {"format": "phone_number", "phone_number": OLD_PHONE}),
    "a first phone": ("phone", None, NEW_PHONE, None),
}


@pytest.mark.parametrize(
    ("kind", "old", "new", "expected_subject"),
    IDENTIFIER_CHANGES.values(),
    ids=IDENTIFIER_CHANGES,
)
def test_an_identifier_change_names_the_old_identifier_as_its_subject(
    app, kind, old, new, expected_subject
):
    me, shop = person(), portal(first_party=True)
    grant(me, shop)
    since = mark()
    queued_count = security_events.queue_identifier_changed(
        me, kind=kind, old_value=old, new_value=new
    )
    [message] = queued(since, SECURITY_EVENT)
    assert queued_count == 1
    assert message.payload["event_type"] == IDENTIFIER_CHANGED
    assert message.payload["event"]["new-value"] == new
    assert message.payload.get("subject") == expected_subject


def test_the_set_says_what_happened_to_whom_for_which_portal(app):
    me, shop = person(), portal(first_party=True, id_token_signed_response_alg="ES256")
    grant(me, shop)
    since = mark()
    security_events.queue_credential_change(me, credential_type="app", change_type="delete")
    [message] = queued(since, SECURITY_EVENT)
    event = {**message.payload["event"], "subject": subject(message.payload["sub"])}
    token = security_event_token(
        client=shop, jti=message.jti, event_type=message.payload["event_type"], event=event
    )
    header, claims = verified(token)
    assert (header["alg"], header["typ"]) == ("ES256", "secevent+jwt") and header["kid"]
    assert claims["iss"] == app.config["ISSUER"]
    assert (claims["aud"], claims["jti"]) == (shop.client_id, message.jti)
    assert abs(claims["iat"] - clock.timestamp()) <= 1
    [(event_type, said)] = claims["events"].items()
    assert event_type == CREDENTIAL_CHANGE
    assert (said["credential_type"], said["change_type"]) == ("app", "delete")
    # RFC 9493 §3.2.6: the person as this issuer's subject.
    assert said["subject"] == {"format": "iss_sub", "iss": app.config["ISSUER"], "sub": me.sub}
