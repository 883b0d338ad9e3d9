"""Signing keys: generated on first run, rotated by `passport keys rotate`, served as the JWKS.

keys/keys.json lists the keys and their times; each private key is a PEM file beside it
(mode 0600). A key's state follows from the clock:

- "next": published in the JWKS, not yet signing (activate_at is in the future), so
  relying parties that cache the JWKS learn it before they see a token signed with it;
- "active": the newest key of its algorithm whose activate_at has passed; it signs;
- "retired": a newer key of its algorithm is active; still published until every token
  it signed has expired;
- "expired": past that; left out of the JWKS and deleted at the next rotation.

PEM parsing is slow (~26 ms for RSA), so keys are parsed once per process and reloaded
only when keys.json changes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from joserfc.jwk import ECKey, KeySet, RSAKey

from ..clock import now

ALGORITHMS = ("RS256", "ES256")
MANIFEST = "keys.json"


@dataclass
class SigningKey:
    kid: str
    alg: str
    created_at: datetime
    activate_at: datetime
    key: RSAKey | ECKey
    retired_at: datetime | None = None

    def state(self, moment: datetime, retention: timedelta) -> str:
        if self.activate_at > moment:
            return "next"
        if self.retired_at is None or self.retired_at > moment:
            return "active"
        if self.retired_at + retention > moment:
            return "retired"
        return "expired"

    def public_jwk(self) -> dict:
        jwk = self.key.as_dict(private=False)
        jwk.update(kid=self.kid, use="sig", alg=self.alg)
        return jwk


class KeyStore:
    def __init__(
        self, directory: str | Path, *, retention_seconds: int, recheck_seconds: float = 1.0
    ):
        self.directory = Path(directory)
        self.recheck_seconds = recheck_seconds
        self._checked_at = -math.inf
        self.retention = timedelta(seconds=retention_seconds)
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._manifest_path = str(self.directory / MANIFEST)
        self._keys: list[SigningKey] = []
        self._view: KeyView | None = None

    # --- reading ---
    def keys(self) -> list[SigningKey]:
        # keys.json is looked at (one stat()) at most once a `recheck_seconds`: a request
        # asks for keys several times, and each stat lets another thread take the GIL.
        # `passport keys rotate` in another process is seen within that time, long before
        # its publish-before-sign delay ends; a rotation in this process at once.
        moment = time.monotonic()
        if moment - self._checked_at < self.recheck_seconds:
            return self._keys
        try:
            mtime = os.stat(self._manifest_path).st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if mtime != self._mtime:
            with self._lock:
                self._keys = self._load() if mtime is not None else []
                self._mtime = mtime
        self._checked_at = moment  # only now: until the first load, every caller looks
        return self._keys

    def _load(self) -> list[SigningKey]:
        data = json.loads((self.directory / MANIFEST).read_text())
        loaded = []
        for entry in data["keys"]:
            pem = (self.directory / entry["file"]).read_bytes()
            key_class = RSAKey if entry["alg"] == "RS256" else ECKey
            loaded.append(
                SigningKey(
                    kid=entry["kid"],
                    alg=entry["alg"],
                    created_at=datetime.fromisoformat(entry["created_at"]),
                    activate_at=datetime.fromisoformat(entry["activate_at"]),
                    key=key_class.import_key(
                        pem, {"kid": entry["kid"], "alg": entry["alg"], "use": "sig"}
                    ),
                )
            )
        _set_retirement(loaded)
        return loaded

    def view(self) -> KeyView:
        """What the keys are now: which sign, which are published. Worked out again only when
        keys.json changes or the clock passes a key's activation or expiry."""
        keys = self.keys()
        moment = now()
        view = self._view
        if view is None or view.keys is not keys or not view.valid_at(moment):
            view = self._view = KeyView(keys, moment, self.retention)
        return view

    def signing_key(self, alg: str) -> SigningKey:
        key = self.view().signing.get(alg)
        if key is None:
            raise LookupError(f"no active {alg} signing key; run `passport keys rotate`")
        return key

    def ready(self) -> bool:
        """Whether every algorithm has a key that signs now (readiness of a node)."""
        signing = self.view().signing
        return all(alg in signing for alg in ALGORITHMS)

    def published(self) -> list[SigningKey]:
        return self.view().published

    def public_jwks(self) -> dict:
        return {"keys": [key.public_jwk() for key in self.published()]}

    def verification_keys(self) -> KeySet:
        """The keys that may have signed a token still alive, picked by the token's `kid`."""
        return self.view().key_set

    def states(self) -> list[tuple[SigningKey, str]]:
        moment = now()
        return [(k, k.state(moment, self.retention)) for k in self.keys()]

    # --- writing (the CLI and first start) ---
    def ensure(self) -> list[SigningKey]:
        """Make sure every algorithm has a key that signs now; generate what is missing."""
        moment = now()
        missing = [
            alg
            for alg in ALGORITHMS
            if not any(k.alg == alg and k.activate_at <= moment for k in self.keys())
        ]
        return [self._add(alg, activate_at=moment) for alg in missing]

    def rotate(self, alg: str, *, delay_seconds: int) -> SigningKey:
        if alg not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {alg!r}; use one of {', '.join(ALGORITHMS)}")
        key = self._add(alg, activate_at=now() + timedelta(seconds=delay_seconds))
        self._prune()
        return key

    def _add(self, alg: str, *, activate_at: datetime) -> SigningKey:
        self.directory.mkdir(parents=True, exist_ok=True)
        key = RSAKey.generate_key(2048) if alg == "RS256" else ECKey.generate_key("P-256")
        kid = key.thumbprint()
        filename = f"{kid}.pem"
        _write_private(self.directory / filename, key.as_pem(private=True))
        entries = self._manifest_entries()
        entries.append(
            {
                "kid": kid,
                "alg": alg,
                "file": filename,
                "created_at": now().isoformat(),
                "activate_at": activate_at.isoformat(),
            }
        )
        self._write_manifest(entries)
        return next(k for k in self.keys() if k.kid == kid)

    def _prune(self) -> None:
        expired = {k.kid for k, state in self.states() if state == "expired"}
        if not expired:
            return
        entries = self._manifest_entries()
        self._write_manifest([e for e in entries if e["kid"] not in expired])
        for entry in entries:
            if entry["kid"] in expired:
                (self.directory / entry["file"]).unlink(missing_ok=True)

    def _manifest_entries(self) -> list[dict]:
        path = self.directory / MANIFEST
        return json.loads(path.read_text())["keys"] if path.exists() else []

    def _write_manifest(self, entries: list[dict]) -> None:
        path = self.directory / MANIFEST
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"keys": entries}, indent=2))
        os.replace(temporary, path)
        self._mtime = None
        self._checked_at = -math.inf


