"""Where the worker may send what portals asked for.

A portal chooses its back-channel logout URI and its security-events endpoint; the worker
then POSTs there from inside the operator's network. In production those addresses must
be public, or registering a client would be a way to reach the operator's own services
(the metadata service at 169.254.169.254, an admin port on 127.0.0.1, a database on
10.0.0.5). Development and the test suite run portals on 127.0.0.1, so there it is allowed
(DELIVERY_PRIVATE_TARGETS).

The address is checked when the message is sent, after resolving the name, because that
is where a name that used to be public may now point. A name re-resolved between this
check and the connection (DNS rebinding) is not covered.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from .errors import PermanentFailure, TemporaryFailure


def check_target(url: str, *, allow_private: bool) -> None:
    """Raise PermanentFailure when `url` reaches a non-public address and that is not allowed."""
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise PermanentFailure("the target has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except ValueError as error:  # a port out of range
        raise PermanentFailure(f"the target is not a valid URL: {error}") from error
    except OSError as error:
        raise TemporaryFailure(f"cannot resolve {host}: {error}") from error
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global:
            raise PermanentFailure(f"{host} is not a public address ({address})")
