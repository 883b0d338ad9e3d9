"""Fixtures most integration tests share: a person with a Passport, a portal that listens for
back-channel logouts, and the endpoint it listens on. A module that needs another person or
portal defines its own fixture of the same name."""

from __future__ import annotations

import pytest

from ..support.receiver import Receiver
from ..support.relying_party import RelyingParty


@pytest.fixture
def person(factories):
    return factories.account()


@pytest.fixture
def receiver():
    """A local HTTP endpoint catching back-channel logouts and security events."""
    with Receiver() as endpoint:
        yield endpoint


@pytest.fixture
def portal(live_server, factories, receiver):
    """A portal that receives back-channel logouts on `receiver`."""
    client = factories.client(backchannel_logout_uri=receiver.url + "/backchannel-logout")
    return RelyingParty(live_server.url, client)