class KeyView:
    """The keys' states at one moment, valid until the next activation or expiry."""

    def __init__(self, keys: list[SigningKey], moment: datetime, retention: timedelta):
        self.keys = keys
        self.signing: dict[str, SigningKey] = {}
        for key in keys:
            if key.state(moment, retention) == "active":
                self.signing[key.alg] = key  # the newest active key of its algorithm
        self.published = [k for k in keys if k.state(moment, retention) != "expired"]
        self.key_set = KeySet([k.key for k in self.published])
        self.jwks_json = json.dumps(
            {"keys": [k.public_jwk() for k in self.published]}, separators=(",", ":")
        ).encode()
        self.jwks_etag = etag_of(self.jwks_json)
        changes = [k.activate_at for k in keys] + [
            k.retired_at + retention for k in keys if k.retired_at is not None
        ]
        self.since = moment
        self.until = min((c for c in changes if c > moment), default=None)

    def valid_at(self, moment: datetime) -> bool:
        return moment >= self.since and (self.until is None or moment < self.until)


def keystore() -> KeyStore:
    """This app's signing keys, loaded once per process (create_app puts them here)."""
    return current_app.extensions["passport.keys"]


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def _set_retirement(keys: list[SigningKey]) -> None:
    """A key retires when the next key of its algorithm becomes active."""
    for alg in ALGORITHMS:
        same = sorted((k for k in keys if k.alg == alg), key=lambda k: k.activate_at)
        for older, newer in zip(same, same[1:], strict=False):
            older.retired_at = newer.activate_at


def _write_private(path: Path, pem: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(path, 0o600)
