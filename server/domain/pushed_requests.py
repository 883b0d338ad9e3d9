"""Pushed authorization requests (RFC 9126): a client posts an authorization request's
parameters to /par and gets a `request_uri` naming them; the browser then brings only
`client_id` and that `request_uri` to /authorize.

The rules kept here:

- A request_uri is `urn:ietf:params:oauth:request_uri:` and 43 random characters; only
  its SHA-256 is stored, so the table does not hold usable references.
- It must be opened at /authorize within PUSH_LIFETIME seconds of the push (§2.2: short;
  60 s, as FAPI 2.0 asks), by the client that pushed it (§4, the client_id must match).
- The first browser to open it claims it: from then on only that browser may bring it
  back (after signing in, after the consent page), for INTERACTION_LIFETIME seconds.
  Another browser gets invalid_request_uri, so a leaked request_uri serves nobody else.
- Its authorization response is given once (§4: "SHOULD treat request_uri values as
  one-time use"): spending it is one conditional UPDATE, and of two answers at once only
  one is given. Reloading a page before the answer is fine (§4 allows it).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Container
from datetime import datetime, timedelta

from sqlalchemy import update

from ..clock import now
from ..extensions import db
from ..models import PushedRequest
from ..security import sha256_hex

PREFIX = "urn:ietf:params:oauth:request_uri:"
PUSH_LIFETIME = 60
INTERACTION_LIFETIME = 30 * 60
HANDLE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


class NotUsable(Exception):
    """The request_uri names no pushed request this browser may use now; `reason` says why,
    for the error description (a request another browser opened reads as used)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def is_pushed(request_uri: object) -> bool:
    return isinstance(request_uri, str) and request_uri.startswith(PREFIX)


def handle_hash(request_uri: str) -> str | None:
    """The stored key of a request_uri of ours; None for one we cannot have made."""
    handle = request_uri[len(PREFIX) :] if is_pushed(request_uri) else ""
    return sha256_hex(handle) if HANDLE.fullmatch(handle) else None


def push(client_pk: int, parameters: dict[str, str]) -> tuple[str, int]:
    """Store `parameters` for the client; the request_uri and its lifetime in seconds. No
    commit."""
    handle = secrets.token_urlsafe(32)
    moment = now()
    db.session.add(
        PushedRequest(
            handle_hash=sha256_hex(handle),
            client_id=client_pk,
            parameters=parameters,
            created_at=moment,
            expires_at=moment + timedelta(seconds=PUSH_LIFETIME),
        )
    )
    return PREFIX + handle, PUSH_LIFETIME


def open_request(request_uri: str, client_pk: int, claimed_here: Container[str]) -> PushedRequest:
    """The pushed request `request_uri` names, for the client `client_pk`, in a browser that
    claimed the requests in `claimed_here` (their handle hashes). Opening it the first time
    claims it for this browser (the caller remembers `handle_hash` in the browser's
    session). Raises NotUsable. No commit: the caller commits the claim."""
    key = handle_hash(request_uri)
    found = None if key is None else db.session.get(PushedRequest, key)
    moment = now()
    if found is None or found.client_id != client_pk:
        raise NotUsable("The request_uri is unknown.")
    if found.used_at is not None:
        raise NotUsable("The request_uri has been used.")
    if moment > found.expires_at:
        raise NotUsable("The request_uri has expired.")
    if found.claimed_at is not None:
        if key not in claimed_here:
            raise NotUsable("The request_uri has been used.")
        return found
    claimed = db.session.execute(
        update(PushedRequest)
        .where(PushedRequest.handle_hash == key, PushedRequest.claimed_at.is_(None))
        .values(claimed_at=moment, expires_at=moment + timedelta(seconds=INTERACTION_LIFETIME))
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # another browser opened it at the same instant
        db.session.rollback()
        raise NotUsable("The request_uri has been used.")
    db.session.refresh(found)
    return found


def parameters_of(request_uri: str, client_pk: int) -> dict[str, str] | None:
    """The parameters a request_uri of the client names, whatever its state; None for one
    it does not name (to read only: the sign-in page's form-action, domain/returns.py)."""
    key = handle_hash(request_uri)
    found = None if key is None else db.session.get(PushedRequest, key)
    return found.parameters if found is not None and found.client_id == client_pk else None


def signed_in_for(pushed: PushedRequest, auth_time: datetime) -> bool:
    """A sign-in made after the request was opened was made for it: it answers the
    request's prompt=login and max_age (the browser comes back from the sign-in page with
    the request_uri, whose parameters still say them)."""
    return pushed.claimed_at is not None and auth_time > pushed.claimed_at


def spend(key: str) -> bool:
    """Mark the request answered; False when it was answered already (a concurrent
    answer won). No commit."""
    spent = db.session.execute(
        update(PushedRequest)
        .where(PushedRequest.handle_hash == key, PushedRequest.used_at.is_(None))
        .values(used_at=now())
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1
