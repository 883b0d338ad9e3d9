"""Device authorization (RFC 8628): the rules of a device's request to act for a person.

- The device code is 43 random characters, known to the device alone; the user code is 8
  letters from an alphabet without vowels or look-alikes (§6.1: no 0/O, 1/I; no words
  spelled by accident), shown and read aloud as `BCDF-GHJK`. It is entered in any case,
  with or without the dash and spaces. Both are stored as SHA-256 only.
- A request lives LIFETIME seconds. Nobody may decide it after that, nor twice: deciding
  is one conditional UPDATE, so of two answers at once only the first counts.
- The device polls no faster than its interval: a poll sooner than that is answered
  slow_down and adds 5 s to the interval for every later poll (§3.5). Claiming the poll is
  one conditional UPDATE too, so two polls at once cannot both pass.
- The tokens of an approved request are issued once: spending it is a conditional UPDATE
  in the transaction that starts the grant.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ..clock import now
from ..extensions import db
from ..models import DeviceAuthorization
from ..security import sha256_hex

LIFETIME = 600
INTERVAL = 5
SLOW_DOWN_STEP = 5
# RFC 8628 §6.1's example alphabet: 20 consonants, none easily taken for another, and
# words cannot be spelled without vowels. 20^8 ≈ 2.6·10^10 codes.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
_NOT_IN_CODE = re.compile(r"[\s-]+")
DEVICE_CODE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def new_user_code() -> str:
    """A user code as the device shows it: BCDF-GHJK."""
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    return f"{letters[:4]}-{letters[4:]}"


def normal_user_code(typed: object) -> str | None:
    """The code as typed, written together in capitals; None for what cannot be one."""
    if not isinstance(typed, str) or len(typed) > 32:
        return None
    code = _NOT_IN_CODE.sub("", typed).upper()
    if len(code) != USER_CODE_LENGTH or any(c not in USER_CODE_ALPHABET for c in code):
        return None
    return code


def shown_user_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def start(client_pk: int, scope: str) -> tuple[str, str]:
    """Store a device's request; its device code and user code. No commit."""
    device_code = secrets.token_urlsafe(32)
    user_code = new_user_code()
    moment = now()
    db.session.add(
        DeviceAuthorization(
            device_code_hash=sha256_hex(device_code),
            user_code_hash=sha256_hex(normal_user_code(user_code)),
            client_id=client_pk,
            scope=scope,
            created_at=moment,
            expires_at=moment + timedelta(seconds=LIFETIME),
            interval=INTERVAL,
        )
    )
    return device_code, user_code


def pending(typed_user_code: object) -> DeviceAuthorization | None:
    """The undecided, unexpired request a typed user code names; None otherwise."""
    code = normal_user_code(typed_user_code)
    if code is None:
        return None
    found = db.session.scalar(
        select(DeviceAuthorization).where(DeviceAuthorization.user_code_hash == sha256_hex(code))
    )
    if found is None or found.approved is not None or found.expires_at <= now():
        return None
    return found


def decide(request: DeviceAuthorization, *, account_id: int, approved: bool, sign_in: dict) -> bool:
    """Record the person's answer (and, approved, the sign-in it was given in: auth_time,
    amr, acr); False when it was decided already or has expired. No commit."""
    moment = now()
    decided = db.session.execute(
        update(DeviceAuthorization)
        .where(
            DeviceAuthorization.id == request.id,
            DeviceAuthorization.approved.is_(None),
            DeviceAuthorization.expires_at > moment,
        )
        .values(approved=approved, account_id=account_id, decided_at=moment, **sign_in)
        .execution_options(synchronize_session=False)
    )
    return decided.rowcount == 1


def by_device_code(device_code: object) -> DeviceAuthorization | None:
    if not isinstance(device_code, str) or not DEVICE_CODE.fullmatch(device_code):
        return None
    return db.session.scalar(
        select(DeviceAuthorization).where(
            DeviceAuthorization.device_code_hash == sha256_hex(device_code)
        )
    )


def claim_poll(request: DeviceAuthorization) -> bool:
    """Record a poll; False (and the interval 5 s longer) when it came before the interval
    since the last one had passed (§3.5 slow_down). No commit."""
    moment = now()
    due = moment - timedelta(seconds=request.interval)
    claimed = db.session.execute(
        update(DeviceAuthorization)
        .where(
            DeviceAuthorization.id == request.id,
            or_(
                DeviceAuthorization.last_polled_at.is_(None),
                DeviceAuthorization.last_polled_at <= due,
            ),
        )
        .values(last_polled_at=moment)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 1:
        return True
    db.session.execute(
        update(DeviceAuthorization)
        .where(DeviceAuthorization.id == request.id)
        .values(interval=DeviceAuthorization.interval + SLOW_DOWN_STEP, last_polled_at=moment)
        .execution_options(synchronize_session=False)
    )
    return False


def spend(request: DeviceAuthorization, grant_id: str) -> bool:
    """Mark an approved request's tokens issued, naming the grant they start; False when
    they were issued already. No commit."""
    spent = db.session.execute(
        update(DeviceAuthorization)
        .where(
            DeviceAuthorization.id == request.id,
            DeviceAuthorization.approved.is_(True),
            DeviceAuthorization.used_at.is_(None),
        )
        .values(used_at=now(), grant_id=grant_id)
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1


def is_expired(request: DeviceAuthorization, moment: datetime | None = None) -> bool:
    return request.expires_at <= (moment or now())
