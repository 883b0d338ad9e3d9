"""Fixtures most integration tests share: a person with a Passport, a portal that listens for
back-channel logouts, the endpoint it listens on, and a developer signed in to the console. A module that needs another person or
portal defines its own fixture of the same name."""

from __future__ import annotations

import pytest

from ..support.browser import Browser
from ..support.console import grant_role
from ..support.devices import device
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


@pytest.fixture
def developer(factories, live_server):
    person = factories.account()
    grant_role(live_server, person.email)
    return person


@pytest.fixture
def console(live_server, developer):
    with Browser(live_server.url) as browser:
        browser.sign_in(developer.email, developer.password)
        yield browser


@pytest.fixture
def person_browser(live_server):
    with device(live_server.url) as browser:
        yield browser
