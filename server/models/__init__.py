"""SQLAlchemy models, one module per aggregate."""

from .accounts import Account, AccountPhoto
from .audit import AuditEvent
from .clients import Client, ClientSnapshot, Consent, InitialAccessToken, UsedAssertion
from .federation import UpstreamIdentity
from .keys import SigningKeyRecord
from .outbox import OutboxMessage
from .passkeys import Passkey, PasskeyChallenge
from .sessions import LoginSession
from .tokens import AuthorizationCode, DeviceAuthorization, Grant, PushedRequest, RefreshToken
from .two_factor import RecoveryCode, TotpAuthenticator, TrustedDevice
from .verifications import Verification

__all__ = [
    "Account",
    "AccountPhoto",
    "AuditEvent",
    "AuthorizationCode",
    "Client",
    "ClientSnapshot",
    "Consent",
    "DeviceAuthorization",
    "Grant",
    "InitialAccessToken",
    "LoginSession",
    "OutboxMessage",
    "Passkey",
    "PasskeyChallenge",
    "PushedRequest",
    "RecoveryCode",
    "RefreshToken",
    "SigningKeyRecord",
    "TotpAuthenticator",
    "TrustedDevice",
    "UpstreamIdentity",
    "UsedAssertion",
    "Verification",
]
