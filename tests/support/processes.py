"""The suite's Passport (its database, keys and settings) as a process of its own, for what
one process cannot show of another: a separate rate-limit store, its own log output."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from .ports import free_port

PASSPORT = str(Path(sys.executable).with_name("passport"))


@contextmanager
def passport_process(settings: dict, *, output=subprocess.DEVNULL, **overrides) -> Iterator[str]:
    """`passport run` with `settings` (PASSPORT_* of the suite's server) and `overrides`,
    its issuer its own address; yields that URL once /healthz answers. Its worker stays
    off: the suite's delivers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_")}
    environ["PASSPORT_ISSUER"] = url
    environ.update({f"PASSPORT_{name}": str(value) for name, value in settings.items()})
    environ.update({f"PASSPORT_{name}": str(value) for name, value in overrides.items()})
    environ["PASSPORT_RUN_WORKER_IN_PROCESS"] = "false"
    process = subprocess.Popen(
        [PASSPORT, "run", "--port", str(port)], env=environ, stdout=output, stderr=output
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                requests.get(url + "/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def serve_argv(port: int, *, workers: int = 1, server: str = "gunicorn") -> list[str]:
    """`passport serve` on 127.0.0.1:`port`."""
    bind = f"127.0.0.1:{port}"
    return [PASSPORT, "serve", "--bind", bind, "--workers", str(workers), "--server", server]
