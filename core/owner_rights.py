"""Owners' rights over their personal data: a copy of everything held about them (export, JSON) and erasure.

Erasure removes the owner's name and phone for good: the owner row stays only as a tombstone (empty name and
phone, no phone hash, `deleted_at` = when it was erased) so that sync tells every kiosk and the server. Each of
the owner's dogs then goes too, with its photos (rows and files) and nose templates, unless the shelter still
cares for it: a dog whose status is `found` (found and in the shelter's care) stays registered, nose templates
included so that it can still be identified, with no owner. Dogs removed keep a tombstone row (its notes
emptied: free text may name people) so that the removal syncs. Sync shadows of the owner's dogs forget the
owner's data as well.

Every database applies an erasure it learns through sync (core/replication/): the owner's data is blanked and
the photos and templates of the removed dogs go; the server, which holds every dog, also applies the rule above
to the owner's dogs the erasing kiosk did not know.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.registry.models import Dog, DogStatus, Meta, NosePhoto, NoseTemplate, Owner
from core.replication.shadows import forget_owner_in_shadows

KEPT_STATUSES = frozenset({DogStatus.FOUND})  # the shelter still cares for the dog: it stays identifiable
CLEANUP_META = "erasure_cleanup"  # meta row: photo files and gallery entries to remove after a commit


class PhotoExport(BaseModel):
    sha256: str
    position: int
    width: int
    height: int
    quality: float
    created_at: datetime
    removed_at: datetime | None = None


class DogExport(BaseModel):
    id: str
    registration_number: str
    registered_at: datetime
    name: str
    breed: str
    sex: str
    birth_date: date | None
    neutered: bool | None
    notes: str
    status: str
    updated_at: datetime
    removed_at: datetime | None = None
    photos: list[PhotoExport]


class OwnerData(BaseModel):
    id: str
    phone: str
    name: str
    created_at: datetime
    updated_at: datetime


class OwnerExport(BaseModel):
    """Everything this registry holds about one owner (the right of access): the owner, their dogs with their
    registration numbers, and the dogs' nose photos (listed by their SHA-256; the files are `GET
    /v1/photos/{sha256}` or the photo store)."""

    format: str = "savepets-owner-export/1"
    exported_at: datetime
    device_id: str
    owner: OwnerData
    dogs: list[DogExport]


class ErasureResult(BaseModel):
    owner_id: str
    erased_at: datetime
    kept: list[str]  # registration numbers of dogs in the shelter's care, kept without an owner
    removed: list[str]  # registration numbers of dogs removed with their photos and templates
    photos_removed: int


def queue_cleanup(s: Session, photos: list[str], dogs: list[str]) -> None:
    """Photo files to remove and dogs to take out of the gallery once this transaction commits (a file removed
    before a rollback would be lost; one left by a crash is removed by the next SavePets.after_erasures, which
    every erasure and every sync runs)."""
    if not photos and not dogs:
        return
    row = s.get(Meta, CLEANUP_META)
    todo = json.loads(row.value) if row is not None else {"photos": [], "dogs": []}
    todo = {"photos": sorted({*todo["photos"], *photos}), "dogs": sorted({*todo["dogs"], *dogs})}
    s.merge(Meta(key=CLEANUP_META, value=json.dumps(todo)))


def take_cleanup(s: Session) -> tuple[list[str], list[str]]:
    """The queued photo files (still unused by any photo row) and dogs, the queue emptied."""
    row = s.get(Meta, CLEANUP_META)
    if row is None:
        return [], []
    todo = json.loads(row.value)
    s.delete(row)
    used = set(s.scalars(select(NosePhoto.sha256).where(NosePhoto.sha256.in_(todo["photos"])))) \
        if todo["photos"] else set()
    return [p for p in todo["photos"] if p not in used], todo["dogs"]


def is_erased(owner: Owner) -> bool:
    return owner.deleted_at is not None


def export(s: Session, owner: Owner, now: datetime, device_id: str) -> OwnerExport:
    dogs = s.scalars(select(Dog).where(Dog.owner_id == owner.id).order_by(Dog.registered_at, Dog.id)).all()
    return OwnerExport(
        exported_at=now, device_id=device_id,
        owner=OwnerData(id=owner.id, phone=owner.phone, name=owner.name, created_at=owner.created_at,
                        updated_at=owner.updated_at),
        dogs=[DogExport(id=d.id, registration_number=d.registration_number, registered_at=d.registered_at,
                        name=d.name, breed=d.breed, sex=d.sex.value, birth_date=d.birth_date, neutered=d.neutered,
                        notes=d.notes, status=d.status.value, updated_at=d.updated_at, removed_at=d.deleted_at,
                        photos=[PhotoExport(sha256=p.sha256, position=p.position, width=p.width, height=p.height,
                                            quality=p.quality, created_at=p.created_at, removed_at=p.deleted_at)
                                for p in d.photos])
              for d in dogs])


def blank_owner(s: Session, owner: Owner, when: datetime, purged: set[str] = frozenset()) -> None:
    """The owner's name and phone gone; the row stays as the erasure's tombstone. Sync shadows forget them too
    (and the notes of the `purged` dogs)."""
    owner.phone = ""  # and so no phone hash (models.Owner)
    owner.name = ""
    if owner.deleted_at is None:
        owner.deleted_at = when
    owner.updated_at = max(owner.updated_at, when)
    s.flush()
    forget_owner_in_shadows(s, [d for (d,) in s.execute(select(Dog.id).where(Dog.owner_id == owner.id))], purged)


def purge_dog(s: Session, dog: Dog, when: datetime) -> list[str]:
    """A dog removed by an erasure: tombstone kept (deleted, notes emptied), photo and template rows deleted.
    Returns the photo files no other photo row uses, for the caller to remove once committed."""
    if dog.deleted_at is None:
        dog.deleted_at = when
    dog.notes = ""
    dog.updated_at = max(dog.updated_at, when)
    shas = set(s.scalars(select(NosePhoto.sha256).where(NosePhoto.dog_id == dog.id)))
    s.execute(delete(NoseTemplate).where(NoseTemplate.dog_id == dog.id))
    s.execute(delete(NosePhoto).where(NosePhoto.dog_id == dog.id))
    s.flush()
    used = set(s.scalars(select(NosePhoto.sha256).where(NosePhoto.sha256.in_(shas)))) if shas else set()
    return sorted(shas - used)


def keeps(dog: Dog) -> bool:
    """Whether an erasure keeps this dog (without its owner): the shelter still cares for it."""
    return dog.deleted_at is None and dog.status in KEPT_STATUSES


def plan(s: Session, owner: Owner, when: datetime) -> ErasureResult:
    """What erase() would do, changing nothing (to confirm before erasing)."""
    dogs = s.scalars(select(Dog).where(Dog.owner_id == owner.id).order_by(Dog.registered_at, Dog.id)).all()
    gone = [d for d in dogs if not keeps(d)]
    photos = s.scalar(select(func.count(NosePhoto.id)).where(NosePhoto.dog_id.in_([d.id for d in gone]))) \
        if gone else 0
    return ErasureResult(owner_id=owner.id, erased_at=when, kept=[d.registration_number for d in dogs if keeps(d)],
                         removed=[d.registration_number for d in gone], photos_removed=photos or 0)


def erase(s: Session, owner: Owner, when: datetime, record: Callable[[Session, str, str, str], None] | None
          ) -> tuple[ErasureResult, list[str]]:
    """Erase one owner (see the module docstring). `record(s, "dog", dog_id, op)` notes each changed dog for sync.
    Returns the result and the photo files to remove after the commit."""
    kept, removed, files, purged = [], [], [], set()
    photos = 0
    for dog in s.scalars(select(Dog).where(Dog.owner_id == owner.id).order_by(Dog.registered_at, Dog.id)).all():
        if keeps(dog):
            dog.updated_at = max(dog.updated_at, when)
            kept.append(dog.registration_number)
            op = "upsert"
        else:
            photos += s.scalar(select(func.count(NosePhoto.id)).where(NosePhoto.dog_id == dog.id)) or 0
            files += purge_dog(s, dog, when)
            purged.add(dog.id)
            removed.append(dog.registration_number)
            op = "delete"
        if record is not None:
            record(s, "dog", dog.id, op)
    blank_owner(s, owner, when, purged)
    return ErasureResult(owner_id=owner.id, erased_at=owner.deleted_at, kept=kept, removed=removed,
                         photos_removed=photos), files
