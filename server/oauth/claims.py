"""Which claims a scope releases (OIDC Core §5.4), for ID tokens and userinfo alike."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oidc.core import UserInfo

from ..domain.client_metadata import SCOPES_SUPPORTED
from ..models import Account

__all__ = ["CLAIMS_SUPPORTED", "SCOPES_SUPPORTED", "user_info"]
CLAIMS_SUPPORTED = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "at_hash",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "address",
    "name",
    "locale",
    "updated_at",
]


def user_info(account: Account, scope: str, *, sub: str | None = None) -> UserInfo:
    """The claims the scope releases; `sub` is the one the client knows the person by
    (pairwise, OIDC Core §8), the account's public one by default."""
    scopes = set(scope_to_list(scope) or [])
    info = UserInfo(sub=sub or account.sub)
    if "email" in scopes and account.email:
        info["email"] = account.email
        info["email_verified"] = bool(account.email_verified)
    if "phone" in scopes and account.phone:
        info["phone_number"] = account.phone
        info["phone_number_verified"] = bool(account.phone_verified)
    if "address" in scopes and account.address:
        info["address"] = dict(account.address)  # OIDC Core §5.1.1
    if "profile" in scopes:
        if account.name:
            info["name"] = account.name
        if account.locale:
            info["locale"] = account.locale
        info["updated_at"] = int(account.updated_at.timestamp())
    return info
