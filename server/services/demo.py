"""The demo account and portal that `make run` seeds, so a newcomer can try single sign-on."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import current_app

from ..domain.identifiers import phone_logins
from ..extensions import db
from ..security import random_token
from .accounts import create_account, find_by_login
from .clients import create_client, find_client

DEMO_EMAIL = "demo@example.org"
DEMO_PHONE = "+79123456789"
DEMO_PASSWORD = "passport-demo"
DEMO_CLIENT_ID = "demo-portal"


def seed_demo(*, portal_url: str) -> dict:
    """Create what is missing; the portal's secret is kept in instance/demo-portal.json."""
    account = find_by_login(DEMO_EMAIL)
    if account is None:
        # A Passport of e-mail logins only (PHONE_LOGINS off) has no phone numbers to show.
        phone = DEMO_PHONE if phone_logins() else None
        account = create_account(
            email=DEMO_EMAIL,
            phone=phone,
            password=DEMO_PASSWORD,
            name="Demo Person",
            email_verified=True,
            phone_verified=phone is not None,
        )
    if not account.is_developer:
        # The newcomer trying Passport is also the developer who will connect a portal.
        account.is_developer = True
        db.session.commit()
    credentials_file = Path(current_app.config["INSTANCE_DIR"]) / "demo-portal.json"
    client = find_client(DEMO_CLIENT_ID)
    if client is None or not credentials_file.exists():
        if client is not None:
            from .clients import delete_client

            delete_client(client)
        secret = random_token(32)
        create_client(
            {
                "client_name": "Demo portal",
                "redirect_uris": [f"{portal_url}/callback"],
                "post_logout_redirect_uris": [f"{portal_url}/"],
                "backchannel_logout_uri": f"{portal_url}/backchannel-logout",
                "backchannel_logout_session_required": True,
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "client_secret_basic",
                "scope": "openid email phone profile offline_access",
            },
            first_party=True,
            client_id=DEMO_CLIENT_ID,
            secret=secret,
        )
        credentials_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(
                {
                    "issuer": current_app.config["ISSUER"],
                    "client_id": DEMO_CLIENT_ID,
                    "client_secret": secret,
                    "portal_url": portal_url,
                },
                handle,
                indent=2,
            )
    return {
        "issuer": current_app.config["ISSUER"],
        "login": DEMO_EMAIL,
        "password": DEMO_PASSWORD,
        "portal": portal_url,
        "portal_client_id": DEMO_CLIENT_ID,
    }
