"""Dynamic OP: the request object modules (OIDC Core §6): the request passed by reference
(request_uri), unsigned or signed with the client's RS256 key, and by value with a
redirect_uri outside it that is not the client's."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import urlencode

import pytest
import requests
from joserfc import jwt

from ..support.browser import Browser, Page
from ..support.documents import Documents
from ..support.dynamic_rp import DynamicRelyingParty
from ..support.relying_party import RelyingParty


@pytest.fixture
def site():
    with Documents() as documents:
        yield documents


def discovery(op) -> dict:
    return requests.get(op.url + "/.well-known/openid-configuration", timeout=10).json()


def skip_unless_unsigned_objects(server: dict) -> None:
    """skipTestIfNoneUnsupported: a server that lists its algorithms without "none" takes
    signed request objects only, and the module is skipped."""
    algorithms = server.get("request_object_signing_alg_values_supported")
    if isinstance(algorithms, list) and "none" not in algorithms:
        pytest.skip("request_object_signing_alg_values_supported does not list none")


def unsigned(claims: dict) -> str:
    """SerializeRequestObjectWithNullAlgorithm."""

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return part({"alg": "none"}) + "." + part(claims) + "."


def request_object_claims(rp: DynamicRelyingParty) -> dict:
    """ConvertAuthorizationEndpointRequestToRequestObject: the whole request, state and
    nonce included (which then stay out of the query)."""
    rp.state, rp.nonce = secrets.token_urlsafe(10), secrets.token_urlsafe(10)
    return {
        "client_id": rp.client_id,
        "redirect_uri": rp.redirect_uri,
        "scope": "openid",
        "state": rp.state,
        "nonce": rp.nonce,
        "response_type": rp.response_type,
    }


def by_reference(rp: DynamicRelyingParty, request_uri: str, **outside) -> str:
    """BuildRequestObjectByReferenceRedirectToAuthorizationEndpoint: the parameters OAuth 2.0
    requires stay in the query too (OIDC Core §6.1)."""
    query = {
        "client_id": rp.client_id,
        "redirect_uri": rp.redirect_uri,
        "scope": "openid",
        "response_type": rp.response_type,
        "request_uri": request_uri,
        **outside,
    }
    return rp.server["authorization_endpoint"] + "?" + urlencode(query)


def registered_with_request_uri(op, site, **metadata) -> tuple[DynamicRelyingParty, str, str]:
    """CreateRandomRequestUriWithFragment, AddRequestUriToDynamicRegistrationRequest."""
    path = "/requesturi/" + secrets.token_urlsafe(48)
    fragment = base64.urlsafe_b64encode(hashlib.sha256(path.encode()).digest()).rstrip(b"=")
    request_uri = site.url + path + "#" + fragment.decode()
    rp = DynamicRelyingParty(op.url, request_uris=[request_uri], **metadata).registered()
    return rp, path, request_uri


def signed_in_and_consented(browser: Browser, page: Page, person) -> Page:
    return RelyingParty.walk(browser, page, login=person.email, password=person.password)


def completes(op, rp: DynamicRelyingParty, person, url: str) -> None:
    with Browser(op.url) as browser:
        page = signed_in_and_consented(browser, browser.open(url), person)
    answer = rp.callback(page)
    assert "error" not in answer, answer
    tokens = rp.redeem(answer["code"])
    assert tokens.status_code == 200, tokens.text
    rp.id_token(tokens.json()["id_token"])


def test_oidcc_request_uri_unsigned(implicit_server, person, site):
    server = discovery(implicit_server)
    # CheckDiscEndpointRequestUriParameterSupported (OIDCD-3): absent means true.
    assert server.get("request_uri_parameter_supported", True) is True
    skip_unless_unsigned_objects(server)
    rp, path, request_uri = registered_with_request_uri(implicit_server, site)
    site.publish(path, body=unsigned(request_object_claims(rp)), content_type="application/jwt")
    completes(implicit_server, rp, person, by_reference(rp, request_uri))
    assert site.fetched[path] >= 1
    rp.unregister()


def test_oidcc_request_uri_signed_rs256(implicit_server, person, site):
    server = discovery(implicit_server)
    assert server.get("request_uri_parameter_supported", True) is True
    # CheckDiscEndpointRequestObjectSigningAlgValuesSupportedContainsRS256 (OIDCD-3)
    assert "RS256" in server.get("request_object_signing_alg_values_supported", [])
    rp, path, request_uri = registered_with_request_uri(
        implicit_server, site, request_object_signing_alg="RS256"
    )
    # AddAudToRequestObject, AddIssToRequestObject, SignRequestObject (the client's key).
    claims = {**request_object_claims(rp), "aud": implicit_server.url, "iss": rp.client_id}
    signed = jwt.encode({"alg": "RS256"}, claims, rp.key, algorithms=["RS256"])
    site.publish(path, body=signed, content_type="application/jwt")
    completes(implicit_server, rp, person, by_reference(rp, request_uri))
    rp.unregister()


@pytest.mark.parametrize("plan", ["dynamic"])
def test_oidcc_ensure_request_object_with_redirect_uri(implicit_server, person, plan):
    skip_unless_unsigned_objects(discovery(implicit_server))
    rp = DynamicRelyingParty(implicit_server.url).registered()
    request_object = unsigned(request_object_claims(rp))
    # AddInvalidRedirectUriToAuthorizationRequest: outside the object, another path.
    query = {
        "client_id": rp.client_id,
        "redirect_uri": rp.redirect_uri + "/_invalid",
        "scope": "openid",
        "response_type": "code",
        "request": request_object,
    }
    url = rp.server["authorization_endpoint"] + "?" + urlencode(query)
    with Browser(implicit_server.url) as browser:
        page = signed_in_and_consented(browser, browser.open(url), person)
    location = page.response.headers.get("Location", "")
    # Never to the redirect URI that is not the client's, and never request_not_supported
    # at the registered one (EnsureOPDoesNotUseDefaultRedirectUriInCaseOfInvalidRedirectUri).
    assert not location.startswith(rp.redirect_uri + "/_invalid")
    if page.status == 400:
        # ExpectRedirectUriErrorPage: the object was not read, and the page says why.
        assert "Location" not in page.response.headers and "redirect_uri" in page.text
    else:
        # OIDC Core §6.3.3: the object's redirect_uri wins, and the flow completes there.
        answer = rp.callback(page)
        assert answer.get("error") != "request_not_supported" and "code" in answer, answer
    rp.unregister()
