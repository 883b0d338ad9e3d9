"""The certification plans' modules as tests (tally.py counts them per plan)."""

from __future__ import annotations

import pytest

from tests.integration.conftest import *  # noqa: F403  (the shared people, portals, browsers)

from . import tally


def pytest_collection_modifyitems(items):
    tally.mark(items)


@pytest.fixture(params=["query", "form_post"])
def response_mode(request) -> str:
    """The plan's response mode: Basic OP runs its modules with the default (query),
    Form Post OP with form_post."""
    return request.param


@pytest.fixture
def suite_client(live_server, factories, receiver, response_mode):
    """A client of the modules, registered by its developer ("static"), whose redirect
    URI is `receiver`: `suite_client(**metadata)` for another one."""
    from .suite import SuiteClient

    def make(**metadata):
        metadata.setdefault("redirect_uri", receiver.url + "/callback")
        # The suite's client is registered for every scope discovery lists.
        metadata.setdefault("scope", "openid email phone profile address offline_access")
        client = factories.client(**metadata)
        return SuiteClient(live_server.url, client, response_mode=response_mode, endpoint=receiver)

    return make


@pytest.fixture
def person(factories):
    """The person the modules sign in as, with a phone, a name and a postal address for the
    scopes' claims."""
    return factories.account(
        phone=factories.phone_number(),
        name="Anna Petrova",
        address={"street_address": "Tverskaya 1", "locality": "Moscow", "country": "Russia"},
    )


@pytest.fixture
def suite(suite_client):
    return suite_client()
