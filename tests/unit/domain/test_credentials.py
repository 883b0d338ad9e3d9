"""Invariant 1, the one owner check, and invariant 2, the credential-change rule, each alone.

A credential change ends exactly what the old credential opened: this person's grants,
sessions and trusted devices, and no one else's; the portals told are exactly those that
held something; the browser that made the change keeps a session under a new id.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pyotp
import pytest

from server import clock
from server.domain import factors, grants, login_sessions
from server.domain.credentials import check_owner, credential_changed
from server.domain.errors import (
    CodeInvalid,
    ReauthenticationRequired,
    SecondFactorRequired,
    WrongPassword,
)
from server.domain.logouts import BACKCHANNEL_LOGOUT
from server.domain.security_events import CREDENTIAL_CHANGE, SECURITY_EVENT
from server.extensions import db
from server.models import Account, AuditEvent, Consent, LoginSession
from server.services import portals

from .conftest import (
    CONTEXT,
    PASSWORD,
    audited,
    grant,
    mark,
    person,
    portal,
    queued,
    revoked,
    signed_in,
)

# --- the owner check ---


def test_the_owner_gives_the_current_password(app):
    account = person()
    check_owner(account, PASSWORD, None)
    for wrong in ("correct horse battery!", "", None):
        with pytest.raises(WrongPassword):
            check_owner(account, wrong, None)


def test_a_recent_sign_in_does_not_stand_in_for_a_password_the_account_has(app):
    account = person()
    with pytest.raises(WrongPassword):
        check_owner(account, None, signed_in(account))


def test_without_a_password_a_recent_sign_in_proves_the_owner(app):
    account = person(password=None)
    window = app.config["RECENT_AUTH_WINDOW"]
    session = signed_in(account)
    session.auth_time = clock.now() - timedelta(seconds=window - 5)
    check_owner(account, None, session)
    session.auth_time = clock.now() - timedelta(seconds=window + 5)
    with pytest.raises(ReauthenticationRequired):
        check_owner(account, None, session)
    with pytest.raises(ReauthenticationRequired):
        check_owner(account, None, None)


def test_a_sign_in_exactly_as_old_as_the_window_is_still_recent(app):
    clock.freeze()
    account = person(password=None)
    session = signed_in(account)
    session.auth_time = clock.now() - timedelta(seconds=app.config["RECENT_AUTH_WINDOW"])
    check_owner(account, None, session)
    clock.travel(0.000001)
    with pytest.raises(ReauthenticationRequired):
        check_owner(account, None, session)


def test_with_two_factor_on_the_owner_gives_the_second_factor_too(app):
    account = person()
    totp = pyotp.TOTP(factors.start_setup(account))
    factors.confirm_setup(account, totp.at(clock.timestamp()))
    db.session.commit()
    clock.travel(30)  # the step that confirmed the setup is spent
    with pytest.raises(SecondFactorRequired):
        check_owner(account, PASSWORD, None)
    near = {totp.at(clock.timestamp() + drift) for drift in (-30, 0, 30)}
    wrong = next(code for code in ("000000", "111111", "222222", "333333") if code not in near)
    with pytest.raises(CodeInvalid):
        check_owner(account, PASSWORD, None, wrong)
    with pytest.raises(WrongPassword):
        check_owner(account, "wrong password", None, totp.at(clock.timestamp()))
    check_owner(account, PASSWORD, None, totp.at(clock.timestamp()))


# --- the credential-change rule ---


@pytest.fixture
def scene(app) -> SimpleNamespace:
    """A person signed in on three browsers (`current` makes the change; `old` ended before
    it), with grants to portals, trusted devices, and a bystander with a grant of their own.

    First-party portals, never asked: shop, a grant in `current`; forum, in `other`; mail,
    offline, in `other`; archive, offline, opened in `old` and outliving it; quiet, in
    `other`, with neither a logout URI nor an events endpoint. Third-party portals:
    consented, allowed, no grant yet; unlinked, allowed, used, then taken back; unrelated,
    never used.
    """
    s = SimpleNamespace(me=person(), bystander=person())
    s.current, s.other, s.old = signed_in(s.me), signed_in(s.me), signed_in(s.me)
    s.shop, s.forum, s.mail, s.archive = (portal(first_party=True) for _ in range(4))
    s.quiet = portal(first_party=True, logout=False, events=False)
    s.consented, s.unlinked, s.unrelated = (portal() for _ in range(3))
    made = {
        "shop": grant(s.me, s.shop, s.current),
        "forum": grant(s.me, s.forum, s.other),
        "mail": grant(s.me, s.mail, s.other, offline=True),
        "archive": grant(s.me, s.archive, s.old, offline=True),
        "quiet": grant(s.me, s.quiet, s.other),
    }
    s.grants = {name: grant_id for name, (grant_id, _token) in made.items()}
    s.tokens = {name: token for name, (_grant_id, token) in made.items()}
    login_sessions.end(s.me, [s.old], revoke_offline=False, context=CONTEXT)
    for client in (s.consented, s.unlinked):
        db.session.add(Consent(account_id=s.me.id, client_id=client.id, scope="openid"))
    grant(s.me, s.unlinked)
    assert portals.revoke_portal(s.me, s.unlinked.client_id)
    s.bystander_session = signed_in(s.bystander)
    s.bystander_grant, s.bystander_token = grant(s.bystander, s.shop, s.bystander_session)
    s.devices = [login_sessions.new_trusted_device(s.me, user_agent="phone") for _ in range(2)]
    s.bystander_device = login_sessions.new_trusted_device(s.bystander, user_agent="phone")
    db.session.commit()
    return s


def change(
    scene: SimpleNamespace, *, keep: LoginSession | None = None, **fields
) -> LoginSession | None:
    values = {"reason": "password_changed", "credential_type": "password", **fields}
    replacement = credential_changed(scene.me, keep=keep, context=CONTEXT, **values)
    db.session.commit()
    return replacement


def refresh_token_lives(token: str) -> bool:
    record = grants.load_refresh_token(token)
    return record.is_live(clock.now(), login_sessions.idle_timeout())


def test_the_credential_epoch_goes_up_by_exactly_one(scene):
    before = scene.me.credential_epoch
    change(scene, keep=scene.current)
    db.session.expire_all()
    assert db.session.get(Account, scene.me.id).credential_epoch == before + 1


def test_every_grant_of_the_account_is_revoked_and_no_one_elses(scene):
    change(scene, keep=scene.current)
    assert revoked(*scene.grants.values(), scene.bystander_grant) == set(scene.grants.values())
    assert not any(refresh_token_lives(token) for token in scene.tokens.values())
    assert refresh_token_lives(scene.bystander_token)


def test_every_session_ends_and_the_current_browser_gets_a_new_one(scene):
    replacement = change(scene, keep=scene.current)
    db.session.expire_all()
    assert replacement is not None and replacement.id != scene.current.id
    assert login_sessions.is_alive(replacement)
    ended = db.session.get(LoginSession, scene.current.id)
    assert not login_sessions.is_alive(ended)
    assert not login_sessions.is_alive(db.session.get(LoginSession, scene.other.id))
    # The same sign-in under the new id: time, methods, level and lifetime carried over.
    same = ("account_id", "auth_time", "amr", "acr", "remember", "expires_at")
    assert [getattr(replacement, f) for f in same] == [getattr(ended, f) for f in same]
    assert [s.id for s in login_sessions.active_sessions(scene.me)] == [replacement.id]
    assert login_sessions.is_alive(db.session.get(LoginSession, scene.bystander_session.id))


def test_without_a_browser_to_keep_every_session_ends(scene):
    assert change(scene, keep=None) is None
    assert login_sessions.active_sessions(scene.me) == []
    # A session of someone else is never "kept", nor re-issued for this person.
    assert change(scene, keep=scene.bystander_session) is None
    assert login_sessions.active_sessions(scene.me) == []


def test_back_channel_logouts_go_to_exactly_the_portals_of_the_ended_sessions(scene):
    since = mark()
    change(scene, keep=scene.current)
    sent = {(m.payload["client_id"], m.payload["sid"]) for m in queued(since, BACKCHANNEL_LOGOUT)}
    assert sent == {
        (scene.shop.client_id, scene.current.id),
        (scene.forum.client_id, scene.other.id),
        (scene.mail.client_id, scene.other.id),
    }
    assert len(queued(since, BACKCHANNEL_LOGOUT)) == 3


def test_security_events_go_to_exactly_the_linked_portals_with_an_endpoint(scene):
    since = mark()
    change(scene, keep=scene.current, credential_type="password", change_type="update")
    messages = queued(since, SECURITY_EVENT)
    linked = (scene.shop, scene.forum, scene.mail, scene.archive, scene.consented)
    assert sorted(m.payload["client_id"] for m in messages) == sorted(c.client_id for c in linked)
    assert {m.target for m in messages} == {
        c.client_metadata["security_events_endpoint"] for c in linked
    }
    for message in messages:
        assert message.payload["sub"] == scene.me.sub
        assert message.payload["event_type"] == CREDENTIAL_CHANGE
        event = message.payload["event"]
        assert (event["credential_type"], event["change_type"]) == ("password", "update")


def test_the_trusted_devices_of_the_account_are_forgotten(scene):
    change(scene, keep=scene.current)
    for device in scene.devices:
        assert not login_sessions.is_trusted_device(scene.me, device)
    assert login_sessions.is_trusted_device(scene.bystander, scene.bystander_device)


def test_one_audit_event_says_what_changed(scene):
    since = mark(AuditEvent)
    change(scene, keep=scene.current, reason="2fa_disabled", method="totp")
    [event] = audited(since, "2fa_disabled")
    assert event.account_id == scene.me.id
    assert (event.ip_address, event.user_agent) == (CONTEXT.ip_address, CONTEXT.user_agent)
    assert event.details == {"sessions_ended": 2, "method": "totp"}


def test_nothing_stands_before_the_caller_commits(scene):
    before = scene.me.credential_epoch
    since = mark()
    credential_changed(scene.me, reason="password_changed", credential_type="password")
    db.session.rollback()
    assert db.session.get(Account, scene.me.id).credential_epoch == before
    assert revoked(*scene.grants.values()) == set()
    assert queued(since, SECURITY_EVENT) == [] and queued(since, BACKCHANNEL_LOGOUT) == []
    assert len(login_sessions.active_sessions(scene.me)) == 2
