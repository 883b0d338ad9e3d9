"""A software authenticator (WebAuthn Level 3 §6): it makes passkeys and signs assertions
with keys from `cryptography`, encoding what it sends with cbor2, as a phone or a security
key would. Each part of what it signs can be spoiled, for the refusals the server owes."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftwareAuthenticator:
    """One passkey: an ES256 key, its credential id, the user handle it was made for, and
    its signature counter (`synced` passkeys keep none: 0, and say they are backed up)."""

    def __init__(self, origin: str, rp_id: str, *, synced: bool = True):
        self.origin = origin
        self.rp_id = rp_id
        self.synced = synced
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.user_handle: str | None = None
        self.counter = 0

    def _auth_data(self, flags: int, rp_id: str | None, extra: bytes = b"") -> bytes:
        if self.synced:
            flags |= BE | BS
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.counter) + extra

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps(data, separators=(",", ":")).encode()

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def register(self, options: dict, *, origin=None, rp_id=None, verified=True) -> dict:
        """navigator.credentials.create(): the registration response to `options`."""
        self.user_handle = options["user"]["id"]
        flags = UP | AT | (UV if verified else 0)
        attested = (
            bytes(16)  # AAGUID: none given
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_key()
        )
        auth_data = self._auth_data(flags, rp_id, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return self._credential(
            clientDataJSON=b64(client_data),
            attestationObject=b64(attestation),
            transports=["internal", "hybrid"],
        )

    def assertion(
        self, options: dict, *, origin=None, rp_id=None, verified=True, counter=None
    ) -> dict:
        """navigator.credentials.get(): the authentication response to `options`."""
        if counter is not None:
            self.counter = counter
        elif not self.synced:
            self.counter += 1
        auth_data = self._auth_data(UP | (UV if verified else 0), rp_id)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return self._credential(
            clientDataJSON=b64(client_data),
            authenticatorData=b64(auth_data),
            signature=b64(signature),
            userHandle=self.user_handle,
        )

    def _credential(self, **response) -> dict:
        """A PublicKeyCredential as its toJSON() gives it (WebAuthn Level 3 §5.1.8)."""
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
