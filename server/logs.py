"""Logs as JSON lines, one object a line (LOG_FORMAT, "json" in production by default).

Every request gets a line of its own: its id (a caller's X-Request-Id when it is a plain
token, else a new one, sent back in the answer), method, route, endpoint, status,
duration, the client_id a program named and the account signed in. The route is the
pattern ("/recover/<token>"), never the path or the query string: a path may carry a
recovery or confirmation token, a query a code or a hint. Nothing of a request's body or
headers is written — no password, code, token or secret can reach a line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from secrets import token_urlsafe

from flask import Flask, Response, g, request

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
CLIENT_ID = re.compile(r"[\x21-\x7e]{1,64}\Z")
log = logging.getLogger("passport.request")


class JsonLines(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if "request_id" not in line and (current := _request_id()) is not None:
            line["request_id"] = current
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def wants_json(config) -> bool:
    chosen = config.get("LOG_FORMAT") or ("json" if config.get("ENV") == "production" else "text")
    return chosen == "json"


def init_app(app: Flask) -> None:
    """In JSON mode: the root logger writes JSON lines to standard output, Werkzeug's own
    request lines (paths and all) are silenced, and each request is written once here."""
    if not wants_json(app.config):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app.extensions["passport.json_logs"] = True


def request_started() -> None:
    given = request.headers.get("X-Request-Id", "")
    g._request_id = given if REQUEST_ID.match(given) else token_urlsafe(12)


def request_line(response: Response, seconds: float | None) -> None:
    """The request's line, and its id on the answer."""
    request_id = _request_id() or token_urlsafe(12)
    response.headers["X-Request-Id"] = request_id
    rule = request.url_rule
    fields = {
        "request_id": request_id,
        "method": request.method,
        "route": rule.rule if rule is not None else None,
        "endpoint": request.endpoint,
        "status": response.status_code,
        "duration_ms": round(seconds * 1000, 2) if seconds is not None else None,
        "ip": request.remote_addr,
    }
    client_id = named_client_id()
    if client_id:
        fields["client_id"] = client_id
    user = g.get("_login_user")  # only if this request loaded it: never a query of its own
    if user is not None and getattr(user, "is_authenticated", False):
        fields["account_id"] = user.account_id
    log.info("request", extra={"fields": fields})


def _request_id() -> str | None:
    try:
        return g.get("_request_id")
    except RuntimeError:  # outside a request: the worker, the command line
        return None


def named_client_id() -> str | None:
    """The client_id a program named: HTTP Basic's user, or the client_id parameter. A
    client_id is public (RFC 6749 §2.2); the secret beside it is never read here."""
    named = None
    if request.authorization is not None and request.authorization.type == "basic":
        named = request.authorization.username
    if not named:
        named = request.args.get("client_id")
        if not named and request.mimetype == "application/x-www-form-urlencoded":
            named = request.form.get("client_id")
    return named if named and CLIENT_ID.match(named) else None
