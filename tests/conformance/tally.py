"""The certification plans' tally: which of each plan's modules have a test here, and how
they fared. A test stands for the module its name gives (`test_oidcc_scope_all` for
`oidcc-scope-all`, parameters aside). A test parametrised with `plan` counts for that plan
alone; one run with `response_mode=form_post` for the Form Post plan; any other for every
other plan that lists its module.

`mark` runs where the tests are collected (conftest.py here); `record` and `summarize` where
the reports arrive (tests/conftest.py), which under pytest-xdist is a controller that
collects nothing: the plans travel on each test's reports as a user property.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from .plans import PLAN_NAMES, PLANS

STATES = ("passed", "failed", "known to fail", "skipped", "without a test")
# module name -> plan -> the outcomes of the tests that stand for it there
OUTCOMES: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))


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


def mark(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/conformance/" in item.nodeid:
            item.user_properties.append(("certification_plans", sorted(plans_of(item))))


def record(report: pytest.TestReport) -> None:
    plans = dict(report.user_properties).get("certification_plans")
    if not plans:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if hasattr(report, "wasxfail"):
            outcome = "known to fail"
        else:
            outcome = "passed" if report.passed else ("skipped" if report.skipped else "failed")
        for plan in plans:
            OUTCOMES[module_name(report.nodeid.rsplit("::", 1)[-1])][plan].append(outcome)


def summarize(terminalreporter) -> None:
    if not OUTCOMES:
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
