"""The token side's records, on SQLite and PostgreSQL (whose hot statements take their own
path): a code is redeemed once, a refresh token rotated once, a stored token stands only
while each of its conditions holds, and the one revoke touches exactly what it is asked to.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select

from server import clock
from server.domain import grants, login_sessions
from server.extensions import db
from server.models import AuditEvent, AuthorizationCode, Consent, Grant, RefreshToken
from server.security import random_token, sha256_hex

from ..conftest import at_once, within
from .conftest import CONTEXT, audited, grant, mark, person, portal, revoked, signed_in


@pytest.fixture
def app(backend_app):
    with within(backend_app) as app:
        yield app


def idle() -> timedelta:
    return login_sessions.idle_timeout()


def lifetime(app) -> timedelta:
    return timedelta(seconds=app.config["REFRESH_TOKEN_LIFETIME"])


# --- redeeming a code ---


CLAIMS = {"userinfo": ["email", "phone_number"], "id_token": ["email"]}


def issue_code(client, session, *, offline=False, requested_claims=None) -> str:
    code = random_token(32)
    sign_in = grants.SignIn.of_session(session)
    db.session.add(
        AuthorizationCode(
            code_hash=sha256_hex(code),
            client_id=client.id,
            account_id=session.account_id,
            session_id=sign_in.session_id,
            redirect_uri=client.redirect_uris[0],
            scope="openid offline_access" if offline else "openid",
            nonce="n-1",
            auth_time=sign_in.auth_time,
            amr=list(sign_in.amr),
            acr=sign_in.acr,
            offline=offline,
            requested_claims=requested_claims,
            expires_at=clock.now() + timedelta(seconds=60),
        )
    )
    db.session.commit()
    return code


def new_grant(record: grants.CodeRecord, client, **fields) -> grants.NewGrant:
    values = dict(
        id=random_token(18),
        client_pk=client.id,
        account_id=record.account.id,
        sign_in=grants.SignIn.of(record),
        scope=record.scope,
        offline=record.offline,
        credential_epoch=record.account.credential_epoch,
        refresh_token=random_token(32),
        touches_consent=True,
        requested_claims=record.requested_claims,
    )
    values.update(fields)
    return grants.NewGrant(**values)


def consent(account, client) -> Consent:
    row = Consent(account_id=account.id, client_id=client.id, scope="openid")
    db.session.add(row)
    db.session.commit()
    return row


def consent_used_at(row: Consent):
    return db.session.scalar(select(Consent.last_used_at).where(Consent.id == row.id))


@pytest.fixture
def allowed(app):
    """A person signed in, a portal they allowed, and a bystander who allowed it too."""
    me, bystander, shop = person(), person(), portal()
    return me, signed_in(me), shop, consent(me, shop), consent(bystander, shop)


def test_a_redemption_starts_the_grant_with_its_first_refresh_token(app, allowed):
    me, session, shop, mine, theirs = allowed
    code = issue_code(shop, session, offline=True, requested_claims=CLAIMS)
    record = grants.load_authorization_code(code)
    assert record.requested_claims == CLAIMS
    assert not record.used and record.grant_id is None
    assert record.account.id == me.id and record.session_id == session.id
    new = new_grant(record, shop)
    assert grants.redeem_authorization_code(record, new)

    stored = db.session.get(Grant, new.id)
    assert (stored.client_id, stored.account_id, stored.session_id) == (shop.id, me.id, session.id)
    assert (stored.scope, stored.offline, stored.credential_epoch) == (
        "openid offline_access",
        True,
        me.credential_epoch,
    )
    assert (stored.auth_time, stored.amr, stored.acr) == (record.auth_time, ["pwd"], record.acr)
    # The claims parameter's answer travels with the grant, to every refresh (OIDC Core §5.5).
    assert grants.load_grant(new.id).requested_claims == CLAIMS
    token = grants.load_refresh_token(new.refresh_token)
    assert token.grant_id == new.id and not token.rotated
    assert token.expires_at - token.created_at == lifetime(app)
    assert token.is_live(clock.now(), idle())
    # The code now says it is spent and which grant it started: a second presentation
    # revokes that grant (RFC 6749 §4.1.2).
    spent = grants.load_authorization_code(code)
    assert spent.used and spent.grant_id == new.id
    # The consent of this person for this portal was used now; the bystander's was not.
    assert consent_used_at(mine) is not None and consent_used_at(theirs) is None


def test_a_code_is_redeemed_once_even_by_a_request_that_read_it_unused(app, allowed):
    _me, session, shop, mine, _theirs = allowed
    code = issue_code(shop, session)
    first, late = grants.load_authorization_code(code), grants.load_authorization_code(code)
    won = new_grant(first, shop, touches_consent=False)
    assert grants.redeem_authorization_code(first, won)
    lost = new_grant(late, shop)
    assert not grants.redeem_authorization_code(late, lost)
    # The loser wrote nothing: no grant, no refresh token, no use of the consent.
    assert db.session.get(Grant, lost.id) is None
    assert grants.load_refresh_token(lost.refresh_token) is None
    assert consent_used_at(mine) is None
    again = grants.load_authorization_code(code)
    assert again.used and again.grant_id == won.id


def test_a_redemption_without_refresh_token_or_consent_stores_neither(app, allowed):
    _me, session, shop, mine, _theirs = allowed
    record = grants.load_authorization_code(issue_code(shop, session))
    new = new_grant(record, shop, refresh_token=None, touches_consent=False)
    assert grants.redeem_authorization_code(record, new)
    assert db.session.get(Grant, new.id) is not None
    tokens = db.session.scalars(select(RefreshToken).where(RefreshToken.grant_id == new.id))
    assert list(tokens) == []
    assert consent_used_at(mine) is None


def test_two_redemptions_at_once_start_one_grant(app, allowed):
    _me, session, shop, _mine, _theirs = allowed
    code = issue_code(shop, session)
    records = [grants.load_authorization_code(code) for _ in range(2)]
    attempts = [new_grant(record, shop) for record in records]
    redemptions = zip(records, attempts, strict=True)
    results = at_once(app, *(partial(grants.redeem_authorization_code, *r) for r in redemptions))
    assert sorted(results) == [False, True]
    started = [g.id for g in attempts if db.session.get(Grant, g.id) is not None]
    assert len(started) == 1


# --- rotating a refresh token ---


@pytest.fixture
def family(app):
    """A person's grant to a portal in a live session, and its first refresh token."""
    me, shop = person(), portal()
    session = signed_in(me)
    grant_id, token = grant(me, shop, session)
    return me, shop, session, grant_id, token


