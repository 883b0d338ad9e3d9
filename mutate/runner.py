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


def run(root: Path, tests: list[str], timeout: float, marker: Path) -> Outcome:
    """Run the tests against the checkout as it is now (the mutant written in it).

    The process leads its own group: on timeout or interrupt the whole group ends, the
    `passport` subprocesses its tests started too, and nothing else. The group's id is in
    `marker` while it runs, for end_leftover() after a run that was killed outright.
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
    marker.write_text(str(process.pid), encoding="utf-8")
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        return Outcome(report.TIMEOUT, f"over {timeout:.0f} s")
    finally:
        end_group(process)  # on timeout, interrupt, and servers a failing test left behind
        marker.unlink(missing_ok=True)
    code = process.returncode
    if code == 1:
        return Outcome(report.KILLED)
    if code == 0:
        return Outcome(report.SURVIVED)
    if code in (2, 3):
        # Collection or internal errors: the mutant broke an import or a fixture.
        return Outcome(report.KILLED, f"pytest exit {code}")
    text = output.decode("utf-8", "replace")
    if code == 4 and "while loading conftest" in text:
        # The conftest imports the server, and the mutant broke that import: the same
        # tests collected without it (the coverage run), so nothing can run with it.
        return Outcome(report.KILLED, "the conftest no longer imports")
    last = text.strip().splitlines()[-1:] or [""]
    return Outcome(report.ERROR, f"pytest exit {code}: {last[0][:120]}")


def end_group(process: subprocess.Popen) -> None:
    """SIGTERM to the group, SIGKILL to whatever of it is left ten seconds later."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


def end_leftover(marker: Path) -> list[int]:
    """End the test processes a killed run left running; returns their ids.

    Only processes of the recorded group that are pytest or `passport` are ended: the id
    may have been given to someone else's process since.
    """
    if not marker.exists():
        return []
    group = int(marker.read_text("utf-8"))
    ended = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        in_group = int(stat.rsplit(")", 1)[1].split()[2]) == group
        if in_group and (b"pytest" in command or b"passport" in command):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)
                ended.append(int(entry.name))
    marker.unlink()
    return ended
