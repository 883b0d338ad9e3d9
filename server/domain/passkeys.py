"""Passkeys (WebAuthn Level 2/3): the rules of adding one and signing in with it. The
ceremonies' cryptography (CBOR, COSE keys, attestation statements, signatures) is
py_webauthn's; what is Passport's:

- The relying party is the issuer's host (WEBAUTHN_RP_ID to serve under a parent domain),
  and the origins the issuer's (WEBAUTHN_ORIGINS to add more).
- Every challenge is made here, kept server-side as its SHA-256, answered once, within
  CHALLENGE_LIFETIME seconds: a registration's by its account, a sign-in's by the browser
  that asked for it. A response naming another challenge is refused, however well signed.
- Passkeys are discoverable (resident keys) and user verification is required, so a
  passkey alone is two factors: something held and a PIN or a biometric (amr "mfa").
- The signature counter never goes back; synced passkeys (which keep none) stay at 0.
- Attestation is "none" unless the operators require "direct" from a list of authenticator
  models (WEBAUTHN_ATTESTATION, WEBAUTHN_AAGUIDS).
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..clock import now
from ..extensions import db
from ..models import Account, Passkey, PasskeyChallenge
from ..security import sha256_hex
from .errors import PasskeyRefused

CHALLENGE_LIFETIME = 300
MAX_PASSKEYS = 20
MAX_NAME_LENGTH = 100
MAX_RESPONSE_BYTES = 16384


def rp_id() -> str:
    return current_app.config["WEBAUTHN_RP_ID"] or urlsplit(current_app.config["ISSUER"]).hostname


def origins() -> list[str]:
    issuer = urlsplit(current_app.config["ISSUER"])
    return [f"{issuer.scheme}://{issuer.netloc}", *current_app.config["WEBAUTHN_ORIGINS"]]


def _challenge(purpose: str, *, account_id: int | None = None, browser: str | None = None) -> bytes:
    """A new challenge for one ceremony, stored as its hash. No commit."""
    challenge = secrets.token_bytes(32)
    moment = now()
    db.session.add(
        PasskeyChallenge(
            challenge_hash=sha256_hex(bytes_to_base64url(challenge)),
            purpose=purpose,
            account_id=account_id,
            browser=browser,
            created_at=moment,
            expires_at=moment + timedelta(seconds=CHALLENGE_LIFETIME),
        )
    )
    return challenge


def _client_data(response: dict) -> dict:
    try:
        raw = response["response"]["clientDataJSON"]
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (KeyError, TypeError, ValueError) as error:
        raise PasskeyRefused("malformed") from error
    if not isinstance(data, dict) or not isinstance(data.get("challenge"), str):
        raise PasskeyRefused("malformed")
    return data


def _spend_challenge(
    response: dict, purpose: str, *, account_id: int | None = None, browser: str | None = None
) -> bytes:
    """The challenge the response answers, if this server made it for this ceremony, for
    this account or browser, and it is still unanswered and in time; it is spent now (the
    caller's transaction). Raises PasskeyRefused("challenge")."""
    challenge = _client_data(response)["challenge"]
    key = sha256_hex(challenge)
    stored = db.session.get(PasskeyChallenge, key)
    if (
        stored is None
        or stored.purpose != purpose
        or stored.expires_at <= now()
        or (account_id is not None and stored.account_id != account_id)
        or (browser is not None and stored.browser != browser)
    ):
        raise PasskeyRefused("challenge")
    spent = db.session.execute(
        delete(PasskeyChallenge).where(PasskeyChallenge.challenge_hash == key)
    )
    if spent.rowcount != 1:  # answered at the same instant by another request
        raise PasskeyRefused("challenge")
    return base64url_to_bytes(challenge)


def passkeys_of(account: Account) -> list[Passkey]:
    return list(
        db.session.scalars(
            select(Passkey).where(Passkey.account_id == account.id).order_by(Passkey.created_at)
        )
    )


def registration_options(account: Account) -> str:
    """The options (JSON) for navigator.credentials.create(). No commit."""
    challenge = _challenge("register", account_id=account.id)
    existing = passkeys_of(account)
    if len(existing) >= MAX_PASSKEYS:
        raise PasskeyRefused("too_many")
    direct = current_app.config["WEBAUTHN_ATTESTATION"] == "direct"
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=current_app.config["WEBAUTHN_RP_NAME"],
        user_id=account.sub.encode(),
        user_name=account.login or account.sub,
        user_display_name=account.name or account.login or "",
        challenge=challenge,
        timeout=CHALLENGE_LIFETIME * 1000,
        attestation=(
            AttestationConveyancePreference.DIRECT
            if direct
            else AttestationConveyancePreference.NONE
        ),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in existing
        ],
    )
    return options_to_json(options)


