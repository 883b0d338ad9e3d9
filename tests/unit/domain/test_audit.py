"""Audit events, on SQLite and PostgreSQL (the activity page filters on a JSON member, which
each database reads its own way): what an event keeps, and which the person is shown."""

from __future__ import annotations

import pytest

from server import clock
from server.domain import audit
from server.extensions import db

from ..conftest import within
from .conftest import person


@pytest.fixture
def app(backend_app):
    with within(backend_app) as app:
        yield app


def test_an_event_keeps_its_kind_person_origin_and_details(app):
    me = person()
    event = audit.record(
        "password_changed",
        account_id=me.id,
        ip_address="192.0.2.7",
        user_agent="x" * 600,
        sessions_ended=2,
    )
    blank = audit.record("login", account_id=me.id, user_agent="")
    db.session.commit()
    db.session.expire_all()
    assert (event.kind, event.account_id, event.ip_address) == (
        "password_changed",
        me.id,
        "192.0.2.7",
    )
    assert event.user_agent == "x" * 512
    assert event.details == {"sessions_ended": 2}
    assert blank.user_agent is None and blank.details == {}


def test_the_person_sees_their_own_events_newest_first(app):
    me, someone = person(), person()
    kinds = ["login", "password_changed", "logout"]
    for kind in kinds:
        audit.record(kind, account_id=me.id)
        audit.record(kind, account_id=someone.id)
        db.session.commit()
        clock.travel(1)
    # Two at the same instant: the later written comes first.
    earlier = audit.record("2fa_enabled", account_id=me.id)
    later = audit.record("recovery_codes_regenerated", account_id=me.id)
    earlier.created_at = later.created_at = clock.now()
    db.session.commit()
    seen = audit.recent_events(me)
    assert {e.account_id for e in seen} == {me.id}
    assert [e.kind for e in seen] == [
        "recovery_codes_regenerated",
        "2fa_enabled",
        *kinds[::-1],
        "account_created",
    ]
    assert [e.kind for e in audit.recent_events(me, limit=2)] == [e.kind for e in seen[:2]]


def test_a_revoked_grant_is_shown_only_when_its_revocation_is_the_news(app):
    me = person()
    for reason in ("code_reused", "refresh_token_reused", "logout", "password_changed"):
        audit.record("grant_revoked", account_id=me.id, reason=reason, grants=1)
    audit.record("grant_revoked", account_id=me.id, grants=1)  # no reason at all
    db.session.commit()
    shown = [e.details["reason"] for e in audit.recent_events(me) if e.kind == "grant_revoked"]
    assert sorted(shown) == ["code_reused", "refresh_token_reused"]


def test_only_a_kind_the_activity_page_has_words_for_is_recorded(app):
    with pytest.raises(ValueError, match="audit.KINDS"):
        audit.record("something_new", account_id=None)
