"""Factories: accounts and clients made through the same services the app uses."""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass
class AccountInfo:
    id: int
    sub: str
    email: str | None
    phone: str | None
    password: str


@dataclass
class ClientInfo:
    client_id: str
    client_secret: str | None
    redirect_uri: str
    metadata: dict


class Factories:
    def __init__(self, live_server):
        self.server = live_server

    def account(
        self,
        *,
        email: str | None = "",
        phone: str | None = None,
        password: str | None = None,
        name: str | None = None,
        address: dict | None = None,
    ) -> AccountInfo:
        from server.services.accounts import create_account
        from server.services.profile import set_address

        if email == "":
            email = f"person-{secrets.token_hex(4)}@example.org"
        password = password or "correct horse " + secrets.token_hex(4)
        with self.server.app_context():
            account = create_account(
                email=email,
                phone=phone,
                password=password,
                name=name,
                email_verified=bool(email),
                phone_verified=bool(phone),
            )
            if address:
                set_address(account, address)
            return AccountInfo(account.id, account.sub, account.email, account.phone, password)

    def phone_number(self) -> str:
        return "+7912" + "".join(secrets.choice("0123456789") for _ in range(7))

    def client(
        self,
        *,
        redirect_uri: str = "http://127.0.0.1:9/callback",
        first_party: bool = False,
        public: bool = False,
        **metadata,
    ) -> ClientInfo:
        from server.services.clients import create_client

        data = {
            "client_name": "Test portal " + secrets.token_hex(3),
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none" if public else "client_secret_basic",
            "scope": "openid email phone profile offline_access",
        }
        data.update(metadata)
        with self.server.app_context():
            client, secret = create_client(data, first_party=first_party)
            return ClientInfo(client.client_id, secret, redirect_uri, dict(client.client_metadata))
