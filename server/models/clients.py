"""The client aggregate: portals (relying parties) and what people granted them."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, fields
from datetime import datetime
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin, list_to_scope, scope_to_list
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db
from ..security import sha256_hex
from .accounts import Account
from .types import UTCDateTime


class ClientRules(ClientMixin):
    """What a client is and allows, read from its registered fields. The row (Client) and
    its read-only copy (ClientSnapshot, what the protocol endpoints are served from) both
    use it, so the two cannot disagree on a rule.

    Expects: id, client_id, client_metadata, client_secret_hash, previous_secret_hash,
    previous_secret_expires_at, client_secret_expires_at, first_party, disabled_at.
    """

    # --- metadata accessors ---
    def _meta(self, name: str, default=None):
        return (self.client_metadata or {}).get(name, default)

    @property
    def client_name(self) -> str:
        return self._meta("client_name") or self.client_id

    @property
    def redirect_uris(self) -> list[str]:
        return list(self._meta("redirect_uris", []))

    @property
    def post_logout_redirect_uris(self) -> list[str]:
        return list(self._meta("post_logout_redirect_uris", []))

    @property
    def grant_types(self) -> list[str]:
        return list(self._meta("grant_types", ["authorization_code"]))

    @property
    def response_types(self) -> list[str]:
        return list(self._meta("response_types", ["code"]))

    @property
    def token_endpoint_auth_method(self) -> str:
        return self._meta("token_endpoint_auth_method", "client_secret_basic")

    @property
    def id_token_signed_response_alg(self) -> str:
        return self._meta("id_token_signed_response_alg") or "RS256"

    @property
    def token_endpoint_auth_signing_alg(self) -> str | None:
        return self._meta("token_endpoint_auth_signing_alg")

    @property
    def scope(self) -> str:
        return self._meta("scope", "")

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    @property
    def web_origins(self) -> frozenset[str]:
        """The origins whose pages may read this client's answers from the token and
        revocation endpoints (CORS): a public client's are those of its http(s) redirect
        URIs — a single-page app runs where it is redirected to —, and any client may list
        more in `allowed_cors_origins`."""
        origins = set(self._meta("allowed_cors_origins") or ())
        if self.is_public:
            origins.update(filter(None, map(web_origin, self.redirect_uris)))
        return frozenset(origins)

    # --- Authlib's ClientMixin ---
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        allowed = set(scope_to_list(self.scope)) if self.scope else None
        requested = scope_to_list(scope)
        if allowed is None:
            return list_to_scope([s for s in requested])
        return list_to_scope([s for s in requested if s in allowed])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # RFC 6749 §3.1.2.3, OIDC Core §3.1.2.1: simple string comparison; RFC 8252 §7.3:
        # a native app's loopback IP address takes any port at the time of the request.
        if redirect_uri in self.redirect_uris:
            return True
        if self._meta("application_type") != "native":
            return False
        asked = _loopback_without_port(redirect_uri)
        return asked is not None and asked in map(_loopback_without_port, self.redirect_uris)

    def check_client_secret(self, client_secret: str) -> bool:
        # RFC 7592 §2.2 hands over whatever JSON value the request holds.
        if not self.client_secret_hash or not client_secret or not isinstance(client_secret, str):
            return False
        if self.client_secret_expires_at and self.client_secret_expires_at < now().timestamp():
            return False
        presented = sha256_hex(client_secret)
        if hmac.compare_digest(self.client_secret_hash, presented):
            return True
        return self.previous_secret_in_grace and hmac.compare_digest(
            self.previous_secret_hash, presented
        )

    @property
    def previous_secret_in_grace(self) -> bool:
        expires = self.previous_secret_expires_at
        return bool(self.previous_secret_hash) and expires is not None and expires > now()

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.token_endpoint_auth_method
        # Revocation and introspection accept any method the client can prove: its own,
        # or its secret however it is sent.
        if self.is_public:
            return method == "none"
        if method == self.token_endpoint_auth_method:
            return True
        secret_methods = ("client_secret_basic", "client_secret_post")
        return method in secret_methods and bool(self.client_secret_hash)

    def check_response_type(self, response_type: str) -> bool:
        # OAuth 2.0 Multiple Response Types §2: "token id_token" is "id_token token".
        asked = set((response_type or "").split())
        return any(asked == set(registered.split()) for registered in self.response_types)

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


_DEFAULT_PORTS = {"http": 80, "https": 443}


def web_origin(uri: str) -> str | None:
    """The origin of an http(s) URI as a browser sends it in `Origin` (RFC 6454 §6.1):
    scheme and host in lower case, the port only when it is not the scheme's default;
    None for any other URI."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except (ValueError, TypeError, AttributeError):
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname  # lower case, without the brackets of an IPv6 literal
    if ":" in host:
        host = f"[{host}]"
    return (
        f"{scheme}://{host}"
        if port in (None, _DEFAULT_PORTS[scheme])
        else f"{scheme}://{host}:{port}"
    )


