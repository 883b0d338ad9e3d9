"""The owner check as use cases run it, and wrong codes that count although refused.

The domain checks without committing, so that a change checked under a row lock keeps the
lock until it commits. A wrong code is the exception: the change is refused, and the count
of wrong codes (and the wait it brings) must outlive the refusal, so it is committed here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..domain import credentials
from ..domain.errors import CodeInvalid, TooManyAttempts
from ..extensions import db
from ..models import Account, LoginSession


@contextmanager
def counting_wrong_codes() -> Iterator[None]:
    """Commit the count of a wrong code (a second factor, or a code sent by SMS), then let the
    refusal through."""
    try:
        yield
    except (CodeInvalid, TooManyAttempts):
        db.session.commit()
        raise


def check_owner(
    account: Account,
    password: str | None,
    login_session: LoginSession | None,
    code: str | None = None,
) -> None:
    """domain.credentials.check_owner, inside the caller's transaction; a wrong code counted."""
    with counting_wrong_codes():
        credentials.check_owner(account, password, login_session, code)


def confirm_owner(
    account: Account,
    password: str | None,
    login_session: LoginSession | None,
    code: str | None = None,
) -> None:
    """The owner check before a step that changes nothing yet (linking a network starts with
    it); a second factor it takes is spent. Raises what check_owner raises."""
    check_owner(account, password, login_session, code)
    db.session.commit()
