"""Serving a test's HTTP servers from threads of the test process.

`socketserver` notices `shutdown()` only between two polls of its socket, every half second
by default: a test that stopped a server waited that long, hundreds of times a run. Here
the servers poll every few milliseconds, so stopping one is immediate.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer

POLL_SECONDS = 0.01


class InThread:
    """Serves `server` from a daemon thread: `.start()`, `.stop()`."""

    def __init__(self, server: BaseServer):
        self.server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )

    def start(self) -> InThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    service: LocalService


class LocalService:
    """A stand-in for a service on the internet, on a free port of 127.0.0.1: a subclass
    names its `handler`, whose requests reach the service as `self.server.service`.
    `with Service(...) as service:` serves until the block ends; `service.url`."""

    handler: type[BaseHTTPRequestHandler]

    def __init__(self):
        server = _Server(("127.0.0.1", 0), self.handler)
        server.service = self
        self.url = f"http://127.0.0.1:{server.server_port}"
        self._serving = InThread(server)

    def __enter__(self):
        self._serving.start()
        return self

    def __exit__(self, *exc) -> None:
        self._serving.stop()
