"""Social networks: signing in with them, linking and unlinking them (invariant 5).

An upstream identity is keyed by (provider, subject), never by e-mail. An upstream account
that is not linked yet never signs in to a Passport that holds its e-mail: the person signs
in to that Passport first and links the network there.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import federation
from ..clock import now
from ..context import RequestContext
from ..domain import audit, factors, notifications, passkeys
from ..domain.credentials import credential_changed, signed_in_recently
from ..domain.errors import (
    IdentityLinkedElsewhere,
    InvalidIdentifier,
    LastLoginMethod,
    NotLinked,
    ProviderAlreadyLinked,
    UpstreamEmailHeld,
)
from ..domain.identifiers import normalise_email
from ..domain.subjects import new_subject
from ..extensions import db
from ..federation.profile import UpstreamProfile
from ..models import Account, LoginSession, UpstreamIdentity
from .owner import check_owner


def find_identity(provider: str, subject: str) -> UpstreamIdentity | None:
    return db.session.execute(
        select(UpstreamIdentity).where(
            UpstreamIdentity.provider == provider, UpstreamIdentity.subject == subject
        )
    ).scalar_one_or_none()


def linked_identities(account: Account) -> dict[str, UpstreamIdentity]:
    """The account's linked networks, by provider name."""
    rows = db.session.execute(
        select(UpstreamIdentity).where(UpstreamIdentity.account_id == account.id)
    ).scalars()
    return {row.provider: row for row in rows}


def sign_in_with_upstream(
    profile: UpstreamProfile,
    *,
    locale: str | None = None,
    context: RequestContext | None = None,
    retry: bool = True,
) -> tuple[Account, bool]:
    """The Passport an upstream account opens: the linked one, or a new one made from it.

    Returns (account, created). A new Passport has no password, and takes the e-mail only
    when the provider says it is verified. Raises UpstreamEmailHeld when the account is
    not linked and a Passport holds its e-mail — that Passport is never signed in to here.
    """
    context = context or RequestContext()
    identity = find_identity(profile.provider, profile.subject)
    if identity is not None:
        _remember(identity, profile)
        db.session.commit()
        return identity.account, False
    email = _usable_email(profile.email)
    if email and _email_holder(email) is not None:
        raise UpstreamEmailHeld(email)
    # An address the provider does not vouch for stays on the identity only: a login is used
    # once confirmed (invariant 4), and taken here it would keep the address from its owner,
    # who on recovering this Passport would share it with the stranger's network.
    email = email if profile.email_verified else None
    account = Account(
        sub=new_subject(),
        email=email,
        email_verified=bool(email),
        name=profile.name,
        locale=locale,
    )
    db.session.add(account)
    try:
        db.session.flush()
        identity = UpstreamIdentity(account_id=account.id, linked_at=now())
        _remember(identity, profile)
        db.session.add(identity)
        db.session.flush()
    except IntegrityError:
        # Another request took the e-mail or linked this upstream account meanwhile: once
        # more, and the checks above see it.
        db.session.rollback()
        if not retry:
            raise
        return sign_in_with_upstream(profile, locale=locale, context=context, retry=False)
    fields = {"ip_address": context.ip_address, "user_agent": context.user_agent}
    audit.record("account_created", account_id=account.id, provider=profile.provider, **fields)
    audit.record("social_linked", account_id=account.id, provider=profile.provider, **fields)
    db.session.commit()
    return account, True


