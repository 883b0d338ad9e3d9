"""Requests Passport makes to addresses a client chose.

A portal registers where its keys are (jwks_uri), the list of its redirect URIs
(sector_identifier_uri), its back-channel logout URI and its security-events endpoint;
Passport then reaches them from inside the operator's network. In production those
addresses must be public, or registering a client would be a way to reach the operator's
own services (the metadata service at 169.254.169.254, an admin port on 127.0.0.1, a
database on 10.0.0.5). Development and the test suite run portals on 127.0.0.1, so there it
is allowed (DELIVERY_PRIVATE_TARGETS).

The address is checked when the request is made, after resolving the name, because that is
where a name that used to be public may now point. A name re-resolved between this check
and the connection (DNS rebinding) is not covered.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from urllib.parse import urlsplit

import requests
from flask import current_app


class OutboundRefused(Exception):
    """The address may never be reached: no host, a bad port, or not a public address."""


class OutboundUnavailable(Exception):
    """The address could not be reached now (a name that does not resolve, a timeout, an
    error status, an answer too large or not JSON); it may work later."""


def check_public_address(url: str, *, allow_private: bool) -> None:
    """Raise OutboundRefused when `url` reaches a non-public address and that is not
    allowed, OutboundUnavailable when its host name does not resolve."""
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise OutboundRefused("the target has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except ValueError as error:  # a port out of range
        raise OutboundRefused(f"the target is not a valid URL: {error}") from error
    except OSError as error:
        raise OutboundUnavailable(f"cannot resolve {host}: {error}") from error
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global:
            raise OutboundRefused(f"{host} is not a public address ({address})")


def fetch_json(url: str) -> object:
    """GET `url` and return the JSON document it serves.

    Redirects are not followed (each hop would need the address check again), the answer
    is read up to CLIENT_FETCH_MAX_BYTES and each network operation waits at most
    CLIENT_FETCH_TIMEOUT seconds. Raises OutboundRefused or OutboundUnavailable.
    """
    config = current_app.config
    timeout, max_bytes = config["CLIENT_FETCH_TIMEOUT"], config["CLIENT_FETCH_MAX_BYTES"]
    check_public_address(url, allow_private=config["DELIVERY_PRIVATE_TARGETS"])
    headers = {"Accept": "application/json", "User-Agent": "Passport"}
    try:
        with requests.get(
            url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
        ) as answer:
            if answer.status_code != 200:
                raise OutboundUnavailable(f"{url} answered {answer.status_code}")
            body = b""
            for chunk in answer.iter_content(chunk_size=8192):
                body += chunk
                if len(body) > max_bytes:
                    raise OutboundUnavailable(f"{url} answered more than {max_bytes} bytes")
    except requests.RequestException as error:
        raise OutboundUnavailable(f"{url} could not be fetched: {error}") from error
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        raise OutboundUnavailable(f"{url} did not answer with JSON") from error
