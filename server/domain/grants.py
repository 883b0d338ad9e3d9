"""The token side's hot paths: one SQL statement per question, no ORM, no transaction around a read.

A refresh, a userinfo call and an introspection each ask the database one thing: the
presented refresh token, or the grant an access token names, joined with its client,
person and login session. A rotation is one conditional UPDATE … RETURNING feeding the
INSERT of the successor (one statement on PostgreSQL), so of two concurrent uses of one
refresh token exactly one wins (invariant 6). A code exchange is the same shape: the code
with its sign-in in one SELECT, then marking it used and storing the grant it starts in
one statement, so of two concurrent redemptions exactly one starts a grant.

Reads run on a connection in autocommit, checked out once per request: a single SELECT
needs no BEGIN, COMMIT or ROLLBACK round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, exists, insert, select, update

from ..clock import now
from ..context import RequestContext
from ..extensions import autocommit_engine, db, note_write
from ..models import Account, AuthorizationCode, Client, Consent, Grant, LoginSession, RefreshToken
from ..models.sessions import session_is_active
from ..security import sha256_hex
from . import audit
from .driver_sql import DriverStatement


@dataclass(frozen=True, slots=True)
class AccountClaims:
    """What tokens and userinfo say of a person, read with the grant (never written through)."""

    id: int
    sub: str
    email: str | None
    email_verified: bool
    phone: str | None
    phone_verified: bool
    name: str | None
    locale: str | None
    updated_at: datetime
    credential_epoch: int
    address: dict | None
    zoneinfo: str | None
    photo_id: str | None


def account_claims(account: Account) -> AccountClaims:
    """A snapshot of the person, for a token response that is built after its commit."""
    return AccountClaims(*(getattr(account, column.key) for column in _ACCOUNT_COLUMNS))


@dataclass(frozen=True, slots=True)
class GrantState:
    """A grant as the hot paths see it: enough to decide whether its tokens still stand."""

    id: str
    client_pk: int
    client_id: str
    client_disabled: bool
    scope: str
    offline: bool
    credential_epoch: int
    auth_time: int | None
    amr: list
    acr: str | None
    session_id: str | None
    revoked: bool
    account: AccountClaims | None
    # The login session's state, when the grant has one (None: no row, or ended and gone).
    session: tuple | None
    # OIDC Core §5.5: what the claims parameter of its code asked for, per target.
    requested_claims: dict | None = None
    # RFC 9449 §5: the DPoP key a public client's refresh tokens are bound to.
    dpop_jkt: str | None = None
    # RFC 8707: the resources its code named.
    resources: list | None = None

    def is_live(self, moment: datetime, idle_timeout: timedelta) -> bool:
        """Not revoked, its client enabled, the person's credentials unchanged since it was
        granted (invariant 2), and — unless granted offline — its login session alive."""
        if self.revoked or self.client_disabled:
            return False
        if self.account is not None and self.account.credential_epoch != self.credential_epoch:
            return False
        if self.offline or self.session_id is None:
            return True
        return self.session is not None and session_is_active(*self.session, moment, idle_timeout)


@dataclass(frozen=True, slots=True)
class RefreshTokenRecord:
    """A stored refresh token with its grant; what Authlib's RefreshTokenGrant asks of a token."""

    id: int
    grant: GrantState
    created_at: datetime
    expires_at: datetime
    rotated: bool

    @property
    def grant_id(self) -> str:
        return self.grant.id

    def is_live(self, moment: datetime, idle_timeout: timedelta) -> bool:
        return (
            not self.rotated
            and self.expires_at > moment
            and self.grant.is_live(moment, idle_timeout)
        )

    def check_client(self, client) -> bool:
        return self.grant.client_pk == client.id

    def get_scope(self) -> str:
        return self.grant.scope


_ACCOUNT_COLUMNS = (
    Account.id,
    Account.sub,
    Account.email,
    Account.email_verified,
    Account.phone,
    Account.phone_verified,
    Account.name,
    Account.locale,
    Account.updated_at,
    Account.credential_epoch,
    Account.address,
    Account.zoneinfo,
    Account.photo_id,
)
_ACCOUNT_WIDTH = len(_ACCOUNT_COLUMNS)
_GRANT_COLUMNS = (
    Grant.id,
    Grant.client_id,
    Client.client_id,
    Client.disabled_at,
    Grant.scope,
    Grant.offline,
    Grant.credential_epoch,
    Grant.auth_time,
    Grant.amr,
    Grant.acr,
    Grant.session_id,
    Grant.revoked_at,
    *_ACCOUNT_COLUMNS,
    LoginSession.ended_at,
    LoginSession.expires_at,
    LoginSession.remember,
    LoginSession.last_seen_at,
    Grant.requested_claims,
    Grant.dpop_jkt,
    Grant.resources,
)
_GRANT_WIDTH = len(_GRANT_COLUMNS)


