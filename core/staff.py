"""Staff accounts of one registry, their sign-in with a PIN, and what members of role `staff` may see and do.

Accounts are local to the registry they live in (a kiosk's SQLite file; never synced): a name, a role (`staff` or
`admin`), a PIN of 4 to 8 digits hashed with argon2 (as sync/server/keys.py hashes API keys), a disabled flag and
the count of wrong PINs. Five wrong PINs in a row lock the account for a minute; the count is kept when a lock-out
ends (only a successful sign-in, a new PIN or enabling the account clears it), and each further wrong PIN locks it
again for longer: 5, 15, then 60 minutes each time, so that guessing slows to one PIN an hour. Every lock-out is on
the audit trail (`lockout`, with the count and the minutes). An unknown name costs the same argon2 check as a wrong
PIN. The first account is an administrator, and the last enabled administrator cannot be disabled, so a registry
with accounts always has one.

Administrators may do everything. What members of role `staff` may do with owners' contacts, edits, status changes and
deletion is the administrators' choice (`StaffPermissions`), kept in the registry's `meta` table (not in the config
file, which anyone at the machine may edit). Look-up and registration are open to every signed-in member. The command
line and API keys are not staff members: they keep their own rights (core.actors, sync/server/keys.py).

`SavePets` (core/usecases.py) holds one `StaffAccounts` and asks `access_of(actor, permissions)` before each use case.
"""

from __future__ import annotations

import json
import logging
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.actors import Actor
from core.errors import AccountLocked, Conflict, InvalidInput, NotFound, PermissionDenied, SignInFailed
from core.registry.db import Database
from core.registry.models import Meta, StaffMember, utcnow

log = logging.getLogger(__name__)

ROLES = ("staff", "admin")
PIN_MIN, PIN_MAX = 4, 8
MAX_TRIES = 5  # wrong PINs in a row before the account is locked
LOCK_STEPS = (60, 5 * 60, 15 * 60, 60 * 60)  # the 1st, 2nd, 3rd lock-out in a row, and every one after
LOCK_SECONDS = LOCK_STEPS[0]
NAME_MAX = 50
PERMISSIONS_META = "staff_permissions"

Role = Literal["staff", "admin"]


class StaffOut(BaseModel):
    """A staff account as the faces show it (never the PIN's hash)."""

    id: str
    name: str
    role: Role
    disabled: bool
    created_at: datetime
    last_sign_in_at: datetime | None = None
    locked_until: datetime | None = None


class StaffPermissions(BaseModel):
    """What members of role `staff` may do (administrators may do everything). Defaults: contacts masked and shown
    one at a time on request, edits and status changes allowed, deletion not."""

    model_config = ConfigDict(extra="forbid")

    # owners' name and phone: "none" never shown (masked only), "reveal" masked and shown one at a time on request,
    # "always" shown with each dog a member opens (each showing still goes through reveal_contact, and the trail)
    contacts: Literal["none", "reveal", "always"] = "reveal"
    edit: bool = True  # change a dog's or its owner's details
    status: bool = True  # mark lost, found, home, deceased
    delete: bool = False  # remove a registration (also: merge two registrations of one dog)


Need = Literal["member", "contacts", "edit", "status", "delete", "manage"]


@dataclass(frozen=True)
class Access:
    """What an actor may do. `member` is False for the command line, API keys and the system, whose own rights apply
    (nothing masked); staff members see owners' contacts masked in results and ask `reveal_contact` for one."""

    member: bool
    role: str | None
    contacts: str  # none | reveal | always
    edit: bool
    status: bool
    delete: bool
    manage: bool  # staff accounts and what staff may see

    def may(self, need: Need) -> bool:
        if need == "member":
            return True
        if need == "contacts":
            return self.contacts != "none"
        return bool(getattr(self, need))

    @property
    def conceals(self) -> bool:
        """Whether owners' contacts come masked in results (shown only through reveal_contact)."""
        return self.member


FULL_ACCESS = Access(member=False, role=None, contacts="always", edit=True, status=True, delete=True, manage=True)


