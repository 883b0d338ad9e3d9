"""Login sessions and trusted devices, each rule alone: when a session is alive (to the exact
instant of its idle timeout and of its expiry), how one is built and re-issued, and what
ending some of them ends — only theirs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server import clock
from server.context import RequestContext
from server.domain import login_sessions
from server.domain.logouts import BACKCHANNEL_LOGOUT
from server.extensions import db
from server.models import AuditEvent, LoginSession, TrustedDevice
from server.security import sha256_hex

from .conftest import CONTEXT, audited, grant, mark, person, portal, queued, revoked, signed_in

TICK = timedelta(microseconds=1)


def idle(app) -> timedelta:
    return timedelta(seconds=app.config["SESSION_IDLE_TIMEOUT"])


def lifetime(app) -> timedelta:
    return timedelta(seconds=app.config["SESSION_LIFETIME"])


# --- alive or not ---


def test_a_session_idle_to_the_exact_timeout_is_alive_a_tick_later_it_is_not(app):
    session = signed_in(person())
    last_seen = session.last_seen_at
    assert login_sessions.is_alive(session, last_seen + idle(app))
    assert not login_sessions.is_alive(session, last_seen + idle(app) + TICK)


def test_a_remembered_session_has_no_idle_timeout(app):
    session = signed_in(person(), remember=True)
    assert login_sessions.is_alive(session, session.last_seen_at + idle(app) + TICK)


def test_a_session_ends_at_the_exact_instant_it_expires(app):
    session = signed_in(person(), remember=True)
    assert login_sessions.is_alive(session, session.expires_at - TICK)
    assert not login_sessions.is_alive(session, session.expires_at)


def test_an_ended_session_is_not_alive_however_fresh(app):
    session = signed_in(person(), remember=True)
    session.ended_at = clock.now()
    assert not login_sessions.is_alive(session, session.last_seen_at)


def test_by_the_server_clock(app):
    session = signed_in(person())
    clock.travel(idle(app).total_seconds() - 60)
    assert login_sessions.is_alive(session)
    clock.travel(120)
    assert not login_sessions.is_alive(session)


def test_the_active_sessions_are_those_not_ended_nor_expired_newest_first(app):
    me = person()
    older, newer, ended = signed_in(me), signed_in(me), signed_in(me)
    newer.last_seen_at = older.last_seen_at + timedelta(seconds=1)
    ended.ended_at = clock.now()
    signed_in(person())  # someone else's
    db.session.commit()
    assert [s.id for s in login_sessions.active_sessions(me)] == [newer.id, older.id]
    clock.travel(lifetime(app).total_seconds() - 60)
    assert len(login_sessions.active_sessions(me)) == 2
    clock.travel(120)
    assert login_sessions.active_sessions(me) == []


def test_a_session_is_not_among_the_active_ones_from_the_exact_instant_it_expires(app):
    clock.freeze()
    me = person()
    session = signed_in(me)
    session.expires_at = clock.now() + TICK
    db.session.commit()
    assert [s.id for s in login_sessions.active_sessions(me)] == [session.id]
    clock.travel(TICK.total_seconds())
    assert login_sessions.active_sessions(me) == []


# --- building one ---


def test_a_new_session_has_a_new_id_and_the_configured_lifetime(app):
    me = person()
    first, second = signed_in(me), signed_in(me)
    assert first.id != second.id and len(first.id) >= 32
    assert first.expires_at - first.created_at == lifetime(app)
    assert (first.ip_address, first.user_agent) == (CONTEXT.ip_address, CONTEXT.user_agent)

    def new(user_agent: str, **fields) -> LoginSession:
        return login_sessions.new_session(
            me,
            auth_time=clock.now(),
            amr=["pwd"],
            acr=None,
            upstream_provider=None,
            remember=False,
            context=RequestContext(user_agent=user_agent),
            **fields,
        )

    shorter = first.expires_at - timedelta(hours=1)
    assert new("Firefox", expires_at=shorter).expires_at == shorter
    assert new("x" * 600).user_agent == "x" * 512
    assert new("").user_agent is None
    db.session.rollback()


def test_a_reissued_session_is_the_same_sign_in_under_a_new_id(app):
    session = signed_in(person(), remember=True, amr=("pwd", "otp", "mfa"))
    clock.travel(600)
    again = login_sessions.reissue(session, context=RequestContext(ip_address="198.51.100.1"))
    db.session.commit()
    assert again.id != session.id and again.account_id == session.account_id
    same = ("auth_time", "amr", "acr", "upstream_provider", "remember", "expires_at")
    assert [getattr(again, f) for f in same] == [getattr(session, f) for f in same]
    assert again.ip_address == "198.51.100.1"
    assert again.last_seen_at > session.last_seen_at


# --- ending some ---


@pytest.fixture
def holdings(app):
    """One person on two browsers with grants in each (one offline), a grant opened in no
    session, and a bystander."""
    me, bystander, shop, forum = person(), person(), portal(), portal()
    one, two = signed_in(me), signed_in(me)
    held = {
        "shop in one": grant(me, shop, one)[0],
        "forum in one, offline": grant(me, forum, one, offline=True)[0],
        "shop in two": grant(me, shop, two)[0],
        "forum in two, offline": grant(me, forum, two, offline=True)[0],
        "forum in none": grant(me, forum)[0],
    }
    theirs = signed_in(bystander)
    held["bystander's"] = grant(bystander, shop, theirs)[0]
    return me, one, two, theirs, held, (shop, forum)


def names(held: dict, revoked_ids: set[str]) -> set[str]:
    return {name for name, grant_id in held.items() if grant_id in revoked_ids}


def alive(session: LoginSession) -> bool:
    db.session.refresh(session)
    return login_sessions.is_alive(session)


@pytest.mark.parametrize("revoke_offline", [False, True])
def test_ending_sessions_ends_them_and_revokes_their_grants(app, holdings, revoke_offline):
    me, one, two, theirs, held, (shop, forum) = holdings
    since_audit, since_outbox = mark(AuditEvent), mark()
    login_sessions.end(me, [one], revoke_offline=revoke_offline, context=CONTEXT)
    db.session.commit()
    assert not alive(one) and alive(two) and alive(theirs)
    expected = {"shop in one"} | ({"forum in one, offline"} if revoke_offline else set())
    assert names(held, revoked(*held.values())) == expected
    [logout] = audited(since_audit, "logout")
    assert (logout.account_id, logout.details) == (me.id, {"session_id": one.id})
    sent = {
        (m.payload["client_id"], m.payload["sid"]) for m in queued(since_outbox, BACKCHANNEL_LOGOUT)
    }
    assert sent == {(shop.client_id, one.id), (forum.client_id, one.id)}


def test_ending_no_session_does_nothing(app, holdings):
    me, *_, held, _portals = holdings
    since_audit, since_outbox = mark(AuditEvent), mark()
    login_sessions.end(me, [], revoke_offline=True, context=CONTEXT)
    db.session.commit()
    assert revoked(*held.values()) == set()
    assert audited(since_audit, "logout") == [] and queued(since_outbox, BACKCHANNEL_LOGOUT) == []


def test_ending_all_but_one_spares_that_one_and_its_grants_only(app, holdings):
    me, one, two, theirs, held, _portals = holdings
    mine = login_sessions.new_trusted_device(me, user_agent="phone")
    their_device = login_sessions.new_trusted_device(theirs.account, user_agent="phone")
    since = mark(AuditEvent)
    ended = login_sessions.end_all(me, keep=one.id, reason="logout_everywhere", context=CONTEXT)
    db.session.commit()
    assert [s.id for s in ended] == [two.id]
    assert alive(one) and not alive(two) and alive(theirs)
    assert names(held, revoked(*held.values())) == {
        "shop in two",
        "forum in two, offline",
        "forum in none",
    }
    assert not login_sessions.is_trusted_device(me, mine)
    assert login_sessions.is_trusted_device(theirs.account, their_device)
    # The ended session's grants, offline ones too, are revoked by its logout; then the rest.
    reasons = [(e.details["reason"], e.details["grants"]) for e in audited(since, "grant_revoked")]
    assert reasons == [("logout", 2), ("logout_everywhere", 1)]


# --- trusted devices ---


def test_a_trusted_device_is_trusted_for_its_account_until_it_expires(app):
    me, someone = person(), person()
    token = login_sessions.new_trusted_device(me, user_agent="phone")
    db.session.commit()
    assert login_sessions.is_trusted_device(me, token)
    assert not login_sessions.is_trusted_device(someone, token)
    clock.travel(app.config["TRUSTED_DEVICE_DAYS"] * 86400 - 60)
    assert login_sessions.is_trusted_device(me, token)
    clock.travel(120)
    assert not login_sessions.is_trusted_device(me, token)


def test_a_trusted_device_is_not_trusted_from_the_exact_instant_it_expires(app):
    clock.freeze()
    me = person()
    token = login_sessions.new_trusted_device(me, user_agent="phone")
    db.session.commit()
    clock.travel(app.config["TRUSTED_DEVICE_DAYS"] * 86400 - TICK.total_seconds())
    assert login_sessions.is_trusted_device(me, token)
    clock.travel(TICK.total_seconds())
    assert not login_sessions.is_trusted_device(me, token)


@pytest.mark.parametrize(
    ("user_agent", "kept"), [("phone", "phone"), ("x" * 600, "x" * 512), ("", None), (None, None)]
)
def test_a_trusted_device_keeps_the_user_agent_it_was_trusted_from(app, user_agent, kept):
    token = login_sessions.new_trusted_device(person(), user_agent=user_agent)
    db.session.commit()
    device = db.session.execute(
        select(TrustedDevice).where(TrustedDevice.token_hash == sha256_hex(token))
    ).scalar_one()
    assert device.user_agent == kept


def test_forgetting_the_devices_of_one_account_forgets_only_those(app):
    me, someone = person(), person()
    mine = [login_sessions.new_trusted_device(me, user_agent="phone") for _ in range(2)]
    theirs = login_sessions.new_trusted_device(someone, user_agent="phone")
    login_sessions.forget_trusted_devices(me)
    db.session.commit()
    assert not any(login_sessions.is_trusted_device(me, token) for token in mine)
    assert login_sessions.is_trusted_device(someone, theirs)


def test_with_trusted_devices_off_none_is_made_nor_trusted(app):
    me = person()
    token = login_sessions.new_trusted_device(me, user_agent="phone")
    db.session.commit()
    app.config["TRUSTED_DEVICE_DAYS"] = 0
    assert login_sessions.new_trusted_device(me, user_agent="phone") is None
    assert not login_sessions.is_trusted_device(me, token)


@pytest.mark.parametrize("token", [None, "", "x" * 201, "not-a-device"])
def test_a_cookie_that_names_no_device_is_not_trusted(app, token):
    assert not login_sessions.is_trusted_device(person(), token)