def test_a_rotation_retires_the_token_and_stores_its_successor(app, family):
    _me, _shop, _session, grant_id, token = family
    successor = random_token(32)
    assert grants.rotate_refresh_token(grants.load_refresh_token(token), successor)
    assert grants.load_refresh_token(token).rotated
    record = grants.load_refresh_token(successor)
    assert record.grant_id == grant_id and not record.rotated
    assert record.expires_at - record.created_at == lifetime(app)
    assert record.is_live(clock.now(), idle())
    # …and the successor rotates in turn.
    assert grants.rotate_refresh_token(record, random_token(32))


def test_of_two_rotations_of_one_token_one_wins(app, family):
    *_, token = family
    first, late = grants.load_refresh_token(token), grants.load_refresh_token(token)
    won, lost = random_token(32), random_token(32)
    assert grants.rotate_refresh_token(first, won)
    assert not grants.rotate_refresh_token(late, lost)
    assert grants.load_refresh_token(lost) is None
    assert grants.load_refresh_token(won) is not None


def test_two_rotations_at_once_store_one_successor(app, family):
    *_, token = family
    records = [grants.load_refresh_token(token) for _ in range(2)]
    successors = [random_token(32), random_token(32)]
    rotations = zip(records, successors, strict=True)
    results = at_once(app, *(partial(grants.rotate_refresh_token, *r) for r in rotations))
    assert sorted(results) == [False, True]
    assert sum(grants.load_refresh_token(s) is not None for s in successors) == 1


