"""Where an authorization response goes: the query or the fragment of the redirect URI
(OAuth 2.0 Multiple Response Types 1.0 §2.1, §5)."""

from __future__ import annotations

from collections.abc import Mapping

QUERY, FRAGMENT = "query", "fragment"


def default_mode(response_type: str | None) -> str:
    """§5: the code flow answers in the query; a response type that returns tokens from
    this endpoint (id_token, token) in the fragment, which the browser never sends to a
    server. What is no response type at all is answered as RFC 6749 §4.1.2.1 says: in the
    query."""
    words = set((response_type or "").split())
    if words & {"id_token", "token"} and words <= {"code", "id_token", "token"}:
        return FRAGMENT
    return QUERY


def response_mode(values: Mapping) -> str:
    """The mode this request's response (or error) is sent in. The code flow answers in the
    query whatever response_mode asks; the implicit flow refuses any mode but the fragment
    (grants.ImplicitGrant), since §2.1 forbids tokens in the query."""
    return default_mode(values.get("response_type"))
