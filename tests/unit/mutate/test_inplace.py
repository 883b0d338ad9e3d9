"""mutate/inplace.py: the checkout is given back after an exception, a signal, or a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mutate.inplace import Checkout, CheckoutError, Interrupted, signals_unwind
from mutate.runner import end_leftover

ROOT = Path(__file__).resolve().parents[3]
ORIGINAL = "def allowed(role):\n    return role == 'owner'\n"
MUTANT = "def allowed(role):\n    return role != 'owner'\n"


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture
def checkout(tmp_path) -> Checkout:
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "rules.py").write_text(ORIGINAL)
    git(tree, "init", "-q")
    git(tree, "add", ".")
    git(tree, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "rules")
    return Checkout(tree, tmp_path / "backup")


def test_the_mutant_is_in_the_file_inside_the_block_and_gone_after(checkout):
    rules = checkout.root / "pkg" / "rules.py"
    mtime = rules.stat().st_mtime_ns
    with checkout.mutated("pkg/rules.py", MUTANT):
        assert rules.read_text() == MUTANT
        # the original's .pyc (same size) must not pass for the mutant's
        assert rules.stat().st_mtime_ns != mtime
    assert rules.read_text() == ORIGINAL
    assert rules.stat().st_mtime_ns == mtime
    assert not (checkout.backup / "manifest.json").exists()


def test_an_exception_inside_the_block_restores_the_file(checkout):
    rules = checkout.root / "pkg" / "rules.py"
    with pytest.raises(RuntimeError), checkout.mutated("pkg/rules.py", MUTANT):
        raise RuntimeError("a test run went wrong")
    assert rules.read_text() == ORIGINAL
    checkout.refuse_changed(["pkg/rules.py"])


def test_a_signal_unwinds_through_the_restore(checkout):
    rules = checkout.root / "pkg" / "rules.py"
    before = signal.getsignal(signal.SIGTERM)  # coverage's own, under the coverage run
    with pytest.raises(Interrupted), signals_unwind(), checkout.mutated("pkg/rules.py", MUTANT):
        os.kill(os.getpid(), signal.SIGTERM)
        signal.sigtimedwait([], 0)  # gives the handler its turn
    assert rules.read_text() == ORIGINAL
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_killed_run_is_restored_by_the_next_one(checkout):
    rules = checkout.root / "pkg" / "rules.py"
    killed = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from mutate.inplace import Checkout
        checkout = Checkout(Path({str(checkout.root)!r}), Path({str(checkout.backup)!r}))
        with checkout.mutated("pkg/rules.py", {MUTANT!r}):
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    ended = subprocess.run([sys.executable, "-c", killed])
    assert ended.returncode == -signal.SIGKILL
    assert rules.read_text() == MUTANT
    with pytest.raises(CheckoutError, match="pkg/rules.py"):
        checkout.refuse_changed(["pkg/rules.py"])

    assert checkout.restore_leftovers() == ["pkg/rules.py"]
    assert rules.read_text() == ORIGINAL
    checkout.refuse_changed(["pkg/rules.py"])
    assert checkout.restore_leftovers() == []


def test_a_file_that_differs_from_head_is_refused(checkout):
    (checkout.root / "pkg" / "rules.py").write_text(ORIGINAL + "# edited\n")
    with pytest.raises(CheckoutError, match="differs from git HEAD"):
        checkout.refuse_changed(["pkg/rules.py"])


def test_an_untracked_file_is_refused(checkout):
    (checkout.root / "pkg" / "new.py").write_text("x = 1\n")
    with pytest.raises(CheckoutError, match="pkg/new.py"):
        checkout.refuse_changed(["pkg/new.py"])


def test_a_killed_runs_test_processes_are_ended_by_the_next_run(tmp_path):
    sleeping = [sys.executable, "-c", "import time; time.sleep(60)", "pytest"]
    left = subprocess.Popen(sleeping, start_new_session=True)
    stranger = subprocess.Popen(sleeping, start_new_session=True)
    marker = tmp_path / "pytest.pid"
    marker.write_text(str(left.pid))
    try:
        assert end_leftover(marker) == [left.pid]
        assert left.wait(timeout=10) == -signal.SIGKILL
        assert stranger.poll() is None  # another group: not the run's
        assert not marker.exists()
        assert end_leftover(marker) == []
    finally:
        for process in (left, stranger):
            process.kill()
            process.wait()


def test_a_mutant_that_breaks_the_conftests_import_is_killed(tmp_path):
    """pytest says "ImportError while loading conftest" and exits 4, as for a usage error;
    with the mutant written in, nothing can run, so it is killed, not an error."""
    from mutate import report
    from mutate.runner import run

    (tmp_path / "conftest.py").write_text("import broken_by_the_mutant\n")
    (tmp_path / "test_one.py").write_text("def test_one():\n    assert True\n")
    outcome = run(tmp_path, ["test_one.py"], 60, tmp_path / "pytest.pid")
    assert (outcome.status, outcome.note) == (report.KILLED, "the conftest no longer imports")
    (tmp_path / "conftest.py").write_text("")
    assert run(tmp_path, ["test_one.py"], 60, tmp_path / "pytest.pid").status == report.SURVIVED