def _joined(statement):
    return (
        statement.join(Client, Client.id == Grant.client_id)
        .outerjoin(Account, Account.id == Grant.account_id)
        .outerjoin(LoginSession, LoginSession.id == Grant.session_id)
    )


_REFRESH_QUERY = DriverStatement(
    _joined(
        select(
            *_GRANT_COLUMNS,
            RefreshToken.id,
            RefreshToken.created_at,
            RefreshToken.expires_at,
            RefreshToken.rotated_at,
        )
        .select_from(RefreshToken)
        .join(Grant, Grant.id == RefreshToken.grant_id)
    ).where(RefreshToken.token_hash == bindparam("secret_hash"))
)

_GRANT_QUERY = DriverStatement(
    _joined(select(*_GRANT_COLUMNS).select_from(Grant)).where(Grant.id == bindparam("grant_id"))
)


def _grant_state(row: tuple) -> GrantState:
    (
        grant_id,
        client_pk,
        client_id,
        client_disabled_at,
        scope,
        offline,
        epoch,
        auth_time,
        amr,
        acr,
        session_id,
        revoked_at,
    ) = row[:12]
    account_fields = row[12 : 12 + _ACCOUNT_WIDTH]
    session_fields = row[12 + _ACCOUNT_WIDTH : 16 + _ACCOUNT_WIDTH]
    requested_claims, dpop_jkt, resources = row[16 + _ACCOUNT_WIDTH : 19 + _ACCOUNT_WIDTH]
    return GrantState(
        id=grant_id,
        client_pk=client_pk,
        client_id=client_id,
        client_disabled=client_disabled_at is not None,
        scope=scope or "",
        offline=bool(offline),
        credential_epoch=epoch,
        auth_time=auth_time,
        amr=list(amr or []),
        acr=acr,
        session_id=session_id,
        revoked=revoked_at is not None,
        account=AccountClaims(*account_fields) if account_fields[0] is not None else None,
        session=tuple(session_fields) if session_fields[1] is not None else None,
        requested_claims=requested_claims,
        dpop_jkt=dpop_jkt,
        resources=resources,
    )


def _row_of_secret(query: DriverStatement, secret: str) -> tuple | None:
    """The row a presented secret (a refresh token, a code) names through its stored hash;
    None at once for anything that cannot be one."""
    if not secret or not isinstance(secret, str) or len(secret) > 512:
        return None
    return query.first({"secret_hash": sha256_hex(secret)})


def load_refresh_token(token: str) -> RefreshTokenRecord | None:
    """The stored refresh token with its grant, live or not; one SELECT, no side effects."""
    row = _row_of_secret(_REFRESH_QUERY, token)
    if row is None:
        return None
    token_id, created_at, expires_at, rotated_at = row[_GRANT_WIDTH:]
    return RefreshTokenRecord(
        id=token_id,
        grant=_grant_state(row),
        created_at=created_at,
        expires_at=expires_at,
        rotated=rotated_at is not None,
    )


def load_grant(grant_id: str) -> GrantState | None:
    """A grant with its client, person and login session; one SELECT, no side effects."""
    if not grant_id or not isinstance(grant_id, str) or len(grant_id) > 64:
        return None
    row = _GRANT_QUERY.first({"grant_id": grant_id})
    return _grant_state(row) if row is not None else None


_RETIRE = (
    update(RefreshToken)
    .where(RefreshToken.id == bindparam("token_id"), RefreshToken.rotated_at.is_(None))
    .values(rotated_at=bindparam("moment", type_=RefreshToken.rotated_at.type))
)
# The successor's values, by column; the parameters are named apart from the columns,
# which SQLAlchemy reserves for its own VALUES parameters.
_SUCCESSOR = {
    column: bindparam("successor_" + column, type_=RefreshToken.__table__.c[column].type)
    for column in ("grant_id", "token_hash", "created_at", "expires_at")
}
_STORE_SUCCESSOR = insert(RefreshToken).values(_SUCCESSOR)
# PostgreSQL: retire and store in ONE statement, atomic by itself: the successor exists
# only if this request's retirement won.
_retired = _RETIRE.returning(RefreshToken.grant_id).cte("retired")
_ROTATE = DriverStatement(
    insert(RefreshToken)
    .from_select(
        list(_SUCCESSOR),
        select(_retired.c.grant_id, *list(_SUCCESSOR.values())[1:]),
    )
    .returning(RefreshToken.id)
)


