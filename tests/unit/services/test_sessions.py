"""Signing in as the use case does it: a sign-in is remembered only when the person asks,
and is marked as coming from a new device unless the same browser signed in to the account
before."""

from __future__ import annotations

from sqlalchemy import select

from server import clock
from server.context import RequestContext
from server.domain.login_sessions import TOUCH_INTERVAL
from server.extensions import db
from server.models import AuditEvent, LoginSession
from server.services import sessions

from ..domain.conftest import CONTEXT, person


def test_a_sign_in_is_not_remembered_unless_the_person_asks(app):
    assert not sessions.sign_in(person(), amr=["pwd"], context=CONTEXT).remember
    assert sessions.sign_in(person(), amr=["pwd"], remember=True, context=CONTEXT).remember


def sign_in_events(account, user_agent: str | None) -> bool:
    """Signs `account` in from a browser that says `user_agent`; whether the sign-in was
    recorded as one from a new device."""
    context = RequestContext(ip_address="192.0.2.7", user_agent=user_agent)
    session = sessions.sign_in(account, amr=["pwd"], context=context)
    event = events_of(account, "login")[-1]
    assert event.details["session_id"] == session.id
    return event.details["new_device"]


def test_a_sign_in_is_from_a_new_device_until_the_same_browser_signed_in_before(app):
    account = person()
    assert sign_in_events(account, "Firefox 140 on Linux") is True
    assert sign_in_events(account, "Firefox 140 on Linux") is False
    assert sign_in_events(account, "Safari on iPhone") is True


def test_another_persons_browser_is_a_new_device_for_this_person(app):
    someone_else, account = person(), person()
    sign_in_events(someone_else, "Chrome on Windows")
    assert sign_in_events(account, "Chrome on Windows") is True


def test_a_browser_is_known_by_what_is_stored_of_a_long_or_missing_user_agent(app):
    long_agent = "Mozilla/5.0 " + "x" * 600
    account = person()
    assert sign_in_events(account, long_agent) is True
    assert sign_in_events(account, long_agent) is False
    assert sign_in_events(account, None) is True
    assert sign_in_events(account, None) is False
    assert sign_in_events(account, "") is False


def test_signing_in_again_to_the_same_account_keeps_the_live_session(app):
    account = person()
    first = sessions.sign_in(account, amr=["pwd"], context=CONTEXT)
    clock.travel(60)
    again = sessions.sign_in(account, amr=["pwd", "otp", "mfa"], previous=first.id, context=CONTEXT)
    assert again.id == first.id and again.amr == ["pwd", "otp", "mfa"]
    assert again.auth_time > first.created_at
    renewed = events_of(account, "login")[-1]
    assert renewed.details == {
        "session_id": first.id,
        "amr": ["pwd", "otp", "mfa"],
        "new_device": False,
    }
    assert (renewed.ip_address, renewed.user_agent) == (CONTEXT.ip_address, CONTEXT.user_agent)


def test_an_ended_session_is_not_brought_back_by_signing_in_again(app):
    account = person()
    first = sessions.sign_in(account, amr=["pwd"], context=CONTEXT)
    sessions.end_session(first.id)
    again = sessions.sign_in(account, amr=["pwd"], previous=first.id, context=CONTEXT)
    assert again.id != first.id
    assert db.session.get(LoginSession, first.id).ended_at is not None


def test_a_session_past_its_idle_limit_is_not_brought_back_by_signing_in_again(app):
    account = person()
    first = sessions.sign_in(account, amr=["pwd"], context=CONTEXT)
    clock.travel(app.config["SESSION_IDLE_TIMEOUT"] + 60)
    again = sessions.sign_in(account, amr=["pwd"], previous=first.id, context=CONTEXT)
    assert again.id != first.id


def test_an_unknown_previous_session_starts_a_new_one(app):
    session = sessions.sign_in(person(), amr=["pwd"], previous="no-such-session", context=CONTEXT)
    assert session.id != "no-such-session" and session.ended_at is None


def test_signing_in_as_someone_else_ends_the_browsers_session_of_the_first(app):
    first_person, second_person = person(), person()
    first = sessions.sign_in(first_person, amr=["pwd"], context=CONTEXT)
    second = sessions.sign_in(second_person, amr=["pwd"], previous=first.id, context=CONTEXT)
    assert second.id != first.id and second.account_id == second_person.id
    assert db.session.get(LoginSession, first.id).ended_at is not None


def test_last_activity_is_written_only_once_more_than_the_interval_has_passed(app):
    clock.freeze()
    session = sessions.sign_in(person(), amr=["pwd"], context=CONTEXT)
    seen = session.last_seen_at
    clock.travel(TOUCH_INTERVAL.total_seconds())
    assert sessions.load_active_session(session.id).last_seen_at == seen
    clock.travel(1)
    assert sessions.load_active_session(session.id).last_seen_at == clock.now()
    db.session.expire_all()
    assert db.session.get(LoginSession, session.id).last_seen_at == clock.now()


def test_a_session_id_too_long_to_be_one_is_not_looked_up(app):
    assert sessions.load_active_session("x" * 65) is None
    assert sessions.load_active_session("") is None
    assert sessions.load_active_session(None) is None


def events_of(account, kind: str) -> list[AuditEvent]:
    return list(
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.account_id == account.id, AuditEvent.kind == kind)
            .order_by(AuditEvent.id)
        ).scalars()
    )


def test_ending_a_session_twice_or_an_unknown_one_does_nothing_more(app):
    account = person()
    session = sessions.sign_in(account, amr=["pwd"], context=CONTEXT)
    sessions.end_session(session.id, context=CONTEXT)
    ended_at = db.session.get(LoginSession, session.id).ended_at
    assert len(events_of(account, "logout")) == 1
    clock.travel(60)
    sessions.end_session(session.id, context=CONTEXT)
    sessions.end_session("no-such-session", context=CONTEXT)
    assert len(events_of(account, "logout")) == 1
    assert db.session.get(LoginSession, session.id).ended_at == ended_at


def test_a_person_ends_only_their_own_sessions(app):
    owner, someone_else = person(), person()
    mine = sessions.sign_in(owner, amr=["pwd"], context=CONTEXT)
    theirs = sessions.sign_in(someone_else, amr=["pwd"], context=CONTEXT)
    assert sessions.end_own_session(owner, theirs.id, context=CONTEXT) is False
    assert sessions.end_own_session(owner, "no-such-session", context=CONTEXT) is False
    assert db.session.get(LoginSession, theirs.id).ended_at is None
    assert sessions.end_own_session(owner, mine.id, context=CONTEXT) is True
    assert db.session.get(LoginSession, mine.id).ended_at is not None


def test_logging_out_everywhere_is_audited_with_where_it_was_asked_and_how_many_ended(app):
    account = person()
    here = sessions.sign_in(account, amr=["pwd"], context=CONTEXT)
    for _ in range(2):
        sessions.start_session(account, amr=["pwd"], acr=None, remember=False, context=CONTEXT)
    assert sessions.end_all_sessions(account, keep=here.id, context=CONTEXT) == 2
    (event,) = events_of(account, "logout_everywhere")
    assert event.details == {"sessions_ended": 2}
    assert (event.ip_address, event.user_agent) == (CONTEXT.ip_address, CONTEXT.user_agent)
    assert db.session.get(LoginSession, here.id).ended_at is None
