"""What every part of the `SavePets` service shares: its state (settings, registry, photo store, engine, locks,
change listeners), its clock, who calls and what they may do (core/staff.py), the outbox and audit entries written
in the same transaction as each change (core/audit.py), and the dog as the use cases return it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from core import audit
from core.actors import Actor, current_actor
from core.errors import NotFound, PermissionDenied
from core.photos import PhotoStore
from core.recognition.base import Engine
from core.recognition.feature_store import FeatureFiles
from core.recognition.gallery import Gallery
from core.registry.db import Database
from core.registry.models import Device, Dog, Outbox, ReviewFlag, utcnow
from core.schemas import DogOut, OwnerOut, PhotoOut, PhotoProblem
from core.settings import Settings
from core.staff import Access, Need, StaffAccounts, StaffPermissions, access_of, denied, read_permissions

log = logging.getLogger(__name__)
ORG_ID_META, ORG_NAME_META = "org_id", "org_name"  # a kiosk's organisation (kiosk/credentials.py writes them)


class ServiceBase:
    """The state and helpers the use cases share. `core.usecases.SavePets` is this plus one part a job."""

    def __init__(self, settings: Settings | None = None, engine: Engine | None = None,
                 database: Database | None = None):
        self.settings = settings or Settings()
        self.db = database or Database(self.settings.database_url, key_file=self.settings.key_file)
        # derived files of the photos (re-ranking's features) beside the photo folder, removed with each photo
        self.store = PhotoStore(self.settings.photo_dir, derived=self.settings.data_dir / "features")
        self.features = FeatureFiles(self.store.derived_path)
        if engine is None:
            from core.recognition.factory import load_engine

            engine = load_engine(self.settings.engine)
        self.engine = engine
        if self.settings.match_threshold is not None:
            self.engine.threshold_override = self.settings.match_threshold
        self.device_id = self.settings.device_id or self.db.device_id()
        self._gallery: Gallery | None = None
        self._gallery_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one local writer at a time: SQLite allows no more anyway
        self.on_change: list[Callable[[str], None]] = []  # called with a dog id after each committed change
        # staff accounts (core/staff.py): the kiosk signs a member in; its worker thread acts as them
        self.staff = StaffAccounts(self.db)
        self.signed_in: Actor | None = None
        self.sign_in_required = False  # the kiosk: with nobody signed in (locked), use cases refuse
        self.staff.on_event = self._staff_event  # sign-ins and account changes go on the audit trail
        self._next_audit_purge = 0.0  # monotonic time of the next retention check (start, then daily)
        self.purge_audit_if_due()

    def now(self) -> datetime:
        """The time changes are stamped with (tests move it to play a kiosk whose clock is wrong)."""
        return utcnow()

    # ----------------------------------------------------------------- who acts, and what they may do (core/staff.py)
    def actor(self) -> Actor:
        """Who calls: the context's actor (an API key, the command line), else the kiosk's signed-in member."""
        return current_actor(self.signed_in)

    def server_decides(self, what: str) -> None:
        """On a kiosk enrolled with a server (registry meta "org_id", `savepets sync enroll`), merges and erasures
        are an administrator's, made on the server (sync refuses them from a kiosk's key): refused here before
        anything local changes, so the kiosk and the server never disagree about them."""
        if self.db.meta(ORG_ID_META):
            raise PermissionDenied(f"This kiosk is enrolled with a server: {what} is decided there by an "
                                   "administrator (savepets on the server, or an admin key).", action="server_only",
                                   role=None, wanted=what)

    def access(self, need: Need = "member") -> Access:
        """What the caller may do, or PermissionDenied when it may not do `need`. Staff members' role and account
        are read from the registry each time (a disabled account stops at once); at a kiosk (sign_in_required)
        nobody signed in may do nothing."""
        actor = self.actor()
        if actor.kind == "staff":
            with self.db.sessions() as s:
                member = self.staff.member(s, actor.id)
                if member is None or member.disabled:
                    raise PermissionDenied("This staff account is disabled: sign in again.", action=need, role=None)
                acc = access_of(Actor("staff", actor.id, member.name, member.role), read_permissions(s))
        elif self.sign_in_required and actor.kind == "system":
            raise PermissionDenied("Sign in first: the kiosk is locked.", action=need, role=None)
        else:
            acc = access_of(actor, StaffPermissions())
        if not acc.may(need):
            raise denied(need, acc)
        return acc

    def _staff_org(self) -> str | None:
        """The organisation a staff API key (kiosk, vet) is limited to when changing dogs or seeing owners, also for a
        member signed in on a staff phone with such a key (Actor.key_role); None for callers that are not (admin keys,
        the command line, kiosk staff members on their own registry, sync)."""
        actor = self.actor()
        if actor.key_role in ("kiosk", "vet"):
            return actor.org or ""
        return None

    def _is_public(self) -> bool:
        """Whether the caller is the public: an app (mobile) API key."""
        actor = self.actor()
        return actor.kind == "api_key" and actor.role == "mobile"

    def _check_own_org(self, dog: Dog, what: str) -> None:
        """PermissionDenied unless a staff API key's organisation holds `dog` (others: no limit here)."""
        org = self._staff_org()
        if org is not None and dog.org_id != org:
            raise PermissionDenied(f"This dog is registered with another organisation: a {self.actor().key_role} key "
                                   f"may not {what} it.", action=what, role=self.actor().role)

    def phone_hash_of(self, phone: str) -> str:
        """The keyed hash of a phone (any format) as `owners.phone_hash` holds it: the column's own processing."""
        from core.phone import normalize_phone
        from core.registry.models import Owner

        return Owner.__table__.c.phone_hash.type.process_bind_param(normalize_phone(phone), self.db.engine.dialect)

    def verified_phone_hash(self, s: Session | None = None) -> str | None:
        """The app (mobile key): the keyed hash of the phone its device verified (POST /v1/me/phone/verify), or
        None (not verified, or not an app's key)."""
        actor = self.actor()
        if actor.kind != "api_key" or not actor.device:
            return None
        if s is None:
            with self.db.sessions() as s2:
                return self.verified_phone_hash(s2)
        device = s.get(Device, actor.device)
        return device.verified_phone_hash if device is not None else None

    def _conceals(self) -> bool:
        """Whether owners' contacts come masked in results: for staff members, who ask reveal_contact for one."""
        return self.actor().kind == "staff"

    # ----------------------------------------------------------------- the outbox (sync) and the audit trail
    def _record(self, s: Session, entity: str, entity_id: str, op: str) -> None:
        """An outbox entry in the same transaction as the change, so sync never misses one."""
        s.add(Outbox(entity=entity, entity_id=entity_id, op=op))

    def _audit(self, s: Session, action: str, **what) -> None:
        """One audit entry in the caller's transaction (so it commits, or not, with the change it records)."""
        audit.record(s, action, actor=self.actor(), device_id=self.device_id, **what)

    def _staff_event(self, s: Session, action: str, actor: Actor, detail: str = "") -> None:
        """core/staff.py's sign-ins and account changes, in their own transaction."""
        audit.record(s, action, actor=actor, device_id=self.device_id, detail=detail)

    def _audit_contacts(self, s: Session, dogs, via: str) -> None:
        """A contact view for each dog whose owner's name and phone this caller gets in full (the command line, admin
        keys, staff API keys for their organisation's dogs; kiosk staff get them masked and ask reveal_contact; the
        server redacts other organisations' owners). The app's reads (masked by the server) are each a dog_view,
        but for a look-up's candidates (the look-up is recorded)."""
        if self._is_public():
            if via != "lookup":
                for dog in {d.id: d for d in dogs}.values():
                    self._audit(s, "dog_view", dog=(dog.id, dog.registration_number), detail=f"via={via}")
            return
        org = self._staff_org()
        for dog in {d.id: d for d in dogs}.values():
            if org is not None and dog.org_id != org:
                continue  # redacted by the server: no contact shown
            if dog.owner.phone and "*" not in dog.owner.phone:
                self._audit(s, "contact_view", dog=(dog.id, dog.registration_number), detail=f"via={via}")

    def audit_trail(self, dog: str | None = None, who: str | None = None, since=None, action: str | None = None,
                    limit: int = 100, offset: int = 0) -> list[audit.AuditEntry]:
        """The audit trail, newest first (core/audit.list_events says the filters; bad ones raise InvalidInput).
        Administrators only, at a kiosk."""
        try:
            self.access("manage")
        except PermissionDenied as exc:
            raise PermissionDenied("Only an administrator may read the audit trail.", action="audit",
                                   role=exc.details.get("role")) from None
        return audit.trail(self.db, dog=dog, who=who, since=since, action=action, limit=limit, offset=offset)

    def purge_audit(self, record_nothing: bool = True) -> int:
        """Delete the audit entries older than the retention (settings.audit_retention_days); recorded itself."""
        gone = audit.purge_database(self.db, self.settings.audit_retention_days, actor=self.actor(),
                                    device_id=self.device_id, record_nothing=record_nothing)
        self._next_audit_purge = time.monotonic() + audit.PURGE_EVERY.total_seconds()
        return gone

    def purge_audit_if_due(self) -> int | None:
        """The retention purge at start and then once a day (a cheap clock check otherwise)."""
        if time.monotonic() < self._next_audit_purge:
            return None
        with self.db.sessions() as s:
            due = audit.purge_due(s)
        if not due:
            self._next_audit_purge = time.monotonic() + 3600.0  # another process may purge meanwhile: look again
            return None
        try:
            return self.purge_audit(record_nothing=False)
        except Exception:  # noqa: BLE001 - housekeeping never stops the kiosk or the server
            log.exception("audit retention purge failed")
            self._next_audit_purge = time.monotonic() + 3600.0
            return None

    def _changed(self, dog_id: str) -> None:
        self.purge_audit_if_due()
        for callback in list(self.on_change):
            try:
                callback(dog_id)
            except Exception:  # a listener must never undo a committed change
                log.exception("change listener failed")

    # ----------------------------------------------------------------- the dog as the use cases return it
    def _dog_out(self, s: Session, dog: Dog, known_phone: str | None = None) -> DogOut:
        """The dog as the use cases return it; for a staff member with the owner's contact masked, unless the
        caller gave that phone number itself (a registration)."""
        needs_review = s.scalar(_NEEDS_REVIEW, {"dog_id": dog.id}) > 0
        out = DogOut(
            id=dog.id, registration_number=dog.registration_number, registered_at=dog.registered_at,
            name=dog.name, breed=dog.breed, sex=dog.sex, birth_date=dog.birth_date, neutered=dog.neutered,
            notes=dog.notes, status=dog.status, updated_at=dog.updated_at, needs_review=needs_review,
            owner=OwnerOut(id=dog.owner.id, phone=dog.owner.phone, name=dog.owner.name, redacted=_redacted(dog.owner)),
            org_id=dog.org_id,
            photos=[PhotoOut(id=p.id, sha256=p.sha256, position=p.position, quality=p.quality)
                    for p in dog.photos if p.deleted_at is None])
        return out.concealed() if dog.owner.phone != known_phone and self._conceals() else out

    def _find_dog(self, s: Session, key: str) -> Dog:
        """By id or by registration number; deleted dogs are not found."""
        dog = s.scalar(select(Dog).options(selectinload(Dog.owner), selectinload(Dog.photos))
                       .where(or_(Dog.id == key, Dog.registration_number == key), Dog.deleted_at.is_(None)))
        if dog is None:
            raise NotFound(f"No dog with id or registration number {key!r}.", key=key)
        return dog

    def close(self) -> None:
        self.db.dispose()


