"""Dogs and owners: show, search, edit, change the status of and remove a registration; find an owner by phone;
show an owner's contact in full (reveal_contact); a stored nose photo."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core.errors import InvalidInput, NotFound, PermissionDenied
from core.phone import normalize_phone
from core.registry.models import Dog, DogStatus, Meta, NoseTemplate, Owner
from core.schemas import DogOut, DogUpdate, OwnerOut
from core.service.gallery import GalleryIndex


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

    def set_status(self, key: str, status: DogStatus) -> DogOut:
        return self.update_dog(key, DogUpdate(status=status))

    def delete_dog(self, key: str) -> DogOut:
        """Soft delete: the tombstone syncs; photos and templates stay on disk until purged."""
        self.access("delete")
        with self._write_lock, self.db.session() as s:
            dog = self._find_dog(s, key)
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
        newest first."""
        self.access()
        stmt = (select(Dog).join(Owner).options(selectinload(Dog.owner), selectinload(Dog.photos))
                .where(Dog.deleted_at.is_(None)))
        if phone:
            stmt = stmt.where(Owner.phone_hash == normalize_phone(phone))
        if status:
            stmt = stmt.where(Dog.status == status)
        if query and query.strip():
            q = query.strip()
            like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conds = [Dog.name.like(like, escape="\\"), Dog.registration_number.like(like, escape="\\")]
            owners = self._owners_matching(q)
            if owners:
                conds.append(Dog.owner_id.in_(owners))
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

    def reveal_contact(self, key: str) -> OwnerOut:
        """One owner's name and phone in full, for the dog given by id or registration number (also a registration
        merged into another or removed, whose owner may still need a call). Staff members may, as the
        administrators allow; each call is one showing of a contact."""
        self.access("contacts")
        with self.db.session() as s:
            dog = s.scalar(select(Dog).options(selectinload(Dog.owner))
                           .where(or_(Dog.id == key, Dog.registration_number == key))
                           .order_by(Dog.deleted_at.is_not(None)))
            if dog is None:
                raise NotFound(f"No dog with id or registration number {key!r}.", key=key)
            self._audit(s, "contact_view", dog=dog, detail="via=reveal")
            return OwnerOut(id=dog.owner.id, phone=dog.owner.phone, name=dog.owner.name)

    def photo_bytes(self, sha256: str) -> bytes:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256) or not self.store.exists(sha256):
            raise NotFound("No such photo.", sha256=sha256)
        return self.store.get(sha256)


ORG_ID_META, ORG_NAME_META = "org_id", "org_name"  # the kiosk's organisation (kiosk/credentials.py writes them)
OTHER_ORG_STATUS = (DogStatus.LOST, DogStatus.FOUND)  # what a kiosk may do to another organisation's dog


def other_org_denied(dog: Dog, action: str) -> PermissionDenied:
    what = "remove it" if action == "delete" else "change its details"
    return PermissionDenied(f"{dog.name} ({dog.registration_number}) is registered with another organisation: this "
                            f"kiosk may mark it lost or found, but only that organisation may {what}.",
                            action="other_org", role=None, org_id=dog.org_id, wanted=action)


def _code(value) -> str:
    return getattr(value, "value", value)
