"""Organisations and their devices, and the one-time codes that enroll a device.

An administrator makes an organisation (``savepets orgs add``) and, for each kiosk, vet PC or app install, a
one-time enrollment code (``savepets devices enroll``). The device redeems the code once
(``POST /v1/devices/enroll``; the kiosk: ``savepets sync enroll``) and gets its own API key, which it keeps in the
OS keyring. ``savepets devices revoke`` stops a stolen device and every key it holds at once.

Codes are 80 random bits in Crockford base32 (``ABCD-EFGH-JKMN-PQRS``, easy to type at a kiosk), kept as a sha256
only, valid for a day by default and for one use: redeeming is a conditional update, so two redemptions at once
cannot both succeed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from core.errors import InvalidInput, NotFound
from core.registry.db import Database
from core.registry.models import ApiKey, Device, EnrollmentCode, Organisation, utcnow
from sync.server.keys import KeyStore, Role, find_org

ORG_KINDS = ("shelter", "clinic", "app", "operator")
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


@dataclass(frozen=True)
class OrgInfo:
    id: str
    name: str
    kind: str
    devices: int = 0


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    org_id: str
    org_name: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None
    keys: int = 0


@dataclass(frozen=True)
class Enrollment:
    code_id: str
    org_name: str
    role: str
    name: str
    expires_at: datetime


class UnknownCode(InvalidInput):
    """A code that is unknown, used, expired or mistyped (one answer for all: nothing to probe)."""

    code = "invalid_enrollment_code"


def normalise_code(code: str) -> str:
    """Upper case, no dashes or spaces; the letters people confuse read as the digits they look like."""
    raw = "".join(c for c in (code or "").upper() if c.isalnum())
    return raw.translate(str.maketrans("ILOU", "110V"))


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


class Devices:
    def __init__(self, db: Database):
        self.db = db

    # ------------------------------------------------------------------ organisations
    def add_org(self, name: str, kind: str = "shelter") -> OrgInfo:
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise InvalidInput("An organisation needs a name of 1 to 100 characters.")
        if kind not in ORG_KINDS:
            raise InvalidInput(f"Unknown organisation kind {kind!r}: use one of {', '.join(ORG_KINDS)}.", kind=kind)
        with self.db.session() as s:
            if s.scalar(select(Organisation).where(Organisation.name == name)) is not None:
                raise InvalidInput(f"An organisation named {name!r} exists already.", name=name)
            org = Organisation(name=name, kind=kind)
            s.add(org)
            s.flush()
            return OrgInfo(org.id, org.name, org.kind)

    def orgs(self) -> list[OrgInfo]:
        with self.db.sessions() as s:
            counts: dict[str, int] = {}
            for org_id in s.scalars(select(Device.org_id).where(Device.revoked_at.is_(None))):
                counts[org_id] = counts.get(org_id, 0) + 1
            return [OrgInfo(o.id, o.name, o.kind, counts.get(o.id, 0))
                    for o in s.scalars(select(Organisation).order_by(Organisation.name))]

    # ------------------------------------------------------------------ enrollment
    def enroll(self, org: str, role: Role | str, name: str, valid_hours: float = 24) -> tuple[Enrollment, str]:
        """A one-time code for a new device of `org`; the code is returned here once and never stored."""
        role = Role(role)
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise InvalidInput("A device needs a name of 1 to 100 characters (e.g. \"Front desk kiosk\").")
        if not 0 < valid_hours <= 24 * 30:
            raise InvalidInput("A code may be valid for up to 30 days.", valid_hours=valid_hours)
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        code = "-".join(raw[i:i + 4] for i in range(0, 16, 4))
        with self.db.session() as s:
            organisation = find_org(s, org)
            row = EnrollmentCode(id=raw[:4] + secrets.token_hex(2), code_hash=_hash(code), org_id=organisation.id,
                                 role=role.value, name=name, expires_at=utcnow() + timedelta(hours=valid_hours))
            s.add(row)
            s.flush()
            return Enrollment(row.id, organisation.name, row.role, row.name, row.expires_at), code

    def redeem(self, code: str, keys: KeyStore, device_name: str | None = None) -> tuple[DeviceInfo, str]:
        """The device and its new API key for a valid, unused, unexpired code; UnknownCode otherwise."""
        digest = _hash(code)
        now = utcnow()
        with self.db.session() as s:
            candidates = s.scalars(select(EnrollmentCode).where(
                EnrollmentCode.id.like(normalise_code(code)[:4] + "%"))).all()
            row = next((c for c in candidates if hmac.compare_digest(c.code_hash, digest)), None)
            if row is None or row.used_at is not None or row.expires_at <= now:
                raise UnknownCode("This enrollment code is not valid: it may be mistyped, used or expired. Ask "
                                  "an administrator for a new one (savepets devices enroll).")
            taken = s.execute(update(EnrollmentCode).where(EnrollmentCode.id == row.id,
                                                           EnrollmentCode.used_at.is_(None))
                              .values(used_at=now)).rowcount
            if taken != 1:
                raise UnknownCode("This enrollment code has just been used.")
            name = (device_name or "").strip()[:100] or row.name
            device = Device(org_id=row.org_id, name=name, role=row.role)
            s.add(device)
            s.flush()
            row.device_id = device.id
            _, key = keys.create(row.role, name, device_id=device.id, session=s)
            return _device_info(s, device), key

    # ------------------------------------------------------------------ devices
    def list(self, org: str | None = None, include_revoked: bool = True) -> list[DeviceInfo]:
        with self.db.sessions() as s:
            stmt = select(Device).order_by(Device.created_at)
            if org:
                stmt = stmt.where(Device.org_id == find_org(s, org).id)
            if not include_revoked:
                stmt = stmt.where(Device.revoked_at.is_(None))
            return [_device_info(s, d) for d in s.scalars(stmt)]

    def revoke(self, device_id: str) -> DeviceInfo:
        """Revoke a device and every key it holds: they stop working at once on every server process."""
        with self.db.session() as s:
            device = s.get(Device, device_id)
            if device is None:
                matches = s.scalars(select(Device).where(Device.id.like(device_id + "%"))).all() if device_id else []
                if len(matches) != 1:
                    raise NotFound(f"No single device with id {device_id!r} (savepets devices list).",
                                   device_id=device_id)
                device = matches[0]
            now = utcnow()
            if device.revoked_at is None:
                device.revoked_at = now
            s.execute(update(ApiKey).where(ApiKey.device_id == device.id, ApiKey.revoked_at.is_(None))
                      .values(revoked_at=now))
            s.flush()
            return _device_info(s, device)


def _device_info(s, d: Device) -> DeviceInfo:
    org = s.get(Organisation, d.org_id)
    keys = len(s.scalars(select(ApiKey.id).where(ApiKey.device_id == d.id, ApiKey.revoked_at.is_(None))).all())
    return DeviceInfo(d.id, d.org_id, org.name if org else d.org_id, d.name, d.role, d.created_at, d.revoked_at,
                      keys)
