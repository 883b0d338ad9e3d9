"""mutate/known.py: outcomes kept for the tree they were found on, reused only where they
settle the question for the run asking."""

from __future__ import annotations

import json

from mutate import report
from mutate.known import Known, key_of
from mutate.operators import mutants

SOURCE = "def f(a, b):\n    if a == b:\n        return a == b\n    return a + b\n"


def test_a_killed_mutant_is_known_to_any_later_run(tmp_path):
    first, *_ = mutants("f.py", SOURCE)
    Known(tmp_path).put(first, report.KILLED, "", backend="sqlite", widen=False)
    again = Known(tmp_path)  # another process, reading the file
    for backend in ("sqlite", "auto", "both"):
        for widen in (False, True):
            assert again.get(first, backend=backend, widen=widen) == (report.KILLED, "")


def test_a_survivor_is_reused_only_by_a_run_that_would_not_test_it_harder(tmp_path):
    first, *_ = mutants("f.py", SOURCE)
    known = Known(tmp_path)
    known.put(first, report.SURVIVED, "", backend="sqlite", widen=False)
    assert known.get(first, backend="sqlite", widen=False) == (report.SURVIVED, "")
    assert known.get(first, backend="sqlite", widen=True) is None
    assert known.get(first, backend="auto", widen=False) is None
    known.put(first, report.SURVIVED, "", backend="auto", widen=True)
    assert known.get(first, backend="auto", widen=False) == (report.SURVIVED, "")
    assert known.get(first, backend="auto", widen=True) == (report.SURVIVED, "")


def test_mutants_are_told_apart_by_place_operator_and_text(tmp_path):
    found = mutants("f.py", SOURCE)
    assert len({key_of(m) for m in found}) == len(found) > 3
    known = Known(tmp_path)
    known.put(found[0], report.KILLED, "", backend="sqlite", widen=False)
    assert all(known.get(m, backend="sqlite", widen=False) is None for m in found[1:])


def test_a_damaged_file_is_no_knowledge(tmp_path):
    first, *_ = mutants("f.py", SOURCE)
    (tmp_path / "results.json").write_text("{not json", "utf-8")
    known = Known(tmp_path)
    assert known.get(first, backend="sqlite", widen=False) is None
    known.put(first, report.KILLED, "by timeout", backend="sqlite", widen=False)
    assert json.loads((tmp_path / "results.json").read_text("utf-8"))[key_of(first)]["note"]
    assert not list(tmp_path.glob("*.partial"))


class Reached:
    """What a coverage run answers, for a file every line of which one test reaches."""

    def __init__(self, folder, lines: int):
        self.folder = folder
        self._by_line = {line: {"tests/t.py::test"} for line in range(1, lines + 1)}

    def by_line(self, path):
        return self._by_line

    def duration(self, nodeid):
        return 0.0


def test_a_second_run_on_the_same_tree_runs_no_mutant_again(tmp_path):
    """Run.file with the expensive part, a pytest process per mutant, counted instead."""
    from mutate.__main__ import ROOT, Run, parse_args

    path = "server/domain/passwords.py"
    lines = len((ROOT / path).read_text("utf-8").splitlines())

    class Counting(Run):
        ran = 0

        def test_one(self, mutant, tests, reached):
            Counting.ran += 1
            from mutate.runner import Outcome

            return Outcome(report.KILLED if mutant.line % 2 else report.SURVIVED)

    args = parse_args(["--backend", "sqlite", "--max", "6", path])
    first, _ = Counting(args, checkout=None).file(path, None, Reached(tmp_path, lines), set())
    ran = Counting.ran
    assert ran == first.mutants - first.equivalent > 0 and first.reused == 0
    again, _ = Counting(args, checkout=None).file(path, None, Reached(tmp_path, lines), set())
    assert Counting.ran == ran and again.reused == ran
    assert [r[1] for r in again.results] == [r[1] for r in first.results]
    fresh = parse_args(["--backend", "sqlite", "--max", "6", "--fresh", path])
    Counting(fresh, checkout=None).file(path, None, Reached(tmp_path, lines), set())
    assert Counting.ran == 2 * ran
