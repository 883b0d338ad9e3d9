"""mutate/__main__.py: which tests a mutant runs, and which of a file's mutants run."""

from __future__ import annotations

from pathlib import Path

from mutate.__main__ import ROOT, choose_tests, parse_target, run_time_lines
from mutate.operators import mutants
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


def test_a_function_body_no_test_was_seen_running_is_tried_with_the_files_tests():
    """A helper only the module's import calls (grants.py builds its statements so) ran
    before measuring began: coverage credits it to no test."""
    from mutate.__main__ import covering

    source = (
        "def helper(x):\n"  # 1: called only at import
        "    return x + 1\n"  # 2
        "VALUE = helper(1) == 2\n"  # 3
        "def used(y):\n"  # 4
        "    return y - 1\n"  # 5
    )
    found = {m.line: m for m in mutants("m.py", source)}
    called = run_time_lines(source)
    by_line = {3: set(), 5: {"tests/t.py::test_used"}, 1: {"tests/t.py::test_import"}}
    assert covering(found[5], by_line, called) == ({"tests/t.py::test_used"}, False)
    tests, never_seen = covering(found[2], by_line, called)
    assert never_seen and tests == {"tests/t.py::test_used", "tests/t.py::test_import"}
    # A module statement that ran only at import still gets the file's tests; one that
    # coverage never saw at all (a file no test imports) gets none.
    assert covering(found[3], by_line, called)[0] == tests
    assert covering(found[3], {}, called) == (set(), False)
