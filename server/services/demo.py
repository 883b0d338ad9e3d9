"""The demo account and portal that `make run` seeds, so a newcomer can try single sign-on."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..domain.identifiers import phone_logins
from ..extensions import db
from ..models import Account
from ..security import random_token
from .accounts import create_account
from .clients import create_client, find_client

DEMO_EMAIL = "demo@example.org"
DEMO_PHONE = "+79123456789"
DEMO_PASSWORD = "passport-demo"
DEMO_CLIENT_ID = "demo-portal"
DEMO_SPA_CLIENT_ID = "demo-spa"
DEMO_NATIVE_CLIENT_ID = "demo-cli"


def seed_demo(*, portal_url: str, spa_url: str | None = None) -> dict:
    """Create what is missing; the portal's secret is kept in instance/demo-portal.json.
    The demo portal belongs to the demo account, so it shows in that developer's console.

    Raises IdentifierTaken when there is no demo account yet and another account holds the
    demo e-mail or phone number.
    """
    account = _demo_account()
    if not account.is_developer:
        # The newcomer trying Passport is also the developer who will connect a portal.
        account.is_developer = True
        db.session.commit()
    credentials_file = Path(current_app.config["INSTANCE_DIR"]) / "demo-portal.json"
    client = find_client(DEMO_CLIENT_ID)
    if client is not None and credentials_file.exists():
        _follow(client, credentials_file, portal_url)
    if client is None or not credentials_file.exists():
        if client is not None:
            from .clients import delete_client

            delete_client(client)
        secret = random_token(32)
        create_client(
            _portal_metadata(portal_url),
            first_party=True,
            owner_id=account.id,
            client_id=DEMO_CLIENT_ID,
            secret=secret,
        )
        _write_credentials(
            credentials_file,
            {
                "issuer": current_app.config["ISSUER"],
                "client_id": DEMO_CLIENT_ID,
                "client_secret": secret,
                "portal_url": portal_url,
            },
        )
    elif client.owner_id != account.id:
        # Seeded before the demo account owned it: it belongs in the demo developer's console.
        client.owner_id = account.id
        db.session.commit()
    seeded = {
        "issuer": current_app.config["ISSUER"],
        "login": account.login,
        "password": DEMO_PASSWORD,
        "portal": portal_url,
        "portal_client_id": DEMO_CLIENT_ID,
    }
    if find_client(DEMO_NATIVE_CLIENT_ID) is None:
        # The command-line example (clients/native): any port of the loopback address.
        create_client(
            {
                "client_name": "Command-line demo",
                "application_type": "native",
                "redirect_uris": ["http://127.0.0.1/callback", "http://[::1]/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none",
                "scope": "openid email profile offline_access",
            },
            first_party=True,
            owner_id=account.id,
            client_id=DEMO_NATIVE_CLIENT_ID,
        )
    seeded["native_client_id"] = DEMO_NATIVE_CLIENT_ID
    if spa_url:
        _seed_spa(account, spa_url)
        seeded.update(spa=spa_url, spa_client_id=DEMO_SPA_CLIENT_ID)
    return seeded


def _spa_metadata(spa_url: str) -> dict:
    return {
        "client_name": "Single-page demo",
        "redirect_uris": [f"{spa_url}/callback"],
        "post_logout_redirect_uris": [f"{spa_url}/"],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none",
        "scope": "openid email profile offline_access",
    }


def _seed_spa(account: Account, spa_url: str) -> None:
    """The single-page example (clients/spa): a public client, no secret to keep; its
    redirect URIs follow where it is served."""
    from .clients import update_client_metadata

    client = find_client(DEMO_SPA_CLIENT_ID)
    if client is None:
        create_client(
            _spa_metadata(spa_url),
            first_party=True,
            owner_id=account.id,
            client_id=DEMO_SPA_CLIENT_ID,
        )
    elif client.client_metadata.get("redirect_uris") != [f"{spa_url}/callback"]:
        update_client_metadata(client, {**client.client_metadata, **_spa_metadata(spa_url)})


def _portal_metadata(portal_url: str) -> dict:
    return {
        "client_name": "Demo portal",
        "redirect_uris": [f"{portal_url}/callback"],
        "post_logout_redirect_uris": [f"{portal_url}/"],
        "backchannel_logout_uri": f"{portal_url}/backchannel-logout",
        "backchannel_logout_session_required": True,
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "openid email phone profile offline_access",
    }


def _follow(client, credentials_file: Path, portal_url: str) -> None:
    """`make run PORT=… PORTAL_PORT=…` moved Passport or the portal: the demo portal's
    redirect URIs and its credentials file follow (its secret stays)."""
    from .clients import update_client_metadata

    credentials = json.loads(credentials_file.read_text())
    issuer = current_app.config["ISSUER"]
    if credentials.get("portal_url") == portal_url and credentials.get("issuer") == issuer:
        return
    if credentials.get("portal_url") != portal_url:
        update_client_metadata(client, {**client.client_metadata, **_portal_metadata(portal_url)})
    credentials.update(portal_url=portal_url, issuer=issuer)
    _write_credentials(credentials_file, credentials)


def _write_credentials(path: Path, credentials: dict) -> None:
    """The demo portal's credentials, readable by their owner only (it holds a secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(credentials, handle, indent=2)


def _demo_account() -> Account:
    """The account marked as the demo, or a new one. Found by the mark, never by its login:
    the person trying Passport may change the demo account's e-mail and phone, and seeding
    again must not make a second Demo Person at the old address."""
    account = db.session.execute(select(Account).where(Account.is_demo)).scalar_one_or_none()
    if account is not None:
        return account
    # A Passport of e-mail logins only (PHONE_LOGINS off) has no phone numbers to show.
    phone = DEMO_PHONE if phone_logins() else None
    return create_account(
        email=DEMO_EMAIL,
        phone=phone,
        password=DEMO_PASSWORD,
        name="Demo Person",
        email_verified=True,
        phone_verified=phone is not None,
        is_demo=True,
    )
