"""Authorization codes as the token endpoint finds them: the portal's own, unused, and
within their lifetime (RFC 6749 §4.1.2), to the instant."""

from __future__ import annotations

import pytest

from server import clock
from server.security import random_token
from server.services import tokens

from ..conftest import within
from ..domain.conftest import person, portal, signed_in


@pytest.fixture
def app(backend_app):
    with within(backend_app) as app:
        yield app


def issue(client, session) -> str:
    code = random_token(32)
    tokens.save_authorization_code(
        code,
        client=client,
        session=session,
        redirect_uri=client.redirect_uris[0],
        scope="openid",
        nonce=None,
        code_challenge=None,
        code_challenge_method=None,
        offline=False,
    )
    return code


def test_a_code_works_until_the_instant_it_expires_and_not_at_it(app):
    clock.freeze()
    shop = portal()
    code = issue(shop, signed_in(person()))
    clock.travel(app.config["AUTHORIZATION_CODE_LIFETIME"] - 1)
    assert tokens.find_authorization_code(code, shop) is not None
    clock.travel(1)
    assert tokens.find_authorization_code(code, shop) is None


def test_a_code_is_found_only_by_the_portal_it_was_issued_to(app):
    shop, other = portal(), portal()
    code = issue(shop, signed_in(person()))
    assert tokens.find_authorization_code(code, other) is None
    assert tokens.find_authorization_code(code, shop) is not None
    assert tokens.find_authorization_code("not-" + code, shop) is None
