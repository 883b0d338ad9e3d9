"""Unit tests' apps: the schema from the migrations, no network; shared by the tests of
server/domain (each rule alone) and of server/services (each use case)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest

from server.extensions import db

from ..conftest import (
    TEST_SETTINGS,
    build_app,
    create_postgres_database,
    drop_postgres_database,
)


def unit_settings(root, **overrides) -> dict:
    settings = dict(
        TEST_SETTINGS,
        INSTANCE_DIR=str(root / "instance"),
        KEYS_DIR=str(root / "keys"),
        DATABASE_URL=f"sqlite:///{root / 'passport.db'}",
    )
    settings.update(overrides)
    return settings


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        autocommit = app.extensions.get("passport.autocommit_engine")
        if autocommit is not None:
            autocommit.dispose()


@contextmanager
def within(app):
    """The app inside an app context; configuration changes end with the block."""
    saved = dict(app.config)
    with app.app_context():
        yield app
        db.session.remove()
    app.config.clear()
    app.config.update(saved)


def at_once(app, *calls) -> list:
    """Run each call in a thread of its own, in its own app context, released together."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        with app.app_context():
            barrier.wait()
            results[index] = call()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend_app(request, tmp_path_factory):
    """The module's app on an SQLite file, then on a fresh PostgreSQL database."""
    root = tmp_path_factory.mktemp(f"passport-unit-{request.param}")
    overrides = {}
    if request.param == "postgresql":
        overrides["DATABASE_URL"] = create_postgres_database()
    app = build_app(unit_settings(root, **overrides))
    yield app
    dispose(app)
    if request.param == "postgresql":
        drop_postgres_database(overrides["DATABASE_URL"])


@pytest.fixture
def backend(backend_app) -> str:
    return backend_app.config["DATABASE_URL"].split(":", 1)[0].split("+", 1)[0]


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    app = build_app(unit_settings(tmp_path_factory.mktemp("passport-unit")))
    yield app
    dispose(app)


@pytest.fixture
def app(shared_app):
    """The module's app inside an app context; configuration changes end with the test."""
    with within(shared_app) as app:
        yield app


@pytest.fixture
def app_factory(tmp_path):
    """Apps sharing one fresh database file, as restarts of one server with new settings."""
    apps = []

    def make(**overrides):
        app = build_app(unit_settings(tmp_path, **overrides))
        apps.append(app)
        return app

    yield make
    for app in apps:
        dispose(app)
