"""Owners' rights: everything held about an owner (export) and an owner's erasure on request (the rules are
core/owner_rights.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import owner_rights
from core.errors import NotFound
from core.owner_rights import ErasureResult, OwnerExport
from core.phone import normalize_phone
from core.registry.models import Dog, Owner
from core.service.gallery import GalleryIndex


class OwnersRights(GalleryIndex):
    def _owner_by_phone(self, s: Session, phone: str) -> Owner:
        owner = s.scalar(select(Owner).where(Owner.phone_hash == normalize_phone(phone)))
        if owner is None:  # an erased owner has no phone left to be found by
            raise NotFound("No owner with this phone number in the registry.")
        return owner

    def export_owner(self, phone: str) -> OwnerExport:
        """Everything this registry holds about the owner of `phone` (the right of access): the owner, their dogs
        with registration numbers and the dogs' photos. For administrators (and the command line, admin keys)."""
        self.access("manage")
        with self.db.session() as s:
            out = owner_rights.export(s, self._owner_by_phone(s, phone), self.now(), self.device_id)
            for dog in out.dogs or [None]:  # the owner's contact goes out with each dog: one entry a dog
                self._audit(s, "owner_export", dog=(dog.id, dog.registration_number) if dog else None,
                            detail=f"dogs={len(out.dogs)}")
        return out

    def erase_owner(self, phone: str, dry_run: bool = False) -> ErasureResult:
        """Erase the owner of `phone` on request: name and phone gone everywhere (sync carries it), their dogs
        removed with photos and templates unless in the shelter's care (status found). See core/owner_rights.py.
        `dry_run`: what it would do, changing nothing (to confirm first)."""
        self.access("manage")
        self.server_decides("an owner's erasure")
        if dry_run:
            with self.db.sessions() as s:
                return owner_rights.plan(s, self._owner_by_phone(s, phone), self.now())
        with self._write_lock, self.db.session() as s:
            owner = self._owner_by_phone(s, phone)
            dogs = s.execute(select(Dog.id, Dog.registration_number).where(Dog.owner_id == owner.id)).all()
            result, files = owner_rights.erase(s, owner, self.now(), self._record)
            for dog_id, number in dogs or [(None, None)]:
                fate = "kept" if number in result.kept else "removed" if number in result.removed else None
                self._audit(s, "owner_erase", dog=(dog_id, number) if dog_id else None,
                            detail=f"dog={fate}" if fate else f"dogs={len(dogs)}")
            owner_rights.queue_cleanup(s, files, [d for (d,) in s.execute(select(Dog.id).where(
                Dog.owner_id == owner.id))])
        self.after_erasures()
        return result

    def after_erasures(self) -> list[str]:
        """Finish erasures once committed, made here or learned through sync: their photo files removed, their
        dogs out of the gallery. Returns the dogs changed."""
        with self._write_lock, self.db.session() as s:
            photos, dogs = owner_rights.take_cleanup(s)
        for sha in photos:
            self.store.remove(sha)
        if dogs:
            self.refresh_gallery()
            for dog_id in dogs:
                self._changed(dog_id)
        return dogs
