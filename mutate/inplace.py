"""Mutants written into the checkout itself, and the checkout always given back.

The editable install maps `server` to this checkout, and the tests' `passport` subprocesses
import it from there too, so a mutant has to be in the file itself: a copy of the tree
elsewhere would still import this one. Three things keep the checkout whole:

- a file is mutated only when it is the same as at git HEAD (else the run refuses to start);
- before the first write, the original goes to a backup folder with a manifest; the file is
  restored in a `finally`, and SIGINT, SIGTERM and SIGHUP unwind through it;
- a run that was killed anyway (SIGKILL, power) left the backup: the next run restores from
  it before doing anything else.

Bytecode: the mutant's mtime is set two seconds past the original's, and test processes run
with PYTHONDONTWRITEBYTECODE, so no `.pyc` of a mutant is written and the original's `.pyc`
is never taken for a mutant of the same size; the restored file gets its mtime back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MANIFEST = "manifest.json"


class Interrupted(Exception):
    """A signal asked the run to stop; raised so that every `finally` runs."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class CheckoutError(Exception):
    pass


@contextmanager
def signals_unwind() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise Interrupted for the length of the block."""

    def interrupt(signum, frame):
        raise Interrupted(signum)

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {number: signal.signal(number, interrupt) for number in handled}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _write(path: Path, text: str, mtime_ns: int) -> None:
    """Replace the file at once (never half written) and set its mtime."""
    temporary = path.with_name(f".{path.name}.mutate-tmp")
    temporary.write_text(text, encoding="utf-8")
    os.utime(temporary, ns=(mtime_ns, mtime_ns))
    os.replace(temporary, path)


class Checkout:
    """The working tree at `root`; `backup` is a git-ignored folder of this tool's."""

    def __init__(self, root: Path, backup: Path):
        self.root = root
        self.backup = backup

    # --- before a run ---
    def restore_leftovers(self) -> list[str]:
        """Put back files an interrupted run left mutated; returns their paths."""
        manifest = self.backup / MANIFEST
        if not manifest.exists():
            return []
        restored = []
        for relative, mtime_ns in json.loads(manifest.read_text("utf-8")).items():
            saved = self.backup / "files" / relative
            target = self.root / relative
            if not target.exists() or target.read_bytes() != saved.read_bytes():
                _write(target, saved.read_text("utf-8"), mtime_ns)
                restored.append(relative)
            saved.unlink()
        manifest.unlink()
        return restored

    def refuse_changed(self, paths: list[str]) -> None:
        """Raise CheckoutError unless every file is exactly as at git HEAD."""
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "--", *paths],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        if changed:
            listed = ", ".join(line[3:] for line in changed)
            raise CheckoutError(f"differs from git HEAD, commit or stash it first: {listed}")

    # --- during a run ---
    @contextmanager
    def mutated(self, relative: str, text: str) -> Iterator[None]:
        """The file holds `text` inside the block and its original after, whatever happens."""
        target = self.root / relative
        original = target.read_text("utf-8")
        mtime_ns = target.stat().st_mtime_ns
        self._save(relative, original, mtime_ns)
        try:
            _write(target, text, mtime_ns + 2_000_000_000)
            yield
        finally:
            _write(target, original, mtime_ns)
            self._forget(relative)

    def _save(self, relative: str, original: str, mtime_ns: int) -> None:
        saved = self.backup / "files" / relative
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(original, encoding="utf-8")
        manifest = self.backup / MANIFEST
        entries = json.loads(manifest.read_text("utf-8")) if manifest.exists() else {}
        entries[relative] = mtime_ns
        manifest.write_text(json.dumps(entries), encoding="utf-8")

    def _forget(self, relative: str) -> None:
        manifest = self.backup / MANIFEST
        entries = json.loads(manifest.read_text("utf-8"))
        entries.pop(relative, None)
        (self.backup / "files" / relative).unlink(missing_ok=True)
        if entries:
            manifest.write_text(json.dumps(entries), encoding="utf-8")
        else:
            manifest.unlink()
