"""Which tests reach which line: one coverage run of the suite, cached while nothing changes.

The run is `python -m pytest -p mutate.contexts` (see contexts.py) over the selection the
backend asks for. Its result, the coverage data with one context per test and the tests'
outcomes and durations, is kept in .mutate/coverage/<key>/, where the key is a hash of the
selection and of every file, as it is in the working tree, of server/, tests/, migrations/,
templates/, config/, translations/, pyproject.toml and of the two modules the run is made
of, mutate/contexts.py and reach.py. Any change to the code or the tests makes a new key,
so a new run; the old folder is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import coverage

from .runner import end_group

HASHED = [
    "server",
    "tests",
    "migrations",
    "templates",
    "config",
    "translations",
    "mutate/contexts.py",
    "mutate/reach.py",
    "pyproject.toml",
]
_PARAMS = re.compile(r"\[(.*)\]$")


def backend_of(nodeid: str) -> str:
    """'sqlite', 'postgresql', or '' for a test that is not run per database."""
    params = _PARAMS.search(nodeid)
    words = set(re.split(r"[-_]", params.group(1))) if params else set()
    if "postgresql" in words:
        return "postgresql"
    if "sqlite" in words:
        return "sqlite"
    return ""


def selection_args(backend: str) -> list[str]:
    """What the coverage run passes to pytest for a backend choice."""
    return ["-k", "not postgresql"] if backend == "sqlite" else []


def key_of(root: Path, selection: list[str]) -> str:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *HASHED],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    digest = hashlib.sha256(json.dumps(selection).encode())
    for name in sorted(set(filter(None, listed))):
        path = root / name.decode()
        if path.is_file():
            digest.update(name + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass
class Reach:
    """The cached coverage run: lines to tests, and each test's outcome and duration."""

    folder: Path
    root: Path
    tests: dict[str, dict]
    data: coverage.CoverageData

    def by_line(self, relative: str) -> dict[int, set[str]]:
        contexts = self.data.contexts_by_lineno(str(self.root / relative))
        return {line: {c for c in names if c} for line, names in contexts.items()}

    def failed(self) -> list[str]:
        return sorted(t for t, v in self.tests.items() if v["outcome"] == "failed")

    def duration(self, nodeid: str) -> float:
        return self.tests.get(nodeid, {}).get("duration", 0.0)


def coverage_rc(folder: Path, include: str) -> Path:
    """The coverage configuration of the run, subprocesses measured too."""
    rc = folder / "coveragerc"
    rc.write_text(
        "[run]\n"
        f"data_file = {folder / 'coverage'}\n"
        "parallel = true\n"
        f"include = {include}\n"
        "patch = subprocess\n"
        "sigterm = true\n",
        encoding="utf-8",
    )
    return rc


def combine(folder: Path, rc: Path) -> coverage.CoverageData:
    """The data of the pytest process and of the subprocesses, in one file."""
    combined = coverage.Coverage(config_file=str(rc))
    combined.combine(data_paths=[str(folder)], keep=False)
    combined.save()
    data = coverage.CoverageData(basename=str(folder / "coverage"))
    data.read()
    return data


def run_or_load(
    root: Path, cache: Path, backend: str, pytest_args: list[str], log
) -> tuple[Reach, float | None]:
    """The cached run for this tree and selection, made now when there is none.

    Returns it and how long the run took (None when it came from the cache).
    """
    selection = selection_args(backend) + pytest_args
    key = key_of(root, selection)
    folder = cache / "coverage" / key
    took = None
    if not (folder / "done").exists():
        if (cache / "coverage").exists():
            shutil.rmtree(cache / "coverage")
        folder.mkdir(parents=True)
        rc = coverage_rc(folder, f"{root / 'server'}/*")
        argv = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "mutate.contexts",
            "-q",
            "-p",
            "no:cacheprovider",
        ]
        argv += selection
        log(f"coverage run with a context per test: {' '.join(argv[1:])}")
        started = time.perf_counter()
        env = dict(os.environ, MUTATE_COVERAGE_RC=str(rc))
        with open(folder / "pytest.log", "w", encoding="utf-8") as output:
            # A group of its own, ended whole if this run is interrupted.
            process = subprocess.Popen(
                argv,
                cwd=root,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                code = process.wait()
            finally:
                end_group(process)
        took = time.perf_counter() - started
        if code not in (0, 1):
            raise RuntimeError(
                f"the coverage run ended with status {code}: see {folder}/pytest.log"
            )
        combine(folder, rc)
        (folder / "done").write_text(f"{took:.0f}\n", encoding="utf-8")
    data = coverage.CoverageData(basename=str(folder / "coverage"))
    data.read()
    tests = json.loads((folder / "tests.json").read_text("utf-8"))
    return Reach(folder, root, tests, data), took
