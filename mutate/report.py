"""The score of each file and the printed result."""

from __future__ import annotations

from dataclasses import dataclass, field

from .equivalent import Entry
from .operators import Mutant

KILLED = "killed"
TIMEOUT = "timeout"  # the tests did not finish in time: counted as killed
SURVIVED = "survived"
UNREACHED = "unreached"  # no test reaches the line: counted as survived
EQUIVALENT = "equivalent"
ERROR = "error"  # pytest could not run the tests (usage, none collected): counted as survived
NOT_RUN = "not run"  # --known-only: no run on this tree has tried it; left out of the score


@dataclass
class FileScore:
    path: str
    results: list[tuple[Mutant, str, str]] = field(default_factory=list)  # mutant, status, note
    reused: int = 0  # outcomes an earlier run on the same tree had found (known.py)

    def add(self, mutant: Mutant, status: str, note: str = "") -> None:
        self.results.append((mutant, status, note))

    def count(self, *statuses: str) -> int:
        return sum(1 for _, status, _ in self.results if status in statuses)

    @property
    def mutants(self) -> int:
        return len(self.results) - self.count(NOT_RUN)

    @property
    def killed(self) -> int:
        return self.count(KILLED, TIMEOUT)

    @property
    def equivalent(self) -> int:
        return self.count(EQUIVALENT)

    @property
    def survived(self) -> int:
        return self.mutants - self.killed - self.equivalent

    @property
    def score(self) -> float | None:
        """killed / (mutants - equivalent), None when every mutant is equivalent or none."""
        real = self.mutants - self.equivalent
        return None if real == 0 else self.killed / real

    def passes(self, threshold: float) -> bool:
        return self.score is None or self.score * 100 >= threshold - 1e-9

    def survivors(self) -> list[tuple[Mutant, str, str]]:
        return [r for r in self.results if r[1] not in (KILLED, TIMEOUT, EQUIVALENT, NOT_RUN)]


def percent(score: float | None) -> str:
    return "n/a" if score is None else f"{score * 100:.1f} %"


def summary_line(file: FileScore, threshold: float) -> str:
    verdict = "ok" if file.passes(threshold) else f"under {threshold:g} %"
    details = []
    if file.count(TIMEOUT):
        details.append(f"{file.count(TIMEOUT)} by timeout")
    reused = f" ({file.reused} known from an earlier run on this tree)" if file.reused else ""
    killed = f"{file.killed} killed" + (f" ({', '.join(details)})" if details else "")
    unreached = file.count(UNREACHED)
    survived = f"{file.survived} survived" + (
        f" ({unreached} reached by no test)" if unreached else ""
    )
    not_run = f", {file.count(NOT_RUN)} not run yet" if file.count(NOT_RUN) else ""
    return (
        f"{file.path}: {file.mutants} mutants{reused}, {killed}, {survived}, "
        f"{file.equivalent} equivalent{not_run}; score {percent(file.score)} — {verdict}"
    )


def survivor_line(mutant: Mutant, status: str, note: str) -> str:
    label = {SURVIVED: "survived", UNREACHED: "no test", ERROR: "error"}[status]
    tail = f"  ({note})" if note else ""
    return f"  {label:8} {mutant.path}:{mutant.line}  {mutant.operator:12} {mutant.mutated}{tail}"


def render(files: list[FileScore], stale: list[Entry], threshold: float) -> list[str]:
    lines = []
    for file in files:
        lines.append(summary_line(file, threshold))
        lines.extend(survivor_line(*result) for result in file.survivors())
    for entry in stale:
        lines.append(
            f"stale equivalent entry: {entry.file}:{entry.line} {entry.operator} "
            f"{entry.mutated!r} matches no mutant"
        )
    return lines
