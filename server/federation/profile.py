"""What Passport keeps of an upstream account, whichever provider it comes from."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class UpstreamProfile:
    """An upstream account as a preset maps it: keyed by (provider, subject), never by e-mail."""

    provider: str
    subject: str
    name: str | None = None
    email: str | None = None
    email_verified: bool = False
    phone: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> UpstreamProfile:
        return cls(**{key: data.get(key) for key in cls.__dataclass_fields__})


def truthy(value) -> bool:
    """Providers send booleans as true, "true" or 1 (Apple sends the string)."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True or value == 1


def joined_name(*parts) -> str | None:
    return " ".join(str(p).strip() for p in parts if p and str(p).strip()) or None
