"""Sign-ups waiting for their login to be confirmed (invariants 3 and 4).

A sign-up is a verification without an account: it holds what the account will be made of
(the argon2 hash of the password, the name, the language, where to go on) and sends a link
or a code to the login. It claims nothing: until the link is followed or the code entered
the login stays free, anyone — its owner above all — may sign up with it too, and the
sign-up confirmed first gets it; the unique constraint on the login decides a race.
"""

from __future__ import annotations

from sqlalchemy import select

from ..clock import now
from ..extensions import db
from ..models import Account, Verification
from . import verifications
from .errors import InvalidIdentifier
from .identifiers import parse_login
from .subjects import new_subject

PURPOSE = "signup"


def claim(
    kind: str,
    value: str,
    *,
    password_hash: str,
    name: str | None,
    locale: str | None,
    next_url: str | None,
) -> tuple[Verification, str]:
    """A sign-up for the login `value` (normalised, of `kind`); returns it and the secret
    to send. No commit."""
    verification, secret = verifications.issue(None, purpose=PURPOSE, kind=kind, target=value)
    verification.password_hash = password_hash
    verification.name = (name or "").strip()[:200] or None
    verification.locale = locale
    verification.next_url = next_url
    return verification, secret


def waiting(login: str) -> Verification | None:
    """The newest open sign-up of this login, as typed: the one whose password sign-in
    checks when no account has the login."""
    try:
        kind, value = parse_login(login)
    except InvalidIdentifier:
        return None
    return db.session.execute(
        select(Verification)
        .where(
            Verification.purpose == PURPOSE,
            Verification.kind == kind,
            Verification.target == value,
            Verification.used_at.is_(None),
            Verification.cancelled_at.is_(None),
            Verification.expires_at > now(),
        )
        .order_by(Verification.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def started_elsewhere(verification: Verification, started_here: int | None) -> bool:
    """Whether the browser holding the link is not the one that signed up (`started_here`
    is the sign-up its cookie names). That browser typed the password a moment ago; any
    other gives it again, so that the owner of a mailbox, following a link a stranger
    asked for, never makes a Passport whose password the stranger knows."""
    return verification.id != started_here


def account_of(verification: Verification) -> Account:
    """The account a confirmed sign-up makes: the login it confirmed, verified, and the
    password chosen at sign-up. Not added to the database session."""
    return Account(
        sub=new_subject(),
        **{verification.kind: verification.target, f"{verification.kind}_verified": True},
        password_hash=verification.password_hash,
        name=verification.name,
        locale=verification.locale,
    )
