"""Where the person may be sent on to after signing in: only a path on this server, read the
way a browser reads it (an attack run found `/%09/evil.example` leading off the server)."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.web.auth import local_target

HOST = "https://passport.example"

# The pieces an attacker builds a target from: separators, what browsers drop or rewrite,
# schemes, user info, hosts, encodings.
PIECES = st.sampled_from(
    [
        "/",
        "//",
        "\\",
        "\t",
        "\n",
        "\r",
        " ",
        "\x00",
        "\x0b",
        "\x0c",
        "\x1f",
        "\x7f",
        "%09",
        "%2F",
        "%5C",
        ".",
        "..",
        ":",
        "@",
        "?",
        "#",
        "evil.example",
        "http:",
        "https:",
        "javascript:",
        "account",
        "é",
        "\u2028",
    ]
)
HOSTILE = st.lists(PIECES, max_size=8).map("".join)


def as_the_browser_reads(target: str) -> str:
    """The WHATWG URL parser's clean-up of an http(s) URL string."""
    trimmed = target.translate(str.maketrans("", "", "\t\n\r")).strip(
        "".join(chr(code) for code in range(0x21))
    )
    return trimmed.replace("\\", "/")


def stays_here(target: str) -> bool:
    resolved = urlsplit(urljoin(HOST + "/account", as_the_browser_reads(target)))
    return (resolved.scheme, resolved.netloc) == ("https", "passport.example")


@settings(max_examples=600, deadline=None, database=None)
@given(st.one_of(HOSTILE, st.text(max_size=40)))
def test_whatever_is_accepted_stays_on_this_server(target):
    accepted = local_target(target)
    if accepted is None:
        return
    assert accepted.startswith("/") and not accepted.startswith("//")
    # What is returned is what the browser will read, and it leads here.
    assert as_the_browser_reads(accepted) == accepted
    assert stays_here(accepted)
    assert not any(ord(c) < 0x20 or c == "\x7f" for c in accepted)  # a sendable header


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "\t//evil.example",
        " //evil.example",
        "\x00//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "//evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "/a\x00/evil.example",
        "",
        None,
        ["/account"],
    ],
)
def test_hostile_targets_are_refused(target):
    assert local_target(target) is None


@pytest.mark.parametrize(
    ("target", "read"),
    [
        ("/account", "/account"),
        ("/authorize?client_id=a&redirect_uri=https%3A%2F%2Fportal.example%2Fcb", None),
        ("/account/sessions#devices", None),
        ("  /account\t", "/account"),
        ("/account/security?x=%2F%2Fevil.example", None),
    ],
)
def test_local_paths_pass_as_the_browser_reads_them(target, read):
    assert local_target(target) == (read or target)