# RFC 8252 §7.3, §8.3: the loopback IP literals; "localhost" is not among them (it may
# resolve elsewhere, and a port on it is not promised to the app that asked).
LOOPBACK_HOSTS = ("127.0.0.1", "[::1]")


def _loopback_without_port(uri: str) -> str | None:
    """An http URI on a loopback IP literal, written without its port; None for any other."""
    if not isinstance(uri, str) or not uri.startswith("http://"):
        return None
    authority, slash, rest = uri[len("http://") :].partition("/")
    host = authority.rsplit(":", 1)[0] if not authority.endswith("]") else authority
    if host not in LOOPBACK_HOSTS or "@" in authority:
        return None
    port = authority[len(host) + 1 :]
    if port and not port.isdigit():
        return None
    return f"http://{host}{slash}{rest}"


class Client(ClientRules, db.Model):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of a high-entropy random secret; NULL for public clients.
    client_secret_hash: Mapped[str | None] = mapped_column(String(64))
    # After a rotation with a grace period the previous secret still works until it ends.
    previous_secret_hash: Mapped[str | None] = mapped_column(String(64))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # client_secret_jwt (OIDC Core §9) signs with the secret itself, so for such a client
    # the secret is also kept sealed (domain/client_secrets.py), and the previous one while
    # its grace lasts; NULL for every other client.
    client_secret_sealed: Mapped[str | None] = mapped_column(Text)
    previous_secret_sealed: Mapped[str | None] = mapped_column(Text)
    client_id_issued_at: Mapped[int] = mapped_column(default=0)
    client_secret_expires_at: Mapped[int] = mapped_column(default=0)
    # RFC 7591 metadata as registered (redirect_uris, grant_types, …).
    client_metadata: Mapped[dict] = mapped_column(JSON, default=dict)
    first_party: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    # RFC 7592: SHA-256 of the registration access token.
    registration_access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An operator's hold: only an operator may enable the client again.
    disabled_by_operator: Mapped[bool] = mapped_column(default=False)

    owner: Mapped[Account | None] = relationship()


class FrozenMetadata(dict):
    """A client's metadata that refuses changes: a cached client is shared by every thread
    of the process, so one request changing it would change it for all of them."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("a cached client is read-only: load the Client row to change it")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self):
        return (FrozenMetadata, (dict(self),))


def freeze(value):
    """A deep read-only copy of JSON: objects become FrozenMetadata, arrays tuples."""
    if isinstance(value, dict):
        return FrozenMetadata({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


@dataclass(frozen=True, repr=False, eq=False)
class ClientSnapshot(ClientRules):
    """A read-only copy of a Client row, attached to no session: safe to share between
    threads and requests. It has what the protocol reads (Authlib's ClientMixin and
    Passport's rules); anything that changes a client, or follows its relationships,
    loads the row instead."""

    id: int
    client_id: str
    client_metadata: FrozenMetadata
    client_secret_hash: str | None
    previous_secret_hash: str | None
    previous_secret_expires_at: datetime | None
    client_secret_sealed: str | None
    previous_secret_sealed: str | None
    client_secret_expires_at: int
    first_party: bool
    disabled_at: datetime | None

    def __post_init__(self):
        object.__setattr__(self, "client_metadata", freeze(self.client_metadata or {}))

    def __repr__(self) -> str:
        return f"<ClientSnapshot {self.client_id}>"


SNAPSHOT_FIELDS = tuple(f.name for f in fields(ClientSnapshot))


class Consent(db.Model):
    """What a person allowed a third-party portal; the rows are the person's linked portals."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("account_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(1000), default="")
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()

    def covers(self, scope: str) -> bool:
        return set(scope_to_list(scope) or []) <= set(scope_to_list(self.scope) or [])


class InitialAccessToken(db.Model):
    """RFC 7591 §3: a token that gates dynamic registration; stored as its SHA-256."""

    __tablename__ = "initial_access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UsedAssertion(db.Model):
    """A client assertion already presented (RFC 7523 §3 item 7: a jti is used once), kept
    until the assertion could no longer be accepted anyway."""

    __tablename__ = "used_client_assertions"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    jti: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
