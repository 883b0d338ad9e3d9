"""RP-Initiated Logout OP: the modules of oidcc-rp-initiated-logout-certification-test-plan
(OpenID Connect RP-Initiated Logout 1.0), each driven as the suite drives it.

Where a module leaves the OP a choice — "must either show an error screen or confirm with the
user if they want to logout", judged from a screenshot — the test asserts the one Passport
makes: an id_token_hint it did not sign is an error, and nothing is done on it (§4); a request
whose post_logout_redirect_uri it cannot follow asks first and, once confirmed, signs out
without sending the person back (§3, §6). Either way the suite's post_logout_redirect is
never called.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from ..support.devices import signed_in
from ..support.relying_party import RelyingParty
from .logout_flow import (
    POST_LOGOUT_REDIRECT_URI,
    REDIRECT_URI,
    SUITE,
    LogoutFlow,
    asks_to_confirm,
    b64url,
    discovery,
    endpoints_under_issuer,
    post_logout_redirect,
    redirected_away,
    shows_signed_out,
)


@pytest.fixture
def flow(live_server, factories, person, person_browser) -> LogoutFlow:
    """The plan's static client, its post_logout_redirect registered, and the person."""
    client = factories.client(
        redirect_uri=REDIRECT_URI, post_logout_redirect_uris=[POST_LOGOUT_REDIRECT_URI]
    )
    return LogoutFlow(RelyingParty(live_server.url, client, scope="openid"), person_browser, person)


def asked_then_signed_out(flow: LogoutFlow, page) -> None:
    """Passport asks before it signs out; confirmed, it signs out and shows so, and neither
    page sends the browser back to the portal."""
    assert redirected_away(page) is None, page.response.headers
    assert asks_to_confirm(page)
    assert signed_in(flow.browser)
    done = flow.confirm(page)
    assert redirected_away(done) is None, done.response.headers
    assert shows_signed_out(done)
    assert not signed_in(flow.browser)


def refused_as_invalid(flow: LogoutFlow, page) -> None:
    """An error page that names the hint; nothing is done on it (§4), so the person stays."""
    assert redirected_away(page) is None, page.response.headers
    assert page.status == 400
    assert "invalid_request" in page.text and "'id_token_hint' is not valid." in page.text
    assert signed_in(flow.browser)


def test_oidcc_rp_initiated_logout_discovery_endpoint_verification(live_server):
    server = discovery(live_server.url)
    # CheckDiscEndSessionEndpoint (§2.1), and CheckDiscEndpointAllEndpointsAreHttps.
    assert "end_session_endpoint" in endpoints_under_issuer(server)


def test_oidcc_rp_initiated_logout(flow):
    flow.sign_in()
    request, page = flow.end_session_with()
    # §3: back to the registered URI with the state as sent, and nothing else
    # (CheckPostLogoutState, CheckForUnexpectedParametersInPostLogoutRedirect).
    assert post_logout_redirect(page) == {"state": request["state"]}
    flow.authorize_with_prompt_none()


def test_oidcc_rp_initiated_logout_bad_post_logout_redirect_uri(flow):
    flow.sign_in()
    bad = SUITE + "/bad_post_logout_redirect_uri"
    asked_then_signed_out(flow, flow.end_session_with(post_logout_redirect_uri=bad)[1])


def test_oidcc_rp_initiated_logout_modified_id_token_hint(flow):
    flow.sign_in()
    # ChangeIdTokenToAlgNone: the real claims under {"alg": "none"}, and no signature.
    alg_none = b64url(b'{"alg": "none"}') + "." + flow.id_token.split(".")[1] + "."
    refused_as_invalid(flow, flow.end_session_with(id_token_hint=alg_none)[1])


def test_oidcc_rp_initiated_logout_no_id_token_hint(flow):
    flow.sign_in()
    # §3: without the hint nothing vouches for the post_logout_redirect_uri; §6: ask first.
    asked_then_signed_out(flow, flow.end_session_with(id_token_hint=None)[1])


def test_oidcc_rp_initiated_logout_no_params(flow):
    flow.sign_in()
    asked_then_signed_out(flow, flow.end_session({}))
    flow.authorize_with_prompt_none()


def test_oidcc_rp_initiated_logout_no_post_logout_redirect_uri(flow):
    flow.sign_in()
    page = flow.end_session_with(post_logout_redirect_uri=None)[1]
    # The hint names this very session: no question; the person is signed out and, with no
    # address to go back to, stays on Passport.
    assert redirected_away(page) is None, page.response.headers
    assert shows_signed_out(page)
    assert not signed_in(flow.browser)
    flow.authorize_with_prompt_none()


def test_oidcc_rp_initiated_logout_no_state(flow):
    flow.sign_in()
    page = flow.end_session_with(state=None)[1]
    # CheckNoPostLogoutState, CheckForUnexpectedParametersInPostLogoutRedirect: no query at all.
    assert redirected_away(page) == POST_LOGOUT_REDIRECT_URI
    assert post_logout_redirect(page) == {}
    flow.authorize_with_prompt_none()


def test_oidcc_rp_initiated_logout_only_state(flow):
    flow.sign_in()
    page = flow.end_session_with(id_token_hint=None, post_logout_redirect_uri=None)[1]
    asked_then_signed_out(flow, page)
    flow.authorize_with_prompt_none()


def test_oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri(flow):
    flow.sign_in()
    # §3: only an exact match of a registered URI is followed.
    added = POST_LOGOUT_REDIRECT_URI + "?foo=bar"
    asked_then_signed_out(flow, flow.end_session_with(post_logout_redirect_uri=added)[1])


def test_oidcc_rp_initiated_logout_bad_id_token_hint(flow):
    flow.sign_in()
    # GenerateFakeIdTokenClaims + SignFakeIdToken: an ID token "issued" by the client, iss and
    # aud the wrong way round, signed HS256 with the client secret (GenerateJWKsFromClientSecret).
    issued = int(time.time())
    claims = {
        "iss": flow.portal.client.client_id,
        "sub": "SubjectID",
        "aud": flow.issuer,
        "nonce": "flibble",
        "iat": issued,
        "exp": issued + 300,
    }
    signing_input = b64url(b'{"alg":"HS256"}') + "." + b64url(json.dumps(claims).encode())
    secret = flow.portal.client.client_secret.encode()
    assert len(secret) >= 32  # what the suite needs to sign HS256 with it
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    fake = signing_input + "." + b64url(signature)
    refused_as_invalid(flow, flow.end_session_with(id_token_hint=fake)[1])
