"""Where the worker may send what portals asked for: public addresses only in production
(server/outbound.py says why and how the address is checked)."""

from __future__ import annotations

from ..outbound import OutboundRefused, OutboundUnavailable, check_public_address
from .errors import PermanentFailure, TemporaryFailure


def check_target(url: str, *, allow_private: bool) -> None:
    """Raise PermanentFailure when `url` reaches a non-public address and that is not allowed;
    TemporaryFailure when its name does not resolve now."""
    try:
        check_public_address(url, allow_private=allow_private)
    except OutboundRefused as error:
        raise PermanentFailure(str(error)) from error
    except OutboundUnavailable as error:
        raise TemporaryFailure(str(error)) from error
