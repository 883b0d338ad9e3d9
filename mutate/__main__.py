"""`make mutate`: mutation testing of the modules that hold Passport's security rules.

Each mutant (see operators.py) is written into the file in this checkout, the tests that
reach its lines in one cached coverage run (reach.py) run against it in a fresh pytest
process, fastest first, stopping at the first failure, and the file is restored. A
mutant is killed when a test fails or the tests outlast the timeout; it survives when they
all pass. Per file: mutants, killed, survived, equivalent (mutate/equivalent.toml) and the
score killed / (mutants - equivalent), then every survivor with file:line, the operator and
the mutated line. The exit status is 1 when a file scores under the threshold.

Everything runs on 127.0.0.1 and ends by itself; one mutant at a time, since a mutant is a
change to this checkout that every test process sees.

    python -m mutate [FILE ...] [--max N] [--backend auto|sqlite|both] [--threshold 95]
"""

from __future__ import annotations

import argparse
import ast
import random
import shlex
import sys
import time
from pathlib import Path

from . import equivalent, inplace, known, operators, reach, report, runner
from .targets import TARGETS

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".mutate"
EQUIVALENT = Path(__file__).resolve().parent / "equivalent.toml"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mutate", description=__doc__.splitlines()[0])
    parser.add_argument(
        "files",
        nargs="*",
        default=TARGETS,
        metavar="FILE[:START-END]",
        help="default: the security modules; a line range keeps the mutants that start in it",
    )
    parser.add_argument(
        "--max", type=int, default=0, help="at most N mutants per file, a seeded sample (0: all)"
    )
    parser.add_argument("--seed", type=int, default=0, help="of the --max sample")
    parser.add_argument(
        "--operator", action="append", choices=operators.OPERATORS, help="only these (repeatable)"
    )
    parser.add_argument(
        "--backend",
        choices=["auto", "sqlite", "both"],
        default="auto",
        help="auto: the coverage run on both databases, a mutant's SQLite tests, and its "
        "PostgreSQL tests only where no other test reaches its lines; sqlite: SQLite only; "
        "both: every test that reaches the lines",
    )
    parser.add_argument("--threshold", type=float, default=95.0, help="per file, in percent")
    parser.add_argument(
        "--timeout-factor",
        type=float,
        default=3.0,
        help="× the tests' own time in the coverage run",
    )
    parser.add_argument(
        "--timeout-min", type=float, default=60.0, help="seconds added to every mutant's timeout"
    )
    parser.add_argument(
        "--tests",
        type=shlex.split,
        default=[],
        metavar="'PYTEST ARGS'",
        help="limit the coverage run (and so every mutant) to these pytest arguments, "
        "e.g. 'tests/integration/test_token_paths.py -k rotation'",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="run every mutant again, even those whose outcome an earlier run on this same "
        "tree already knows (mutate/known.py)",
    )
    parser.add_argument(
        "--known-only",
        action="store_true",
        help="run nothing: the table of what earlier runs on this same tree found, the "
        "mutants none of them tried counted apart (a run cut short, or runs of several files "
        "in parallel checkouts whose results were merged)",
    )
    parser.add_argument(
        "--widen",
        action="store_true",
        help="give a survivor a second run with every test that reaches its file (catches "
        "lines that only run once per process, behind a cache)",
    )
    return parser.parse_args(argv)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_target(text: str) -> tuple[str, range | None]:
    """`server/x.py` or `server/x.py:120-140` (or `:120`): the file relative to the checkout."""
    name, _, span = text.partition(":")
    path = str(Path(name).resolve().relative_to(ROOT))
    if not span:
        return path, None
    first, _, last = span.partition("-")
    return path, range(int(first), int(last or first) + 1)


def choose_tests(
    covering: set[str], backend: str, reached: reach.Reach, excluded: set[str]
) -> list[str]:
    """The tests to run for lines reached by `covering`, fastest first."""
    usable = {t for t in covering if t not in excluded}
    if backend == "auto":
        preferred = {t for t in usable if reach.backend_of(t) != "postgresql"}
        usable = preferred or usable
    return sorted(usable, key=lambda t: (reached.duration(t), t))


