"""Per-device API keys with a role, stored hashed.

A key reads ``sp_<keyid>_<secret>``: ``keyid`` (12 hex digits) is the table's primary key, so a request finds
its row in one indexed read; ``secret`` (43 url-safe characters, 256 bits) is checked against an argon2 hash.
Argon2 is slow on purpose (tens of milliseconds), so a successful check is remembered in memory for a minute,
keyed by the sha256 of the presented secret. The row itself (role, revoked) is read on every request, so a
revoked key stops working at once, in every server process.

Every key belongs to a device of one organisation (sync/server/devices.py): the server takes who and where from
the key, never from a request body. Keys are made from the command line (``savepets keys create``) or by a device
redeeming a one-time enrollment code (``savepets devices enroll``); revoking the key or its device stops it.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from core.errors import InvalidInput, NotFound
from core.registry.db import Database
from core.registry.models import DEFAULT_ORG_ID, ApiKey, Device, Organisation, utcnow

PREFIX = "sp"
VERIFY_CACHE_SECONDS = 60.0


class Role(str, enum.Enum):
    KIOSK = "kiosk"
    VET = "vet"
    MOBILE = "mobile"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, its name and role, and the device and organisation the key belongs to."""

    key_id: str
    name: str
    role: Role
    device_id: str = ""
    org_id: str = ""


@dataclass(frozen=True)
class KeyInfo:
    id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None
    device_id: str | None = None


def _split(key: str) -> tuple[str, str] | None:
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    keyid, secret = parts[1], parts[2]
    if len(keyid) > 16 or not all(c in "0123456789abcdef" for c in keyid) or len(secret) > 128:
        return None
    return keyid, secret


def key_id_of(key: str) -> str:
    """The key id a presented key names ('' for a malformed key): what wrong tries are counted against."""
    parts = _split(key or "")
    return parts[0] if parts else ""


class KeyStore:
    def __init__(self, db: Database):
        self.db = db
        self._hasher = PasswordHasher()
        self._verified: dict[str, float] = {}  # sha256(keyid, secret, stored hash) -> until (monotonic)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ administration (CLI)
    def create(self, role: Role | str, name: str, org: str | None = None, device_id: str | None = None,
               session=None) -> tuple[KeyInfo, str]:
        """A new key; the plain key is returned here once and never stored. It belongs to `device_id`, or to a new
        device named `name` in the organisation `org` (its id or name; default: the default organisation)."""
        role = Role(role)
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise InvalidInput("A key needs a name of 1 to 100 characters (e.g. the device or shelter).")
        keyid = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        if session is None:
            with self.db.session() as s:
                return self.create(role, name, org, device_id, session=s)
        s = session
        if device_id is None:
            organisation = find_org(s, org) if org else default_org(s)
            device = Device(org_id=organisation.id, name=name, role=role.value)
            s.add(device)
            s.flush()
            device_id = device.id
        row = ApiKey(id=keyid, name=name, role=role.value, secret_hash=self._hasher.hash(secret), device_id=device_id)
        s.add(row)
        s.flush()
        return _info(row), f"{PREFIX}_{keyid}_{secret}"

    def list(self, include_revoked: bool = True) -> list[KeyInfo]:
        with self.db.sessions() as s:
            stmt = select(ApiKey).order_by(ApiKey.created_at)
            if not include_revoked:
                stmt = stmt.where(ApiKey.revoked_at.is_(None))
            return [_info(r) for r in s.scalars(stmt)]

    def revoke(self, keyid: str) -> KeyInfo:
        with self.db.session() as s:
            row = s.get(ApiKey, keyid)
            if row is None:
                raise NotFound(f"No API key with id {keyid!r}.", key_id=keyid)
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _info(row)

    # ------------------------------------------------------------------ every request
    def verify(self, key: str) -> Principal | None:
        """The caller behind a presented key, or None for a malformed, unknown, wrong or revoked key."""
        parts = _split(key or "")
        if parts is None:
            return None
        keyid, secret = parts
        with self.db.sessions() as s:
            row = s.get(ApiKey, keyid)
            if row is None or row.revoked_at is not None:
                return None
            device = s.get(Device, row.device_id) if row.device_id else None
            if device is None or device.revoked_at is not None:
                return None
            role, name, stored = row.role, row.name, row.secret_hash
            device_id, org_id = device.id, device.org_id
        token = hashlib.sha256(f"{keyid}\0{secret}\0{stored}".encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            until = self._verified.get(token)
        if until is None or until < now:
            try:
                self._hasher.verify(stored, secret)
            except (VerificationError, InvalidHashError):
                return None
            with self._lock:
                if len(self._verified) > 10_000:  # bounded: drop the expired, then everything if still too many
                    self._verified = {k: v for k, v in self._verified.items() if v >= now}
                    if len(self._verified) > 10_000:
                        self._verified.clear()
                self._verified[token] = now + VERIFY_CACHE_SECONDS
        return Principal(key_id=keyid, name=name, role=Role(role), device_id=device_id, org_id=org_id)


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(id=row.id, name=row.name, role=Role(row.role), created_at=row.created_at,
                   revoked_at=row.revoked_at, device_id=row.device_id)


def default_org(s) -> Organisation:
    """The default organisation, made on first use (a new server's first key)."""
    org = s.get(Organisation, DEFAULT_ORG_ID)
    if org is None:
        org = Organisation(id=DEFAULT_ORG_ID, name="Default organisation", kind="operator")
        s.add(org)
        s.flush()
    return org


def find_org(s, org: str) -> Organisation:
    """An organisation by id or name."""
    found = s.get(Organisation, org) or s.scalar(select(Organisation).where(Organisation.name == org))
    if found is None:
        raise NotFound(f"No organisation {org!r}: savepets orgs add {org!r} --kind shelter makes one.", org=org)
    return found