def access_of(actor: Actor, permissions: StaffPermissions) -> Access:
    if actor.kind != "staff":
        return FULL_ACCESS
    if actor.role == "admin":
        return Access(member=True, role="admin", contacts="always", edit=True, status=True, delete=True, manage=True)
    p = permissions
    return Access(member=True, role="staff", contacts=p.contacts, edit=p.edit, status=p.status, delete=p.delete,
                  manage=False)


DENIED = {
    "contacts": "may not see owners' contact details",
    "edit": "may not change dogs' or owners' details",
    "status": "may not change a dog's status",
    "delete": "may not remove registrations",
    "manage": "may not manage staff accounts or what staff may see",
}


def denied(need: Need, access: Access) -> PermissionDenied:
    who = "Only an administrator" if need == "manage" else f"A member of role {access.role!r}"
    what = DENIED[need].removeprefix("may not ") if need == "manage" else DENIED[need]
    if need == "manage":
        return PermissionDenied(f"{who} may {what}.", action=need, role=access.role)
    return PermissionDenied(f"{who} {what}: an administrator decides this in Settings.", action=need,
                            role=access.role)


# ------------------------------------------------------------------------------------------------ validation
def check_pin(pin: str) -> str:
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit() or not PIN_MIN <= len(pin) <= PIN_MAX:
        raise InvalidInput(f"A PIN is {PIN_MIN} to {PIN_MAX} digits.", field="pin")
    return pin


def check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise InvalidInput(f"A staff member's name is 1 to {NAME_MAX} characters.", field="name")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise InvalidInput("A staff member's name cannot hold control characters.", field="name")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"A role is one of: {', '.join(ROLES)} (got {role!r}).", field="role")
    return role


def read_permissions(s: Session) -> StaffPermissions:
    row = s.get(Meta, PERMISSIONS_META)
    if row is None:
        return StaffPermissions()
    try:
        return StaffPermissions.model_validate(json.loads(row.value))
    except (ValueError, ValidationError):  # a damaged value: the defaults, never more than them
        log.warning("staff permissions in the registry cannot be read; using the defaults")
        return StaffPermissions()


def lock_seconds(failed_tries: int) -> int:
    """How long the account locks after `failed_tries` wrong PINs in a row (0: not yet)."""
    if failed_tries < MAX_TRIES:
        return 0
    return LOCK_STEPS[min(failed_tries - MAX_TRIES, len(LOCK_STEPS) - 1)]


