"""DPoP (RFC 9449) over HTTP: tokens bound to a key the client proves it holds, at the token
endpoint, userinfo and introspection; and every proof the server must refuse."""

from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlsplit

import pytest
import requests

from server import clock

from ..support.browser import Browser
from ..support.delivery import unverified_claims
from ..support.dpop import DPoPKey, asks_for_nonce
from ..support.relying_party import RelyingParty


def portal_of(live_server, factories, key: DPoPKey | None = None, **options) -> RelyingParty:
    return RelyingParty(
        live_server.url, factories.client(first_party=True, **options), dpop=key or DPoPKey()
    )


def signed_in(portal: RelyingParty, person, **params) -> dict:
    with Browser(portal.issuer) as browser:
        return portal.sign_in(browser, person.email, person.password, **params)


def code_of(portal: RelyingParty, person, **params) -> dict:
    with Browser(portal.issuer) as browser:
        return portal.authorize(browser, login=person.email, password=person.password, **params)


def refused(answer: requests.Response, error: str = "invalid_dpop_proof") -> str:
    assert answer.status_code == 400, (answer.status_code, answer.text)
    assert answer.json()["error"] == error, answer.text
    return answer.json().get("error_description", "")


def resource_refused(answer: requests.Response, error: str) -> None:
    assert answer.status_code == 401, (answer.status_code, answer.text)
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith("DPoP ") and f'error="{error}"' in challenge, challenge
    assert "algs=" in challenge


def client_credentials(live_server, factories, key: DPoPKey, **metadata):
    client = factories.client(grant_types=["client_credentials"], scope="", **metadata)
    token_url = live_server.url + "/token"
    form = {"grant_type": "client_credentials"}
    return client, lambda: key.send(
        "POST", token_url, data=form, auth=(client.client_id, client.client_secret)
    )


def with_proof(live_server, client, proof: str) -> requests.Response:
    """A client_credentials token request of `client` with `proof` as its DPoP header."""
    return requests.post(
        live_server.url + "/token",
        data={"grant_type": "client_credentials"},
        headers={"DPoP": proof},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )


def test_discovery_names_the_proof_algorithms(live_server):
    document = requests.get(live_server.url + "/.well-known/openid-configuration", timeout=10)
    algorithms = document.json()["dpop_signing_alg_values_supported"]
    assert {"ES256", "PS256", "RS256", "EdDSA"} <= set(algorithms)
    assert not [alg for alg in algorithms if alg.startswith("HS") or alg == "none"]


