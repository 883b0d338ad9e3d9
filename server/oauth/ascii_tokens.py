"""Parameters whose values are ASCII tokens (RFC 6749 Appendix A).

Authlib echoes some of them in error descriptions, which may hold only printable ASCII
(§5.2), so anything else is refused before it can reach an error message: in the query or
form of a request (server/oauth/views.py), and inside a request object
(server/oauth/request_objects.py).
"""

from __future__ import annotations

ASCII_TOKEN_PARAMETERS = frozenset(
    (
        "response_type",
        "grant_type",
        "token_type_hint",
        "code_challenge_method",
        "response_mode",
        "prompt",
        "display",
        "scope",
    )
)


def is_ascii_token(value: object) -> bool:
    """%x20-21 / %x23-5B / %x5D-7E (RFC 6749 A.4, §5.2): printable ASCII, but for '"' and
    '\\', which an error description may not hold either."""
    return (
        isinstance(value, str)
        and value.isascii()
        and value.isprintable()
        and '"' not in value
        and "\\" not in value
    )
