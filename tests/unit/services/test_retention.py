"""Retention: each rule deletes what nobody can use and keeps what still means something.

On SQLite and PostgreSQL; the clock moves instead of anything sleeping. The database is
shared by the module, so every check names its own rows rather than counting a table.
"""

from __future__ import annotations

import secrets
import threading

import pytest
from sqlalchemy import event, select, update

from server import clock
from server.domain import audit, outbox, signups, verifications
from server.extensions import db
from server.models import (
    AuditEvent,
    AuthorizationCode,
    Grant,
    LoginSession,
    OutboxMessage,
    TrustedDevice,
    Verification,
)
from server.security import random_token, sha256_hex
from server.services import clients, sessions, tokens, two_factor
from server.services.accounts import create_account
from server.services.retention import prune

from ..conftest import within

DAY = 86400


@pytest.fixture
def app(backend_app):
    with within(backend_app) as app:
        yield app


@pytest.fixture
def grace(app) -> int:
    return app.config["RETENTION_GRACE"]


def person():
    return create_account(
        email=f"person-{secrets.token_hex(4)}@example.org",
        password="correct horse battery",
        email_verified=True,
    )


def portal():
    client, _ = clients.create_client(
        {
            "client_name": "Shop",
            "redirect_uris": ["https://shop.example/cb"],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": "openid offline_access",
        },
        first_party=True,
    )
    return client


def signed_in(account) -> LoginSession:
    return sessions.start_session(account, amr=["pwd"], acr=None, remember=False)


def issue_code(client, session, *, offline=False) -> str:
    code = random_token(32)
    tokens.save_authorization_code(
        code,
        client=client,
        session=session,
        redirect_uri="https://shop.example/cb",
        scope="openid",
        nonce=None,
        code_challenge=None,
        code_challenge_method=None,
        offline=offline,
    )
    return code


def redeem(code, client) -> tuple[str, str]:
    """What the token endpoint does with a code: a grant and its first refresh token."""
    row = tokens.find_authorization_code(code, client)
    subject = tokens.subject_for_code(row, client)
    refresh_token = random_token(32)
    assert tokens.redeem_authorization_code(row, subject, client, "openid", refresh_token)
    return subject.grant_id, refresh_token


def refresh(token: str) -> str:
    """What the token endpoint does with a refresh token: rotate it."""
    row = tokens.find_refresh_token(token)
    assert row is not None
    successor = random_token(32)
    assert tokens.rotate_refresh_token(row, successor)
    return successor


def a_family(*, offline=True):
    """A person signed in to a portal, its grant, and the grant's first refresh token."""
    client, account = portal(), person()
    session = signed_in(account)
    grant_id, token = redeem(issue_code(client, session, offline=offline), client)
    return account, session, grant_id, token


def code_row(code: str):
    return db.session.execute(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == sha256_hex(code))
    ).scalar_one_or_none()


def row(model, key):
    db.session.expire_all()
    return db.session.get(model, key)


def test_codes_go_a_grace_after_expiry_and_a_used_one_revokes_until_then(app, grace):
    client, session = portal(), signed_in(person())
    unused = issue_code(client, session)
    used = issue_code(client, session)
    grant_id, _ = redeem(used, client)
    clock.travel(app.config["AUTHORIZATION_CODE_LIFETIME"] + grace - 5)
    prune()
    assert code_row(unused) is not None and code_row(used) is not None
    # RFC 6749 §4.1.2: presented again (here, after its expiry) the code revokes its grant.
    assert tokens.find_authorization_code(used, client) is None
    assert row(Grant, grant_id).revoked_at is not None
    clock.travel(10)
    counts = prune()
    assert code_row(unused) is None and code_row(used) is None
    assert counts["authorization_codes"] >= 2


def test_a_rotated_token_of_a_live_family_stays_and_still_revokes_the_family(app):
    _, _, grant_id, first = a_family()
    clock.travel(20 * DAY)
    second = refresh(first)
    clock.travel(20 * DAY)  # `first` expired ten days ago; `second` lives ten days more
    prune()
    assert tokens.lookup_refresh_token(first) is not None
    assert row(Grant, grant_id) is not None
    # Invariant 6: the rotated token presented again revokes the whole family.
    assert tokens.find_refresh_token(first) is None
    assert row(Grant, grant_id).revoked_at is not None
    assert tokens.find_refresh_token(second) is None


def test_a_revoked_family_goes_after_the_grace_and_its_grant_after_its_session(app, grace):
    account, session, grant_id, first = a_family(offline=False)
    second = refresh(first)
    tokens.revoke_grant(grant_id, reason="test")
    clock.travel(grace - 5)
    prune()
    assert tokens.lookup_refresh_token(first) and tokens.lookup_refresh_token(second)
    clock.travel(10)
    prune()
    assert tokens.lookup_refresh_token(first) is None
    assert tokens.lookup_refresh_token(second) is None
    clock.travel(app.config["ACCESS_TOKEN_LIFETIME"])
    prune()
    # Its tokens are gone, but the session it was opened in may still end with a
    # back-channel logout, which finds the portal through the grant.
    assert row(Grant, grant_id) is not None
    sessions.end_session(session.id)
    prune()
    assert row(Grant, grant_id) is None
    claims = {"gid": grant_id, "sub": account.sub, "epoch": account.credential_epoch}
    assert tokens.live_access_token(claims) is None


