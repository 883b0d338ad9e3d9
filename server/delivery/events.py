"""Pushing Security Event Tokens to portals (RFC 8935)."""

from __future__ import annotations

import requests
from flask import current_app

from ..models import OutboxMessage
from ..oauth.events import security_event_token, subject
from ..services.clients import find_client
from .errors import PermanentFailure, TemporaryFailure
from .targets import check_target


def deliver(message: OutboxMessage) -> None:
    client = find_client(message.payload["client_id"])
    if client is None:
        raise PermanentFailure("the client no longer exists")
    event = dict(message.payload["event"])
    event["subject"] = message.payload.get("subject") or subject(message.payload["sub"])
    token = security_event_token(
        client=client, jti=message.jti, event_type=message.payload["event_type"], event=event
    )
    check_target(message.target, allow_private=current_app.config["DELIVERY_PRIVATE_TARGETS"])
    try:
        response = requests.post(
            message.target,
            data=token,
            headers={"Content-Type": "application/secevent+jwt", "Accept": "application/json"},
            timeout=current_app.config["DELIVERY_TIMEOUT"],
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
    if response.status_code // 100 == 2:
        return
    if response.status_code == 400:
        # RFC 8935 §2.3: the receiver says the SET is bad; sending it again will not help.
        raise PermanentFailure(f"refused: {response.text[:200]}")
    raise TemporaryFailure(f"HTTP {response.status_code}")
