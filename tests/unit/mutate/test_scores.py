"""mutate/report.py and equivalent.py: the score, and the list of equivalent mutants."""

from __future__ import annotations

import pytest

from mutate import report
from mutate.equivalent import ListError, load, match
from mutate.operators import mutants
from mutate.reach import backend_of

SOURCE = "def f(a, b):\n    if a == b:\n        return a == b\n    return a == b\n"


def scored(*statuses: str) -> report.FileScore:
    file = report.FileScore("f.py")
    found = mutants("f.py", SOURCE)
    for number, status in enumerate(statuses):
        file.add(found[number % len(found)], status)
    return file


def test_score_is_killed_over_mutants_less_equivalent():
    file = scored(
        report.KILLED,
        report.TIMEOUT,
        report.SURVIVED,
        report.UNREACHED,
        report.EQUIVALENT,
        report.ERROR,
        report.KILLED,
    )
    assert (file.mutants, file.killed, file.equivalent, file.survived) == (7, 3, 1, 3)
    assert file.score == pytest.approx(3 / 6)
    assert not file.passes(95)
    assert file.passes(50)
    assert [status for _, status, _ in file.survivors()] == [
        report.SURVIVED,
        report.UNREACHED,
        report.ERROR,
    ]


def test_mutants_not_run_yet_are_left_out_of_the_score_and_said_apart():
    """--known-only: the table of a run cut short scores only what was run."""
    file = scored(report.KILLED, report.NOT_RUN, report.SURVIVED, report.NOT_RUN)
    assert (file.mutants, file.killed, file.survived) == (2, 1, 1)
    assert file.score == pytest.approx(1 / 2)
    assert [status for _, status, _ in file.survivors()] == [report.SURVIVED]
    assert "2 mutants, 1 killed, 1 survived, 0 equivalent, 2 not run yet;" in (
        report.summary_line(file, 95)
    )


def test_a_file_of_equivalent_mutants_only_has_no_score_and_passes():
    file = scored(report.EQUIVALENT, report.EQUIVALENT)
    assert file.score is None
    assert file.passes(95)
    assert "score n/a" in report.summary_line(file, 95)


def test_threshold_is_inclusive():
    file = report.FileScore("f.py")
    mutant = mutants("f.py", SOURCE)[0]
    for _ in range(19):
        file.add(mutant, report.KILLED)
    file.add(mutant, report.SURVIVED)
    assert file.score == pytest.approx(0.95)
    assert file.passes(95)
    assert not file.passes(95.5)


def test_the_printed_result_names_file_line_operator_and_mutated_line():
    file = scored(report.KILLED, report.SURVIVED)
    lines = report.render([file], [], 95)
    assert lines[0] == (
        "f.py: 2 mutants, 1 killed, 1 survived, 0 equivalent; score 50.0 % — under 95 %"
    )
    survivor = file.survivors()[0][0]
    assert lines[1].split()[:3] == ["survived", f"f.py:{survivor.line}", survivor.operator]
    assert lines[1].endswith(survivor.mutated)


def write_list(tmp_path, body: str):
    path = tmp_path / "equivalent.toml"
    path.write_text(body, encoding="utf-8")
    return load(path)


def test_listed_mutants_match_by_file_operator_and_text_and_the_line_decides(tmp_path):
    entries = write_list(
        tmp_path,
        """
        [[mutant]]
        file = "f.py"
        line = 4
        operator = "compare"
        mutated = "return  a != b"
        why = "both branches return the same"

        [[mutant]]
        file = "f.py"
        line = 9
        operator = "negate"
        mutated = "if not (a == b):"
        why = "moved, still the same mutant"

        [[mutant]]
        file = "f.py"
        line = 2
        operator = "compare"
        mutated = "if a is b:"
        why = "no such mutant any more"

        [[mutant]]
        file = "other.py"
        line = 1
        operator = "compare"
        mutated = "x"
        why = "a file not mutated in this run is not judged"
        """,
    )
    found = mutants("f.py", SOURCE)
    matched, stale = match(entries, found)
    assert sorted((m.line, m.operator) for m in matched) == [(2, "negate"), (4, "compare")]
    assert [e.mutated for e in stale] == ["if a is b:"]


def test_an_entry_without_a_reason_is_refused(tmp_path):
    with pytest.raises(ListError, match="gives no reason"):
        write_list(
            tmp_path,
            '[[mutant]]\nfile = "f.py"\nline = 2\noperator = "compare"\n'
            'mutated = "if a != b:"\nwhy = " "\n',
        )
    with pytest.raises(ListError, match="lacks why"):
        write_list(
            tmp_path,
            '[[mutant]]\nfile = "f.py"\nline = 2\noperator = "compare"\nmutated = "x"\n',
        )


@pytest.mark.parametrize(
    ("nodeid", "backend"),
    [
        ("tests/integration/test_sign_in.py::test_logout[sqlite]", "sqlite"),
        ("tests/integration/test_sign_in.py::test_refusals[postgresql-short-8]", "postgresql"),
        ("tests/unit/domain/test_passwords.py::test_policy_accepts[Tr0ub4dor&3x]", ""),
        ("tests/unit/domain/test_passwords.py::test_verify", ""),
    ],
)
def test_the_database_of_a_test_comes_from_its_parameters(nodeid, backend):
    assert backend_of(nodeid) == backend