def test_a_public_client_gets_tokens_bound_to_its_key(live_server, factories, person):
    key = DPoPKey()
    portal = portal_of(live_server, factories, key, public=True)
    tokens = signed_in(portal, person, scope="openid email")
    assert tokens["token_type"] == "DPoP"
    assert unverified_claims(tokens["access_token"])["cnf"] == {"jkt": key.jkt}
    answer = portal.userinfo(tokens["access_token"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["email"] == person.email
    assert answer.headers["DPoP-Nonce"] == key.nonce


def test_the_first_proof_without_a_nonce_is_answered_with_one(live_server, factories):
    key = DPoPKey()
    client, request_token = client_credentials(live_server, factories, key)
    answer = with_proof(live_server, client, key.proof("POST", live_server.url + "/token"))
    refused(answer, "use_dpop_nonce")
    assert len(answer.headers["DPoP-Nonce"]) == 24
    assert asks_for_nonce(answer)
    key.nonce = answer.headers["DPoP-Nonce"]
    assert request_token().status_code == 200


def test_a_nonce_from_two_periods_ago_is_stale(live_server, factories):
    key = DPoPKey()
    client, request_token = client_credentials(live_server, factories, key)
    assert request_token().status_code == 200
    given = key.nonce
    clock.travel(live_server.app.config["DPOP_NONCE_LIFETIME"])
    assert request_token().status_code == 200  # the period before: still good
    key.nonce = given
    clock.travel(live_server.app.config["DPOP_NONCE_LIFETIME"])
    answer = with_proof(live_server, client, key.proof("POST", live_server.url + "/token"))
    refused(answer, "use_dpop_nonce")
    assert answer.headers["DPoP-Nonce"] != given


def test_without_required_nonces_a_proof_needs_none(live_server, factories, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "DPOP_REQUIRE_NONCE", False)
    key = DPoPKey()
    client, _request = client_credentials(live_server, factories, key)
    answer = with_proof(live_server, client, key.proof("POST", live_server.url + "/token"))
    assert answer.status_code == 200 and answer.json()["token_type"] == "DPoP", answer.text


@pytest.mark.parametrize("alg", ["ES256", "ES384", "PS256", "RS256", "Ed25519", "EdDSA"])
def test_every_advertised_algorithm_signs_a_proof(live_server, factories, alg):
    key = DPoPKey(alg)
    _client, request_token = client_credentials(live_server, factories, key)
    answer = request_token()
    assert answer.status_code == 200, answer.text
    assert unverified_claims(answer.json()["access_token"])["cnf"]["jkt"] == key.jkt


def test_introspection_tells_the_binding(live_server, factories):
    key = DPoPKey()
    client, request_token = client_credentials(live_server, factories, key)
    access_token = request_token().json()["access_token"]
    answer = requests.post(
        live_server.url + "/introspect",
        data={"token": access_token},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    ).json()
    assert answer["active"] is True
    assert answer["token_type"] == "DPoP" and answer["cnf"] == {"jkt": key.jkt}


def test_a_client_without_dpop_still_gets_bearer_tokens(live_server, factories):
    client = factories.client(grant_types=["client_credentials"], scope="")
    answer = requests.post(
        live_server.url + "/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert answer.json()["token_type"] == "Bearer", answer.text
    assert "cnf" not in unverified_claims(answer.json()["access_token"])
    assert "DPoP-Nonce" not in answer.headers


# -- userinfo (§7) ---------------------------------------------------------------------------


@pytest.fixture
def bound(live_server, factories, person):
    """A portal with its DPoP key and the bound tokens it got for the person."""
    portal = portal_of(live_server, factories)
    tokens = signed_in(portal, person, scope="openid email")
    assert portal.userinfo(tokens["access_token"]).status_code == 200  # the nonce is known
    return portal, tokens["access_token"]


def userinfo_with(portal: RelyingParty, access_token: str, proof: str | None, scheme="DPoP"):
    headers = {"Authorization": f"{scheme} {access_token}"}
    if proof is not None:
        headers["DPoP"] = proof
    return requests.get(portal.metadata["userinfo_endpoint"], headers=headers, timeout=10)


def test_a_bound_token_presented_as_bearer_is_refused(bound):
    portal, access_token = bound
    answer = userinfo_with(portal, access_token, None, scheme="Bearer")
    assert (
        answer.status_code == 401 and 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    )


def test_a_bound_token_without_a_proof_is_refused(bound):
    portal, access_token = bound
    resource_refused(userinfo_with(portal, access_token, None), "invalid_dpop_proof")


def test_a_proof_by_another_key_is_refused(bound):
    portal, access_token = bound
    thief = DPoPKey()
    thief.nonce = portal.dpop.nonce
    url = portal.metadata["userinfo_endpoint"]
    proof = thief.proof("GET", url, access_token=access_token)
    resource_refused(userinfo_with(portal, access_token, proof), "invalid_dpop_proof")


@pytest.mark.parametrize(
    "change",
    [
        {"ath": "x" * 43},
        {"ath": None},
        {"htm": "POST"},
        {"htu": "http://127.0.0.1:9/userinfo"},
        {"htu": None},
        {"jti": None},
        {"iat": None},
    ],
    ids=["ath-other", "ath-missing", "htm", "htu-other", "htu-missing", "jti", "iat"],
)
def test_a_proof_not_made_for_this_request_and_token_is_refused(bound, change):
    portal, access_token = bound
    url = portal.metadata["userinfo_endpoint"]
    proof = portal.dpop.proof("GET", url, access_token=access_token, **change)
    resource_refused(userinfo_with(portal, access_token, proof), "invalid_dpop_proof")


def test_a_proof_is_used_once(bound):
    portal, access_token = bound
    url = portal.metadata["userinfo_endpoint"]
    proof = portal.dpop.proof("GET", url, access_token=access_token)
    assert userinfo_with(portal, access_token, proof).status_code == 200
    resource_refused(userinfo_with(portal, access_token, proof), "invalid_dpop_proof")


def test_the_htu_compares_as_a_uri(bound):
    """§4.3: the query and fragment are left out, scheme and host compare in any case."""
    portal, access_token = bound
    url = portal.metadata["userinfo_endpoint"]
    scheme, rest = url.split("://", 1)
    proof = portal.dpop.proof(
        "GET", access_token=access_token, url=scheme.upper() + "://" + rest + "?x=1#y"
    )
    assert userinfo_with(portal, access_token, proof).status_code == 200


def test_userinfo_asks_for_a_fresh_nonce(live_server, bound, monkeypatch):
    portal, access_token = bound
    # Nonce periods shorter than the access token's life, so the token is still good.
    monkeypatch.setitem(live_server.app.config, "DPOP_NONCE_LIFETIME", 10)
    clock.travel(30)
    url = portal.metadata["userinfo_endpoint"]
    answer = userinfo_with(
        portal, access_token, portal.dpop.proof("GET", url, access_token=access_token)
    )
    resource_refused(answer, "use_dpop_nonce")
    assert answer.headers["DPoP-Nonce"] != portal.dpop.nonce


@pytest.mark.parametrize("iat_offset", [-120, 120])
def test_a_proof_out_of_its_time_is_refused(bound, iat_offset):
    portal, access_token = bound
    url = portal.metadata["userinfo_endpoint"]
    proof = portal.dpop.proof(
        "GET", url, access_token=access_token, iat=clock.timestamp() + iat_offset
    )
    resource_refused(userinfo_with(portal, access_token, proof), "invalid_dpop_proof")


def test_a_bearer_token_is_not_taken_as_dpop(live_server, factories, person):
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    tokens = signed_in(portal, person, scope="openid")
    key = DPoPKey()
    url = portal.metadata["userinfo_endpoint"]
    answer = key.send("GET", url, access_token=tokens["access_token"])
    resource_refused(answer, "invalid_token")


# -- malformed proofs at the token endpoint (§4.3) -------------------------------------------


def _b64json(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def malformed(key: DPoPKey, url: str, kind: str) -> str:
    if kind == "not a jwt":
        return "not-a-proof"
    if kind == "typ":
        return key.proof("POST", url, header={"typ": "JWT"})
    if kind == "alg none":
        header = {"typ": "dpop+jwt", "alg": "none", "jwk": key.key.as_dict(private=False)}
        payload = unverified_claims(key.proof("POST", url))
        return f"{_b64json(header)}.{_b64json(payload)}."
    if kind == "private key in jwk":
        return key.proof("POST", url, header={"jwk": key.key.as_dict(private=True)})
    if kind == "no jwk":
        return key.proof("POST", url, header={"jwk": None})
    if kind == "another key's jwk":
        return key.proof("POST", url, header={"jwk": DPoPKey().key.as_dict(private=False)})
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["not a jwt", "typ", "alg none", "private key in jwk", "no jwk", "another key's jwk"]
)
def test_a_malformed_proof_is_refused(live_server, factories, kind):
    key = DPoPKey()
    client, request_token = client_credentials(live_server, factories, key)
    assert request_token().status_code == 200  # the nonce is known
    answer = with_proof(live_server, client, malformed(key, live_server.url + "/token", kind))
    refused(answer)


def test_two_proofs_in_one_request_are_refused(live_server, factories):
    """Two DPoP header lines, which a dict of headers cannot hold: sent with http.client."""
    key = DPoPKey()
    client, request_token = client_credentials(live_server, factories, key)
    assert request_token().status_code == 200
    token_url = live_server.url + "/token"
    body = b"grant_type=client_credentials"
    secret = base64.b64encode(f"{client.client_id}:{client.client_secret}".encode()).decode()
    parts = urlsplit(token_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.putrequest("POST", parts.path)
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(len(body)))
    connection.putheader("Authorization", f"Basic {secret}")
    connection.putheader("DPoP", key.proof("POST", token_url))
    connection.putheader("DPoP", key.proof("POST", token_url))
    connection.endheaders(body)
    answer = connection.getresponse()
    assert answer.status == 400
    assert json.loads(answer.read())["error"] == "invalid_dpop_proof"


def test_a_replayed_proof_is_refused_at_the_token_endpoint(live_server, factories):
    key = DPoPKey()
    client, request_token = client_credentials(live_server, factories, key)
    assert request_token().status_code == 200
    proof = key.proof("POST", live_server.url + "/token")
    assert with_proof(live_server, client, proof).status_code == 200
    assert "used before" in refused(with_proof(live_server, client, proof))


# -- what a client registered, and what its tokens are bound to ------------------------------


def test_a_client_that_registered_dpop_cannot_do_without(live_server, factories, person):
    portal = portal_of(live_server, factories, dpop_bound_access_tokens=True)
    params = code_of(portal, person, scope="openid")
    without = requests.post(
        portal.metadata["token_endpoint"],
        data=portal.code_form(params),
        auth=(portal.client.client_id, portal.client.client_secret),
        timeout=10,
    )
    refused(without)
    tokens = portal.exchange(params)  # the code was not spent by the refusal
    assert tokens["token_type"] == "DPoP"


def test_dpop_bound_access_tokens_is_true_or_false(live_server):
    body = {"redirect_uris": ["https://portal.example/callback"], "dpop_bound_access_tokens": "yes"}
    answer = requests.post(live_server.url + "/register", json=body, timeout=10)
    if answer.status_code == 401:
        pytest.skip("this server's registration needs a token")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client_metadata"
    body["dpop_bound_access_tokens"] = True
    answer = requests.post(live_server.url + "/register", json=body, timeout=10)
    assert answer.status_code == 201 and answer.json()["dpop_bound_access_tokens"] is True


def test_a_public_clients_refresh_token_is_bound_to_its_key(live_server, factories, person):
    portal = portal_of(live_server, factories, public=True)
    tokens = signed_in(portal, person, scope="openid offline_access")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": portal.client.client_id,
    }
    without = requests.post(portal.metadata["token_endpoint"], data=form, timeout=10)
    refused(without)
    thief = DPoPKey()
    thief.nonce = portal.dpop.nonce
    refused(thief.send("POST", portal.metadata["token_endpoint"], data=form))
    answer = portal.refresh(tokens["refresh_token"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "DPoP"


def test_a_confidential_clients_refresh_token_is_bound_by_its_authentication(
    live_server, factories, person
):
    """§5: a confidential client's refresh token is not bound to the key: its secret binds it."""
    portal = portal_of(live_server, factories)
    tokens = signed_in(portal, person, scope="openid")
    answer = requests.post(
        portal.metadata["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(portal.client.client_id, portal.client.client_secret),
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer", answer.text


def test_a_code_bound_by_dpop_jkt_needs_that_key(live_server, factories, person):
    key = DPoPKey()
    portal = portal_of(live_server, factories, key)
    params = code_of(portal, person, scope="openid", dpop_jkt=key.jkt)
    other = DPoPKey()
    other.nonce = key.nonce
    portal.dpop = other
    refused(portal.post("token_endpoint", portal.code_form(params)))
    portal.dpop = None
    refused(portal.post("token_endpoint", portal.code_form(params)))
    portal.dpop = key
    answer = portal.post("token_endpoint", portal.code_form(params))
    assert answer.status_code == 200 and answer.json()["token_type"] == "DPoP", answer.text


def test_a_malformed_dpop_jkt_is_an_error_for_the_portal(live_server, factories, person):
    portal = portal_of(live_server, factories)
    params = code_of(portal, person, scope="openid", dpop_jkt="not-a-thumbprint")
    assert params["error"] == "invalid_request" and params["state"] == portal.state


def test_a_proof_with_a_push_binds_the_code(live_server, factories, person):
    key = DPoPKey()
    portal = portal_of(live_server, factories, key)
    answer = portal.push(scope="openid")
    assert answer.status_code == 201, answer.text
    assert answer.headers["DPoP-Nonce"] == key.nonce
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        params = portal.callback_params(
            browser.open(portal.pushed_url(answer.json()["request_uri"]))
        )
    portal.dpop = None
    refused(portal.post("token_endpoint", portal.code_form(params)))
    portal.dpop = key
    assert portal.exchange(params)["token_type"] == "DPoP"


def test_a_push_whose_dpop_jkt_is_not_its_proofs_key_is_refused(live_server, factories):
    portal = portal_of(live_server, factories)
    refused(portal.push(scope="openid", dpop_jkt=DPoPKey().jkt))
