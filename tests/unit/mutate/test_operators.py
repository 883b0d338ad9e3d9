"""mutate/operators.py: mutants keep every line where it was and are valid Python."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mutate.operators import OPERATORS, mutants
from mutate.targets import TARGETS

ROOT = Path(__file__).resolve().parents[3]

SAMPLE = '''\
def check(a, b, items, flag=True):
    """A docstring."""
    if a == b and a is not None:
        notify(
            a,
            b,
        )
    while a < b or b in items:
        a += 1
    label = "é" if a >= b else "ü"; same = a != b
    assert not flag
    return (
        a
        - b
    )


def compound(x):
    if x:
        return x


def simple(x):
    y = x + 1
    return y is None
'''


def by_operator(found, operator):
    return [m for m in found if m.operator == operator]


def assert_only_its_lines_change(text: str, mutant) -> None:
    mutated = mutant.apply(text)
    ast.parse(mutated)
    before, after = text.splitlines(), mutated.splitlines()
    assert len(after) == len(before), mutant
    changed = {n for n, (old, new) in enumerate(zip(before, after, strict=True), 1) if old != new}
    assert changed <= set(mutant.lines), mutant


def test_every_operator_is_made():
    found = mutants("sample.py", SAMPLE)
    assert {m.operator for m in found} == set(OPERATORS)
    for mutant in found:
        assert_only_its_lines_change(SAMPLE, mutant)


@pytest.mark.parametrize("path", TARGETS)
def test_the_security_modules_give_valid_mutants_on_their_own_lines(path):
    text = (ROOT / path).read_text("utf-8")
    found = mutants(path, text)
    assert found
    for mutant in found:
        assert_only_its_lines_change(text, mutant)


def test_comparisons_flip_each_way():
    found = by_operator(mutants("sample.py", SAMPLE), "compare")
    assert [(m.line, m.mutated) for m in found] == [
        (3, "if a != b and a is not None:"),
        (3, "if a == b and a is None:"),
        (8, "while a <= b or b in items:"),
        (8, "while a < b or b not in items:"),
        (10, 'label = "é" if a > b else "ü"; same = a != b'),
        (10, 'label = "é" if a >= b else "ü"; same = a == b'),
        (25, "return y is not None"),
    ]


def test_columns_after_non_ascii_text_are_characters_not_bytes():
    (mutant,) = [m for m in mutants("sample.py", SAMPLE) if m.mutated.endswith("same = a == b")]
    assert mutant.start == (10, 45)  # 47 in UTF-8 bytes, as the AST counts
    assert (
        mutant.apply(SAMPLE).splitlines()[9] == '    label = "é" if a >= b else "ü"; same = a == b'
    )


def test_conditions_are_negated_and_boolean_operators_swapped():
    found = mutants("sample.py", SAMPLE)
    assert [m.mutated for m in by_operator(found, "negate")] == [
        "if not (a == b and a is not None):",
        "while not (a < b or b in items):",
        'label = "é" if not (a >= b) else "ü"; same = a != b',
        "assert not (not flag)",
        "if not (x):",
    ]
    assert [m.mutated for m in by_operator(found, "and-or")] == [
        "if a == b or a is not None:",
        "while a < b and b in items:",
    ]


def test_a_dropped_call_over_several_lines_keeps_them_as_blank_lines():
    (dropped,) = by_operator(mutants("sample.py", SAMPLE), "drop-call")
    assert dropped.lines == range(4, 8)
    lines = dropped.apply(SAMPLE).splitlines()
    assert lines[3] == "        pass"
    assert lines[4:7] == ["", "", ""]
    assert lines[7] == "    while a < b or b in items:"


def test_returned_values_become_none_and_booleans_swap():
    found = mutants("sample.py", SAMPLE)
    returns = by_operator(found, "return-none")
    assert [(m.line, m.mutated) for m in returns] == [
        (13, "None"),
        (20, "return None"),
        (25, "return None"),
    ]
    assert [m.mutated for m in by_operator(found, "true-false")] == [
        "def check(a, b, items, flag=False):"
    ]


def test_plus_and_minus_swap_in_expressions_and_augmented_assignments():
    found = by_operator(mutants("sample.py", SAMPLE), "plus-minus")
    assert [(m.line, m.mutated) for m in found] == [(9, "a -= 1"), (14, "+ b"), (24, "y = x - 1")]


def test_early_return_goes_after_the_docstring_or_before_a_simple_first_statement():
    found = by_operator(mutants("sample.py", SAMPLE), "early-return")
    assert [(m.line, m.mutated) for m in found] == [
        (2, '"""A docstring."""; return None'),
        (24, "return None; y = x + 1"),
    ]  # compound() opens with an if and has no docstring: no line to put it on
    # coverage never marks a docstring as run: the tests are those of the next statement
    assert [m.covered_by for m in found] == [range(3, 4), range(24, 25)]
    namespace: dict = {}
    exec(compile(found[1].apply(SAMPLE), "sample.py", "exec"), namespace)
    assert namespace["simple"](1) is None


def test_type_checking_blocks_and_annotations_are_left_alone():
    text = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    import os\n"
        "def f(x: bool = True) -> bool:\n"
        "    y: bool = x\n"
        "    return y\n"
    )
    found = mutants("t.py", text)
    assert sorted((m.line, m.operator) for m in found) == [
        (4, "true-false"),
        (5, "early-return"),
        (6, "return-none"),
    ]
