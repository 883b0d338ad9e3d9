"""Config OP: the discovery document, as oidcc-discovery-endpoint-verification reads it
(OpenID Connect Discovery 1.0 §3 and §4, RFC 8414 §2)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from joserfc.jwk import KeySet


def discovery(live_server) -> tuple[requests.Response, dict]:
    answer = requests.get(live_server.url + "/.well-known/openid-configuration", timeout=10)
    return answer, answer.json()


@pytest.mark.parametrize("plan", ["config", "dynamic"])
def test_oidcc_discovery_endpoint_verification(live_server, implicit_server, plan):
    if plan == "dynamic":
        live_server = implicit_server  # the profile asks for the implicit flow, off by default
    answer, server = discovery(live_server)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0] == "application/json"

    # The issuer is the address the document was fetched under, less the well-known path.
    assert server["issuer"] == live_server.url
    assert not urlsplit(server["issuer"]).query and not urlsplit(server["issuer"]).fragment

    # What a static client of the Basic profile needs (OIDCD-3, OIDCC-3).
    assert "code" in server["response_types_supported"]
    assert set(server["subject_types_supported"]) <= {"public", "pairwise"}
    assert "RS256" in server["id_token_signing_alg_values_supported"]
    assert "openid" in server["scopes_supported"]
    assert server["grant_types_supported"]
    assert server["claims_supported"]
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert server[name].startswith(live_server.url + "/"), name

    # The published keys parse, each with a kid and a use of sig, and none of them private.
    keys = requests.get(server["jwks_uri"], timeout=10).json()
    key_set = KeySet.import_key_set(keys)
    assert key_set.keys
    for key in keys["keys"]:
        assert key.get("kid") and key.get("use", "sig") == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & key.keys()
    assert len({key["kid"] for key in keys["keys"]}) == len(keys["keys"])

    if plan == "dynamic":
        # OIDC Core §15.2: a dynamic OP offers the implicit flow's response types too.
        assert {"code", "id_token", "id_token token"} <= set(server["response_types_supported"])
        assert {"authorization_code", "implicit"} <= set(server["grant_types_supported"])

    for flag in ("request_parameter_supported", "request_uri_parameter_supported"):
        assert isinstance(server.get(flag, False), bool)
    assert isinstance(server.get("claims_parameter_supported", False), bool)