def rotate_refresh_token(record: RefreshTokenRecord, successor: str) -> bool:
    """Retire `record` and store `successor` in its grant; False if another request retired
    it first (RFC 9700 §4.14.2: of two uses of one refresh token, only one may succeed)."""
    moment = now()
    values = {
        "token_id": record.id,
        "moment": moment,
        "successor_grant_id": record.grant.id,
        "successor_token_hash": sha256_hex(successor),
        "successor_created_at": moment,
        "successor_expires_at": moment
        + timedelta(seconds=current_app.config["REFRESH_TOKEN_LIFETIME"]),
    }
    note_write()
    if autocommit_engine().dialect.name == "postgresql":
        return _ROTATE.first(values) is not None
    # SQLite has no data-modifying CTE: the two statements in one short transaction.
    with db.engine.begin() as transaction:
        if transaction.execute(_RETIRE, values).rowcount != 1:
            return False
        transaction.execute(_STORE_SUCCESSOR, values)
    return True


@dataclass(frozen=True, slots=True)
class CodeRecord:
    """A stored authorization code with its person and the sign-in it was issued in; what
    Authlib's AuthorizationCodeGrant and its OpenID and PKCE extensions ask of a code."""

    id: int
    client_pk: int
    session_id: str | None
    redirect_uri: str | None
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    amr: list
    acr: str | None
    offline: bool
    expires_at: datetime
    used: bool
    grant_id: str | None
    account: AccountClaims | None
    # The login session's state, as in GrantState.
    session: tuple | None
    requested_claims: dict | None = None
    # RFC 9449 §10: the thumbprint of the DPoP key its redemption must prove.
    dpop_jkt: str | None = None
    # RFC 8707: the resources its authorization request named.
    resources: list | None = None

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str | None:
        return self.acr

    def get_amr(self) -> list[str]:
        return list(self.amr)

    def session_is_live(self, moment: datetime, idle_timeout: timedelta) -> bool:
        return self.session is not None and session_is_active(*self.session, moment, idle_timeout)


_CODE_COLUMNS = (
    AuthorizationCode.id,
    AuthorizationCode.client_id,
    AuthorizationCode.session_id,
    AuthorizationCode.redirect_uri,
    AuthorizationCode.scope,
    AuthorizationCode.nonce,
    AuthorizationCode.code_challenge,
    AuthorizationCode.code_challenge_method,
    AuthorizationCode.auth_time,
    AuthorizationCode.amr,
    AuthorizationCode.acr,
    AuthorizationCode.offline,
    AuthorizationCode.expires_at,
    AuthorizationCode.used_at,
    AuthorizationCode.grant_id,
    *_ACCOUNT_COLUMNS,
    LoginSession.ended_at,
    LoginSession.expires_at,
    LoginSession.remember,
    LoginSession.last_seen_at,
    AuthorizationCode.requested_claims,
    AuthorizationCode.dpop_jkt,
    AuthorizationCode.resources,
)
_CODE_QUERY = DriverStatement(
    select(*_CODE_COLUMNS)
    .select_from(AuthorizationCode)
    .outerjoin(Account, Account.id == AuthorizationCode.account_id)
    .outerjoin(LoginSession, LoginSession.id == AuthorizationCode.session_id)
    .where(AuthorizationCode.code_hash == bindparam("secret_hash"))
)


def load_authorization_code(code: str) -> CodeRecord | None:
    """The stored code with its person and sign-in, used or not; one SELECT, no side effects."""
    row = _row_of_secret(_CODE_QUERY, code)
    if row is None:
        return None
    account_fields = row[15 : 15 + _ACCOUNT_WIDTH]
    session_fields = row[15 + _ACCOUNT_WIDTH : 19 + _ACCOUNT_WIDTH]
    return CodeRecord(
        *row[:12],
        expires_at=row[12],
        used=row[13] is not None,
        grant_id=row[14],
        account=AccountClaims(*account_fields) if account_fields[0] is not None else None,
        session=tuple(session_fields) if session_fields[1] is not None else None,
        requested_claims=row[19 + _ACCOUNT_WIDTH],
        dpop_jkt=row[20 + _ACCOUNT_WIDTH],
        resources=row[21 + _ACCOUNT_WIDTH],
    )


