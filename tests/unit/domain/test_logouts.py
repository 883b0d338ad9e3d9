"""Back-channel logouts (OIDC Back-Channel Logout 1.0), each rule alone: which portals are
told of which session, and the logout token a portal receives for each message."""

from __future__ import annotations

import pytest

from server import clock
from server.domain import logouts
from server.domain.logouts import BACKCHANNEL_LOGOUT
from server.extensions import db
from server.models import Grant
from server.oauth.logout import LOGOUT_TOKEN_LIFETIME, logout_token

from .conftest import grant, mark, person, portal, queued, signed_in, verified


@pytest.fixture
def holdings(app):
    """One person on three browsers and a bystander, with grants to a few portals:
    shop twice in `one`, in `two`, and in `three` but revoked; forum in `one`; quiet (no
    logout URI) in `one`; the bystander's grant to shop."""
    me, bystander = person(), person()
    one, two, three = signed_in(me), signed_in(me), signed_in(me)
    shop, forum, quiet = (
        portal(),
        portal(id_token_signed_response_alg="ES256"),
        portal(logout=False),
    )
    for client, session in [(shop, one), (shop, one), (forum, one), (quiet, one), (shop, two)]:
        grant(me, client, session)
    revoked_id, _token = grant(me, shop, three)
    db.session.get(Grant, revoked_id).revoked_at = clock.now()
    theirs = signed_in(bystander)
    grant(bystander, shop, theirs)
    db.session.commit()
    return me, bystander, (one, two, three, theirs), (shop, forum, quiet)


def told(since: int) -> set[tuple[str, str | None]]:
    """(portal, sid) of each logout queued since the mark; each pair once."""
    messages = queued(since, BACKCHANNEL_LOGOUT)
    pairs = [(m.payload["client_id"], m.payload.get("sid")) for m in messages]
    assert len(pairs) == len(set(pairs)), "a portal told twice of one session"
    return set(pairs)


def test_the_portals_of_the_ended_sessions_are_told_once_each(app, holdings):
    me, _bystander, (one, two, _three, _theirs), (shop, forum, _quiet) = holdings
    since = mark()
    assert logouts.queue_for_sessions(me, [one.id]) == 2
    assert told(since) == {(shop.client_id, one.id), (forum.client_id, one.id)}
    [to_forum] = [
        m for m in queued(since, BACKCHANNEL_LOGOUT) if m.payload["client_id"] == forum.client_id
    ]
    assert to_forum.target == forum.client_metadata["backchannel_logout_uri"]
    assert to_forum.payload == {
        "client_id": forum.client_id,
        "sub": me.sub,
        "alg": "ES256",
        "sid": one.id,
    }
    assert logouts.queue_for_sessions(me, []) == 0


def test_only_the_persons_own_grants_in_those_sessions_count(app, holdings):
    me, bystander, (one, two, three, theirs), (shop, _forum, _quiet) = holdings
    since = mark()
    # The bystander's session, named with this person: neither is the other's.
    assert logouts.queue_for_sessions(me, [theirs.id]) == 0
    assert logouts.queue_for_sessions(bystander, [one.id]) == 0
    # A portal that received tokens in a session is told even if they were revoked since.
    assert logouts.queue_for_sessions(me, [three.id]) == 1
    assert told(since) == {(shop.client_id, three.id)}


def test_a_portal_revoked_by_the_person_is_told_of_each_session_still_holding_its_tokens(
    app, holdings
):
    me, _bystander, (one, two, _three, _theirs), (shop, forum, quiet) = holdings
    since = mark()
    assert logouts.queue_for_client(me, shop) == 2
    assert told(since) == {(shop.client_id, one.id), (shop.client_id, two.id)}
    assert logouts.queue_for_client(me, quiet) == 0


def test_a_portal_holding_nothing_is_told_of_the_person_without_a_session(app):
    me, shop = person(), portal()
    since = mark()
    assert logouts.queue_for_client(me, shop) == 1
    [message] = queued(since, BACKCHANNEL_LOGOUT)
    assert message.payload["sub"] == me.sub and "sid" not in message.payload


def test_a_portal_being_deleted_tells_every_person_and_session_still_holding_its_tokens(
    app, holdings
):
    me, bystander, (one, two, _three, theirs), (shop, _forum, _quiet) = holdings
    since = mark()
    assert logouts.queue_for_every_session_of(shop) == 3
    sent = {(m.payload["sub"], m.payload["sid"]) for m in queued(since, BACKCHANNEL_LOGOUT)}
    assert sent == {(me.sub, one.id), (me.sub, two.id), (bystander.sub, theirs.id)}


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_the_logout_token_says_who_logged_out_of_which_session_to_whom(app, alg):
    me, shop = person(), portal(id_token_signed_response_alg=alg)
    session = signed_in(me)
    grant(me, shop, session)
    since = mark()
    logouts.queue_for_sessions(me, [session.id])
    [message] = queued(since, BACKCHANNEL_LOGOUT)
    payload = message.payload
    token = logout_token(
        client_id=payload["client_id"],
        alg=payload["alg"],
        sub=payload["sub"],
        sid=payload.get("sid"),
        jti=message.jti,
    )
    header, claims = verified(token)
    assert (header["alg"], header["typ"]) == (alg, "logout+jwt") and header["kid"]
    assert claims["iss"] == app.config["ISSUER"]
    assert claims["aud"] == shop.client_id
    assert (claims["sub"], claims["sid"], claims["jti"]) == (me.sub, session.id, message.jti)
    # §2.4: the events member names the back-channel logout event, with an empty object.
    assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
    assert abs(claims["iat"] - clock.timestamp()) <= 1
    assert claims["exp"] == claims["iat"] + LOGOUT_TOKEN_LIFETIME
    assert "nonce" not in claims  # §2.4: a logout token never carries one


def test_a_logout_token_without_a_session_names_the_person_only(app):
    _header, claims = verified(
        logout_token(client_id="portal", alg="RS256", sub="s-1", sid=None, jti="j-1")
    )
    assert claims["sub"] == "s-1" and "sid" not in claims
