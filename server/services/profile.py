"""What a person tells portals about themselves, beside their login: the name, the postal
address, the language."""

from __future__ import annotations

import unicodedata

from flask import current_app

from ..clock import now
from ..context import RequestContext
from ..domain import audit
from ..domain.addresses import normal_address
from ..domain.errors import InvalidName
from ..extensions import db
from ..models import Account


def _changed(account: Account, kind: str, context: RequestContext | None) -> None:
    """What every change of a claim does: updated_at moves (OIDC Core §5.1), the activity
    records it, and it is committed."""
    account.updated_at = now()
    audit.record(
        kind,
        account_id=account.id,
        ip_address=getattr(context, "ip_address", None),
        user_agent=getattr(context, "user_agent", None),
    )
    db.session.commit()


def set_address(account: Account, parts: dict, *, context: RequestContext | None = None) -> None:
    """Store the postal address the person entered (every part empty: none), released to
    portals given the address scope (OIDC Core §5.4). Raises InvalidAddress. Not a
    credential: no session or token ends; updated_at moves (Core §5.1)."""
    address = normal_address(parts)
    if address == account.address:
        return
    account.address = address
    _changed(account, "address_changed", context)


def set_language(account: Account, language: str) -> None:
    """The language of the person's pages, mail and SMS (templates in translations/), and
    the `locale` claim of the profile scope (OIDC Core §5.1), so updated_at moves. Not a
    credential: nothing ends. A language Passport has no translation for is refused."""
    if language not in current_app.config["LANGUAGES"]:
        raise ValueError(f"no pages in {language!r}")
    if language == account.locale:
        return
    account.locale = language
    account.updated_at = now()
    db.session.commit()


NAME_MAX = 200  # accounts.name


def set_name(account: Account, name: str, *, context: RequestContext | None = None) -> None:
    """The name portals get with the profile scope (OIDC Core §5.1 `name`); blank: none.
    Spaces are collapsed; control characters are refused (InvalidName). Not a credential:
    nothing ends; updated_at moves."""
    cleaned = " ".join((name or "").split())
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in cleaned) or len(cleaned) > NAME_MAX:
        raise InvalidName()
    cleaned = cleaned or None
    if cleaned == account.name:
        return
    account.name = cleaned
    _changed(account, "name_changed", context)
