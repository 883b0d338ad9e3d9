"""What Passport fetches from addresses a client chose (server/outbound.py): JSON, small,
quick, from the address it names and nowhere else."""

from __future__ import annotations

import pytest
from flask import Flask

from server.outbound import OutboundRefused, OutboundUnavailable, fetch_json

from ..support.documents import Documents


@pytest.fixture
def site():
    with Documents() as documents:
        yield documents


def settings(**overrides) -> Flask:
    app = Flask(__name__)
    app.config.update(
        CLIENT_FETCH_TIMEOUT=2, CLIENT_FETCH_MAX_BYTES=1000, DELIVERY_PRIVATE_TARGETS=True
    )
    app.config.update(overrides)
    return app


def test_a_json_document_is_fetched(site):
    url = site.publish("/redirect_uris.json", ["https://shop.example/cb"])
    with settings().app_context():
        assert fetch_json(url) == ["https://shop.example/cb"]


@pytest.mark.parametrize(
    ("published", "reason"),
    [
        ({"body": "x" * 2000}, "more than 1000 bytes"),
        (
            {"body": "<html>not json</html>", "content_type": "text/html"},
            "did not answer with JSON",
        ),
        ({"document": [], "status": 500}, "answered 500"),
        ({"document": [], "status": 302, "headers": {"Location": "http://10.0.0.5/"}}, "302"),
    ],
)
def test_what_is_not_a_small_json_answer_is_unavailable(site, published, reason):
    url = site.publish("/doc", **published)
    with settings().app_context(), pytest.raises(OutboundUnavailable, match=reason):
        fetch_json(url)


def test_nothing_listening_is_unavailable():
    with settings().app_context(), pytest.raises(OutboundUnavailable):
        fetch_json("http://127.0.0.1:9/jwks")


def test_production_refuses_non_public_addresses_before_connecting(site):
    url = site.publish("/jwks", {"keys": []})
    production = settings(DELIVERY_PRIVATE_TARGETS=False)
    with production.app_context(), pytest.raises(OutboundRefused, match="not a public address"):
        fetch_json(url)
    assert site.fetched["/jwks"] == 0