def add(account: Account, response: dict, name: str) -> Passkey:
    """Verify a registration response (its challenge spent) and keep the passkey. No
    commit. Raises PasskeyRefused."""
    name = (name or "").strip()[:MAX_NAME_LENGTH] or "Passkey"
    expected = _spend_challenge(response, "register", account_id=account.id)
    try:
        verified = verify_registration_response(
            credential=response,
            expected_challenge=expected,
            expected_rp_id=rp_id(),
            expected_origin=origins(),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused("invalid") from error
    if current_app.config["WEBAUTHN_ATTESTATION"] == "direct":
        allowed = current_app.config["WEBAUTHN_AAGUIDS"]
        if verified.fmt == "none" or (allowed and verified.aaguid not in allowed):
            raise PasskeyRefused("attestation")
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise PasskeyRefused("registered")
    transports = (response.get("response") or {}).get("transports")
    passkey = Passkey(
        account_id=account.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t for t in transports if isinstance(t, str)][:8]
        if isinstance(transports, list)
        else None,
        aaguid=verified.aaguid,
        device_type=str(verified.credential_device_type.value),
        backed_up=bool(verified.credential_backed_up),
        name=name,
        created_at=now(),
    )
    db.session.add(passkey)
    return passkey


def authentication_options(browser: str, account: Account | None = None) -> str:
    """The options (JSON) for navigator.credentials.get(): any discoverable passkey of this
    site, or, for a second step, the passkeys of `account`. No commit."""
    challenge = _challenge(
        "authenticate", account_id=account.id if account else None, browser=browser
    )
    allowed = []
    if account is not None:
        allowed = [
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(p.credential_id),
                transports=[
                    AuthenticatorTransport(t) for t in p.transports or [] if t in _TRANSPORTS
                ],
            )
            for p in passkeys_of(account)
        ]
    options = generate_authentication_options(
        rp_id=rp_id(),
        challenge=challenge,
        timeout=CHALLENGE_LIFETIME * 1000,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


_TRANSPORTS = {t.value for t in AuthenticatorTransport}


def authenticate(response: dict, browser: str, account: Account | None = None) -> Passkey:
    """The passkey that signed an authentication response, verified: the challenge this
    browser was given (spent now), the user handle of the passkey's account, user
    verification, a counter that went forward. Updates the counter, the backup flag and
    the last use. No commit. Raises PasskeyRefused."""
    expected = _spend_challenge(response, "authenticate", browser=browser)
    credential_id = response.get("id") if isinstance(response.get("id"), str) else None
    passkey = (
        db.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
        if credential_id and len(credential_id) <= 1400
        else None
    )
    if passkey is None or (account is not None and passkey.account_id != account.id):
        raise PasskeyRefused("unknown")
    handle = (response.get("response") or {}).get("userHandle")
    owner = db.session.get(Account, passkey.account_id)
    if handle is not None and handle != bytes_to_base64url(owner.sub.encode()):
        raise PasskeyRefused("unknown")
    try:
        verified = verify_authentication_response(
            credential=response,
            expected_challenge=expected,
            expected_rp_id=rp_id(),
            expected_origin=origins(),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused("invalid") from error
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = bool(verified.credential_backed_up)
    passkey.last_used_at = now()
    return passkey


def amr_of(passkey: Passkey) -> list[str]:
    """RFC 8176: a key held in hardware (a device-bound passkey) or in software that syncs,
    a user-presence test, and — user verification being required — more than one factor."""
    held = "hwk" if passkey.device_type == "single_device" else "swk"
    return [held, "user", "mfa"]


def rename(account: Account, passkey_id: int, name: str) -> Passkey:
    passkey = _own(account, passkey_id)
    passkey.name = (name or "").strip()[:MAX_NAME_LENGTH] or passkey.name
    return passkey


def _own(account: Account, passkey_id: int) -> Passkey:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.account_id != account.id:
        raise PasskeyRefused("unknown")
    return passkey


def remove(account: Account, passkey_id: int) -> Passkey:
    """Delete one of the account's passkeys. No commit; the caller checks it is not the
    last way in."""
    passkey = _own(account, passkey_id)
    db.session.delete(passkey)
    return passkey


def count(account: Account) -> int:
    return len(passkeys_of(account))
