"""Where a URI leads, as a person should read it."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def destination(uri: str) -> str:
    """Where a URI leads, as a person should read it: the host (with a port that is not the
    scheme's default), or the private-use scheme naming a native app (RFC 8252 §7.1).

    Hosts are shown in their ASCII (punycode) form, so a look-alike IDN cannot pass for
    another name.
    """
    parts = urlsplit(uri)
    if not parts.hostname:
        return parts.scheme
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and port != DEFAULT_PORTS.get(parts.scheme):
        return f"{host}:{port}"
    return host