def test_revoking_the_family_of_a_reused_token_kills_its_successor(app, family):
    *_, grant_id, token = family
    successor = random_token(32)
    assert grants.rotate_refresh_token(grants.load_refresh_token(token), successor)
    reused = grants.load_refresh_token(token)
    assert reused.rotated and reused.grant_id == grant_id
    assert grants.revoke(reason="refresh_token_reused", grant_id=reused.grant_id) == 1
    db.session.commit()
    assert not grants.load_refresh_token(successor).is_live(clock.now(), idle())


# --- when a stored token stands ---


def test_a_live_token_dies_with_each_condition_alone(app, family):
    me, shop, session, grant_id, token = family
    record = grants.load_refresh_token(token)
    moment = clock.now()
    assert record.is_live(moment, idle())
    state = record.grant
    dead = [
        replace(record, rotated=True),
        replace(record, grant=replace(state, revoked=True)),
        replace(record, grant=replace(state, client_disabled=True)),
        replace(record, grant=replace(state, credential_epoch=state.credential_epoch - 1)),
        replace(record, grant=replace(state, session=None)),
    ]
    assert [r.is_live(moment, idle()) for r in dead] == [False] * len(dead)
    # Its own expiry, at the exact instant (offline: its session's idle timeout came first).
    lasting = replace(record, grant=replace(state, offline=True))
    assert lasting.is_live(record.expires_at - timedelta(microseconds=1), idle())
    assert not lasting.is_live(record.expires_at, idle())


def test_the_loaded_token_follows_its_client_and_its_person(app, family):
    me, shop, _session, _grant_id, token = family
    shop.disabled_at = clock.now()
    db.session.commit()
    assert grants.load_refresh_token(token).grant.client_disabled
    assert not grants.load_refresh_token(token).is_live(clock.now(), idle())
    shop.disabled_at = None
    me.credential_epoch += 1
    db.session.commit()
    assert not grants.load_refresh_token(token).is_live(clock.now(), idle())
    me.credential_epoch -= 1
    db.session.commit()
    assert grants.load_refresh_token(token).is_live(clock.now(), idle())


def test_an_offline_grant_outlives_its_session_an_online_one_does_not(app):
    me, shop = person(), portal()
    session = signed_in(me)
    online, offline = grant(me, shop, session)[0], grant(me, shop, session, offline=True)[0]
    session.ended_at = clock.now()  # ended without revoking anything: only the session says
    db.session.commit()
    moment = clock.now()
    assert not grants.load_grant(online).is_live(moment, idle())
    assert grants.load_grant(offline).is_live(moment, idle())
    # Idle past the timeout is the same as ended, for an online grant only.
    session.ended_at = None
    db.session.commit()
    idle_at = session.last_seen_at + idle() + timedelta(microseconds=1)
    assert not grants.load_grant(online).is_live(idle_at, idle())
    assert grants.load_grant(online).is_live(idle_at - timedelta(microseconds=1), idle())
    assert grants.load_grant(offline).is_live(idle_at, idle())


@pytest.mark.parametrize("secret", ["", None, 42, "x" * 513, "no-such-token"])
def test_a_secret_that_names_nothing_loads_nothing(app, secret):
    assert grants.load_refresh_token(secret) is None
    assert grants.load_authorization_code(secret) is None


@pytest.mark.parametrize("grant_id", ["", None, 42, "x" * 65, "no-such-grant"])
def test_a_grant_id_that_names_nothing_loads_nothing(app, grant_id):
    assert grants.load_grant(grant_id) is None


# --- the one revoke ---


