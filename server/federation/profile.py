"""What Passport keeps of an upstream account, whichever provider it comes from."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# OpenID Connect Core §2: a subject identifier is at most 255 ASCII characters.
MAX_SUBJECT = 255
# The widths Passport keeps (the columns of upstream_identities).
MAX_NAME, MAX_EMAIL, MAX_PHONE = 200, 320, 32


@dataclass(frozen=True)
class UpstreamProfile:
    """An upstream account as a preset maps it: keyed by (provider, subject), never by e-mail."""

    provider: str
    subject: str
    name: str | None = None
    email: str | None = None
    email_verified: bool = False
    phone: str | None = None

    def __post_init__(self):
        """What a provider sends is data from outside: a subject that is no identifier is
        refused (ValueError; never cut, or two accounts would become one), and other fields
        of another type or too long to keep are left out."""
        email = _text(self.email, MAX_EMAIL, cut=False)
        values = {
            "subject": subject_of(self.subject),
            "name": _text(self.name, MAX_NAME),
            "email": email,
            "email_verified": bool(email) and self.email_verified is True,
            "phone": _text(self.phone, MAX_PHONE, cut=False),
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> UpstreamProfile:
        return cls(**{key: data.get(key) for key in cls.__dataclass_fields__})


def subject_of(value) -> str:
    """The upstream subject as a string: a string or an integer (GitHub's ids), not empty,
    and no longer than OpenID Connect allows. Raises ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("the upstream subject is not an identifier")
    subject = str(value)
    if not subject.strip() or len(subject) > MAX_SUBJECT:
        raise ValueError("the upstream subject is empty or too long")
    return subject


def _text(value, limit: int, *, cut: bool = True) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > limit and not cut:
        return None
    return value[:limit] or None


def truthy(value) -> bool:
    """Providers send booleans as true, "true" or 1 (Apple sends the string)."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True or value == 1


def joined_name(*parts) -> str | None:
    return " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip()) or None
