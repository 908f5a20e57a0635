"""Dogs and owners: show, search, edit, change the status of and remove a registration; find an owner by phone;
show an owner's contact in full (reveal_contact); a stored nose photo."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import String, and_, func, or_, select, type_coerce
from sqlalchemy.orm import selectinload

from core.errors import InvalidInput, NotFound, PermissionDenied, SavePetsError
from core.phone import normalize_phone
from core.registry.models import ApiKey, AuditEvent, Dog, DogStatus, Meta, NosePhoto, NoseTemplate, Owner
from core.schemas import DogOut, DogUpdate, OwnerOut
from core.service.base import ORG_ID_META, ORG_NAME_META
from core.service.gallery import GalleryIndex

log = logging.getLogger(__name__)

CONTACT_WINDOW = timedelta(hours=1)
PUBLIC_STATUSES = (DogStatus.LOST, DogStatus.FOUND)


class TooManyContacts(SavePetsError):
    """A device asked for more owners' contacts in an hour than allowed (details: retry_after, seconds)."""

    code = "rate_limited"


def _reason_for_trail(reason: str) -> str:
    """The reason as the audit trail keeps it: one line, digit runs (a phone) replaced, short."""
    text = " ".join(reason.split())
    return re.sub(r"\d[\d\s-]{2,}\d", "#", text)[:180]


