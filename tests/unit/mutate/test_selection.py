"""mutate/__main__.py: which tests a mutant runs, and which of a file's mutants run."""

from __future__ import annotations

from pathlib import Path

from mutate.__main__ import ROOT, choose_tests, parse_target, run_time_lines
from mutate.reach import Reach

SQLITE = "tests/integration/test_token_paths.py::test_rotation[sqlite]"
POSTGRESQL = "tests/integration/test_token_paths.py::test_rotation[postgresql]"
UNIT = "tests/unit/domain/test_passwords.py::test_verify"
SLOW_SQLITE = "tests/integration/test_code_flow.py::test_full_flow[sqlite-email]"


def reach(**durations: float) -> Reach:
    tests = {
        name: {"duration": seconds, "outcome": "passed"} for name, seconds in durations.items()
    }
    return Reach(Path("."), ROOT, tests, data=None)


DURATIONS = reach(**{SQLITE: 0.5, POSTGRESQL: 0.4, UNIT: 0.01, SLOW_SQLITE: 3.0})


def test_auto_runs_the_sqlite_tests_fastest_first_and_leaves_postgresql_out():
    covering = {SQLITE, POSTGRESQL, UNIT, SLOW_SQLITE}
    assert choose_tests(covering, "auto", DURATIONS, set()) == [UNIT, SQLITE, SLOW_SQLITE]


def test_auto_runs_postgresql_tests_where_only_they_reach_the_line():
    assert choose_tests({POSTGRESQL}, "auto", DURATIONS, set()) == [POSTGRESQL]


def test_both_runs_every_test_and_failing_tests_are_left_out():
    covering = {SQLITE, POSTGRESQL, UNIT}
    assert choose_tests(covering, "both", DURATIONS, set()) == [UNIT, POSTGRESQL, SQLITE]
    assert choose_tests(covering, "both", DURATIONS, {POSTGRESQL}) == [UNIT, SQLITE]


def test_a_target_may_name_a_line_range():
    assert parse_target("server/domain/grants.py") == ("server/domain/grants.py", None)
    assert parse_target("server/domain/grants.py:270-290") == (
        "server/domain/grants.py",
        range(270, 291),
    )
    assert parse_target(str(ROOT / "server/domain/grants.py") + ":281") == (
        "server/domain/grants.py",
        range(281, 282),
    )


def test_lines_that_run_at_import_are_told_from_lines_that_run_when_called():
    source = (
        "import dataclasses\n"  # 1
        "@dataclasses.dataclass(frozen=True)\n"  # 2
        "class Row:\n"  # 3
        "    x: int = 1\n"  # 4
        "    def double(self):\n"  # 5
        "        return self.x * 2\n"  # 6
        "QUERY = 'a' == 'b'\n"  # 7
        "def f(a=1 > 0):\n"  # 8
        "    if a:\n"  # 9
        "        return (lambda b:\n"  # 10
        "            b + 1)\n"  # 11
        "HOOK = lambda: 3\n"  # 12
    )
    assert run_time_lines(source) == {6, 9, 10, 11, 12}
