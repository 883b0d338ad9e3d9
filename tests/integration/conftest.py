"""Fixtures most integration tests share: a person with a Passport, a portal that listens for
back-channel logouts, the endpoint it listens on, and a developer signed in to the console. A module that needs another person or
portal defines its own fixture of the same name."""

from __future__ import annotations

import secrets

import pytest

from server.extensions import db

from ..conftest import LiveServer, build_app
from ..support.browser import Browser
from ..support.console import grant_role
from ..support.delivery import set_aside_pending
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
    """A portal that receives back-channel logouts on `receiver`, at an address of its own:
    a later test's receiver may get the same port, and must not find this one's messages."""
    path = "/backchannel-logout/" + secrets.token_hex(4)
    client = factories.client(backchannel_logout_uri=receiver.url + path)
    return RelyingParty(live_server.url, client)


@pytest.fixture
def listening(live_server, factories, receiver):
    """A portal told of back-channel logouts (at /logout) and security events (at /events)
    on `receiver`; earlier tests' pending deliveries set aside."""
    set_aside_pending(live_server)
    client = factories.client(
        backchannel_logout_uri=receiver.url + "/logout",
        security_events_endpoint=receiver.url + "/events",
    )
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


@pytest.fixture(scope="session")
def implicit_server(server_settings):
    """A second Passport on the same database with the implicit flow turned on
    (IMPLICIT_FLOW), as the OpenID Foundation's Dynamic OP profile asks of a server."""
    server = LiveServer(build_app, {**server_settings, "IMPLICIT_FLOW": True}).start()
    yield server
    server.stop()
    with server.app_context():
        db.engine.dispose()
