"""Clients as the protocol reads them, cached in each process.

Every token, introspection, revocation and authorization request names its client; reading
the row each time would cost a round trip on the hot paths. The cache holds a read-only
ClientSnapshot per client_id (hashed secrets, metadata, disabled state), never an ORM
instance: a snapshot is shared by every thread of the process, and an instance would be
expired by one thread's commit and lazy-loaded through another thread's session.

A change to a client is seen on every node within a second (client_changes.py):
- PostgreSQL: the transaction that changes a client also NOTIFYs its client_id, delivered
  at commit to a listener thread in every process; entries live CLIENT_CACHE_TTL seconds
  (a safety net) while the listener is connected, and CLIENT_CACHE_TTL_LOCAL while it is not.
- SQLite (one node, development): the committing process drops its entries at once; other
  processes (the CLI beside `passport run`) are caught by the CLIENT_CACHE_TTL_LOCAL expiry.

Only the protocol's read paths use the cache. The developer console and RFC 7592, which
change clients, keep reading the row (clients.find_client).
"""

from __future__ import annotations

import os
import threading
import weakref
from time import monotonic

from flask import Flask, current_app, has_app_context
from sqlalchemy import select

from ..extensions import db
from ..models import Client, ClientSnapshot
from ..models.clients import SNAPSHOT_FIELDS
from . import client_changes

EXTENSION = "passport.client_cache"
SNAPSHOT_COLUMNS = [getattr(Client, name) for name in SNAPSHOT_FIELDS]

_caches: weakref.WeakSet[ClientCache] = weakref.WeakSet()
_fork_hook_installed = False


class ClientCache:
    """client_id -> (snapshot, expiry on the monotonic clock).

    Reads take no lock: a dict lookup and a clock comparison. Writers (a miss storing what
    it loaded, an invalidation) take the lock, and a generation number keeps a load that
    raced an invalidation from storing what it read before the change.
    """

    def __init__(self, *, ttl: float, local_ttl: float, listen_url: str | None = None):
        self.long_ttl = ttl
        self.local_ttl = local_ttl
        self.listen_url = listen_url
        self.listener: client_changes.ChangeListener | None = None
        self._entries: dict[str, tuple[ClientSnapshot, float]] = {}
        # Every enabled client's web origins (CORS preflights), as one entry.
        self._origins: tuple[frozenset[str], float] | None = None
        self._lock = threading.Lock()
        self._generation = 0
        # Until a listener hears every change, entries may only live the short TTL.
        self._ttl = local_ttl

    def get(self, client_id: str) -> ClientSnapshot | None:
        entry = self._entries.get(client_id)
        if entry is not None and entry[1] > monotonic():
            return entry[0]
        return self._load(client_id)

    def _load(self, client_id: str) -> ClientSnapshot | None:
        if self.listen_url and self.listener is None:
            self._start_listener()
        generation, read_at = self._generation, monotonic()
        row = db.session.execute(
            select(*SNAPSHOT_COLUMNS).where(Client.client_id == client_id)
        ).one_or_none()
        if row is None:
            return None  # unknown ids are not remembered: a client registered next is seen at once
        snapshot = ClientSnapshot(**row._mapping)
        if self._ttl <= 0 or client_changes.has_uncommitted_changes(db.session):
            # This session's own uncommitted change to a client must not reach other requests.
            return snapshot
        with self._lock:
            if generation == self._generation:
                # As old as the moment before the read, however long the read took.
                self._entries[client_id] = (snapshot, read_at + self._ttl)
        return snapshot

    def web_origins(self) -> frozenset[str]:
        """The origins any enabled client lets read its answers: what a CORS preflight,
        which names no client, is answered for. Kept like an entry, dropped with any change."""
        entry = self._origins
        if entry is not None and entry[1] > monotonic():
            return entry[0]
        if self.listen_url and self.listener is None:
            self._start_listener()
        generation, read_at = self._generation, monotonic()
        rows = db.session.execute(
            select(*SNAPSHOT_COLUMNS).where(Client.disabled_at.is_(None))
        ).all()
        origins = frozenset().union(*(ClientSnapshot(**row._mapping).web_origins for row in rows))
        if self._ttl > 0 and not client_changes.has_uncommitted_changes(db.session):
            with self._lock:
                if generation == self._generation:
                    self._origins = (origins, read_at + self._ttl)
        return origins

    def invalidate(self, client_ids) -> None:
        with self._lock:
            self._generation += 1
            self._origins = None
            for client_id in client_ids:
                self._entries.pop(client_id, None)

    def listening(self, connected: bool) -> None:
        """The listener (re)connected or lost its connection. Either way changes may have
        gone unheard, so everything is forgotten; entries live long only while it listens."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._origins = None
            self._ttl = self.long_ttl if connected else self.local_ttl

    def _start_listener(self) -> None:
        with self._lock:
            if self.listener is not None:
                return
            self.listener = client_changes.ChangeListener(self.listen_url, self)
        self.listener.start()

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()

    def _after_fork(self) -> None:
        # The listener thread does not survive a fork (gunicorn workers); the child starts
        # its own on first use, with nothing remembered from the parent.
        self._lock = threading.Lock()
        self._entries = {}
        self._origins = None
        self._generation += 1
        self._ttl = self.local_ttl
        self.listener = None


def init_app(app: Flask) -> None:
    """Give the app its cache; the listener starts on the first lookup, not here."""
    global _fork_hook_installed
    config = app.config
    listen_url = None
    if config["DATABASE_URL"].startswith("postgresql"):
        listen_url = config.get("DATABASE_LISTEN_URL") or config["DATABASE_URL"]
    cache = ClientCache(
        ttl=float(config["CLIENT_CACHE_TTL"]),
        local_ttl=float(config["CLIENT_CACHE_TTL_LOCAL"]),
        listen_url=listen_url,
    )
    app.extensions[EXTENSION] = cache
    _caches.add(cache)
    client_changes.install(db.session, forget=_forget)
    if not _fork_hook_installed:
        os.register_at_fork(after_in_child=lambda: [c._after_fork() for c in list(_caches)])
        _fork_hook_installed = True


def stop(app: Flask) -> None:
    """Stop the app's listener, if it started one (tests, before their database goes)."""
    app.extensions[EXTENSION].stop()


def find(client_id) -> ClientSnapshot | None:
    """The client as the protocol reads it, disabled or not; None if there is no such client."""
    if not client_id or not isinstance(client_id, str) or len(client_id) > 64:
        return None
    if not (client_id.isascii() and client_id.isprintable()):
        return (
            None  # RFC 6749 A.1: %x20-7E; a NUL would reach the database driver, which refuses it
        )
    return current_app.extensions[EXTENSION].get(client_id)


def web_origins() -> frozenset[str]:
    """The origins of every enabled client's pages (ClientRules.web_origins)."""
    return current_app.extensions[EXTENSION].web_origins()


def _forget(client_ids: set[str]) -> None:
    """This process changed these clients: it sees the change at once, without waiting
    for its own notification (or, on SQLite, for the TTL)."""
    found = current_app.extensions.get(EXTENSION) if has_app_context() else None
    if found is not None:
        found.invalidate(client_ids)