@dataclass(frozen=True, slots=True)
class SignIn:
    """The sign-in a token rests on, as its ID tokens state it (OIDC Core §2: auth_time, amr,
    acr, sid). Taken from the login session when a code is issued, then carried unchanged
    by the code, the grant and every refresh."""

    session_id: str | None
    auth_time: int | None
    amr: tuple[str, ...]
    acr: str | None

    @classmethod
    def of_session(cls, session) -> SignIn:
        return cls(
            session.id, int(session.auth_time.timestamp()), tuple(session.amr or ()), session.acr
        )

    @classmethod
    def of(cls, record) -> SignIn:
        """From a stored code or grant, which keep the four as columns of their own."""
        return cls(record.session_id, record.auth_time, tuple(record.amr or ()), record.acr)

    def claims(self) -> dict:
        """The ID token claims of this sign-in; those it has no value for are left out."""
        values = {
            "auth_time": self.auth_time,
            "amr": list(self.amr),
            "acr": self.acr,
            "sid": self.session_id,
        }
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True, slots=True)
class NewGrant:
    """The grant a code redemption starts, and its first refresh token if it has one."""

    id: str
    client_pk: int
    account_id: int
    sign_in: SignIn
    scope: str
    offline: bool
    credential_epoch: int
    refresh_token: str | None
    # A portal that was asked for consent: the consent's last use is this redemption.
    touches_consent: bool
    requested_claims: dict | None = None
    # RFC 9449 §5: a public client's grant is bound to the key of its first token request.
    dpop_jkt: str | None = None
    resources: list | None = None  # RFC 8707, as its code named them


def _named(table, prefix: str, columns: tuple[str, ...]) -> dict:
    # Parameters are named apart from the columns, which SQLAlchemy reserves for VALUES.
    return {name: bindparam(prefix + name, type_=table.c[name].type) for name in columns}


_CODE_USED = (
    update(AuthorizationCode)
    .where(AuthorizationCode.id == bindparam("code_id"), AuthorizationCode.used_at.is_(None))
    .values(
        used_at=bindparam("moment", type_=AuthorizationCode.used_at.type),
        grant_id=bindparam("new_grant_id", type_=AuthorizationCode.grant_id.type),
    )
)
_GRANT_VALUES = _named(
    Grant.__table__,
    "new_grant_",
    (
        "id",
        "client_id",
        "account_id",
        "session_id",
        "scope",
        "offline",
        "credential_epoch",
        "auth_time",
        "amr",
        "acr",
        "requested_claims",
        "dpop_jkt",
        "resources",
        "created_at",
    ),
)
_FIRST_TOKEN = _named(RefreshToken.__table__, "first_", ("token_hash", "created_at", "expires_at"))
_CONSENT_USED = (
    update(Consent)
    .where(
        Consent.account_id == bindparam("new_grant_account_id"),
        Consent.client_id == bindparam("new_grant_client_id"),
    )
    .values(last_used_at=bindparam("moment", type_=Consent.last_used_at.type))
)


def _redemption(with_token: bool, with_consent: bool) -> DriverStatement:
    """PostgreSQL: mark the code used, start the grant, store its first refresh token and
    touch the consent in ONE statement; the grant exists only if this redemption won."""
    used = _CODE_USED.returning(AuthorizationCode.id).cte("used")
    started = (
        insert(Grant)
        .from_select(list(_GRANT_VALUES), select(*_GRANT_VALUES.values()).select_from(used))
        .returning(Grant.id)
        .cte("started")
    )
    statement = select(started.c.id)
    if with_token:
        first_token = insert(RefreshToken).from_select(
            ["grant_id", *_FIRST_TOKEN],
            select(started.c.id, *_FIRST_TOKEN.values()),
        )
        statement = statement.add_cte(first_token.cte("first_token"))
    if with_consent:
        touched = _CONSENT_USED.where(exists(select(started.c.id)))
        statement = statement.add_cte(touched.cte("consent_used"))
    return DriverStatement(statement)


