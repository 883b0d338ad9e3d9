"""One mutant's tests: a fresh pytest process, fastest test first, stopping at the first failure."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import report


@dataclass
class Outcome:
    status: str  # report.KILLED, TIMEOUT, SURVIVED or ERROR
    note: str = ""


def pytest_argv(tests: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "--no-header",
        "--tb=no",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        *tests,
    ]


def run(root: Path, tests: list[str], timeout: float) -> Outcome:
    """Run the tests against the checkout as it is now (the mutant written in it).

    The process leads its own group: on timeout or interrupt the whole group ends, the
    `passport` subprocesses its tests started too, and nothing else.
    """
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("COVERAGE_PROCESS_CONFIG", None)
    process = subprocess.Popen(
        pytest_argv(tests),
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end_group(process)
        return Outcome(report.TIMEOUT, f"over {timeout:.0f} s")
    except BaseException:
        _end_group(process)
        raise
    _end_group(process)  # servers a failing test left behind
    code = process.returncode
    if code == 1:
        return Outcome(report.KILLED)
    if code == 0:
        return Outcome(report.SURVIVED)
    if code in (2, 3):
        # Collection or internal errors: the mutant broke an import or a fixture.
        return Outcome(report.KILLED, f"pytest exit {code}")
    last = output.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return Outcome(report.ERROR, f"pytest exit {code}: {last[0][:120]}")


def _end_group(process: subprocess.Popen) -> None:
    """SIGTERM to the group, SIGKILL to whatever of it is left ten seconds later."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
