"""A local HTTP server a portal publishes documents on: its keys (jwks_uri), the list of its
redirect URIs (sector_identifier_uri), request objects (request_uri). Passport fetches them
with GET; the server counts the fetches of each path."""

from __future__ import annotations

import json
from collections import Counter
from http.server import BaseHTTPRequestHandler

from .serving import LocalService


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server asks for
        documents = self.server.service
        path = self.path.split("?", 1)[0]
        documents.fetched[path] += 1
        found = documents.served.get(path)
        if found is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, content_type, body, headers = found
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - quiet in tests
        pass


class Documents(LocalService):
    """`with Documents() as site:` serves on a free port of 127.0.0.1 until the block ends;
    `site.publish("/jwks", {...})` puts a JSON document at a path, `site.url + "/jwks"`."""

    handler = _Handler

    def __init__(self):
        super().__init__()
        self.served: dict[str, tuple[int, str, bytes, dict]] = {}
        self.fetched: Counter[str] = Counter()

    def publish(
        self,
        path: str,
        document: object = None,
        *,
        body: bytes | str | None = None,
        content_type: str = "application/json",
        status: int = 200,
        headers: dict | None = None,
    ) -> str:
        """Serve `document` as JSON (or `body` as it is) at `path`; returns its URL."""
        if body is None:
            body = json.dumps(document)
        if isinstance(body, str):
            body = body.encode()
        self.served[path] = (status, content_type, body, headers or {})
        return self.url + path
