"""Basic OP and Form Post OP: the request object modules (AbstractOIDCCRequestObjectServerTest,
AbstractOIDCCRequestUriServerTest), with the plan's response mode.

The modules send an unsigned object (alg none) holding the whole authorization request,
and repeat response_type, client_id, scope and redirect_uri in the query
(AbstractBuildRequestObjectRedirectToAuthorizationEndpoint). Passport reads unsigned
objects from clients that registered request_object_signing_alg none, or no algorithm at
all (OIDC Registration §2: then any algorithm discovery lists may be used), as the
request_uri module's own registration does.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import pytest

from ..support.documents import Documents
from ..support.request_objects import unsigned
from .suite import basic_plans, registered

# REQUIRED_DUPLICATES: what the query repeats of the object.
DUPLICATES = ("response_type", "client_id", "scope", "redirect_uri")


@pytest.fixture
def site():
    """The suite's own server, where a request_uri points."""
    with Documents() as documents:
        yield documents


def by_value(suite, request: dict) -> str:
    """BuildRequestObjectByValueRedirectToAuthorizationEndpoint."""
    query = {name: request[name] for name in DUPLICATES if name in request}
    query["request"] = unsigned(request)
    return suite.metadata["authorization_endpoint"] + "?" + urlencode(query)


def by_reference(suite, request: dict, request_uri: str) -> str:
    """BuildRequestObjectByReferenceRedirectToAuthorizationEndpoint."""
    query = {name: request[name] for name in DUPLICATES if name in request}
    query["request_uri"] = request_uri
    return suite.metadata["authorization_endpoint"] + "?" + urlencode(query)


def finish(suite, browser, callback, person) -> None:
    """onAuthorizationCallbackResponse on: the state that was only in the object comes
    back, and the flow completes."""
    code = suite.check_success(callback)
    tokens = suite.check_token_response(suite.token_request(code))
    claims = suite.check_id_token(tokens["id_token"])
    assert claims["sub"] == person.sub
    assert suite.userinfo_call(tokens["access_token"]).status_code == 200


def test_oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported(
    suite_client, person, browser
):
    suite = suite_client(request_object_signing_alg="none")
    # skipTestIfNoneUnsupported, CheckDiscEndpointRequestParameterSupported
    assert "none" in suite.metadata["request_object_signing_alg_values_supported"]
    assert suite.metadata["request_parameter_supported"] is True
    request = suite.authorization_request()
    callback = suite.authorize(
        browser, login=person.email, password=person.password, url=by_value(suite, request)
    )
    finish(suite, browser, callback, person)


@pytest.mark.parametrize("alg", ["none", None], ids=["none registered", "no alg registered"])
def test_oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported(
    live_server, response_mode, receiver, site, person, browser, alg
):
    """The client registers dynamically with a request_uri of the suite's server
    (CreateRandomRequestUriWithFragment, AddRequestUriToDynamicRegistrationRequest) —
    with request_object_signing_alg none, or, as the module's own registration does, with
    no algorithm, when any one discovery lists may be used (OIDC Registration §2) — then
    serves the object there."""
    path = "/requesturi/" + secrets.token_urlsafe(48)
    request_uri = site.url + path + "#" + secrets.token_urlsafe(32)
    metadata = {"request_object_signing_alg": alg} if alg else {}
    suite = registered(live_server, receiver, response_mode, request_uris=[request_uri], **metadata)
    assert suite.metadata["request_uri_parameter_supported"] is True
    request = suite.authorization_request()
    site.publish(path, body=unsigned(request), content_type="application/jwt")
    callback = suite.authorize(
        browser,
        login=person.email,
        password=person.password,
        url=by_reference(suite, request, request_uri),
    )
    finish(suite, browser, callback, person)
    assert site.fetched[path] >= 1


@basic_plans
def test_oidcc_ensure_request_object_with_redirect_uri(suite_client, person, browser, plan):
    """OIDCCEnsureRequestObjectWithRedirectUri: the query's redirect_uri is one never
    registered, the object's the registered one (AddInvalidRedirectUriToAuthorizationRequest
    after ConvertAuthorizationEndpointRequestToRequestObject). The object's wins (§6.3.3):
    the answer goes to the registered one, never the other."""
    suite = suite_client(request_object_signing_alg="none")
    request = suite.authorization_request()
    query = {name: request[name] for name in DUPLICATES}
    query["redirect_uri"] = request["redirect_uri"] + "_invalid"
    query["request"] = unsigned(request)
    url = suite.metadata["authorization_endpoint"] + "?" + urlencode(query)
    callback = suite.authorize(browser, login=person.email, password=person.password, url=url)
    finish(suite, browser, callback, person)