def wait_words(seconds: int) -> str:
    """'40 seconds', '1 minute', '15 minutes' (a wait, in the core's English messages)."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _out(row: StaffMember) -> StaffOut:
    return StaffOut(id=row.id, name=row.name, role=row.role, disabled=row.disabled_at is not None,
                    created_at=row.created_at, last_sign_in_at=row.last_sign_in_at, locked_until=row.locked_until)


def actor_of(row: StaffMember | StaffOut) -> Actor:
    return Actor("staff", row.id, row.name, row.role)


def _about(row: StaffMember) -> str:
    """Which account, for the trail: its name unless it holds a run of digits the trail refuses (a phone number)."""
    digits = max((len(run) for run in "".join(c if c.isdigit() else " " for c in row.name).split()), default=0)
    return f"member={row.name} role={row.role}" if digits < 7 else f"role={row.role}"


# ------------------------------------------------------------------------------------------------ accounts
# Called in the transaction of each sign-in and account change: (session, audit action, who acted, detail: codes
# only). SavePets wires it to the audit trail.
EventHook = Callable[[Session, str, Actor, str], None]


class StaffAccounts:
    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.clock = clock  # tests move it to see a lock expire
        self._hasher = PasswordHasher()
        self._dummy_hash: str | None = None  # what an unknown name's PIN is checked against (made once, lazily)
        self.on_event: EventHook | None = None

    def _event(self, s: Session, action: str, actor: Actor, detail: str = "") -> None:
        if self.on_event is not None:
            self.on_event(s, action, actor, detail)

    def _find(self, s: Session, who: str) -> StaffMember | None:
        """By id, else by name (Latin letters in any case)."""
        who = unicodedata.normalize("NFC", (who or "").strip())
        if not who:
            return None
        row = s.get(StaffMember, who) if len(who) == 36 else None
        return row or s.scalar(select(StaffMember).where(func.lower(StaffMember.name) == who.lower()))

    def _get(self, s: Session, who: str) -> StaffMember:
        row = self._find(s, who)
        if row is None:
            raise NotFound(f"No staff account named {who!r}.", staff=who)
        return row

    def member(self, s: Session, who: str) -> StaffOut | None:
        """One account by id or name, or None."""
        row = self._find(s, who)
        return _out(row) if row is not None else None

    def note(self, action: str, actor: Actor, detail: str = "") -> None:
        """An event with no change of its own (the kiosk locked), for the trail."""
        if self.on_event is not None:
            with self.db.session() as s:
                self._event(s, action, actor, detail)

    def exists(self) -> bool:
        """Whether any account was ever made (the kiosk asks for the first administrator until one is)."""
        with self.db.sessions() as s:
            return s.scalar(select(func.count(StaffMember.id))) > 0

    def list(self, include_disabled: bool = True) -> list[StaffOut]:
        with self.db.sessions() as s:
            stmt = select(StaffMember).order_by(StaffMember.name)
            if not include_disabled:
                stmt = stmt.where(StaffMember.disabled_at.is_(None))
            return [_out(r) for r in s.scalars(stmt)]

    def add(self, name: str, pin: str, role: str = "staff", by: Actor | None = None,
            first: bool = False) -> StaffOut:
        """A new account. The first one must be an administrator; `first=True` refuses when any account exists
        (the kiosk's first start, where nobody is signed in yet)."""
        name, role, pin = check_name(name), check_role(role), check_pin(pin)
        pin_hash = self._hasher.hash(pin)
        with self.db.session() as s:
            count = s.scalar(select(func.count(StaffMember.id)))
            if first and count:
                raise Conflict("The first administrator exists already: sign in.")
            if not count and role != "admin":
                raise InvalidInput("The first staff account must be an administrator (role admin).", field="role")
            if self._find(s, name) is not None:
                raise Conflict(f"A staff account named {name!r} exists already.", staff=name, reason="name_taken")
            row = StaffMember(name=name, role=role, pin_hash=pin_hash, created_at=self.clock())
            s.add(row)
            s.flush()
            self._event(s, "user_add", by or actor_of(row), _about(row))
            return _out(row)

    def disable(self, who: str, by: Actor | None = None) -> StaffOut:
        with self.db.session() as s:
            row = self._get(s, who)
            if row.disabled_at is None:
                if row.role == "admin":
                    admins = s.scalars(select(StaffMember.id).where(StaffMember.role == "admin",
                                                                    StaffMember.disabled_at.is_(None))
                                       .with_for_update()).all()
                    if admins == [row.id]:
                        raise Conflict(f"{row.name} is the last enabled administrator: add or enable another "
                                       "administrator first.", staff=row.name, reason="last_admin")
                row.disabled_at = self.clock()
                self._event(s, "user_disable", by or actor_of(row), _about(row))
            return _out(row)

    def enable(self, who: str, by: Actor | None = None) -> StaffOut:
        with self.db.session() as s:
            row = self._get(s, who)
            if row.disabled_at is not None:
                row.disabled_at = None
                row.failed_tries, row.locked_until = 0, None
                self._event(s, "user_add", by or actor_of(row), _about(row) + " enabled")
            return _out(row)

    def reset_pin(self, who: str, pin: str, by: Actor | None = None) -> StaffOut:
        """A new PIN; it also lifts a lock from wrong PINs."""
        pin = check_pin(pin)
        pin_hash = self._hasher.hash(pin)
        with self.db.session() as s:
            row = self._get(s, who)
            row.pin_hash = pin_hash
            row.failed_tries, row.locked_until = 0, None
            self._event(s, "user_reset_pin", by or actor_of(row), _about(row))
            return _out(row)

    def verify(self, who: str, pin: str) -> Actor:
        """The member behind a name (or id) and PIN. A wrong PIN counts; the fifth in a row locks the account for a
        minute, and each one after that (the count is kept until a successful sign-in) locks it again, for 5, 15,
        then 60 minutes (LOCK_STEPS). While locked even the right PIN is refused (and not checked). Each lock-out
        is recorded (`lockout`). An unknown name is checked against a dummy hash, so it takes as long as a wrong
        PIN."""
        if not isinstance(pin, str) or not pin:
            raise InvalidInput("Enter your PIN.", field="pin")
        if not (who or "").strip():
            raise InvalidInput("Choose or type your name.", field="name")
        now = self.clock()
        failure: SignInFailed | None = None
        with self.db.session() as s:
            row = self._find(s, who)
            if row is None:
                self._dummy_check(pin)
                raise SignInFailed(f"No staff account named {who.strip()!r}.", reason="unknown")
            member = actor_of(row)
            if row.disabled_at is not None:
                self._event(s, "sign_in_failed", member, "disabled")
                failure = SignInFailed(f"{row.name}'s account is disabled: an administrator can enable it.",
                                       reason="disabled")
            elif row.locked_until is not None and row.locked_until > now:
                seconds = max(1, int((row.locked_until - now).total_seconds() + 0.999))
                self._event(s, "sign_in_failed", member, "locked")
                more = wait_words(seconds).replace(" ", " more ", 1)  # '40 more seconds', '5 more minutes'
                failure = AccountLocked(f"Too many wrong PINs: {row.name}'s account is locked for {more}.",
                                        reason="locked", seconds=seconds)
            elif self._pin_ok(row, pin):
                row.failed_tries, row.locked_until, row.last_sign_in_at = 0, None, now
                self._event(s, "sign_in", member)
                return member
            else:
                row.failed_tries += 1
                self._event(s, "sign_in_failed", member, "wrong_pin")
                seconds = lock_seconds(row.failed_tries)
                if seconds:
                    row.locked_until = now + timedelta(seconds=seconds)
                    self._event(s, "lockout", member,
                                f"wrong_pin tries={row.failed_tries} minutes={seconds // 60}")
                    log.warning("staff account %s locked for %d minutes after %d wrong PINs in a row", row.id,
                                seconds // 60, row.failed_tries)
                    failure = AccountLocked(f"{row.failed_tries} wrong PINs in a row: {row.name}'s account is "
                                            f"locked for {wait_words(seconds)}.", reason="locked", seconds=seconds,
                                            tries=row.failed_tries)
                else:
                    left = MAX_TRIES - row.failed_tries
                    failure = SignInFailed(f"Wrong PIN: {left} more {'try' if left == 1 else 'tries'} before "
                                           f"{row.name}'s account is locked for a minute.", reason="wrong_pin",
                                           tries_left=left)
        raise failure  # after the commit: the count of wrong PINs is kept

    def _dummy_check(self, pin: str) -> None:
        """The argon2 check a wrong PIN costs, against a hash of nothing anyone knows (an unknown name)."""
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        try:
            self._hasher.verify(self._dummy_hash, pin)
        except (VerificationError, InvalidHashError):
            pass

    def _pin_ok(self, row: StaffMember, pin: str) -> bool:
        try:
            self._hasher.verify(row.pin_hash, pin)
        except (VerificationError, InvalidHashError):
            return False
        if self._hasher.check_needs_rehash(row.pin_hash):
            row.pin_hash = self._hasher.hash(pin)
        return True

    # ---------------------------------------------------------------------------------------- permissions
    def permissions(self) -> StaffPermissions:
        with self.db.sessions() as s:
            return read_permissions(s)

    def set_permissions(self, permissions: StaffPermissions, by: Actor) -> StaffPermissions:
        with self.db.session() as s:
            s.merge(Meta(key=PERMISSIONS_META, value=permissions.model_dump_json()))
            self._event(s, "settings", by, permissions.model_dump_json())
        return permissions
