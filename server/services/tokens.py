"""Authorization codes, grants and refresh tokens: every state change of the token side.

Invariant 6: refresh tokens rotate and a reused one revokes its whole grant; codes are
single-use and a second redemption revokes what the first issued.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from ..clock import now
from ..domain import client_cache
from ..domain import grants as token_store
from ..domain import login_sessions as sessions
from ..domain.client_metadata import follows_fapi2
from ..domain.grants import AccountClaims, RefreshTokenRecord
from ..domain.subjects import subject_for
from ..extensions import db
from ..models import Account, AuthorizationCode, Client, Consent, Grant, LoginSession
from ..models.clients import ClientSnapshot
from ..security import random_token, sha256_hex


@dataclass
class Subject:
    """The person a token is issued to, with the sign-in it rests on."""

    account: Account | AccountClaims
    grant_id: str
    sign_in: token_store.SignIn
    # The sub the client knows the person by: public, or pairwise (OIDC Core §8).
    subject: str
    # Whether the grant outlives the sign-in (offline_access): its refresh tokens do.
    offline: bool
    # OIDC Core §5.5: the claims the claims parameter asked for, per target.
    requested_claims: dict | None = None


def save_authorization_code(
    code: str,
    *,
    client: Client,
    session: LoginSession,
    redirect_uri: str | None,
    scope: str,
    nonce: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
    offline: bool,
    requested_claims: dict | None = None,
    acr: str | None = None,
    dpop_jkt: str | None = None,
    resources: list[str] | None = None,
) -> None:
    """Store a code for the sign-in of `session`; `acr`, when given, is the one the request
    got (a value the sign-in meets, OIDC Core §5.5.1.1) in place of the session's own;
    `dpop_jkt`, the DPoP key its redemption must prove (RFC 9449 §10); `resources`, the
    APIs its tokens are for (RFC 8707)."""
    moment = now()
    sign_in = token_store.SignIn.of_session(session)
    if acr:
        sign_in = replace(sign_in, acr=acr)
    row = AuthorizationCode(
        code_hash=sha256_hex(code),
        client_id=client.id,
        account_id=session.account_id,
        session_id=sign_in.session_id,
        redirect_uri=redirect_uri,
        scope=scope,
        nonce=nonce,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        auth_time=sign_in.auth_time,
        amr=list(sign_in.amr),
        acr=sign_in.acr,
        offline=offline,
        requested_claims=requested_claims or None,
        dpop_jkt=dpop_jkt,
        resources=resources or None,
        created_at=moment,
        expires_at=moment + timedelta(seconds=code_lifetime(client)),
    )
    db.session.add(row)
    db.session.commit()


def code_lifetime(client) -> int:
    """AUTHORIZATION_CODE_LIFETIME seconds; at most 60 for a client held to FAPI 2.0 (its
    §5.3.2.1 item 11) whatever the setting says."""
    lifetime = current_app.config["AUTHORIZATION_CODE_LIFETIME"]
    return min(lifetime, 60) if follows_fapi2(client.client_metadata) else lifetime


def find_authorization_code(code: str, client: Client) -> token_store.CodeRecord | None:
    """The unused, unexpired code issued to this client, or None.

    RFC 6749 §4.1.2: a code presented a second time is refused and the grant its first
    redemption started is revoked.
    """
    record = token_store.load_authorization_code(code)  # its person and sign-in joined
    if record is None or record.client_pk != client.id:
        return None
    if record.used:
        if record.grant_id:
            revoke_grant(record.grant_id, reason="code_reused")
        return None
    if record.expires_at <= now():
        return None
    return record


def subject_for_code(record: token_store.CodeRecord, client) -> Subject | None:
    """The person of a code whose sign-in is still alive; the grant it will start is named now."""
    if record.account is None or not record.session_is_live(now(), sessions.idle_timeout()):
        return None
    return Subject(
        account=record.account,
        grant_id=random_token(18),
        sign_in=token_store.SignIn.of(record),
        subject=subject_for(record.account.sub, client),
        offline=record.offline,
        requested_claims=record.requested_claims,
    )


def redeem_authorization_code(
    record: token_store.CodeRecord,
    subject: Subject,
    client: Client,
    scope: str,
    refresh_token: str | None,
    dpop_jkt: str | None = None,
) -> bool:
    """Mark the code used and start its grant (with its first refresh token), in one step;
    False if another request redeemed the code first. `dpop_jkt`: the DPoP key the grant's
    refresh tokens are bound to (a public client's, RFC 9449 §5)."""
    grant = token_store.NewGrant(
        id=subject.grant_id,
        client_pk=client.id,
        account_id=subject.account.id,
        sign_in=subject.sign_in,
        scope=scope,
        offline=subject.offline,
        credential_epoch=subject.account.credential_epoch,
        refresh_token=refresh_token,
        # A first-party portal is never asked, so it has no consent row to touch.
        touches_consent=not client.first_party,
        requested_claims=subject.requested_claims,
        dpop_jkt=dpop_jkt,
        resources=record.resources,
    )
    return token_store.redeem_authorization_code(record, grant)


def start_implicit_grant(
    session: LoginSession,
    client: Client,
    scope: str,
    *,
    requested_claims: dict | None = None,
    acr: str | None = None,
) -> Subject:
    """OIDC Core §3.2: the grant an implicit authorization response opens, with no code to
    redeem and no refresh token; what it issues is made from the returned Subject. `acr`
    and `requested_claims` as save_authorization_code has them."""
    account = session.account
    sign_in = token_store.SignIn.of_session(session)
    if acr:
        sign_in = replace(sign_in, acr=acr)
    subject = Subject(
        account=token_store.account_claims(account),
        grant_id=random_token(18),
        sign_in=sign_in,
        subject=subject_for(account.sub, client),
        offline=False,  # an implicit grant issues no refresh token
        requested_claims=requested_claims or None,
    )
    moment = now()
    db.session.add(
        Grant(
            id=subject.grant_id,
            client_id=client.id,
            account_id=account.id,
            session_id=sign_in.session_id,
            scope=scope or "",
            offline=subject.offline,
            credential_epoch=account.credential_epoch,
            auth_time=sign_in.auth_time,
            amr=list(sign_in.amr),
            acr=sign_in.acr,
            requested_claims=subject.requested_claims,
            created_at=moment,
        )
    )
    if not client.first_party:
        db.session.execute(
            update(Consent)
            .where(Consent.account_id == account.id, Consent.client_id == client.id)
            .values(last_used_at=moment)
        )
    db.session.commit()
    return subject


def lookup_refresh_token(token: str) -> RefreshTokenRecord | None:
    """The stored refresh token, live or not, without side effects (for revocation and introspection)."""
    return token_store.load_refresh_token(token)


def subject_of(record: RefreshTokenRecord) -> str:
    """The sub the refresh token's client knows its person by."""
    grant = record.grant
    return subject_for(grant.account.sub, client_cache.find(grant.client_id))


def refresh_token_is_live(record: RefreshTokenRecord) -> bool:
    return record.is_live(now(), sessions.idle_timeout())


def find_refresh_token(token: str) -> RefreshTokenRecord | None:
    """A refresh token that may be exchanged, or None.

    A rotated-out token presented again revokes its grant (reuse detection, RFC 9700
    §4.14.2). A token is dead once its grant is revoked, its client disabled, the account's
    credential epoch moved on, or (unless granted offline) its login session ended.
    """
    record = token_store.load_refresh_token(token)
    if record is None:
        return None
    if record.rotated:
        revoke_grant(record.grant.id, reason="refresh_token_reused")
        return None
    return record if refresh_token_is_live(record) else None


def subject_for_refresh(record: RefreshTokenRecord, client) -> Subject:
    grant = record.grant
    return Subject(
        account=grant.account,
        grant_id=grant.id,
        sign_in=token_store.SignIn.of(grant),
        subject=subject_for(grant.account.sub, client),
        offline=grant.offline,
        requested_claims=grant.requested_claims,
    )


def rotate_refresh_token(record: RefreshTokenRecord, successor: str) -> bool:
    """Retire `record` for `successor`; False if it was rotated concurrently."""
    return token_store.rotate_refresh_token(record, successor)


def revoke_grant(grant_id: str, *, reason: str) -> None:
    """Revoke a grant: its refresh tokens and the access tokens that name it stop working."""
    token_store.revoke(grant_id=grant_id, reason=reason)
    db.session.commit()


def _active_client(client_id) -> ClientSnapshot | None:
    client = client_cache.find(client_id)
    return None if client is None or client.is_disabled else client


@dataclass
class TokenHolder:
    """What a live access token stands for: its client and, unless client_credentials, its
    person, with the sub the client knows them by."""

    client_id: str
    account: AccountClaims | None
    subject: str | None = None
    requested_claims: dict | None = None

    @property
    def client(self) -> ClientSnapshot | None:
        return _active_client(self.client_id)


def live_access_token(claims: dict) -> TokenHolder | None:
    """The client and person of an access token whose grant, session and credential epoch
    still stand; None otherwise. One indexed query at most (a hot path)."""
    grant_id = claims.get("gid")
    client_id = claims.get("client_id")
    if not grant_id:
        # client_credentials tokens belong to no person; only the client must still be enabled.
        if _active_client(client_id) is None:
            return None
        return TokenHolder(client_id, None)
    grant = token_store.load_grant(grant_id)
    if grant is None or grant.account is None or grant.client_id != client_id:
        return None
    subject = subject_for(grant.account.sub, _active_client(client_id))
    if subject != claims.get("sub"):
        return None
    if grant.account.credential_epoch != claims.get("epoch"):
        return None
    if not grant.is_live(now(), sessions.idle_timeout()):
        return None
    return TokenHolder(client_id, grant.account, subject, grant.requested_claims)
