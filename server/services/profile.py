"""What a person tells portals about themselves, beside their login: the name, the postal
address, the language, the time zone, the photo."""

from __future__ import annotations

import unicodedata
import zoneinfo

from flask import current_app
from sqlalchemy import delete

from ..clock import now
from ..context import RequestContext
from ..domain import audit, photos
from ..domain.addresses import normal_address
from ..domain.errors import InvalidName, InvalidTimeZone
from ..extensions import db
from ..models import Account, AccountPhoto
from ..security import random_token


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


def time_zones() -> frozenset[str]:
    """The IANA names a person may choose (those of the zone database Python reads)."""
    return _TIME_ZONES


# The zones of places (not the legacy aliases such as "US/Eastern" or "Etc/GMT+3").
_REGIONS = (
    "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
    "Indian", "Pacific",
)  # fmt: skip
_TIME_ZONES = frozenset(
    name for name in zoneinfo.available_timezones() if name.split("/")[0] in _REGIONS
) | {"UTC"}


def set_time_zone(account: Account, name: str | None) -> None:
    """The time zone the pages show the person's times in, and the `zoneinfo` claim of the
    profile scope (OIDC Core §5.1), so updated_at moves; empty: none (the pages use UTC).
    A name the zone database does not know is refused (InvalidTimeZone). Not a credential:
    nothing ends."""
    name = (name or "").strip() or None
    if name is not None and name not in _TIME_ZONES:
        raise InvalidTimeZone()
    if name == account.zoneinfo:
        return
    account.zoneinfo = name
    account.updated_at = now()
    db.session.commit()


def set_photo(account: Account, upload: bytes, *, context: RequestContext | None = None) -> None:
    """Keep a new profile photo, made a square JPEG from what was uploaded (InvalidPhoto when
    it cannot be), under a new random name: the `picture` claim changes with it, so a
    portal or a browser that cached the old photo never shows it for the new one."""
    content = photos.square_jpeg(upload)
    db.session.execute(delete(AccountPhoto).where(AccountPhoto.account_id == account.id))
    photo = AccountPhoto(
        id=random_token(16), account_id=account.id, media_type=photos.MEDIA_TYPE, content=content
    )
    db.session.add(photo)
    account.photo_id = photo.id
    _changed(account, "photo_changed", context)


def remove_photo(account: Account, *, context: RequestContext | None = None) -> None:
    """Remove the profile photo: its address stops answering, the claim goes."""
    if account.photo_id is None:
        return
    db.session.execute(delete(AccountPhoto).where(AccountPhoto.account_id == account.id))
    account.photo_id = None
    _changed(account, "photo_removed", context)


def photo(photo_id: str) -> AccountPhoto | None:
    """A photo by the name it is served under; None for a replaced or unknown one."""
    if not photo_id or len(photo_id) > 32:
        return None
    return db.session.get(AccountPhoto, photo_id)
