"""The worker's refusal to deliver to non-public addresses (no network: IP literals only)."""

from __future__ import annotations

import pytest

from server.delivery.errors import PermanentFailure
from server.delivery.targets import check_target

NOT_PUBLIC = [
    "http://127.0.0.1:8080/backchannel-logout",
    "http://localhost/backchannel-logout",
    "https://10.0.0.5/logout",
    "https://192.168.1.1/logout",
    "https://172.16.0.1/logout",
    "http://169.254.169.254/latest/meta-data/",
    "https://[::1]/logout",
    "https://[fe80::1]/logout",
    "https://[fd00::1]/logout",
    "https://[::ffff:127.0.0.1]/logout",
    "https://0.0.0.0/logout",
    "https://100.64.0.1/logout",  # carrier-grade NAT
]


@pytest.mark.parametrize("url", NOT_PUBLIC)
def test_non_public_addresses_are_refused_in_production(url):
    with pytest.raises(PermanentFailure, match="not a public address"):
        check_target(url, allow_private=False)


@pytest.mark.parametrize("url", NOT_PUBLIC)
def test_development_may_deliver_to_them(url):
    check_target(url, allow_private=True)


@pytest.mark.parametrize(
    "url", ["https://93.184.215.14/logout", "https://[2606:4700:4700::1111]:8443/logout"]
)
def test_public_addresses_pass(url):
    check_target(url, allow_private=False)


def test_a_target_without_a_host_or_with_a_bad_port_is_refused():
    with pytest.raises(PermanentFailure):
        check_target("https:///logout", allow_private=False)
    with pytest.raises(PermanentFailure):
        check_target("https://93.184.215.14:99999/logout", allow_private=False)
