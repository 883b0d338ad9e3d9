"""The token hot paths under pressure: concurrent rotation, and a database that drops its
connections under a running server."""

from __future__ import annotations

import re
import threading

import psycopg
import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from server.extensions import db
from server.models import Consent, Grant

from ..support.browser import Browser
from ..support.relying_party import RelyingParty


@pytest.fixture
def portal(factories, live_server):
    return RelyingParty(live_server.url, factories.client(first_party=True))


def signed_in(live_server, portal, person) -> dict:
    with Browser(live_server.url) as browser:
        return portal.sign_in(browser, person.email, person.password, scope="openid email")


def at_once(count: int, request) -> list:
    """`count` threads send `request()` together, released by one barrier; their answers."""
    start = threading.Barrier(count)
    answers: list = []

    def send():
        start.wait()
        answers.append(request())

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == count
    return answers


def test_one_refresh_token_used_at_once_wins_once(live_server, portal, person):
    """RFC 9700 §4.14.2: of concurrent uses of one refresh token exactly one gets a successor;
    presenting it again afterwards revokes the whole family, the successor included."""
    tokens = signed_in(live_server, portal, person)
    answers = at_once(6, lambda: portal.refresh(tokens["refresh_token"]))
    winners = [a for a in answers if a.status_code == 200]
    assert len(winners) == 1
    assert {a.json()["error"] for a in answers if a.status_code != 200} == {"invalid_grant"}
    successor = winners[0].json()["refresh_token"]

    assert portal.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert portal.refresh(successor).json()["error"] == "invalid_grant"
    assert portal.userinfo(winners[0].json()["access_token"]).status_code == 401


def test_one_code_redeemed_at_once_starts_one_grant(live_server, factories, person, backend):
    """RFC 6749 §4.1.2: of concurrent redemptions of one code exactly one gets tokens and
    starts a grant (a loser that comes after the winner is a second presentation, and
    revokes it); the third-party portal's consent is marked used; presenting the code
    again revokes the grant."""
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url) as browser:
        params = portal.authorize(browser, login=person.email, password=person.password)
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": portal.client.redirect_uri,
        "code_verifier": portal.code_verifier,
    }
    answers = at_once(6, lambda: portal.post("token_endpoint", form))
    winners = [a for a in answers if a.status_code == 200]
    assert len(winners) == 1, [a.text for a in answers]
    assert {a.json()["error"] for a in answers if a.status_code != 200} == {"invalid_grant"}
    tokens = winners[0].json()
    with live_server.app_context():
        grants = db.session.scalars(select(Grant).where(Grant.account_id == person.id)).all()
        consent = db.session.scalars(select(Consent).where(Consent.account_id == person.id)).one()
    assert len(grants) == 1 and consent.last_used_at is not None

    assert portal.post("token_endpoint", form).json()["error"] == "invalid_grant"
    assert portal.userinfo(tokens["access_token"]).status_code == 401


def test_a_rotation_keeps_the_grant(live_server, portal, person):
    tokens = signed_in(live_server, portal, person)
    first = portal.refresh(tokens["refresh_token"]).json()
    second = portal.refresh(first["refresh_token"]).json()
    claims = portal.verify_id_token(second["id_token"])
    assert claims["sub"] == person.sub
    assert portal.userinfo(second["access_token"]).json()["email"] == person.email
    introspected = portal.introspect(second["refresh_token"])
    assert introspected["active"] is True and introspected["sub"] == person.sub
    assert portal.introspect(first["refresh_token"])["active"] is False
    # RFC 7662 §2.1: a wrong token_type_hint does not hide a token.
    assert portal.introspect(second["refresh_token"], hint="access_token")["active"] is True
    assert portal.introspect(second["access_token"], hint="refresh_token")["active"] is True
    assert portal.introspect("not.a.token")["active"] is False


def drop_connections(database_url: str) -> int:
    """End every server process of the test database, as a restart of PostgreSQL would."""
    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        ended = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.database,),
        ).fetchall()
    return len(ended)


