"""Request objects (OIDC Core §6, RFC 9101): by value and by reference, signed with the
client's keys or, for a client that registered it, unsigned; refusals back at the portal."""

from __future__ import annotations

import base64
import json
import secrets
import socket
import time
from urllib.parse import urlencode

import pytest
import requests

from server import clock

from ..support.browser import Browser
from ..support.documents import Documents
from ..support.relying_party import RelyingParty
from ..support.request_objects import key_set, new_key, signed, unsigned


@pytest.fixture
def site():
    """The portal's server, where its request_uris point."""
    with Documents() as documents:
        yield documents


@pytest.fixture(scope="module")
def rsa_key():
    return new_key("RS256")


class Portal(RelyingParty):
    """A portal that puts its authorization request in a request object."""

    def request(self, **changes) -> dict:
        """The parameters a request object holds (state and nonce of this portal)."""
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        claims = {
            "iss": self.client.client_id,
            "aud": self.issuer,
            "client_id": self.client.client_id,
            "response_type": "code",
            "redirect_uri": self.client.redirect_uri,
            "scope": "openid email",
            "state": self.state,
            "nonce": self.nonce,
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def url(self, **query) -> str:
        query.setdefault("client_id", self.client.client_id)
        query.setdefault("response_type", "code")
        query.setdefault("scope", "openid")
        return self.metadata["authorization_endpoint"] + "?" + urlencode(query)


def make_portal(live_server, factories, **metadata) -> Portal:
    return Portal(live_server.url, factories.client(first_party=True, **metadata))


def answer(portal: Portal, person, url: str, *, signed_in: bool = True) -> dict:
    """Where the browser ends: the redirect's query, the form_post page's fields, or the
    error page's status."""
    with Browser(portal.issuer) as browser:
        if signed_in:
            browser.sign_in(person.email, person.password)
        page = browser.open(url)
        if page.status in (302, 303):
            return portal.callback_params(page)
        if page.status == 200 and page.forms and page.forms[0].action == portal.client.redirect_uri:
            return page.forms[0].fields
        return {"page": page.status, "text": page.text}


def test_a_signed_object_by_value_wins_over_the_query(live_server, factories, person, rsa_key):
    """OIDC Core §6.3.3: the object's scope, state, nonce and claims are the request's."""
    portal = make_portal(live_server, factories, jwks=key_set(rsa_key))
    claims = portal.request(claims={"id_token": {"email": None}}, max_age=3600)
    url = portal.url(request=signed(claims, rsa_key, "RS256"), state="outside", scope="openid")
    params = answer(portal, person, url)
    assert params["state"] == portal.state and params["code"]
    tokens = portal.exchange(params)
    assert "email" in tokens["scope"].split()
    id_token = portal.verify_id_token(tokens["id_token"])
    assert id_token["nonce"] == portal.nonce and id_token["email"] == person.email


def test_a_signed_object_ps256(live_server, factories, person):
    """RSASSA-PSS, as FAPI 2.0 asks (and only what the client registered)."""
    key, other = new_key("PS256"), new_key("RS256")
    portal = make_portal(
        live_server, factories, jwks=key_set(key, other), request_object_signing_alg="PS256"
    )
    url = portal.url(request=signed(portal.request(), key, "PS256"))
    params = answer(portal, person, url)
    assert params["state"] == portal.state and params["code"]
    url = portal.url(request=signed(portal.request(), other, "RS256"))
    assert (
        answer(portal, person, url)["error"] == "invalid_request"
    )  # as for any other algorithm not registered


def test_a_signed_object_by_reference_es256(live_server, factories, person, site):
    key = new_key("ES256")
    request_uri = site.url + "/request.jwt#v1"
    portal = make_portal(live_server, factories, jwks=key_set(key), request_uris=[request_uri])
    site.publish(
        "/request.jwt",
        body=signed(portal.request(), key, "ES256"),
        content_type="application/oauth-authz-req+jwt",
    )
    # The fragment tells a version of the document: another one still names it.
    params = answer(portal, person, portal.url(request_uri=site.url + "/request.jwt#v2"))
    assert params["state"] == portal.state and params["code"]
    assert site.fetched["/request.jwt"] == 1


def test_the_way_back_from_the_login_page_keeps_what_the_object_settled(
    live_server, factories, person, site
):
    """prompt=login and max_age=0 inside the object ask for one sign-in, not endless ones,
    and the request_uri is fetched once."""
    request_uri = site.url + "/fresh.jwt"
    portal = make_portal(
        live_server, factories, request_object_signing_alg="none", request_uris=[request_uri]
    )
    site.publish("/fresh.jwt", body=unsigned(portal.request(prompt="login", max_age=0)))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        clock.travel(1)
        page = browser.open(portal.url(request_uri=request_uri))
        assert any("password" in f.fields for f in page.forms), page.text[:200]
        page = portal.walk(browser, page, login=person.email, password=person.password)
        params = portal.callback_params(page)
    assert params["state"] == portal.state and params["code"]
    assert site.fetched["/fresh.jwt"] == 1


@pytest.mark.parametrize("response_mode", ["query", "form_post"])
def test_clients_that_may_not_use_them_are_told_at_the_redirect_uri(
    live_server, factories, person, site, response_mode
):
    """No registered request_uris: request_uri_not_supported (OIDC Core §3.1.2.6)."""
    portal = make_portal(live_server, factories)
    mode = {"response_mode": response_mode}
    url = portal.url(request_uri=site.url + "/r.jwt", state="s2", **mode)
    params = answer(portal, person, url)
    assert params["error"] == "request_uri_not_supported" and params["state"] == "s2"


def test_a_client_that_registered_no_algorithm_may_send_unsigned_objects(
    live_server, factories, person, rsa_key
):
    """OIDC Registration §2: without request_object_signing_alg, any algorithm Passport
    supports may be used, "none" (which discovery lists) included; with keys or without."""
    for metadata in ({}, {"jwks": key_set(rsa_key)}):
        portal = make_portal(live_server, factories, **metadata)
        params = answer(portal, person, portal.url(request=unsigned(portal.request())))
        assert params["state"] == portal.state and params["code"], metadata
    portal = make_portal(live_server, factories, jwks=key_set(rsa_key))
    params = answer(portal, person, portal.url(request=signed(portal.request(), rsa_key, "RS256")))
    assert params["code"]


def test_unsigned_objects_refused_from_a_client_that_registered_a_signing_algorithm(
    live_server, factories, person, rsa_key
):
    portal = make_portal(
        live_server, factories, jwks=key_set(rsa_key), request_object_signing_alg="RS256"
    )
    params = answer(portal, person, portal.url(request=unsigned(portal.request())))
    assert params["error"] == "request_not_supported" and "code" not in params
    # A client that registered none cannot send a signed one.
    portal = make_portal(live_server, factories, request_object_signing_alg="none")
    params = answer(portal, person, portal.url(request=signed(portal.request(), rsa_key, "RS256")))
    assert params["error"] in ("invalid_request", "invalid_request_object")
    assert "code" not in params


@pytest.mark.parametrize(
    ("spoil", "error"),
    [
        ("signature", "invalid_request_object"),
        ("other key", "invalid_request_object"),
        ("aud", "invalid_request_object"),
        ("expired", "invalid_request_object"),
        ("iss", "invalid_request_object"),
        ("client_id", "invalid_request"),
        ("response_type", "invalid_request"),
        ("nested", "invalid_request"),
        ("not a token", "invalid_request_object"),
        ("response_mode", "invalid_request_object"),
        ("registered RS256, signed ES256", "invalid_request"),
        ("crit", "invalid_request_object"),
    ],
)
def test_a_bad_object_is_refused_at_the_redirect_uri(
    live_server, factories, person, rsa_key, spoil, error
):
    portal = make_portal(live_server, factories, jwks=key_set(rsa_key))
    claims, key, alg = portal.request(), rsa_key, "RS256"
    outside = {}
    if spoil == "aud":
        claims["aud"] = "https://another.example"
    elif spoil == "expired":
        claims["exp"] = clock.timestamp() - 60
    elif spoil == "iss":
        claims["iss"] = "someone else"
    elif spoil == "client_id":
        claims["client_id"] = "another client"
    elif spoil == "response_type":
        outside["response_type"] = "code"
        claims["response_type"] = "token"
    elif spoil == "nested":
        claims["request_uri"] = "https://portal.example/r"
    elif spoil == "response_mode":
        claims["response_mode"] = "form_póst"
    elif spoil == "other key":
        key = new_key("RS256")
    elif spoil == "registered RS256, signed ES256":
        key, alg = new_key("ES256"), "ES256"
        portal = make_portal(
            live_server,
            factories,
            jwks=key_set(rsa_key, key),
            request_object_signing_alg="RS256",
        )
        claims = portal.request()
    token = signed(claims, key, alg)
    if spoil == "signature":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    elif spoil == "not a token":
        token = "not.a.token"
    elif spoil == "crit":
        # joserfc's reason quotes the unknown critical header, which no error description
        # may hold (RFC 6749 §5.2): the generic one goes back instead.
        header = {"alg": alg, "kid": key.kid, "crit": ["\\"]}
        encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=")
        token = encoded.decode() + token[token.index(".") :]
    params = answer(portal, person, portal.url(request=token, state="outside", **outside))
    assert params.get("error") == error, params
    assert "code" not in params and params["iss"] == live_server.url


def test_where_a_request_uri_may_point(live_server, factories, person, site, monkeypatch):
    """A registered one only; what it serves must come, quickly and small, from a public
    address when private ones are not allowed."""
    registered = [site.url + "/missing.jwt", site.url + "/huge.jwt", site.url + "/ok.jwt"]
    portal = make_portal(
        live_server, factories, request_object_signing_alg="none", request_uris=registered
    )
    site.publish("/ok.jwt", body=unsigned(portal.request()))
    site.publish("/huge.jwt", body="x" * (live_server.app.config["CLIENT_FETCH_MAX_BYTES"] + 1))
    for request_uri in (site.url + "/unregistered.jwt", registered[0], registered[1]):
        params = answer(portal, person, portal.url(request_uri=request_uri, state="s"))
        assert params["error"] == "invalid_request_uri" and params["state"] == "s", request_uri
    monkeypatch.setitem(live_server.app.config, "DELIVERY_PRIVATE_TARGETS", False)
    params = answer(portal, person, portal.url(request_uri=registered[2]))
    assert params["error"] == "invalid_request_uri"
    assert site.fetched["/ok.jwt"] == 0  # 127.0.0.1 was never asked
    monkeypatch.setitem(live_server.app.config, "DELIVERY_PRIVATE_TARGETS", True)
    assert answer(portal, person, portal.url(request_uri=registered[2]))["code"]


def test_a_silent_request_uri_is_given_up(live_server, factories, person, monkeypatch):
    """A server that takes the connection and never answers: CLIENT_FETCH_TIMEOUT."""
    monkeypatch.setitem(live_server.app.config, "CLIENT_FETCH_TIMEOUT", 1)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        request_uri = f"http://127.0.0.1:{silent.getsockname()[1]}/request.jwt"
        portal = make_portal(
            live_server, factories, request_object_signing_alg="none", request_uris=[request_uri]
        )
        started = time.monotonic()
        params = answer(portal, person, portal.url(request_uri=request_uri))
    assert params["error"] == "invalid_request_uri" and time.monotonic() - started < 5


def test_both_ways_at_once_and_an_unchecked_redirect_uri(live_server, factories, person, site):
    """request and request_uri together are invalid_request (RFC 9101 §5); with a
    redirect_uri in the query the client never registered, the error is a page."""
    portal = make_portal(live_server, factories, request_object_signing_alg="none")
    token = unsigned(portal.request())
    both = answer(portal, person, portal.url(request=token, request_uri=site.url + "/r"))
    assert both["error"] == "invalid_request"
    elsewhere = portal.url(request="not.a.token", redirect_uri="https://evil.example/cb")
    page = answer(portal, person, elsewhere)
    assert page["page"] == 400 and "invalid_request_object" in page["text"]


def test_discovery_and_registration(live_server):
    metadata = requests.get(live_server.url + "/.well-known/openid-configuration", timeout=10)
    metadata = metadata.json()
    assert metadata["request_parameter_supported"] is True
    assert metadata["request_uri_parameter_supported"] is True
    assert metadata["require_request_uri_registration"] is True
    assert metadata["request_object_signing_alg_values_supported"] == [
        "none",
        "RS256",
        "ES256",
        "PS256",
    ]
    base = {"redirect_uris": ["http://127.0.0.1:9/callback"]}
    for bad, field in (
        ({"request_object_signing_alg": "HS256"}, "request_object_signing_alg"),
        ({"request_uris": "http://127.0.0.1:9/r"}, "request_uris"),
        ({"request_uris": ["http://127.0.0.1:9/" + "r" * 600]}, "request_uris"),
        ({"request_uris": ["http://portal.example/r"]}, "request_uris"),
    ):
        refused = requests.post(live_server.url + "/register", json={**base, **bad}, timeout=10)
        assert refused.status_code == 400, bad
        assert field in refused.json()["error_description"]
    kept = requests.post(
        live_server.url + "/register",
        json={
            **base,
            "request_uris": ["http://127.0.0.1:9/r#abc"],
            "request_object_signing_alg": "none",
        },
        timeout=10,
    )
    assert kept.status_code == 201 and kept.json()["request_uris"] == ["http://127.0.0.1:9/r#abc"]
    assert json.loads(kept.text)["request_object_signing_alg"] == "none"