class DogsAndOwners(GalleryIndex):
    def get_dog(self, key: str) -> DogOut:
        self.access()
        with self.db.session() as s:
            out = self._dog_out(s, self._find_dog(s, key))
            self._audit_contacts(s, [out], "dog")
        return out

    def update_dog(self, key: str, changes: DogUpdate) -> DogOut:
        fields = changes.model_dump(exclude_unset=True)
        if not fields:
            raise InvalidInput("Nothing to change.")
        if "status" in fields:
            self.access("status")
        if fields.keys() - {"status"}:
            self.access("edit")
        with self._write_lock, self.db.session() as s:
            dog = self._find_dog(s, key)
            self._check_may_change(s, dog, fields)
            if self._other_org(s, dog) and (fields.keys() - {"status"} or fields.get("status") not in OTHER_ORG_STATUS):
                raise other_org_denied(dog, "edit")
            given, old_status = set(fields), dog.status
            owner_name = fields.pop("owner_name", None)
            if owner_name is not None:
                dog.owner.name = owner_name
            for name, value in fields.items():
                if value is None and name in {"name", "breed", "notes", "sex", "status"}:
                    raise InvalidInput(f"{name} cannot be empty.")
                setattr(dog, name, value)
            dog.updated_at = self.now()
            self._record(s, "dog", dog.id, "upsert")
            if given - {"status"}:  # the fields' names, never their values
                self._audit(s, "edit", dog=dog, detail="fields=" + ",".join(sorted(given - {"status"})))
            if "status" in given:
                self._audit(s, "status", dog=dog, detail=f"from={_code(old_status)} to={_code(dog.status)}")
            s.flush()
            out = self._dog_out(s, dog)
        self._changed(out.id)
        return out

    def _check_may_change(self, s, dog: Dog, fields: dict) -> None:
        """Staff API keys change only their organisation's dogs, but for reporting any dog lost or found; the app
        reports its verified owner's own dogs lost or found, nothing else."""
        status_only = fields.keys() == {"status"} and fields["status"] in PUBLIC_STATUSES
        if self._is_public():
            own = self.verified_phone_hash(s)
            if not status_only or own is None or dog.owner.phone_hash != own:
                raise PermissionDenied("The app may report only its verified owner's own dogs lost or found.",
                                       action="status", role="mobile")
        elif not status_only:
            self._check_own_org(dog, "change")

    def set_status(self, key: str, status: DogStatus) -> DogOut:
        return self.update_dog(key, DogUpdate(status=status))

    def delete_dog(self, key: str) -> DogOut:
        """Soft delete: the tombstone syncs; photos and templates stay on disk until purged."""
        self.access("delete")
        with self._write_lock, self.db.session() as s:
            dog = self._find_dog(s, key)
            if self._is_public():
                raise PermissionDenied("The app may not remove registrations.", action="delete", role="mobile")
            self._check_own_org(dog, "remove")
            if self._other_org(s, dog):
                raise other_org_denied(dog, "delete")
            now = self.now()
            dog.deleted_at = now
            dog.updated_at = now
            for t in s.scalars(select(NoseTemplate).where(NoseTemplate.dog_id == dog.id)):
                t.deleted_at = now
            self._record(s, "dog", dog.id, "delete")
            self._audit(s, "delete", dog=dog)
            out = self._dog_out(s, dog)
        self._gallery_remove(out.id)
        self._changed(out.id)
        return out

    def kiosk_org(self) -> tuple[str | None, str | None]:
        """The organisation this kiosk is enrolled in (registry meta "org_id", "org_name", written by `savepets sync
        enroll`), or (None, None): a server, or a kiosk not enrolled."""
        return self.db.meta(ORG_ID_META), self.db.meta(ORG_NAME_META)

    def is_other_org(self, dog: DogOut) -> bool:
        """Whether this kiosk holds `dog` as another organisation's: it may mark it lost or found, nothing more."""
        mine = self.db.meta(ORG_ID_META)
        org = getattr(dog, "org_id", None)  # core.schemas.DogOut carries it from this version on
        return bool(mine and org and org != mine)

    @staticmethod
    def _other_org(s, dog: Dog) -> bool:
        """The kiosk rule: a dog whose organisation is set and is not this kiosk's (meta "org_id") is another
        organisation's. A registry with no org_id (the server, a kiosk not enrolled) has no such dogs."""
        if not dog.org_id:
            return False
        mine = s.get(Meta, ORG_ID_META)
        return mine is not None and bool(mine.value) and dog.org_id != mine.value

    def list_dogs(self, query: str | None = None, phone: str | None = None, status: DogStatus | None = None,
                  limit: int = 50, offset: int = 0) -> list[DogOut]:
        """Search by dog name, registration number, owner name or owner phone (any format, or 4+ of its digits),
        newest first. A staff API key finds other organisations' dogs by name or number only, never by their
        owner; the app (mobile key) gets only its verified phone's dogs (`phone`, if given, must be that number:
        any other gives an empty list, whether or not it is registered), and may not search."""
        self.access()
        stmt = (select(Dog).join(Owner).options(selectinload(Dog.owner), selectinload(Dog.photos))
                .where(Dog.deleted_at.is_(None)))
        org = self._staff_org()
        if self._is_public():
            if query and query.strip():
                raise PermissionDenied("The app lists its verified owner's own dogs only.", action="search",
                                       role="mobile")
            own = self.verified_phone_hash()
            if own is None or (phone and self.phone_hash_of(phone) != own):
                with self.db.session() as s:  # a probe answered with nothing is on the trail too
                    self._audit(s, "dog_view", detail="via=list dogs=0 " + ("unverified" if own is None
                                                                            else "other_phone"))
                return []
            stmt = stmt.where(type_coerce(Owner.phone_hash, String(64)) == own)
        elif phone:
            stmt = stmt.where(Owner.phone_hash == normalize_phone(phone))
            if org is not None:
                stmt = stmt.where(Dog.org_id == org)
        if status:
            stmt = stmt.where(Dog.status == status)
        if query and query.strip():
            q = query.strip()
            like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conds = [Dog.name.like(like, escape="\\"), Dog.registration_number.like(like, escape="\\")]
            owners = self._owners_matching(q)
            if owners:
                conds.append(Dog.owner_id.in_(owners) if org is None
                             else (Dog.owner_id.in_(owners) & (Dog.org_id == org)))
            stmt = stmt.where(or_(*conds))
        stmt = stmt.order_by(Dog.registered_at.desc(), Dog.id).limit(max(1, min(limit, 500))).offset(max(0, offset))
        with self.db.session() as s:
            dogs = [self._dog_out(s, d) for d in s.scalars(stmt)]
            self._audit_contacts(s, dogs, "list")
        return dogs

    def _owners_matching(self, query: str) -> list[str]:
        """Owners whose name holds `query` (any case) or whose phone holds its digits (4 or more; the last 8
        count). Names and phones are encrypted, so they are read and matched here, not by the database
        (a few microseconds an owner)."""
        needle = query.casefold()
        digits = "".join(c for c in query if c.isdigit())[-8:]
        with self.db.sessions() as s:
            rows = s.execute(select(Owner.id, Owner.name, Owner.phone).where(Owner.deleted_at.is_(None))).all()
        return [r.id for r in rows if needle in r.name.casefold() or (len(digits) >= 4 and digits in r.phone)]

    def find_owner(self, phone: str) -> OwnerOut | None:
        """The owner of a phone number the caller gives (registration); a staff member who may not see contacts
        gets the name masked."""
        acc = self.access()
        with self.db.sessions() as s:
            o = s.scalar(select(Owner).where(Owner.phone_hash == normalize_phone(phone), Owner.deleted_at.is_(None)))
            out = OwnerOut(id=o.id, phone=o.phone, name=o.name) if o else None
        if out is not None and acc.member and not acc.may("contacts"):
            out = out.model_copy(update={"name": out.concealed().name})
        return out

    def reveal_contact(self, key: str, on_request: bool = True) -> OwnerOut:
        """One owner's name and phone in full, for the dog given by id or registration number (also a registration
        merged into another or removed, whose owner may still need a call). Staff members may, as the
        administrators allow; each call is one showing of a contact, on the trail as asked for (via=reveal: the
        member tapped "Show contact") or shown with the dog opened (on_request=False, via=opened: a member who
        always sees contacts)."""
        self.access("contacts")
        with self.db.session() as s:
            dog = s.scalar(select(Dog).options(selectinload(Dog.owner))
                           .where(or_(Dog.id == key, Dog.registration_number == key))
                           .order_by(Dog.deleted_at.is_not(None)))
            if dog is None:
                raise NotFound(f"No dog with id or registration number {key!r}.", key=key)
            self._audit(s, "contact_view", dog=dog, detail="via=reveal" if on_request else "via=opened")
            return OwnerOut(id=dog.owner.id, phone=dog.owner.phone, name=dog.owner.name)

    def note_online_contact(self, key: str) -> None:
        """At a kiosk: the signed-in member saw another organisation's owner through the server's contact route
        (the server records the device and the reason; this records who asked, and syncs to the server's trail as
        the kiosk's claim). Checked like reveal_contact, before the kiosk asks the server."""
        self.access("contacts")
        with self.db.session() as s:
            dog = s.scalar(select(Dog).where(or_(Dog.id == key, Dog.registration_number == key)))
            if dog is None:
                raise NotFound(f"No dog with id or registration number {key!r}.", key=key)
            self._audit(s, "contact_view", dog=dog, detail="via=online")

    def request_contact(self, key: str, reason: str, per_hour: int = 20) -> OwnerOut:
        """An owner's name and phone in full for a staff API key (any organisation's dog) or an admin, online only:
        each call is recorded with its reason, and a device that asks for more than `per_hour` in an hour is refused
        (TooManyContacts, with the seconds to wait) and the administrators alerted (a contact_alert entry, a
        warning in the log). The app may not."""
        self.access("contacts")
        if self._is_public():
            raise PermissionDenied("The app may not see other owners' contacts.", action="contacts", role="mobile")
        reason = " ".join((reason or "").split())
        if not 5 <= len(reason) <= 200:
            raise InvalidInput("reason: say why you need the owner's contact (5 to 200 characters).", field="reason")
        actor = self.actor()
        now = self.now()
        with self.db.session() as s:
            dog = self._find_dog(s, key)
            on_device = f" device={actor.device}" if actor.kind == "staff" and actor.device else ""
            if actor.key_role is not None and actor.device:  # a key's device, or a member's on a staff phone
                keys = select(ApiKey.id).where(ApiKey.device_id == actor.device)
                recent = select(func.count(AuditEvent.id), func.min(AuditEvent.at)).where(
                    AuditEvent.action == "contact_view", AuditEvent.at >= now - CONTACT_WINDOW,
                    AuditEvent.detail.like("via=contact%"),
                    or_(and_(AuditEvent.actor_kind == "api_key", AuditEvent.actor_id.in_(keys)),
                        and_(AuditEvent.actor_kind == "staff",
                             AuditEvent.detail.like(f"%device={actor.device}"))))
                count, oldest = s.execute(recent).one()
                if count >= per_hour:
                    wait = max(1, int(((oldest or now) + CONTACT_WINDOW - now).total_seconds()) + 1)
                    self._contact_alert(dog, count, per_hour)
                    raise TooManyContacts(f"This device has asked for {count} owners' contacts in the last hour "
                                          f"(at most {per_hour}); try again later. Administrators are told.",
                                          retry_after=wait)
            self._audit(s, "contact_view", dog=dog,
                        detail=f"via=contact reason={_reason_for_trail(reason)}{on_device}")
            return OwnerOut(id=dog.owner.id, phone=dog.owner.phone, name=dog.owner.name)

    def _contact_alert(self, dog: Dog, count: int, per_hour: int) -> None:
        """The administrators' alert for a device past the contacts limit: once an hour a device on the audit
        trail (GET /v1/audit?action=contact_alert), every time in the log at WARNING."""
        actor = self.actor()
        log.warning("ALERT: device %s (key %s, %s, organisation %s) asked for %d owners' contacts in an hour (limit "
                    "%d): refused", actor.device, actor.id, actor.name, actor.org, count, per_hour)
        keys = select(ApiKey.id).where(ApiKey.device_id == actor.device)
        with self.db.session() as s:
            alerted = s.scalar(select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "contact_alert", AuditEvent.actor_id.in_(keys),
                AuditEvent.at >= self.now() - CONTACT_WINDOW))
            if not alerted:
                self._audit(s, "contact_alert", dog=dog, detail=f"contacts={count} limit={per_hour} "
                            f"device={actor.device} org={actor.org}")

    def photo_bytes(self, sha256: str) -> bytes:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256) or not self.store.exists(sha256):
            raise NotFound("No such photo.", sha256=sha256)
        if self._is_public():  # every read of the app is on the trail
            with self.db.session() as s:
                row = s.execute(select(Dog.id, Dog.registration_number).join(NosePhoto, NosePhoto.dog_id == Dog.id)
                                .where(NosePhoto.sha256 == sha256).limit(1)).first()
                self._audit(s, "photo_view", dog=tuple(row) if row else None, detail=f"photo={sha256[:16]}")
        return self.store.get(sha256)


OTHER_ORG_STATUS = (DogStatus.LOST, DogStatus.FOUND)  # what a kiosk may do to another organisation's dog


def other_org_denied(dog: Dog, action: str) -> PermissionDenied:
    what = "remove it" if action == "delete" else "change its details"
    return PermissionDenied(f"{dog.name} ({dog.registration_number}) is registered with another organisation: this "
                            f"kiosk may mark it lost or found, but only that organisation may {what}.",
                            action="other_org", role=None, org_id=dog.org_id, wanted=action)


def _code(value) -> str:
    return getattr(value, "value", value)
