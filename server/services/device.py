"""Device sign-in (RFC 8628): a device asks, the person decides at /device, the device
polls for its tokens. The rules are in domain/device_authorizations.py.

A device's grant rests on no login session (the person decided in a browser that may sign
out long before the TV does); like an offline grant it lives until it is revoked: by the
person on the portals page, by "log out of all devices", by a credential change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from ..clock import now
from ..context import RequestContext
from ..domain import audit
from ..domain import device_authorizations as requests
from ..domain import grants as token_store
from ..domain.subjects import subject_for
from ..extensions import db
from ..models import Account, Client, DeviceAuthorization, Grant, LoginSession, RefreshToken
from ..security import random_token, sha256_hex
from . import consents
from .tokens import Subject


@dataclass(frozen=True)
class Started:
    device_code: str
    user_code: str
    expires_in: int
    interval: int


def start(client: Client, scope: str) -> Started:
    """A device's request for `scope` (§3.1, §3.2)."""
    device_code, user_code = requests.start(client.id, scope)
    db.session.commit()
    return Started(device_code, user_code, requests.LIFETIME, requests.INTERVAL)


def pending(user_code: object) -> DeviceAuthorization | None:
    """The request a person's typed code names, if it still waits for an answer."""
    return requests.pending(user_code)


def decide(
    account: Account,
    login_session: LoginSession,
    request: DeviceAuthorization,
    *,
    approved: bool,
    context: RequestContext,
) -> bool:
    """The person's answer to a device; False when it came too late (expired, or answered
    in another tab). An approval of a third-party portal remembers the consent."""
    sign_in = {
        "auth_time": int(login_session.auth_time.timestamp()),
        "amr": list(login_session.amr or []),
        "acr": login_session.acr,
    }
    if not requests.decide(request, account_id=account.id, approved=approved, sign_in=sign_in):
        db.session.rollback()
        return False
    audit.record(
        "device_approved" if approved else "device_denied",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        client_id=request.client.client_id,
        scope=request.scope,
    )
    db.session.commit()
    if approved and not request.client.first_party:
        consents.grant_consent(account, request.client, request.scope)
    return True


def by_device_code(device_code: object) -> DeviceAuthorization | None:
    return requests.by_device_code(device_code)


def poll(request: DeviceAuthorization) -> str:
    """What a poll of the device gets (§3.5): "expired", "used", "denied", "approved",
    "slow_down" or "pending"."""
    if requests.is_expired(request):
        return "expired"
    if request.used_at is not None:
        return "used"
    if request.approved is False:
        return "denied"
    if request.approved:
        return "approved"
    on_time = requests.claim_poll(request)
    db.session.commit()
    return "pending" if on_time else "slow_down"


def subject_of(request: DeviceAuthorization, client) -> Subject | None:
    """The person who approved, with the sign-in they approved in; None if their Passport
    is locked or gone since."""
    account = request.account
    if account is None or account.locked_at is not None or account.deleted_at is not None:
        return None
    return Subject(
        account=token_store.account_claims(account),
        grant_id=random_token(18),
        sign_in=token_store.SignIn(None, request.auth_time, tuple(request.amr or ()), request.acr),
        subject=subject_for(account.sub, client),
        offline=False,  # no login session to outlive
    )


def redeem(
    request: DeviceAuthorization,
    subject: Subject,
    client,
    scope: str,
    refresh_token: str | None,
) -> bool:
    """Start the grant of an approved request, with its first refresh token, and spend the
    request, in one transaction; False if its tokens were issued already."""
    if not requests.spend(request, subject.grant_id):
        db.session.rollback()
        return False
    moment = now()
    db.session.add(
        Grant(
            id=subject.grant_id,
            client_id=client.id,
            account_id=subject.account.id,
            session_id=None,
            scope=scope or "",
            offline=subject.offline,
            credential_epoch=subject.account.credential_epoch,
            auth_time=subject.sign_in.auth_time,
            amr=list(subject.sign_in.amr),
            acr=subject.sign_in.acr,
            created_at=moment,
        )
    )
    if refresh_token:
        db.session.add(
            RefreshToken(
                token_hash=sha256_hex(refresh_token),
                grant_id=subject.grant_id,
                created_at=moment,
                expires_at=moment + timedelta(seconds=current_app.config["REFRESH_TOKEN_LIFETIME"]),
            )
        )
    db.session.commit()
    return True
