"""`python -m bench.first_run`: how long `make run` takes from a fresh clone to the first
answer of /login, then again on a second run in the same clone — what a new user waits.
A measurement, not a test: it prints the seconds and what `make run` printed.

It clones this checkout into a temporary folder (git clone: committed work only), runs
`make run PORT=… PORTAL_PORT=… SPA_PORT=…` there, polls http://127.0.0.1:PORT/login, stops the servers
(SIGTERM to the process group), and removes the clone. Everything stays on 127.0.0.1; each
run is bounded by --timeout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def time_run(clone: Path, port: int, portal_port: int, timeout: float) -> tuple[float, list[str]]:
    """Seconds from `make run` to /login's first 200, and the lines printed meanwhile."""
    lines: list[str] = []
    started = time.monotonic()
    process = subprocess.Popen(
        [
            "make",
            "run",
            f"PORT={port}",
            f"PORTAL_PORT={portal_port}",
            f"SPA_PORT={portal_port + 1}",
        ],
        cwd=clone,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_")},
    )
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}/login"
    elapsed = None
    while time.monotonic() - started < timeout and process.poll() is None:
        if answers(url):
            elapsed = time.monotonic() - started
            break
        time.sleep(0.2)
    time.sleep(1.0)  # what it prints just after the first answer belongs to the start
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass  # it ended by itself: a failure, told below
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    reader.join(timeout=5)
    if elapsed is None:
        raise SystemExit(f"/login did not answer within {timeout:.0f} s:\n" + "".join(lines))
    return elapsed, [line.rstrip("\n") for line in lines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.first_run", description=__doc__)
    parser.add_argument("--port", type=int, default=5090)
    parser.add_argument("--portal-port", type=int, default=5091)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    args = parser.parse_args(argv)
    workspace = Path(tempfile.mkdtemp(prefix="passport-first-run-"))
    try:
        clone = workspace / "passport"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        for name in ("fresh clone", "second run"):
            seconds, lines = time_run(clone, args.port, args.portal_port, args.timeout)
            print(f"## {name}: /login answered after {seconds:.1f} s; `make run` printed:")
            print("\n".join(f"    {line}" for line in lines) or "    (nothing)")
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
