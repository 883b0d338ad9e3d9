"""A Passport app on an SQLite file, with the schema from the migrations; no network."""

from __future__ import annotations

import pytest

from ...conftest import build_app
from ..conftest import dispose, unit_settings, within


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
