"""Telling every process that a client changed, so its cached copy is dropped.

One place sees every change: the session's flush (inserts, updates, deletes of Client rows)
and its bulk statements (`update(Client)`, `delete(Client)`). The transaction making the
change also runs `pg_notify('passport_clients', client_id)` on PostgreSQL, so the news is
delivered when, and only if, the change commits. The changing process drops its own
entries at the flush and again after the commit, which is all SQLite (one node) needs.

Statements that bypass the session (raw SQL, another tool) are not seen; the cache's TTL
is the safety net for them.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from itertools import chain

from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState, Session

from ..models import Client

CHANNEL = "passport_clients"
CHANGED = "passport.changed_clients"  # session.info: client_ids changed in the open transaction
NOTIFY = text("SELECT pg_notify(:channel, changed) FROM unnest(CAST(:ids AS text[])) AS changed")
BACKOFF_FIRST = 0.2
BACKOFF_MAX = 10.0
POLL_SECONDS = 1.0

log = logging.getLogger(__name__)
_forget: Callable[[set[str]], None] | None = None


def install(session, forget: Callable[[set[str]], None]) -> None:
    """Watch the (scoped) session for client changes; `forget(client_ids)` drops them from
    this process's cache when flushed (so this session reads its own change from the
    database) and again after the commit (dropping what other requests read meanwhile)."""
    global _forget
    _forget = forget
    if not event.contains(session, "before_flush", _changes_in_flush):
        event.listen(session, "before_flush", _changes_in_flush)
        event.listen(session, "do_orm_execute", _changes_in_bulk_statement)
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_transaction_end", _after_transaction_end)


def has_uncommitted_changes(session) -> bool:
    return bool(session.info.get(CHANGED))


def _changes_in_flush(session: Session, flush_context, instances) -> None:
    changed: set[str] = set()
    for row in chain(session.new, session.dirty, session.deleted):
        if isinstance(row, Client) and (row not in session.dirty or session.is_modified(row)):
            changed.add(row.client_id)
            changed.update(inspect(row).attrs.client_id.history.deleted)  # a renamed client
    _announce(session, changed)


def _changes_in_bulk_statement(state: ORMExecuteState) -> None:
    """A bulk UPDATE or DELETE of clients names them by a WHERE clause, not by id: read the
    ids it matches first, locking the rows (PostgreSQL) so the statement changes no other."""
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is None or not issubclass(mapper.class_, Client):
        return
    query = select(Client.client_id).with_for_update()
    if state.statement.whereclause is not None:
        query = query.where(state.statement.whereclause)
    _announce(state.session, set(state.session.execute(query).scalars()))


def _announce(session: Session, client_ids: set[str]) -> None:
    if not client_ids:
        return
    session.info.setdefault(CHANGED, set()).update(client_ids)
    if _forget is not None:
        _forget(client_ids)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # In the changing transaction: PostgreSQL delivers it at commit, or never.
        connection.execute(NOTIFY, {"channel": CHANNEL, "ids": sorted(client_ids)})


def _after_commit(session: Session) -> None:
    changed = session.info.pop(CHANGED, None)
    if changed and _forget is not None:
        _forget(changed)


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(CHANGED, None)  # rolled back: nothing changed


class ChangeListener:
    """A daemon thread on its own connection: LISTEN passport_clients, and drop what is named.

    On every (re)connect the cache is cleared, since notifications sent while no one listened
    are lost; while disconnected the cache keeps entries for the short TTL only. Reconnects
    back off from BACKOFF_FIRST to BACKOFF_MAX seconds, with jitter.
    """

    def __init__(self, database_url: str, cache) -> None:
        # The listener needs a session-level connection: point DATABASE_LISTEN_URL past a
        # pooler in transaction mode (PgBouncer), which cannot hold a LISTEN.
        url = make_url(database_url).set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self.cache = cache
        self.backend_pid: int | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="passport-client-changes", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg  # PostgreSQL only (the `postgres` extra); SQLite has no listener

        delay = BACKOFF_FIRST
        while not self._stopping.is_set():
            try:
                self._listen()
                delay = BACKOFF_FIRST
            except psycopg.Error as error:
                log.warning("client change listener: %s; reconnecting in %.1fs", error, delay)
            self.backend_pid = None
            self.cache.listening(False)
            self._stopping.wait(delay * random.uniform(1.0, 1.5))
            delay = min(delay * 2, BACKOFF_MAX)

    def _listen(self) -> None:
        import psycopg

        with psycopg.connect(
            self.conninfo,
            autocommit=True,
            application_name="passport-client-changes",
            connect_timeout=5,
            # A silent network loss is noticed in about a minute; the TTL covers the rest.
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        ) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self.cache.listening(True)
            # Set last: whoever waits for it finds the cache already cleared for listening.
            self.backend_pid = connection.info.backend_pid
            while not self._stopping.is_set():
                for notification in connection.notifies(timeout=POLL_SECONDS):
                    self.cache.invalidate((notification.payload,))