def test_an_expired_family_goes_whole_with_its_grant(app, grace):
    _, _, grant_id, first = a_family()
    second = refresh(first)
    clock.travel(app.config["REFRESH_TOKEN_LIFETIME"] + grace - 5)
    prune()
    assert tokens.lookup_refresh_token(second) is not None
    clock.travel(10)
    counts = prune()
    assert tokens.lookup_refresh_token(first) is None
    assert tokens.lookup_refresh_token(second) is None
    assert row(Grant, grant_id) is None
    assert counts["refresh_tokens_of_expired_families"] >= 2 and counts["grants"] >= 1


def test_a_live_family_keeps_its_grant_and_every_token(app):
    _, _, grant_id, first = a_family()
    second = refresh(first)
    third = refresh(second)
    clock.travel(10 * DAY)
    prune()
    assert all(tokens.lookup_refresh_token(t) for t in (first, second, third))
    assert tokens.find_refresh_token(third) is not None
    assert row(Grant, grant_id).revoked_at is None


def test_sessions_go_a_retention_after_they_end_or_expire(app):
    days = app.config["SESSION_RETENTION_DAYS"]
    account = person()
    expiring, ended = signed_in(account), signed_in(account)
    expiring_id, ended_id = expiring.id, ended.id
    sessions.end_session(ended_id)
    clock.travel(days * DAY + 5)
    prune()
    assert row(LoginSession, ended_id) is None
    assert row(LoginSession, expiring_id) is not None  # expired, not yet for `days`
    clock.travel(app.config["SESSION_LIFETIME"])
    live = signed_in(account)
    prune()
    assert row(LoginSession, expiring_id) is None
    assert sessions.load_active_session(live.id) is not None


def test_verifications_and_trusted_devices_go_a_grace_after_expiry(app, grace):
    account = person()
    verification, _ = verifications.issue(
        account, purpose="recovery", kind="email", target=account.email
    )
    db.session.commit()
    verification_id = verification.id
    two_factor.trust_device(account, user_agent="test")
    device_id = db.session.execute(
        select(TrustedDevice.id).where(TrustedDevice.account_id == account.id)
    ).scalar_one()
    clock.travel(app.config["EMAIL_LINK_LIFETIME"] + grace + 5)
    prune()
    assert row(Verification, verification_id) is None
    assert row(TrustedDevice, device_id) is not None
    clock.travel(app.config["TRUSTED_DEVICE_DAYS"] * DAY)
    prune()
    assert row(TrustedDevice, device_id) is None


def test_a_sign_up_nobody_confirmed_goes_a_grace_after_expiry(app, grace):
    """It has no account to go with; its password hash must not stay behind."""
    verification, _ = signups.claim(
        "email",
        f"nobody-{secrets.token_hex(4)}@example.org",
        password_hash="$argon2id$not-a-real-hash",
        name=None,
        locale=None,
        next_url=None,
    )
    db.session.commit()
    verification_id = verification.id
    clock.travel(app.config["EMAIL_LINK_LIFETIME"] + grace - 5)
    prune()
    assert row(Verification, verification_id) is not None
    clock.travel(10)
    prune()
    assert row(Verification, verification_id) is None


def test_finished_outbox_messages_go_and_pending_ones_stay(app):
    def message(status):
        queued = outbox.enqueue("retention_test", "nowhere", {})
        db.session.flush()
        queued.status = status
        db.session.commit()
        return queued.id

    delivered, failed, pending = message("delivered"), message("failed"), message("pending")
    clock.travel(app.config["OUTBOX_RETENTION_DAYS"] * DAY + 5)
    recent = message("delivered")
    prune()
    assert row(OutboxMessage, delivered) is None and row(OutboxMessage, failed) is None
    assert row(OutboxMessage, pending) is not None  # invariant 7: nothing is lost
    assert row(OutboxMessage, recent) is not None
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == pending).values(status="x"))
    db.session.commit()  # out of any later worker's way


def test_audit_events_go_after_their_retention_unless_kept_forever(app):
    event_id = record_events(1)[0]
    app.config["AUDIT_RETENTION_DAYS"] = 0
    clock.travel(400 * DAY)
    assert "audit_events" not in prune()
    assert row(AuditEvent, event_id) is not None
    app.config["AUDIT_RETENTION_DAYS"] = 365
    prune()
    assert row(AuditEvent, event_id) is None


def record_events(count: int) -> list[int]:
    events = [audit.record("signup_requested", account_id=None) for _ in range(count)]
    db.session.commit()
    return [e.id for e in events]


@pytest.fixture
def deletes(app):
    """How many rows each DELETE statement removed, in order."""
    counts = []

    def after(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE FROM AUDIT_EVENTS"):
            counts.append(cursor.rowcount)

    event.listen(db.engine, "after_cursor_execute", after)
    yield counts
    event.remove(db.engine, "after_cursor_execute", after)


def test_each_statement_deletes_one_bounded_batch(app, deletes):
    ids = record_events(5)
    clock.travel(366 * DAY)
    assert prune(batch=2, max_batches=1)["audit_events"] == 2
    assert deletes == [2]
    prune(batch=2)
    assert all(row(AuditEvent, i) is None for i in ids)
    assert len(deletes) >= 3 and max(deletes) <= 2


def test_two_prunes_at_once_delete_each_row_once(app):
    ids = record_events(40)
    clock.travel(366 * DAY)
    results, errors = [], []

    def one():
        try:
            with app.app_context():
                results.append(prune(batch=3)["audit_events"])
        except Exception as error:  # reported below, with the other thread's result
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sum(results) >= len(ids)
    assert all(row(AuditEvent, i) is None for i in ids)
