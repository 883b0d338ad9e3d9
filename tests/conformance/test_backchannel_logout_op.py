"""Back-Channel Logout OP: the modules of
oidcc-backchannel-rp-initiated-logout-certification-test-plan (OpenID Connect Back-Channel
Logout 1.0, set off by RP-Initiated Logout 1.0), each driven as the suite drives it.

The suite's backchannel_logout endpoint is the `receiver`; the outbox worker, run here in the
server's process, makes the POST the suite would receive.
"""

from __future__ import annotations

import time

import pytest

from ..support.delivery import BACKCHANNEL, for_client, run_worker
from ..support.relying_party import RelyingParty
from .logout_flow import (
    BACKCHANNEL_LOGOUT_PATH,
    POST_LOGOUT_REDIRECT_URI,
    REDIRECT_URI,
    LogoutFlow,
    discovery,
    endpoints_under_issuer,
    post_logout_redirect,
    verify_as_the_suite_does,
)


@pytest.fixture
def flow(live_server, factories, receiver, person, person_browser) -> LogoutFlow:
    """The plan's static client: post_logout_redirect and backchannel_logout registered, and
    sid asked for in logout tokens (Back-Channel Logout 1.0 §2.2), as the suite registers it."""
    client = factories.client(
        redirect_uri=REDIRECT_URI,
        post_logout_redirect_uris=[POST_LOGOUT_REDIRECT_URI],
        backchannel_logout_uri=receiver.url + BACKCHANNEL_LOGOUT_PATH,
        backchannel_logout_session_required=True,
    )
    return LogoutFlow(RelyingParty(live_server.url, client, scope="openid"), person_browser, person)


def test_oidcc_backchannel_logout_discovery_endpoint_verification(live_server):
    server = discovery(live_server.url)
    # CheckDiscEndpointBackchannelLogoutSupported and …SessionSupported (§2.1): booleans, and
    # true; absent would mean false. Certification asks for sid in logout tokens.
    assert server.get("backchannel_logout_supported") is True
    assert server.get("backchannel_logout_session_supported") is True
    # CheckDiscEndSessionEndpoint, and CheckDiscEndpointAllEndpointsAreHttps.
    assert "end_session_endpoint" in endpoints_under_issuer(server)


def test_oidcc_backchannel_rp_initiated_logout(live_server, flow, receiver):
    flow.sign_in()
    request, page = flow.end_session_with()
    client_id = flow.portal.client.client_id

    # The back channel: one POST to the registered URI, a form with the logout token alone
    # (§2.5; ExtractLogoutTokenFromBackchannelLogoutRequest,
    # CheckForUnexpectedParametersInBackchannelLogoutRequest).
    run_worker(live_server, lambda: receiver.wait_for(1, 0, for_client(client_id)), passes=5)
    [delivery] = receiver.wait_for(1, 0, for_client(client_id))
    assert delivery.path == BACKCHANNEL_LOGOUT_PATH
    assert delivery.content_type == "application/x-www-form-urlencoded"
    assert set(delivery.form) == {"logout_token"}

    # ValidateLogoutTokenSignature, and the explicit type §2.4 recommends.
    header, claims = verify_as_the_suite_does(delivery.form["logout_token"], flow.jwks())
    assert header["typ"] == "logout+jwt"
    # ValidateLogoutTokenClaims (§2.4): iss, aud, iat within the suite's bounds, jti, and
    # events holding the back-channel logout event alone, as an empty object.
    assert claims["iss"] == flow.issuer
    assert client_id in ([claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"])
    now = time.time()
    assert now - 24 * 3600 < claims["iat"] <= now + 5 * 60
    assert claims["jti"]
    assert claims["events"] == {BACKCHANNEL: {}}
    # CheckIdTokenSubMatchesLogoutToken, CheckIdTokenSidMatchesLogoutToken,
    # CheckLogoutTokenHasSubOrSid, CheckLogoutTokenNoNonce.
    assert claims["sub"] == flow.id_token_claims["sub"]
    assert claims["sid"] and claims["sid"] == flow.id_token_claims["sid"]
    assert "nonce" not in claims

    # The front channel: back to the portal with its state (CheckPostLogoutState,
    # CheckForUnexpectedParametersInPostLogoutRedirect)…
    assert post_logout_redirect(page) == {"state": request["state"]}
    # …and the person is signed out.
    flow.authorize_with_prompt_none()
