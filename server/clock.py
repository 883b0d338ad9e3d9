"""One clock for the whole server, so tests can move time without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return (_frozen or datetime.now(UTC)) + _offset


def timestamp() -> int:
    return int(now().timestamp())


def travel(seconds: float) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += timedelta(seconds=seconds)


def freeze() -> None:
    """Stop the clock where it stands; travel still moves it (tests only): a rule can be
    checked at the exact instant of its limit."""
    global _frozen
    _frozen = datetime.now(UTC)


def reset() -> None:
    global _offset, _frozen
    _offset = timedelta(0)
    _frozen = None
