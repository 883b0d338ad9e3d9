"""Every revocation goes through the one `grants.revoke`, so each is audited with its reason:
a person taking a portal back, and a developer deleting a client, revoke exactly what they
should (a bystander's grant stays live)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Consent, Grant
from server.services import clients, portals

from ..conftest import within
from ..domain.conftest import CONTEXT, audited, grant, mark, person, portal, revoked


@pytest.fixture
def app(backend_app):
    with within(backend_app) as app:
        yield app


def test_taking_a_portal_back_revokes_its_grants_and_audits_them(app):
    owner, bystander = person(), person()
    shop, other = portal(), portal()
    db.session.add(Consent(account_id=owner.id, client_id=shop.id, scope="openid"))
    db.session.commit()
    mine, _ = grant(owner, shop)
    elsewhere, _ = grant(owner, other)
    theirs, _ = grant(bystander, shop)
    since = mark(AuditEvent)

    assert portals.revoke_portal(owner, shop.client_id, context=CONTEXT)

    assert revoked(mine, elsewhere, theirs) == {mine}
    (event,) = audited(since, "grant_revoked")
    assert event.account_id == owner.id and event.details["reason"] == "portal_revoked"
    assert event.details["client_id"] == shop.client_id and event.details["grants"] == 1


def test_deleting_a_client_revokes_every_grant_of_it_and_audits_them(app):
    first, second = person(), person()
    doomed, kept = portal(), portal()
    gone = [grant(first, doomed)[0], grant(second, doomed)[0]]
    survivor, _ = grant(first, kept)
    since = mark(AuditEvent)

    clients.delete_client(doomed, context=CONTEXT)

    assert revoked(survivor) == set()
    (event,) = audited(since, "grant_revoked")
    assert event.details["reason"] == "client_deleted" and event.details["grants"] == 2
    assert event.account_id is None  # grants of two people
    # The grant rows may go with the client (ON DELETE CASCADE); none may stay live.
    live = select(Grant.id).where(Grant.id.in_(gone), Grant.revoked_at.is_(None))
    assert db.session.execute(live).all() == []
