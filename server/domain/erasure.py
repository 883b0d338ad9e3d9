"""What deleting a Passport erases, and the little that stays.

Everything that is the person goes: logins, password, name, photo, address, linked
networks, second factor, sessions, portals' grants and consents, pending verifications.
What stays is what the record of the server needs and no person can be found by: the
account's row as a tombstone (its random `sub`, so that no other person is ever given it,
and the time of deletion) and its audit events, stripped of addresses, devices and details.
"""

from __future__ import annotations

from sqlalchemy import delete, update

from .. import models
from ..clock import now
from ..extensions import db
from ..models import Account, AuditEvent, InitialAccessToken, OutboxMessage
from . import notifications

# Rows of the person, deleted whole (a grant's refresh tokens go with it, by cascade).
OWNED = (
    models.AccountPhoto,
    models.AuthorizationCode,
    models.Consent,
    models.Grant,
    models.InitialAccessToken,
    models.LoginSession,
    models.RecoveryCode,
    models.TotpAuthenticator,
    models.TrustedDevice,
    models.UpstreamIdentity,
    models.Verification,
)


def forget_messages(account: Account) -> None:
    """Delete the mail and SMS to the person's addresses still in the outbox, sent or not:
    they name the person. Before the last notice is queued, which goes out after."""
    addresses = [a for a in (account.email, account.phone) if a]
    if addresses:
        db.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.kind.in_((notifications.MAIL, notifications.SMS)),
                OutboxMessage.target.in_(addresses),
            )
        )


def erase(account: Account) -> None:
    """Erase the person from the account and everything that hangs on it. No commit; the
    caller has already ended what the account opened (sessions, grants) and told portals."""
    for model in OWNED:
        column = model.owner_id if model is InitialAccessToken else model.account_id
        db.session.execute(delete(model).where(column == account.id))
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.account_id == account.id)
        .values(ip_address=None, user_agent=None, details={})
    )
    account.email = account.phone = account.password_hash = None
    account.email_verified = account.phone_verified = False
    account.name = account.locale = account.zoneinfo = account.photo_id = None
    account.address = None
    account.is_developer = account.is_operator = account.is_demo = False
    account.deleted_at = account.updated_at = now()
