"""A Passport app on an SQLite file, with the schema from the migrations; no network."""

from __future__ import annotations

import pytest

from server.extensions import db

from ...conftest import build_app
from ..conftest import dispose, unit_settings


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    app = build_app(unit_settings(tmp_path_factory.mktemp("passport-unit")))
    yield app
    dispose(app)


@pytest.fixture
def app(shared_app):
    """The module's app inside an app context; configuration changes end with the test."""
    saved = dict(shared_app.config)
    with shared_app.app_context():
        yield shared_app
        db.session.remove()
    shared_app.config.clear()
    shared_app.config.update(saved)


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
