"""Signing keys: generated on first start, rotated by `passport keys rotate`, served as the JWKS.

Every node reads the keys from the database (table signing_keys), the private keys sealed
with KEY_ENCRYPTION_KEY, so all nodes sign with the same key and publish the same JWKS; a
rotation made on any node is seen by every other within KEYS_RECHECK_SECONDS. A keys/
folder (keys.json and a PEM file per key, mode 0600), where keys lived before, is imported
on the first start that finds the table empty. A key's state follows from the clock:

- "next": published in the JWKS, not yet signing (activate_at is in the future), so
  relying parties that cache the JWKS learn it before they see a token signed with it;
- "active": the newest key of its algorithm whose activate_at has passed; it signs;
- "retired": a newer key of its algorithm is active; still published until every token
  it signed has expired;
- "expired": past that; left out of the JWKS and deleted at the next rotation.

PEM parsing is slow (~26 ms for RSA), so keys are parsed once per process and read again
only when the stored set changes (one cheap query at most once a recheck interval).
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

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from ..clock import now
from ..extensions import autocommit_engine
from ..models import SigningKeyRecord

ALGORITHMS = ("RS256", "ES256", "PS256")
# PS256 (RSASSA-PSS) signs with an RSA key of its own: a JWK names one algorithm (RFC 7517
# §4.4), so the RS256 key is not shared with it.
RSA_ALGORITHMS = ("RS256", "PS256")
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


@dataclass(frozen=True)
class StoredKey:
    """A key as a storage keeps it: its times and its private key's PEM."""

    kid: str
    alg: str
    created_at: datetime
    activate_at: datetime
    pem: bytes


