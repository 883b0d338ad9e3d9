"""The pytest plugin of the coverage run: which test executed which line.

Loaded as `python -m pytest -p mutate.contexts` with MUTATE_COVERAGE_RC naming the coverage
configuration that mutate/reach.py writes. Coverage starts when the plugin is imported,
before the conftests import `server`, and the context is switched to the test's node id at
each test's setup. Coverage's collector keeps one current context for all threads, so lines
run by the live server's thread while a test talks to it are the test's too. `passport`
subprocesses a test starts are measured through coverage's `patch = subprocess`, their
static context set to the test's node id through the configuration they inherit.

Each test's outcome and duration go to MUTATE_COVERAGE_RC's folder as tests.json.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import coverage
import pytest

_RC = os.environ.get("MUTATE_COVERAGE_RC")
_cov = coverage.Coverage(config_file=_RC) if _RC else None
if _cov is not None:
    _cov.start()

_tests: dict[str, dict] = {}


def _switch(nodeid: str) -> None:
    _cov.switch_context(nodeid)
    # Subprocesses started from now on record under this test's id.
    _cov.config.context = nodeid
    os.environ["COVERAGE_PROCESS_CONFIG"] = _cov.config.serialize()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _cov is not None:
        _switch(item.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = _tests.setdefault(report.nodeid, {"duration": 0.0, "outcome": "passed"})
    entry["duration"] += report.duration
    if report.failed:
        entry["outcome"] = "failed"
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _cov is None:
        return
    _cov.switch_context("")
    _cov.stop()
    _cov.save()
    (Path(_RC).parent / "tests.json").write_text(json.dumps(_tests), encoding="utf-8")
