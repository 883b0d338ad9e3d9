"""mutate/contexts.py: a line belongs to the test that ran, whichever thread or process ran it.

The live server answers in a thread of the pytest process, and some tests start `passport`
subprocesses; a mutant of a line only they run must still find its test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mutate.reach import combine, coverage_rc

ROOT = Path(__file__).resolve().parents[3]

TARGET = """\
def in_a_thread():
    return "thread"


def in_the_test():
    return "test"


def in_a_subprocess():
    return "subprocess"
"""

TESTS = """\
import subprocess
import sys
import threading

import target


def test_served_by_a_thread():
    thread = threading.Thread(target=target.in_a_thread)
    thread.start()
    thread.join()


def test_direct():
    assert target.in_the_test() == "test"


def test_through_a_subprocess():
    subprocess.run(
        [sys.executable, "-c", "import target; target.in_a_subprocess()"], check=True
    )


def test_that_fails():
    assert target.in_the_test() == "other"
"""


def test_lines_run_by_a_thread_or_a_subprocess_are_the_running_tests(tmp_path):
    (tmp_path / "target.py").write_text(TARGET)
    (tmp_path / "test_target.py").write_text(TESTS)
    folder = tmp_path / "cache"
    folder.mkdir()
    rc = coverage_rc(folder, str(tmp_path / "target.py"))
    env = dict(os.environ, MUTATE_COVERAGE_RC=str(rc), PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path}")
    ended = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "mutate.contexts", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert ended.returncode == 1, ended.stdout + ended.stderr  # test_that_fails

    by_line = combine(folder, rc).contexts_by_lineno(str(tmp_path / "target.py"))
    assert set(by_line[2]) == {"test_target.py::test_served_by_a_thread"}
    assert set(by_line[6]) == {"test_target.py::test_direct", "test_target.py::test_that_fails"}
    assert set(by_line[10]) == {"test_target.py::test_through_a_subprocess"}

    outcomes = json.loads((folder / "tests.json").read_text())
    assert outcomes["test_target.py::test_that_fails"]["outcome"] == "failed"
    assert outcomes["test_target.py::test_direct"]["outcome"] == "passed"
