"""Codes, grants and refresh tokens.

A Grant is one chain of issuance: it starts at an authorization code (or a
client_credentials request) and every refresh token rotated from it belongs to it.
Revoking the grant kills its refresh tokens and the access tokens that name it
(`gid` claim), which is how code replay and refresh reuse revoke a whole family.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db
from .accounts import Account
from .clients import Client
from .types import UTCDateTime


class AuthorizationCode(db.Model):
    __tablename__ = "authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Indexed for the cascade when the console deletes a client.
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    session_id: Mapped[str | None] = mapped_column(String(64))
    redirect_uri: Mapped[str | None] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(String(1000), default="")
    nonce: Mapped[str | None] = mapped_column(String(512))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(16))
    auth_time: Mapped[int] = mapped_column()
    amr: Mapped[list] = mapped_column(JSON, default=list)
    acr: Mapped[str | None] = mapped_column(String(100))
    offline: Mapped[bool] = mapped_column(default=False)
    # OIDC Core §5.5: the claims the claims parameter asked for, per target, that the
    # client gets ({"userinfo": [...], "id_token": [...]}); NULL when it asked for none.
    requested_claims: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The grant its redemption started; revoked when the code is presented again.
    grant_id: Mapped[str | None] = mapped_column(String(64))
    # RFC 9449 §10: the thumbprint of the DPoP key its redemption must prove.
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    # RFC 8707: the resources the authorization request named (NULL: none).
    resources: Mapped[list | None] = mapped_column(JSON)

    client: Mapped[Client] = relationship()
    account: Mapped[Account] = relationship()


class Grant(db.Model):
    __tablename__ = "grants"
    # The console counts a client's grants started in the last 24 hours; the index also
    # serves every lookup by client_id alone.
    __table_args__ = (Index("ix_grants_client_id_created_at", "client_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    scope: Mapped[str] = mapped_column(String(1000), default="")
    # Granted with offline_access: outlives the login session it started in.
    offline: Mapped[bool] = mapped_column(default=False)
    credential_epoch: Mapped[int] = mapped_column(default=0)
    auth_time: Mapped[int | None] = mapped_column()
    amr: Mapped[list] = mapped_column(JSON, default=list)
    acr: Mapped[str | None] = mapped_column(String(100))
    # The claims its code was issued with (AuthorizationCode.requested_claims).
    requested_claims: Mapped[dict | None] = mapped_column(JSON)
    # RFC 9449 §5: a public client's refresh tokens are used with this DPoP key only.
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    # RFC 8707: the resources its code named; its tokens are for them (or some of them).
    resources: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    # Joined: the token paths read both with the grant, in one query.
    client: Mapped[Client] = relationship(lazy="joined")
    account: Mapped[Account | None] = relationship(lazy="joined")


class RefreshToken(db.Model):
    __tablename__ = "refresh_tokens"
    # A family's tokens by expiry: retention asks whether any token of a family is still
    # alive; the index also serves every lookup by grant_id alone.
    __table_args__ = (Index("ix_refresh_tokens_grant_id_expires_at", "grant_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Set when it was exchanged for a new one; presenting it again revokes the grant.
    # Indexed for the console's count of refreshes in the last 24 hours.
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    grant: Mapped[Grant] = relationship(lazy="joined")


class PushedRequest(db.Model):
    """An authorization request a client pushed (RFC 9126), kept until its answer.

    The request_uri handed back is `urn:ietf:params:oauth:request_uri:` and a random
    handle; only the handle's SHA-256 is stored. `expires_at` is the push's lifetime until
    a browser opens it (`claimed_at`), then the time that browser has to sign in and
    decide; `used_at` is when the authorization response was given (single use).
    """

    __tablename__ = "pushed_requests"

    handle_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    # The authorization request's parameters, a request object's already merged in.
    parameters: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeviceAuthorization(db.Model):
    """A device's request to act for a person (RFC 8628): a TV or a command-line tool shows
    the user code, the person enters it at /device and decides, the device polls with its
    device code.

    Both codes are stored as SHA-256 only (the user code in its written-together form).
    `approved` is None while nobody has decided, then True or False, with who decided and
    the sign-in they decided in (`auth_time`, `amr`, `acr`, for the ID token). `interval`
    is the polling interval, 5 s more after each `slow_down`; `used_at` is when the tokens
    were issued (once), and `grant_id` the grant they started.
    """

    __tablename__ = "device_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    interval: Mapped[int] = mapped_column(default=5)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved: Mapped[bool | None] = mapped_column()
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    auth_time: Mapped[int | None] = mapped_column()
    amr: Mapped[list | None] = mapped_column(JSON)
    acr: Mapped[str | None] = mapped_column(String(100))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grant_id: Mapped[str | None] = mapped_column(String(64))

    client: Mapped[Client] = relationship()
    account: Mapped[Account | None] = relationship()
