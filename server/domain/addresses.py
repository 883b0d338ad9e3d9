"""A person's postal address, as the address claim carries it (OIDC Core §5.1.1)."""

from __future__ import annotations

import unicodedata

from .errors import InvalidAddress

# §5.1.1's members that a person fills in, with the longest value each may hold; the
# street may take several lines. "formatted" is made from them.
PARTS = {
    "street_address": 300,
    "locality": 100,
    "region": 100,
    "postal_code": 20,
    "country": 100,
}


def normal_address(parts: dict[str, str | None]) -> dict[str, str] | None:
    """The address claim of what the person entered: the parts given, trimmed, and
    `formatted` (the parts one per line, the street's own lines kept); None when every
    part is empty. Raises InvalidAddress naming a part too long or with control characters."""
    address = {}
    for name, longest in PARTS.items():
        lines = [line.strip() for line in (parts.get(name) or "").splitlines() if line.strip()]
        value = "\n".join(lines) if name == "street_address" else " ".join(lines)
        if len(value) > longest or any(_is_control(c) for c in value if c != "\n"):
            raise InvalidAddress(name)
        if value:
            address[name] = value
    if not address:
        return None
    locality_line = " ".join(
        address[name] for name in ("postal_code", "locality") if name in address
    )
    lines = [address.get("street_address"), locality_line, address.get("region")]
    lines.append(address.get("country"))
    address["formatted"] = "\n".join(line for line in lines if line)
    return address


def _is_control(character: str) -> bool:
    # Control and invisible formatting characters (bidi overrides, zero-width) make an
    # address read as another one on a portal's page.
    return unicodedata.category(character) in ("Cc", "Cf")