# Open review flags of a dog whose other dog is still there (a pair whose other dog was deleted has nothing left to
# review). Built once: building it afresh for every dog shown cost ~10 ms of CPU a dog in SQLAlchemy (a look-up shows
# up to 8), more than the query itself.
_OTHER = aliased(Dog, name="other_dog")
_NEEDS_REVIEW = select(func.count(ReviewFlag.id)).join(
    _OTHER, or_((ReviewFlag.dog_id == bindparam("dog_id")) & (_OTHER.id == ReviewFlag.other_dog_id),
                (ReviewFlag.other_dog_id == bindparam("dog_id")) & (_OTHER.id == ReviewFlag.dog_id))).where(
    ReviewFlag.resolved.is_(False), ReviewFlag.deleted_at.is_(None), _OTHER.deleted_at.is_(None))


def _redacted(owner) -> bool:
    """An owner pulled without a name or phone (another organisation's dog; core/replication/bundle.py): the marker
    where the registry keeps one, else an empty phone on an owner who was not erased."""
    marker = getattr(owner, "redacted", None)
    if marker is not None:
        return bool(marker)
    return not owner.phone and owner.deleted_at is None


def problems_message(problems: Sequence[PhotoProblem]) -> str:
    """Photos refused, each named with why, in one sentence."""
    return "Some photos cannot be used: " + "; ".join(f"photo {p.index + 1} ({p.label}): {p.message}"
                                                       for p in problems)
