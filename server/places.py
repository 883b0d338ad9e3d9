"""Where an IP address is, roughly: the city and country a GeoIP database gives.

Optional, for the pages that show the person where their sessions and sign-ins came from.
The database is an MMDB file (MaxMind GeoLite2 or DB-IP Lite, City or Country editions),
named by GEOIP_DATABASE and opened once per process. Without one, for an address the
database does not know (loopback, private networks), or when the file cannot be read,
there is no place — never an error on the page.
"""

from __future__ import annotations

import logging
import threading

import maxminddb
from flask import current_app

log = logging.getLogger(__name__)

_readers: dict[str, maxminddb.Reader | None] = {}
_opening = threading.Lock()


def _reader(path: str) -> maxminddb.Reader | None:
    if path in _readers:
        return _readers[path]
    with _opening:
        if path not in _readers:
            try:
                _readers[path] = maxminddb.open_database(path)
            except (OSError, ValueError, maxminddb.InvalidDatabaseError) as error:
                log.warning("GEOIP_DATABASE %s cannot be read, no places shown: %s", path, error)
                _readers[path] = None
    return _readers[path]


def _name(record: object, language: str) -> str | None:
    names = record.get("names") if isinstance(record, dict) else None
    if not isinstance(names, dict):
        return None
    return names.get(language) or names.get("en")


def place_of(ip_address: str | None, language: str) -> str | None:
    """ "Москва, Россия" / "Moscow, Russia": the city (when the database has cities) and
    the country of `ip_address`, named in `language` where the database has it, else in
    English; None when there is no place to say."""
    path = current_app.config.get("GEOIP_DATABASE")
    if not path or not ip_address:
        return None
    reader = _reader(path)
    if reader is None:
        return None
    try:
        found = reader.get(ip_address)
    except ValueError:  # not an IP address, or IPv6 in an IPv4-only database
        return None
    if not isinstance(found, dict):
        return None
    parts = [_name(found.get("city"), language), _name(found.get("country"), language)]
    return ", ".join(part for part in parts if part) or None