def link_social(
    account: Account, profile: UpstreamProfile, *, context: RequestContext | None = None
) -> UpstreamIdentity:
    """Link an upstream account to this Passport; the person is notified, the link audited.

    The caller has checked that the owner is at the keyboard (a fresh sign-in, or the
    password). Raises IdentityLinkedElsewhere when another Passport links this upstream
    account, ProviderAlreadyLinked when this Passport links another account of the network.
    """
    context = context or RequestContext()
    identity = find_identity(profile.provider, profile.subject)
    if identity is not None:
        if identity.account_id != account.id:
            raise IdentityLinkedElsewhere()
        _remember(identity, profile)
        db.session.commit()
        return identity
    if profile.provider in linked_identities(account):
        raise ProviderAlreadyLinked()
    identity = UpstreamIdentity(account_id=account.id, linked_at=now())
    _remember(identity, profile, used=False)
    db.session.add(identity)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise IdentityLinkedElsewhere() from error
    audit.record(
        "social_linked",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        provider=profile.provider,
    )
    notifications.notify(account, "social_linked", network=profile.provider, upstream=identity)
    db.session.commit()
    return identity


def unlink_social(
    account: Account,
    provider: str,
    password: str | None,
    *,
    login_session: LoginSession | None,
    code: str | None = None,
    context: RequestContext | None = None,
) -> LoginSession | None:
    """Unlink a network after the owner check: a credential change (invariant 2).

    Returns the re-issued session of this browser. Raises NotLinked, LastLoginMethod (no
    password and no other network: create a password first), and the errors of check_owner.
    """
    hold_account(account)
    linked = linked_identities(account)
    identity = linked.get(provider)
    if identity is None:
        raise NotLinked()
    # Only a network the operator still offers is a way to sign in.
    offered = {p.name for p in federation.providers()}
    if (
        account.password_hash is None
        and not (set(linked) - {provider}) & offered
        and not passkeys.passkeys_of(account)
    ):
        raise LastLoginMethod()
    check_owner(account, password, login_session, code)
    db.session.delete(identity)
    replacement = credential_changed(
        account,
        reason="social_unlinked",
        credential_type="federated",
        change_type="delete",
        keep=login_session,
        context=context,
        provider=provider,
    )
    notifications.notify(account, "social_unlinked", network=provider, upstream=identity)
    db.session.commit()
    return replacement


def may_link_held_network(login_session: LoginSession, *, held_since: int) -> bool:
    """May this session link the network that was put on hold at `held_since` (a timestamp)
    because its e-mail belongs to the Passport? Only a sign-in made after that, and
    recently (a session that was open already at this browser proves nothing of who brought
    the network), with the password when the Passport has one and the second factor when
    it is on (invariant 1)."""
    if not signed_in_recently(login_session):
        return False
    if int(login_session.auth_time.timestamp()) < held_since:
        return False
    account, amr = login_session.account, login_session.amr or []
    if account.password_hash and "pwd" not in amr:
        return False
    return "mfa" in amr or not factors.is_enabled(account)


def check_reauthentication(account: Account, profile: UpstreamProfile) -> UpstreamIdentity:
    """A fresh upstream sign-in confirms the owner only through a network linked to this
    Passport. Raises NotLinked otherwise."""
    identity = find_identity(profile.provider, profile.subject)
    if identity is None or identity.account_id != account.id:
        raise NotLinked()
    _remember(identity, profile)
    db.session.commit()
    return identity


def _remember(identity: UpstreamIdentity, profile: UpstreamProfile, *, used: bool = True) -> None:
    """Keep what the provider says now (UpstreamProfile has checked and bounded it)."""
    identity.provider = profile.provider
    identity.subject = profile.subject
    identity.email = profile.email
    identity.email_verified = profile.email_verified
    identity.name = profile.name or identity.name
    if used:
        identity.last_used_at = now()


def _usable_email(email: str | None) -> str | None:
    if not email:
        return None
    try:
        return normalise_email(email)
    except InvalidIdentifier:
        return None


def _email_holder(email: str) -> int | None:
    return db.session.execute(select(Account.id).where(Account.email == email)).scalar()


def hold_account(account: Account) -> None:
    """Hold the account's row until the commit, and read it afresh: two unlinks at once are
    checked one after the other, so they cannot both pass the last-way-to-sign-in rule.

    A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite alike."""
    db.session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(credential_epoch=Account.credential_epoch)
    )
    db.session.refresh(account)
