"""Sending SMS through a configurable HTTP gateway; in development, to the log and instance/sms/."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import requests
from flask import current_app

from ..domain.notifications import unseal
from ..models import OutboxMessage
from .errors import PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)


def deliver(message: OutboxMessage) -> None:
    text = unseal(message.payload["sealed"])["text"]
    config = current_app.config
    if not config["SMS_GATEWAY_URL"]:
        folder = Path(config["INSTANCE_DIR"]) / "sms"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{message.id:06d}-{message.payload['template']}.txt"
        path.write_text(f"To: {message.target}\n\n{text}\n", encoding="utf-8")
        log.warning("SMS to %s written to %s", message.target, path)
        return
    body = (
        config["SMS_GATEWAY_BODY"]
        .replace("{to}", json.dumps(message.target))
        .replace("{text}", json.dumps(text, ensure_ascii=False))
    )
    headers = {"Content-Type": "application/json; charset=utf-8"}
    headers.update(json.loads(config["SMS_GATEWAY_HEADERS"] or "{}"))
    try:
        response = requests.request(
            config["SMS_GATEWAY_METHOD"],
            config["SMS_GATEWAY_URL"],
            data=body.encode("utf-8"),
            headers=headers,
            timeout=config["SMS_GATEWAY_TIMEOUT"],
        )
    except requests.RequestException as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
    if response.status_code // 100 == 2:
        return
    if 400 <= response.status_code < 500 and response.status_code != 429:
        raise PermanentFailure(f"gateway refused: HTTP {response.status_code}")
    raise TemporaryFailure(f"gateway: HTTP {response.status_code}")
