"""mutate/equivalent.toml: the mutants that cannot be told from the original, and why.

    [[mutant]]
    file = "server/domain/passwords.py"
    line = 23
    operator = "compare"
    mutated = "if hasher is not None:"
    why = "the hasher is made on every call instead of once: same hashes, only slower"

An entry matches the mutant of the same file and operator whose mutated text (the mutated
line, whitespace collapsed, as the report prints it) is `mutated`. The line is there for
the reader, and it decides when the same text comes out of several lines. An entry that
matches no mutant of the files being mutated is stale: the code moved on, and the entry
should go or be rewritten.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .operators import Mutant, collapse


@dataclass(frozen=True)
class Entry:
    file: str
    line: int
    operator: str
    mutated: str
    why: str


class ListError(Exception):
    pass


def load(path: Path) -> list[Entry]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text("utf-8"))
    entries = []
    for number, item in enumerate(data.get("mutant", []), start=1):
        missing = {"file", "line", "operator", "mutated", "why"} - set(item)
        if missing:
            raise ListError(f"{path.name}: entry {number} lacks {', '.join(sorted(missing))}")
        if not str(item["why"]).strip():
            raise ListError(f"{path.name}: entry {number} gives no reason")
        entries.append(
            Entry(
                item["file"],
                int(item["line"]),
                item["operator"],
                collapse(item["mutated"]),
                item["why"].strip(),
            )
        )
    return entries


def match(entries: list[Entry], mutants: list[Mutant]) -> tuple[dict[Mutant, Entry], list[Entry]]:
    """Which mutants are listed as equivalent, and the stale entries.

    Only entries for the files among `mutants` are considered for staleness.
    """
    files = {m.path for m in mutants}
    matched: dict[Mutant, Entry] = {}
    stale = []
    for entry in entries:
        if entry.file not in files:
            continue
        candidates = [
            m
            for m in mutants
            if m.path == entry.file
            and m.operator == entry.operator
            and m.mutated == entry.mutated
            and m not in matched
        ]
        if not candidates:
            stale.append(entry)
            continue
        chosen = min(candidates, key=lambda m: abs(m.line - entry.line))
        matched[chosen] = entry
    return matched, stale
