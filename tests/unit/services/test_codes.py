"""Authorization codes as the token endpoint finds them: the portal's own, unused, within
their lifetime (RFC 6749 §4.1.2) to the instant, and redeemed only while the sign-in they
were issued in lives; and the grant an implicit response opens."""

from __future__ import annotations

import pytest

from server import clock
from server.clock import now
from server.extensions import db
from server.models import Consent, Grant
from server.security import random_token
from server.services import sessions, tokens

from ..conftest import within
from ..domain.conftest import person, portal, signed_in


@pytest.fixture
def app(backend_app):
    with within(backend_app) as app:
        yield app


def issue(client, session) -> str:
    code = random_token(32)
    tokens.save_authorization_code(
        code,
        client=client,
        session=session,
        redirect_uri=client.redirect_uris[0],
        scope="openid",
        nonce=None,
        code_challenge=None,
        code_challenge_method=None,
        offline=False,
    )
    return code


def test_a_code_works_until_the_instant_it_expires_and_not_at_it(app):
    clock.freeze()
    shop = portal()
    code = issue(shop, signed_in(person()))
    clock.travel(app.config["AUTHORIZATION_CODE_LIFETIME"] - 1)
    assert tokens.find_authorization_code(code, shop) is not None
    clock.travel(1)
    assert tokens.find_authorization_code(code, shop) is None


def test_a_code_is_found_only_by_the_portal_it_was_issued_to(app):
    shop, other = portal(), portal()
    code = issue(shop, signed_in(person()))
    assert tokens.find_authorization_code(code, other) is None
    assert tokens.find_authorization_code(code, shop) is not None
    assert tokens.find_authorization_code("not-" + code, shop) is None


def test_a_code_stands_only_while_the_sign_in_it_was_issued_in_is_alive(app):
    shop = portal()
    live = signed_in(person())
    record = tokens.find_authorization_code(issue(shop, live), shop)
    assert tokens.subject_for_code(record, shop).account.id == live.account_id

    ended = signed_in(person())
    code = issue(shop, ended)
    sessions.end_session(ended.id)
    assert tokens.subject_for_code(tokens.find_authorization_code(code, shop), shop) is None

    idle = signed_in(person())
    clock.travel(app.config["SESSION_IDLE_TIMEOUT"] + 1)
    code = issue(shop, idle)  # the code is fresh; the sign-in it rests on is not
    assert tokens.subject_for_code(tokens.find_authorization_code(code, shop), shop) is None


def test_an_implicit_grant_keeps_the_scope_acr_and_claims_it_was_asked_for(app):
    shop = portal()
    session = signed_in(person())
    asked = {"userinfo": {"name": {"essential": True}}}
    subject = tokens.start_implicit_grant(
        session, shop, "openid email", requested_claims=asked, acr="urn:example:acr:strong"
    )
    assert subject.sign_in.acr == "urn:example:acr:strong" and subject.requested_claims == asked
    row = db.session.get(Grant, subject.grant_id)
    assert (row.scope, row.acr, row.requested_claims, row.offline) == (
        "openid email",
        "urn:example:acr:strong",
        asked,
        False,
    )

    plain = tokens.start_implicit_grant(session, shop, "openid", requested_claims={})
    assert plain.sign_in.acr == session.acr and plain.requested_claims is None
    assert db.session.get(Grant, plain.grant_id).acr == session.acr


def test_an_implicit_grant_marks_when_the_persons_consent_was_last_used(app):
    clock.freeze()
    shop = portal()
    owner, bystander = person(), person()
    mine = Consent(account_id=owner.id, client_id=shop.id, scope="openid")
    theirs = Consent(account_id=bystander.id, client_id=shop.id, scope="openid")
    elsewhere = Consent(account_id=owner.id, client_id=portal().id, scope="openid")
    db.session.add_all([mine, theirs, elsewhere])
    db.session.commit()
    clock.travel(90)
    tokens.start_implicit_grant(signed_in(owner), shop, "openid")
    db.session.expire_all()
    assert mine.last_used_at == now()
    assert theirs.last_used_at is None and elsewhere.last_used_at is None
