"""Where a sign-in page's form may lead on to: only a redirect_uri the portal registered, read
from an authorization request on this server (RFC 6749 §3.1.2.3)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from server import clock
from server.domain.returns import redirect_uri_of
from server.extensions import db

from .conftest import portal

AUTHORIZE = "/authorize"


@pytest.fixture
def portals(app):
    """A portal with one redirect_uri, one with two, and a disabled one."""
    one = portal(redirect_uris=["https://one.example/cb"])
    two = portal(redirect_uris=["https://two.example/a", "https://two.example/b"])
    disabled = portal(redirect_uris=["https://off.example/cb"])
    disabled.disabled_at = clock.now()
    db.session.commit()
    return {"one": one.client_id, "two": two.client_id, "disabled": disabled.client_id}


def request_to(path=AUTHORIZE, **query) -> str:
    return f"{path}?{urlencode(query, doseq=True)}"


def test_a_registered_redirect_uri_is_where_the_request_answers(app, portals):
    target = request_to(client_id=portals["two"], redirect_uri="https://two.example/b")
    assert redirect_uri_of(target, authorize_path=AUTHORIZE) == "https://two.example/b"


def test_without_a_redirect_uri_the_only_registered_one_answers(app, portals):
    assert redirect_uri_of(request_to(client_id=portals["one"]), authorize_path=AUTHORIZE) == (
        "https://one.example/cb"
    )
    # Two registered and none named: the request names none RFC 6749 would answer.
    assert redirect_uri_of(request_to(client_id=portals["two"]), authorize_path=AUTHORIZE) is None


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "/account",
        "/authorize/more?client_id={one}",
        "https://evil.example/authorize?client_id={one}",
        "//evil.example/authorize?client_id={one}",
        "/authorize?client_id={one}&redirect_uri=https://evil.example/cb",
        "/authorize?client_id={one}&redirect_uri=https://one.example/cb/more",
        "/authorize?client_id={one}&redirect_uri=https://one.example/cb"
        "&redirect_uri=https://one.example/cb",
        "/authorize?client_id={one}&client_id={two}&redirect_uri=https://one.example/cb",
        "/authorize?redirect_uri=https://one.example/cb",
        "/authorize?client_id=no-such-portal&redirect_uri=https://one.example/cb",
        "/authorize?client_id={disabled}&redirect_uri=https://off.example/cb",
        "/authorize?client_id={one}&redirect_uri=https://one.example/cb&x=" + "y" * 8000,
    ],
    ids=[
        "none",
        "empty",
        "another page",
        "another path",
        "another host",
        "scheme-relative",
        "unregistered uri",
        "a longer uri",
        "two uris",
        "two clients",
        "no client",
        "unknown client",
        "disabled client",
        "too long",
    ],
)
def test_anything_else_leads_nowhere(app, portals, target):
    target = target.format(**portals) if target else target
    assert redirect_uri_of(target, authorize_path=AUTHORIZE) is None
