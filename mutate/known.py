"""Outcomes already known for this tree, so that no mutant is run twice while nothing changes.

Each mutant's outcome is written, as soon as it is known, to results.json in the folder of
the coverage run it used (.mutate/coverage/<key>/, reach.py): the key is a hash of every
file of the code and the tests, so the outcomes go with that folder at the first change. A
run interrupted takes up where it stopped; runs of one file or a range each, at the same
commit, add up, and `make mutate` over every file then runs only what none of them did.

A killed mutant stays killed. A survivor is reused only by a run that would not test it
harder: the same backend, and no --widen unless it was widened too.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .operators import Mutant
from .report import KILLED, TIMEOUT

FILE = "results.json"


def key_of(mutant: Mutant) -> str:
    """The mutant by where it is, what it does and what it writes."""
    written = hashlib.sha256(mutant.replacement.encode()).hexdigest()[:12]
    (line, column), (end_line, end_column) = mutant.start, mutant.end
    return f"{mutant.path}:{line}.{column}-{end_line}.{end_column}:{mutant.operator}:{written}"


class Known:
    def __init__(self, folder: Path):
        self.path = folder / FILE
        try:
            self.outcomes: dict[str, dict] = json.loads(self.path.read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            self.outcomes = {}

    def get(self, mutant: Mutant, *, backend: str, widen: bool) -> tuple[str, str] | None:
        """(status, note) of an earlier run that settles this mutant for this one; None
        when it has to run."""
        found = self.outcomes.get(key_of(mutant))
        if found is None:
            return None
        if found["status"] in (KILLED, TIMEOUT):
            return found["status"], found["note"]
        if found["backend"] == backend and (found["widened"] or not widen):
            return found["status"], found["note"]
        return None

    def put(self, mutant: Mutant, status: str, note: str, *, backend: str, widen: bool) -> None:
        """Record an outcome at once (a later interruption keeps it): the whole file is
        written anew and moved into place, so it is never seen half written."""
        self.outcomes[key_of(mutant)] = {
            "status": status,
            "note": note,
            "backend": backend,
            "widened": widen,
        }
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(self.outcomes, indent=0, sort_keys=True), "utf-8")
        os.replace(partial, self.path)
