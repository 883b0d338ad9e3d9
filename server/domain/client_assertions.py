"""The client assertions already used (RFC 7523 §3 item 7: the server may keep the jti of
assertions it accepted, and refuse them presented again)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from ..extensions import autocommit_connection, note_write
from ..models import UsedAssertion

_USE = insert(UsedAssertion)


def use_once(client_id: str, jti: str, kept_until: datetime) -> bool:
    """Record this client's assertion `jti` as used until `kept_until`; False when it was
    used before. One INSERT on the autocommit connection: the unique constraint on
    (client_id, jti) decides between two requests presenting it at once."""
    note_write()
    try:
        autocommit_connection().execute(
            _USE, {"client_id": client_id, "jti": jti, "expires_at": kept_until}
        )
    except IntegrityError:
        return False
    return True
