"""A domain error nobody caught becomes HTTP in one place: its message, its status."""

from __future__ import annotations

import pytest

from server.domain.errors import LastLoginMethod, TooManyAttempts

from ...conftest import build_app
from ..conftest import dispose, unit_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = build_app(unit_settings(tmp_path_factory.mktemp("passport-errors")))
    errors = {"wait": TooManyAttempts(retry_after=7), "last": LastLoginMethod()}

    @app.route("/refused/<name>")
    def refused(name):
        raise errors[name]

    @app.route("/token/refused/<name>")
    def refused_json(name):
        raise errors[name]

    yield app.test_client()
    dispose(app)


def test_too_many_attempts_is_429_with_retry_after(client):
    response = client.get("/refused/wait")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert "Please wait 7 seconds before asking again." in response.text


def test_a_refusal_is_400_with_its_message(client):
    response = client.get("/refused/last")
    assert response.status_code == 400 and "Retry-After" not in response.headers
    assert "This is your only way to sign in. Create a password first." in response.text


def test_protocol_paths_answer_json(client):
    response = client.get("/token/refused/wait")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json == {
        "error": "invalid_request",
        "error_description": "Please wait 7 seconds before asking again.",
    }
