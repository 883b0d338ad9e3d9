"""POSTing logout tokens to portals' back-channel logout endpoints (§2.5)."""

from __future__ import annotations

import requests
from flask import current_app

from ..extensions import db
from ..models import OutboxMessage
from ..oauth.logout import logout_token
from ..services.clients import find_client
from .errors import PermanentFailure, TemporaryFailure
from .targets import check_target


def deliver(message: OutboxMessage) -> None:
    payload = message.payload
    client = find_client(payload["client_id"])
    # A deleted client is still told of the sessions its deletion ended: the message
    # carries the algorithm it asked for. Older messages without it have nothing to go on.
    if client is not None:
        alg = client.id_token_signed_response_alg
    elif payload.get("alg"):
        alg = payload["alg"]
    else:
        raise PermanentFailure("the client no longer exists")
    token = logout_token(
        client_id=payload["client_id"],
        alg=alg,
        sub=payload["sub"],
        sid=payload.get("sid"),
        jti=message.jti,
    )
    db.session.commit()  # end the read of the client: no transaction stays open over the POST
    check_target(message.target, allow_private=current_app.config["DELIVERY_PRIVATE_TARGETS"])
    try:
        response = requests.post(
            message.target,
            data={"logout_token": token},
            timeout=current_app.config["DELIVERY_TIMEOUT"],
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
    if response.status_code // 100 != 2:
        # §2.8: the RP answers 400 when it could not log out; either way, try again later.
        raise TemporaryFailure(f"HTTP {response.status_code}")