def test_dropped_connections_cost_no_request(live_server, server_settings, portal, person, backend):
    """No pre-ping: a request that meets a dead pooled connection runs once more."""
    if backend != "postgresql":
        pytest.skip("SQLite has no connections to drop")
    tokens = signed_in(live_server, portal, person)
    assert portal.userinfo(tokens["access_token"]).status_code == 200  # the pools hold connections

    assert drop_connections(server_settings["DATABASE_URL"]) > 0
    assert portal.userinfo(tokens["access_token"]).status_code == 200

    drop_connections(server_settings["DATABASE_URL"])
    refreshed = portal.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text

    drop_connections(server_settings["DATABASE_URL"])
    assert portal.introspect(refreshed.json()["access_token"])["active"] is True


# The client cache's own query: one client by client_id, nothing joined.
CACHE_FILL = re.compile(r"FROM clients WHERE clients\.client_id = ")


class RoundTrips:
    """The statements the server sends while a block runs: every statement on both engines,
    and BEGIN, COMMIT and ROLLBACK of transactions (autocommit connections send none)."""

    def __init__(self, live_server):
        with live_server.app_context():
            self.engines = [db.engine, live_server.app.extensions["passport.autocommit_engine"]]
        self.sent: list[str] = []
        self.statements: list[str] = []
        self.cache_fills = 0

    def statement(self, conn, cursor, statement, *args):
        flat = " ".join(statement.split())
        if CACHE_FILL.search(flat):
            # The process's client cache filling again (another test's change to a client
            # can arrive as a notification at any moment): not the cost of the path measured.
            self.cache_fills += 1
            return
        self.sent.append(flat.split()[0].upper())
        self.statements.append(flat[:100])

    @property
    def path(self) -> list[str]:
        """What the path sent, without the transactions around the cache's fills."""
        sent = list(self.sent)
        for _ in range(self.cache_fills):
            for name in ("BEGIN", "ROLLBACK"):
                if name in sent:
                    sent.remove(name)
        return sent

    def transaction(self, name):
        def record(conn, *args):
            if conn.get_isolation_level() != "AUTOCOMMIT":
                self.sent.append(name)

        return record

    def __enter__(self):
        self.hooks = [(e, "before_cursor_execute", self.statement) for e in self.engines]
        self.hooks += [
            (self.engines[0], n, self.transaction(n.upper()))
            for n in ("begin", "commit", "rollback")
        ]
        for target, name, hook in self.hooks:
            event.listen(target, name, hook)
        return self

    def __exit__(self, *exc):
        for target, name, hook in self.hooks:
            event.remove(target, name, hook)


def test_the_hot_paths_keep_their_round_trip_budget(live_server, portal, person, backend):
    """Invariant of the hot paths (DESIGN.md): userinfo and introspection one statement,
    client_credentials none, a refresh three at most, a signed-in code flow fifteen."""
    tokens = signed_in(live_server, portal, person)
    assert portal.userinfo(tokens["access_token"]).status_code == 200  # warm: pools, cache
    with RoundTrips(live_server) as trips:
        assert portal.userinfo(tokens["access_token"]).status_code == 200
    assert trips.path == ["SELECT"]
    with RoundTrips(live_server) as trips:
        assert portal.introspect(tokens["access_token"])["active"] is True
    assert trips.path == ["SELECT"]
    with RoundTrips(live_server) as trips:
        assert portal.refresh(tokens["refresh_token"]).status_code == 200
    if backend == "postgresql":
        assert trips.path == ["SELECT", "WITH"]  # the rotation is one statement
    else:
        assert trips.path.count("SELECT") == 1 and len(trips.path) <= 5
    with Browser(live_server.url) as browser:
        with RoundTrips(live_server) as trips:
            params = portal.authorize(browser, login=person.email, password=person.password)
            with RoundTrips(live_server) as exchange:
                portal.exchange(params)
        # The sign-in's argon2 is by design; its round trips are budgeted with the flow.
        # PostgreSQL redeems in one statement; SQLite in a transaction of four.
        assert len(trips.path) <= (15 if backend == "postgresql" else 17), trips.statements
        if backend == "postgresql":
            assert exchange.path == ["SELECT", "WITH"]  # redeem and start the grant in one
        with RoundTrips(live_server) as trips:
            portal.sign_in(browser, person.email, person.password)  # signed in already
    assert len(trips.path) <= 10, trips.path