def run_time_lines(source: str) -> set[int]:
    """The lines inside function bodies: what runs when called. Every other line (a module's
    or a class's statements, decorators, default values) runs once, at import, and coverage
    credits it to whichever test imported the module first, not to the tests that depend on
    it: a mutant there is tested with every test that reaches the file."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            body = node.body if isinstance(node.body, list) else [node.body]
            lines.update(range(body[0].lineno, (body[-1].end_lineno or body[-1].lineno) + 1))
    return lines


def covering(
    mutant: operators.Mutant, by_line: dict[int, set[str]], called: set[int]
) -> tuple[set[str], bool]:
    """The tests that may kill `mutant`, and whether coverage never saw its lines run.

    A line in a function body belongs to the tests coverage saw running it. A line that
    runs at import belongs to every test of the file (run_time_lines). So does a function
    body no test was seen running: it may be a helper only the module's own import calls,
    before measuring began (grants.py builds its statements so); if the file's tests all
    pass, it is reported as reached by no test."""
    in_file = set().union(*by_line.values()) if by_line else set()
    seen = set().union(*(by_line.get(line, set()) for line in mutant.covered_by))
    if mutant.line not in called:
        ran = any(line in by_line for line in mutant.covered_by)  # in a test, or at import
        return (in_file if ran else set()), False
    if seen:
        return seen, False
    return in_file, True


def sample(found: list[operators.Mutant], limit: int, seed: int) -> list[operators.Mutant]:
    if not limit or len(found) <= limit:
        return found
    chosen = random.Random(seed).sample(found, limit)
    return sorted(chosen, key=lambda m: (m.start, m.end, m.operator))


class Run:
    def __init__(self, args: argparse.Namespace, checkout: inplace.Checkout):
        self.args = args
        self.checkout = checkout
        self.listed = equivalent.load(EQUIVALENT)

    def wanted(self, mutant: operators.Mutant, lines: range | None) -> bool:
        operator = not self.args.operator or mutant.operator in self.args.operator
        return operator and (lines is None or mutant.line in lines)

    def test_one(
        self, mutant: operators.Mutant, tests: list[str], reached: reach.Reach
    ) -> runner.Outcome:
        own_time = sum(reached.duration(t) for t in tests)
        timeout = self.args.timeout_min + self.args.timeout_factor * own_time
        text = mutant.apply((ROOT / mutant.path).read_text("utf-8"))
        with self.checkout.mutated(mutant.path, text):
            return runner.run(ROOT, tests, timeout, CACHE / "pytest.pid")

    def file(
        self, path: str, lines: range | None, reached: reach.Reach, excluded: set[str]
    ) -> tuple[report.FileScore, list[equivalent.Entry]]:
        every = operators.mutants(path, (ROOT / path).read_text("utf-8"))
        # Staleness is judged against every mutant, whatever this run leaves out.
        listed, stale = equivalent.match(self.listed, every)
        wanted = [m for m in every if self.wanted(m, lines)]
        chosen = sample(wanted, self.args.max, self.args.seed)
        by_line = reached.by_line(path)
        in_file = set().union(*by_line.values()) if by_line else set()
        called = run_time_lines((ROOT / path).read_text("utf-8"))
        score = report.FileScore(path)
        outcomes = known.Known(reached.folder)
        settings = {"backend": self.args.backend, "widen": self.args.widen}
        for number, mutant in enumerate(chosen, start=1):
            if mutant in listed:
                score.add(mutant, report.EQUIVALENT, listed[mutant].why)
                continue
            earlier = None if self.args.fresh else outcomes.get(mutant, **settings)
            if earlier is not None:
                score.add(mutant, *earlier)
                score.reused += 1
                continue
            if self.args.known_only:
                score.add(mutant, report.NOT_RUN)
                continue
            reaching, never_seen = covering(mutant, by_line, called)
            tests = choose_tests(reaching, self.args.backend, reached, excluded)
            if not tests:
                score.add(mutant, report.UNREACHED)
                progress(f"{path} {number}/{len(chosen)} line {mutant.line}: no test reaches it")
                continue
            outcome = self.test_one(mutant, tests, reached)
            ran = f"{len(tests)} tests"
            if {reach.backend_of(t) for t in tests} == {"postgresql"}:
                ran += ", PostgreSQL"
            if outcome.status == report.SURVIVED and never_seen:
                outcome.status = report.UNREACHED  # the file's tests, none of them fails
            if outcome.status == report.SURVIVED and self.args.widen:
                wider = choose_tests(in_file, self.args.backend, reached, excluded)
                if set(wider) - set(tests):
                    outcome = self.test_one(mutant, wider, reached)
                    ran += f", then the file's {len(wider)}"
                    if outcome.status != report.SURVIVED:
                        outcome.note = "killed only by the wider run"
            score.add(mutant, outcome.status, outcome.note)
            outcomes.put(mutant, outcome.status, outcome.note, **settings)
            progress(
                f"{path} {number}/{len(chosen)} line {mutant.line} {mutant.operator}: "
                f"{outcome.status} ({ran})"
            )
        return score, stale


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    checkout = inplace.Checkout(ROOT, CACHE / "backup")
    with inplace.signals_unwind():
        try:
            for pid in runner.end_leftover(CACHE / "pytest.pid"):
                progress(f"ended test process {pid}, left running by an interrupted run")
            restored = checkout.restore_leftovers()
            for path in restored:
                progress(f"restored {path}, left mutated by an interrupted run")
            targets = [parse_target(text) for text in args.files]
            checkout.refuse_changed([path for path, _ in targets])
            run = Run(args, checkout)
            started = time.perf_counter()
            reached, took = reach.run_or_load(ROOT, CACHE, args.backend, args.tests, progress)
            progress(
                f"coverage run took {took:.0f} s"
                if took is not None
                else f"coverage run reused from {reached.folder.relative_to(ROOT)}"
            )
            excluded = set(reached.failed())
            for test in sorted(excluded):
                progress(f"left out, it fails without any mutant: {test}")
            scores, stale = [], []
            for path, lines in targets:
                score, stale_here = run.file(path, lines, reached, excluded)
                scores.append(score)
                stale.extend(stale_here)
            lines = report.render(scores, list(dict.fromkeys(stale)), args.threshold)
            print("\n".join(lines))
            progress(f"done in {time.perf_counter() - started:.0f} s")
            return 0 if all(s.passes(args.threshold) for s in scores) else 1
        except (inplace.CheckoutError, equivalent.ListError, RuntimeError) as error:
            print(f"mutate: {error}", file=sys.stderr)
            return 2
        except inplace.Interrupted as stop:
            print(f"mutate: stopped by {stop}; the checkout is restored", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())
