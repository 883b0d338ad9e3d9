"""Headers every answer carries; HSTS only where the issuer is https."""

from __future__ import annotations

import pytest

from server import create_app

from ..conftest import dispose, unit_settings


@pytest.mark.parametrize(
    ("issuer", "pinned"),
    [("https://passport.example", True), ("http://127.0.0.1:5000", False)],
)
def test_strict_transport_security_follows_the_issuer(tmp_path, issuer, pinned):
    app = create_app(unit_settings(tmp_path, ISSUER=issuer))
    try:
        for path in ("/login", "/jwks.json", "/no-such-page"):
            answer = app.test_client().get(path)
            assert answer.headers["X-Frame-Options"] == "DENY"
            hsts = answer.headers.get("Strict-Transport-Security")
            assert (hsts == "max-age=63072000; includeSubDomains") if pinned else hsts is None
    finally:
        dispose(app)