@pytest.fixture
def holdings(app) -> dict:
    """Two sessions of one person with grants in each, and a bystander's grant to one portal:
    g1 shop in s1; g2 shop in s2; g3 forum in s1, offline; g4 forum, opened in no session;
    g5 shop in s1, already revoked; gb the bystander's grant to shop."""
    me, bystander, shop, forum = person(), person(), portal(), portal()
    s1, s2 = signed_in(me), signed_in(me)
    held = {
        "g1": grant(me, shop, s1)[0],
        "g2": grant(me, shop, s2)[0],
        "g3": grant(me, forum, s1, offline=True)[0],
        "g4": grant(me, forum)[0],
        "g5": grant(me, shop, s1)[0],
        "gb": grant(bystander, shop, signed_in(bystander))[0],
    }
    db.session.get(Grant, held["g5"]).revoked_at = clock.now() - timedelta(hours=1)
    db.session.commit()
    return held | {"me": me.id, "shop": shop, "s1": s1.id, "s2": s2.id}


GRANTS = ("g1", "g2", "g3", "g4", "g5", "gb")
SELECTORS = {
    "one grant": (lambda h: {"grant_id": h["g1"]}, {"g1"}),
    "a revoked grant": (lambda h: {"grant_id": h["g5"]}, set()),
    "an account": (lambda h: {"account_id": h["me"]}, {"g1", "g2", "g3", "g4"}),
    "a portal": (lambda h: {"client": h["shop"]}, {"g1", "g2", "gb"}),
    "an account at a portal": (
        lambda h: {"account_id": h["me"], "client": h["shop"]},
        {"g1", "g2"},
    ),
    "sessions": (lambda h: {"account_id": h["me"], "session_ids": [h["s1"]]}, {"g1", "g3"}),
    "no sessions": (lambda h: {"account_id": h["me"], "session_ids": []}, set()),
    "all but a session": (
        lambda h: {"account_id": h["me"], "except_session": h["s1"]},
        {"g2", "g4"},
    ),
    "sparing offline": (lambda h: {"account_id": h["me"], "offline": False}, {"g1", "g2", "g4"}),
    "sessions sparing offline": (
        lambda h: {"account_id": h["me"], "session_ids": [h["s1"]], "offline": False},
        {"g1"},
    ),
}


@pytest.mark.parametrize(("selector", "expected"), SELECTORS.values(), ids=SELECTORS)
def test_revoke_touches_exactly_what_it_selects(app, holdings, selector, expected):
    before = db.session.scalar(select(Grant.revoked_at).where(Grant.id == holdings["g5"]))
    assert grants.revoke(reason="test", **selector(holdings)) == len(expected)
    db.session.commit()
    every = [holdings[name] for name in GRANTS]
    assert revoked(*every) == {holdings[name] for name in expected | {"g5"}}
    # An already revoked grant keeps the time it was revoked at.
    assert db.session.scalar(select(Grant.revoked_at).where(Grant.id == holdings["g5"])) == before


def test_each_revocation_is_audited_once_with_its_reason(app, holdings):
    since = mark(AuditEvent)
    assert grants.revoke(reason="code_reused", grant_id=holdings["g1"], context=CONTEXT) == 1
    assert grants.revoke(reason="portal_gone", client=holdings["shop"]) == 2
    # Nothing left to revoke there: no revocation, no event.
    nothing = {"account_id": holdings["me"], "session_ids": [holdings["s2"]]}
    assert grants.revoke(reason="logout", **nothing) == 0
    db.session.commit()
    first, second = audited(since, "grant_revoked")
    assert first.account_id == holdings["me"]
    assert (first.ip_address, first.user_agent) == (CONTEXT.ip_address, CONTEXT.user_agent)
    assert first.details == {
        "reason": "code_reused",
        "grants": 1,
        "client_id": holdings["shop"].client_id,
    }
    # Two people's grants: the event names no one account, but the portal.
    assert second.account_id is None
    assert second.details == {
        "reason": "portal_gone",
        "grants": 2,
        "client_id": holdings["shop"].client_id,
    }


def test_a_revocation_across_portals_names_no_portal(app, holdings):
    since = mark(AuditEvent)
    assert grants.revoke(reason="password_changed", account_id=holdings["me"]) == 4
    db.session.commit()
    [event] = audited(since, "grant_revoked")
    assert event.account_id == holdings["me"]
    assert event.details == {"reason": "password_changed", "grants": 4}