class FolderKeys:
    """keys/keys.json and a PEM file per key: development, tests, and what is imported."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._manifest = str(self.directory / MANIFEST)

    def version(self):
        try:
            return os.stat(self._manifest).st_mtime_ns
        except FileNotFoundError:
            return None

    def load(self) -> list[StoredKey]:
        return [
            StoredKey(
                kid=entry["kid"],
                alg=entry["alg"],
                created_at=datetime.fromisoformat(entry["created_at"]),
                activate_at=datetime.fromisoformat(entry["activate_at"]),
                pem=(self.directory / entry["file"]).read_bytes(),
            )
            for entry in self._entries()
        ]

    def add(self, key: StoredKey) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        filename = f"{key.kid}.pem"
        _write_private(self.directory / filename, key.pem)
        entries = self._entries()
        entries.append(
            {
                "kid": key.kid,
                "alg": key.alg,
                "file": filename,
                "created_at": key.created_at.isoformat(),
                "activate_at": key.activate_at.isoformat(),
            }
        )
        self._write(entries)

    def remove(self, kids: set[str]) -> None:
        entries = self._entries()
        self._write([e for e in entries if e["kid"] not in kids])
        for entry in entries:
            if entry["kid"] in kids:
                (self.directory / entry["file"]).unlink(missing_ok=True)

    def _entries(self) -> list[dict]:
        path = self.directory / MANIFEST
        return json.loads(path.read_text())["keys"] if path.exists() else []

    def _write(self, entries: list[dict]) -> None:
        path = self.directory / MANIFEST
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"keys": entries}, indent=2))
        os.replace(temporary, path)


class DatabaseKeys:
    """The signing_keys table, in the app context's database; the PEMs sealed (Fernet) with
    KEY_ENCRYPTION_KEY. On first use, an empty table takes the keys of `import_from`."""

    def __init__(self, import_from: FolderKeys | None = None):
        self.import_from = import_from

    def _fernet(self) -> Fernet:
        return Fernet(current_app.config["KEY_ENCRYPTION_KEY"].encode())

    def version(self):
        # A rotation adds a row and a prune deletes some: the count and the newest creation
        # together change with either.
        table = SigningKeyRecord.__table__
        with autocommit_engine().connect() as connection:
            count, newest = connection.execute(
                select(func.count(), func.max(table.c.created_at))
            ).one()
        return (count, newest)

    def load(self) -> list[StoredKey]:
        table = SigningKeyRecord.__table__
        with autocommit_engine().connect() as connection:
            rows = connection.execute(select(table)).all()
        if not rows and self.import_from is not None and self.import_from.version() is not None:
            for key in self.import_from.load():
                self.add(key)
            return self.load()
        fernet = self._fernet()
        loaded = []
        for row in rows:
            try:
                pem = fernet.decrypt(row.private_key_sealed.encode())
            except InvalidToken:
                raise RuntimeError(
                    f"signing key {row.kid} cannot be unsealed: KEY_ENCRYPTION_KEY is not the "
                    "key it was sealed with"
                ) from None
            loaded.append(StoredKey(row.kid, row.alg, row.created_at, row.activate_at, pem))
        return loaded

    def add(self, key: StoredKey) -> None:
        sealed = self._fernet().encrypt(key.pem).decode()
        try:
            with autocommit_engine().connect() as connection:
                connection.execute(
                    insert(SigningKeyRecord).values(
                        kid=key.kid,
                        alg=key.alg,
                        created_at=key.created_at,
                        activate_at=key.activate_at,
                        private_key_sealed=sealed,
                    )
                )
        except IntegrityError:
            pass  # another node stored the same key (an import on two first starts at once)

    def remove(self, kids: set[str]) -> None:
        with autocommit_engine().connect() as connection:
            connection.execute(delete(SigningKeyRecord).where(SigningKeyRecord.kid.in_(kids)))


class KeyStore:
    def __init__(
        self,
        storage: FolderKeys | DatabaseKeys | str | Path,
        *,
        retention_seconds: int,
        recheck_seconds: float = 1.0,
        generate_missing: bool = False,
    ):
        if isinstance(storage, (str, Path)):
            storage = FolderKeys(storage)
        self.storage = storage
        self.generate_missing = generate_missing
        self.recheck_seconds = recheck_seconds
        self._checked_at = -math.inf
        self.retention = timedelta(seconds=retention_seconds)
        self._lock = threading.Lock()  # one reload (and first generation) at a time
        self._version = None
        self._loaded = False
        self._keys: list[SigningKey] = []
        self._view: KeyView | None = None

    # --- reading ---
    def keys(self) -> list[SigningKey]:
        # The storage is asked whether its keys changed at most once a `recheck_seconds`:
        # a request asks for keys several times. `passport keys rotate` on another node is
        # seen within that time, long before its publish-before-sign delay ends; a rotation
        # in this process at once.
        moment = time.monotonic()
        if moment - self._checked_at < self.recheck_seconds:
            return self._keys
        if not self._loaded or self.storage.version() != self._version:
            with self._lock:
                self._reload()
        self._checked_at = moment  # only now: until the first load, every caller looks
        return self._keys

    def _reload(self) -> None:
        """Read the stored keys; with `generate_missing`, first give every algorithm that
        has none that signs now a key (a first start: the table empty, no folder to import)."""
        self._keys = self._parse(self.storage.load())
        if self.generate_missing:
            moment = now()
            missing = [a for a in ALGORITHMS if not _signs_by(self._keys, a, moment)]
            for alg in missing:
                self.storage.add(_new_key(alg, activate_at=moment))
            if missing:
                self._keys = self._parse(self.storage.load())
        self._version = self.storage.version()
        self._loaded = True

    @staticmethod
    def _parse(stored: list[StoredKey]) -> list[SigningKey]:
        loaded = []
        for entry in sorted(stored, key=lambda k: (k.activate_at, k.kid)):
            key_class = RSAKey if entry.alg in RSA_ALGORITHMS else ECKey
            loaded.append(
                SigningKey(
                    kid=entry.kid,
                    alg=entry.alg,
                    created_at=entry.created_at,
                    activate_at=entry.activate_at,
                    key=key_class.import_key(
                        entry.pem, {"kid": entry.kid, "alg": entry.alg, "use": "sig"}
                    ),
                )
            )
        _set_retirement(loaded)
        return loaded

    def view(self) -> KeyView:
        """What the keys are now: which sign, which are published. Worked out again only when
        the stored keys change or the clock passes a key's activation or expiry."""
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
        keys = self.keys()  # first: a first read may make keys that activate now
        moment = now()
        return [(k, k.state(moment, self.retention)) for k in keys]

    # --- writing (the CLI and first start) ---
    def ensure(self) -> list[SigningKey]:
        """Make sure every algorithm has a key that signs now; generate what is missing."""
        keys = self.keys()
        moment = now()
        missing = [a for a in ALGORITHMS if not _signs_by(keys, a, moment)]
        return [self._add(alg, activate_at=moment) for alg in missing]

    def rotate(self, alg: str, *, delay_seconds: int) -> SigningKey:
        if alg not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {alg!r}; use one of {', '.join(ALGORITHMS)}")
        key = self._add(alg, activate_at=now() + timedelta(seconds=delay_seconds))
        self._prune()
        return key

    def _add(self, alg: str, *, activate_at: datetime) -> SigningKey:
        key = _generate(alg)
        kid = key.thumbprint()
        self.storage.add(StoredKey(kid, alg, now(), activate_at, key.as_pem(private=True)))
        self._forget()
        return next(k for k in self.keys() if k.kid == kid)

    def _prune(self) -> None:
        expired = {k.kid for k, state in self.states() if state == "expired"}
        if expired:
            self.storage.remove(expired)
            self._forget()

    def _forget(self) -> None:
        """Read the storage again at the next look: this process changed it."""
        self._loaded = False
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


def _new_key(alg: str, *, activate_at: datetime) -> StoredKey:
    key = _generate(alg)
    return StoredKey(key.thumbprint(), alg, now(), activate_at, key.as_pem(private=True))


def _generate(alg: str) -> RSAKey | ECKey:
    return RSAKey.generate_key(2048) if alg in RSA_ALGORITHMS else ECKey.generate_key("P-256")


def _signs_by(keys: list[SigningKey], alg: str, moment: datetime) -> bool:
    return any(k.alg == alg and k.activate_at <= moment for k in keys)


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
