"""Liveness and readiness for a load balancer or an orchestrator, and metrics for a
monitoring system.

/healthz answers as long as the process serves requests. /readyz also asks what a sign-in
needs: the database, the rate-limit store (Redis) when one is configured, and a signing key
for every algorithm; 503 names what is missing, so the node is taken out of rotation
instead of answering people with errors. Neither is rate-limited, and neither touches a
session or a cookie. /health/live and /health/ready are the same, under their first names.

/metrics (Prometheus text) answers a scraper that brings METRICS_TOKEN as a bearer token;
without a configured token there are no metrics to read (404).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import func, select, text

from .. import metrics
from ..extensions import autocommit_connection, db, limiter
from ..models import OutboxMessage

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@bp.route("/health/live")
@limiter.exempt
def live():
    return jsonify(status="live")


@bp.route("/readyz")
@bp.route("/health/ready")
@limiter.exempt
def ready():
    checks = {"database": _database(), "rate_limits": _rate_limits(), "keys": _keys()}
    is_ready = all(state == "ok" for state in checks.values())
    body = {"status": "ready" if is_ready else "unavailable", "checks": checks}
    return jsonify(body), 200 if is_ready else 503


def _database() -> str:
    try:
        autocommit_connection().execute(text("SELECT 1"))
    except Exception:  # any failure of the driver or the pool means not ready
        return "unreachable"
    return "ok"


def _rate_limits() -> str:
    try:
        return "ok" if limiter.storage.check() else "unreachable"
    except Exception:  # a store that raises instead of answering False
        return "unreachable"


def _keys() -> str:
    try:
        return "ok" if current_app.extensions["passport.keys"].ready() else "missing"
    except Exception:  # an unreadable keys folder or manifest
        return "unreadable"


@bp.route("/metrics")
@limiter.exempt
def metrics_page():
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response(
            "a bearer token is needed\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"},
        )
    depth = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.status.in_(("pending", "failed")))
            .group_by(OutboxMessage.status)
        ).all()
    )
    body, content_type = metrics.exposition({"pending": 0, "failed": 0} | depth)
    return Response(body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"})