_REDEMPTIONS = {
    (with_token, with_consent): _redemption(with_token, with_consent)
    for with_token in (False, True)
    for with_consent in (False, True)
}


def redeem_authorization_code(code: CodeRecord, grant: NewGrant) -> bool:
    """Mark `code` used and store the grant it starts; False if another request redeemed it
    first (RFC 6749 §4.1.2: a code is used once)."""
    moment = now()
    values = {
        "code_id": code.id,
        "moment": moment,
        "new_grant_id": grant.id,
        "new_grant_client_id": grant.client_pk,
        "new_grant_account_id": grant.account_id,
        "new_grant_session_id": grant.sign_in.session_id,
        "new_grant_scope": grant.scope,
        "new_grant_offline": grant.offline,
        "new_grant_credential_epoch": grant.credential_epoch,
        "new_grant_auth_time": grant.sign_in.auth_time,
        "new_grant_amr": list(grant.sign_in.amr),
        "new_grant_acr": grant.sign_in.acr,
        "new_grant_requested_claims": grant.requested_claims,
        "new_grant_dpop_jkt": grant.dpop_jkt,
        "new_grant_resources": grant.resources,
        "new_grant_created_at": moment,
    }
    if grant.refresh_token:
        values.update(
            first_token_hash=sha256_hex(grant.refresh_token),
            first_created_at=moment,
            first_expires_at=moment
            + timedelta(seconds=current_app.config["REFRESH_TOKEN_LIFETIME"]),
        )
    note_write()
    if autocommit_engine().dialect.name == "postgresql":
        statement = _REDEMPTIONS[bool(grant.refresh_token), grant.touches_consent]
        return statement.first(values) is not None
    # SQLite has no data-modifying CTE: the same writes in one short transaction.
    with db.engine.begin() as transaction:
        if transaction.execute(_CODE_USED, values).rowcount != 1:
            return False
        transaction.execute(insert(Grant).values(_GRANT_VALUES), values)
        if grant.refresh_token:
            first_token = insert(RefreshToken).values(grant_id=_GRANT_VALUES["id"], **_FIRST_TOKEN)
            transaction.execute(first_token, values)
        if grant.touches_consent:
            transaction.execute(_CONSENT_USED, values)
    return True


def revoke(
    *,
    reason: str,
    grant_id: str | None = None,
    account_id: int | None = None,
    client: Client | None = None,
    session_ids: list[str] | None = None,
    except_session: str | None = None,
    offline: bool = True,
    context: RequestContext | None = None,
) -> int:
    """Revoke the live grants that match: every refresh token of a grant and every access token
    naming it stop working. The one way a grant is revoked; each revocation is audited with
    its reason (the person's activity lists it only where nothing else says why). No commit.

    `grant_id` one grant; `account_id` and/or `client` theirs; `session_ids` those opened in
    these sessions; `except_session` not those opened in that one; `offline=False` spares
    offline grants. Returns how many were revoked.
    """
    conditions = [Grant.revoked_at.is_(None)]
    if grant_id is not None:
        conditions.append(Grant.id == grant_id)
    if account_id is not None:
        conditions.append(Grant.account_id == account_id)
    if client is not None:
        conditions.append(Grant.client_id == client.id)
    if session_ids is not None:
        conditions.append(Grant.session_id.in_(session_ids))
    if except_session is not None:
        conditions.append(Grant.session_id.is_(None) | (Grant.session_id != except_session))
    if not offline:
        conditions.append(Grant.offline.is_(False))
    revoked = db.session.execute(
        update(Grant)
        .where(*conditions)
        .values(revoked_at=now())
        .returning(Grant.account_id, Grant.client_id)
    ).all()
    if revoked:
        _audit_revocation(revoked, reason=reason, client=client, context=context)
    return len(revoked)


def _audit_revocation(
    revoked: list, *, reason: str, client: Client | None, context: RequestContext | None
) -> None:
    accounts = {account for account, _client in revoked}
    clients = {client_pk for _account, client_pk in revoked}
    if client is None and len(clients) == 1:
        client = db.session.get(Client, next(iter(clients)))
    context = context or RequestContext()
    audit.record(
        "grant_revoked",
        account_id=next(iter(accounts)) if len(accounts) == 1 else None,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        reason=reason,
        grants=len(revoked),
        **({"client_id": client.client_id} if client is not None else {}),
    )
