"""Dynamic OP: the registration modules (OpenID Connect Registration 1.0): the client's logo,
privacy policy and terms of service on the sign-in page, keys at a jwks_uri, and a
sector_identifier_uri that must list the client's redirect URIs (OIDC Core §8.1)."""

from __future__ import annotations

import re

import pytest
import requests

from ..support.assertions import new_key, public_jwks
from ..support.browser import Browser, Page
from ..support.documents import Documents
from ..support.dynamic_rp import REDIRECT_URI, DynamicRelyingParty

# CreateLogoUri, CreatePolicyUri, CreateTosUri: pages of the suite's own site.
SUITE = "https://www.certification.openid.net"


@pytest.fixture
def site():
    with Documents() as documents:
        yield documents


def login_page(op, rp: DynamicRelyingParty) -> Page:
    """performRedirectAndWaitForPlaceholdersOrCallback: a fresh browser (no cookies) opens the
    authorization request and lands on Passport's sign-in page."""
    with Browser(op.url) as browser:
        page = browser.open(rp.authorization_url())
    assert page.status == 200 and page.url.startswith(op.url + "/login"), page.url
    assert rp.request["client_name"] in page.text
    return page


def attribute(page: Page, element_id: str, name: str) -> str | None:
    found = re.search(rf'<[a-z]+\b[^>]*\bid="{element_id}"[^>]*>', page.html)
    value = found and re.search(rf'\b{name}="([^"]*)"', found.group(0))
    return value.group(1) if value else None


def test_oidcc_registration_logo_uri(implicit_server):
    logo = SUITE + "/images/openid.png"
    rp = DynamicRelyingParty(implicit_server.url, logo_uri=logo).registered()
    # ExpectLoginPageWithLogo (OIDCR-2)
    assert attribute(login_page(implicit_server, rp), "portal-logo", "src") == logo
    rp.unregister()


def test_oidcc_registration_policy_uri(implicit_server):
    policy = SUITE + "/test/a/passport/policy"
    rp = DynamicRelyingParty(implicit_server.url, policy_uri=policy).registered()
    # ExpectLoginPageWithPolicyLink (OIDCR-2)
    assert attribute(login_page(implicit_server, rp), "portal-policy", "href") == policy
    rp.unregister()


def test_oidcc_registration_tos_uri(implicit_server):
    tos = SUITE + "/test/a/passport/tos"
    rp = DynamicRelyingParty(implicit_server.url, tos_uri=tos).registered()
    # ExpectLoginPageWithTosLink (OIDCR-2)
    assert attribute(login_page(implicit_server, rp), "portal-tos", "href") == tos
    rp.unregister()


def test_oidcc_registration_jwks_uri(implicit_server, person, site):
    key = new_key("RS256")  # GenerateRS256ClientJWKsWithKeyID
    jwks_uri = site.publish(
        "/client1_jwks", public_jwks(key)
    )  # AddJwksUriToDynamicRegistrationRequest
    rp = DynamicRelyingParty(implicit_server.url, key=key, jwks_uri=jwks_uri).registered()
    assert "jwks" not in rp.info and rp.info["jwks_uri"] == jwks_uri
    with Browser(implicit_server.url) as browser:
        code = rp.callback(rp.authorize(browser, person))["code"]
    tokens = rp.redeem(code)
    assert tokens.status_code == 200, tokens.text
    rp.id_token(tokens.json()["id_token"])
    assert site.fetched["/client1_jwks"] == 1
    rp.unregister()


def pairwise_offered(op) -> None:
    server = requests.get(op.url + "/.well-known/openid-configuration", timeout=10).json()
    assert "pairwise" in server["subject_types_supported"]  # else the module is skipped


def test_oidcc_registration_sector_uri(implicit_server, site):
    pairwise_offered(implicit_server)
    sector = site.publish("/redirect_uris.json", [REDIRECT_URI])  # CreateSectorRedirectUris
    rp = DynamicRelyingParty(
        implicit_server.url, subject_type="pairwise", sector_identifier_uri=sector
    ).registered()
    assert rp.info["subject_type"] == "pairwise"
    assert site.fetched["/redirect_uris.json"] == 1
    rp.unregister()


def test_oidcc_registration_sector_bad(implicit_server, site):
    pairwise_offered(implicit_server)
    # CreateInvalidSectorRedirectUris: the document lists another URI than the client's.
    sector = site.publish("/redirect_uris.json", ["https://example.com/op"])
    rp = DynamicRelyingParty(
        implicit_server.url, subject_type="pairwise", sector_identifier_uri=sector
    )
    answer = rp.register()
    # EnsureContentTypeJson, EnsureHttpStatusCodeIs400, invalid_client_metadata (OIDCR-3.3)
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"].split(";")[0] == "application/json"
    assert answer.json()["error"] == "invalid_client_metadata"
