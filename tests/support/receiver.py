"""A local HTTP receiver standing in for a portal's back-channel endpoint (or any webhook).

It records every POST, and can be told to answer the first N with an error or to hold the
first N answers back, so the tests can watch retries and workers that die mid-request.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from .serving import LocalService


@dataclass
class Received:
    path: str
    form: dict[str, str]
    status: int
    body: str = ""
    content_type: str = ""


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the name http.server asks for
        length = min(int(self.headers.get("Content-Length") or 0), 1_000_000)
        body = self.rfile.read(length).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(body).items()}
        status, delay = self.server.service._record(
            self.path, form, body, self.headers.get("Content-Type", "")
        )
        if delay:
            self.server.service._released.wait(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
        except OSError:  # the sender went away while we held the answer back
            pass

    def log_message(self, format, *args):  # noqa: A002 - quiet in tests
        pass


class Receiver(LocalService):
    """`with Receiver() as receiver:` serves on a free port of 127.0.0.1 until the block ends."""

    handler = _Handler

    def __init__(self):
        super().__init__()
        self._lock = threading.Condition()
        self._released = threading.Event()
        self._fail_first = 0
        self._fail_status = 500
        self._delay_first = 0
        self._delay_seconds = 0.0
        self._delay_every = 0.0
        self.received: list[Received] = []

    def __exit__(self, *exc) -> None:
        self._released.set()
        super().__exit__(*exc)

    # --- behaviour ---
    def fail_first(self, count: int, status: int = 500) -> None:
        """Answer the next `count` requests with `status`."""
        with self._lock:
            self._fail_first = len(self.received) + count
            self._fail_status = status

    def hold_first(self, count: int, seconds: float) -> None:
        """Hold back the answer to the next `count` requests for `seconds` (or until release)."""
        with self._lock:
            self._delay_first = len(self.received) + count
            self._delay_seconds = seconds

    def slow_down(self, seconds: float) -> None:
        """Take `seconds` over every answer."""
        self._delay_every = seconds

    def release(self) -> None:
        """Answer every held request now."""
        self._released.set()

    def _record(
        self, path: str, form: dict, body: str = "", content_type: str = ""
    ) -> tuple[int, float]:
        with self._lock:
            index = len(self.received)
            status = self._fail_status if index < self._fail_first else 200
            delay = self._delay_seconds if index < self._delay_first else self._delay_every
            self.received.append(Received(path, form, status, body, content_type))
            self._lock.notify_all()
        return status, delay

    # --- reading what arrived ---
    def wait_for(self, count: int, timeout: float = 10.0, where=None) -> list[Received]:
        """Wait until `count` requests (matching `where`) arrived; returns them (maybe fewer)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                matching = [r for r in self.received if where is None or where(r)]
                remaining = deadline - time.monotonic()
                if len(matching) >= count or remaining <= 0:
                    return matching
                self._lock.wait(remaining)

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)


def sms_texts(gateway: Receiver, number: str) -> list[str]:
    """The texts of the SMS the gateway took for `number` (E.164), oldest first."""
    sent = [json.loads(r.body) for r in gateway.snapshot() if r.path == "/sms"]
    return [s["text"] for s in sent if s["to"] == number]


def sms_code(gateway: Receiver, number: str) -> str:
    """The six-digit code in the last SMS the gateway took for `number`."""
    return re.search(r"\b(\d{6})\b", sms_texts(gateway, number)[-1]).group(1)
