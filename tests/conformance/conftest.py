"""The certification plans' tally: which of each plan's modules have a test here, and how
they fared. A test stands for the module its name gives (`test_oidcc_scope_all` for
`oidcc-scope-all`, parameters aside). A test parametrised with `plan` counts for that plan
alone; one run with `response_mode=form_post` for the Form Post plan; any other for every
other plan that lists its module."""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.integration.conftest import *  # noqa: F403  (the shared people, portals, browsers)

from .plans import PLAN_NAMES, PLANS

STATES = ("passed", "failed", "known to fail", "skipped", "without a test")
# module name -> plan -> the outcomes of the tests that stand for it there
OUTCOMES: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
_PLANS_OF: dict[str, set[str]] = {}


def module_name(test_name: str) -> str:
    """`test_oidcc_redirect_uri_query_ok[...]` -> `oidcc-redirect-uri-query-ok`."""
    return test_name.split("[", 1)[0].removeprefix("test_").replace("_", "-").lower()


def plans_of(item: pytest.Item) -> set[str]:
    module = module_name(item.name)
    listing = {plan for plan, modules in PLANS.items() if module in map(str.lower, modules)}
    params = getattr(getattr(item, "callspec", None), "params", {})
    if params.get("plan"):  # a test run once per plan, for what differs between them
        return listing & {params["plan"]}
    if params.get("response_mode") == "form_post":
        return listing & {"formpost"}
    return listing - {"formpost"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/conformance/" in item.nodeid:
            _PLANS_OF[item.nodeid] = plans_of(item)


def pytest_runtest_logreport(report):
    plans = _PLANS_OF.get(report.nodeid)
    if not plans:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if hasattr(report, "wasxfail"):
            outcome = "known to fail"
        else:
            outcome = "passed" if report.passed else ("skipped" if report.skipped else "failed")
        for plan in plans:
            OUTCOMES[module_name(report.nodeid.rsplit("::", 1)[-1])][plan].append(outcome)


def pytest_terminal_summary(terminalreporter):
    if not _PLANS_OF:
        return
    terminalreporter.section("OpenID certification plans")
    for plan, modules in PLANS.items():
        tally = defaultdict(list)
        for module in modules:
            outcomes = OUTCOMES.get(module.lower(), {}).get(plan, [])
            if not outcomes:
                state = "without a test"
            elif "failed" in outcomes:
                state = "failed"
            elif "known to fail" in outcomes:
                state = "known to fail"
            elif all(outcome == "skipped" for outcome in outcomes):
                state = "skipped"
            else:
                state = "passed"
            tally[state].append(module)
        counts = ", ".join(f"{len(tally[s])} {s}" for s in STATES if tally[s])
        terminalreporter.write_line(f"{PLAN_NAMES[plan]}: {len(modules)} modules: {counts}")
        for state in STATES[1:]:
            if tally[state]:
                terminalreporter.write_line(f"    {state}: {' '.join(tally[state])}")


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
